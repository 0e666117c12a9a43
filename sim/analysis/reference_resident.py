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
    ``age``, ``band``, ``sex``, ``municipality``, ``zone``, ``zone_rank`` (rank in the zone's
    age-sorted list), ``household`` (the other members), ``group`` (work or school, -1: none),
    ``activity``, ``marital``, ``latent``, ``trait``, ``shock``, ``limited``, ``community``,
    ``teleworker``, ``settled``, ``sociability`` (mean 1), ``lonely``, ``weeks_no_friend``,
    ``lonely_weeks``, ``friends`` (friend's index -> strength, held by both ends), ``neighbours``.
    """

    def __init__(self, model: ReferenceModel, **state) -> None:
        super().__init__(model)
        self.__dict__.update(state)
        self.household: list[Resident] = []
        self.neighbours: list[Resident] = []
        self.friends: dict[int, float] = {}
        self.met: set[int] = set()  # friends met this week
        self.willing, self.present, self.at_work, self.contact = 0.0, False, False, 0.0
        self.friends_met = self.lonely_friends_met = 0

    # -- 1. life events ---------------------------------------------------------------------
    def eligible(self) -> tuple[bool, ...]:
        """Which of :data:`EVENTS` can happen to this resident now."""
        adult, employed = self.age >= 16, self.activity == Activity.EMPLOYED
        return (
            self.marital == Marital.MARRIED,
            self.marital == Marital.WIDOWED_DIVORCED,
            employed and self.age < 65,
            self.activity == Activity.UNEMPLOYED and self.age < 65,
            employed and self.age >= 60,
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
        if u >= m.hazard_total[self.band]:
            return
        cumulative = 0.0
        for k, ok in enumerate(self.eligible()):
            if ok:
                cumulative += m.hazard[k][self.band]
                if u < cumulative:
                    self.apply_event(EVENTS[k])
                    return

    def apply_event(self, event: str) -> None:
        """Change state and add the event's shock to this week's latent loneliness."""
        m, p = self.model, self.model.params.events
        m.event_counts[event] += 1
        if event == "bereavement":
            self.marital = Marital.WIDOWED_DIVORCED
            self.shock += p.shock_bereavement
        elif event == "repartnering":
            self.marital = Marital.MARRIED
        elif event in ("job_loss", "retirement"):
            self.activity = Activity.UNEMPLOYED if event == "job_loss" else Activity.RETIRED
            self.group = -1
            self.shock += p.shock_job_loss if event == "job_loss" else p.shock_retirement
        elif event in ("hiring", "return_to_work"):
            self.activity = Activity.EMPLOYED
            self.group = m.new_workplace(self.municipality)
        elif event == "moving":  # same zone; neighbours restart; friendships weaken (monthly)
            self.settled = 0.0
            self.shock += p.shock_moving
            m.moved.add(self.index)
        elif event in ("health_decline", "health_recovery"):
            self.limited = event == "health_decline"
        else:
            self.community = event == "join_community"

    # -- 2. contacts ------------------------------------------------------------------------
    def decide_presence(self) -> None:
        """Take part in out-of-home life this week? Lonely and less mobile residents less so."""
        m, c = self.model, self.model.params.contacts
        self.willing = c.presence * (1.0 - c.withdrawal * self.lonely)
        if self.limited:
            self.willing *= c.mobility_factor
        self.present = m.random.random() < self.willing
        teleworking = self.teleworker and m.random.random() < c.telework_absence
        self.at_work = self.present and self.group >= 0 and not teleworking
        if self.at_work:
            m.at_work[self.group] += 1
        self.met = set()

    def meet_friends(self) -> None:
        """Each tie (drawn once, by its lower-index end) meets with chance meet * both willing.

        With the weekly turnover chance a tie ends instead (strength 0: it meets no more and is
        forgotten at the next compaction).
        """
        m, meet = self.model, self.model.params.contacts.friend_meet
        p_end = float(weekly(m.params.ties.turnover))
        for j, s in list(self.friends.items()):
            friend = m.residents[j]
            if j < self.index:
                continue
            u = m.random.random()
            if s > 0 and u < meet * self.willing * friend.willing:
                self.met.add(j)
                friend.met.add(self.index)
            elif u > 1.0 - p_end:
                self.friends[j] = friend.friends[self.index] = 0.0

    def realise_contacts(self) -> None:
        """Sum this week's contact: household, work or school, neighbours, friends, community."""
        m, c = self.model, self.model.params.contacts
        household = min(len(self.household), c.household_cap) * c.household_weight
        colleagues = min(m.at_work[self.group] - 1, c.work_cap) if self.at_work else 0
        neighbours_out = sum(1 for n in self.neighbours if n.present)
        neighbourhood = c.neighbour_meet * c.neighbour_weight * neighbours_out  # expected value
        self.friends_met = len(self.met)
        self.lonely_friends_met = sum(1 for j in self.met if m.residents[j].lonely)
        self.weeks_no_friend = 0 if self.friends_met else min(self.weeks_no_friend + 1, 10_000)
        self.contact = (
            household
            + c.work_weight * colleagues
            + (self.settled * neighbourhood if self.present else 0.0)
            + c.friend_weight * self.friends_met
            + (c.community_weight if self.community and self.present else 0.0)
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

        Each chance is the base rate times one's sociability.
        """
        m, p = self.model, self.model.params.ties
        u_group, u_zone = m.random.random(), m.random.random()
        if u_group < p.form_group * self.sociability and self.present and self.group >= 0:
            self.befriend(m.group_member(self.group))
        if u_zone < p.form_zone * self.sociability and self.present and self.age >= 16:
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

    def drop_weak_ties(self, floor: float) -> None:
        """Forget ties weaker than ``floor`` (both ends hold the same strength)."""
        self.friends = {j: s for j, s in self.friends.items() if s >= floor}

    # -- 4. loneliness ----------------------------------------------------------------------
    def update_loneliness(self) -> None:
        """Latent loneliness: pull to trait + gap + strain, contagion, onset, shocks and noise."""
        m, p = self.model, self.model.params.loneliness
        gap = max(0.0, 1.0 - self.contact / m.need[self.band])
        strain = p.unemployed_effect if self.activity == Activity.UNEMPLOYED else 0.0
        target = self.trait + p.gap_effect * gap + strain
        contagion = p.contagion * min(self.lonely_friends_met, p.contagion_cap)
        onset = p.onset_size if m.random.random() < m.onset else 0.0
        noise = p.noise_sd * SQRT12 * (m.random.random() - 0.5)  # uniform, mean 0, sd noise_sd
        self.latent += p.recovery * (target - self.latent) + contagion + onset + self.shock + noise
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
