"""Reference implementation: the core dynamics written literally, one Mesa agent per resident.

The slow twin of :class:`sim.engine.model.LonelinessModel` (ARCHITECTURE.md, "Reference
implementation"). Each resident is a :class:`Resident` with scalar attributes, and each weekly
rule of :mod:`sim.engine.processes` is a plain method with scalar draws from this model's own
generator.
Started from an array model's initial state it must give the same *statistics* (not the same
draws; see ``tests/test_reference.py``), and :func:`reference_speed` is the baseline the array
engine's speed is measured against. Read it as documentation of the rules: the phases follow
:data:`sim.engine.model.STEP_ORDER`, and every resident finishes a phase before the next starts.
Policy processes are not part of the reference.
"""

from __future__ import annotations

import inspect
import math
import time
from collections import defaultdict

import mesa
import numpy as np
import pandas as pd

from sim.config import RunConfig
from sim.core.codes import Activity, Marital
from sim.engine.model import LonelinessModel, iter_weeks
from sim.engine.processes import LifeEvents
from sim.engine.recorder import Recorder
from sim.engine.state import weekly
from sim.engine.survey import SURVEY_MIN_AGE

#: Whole-region measures compared between the engines (a subset of
#: ``sim.engine.recorder.MEASURES``).
CATEGORIES = ("never", "hardly_ever", "occasionally", "sometimes", "often_always")
MEASURES = (
    *CATEGORIES, "any_loneliness", "ucla3_top", "no_in_person_contact", "no_social_activity",
    "mean_friends", "mean_contact",
)  # fmt: skip
SQRT12 = math.sqrt(12.0)  # a uniform on (-0.5, 0.5) times this has standard deviation 1
#: The weekly phases, in the order of :data:`sim.engine.model.STEP_ORDER` (policies are not
#: modelled).
PHASES = ("life_events", "contacts", "ties", "loneliness", "record")
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


class ReferenceModel(mesa.Model):
    """Per-agent model of the core dynamics; build it with :meth:`from_array_model`.

    Args:
        cfg: the run configuration (its seed seeds this model's own generator).
    """

    def __init__(self, cfg: RunConfig) -> None:
        super().__init__(rng=cfg.seed)
        self.cfg = cfg
        self.params, self.params_layers, self.params_survey = cfg.dynamics, cfg.layers, cfg.survey
        self.residents: list[Resident] = []
        self.step_index, self.week = 0, -cfg.burn_in_weeks
        self.record_from = 0  # first week recorded
        self.record_weeks: set[int] = set()  # empty: record every week from record_from
        self.moved: set[int] = set()
        self.at_work: defaultdict[int, int] = defaultdict(int)
        self.event_counts, self.ties_formed = dict.fromkeys(EVENTS, 0), 0
        self.rows: list[tuple[int, str, float]] = []

    @classmethod
    def from_array_model(cls, m: LonelinessModel) -> ReferenceModel:
        """Copy population, layers, ties and state from an array model before its first step."""
        if m.step_index != 0:
            raise ValueError("from_array_model needs an array model that has not been stepped")
        self, pop, r = cls(m.cfg), m.pop, m.res
        columns = {
            "age": pop.age, "band": r.band, "sex": pop.sex, "municipality": pop.municipality,
            "zone": pop.zone, "group": r.group, "activity": r.activity, "marital": r.marital,
            "latent": r.latent, "trait": r.trait, "shock": r.shock, "limited": r.limited,
            "community": r.community, "teleworker": r.teleworker, "settled": r.settled,
            "sociability": m.sociability, "lonely": r.lonely, "weeks_no_friend": r.weeks_no_friend,
            "lonely_weeks": r.lonely_weeks,
        }  # fmt: skip
        values = {k: np.asarray(v).tolist() for k, v in columns.items()}  # Python scalars
        for i in range(pop.n):
            self.residents.append(Resident(self, index=i, **{k: v[i] for k, v in values.items()}))
        res = self.residents
        by_household = defaultdict(list)
        for i, h in enumerate(pop.household.tolist()):
            by_household[h].append(res[i])
        for members in by_household.values():
            for a in members:
                a.household = [b for b in members if b is not a]
        for a, b in m.nb_edges.tolist():
            res[a].neighbours.append(res[b])
            res[b].neighbours.append(res[a])
        f = m.friends
        for a, b, s in zip(f.src.tolist(), f.dst.tolist(), f.strength.tolist(), strict=True):
            res[a].friends[b] = res[b].friends[a] = s
        order, pos, start, counts = m.zone_order
        self.zones = [
            [res[i] for i in order[s : s + n]] for s, n in zip(start, counts, strict=True)
        ]
        for a in res:
            a.zone_rank = int(pos[a.index] - start[a.zone])
        self.zone_spread = float(m.zone_spread)
        self.workplaces = defaultdict(list)  # municipality -> workplace group ids
        for g in np.flatnonzero(~m.groups.is_school).tolist():
            self.workplaces[int(m.groups.municipality[g])].append(g)
        self.snapshot_groups()
        events = LifeEvents()  # the rule is the engine's hazard table: reuse it
        events.init(m)
        self.hazard, self.hazard_total = events.h.tolist(), events.hmax.tolist()
        self.settle = float(events.settle)
        self.need = list(self.params.contacts.need)
        self.onset = float(weekly(self.params.loneliness.onset_rate))
        return self

    # -- shared look-ups ----------------------------------------------------------------------
    def snapshot_groups(self) -> None:
        """Member lists of work and school groups (refreshed every 13 weeks, as in the engine)."""
        self.group_members = defaultdict(list)
        for a in self.residents:
            if a.group >= 0:
                self.group_members[a.group].append(a)

    def group_member(self, group: int) -> Resident | None:
        """A random listed member of ``group`` who is still in it (None otherwise)."""
        members = self.group_members.get(group, [])
        if not members:
            return None
        pick = members[int(self.random.random() * len(members))]
        return pick if pick.group == group else None

    def zone_peer(self, a: Resident) -> Resident | None:
        """A resident at a small random rank offset in ``a``'s zone, sorted by age."""
        zone = self.zones[a.zone]
        offset = round(self.random.gauss(0.0, self.zone_spread)) or 1
        peer = zone[min(max(a.zone_rank + offset, 0), len(zone) - 1)]
        return None if peer is a else peer

    def new_workplace(self, municipality: int) -> int:
        """A random workplace in the municipality (-1 if it has none)."""
        places = self.workplaces.get(municipality, [])
        return places[int(self.random.random() * len(places))] if places else -1

    def compact_ties(self) -> None:
        """Monthly: weaken the ties of residents who moved (once per tie), drop weak ties."""
        keep = 1.0 - self.params.events.moving_tie_loss
        for i in sorted(self.moved):
            mover = self.residents[i]
            for j in mover.friends:
                if not (j in self.moved and j < i):  # a tie between two movers: weaken once
                    mover.friends[j] *= keep
                    self.residents[j].friends[i] = mover.friends[j]
        self.moved.clear()
        self.agents.do("drop_weak_ties", self.params.ties.floor)

    # -- the week: the phases of STEP_ORDER, each finished by everyone before the next -------
    def step(self) -> None:
        """One week: life events, contacts, ties, loneliness, record (:data:`PHASES`)."""
        for phase in PHASES:
            getattr(self, phase)()
        self.step_index += 1
        self.week += 1
        if self.step_index % 13 == 0:
            self.snapshot_groups()

    def life_events(self) -> None:
        """Phase 1: every resident may have one life event."""
        self.agents.shuffle_do("life_event")

    def contacts(self) -> None:
        """Phase 2: presence, then friend meetings, then each resident's contact sum."""
        self.at_work = defaultdict(int)
        self.agents.do("decide_presence")
        self.agents.do("meet_friends")
        self.agents.do("realise_contacts")

    def ties(self) -> None:
        """Phase 3: strength updates, then new ties, then (every 4th week) compaction."""
        self.agents.do("update_ties")
        self.agents.shuffle_do("form_ties")
        if self.step_index % 4 == 3:
            self.compact_ties()

    def loneliness(self) -> None:
        """Phase 4: every resident's latent loneliness moves one week."""
        self.agents.do("update_loneliness")

    def record(self) -> None:
        """Phase 9: survey residents aged 16+ and store the whole-region measures."""
        wanted = not self.record_weeks or self.week in self.record_weeks
        if self.week < self.record_from or not wanted:
            return
        s = self.params_survey
        adults = [a for a in self.residents if a.age >= SURVEY_MIN_AGE]
        totals = dict.fromkeys(MEASURES, 0.0)
        for a in adults:
            category, ucla = a.answer_survey()
            totals[CATEGORIES[category]] += 1
            totals["any_loneliness"] += category >= 2
            totals["ucla3_top"] += ucla >= 10
            totals["no_in_person_contact"] += a.weeks_no_friend >= s.isolation_weeks
            totals["no_social_activity"] += not a.community
            totals["mean_friends"] += len(a.friends)
            totals["mean_contact"] += a.contact
        self.rows += [(self.week, k, v / len(adults)) for k, v in totals.items()]

    def table(self) -> pd.DataFrame:
        """Recorded measures as a long table (week, measure, value)."""
        return pd.DataFrame(self.rows, columns=["week", "measure", "value"])


