"""One resident of the reference model: scalar state and the weekly rules as methods.

Part of the reference implementation (:mod:`sim.analysis.reference`): each weekly rule of
:mod:`sim.engine.processes` written literally for one resident, with scalar draws from the
reference model's own generator.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa

from sim.core.codes import Activity, Marital
from sim.engine.state import weekly

if TYPE_CHECKING:
    from sim.analysis.reference import ReferenceModel

SQRT12 = math.sqrt(12.0)  # a uniform on (-0.5, 0.5) times this has standard deviation 1
#: Life events, in the row order of the hazard table of :class:`sim.engine.processes.LifeEvents`.
EVENTS = (
    "bereavement", "repartnering", "job_loss", "hiring", "retirement", "return_to_work",
    "moving", "health_decline", "health_recovery", "leave_community", "join_community",
)  # fmt: skip


class Resident(mesa.Agent):
    """One resident, with scalar state and the weekly rules as methods.

    Set by :meth:`ReferenceModel.from_array_model`: ``index`` (position in the array model),
    ``age``, ``band``, ``sex`` (1: female), ``municipality``, ``zone``, ``zone_rank`` (rank in
    the zone's age-sorted list), ``group`` (work or school, -1: none), ``activity``,
    ``marital``, ``latent``, ``trait``, ``shock``, ``limited``, ``community``, ``teleworker``,
    ``settled``, ``sociability`` (mean 1), ``desired`` (friends sought), ``digital``
    (internet user), ``lonely``, ``weeks_no_friend``, ``lonely_weeks``, ``friends`` (friend's
    index -> strength, held by both ends), ``neighbours``, and the state of
    :class:`sim.engine.state.Residents` of the same names: ``need``, ``cohabitants``,
    ``partner_home``, ``kin``, ``kin_met``, ``calls``, ``messages``, ``weeks_no_call``,
    ``weeks_no_message``, ``weeks_no_kin``, ``talk_history``, ``close_friends``, ``rely_on``.
    """

    def __init__(self, model: ReferenceModel, **state) -> None:
        super().__init__(model)
        self.__dict__.update(state)
        self.cell = 2 * self.band + self.sex  # age band x sex, the column of the hazard table
        self.desired = model.params_layers.initial_friends * self.sociability  # friends sought
        self.neighbours: list[Resident] = []
        self.friends: dict[int, float] = {}
        self.met: set[int] = set()  # friends met this week
        self.willing, self.reach, self.present, self.at_work = 0.0, 0.0, False, False
        self.contact, self.friends_met, self.lonely_friends_met = 0.0, 0, 0

    # -- 1. life events ---------------------------------------------------------------------
    def eligible(self) -> tuple[bool, ...]:
        """Which of :data:`EVENTS` can happen to this resident now."""
        adult, employed = self.age >= 16, self.activity == Activity.EMPLOYED
        return (
            self.marital == Marital.MARRIED,
            self.marital == Marital.WIDOWED_DIVORCED,
            employed and self.age < 65,
            self.activity == Activity.UNEMPLOYED and self.age < 65,
            employed and 60 <= self.age < 75,
            self.activity == Activity.RETIRED and 60 <= self.age < 75,
            adult,
            not self.limited,
            self.limited,
            self.community,
            not self.community and adult,
        )

    def life_event(self) -> None:
        """Settle in a little more, then at most one event: one uniform against stacked hazards."""
        m = self.model
        self.settled = min(1.0, self.settled + m.settle)
        u = m.random.random()
        if u >= m.hazard_total[self.cell]:
            return
        cumulative = 0.0
        for k, ok in enumerate(self.eligible()):
            if ok:
                cumulative += m.hazard[k][self.cell]
                if u < cumulative:
                    self.apply_event(EVENTS[k])
                    return

    def apply_event(self, event: str) -> None:
        """Change state and add the event's shock to this week's latent loneliness."""
        m, p = self.model, self.model.params.events
        m.event_counts[event] += 1
        if event == "bereavement":  # a partner at home no longer counts as household contact
            self.marital = Marital.WIDOWED_DIVORCED
            self.shock += p.shock_bereavement
            if self.partner_home:
                self.cohabitants -= 1
            self.partner_home = False
        elif event == "repartnering":  # a partner moves in
            self.marital = Marital.MARRIED
            if not self.partner_home:
                self.cohabitants += 1
            self.partner_home = True
        elif event in ("job_loss", "retirement"):
            self.activity = Activity.UNEMPLOYED if event == "job_loss" else Activity.RETIRED
            self.group = -1
            self.shock += p.shock_job_loss if event == "job_loss" else p.shock_retirement
            if event == "retirement":  # work-made friendships fade (at the next compaction)
                m.retiring[self.sex][0].add(self.index)
        elif event in ("hiring", "return_to_work"):
            self.activity = Activity.EMPLOYED
            self.group = m.new_workplace(self.municipality)
        elif event == "moving":  # same zone; neighbours restart; friendships weaken (monthly)
            self.settled = 0.0
            self.shock += p.shock_moving
            m.moving[0].add(self.index)
        elif event in ("health_decline", "health_recovery"):
            self.limited = event == "health_decline"
        else:
            self.community = event == "join_community"

    # -- 2. contacts ------------------------------------------------------------------------
    def decide_presence(self) -> None:
        """Take part in out-of-home life this week? Lonely and less mobile residents less so.

        A lonely resident also reaches out less (``reach``), in person and remotely.
        """
        m, c = self.model, self.model.params.contacts
        self.reach = 1.0 - c.withdrawal * self.lonely
        self.willing = c.presence * self.reach
        if self.limited:
            self.willing *= c.mobility_factor
        self.present = m.random.random() < self.willing
        teleworking = self.teleworker and m.random.random() < c.telework_absence
        self.at_work = self.present and self.group >= 0 and not teleworking
        if self.at_work:
            m.at_work[self.group] += 1
        self.met = set()

    def meet_friends(self) -> None:
        """Each tie (drawn once, by its lower-index end) meets this week, or not.

        Its chance is meet * strength**meet_strength * both willing. With the weekly turnover
        chance a tie ends instead (strength 0: it meets no more and is
        forgotten at the next compaction).
        """
        m, meet = self.model, self.model.params.contacts.friend_meet
        k = self.model.params.contacts.meet_strength
        p_end = float(weekly(m.params.ties.turnover))
        for j, s in list(self.friends.items()):
            friend = m.residents[j]
            if j < self.index:
                continue
            u = m.random.random()
            if s > 0 and u < meet * s**k * self.willing * friend.willing:
                self.met.add(j)
                friend.met.add(self.index)
            elif u > 1.0 - p_end:
                self.friends[j] = friend.friends[self.index] = 0.0

    def realise_contacts(self) -> None:
        """This week's contact, in person and remote, and whether one talked with anyone.

        In person: household, work or school, neighbours, friends, relatives living apart and
        community activity; remote: calls and messages, capped. Relatives, calls and messages
        are Poisson counts.
        """
        m, c = self.model, self.model.params.contacts
        colleagues = min(m.at_work[self.group] - 1, c.work_cap) if self.at_work else 0
        neighbours_out = sum(1 for n in self.neighbours if n.present)
        neighbourhood = c.neighbour_meet * c.neighbour_weight * neighbours_out  # expected value
        neighbourhood = self.settled * neighbourhood if self.present else 0.0
        self.friends_met = len(self.met)
        self.lonely_friends_met = sum(1 for j in self.met if m.residents[j].lonely)
        kin = self.kin * (c.kinkeeping if self.sex == 1 else 1.0)  # women keep kin contact
        degree = len(self.friends)
        self.kin_met = m.poisson(c.kin_meet * kin * self.willing)
        kin_calls = m.poisson(c.kin_call * kin * self.reach)
        friend_calls = m.poisson(c.call_rate * degree * self.reach)
        self.calls = kin_calls + friend_calls
        self.messages = m.poisson(c.message_rate * (degree + kin) * self.reach * self.digital)
        in_person = self.friends_met + self.kin_met
        self.weeks_no_friend = weeks_without(self.weeks_no_friend, in_person > 0)
        self.weeks_no_call = weeks_without(self.weeks_no_call, self.calls > 0)
        self.weeks_no_message = weeks_without(self.weeks_no_message, self.messages > 0)
        self.weeks_no_kin = weeks_without(self.weeks_no_kin, self.kin_met > 0)
        together = self.community and self.present
        # a conversation with a neighbour, at home or out (needs only the neighbours' presence);
        # women chat more, as they keep kin contact more
        near = self.settled * c.neighbour_meet * c.neighbour_weight * neighbours_out
        chat_rate = c.neighbour_chat * (c.kinkeeping if self.sex == 1 else 1.0) * near
        chat = m.random.random() < 1.0 - math.exp(-chat_rate)
        talked = self.cohabitants > 0 or colleagues > 0 or in_person > 0 or self.calls > 0
        talked = talked or together or chat
        self.talk_history = ((self.talk_history << 1) | talked) & 0b1111
        remote = c.call_weight * self.calls + c.message_weight * self.messages
        self.contact = (
            c.household_weight * min(self.cohabitants, c.household_cap)
            + c.work_weight * colleagues
            + neighbourhood
            + c.friend_weight * in_person
            + (c.community_weight if together else 0.0)
            + min(remote, c.remote_cap)
        )

    # -- 3. ties ----------------------------------------------------------------------------
    def update_ties(self) -> None:
        """Ties that met gain strength; the others decay, faster for each lonely end."""
        m, p = self.model, self.model.params.ties
        for j, s in self.friends.items():
            if j < self.index:
                continue  # each tie is updated once, by its lower-index end
            friend = m.residents[j]
            if j in self.met:
                s = min(1.0, s + p.gain)
            else:
                s *= 1.0 - p.decay * (1.0 + p.lonely_decay_factor * (self.lonely + friend.lonely))
            self.friends[j] = friend.friends[self.index] = s

    def form_ties(self) -> None:
        """Maybe befriend a member of one's work or school group, and an age-similar zone peer.

        Each chance is the base rate times one's friendship deficit,
        ``max(0, 1 - friends / desired)``.
        """
        m, p = self.model, self.model.params.ties
        deficit = max(0.0, 1.0 - len(self.friends) / max(self.desired, 1e-6))
        u_group, u_zone = m.random.random(), m.random.random()
        if u_group < p.form_group * deficit and self.present and self.group >= 0:
            self.befriend(m.group_member(self.group))
        if u_zone < p.form_zone * deficit and self.present and self.age >= 16:
            self.befriend(m.zone_peer(self))

    def befriend(self, other: Resident | None) -> None:
        """Propose a tie; ``other`` accepts with age homophily times their willingness."""
        m, p = self.model, self.model.params.ties
        if other is None or other is self:
            return
        gap = abs(self.age - other.age)
        accept = math.exp(-gap / m.params_layers.age_homophily_years) * other.willing
        room = len(self.friends) < p.max_friends and len(other.friends) < p.max_friends
        if m.random.random() < accept and room and other.index not in self.friends:
            self.friends[other.index] = other.friends[self.index] = p.new_strength
            m.ties_formed += 1

    def update_support(self) -> None:
        """Count close friends now; update whether one has someone to rely on.

        That is a partner at home, a close friend, or a relative living apart met in person
        within the survey's isolation weeks.
        """
        m = self.model
        close = m.params.ties.close_strength
        self.close_friends = sum(1 for s in self.friends.values() if s >= close)
        kin_in_touch = self.kin > 0 and self.weeks_no_kin < m.params_survey.isolation_weeks
        self.rely_on = self.partner_home or self.close_friends > 0 or kin_in_touch

    def drop_weak_ties(self, floor: float) -> None:
        """Forget ties weaker than ``floor`` (both ends hold the same strength)."""
        self.friends = {j: s for j, s in self.friends.items() if s >= floor}

    # -- 4. loneliness ----------------------------------------------------------------------
    def update_loneliness(self) -> None:
        """Latent loneliness: pull to a target, onset, shocks and noise.

        The target is the trait plus the contact gap, lonely friends met, no one to rely on and
        strain.

        The gap ``exp(-contact / need)`` is 1 without contact and falls with diminishing returns.
        Contagion scales with the share of friends met who are lonely, bounded by the fall in the
        target that this week's friend meetings brought.
        """
        m, p = self.model, self.model.params.loneliness
        gap = math.exp(-self.contact / self.need)
        strain = p.unemployed_effect if self.activity == Activity.UNEMPLOYED else 0.0
        alone = 0.0 if self.rely_on else p.no_confidant
        share = self.lonely_friends_met / max(self.friends_met, 1)
        # the fall in the gap that this week's friend meetings brought: contagion never exceeds
        # it, so meeting lonely friends is never worse than not meeting them
        met = m.params.contacts.friend_weight * self.friends_met
        benefit = p.gap_effect * (math.exp(-(self.contact - met) / self.need) - gap)
        spread = min(p.contagion, benefit)
        target = self.trait + p.gap_effect * gap + spread * share + alone + strain
        onset = p.onset_size if m.random.random() < m.onset else 0.0
        noise = p.noise_sd * SQRT12 * (m.random.random() - 0.5)  # uniform, mean 0, sd noise_sd
        self.latent += p.recovery * (target - self.latent) + onset + self.shock + noise
        self.shock = 0.0
        self.lonely = self.latent > p.lonely_threshold
        self.lonely_weeks = min(self.lonely_weeks + 1, 10_000) if self.lonely else 0

    # -- 9. the survey ----------------------------------------------------------------------
    def answer_survey(self) -> tuple[int, int]:
        """Direct-question category (0-4) and UCLA-3 score (3-12), each with response error."""
        m, s = self.model, self.model.params_survey
        answer = self.latent + s.response_sd * m.random.gauss(0.0, 1.0)
        category = sum(1 for t in s.thresholds if t < answer)
        ucla = 0
        for _ in range(3):
            item = self.latent + s.ucla_item_sd * m.random.gauss(0.0, 1.0)
            ucla += 1 + sum(1 for t in s.ucla_cuts if t < item)
        return category, ucla


def weeks_without(weeks: int, happened: bool) -> int:
    """Consecutive weeks without something: 0 if it happened this week, else one more."""
    return 0 if happened else min(weeks + 1, 10_000)