def core_array_model(cfg: RunConfig) -> LonelinessModel:
    """The array model with the core dynamics only: no policy levers, not even the status quo."""
    if "scenario" not in inspect.signature(LonelinessModel).parameters:
        return LonelinessModel(cfg)  # an engine without scenarios runs the core dynamics only
    from sim.policy.scenario import Scenario

    return LonelinessModel(cfg, scenario=Scenario(name="core_dynamics_only"))


def run_reference(cfg: RunConfig, weeks: int, record_from: int = 0) -> pd.DataFrame:
    """Run the reference for burn-in plus ``weeks`` weeks, recording weekly from ``record_from``.

    Returns:
        Long table (week, measure, value) of :data:`MEASURES` for the whole region.
    """
    ref = ReferenceModel.from_array_model(core_array_model(cfg))
    ref.record_from = record_from
    for _ in iter_weeks(ref, until=weeks):
        pass
    return ref.table()


def run_array(cfg: RunConfig, weeks: int, record_from: int = 0) -> pd.DataFrame:
    """Run the array engine (core only) the same way; the same table, from its own Recorder."""
    m = core_array_model(cfg)
    m.recorder = Recorder(m, np.arange(record_from, weeks))
    for _ in iter_weeks(m, until=weeks):
        pass
    t = m.recorder.table(m.start_date)
    t = t[(t["dimension"] == "all") & t["measure"].isin(MEASURES)]
    return t[["week", "measure", "value"]].reset_index(drop=True)


def reference_speed(cfg: RunConfig, weeks: int) -> float:
    """Resident-steps per second of the reference (set-up excluded, monthly recording)."""
    m = core_array_model(cfg)
    ref = ReferenceModel.from_array_model(m)
    ref.record_weeks = set(np.asarray(m.recorder.weeks).tolist())
    start = time.perf_counter()
    for _ in iter_weeks(ref, weeks=weeks):
        pass
    return len(ref.residents) * weeks / (time.perf_counter() - start)
