"""Reference implementation: the core dynamics written literally, one Mesa agent per resident.

The slow twin of :class:`sim.engine.model.LonelinessModel` (ARCHITECTURE.md, "Reference
implementation"). Each resident is a :class:`Resident` (:mod:`sim.analysis.reference_resident`)
with scalar attributes, and each weekly rule of :mod:`sim.engine.processes` is a plain method
with scalar draws from this model's own generator. Started from an array model's initial state
it must give the same *statistics* (not the same draws; see ``tests/analysis/test_reference.py``),
and :func:`reference_speed` is the baseline the array engine's speed is measured against. Read
it as documentation of the rules: the phases follow :data:`sim.engine.model.STEP_ORDER`, and
every resident finishes a phase before the next starts. Both models are stepped by
:func:`sim.engine.model.iter_weeks`.
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

from sim.analysis.reference_resident import EVENTS, Resident
from sim.config import RunConfig
from sim.core.measures import CATEGORIES
from sim.engine.model import LonelinessModel, iter_weeks
from sim.engine.processes import LifeEvents
from sim.engine.recorder import Recorder
from sim.engine.state import weekly
from sim.engine.survey import SURVEY_MIN_AGE

#: Whole-region measures compared between the engines (those of
#: ``sim.engine.recorder.MEASURES``, in its order; social activity is community activity only,
#: as there are no venues without policies).
MEASURES = (
    *CATEGORIES, "any_loneliness", "ucla3_top", "ucla3_mean", "no_in_person_contact",
    "no_social_activity", "chronic_loneliness", "mean_friends", "mean_contact",
    "never_meets_in_person", "never_phones", "never_messages", "talks_at_most_fortnightly",
    "no_close_friends", "has_someone_to_rely_on",
)  # fmt: skip
#: The weekly phases, in the order of :data:`sim.engine.model.STEP_ORDER` (policies are not
#: modelled).
PHASES = ("life_events", "contacts", "ties", "loneliness", "record")


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
        #: residents whose ties weaken at the next compaction, with the share of strength kept:
        #: each week's retirees (men, women) and movers, as in the array model's ``moved``
        self.moved: list[tuple[set[int], float]] = []
        self.retiring: list[tuple[set[int], float]] = []  # this week's, by sex
        self.moving: tuple[set[int], float] = (set(), 1.0)  # this week's
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
            "lonely_weeks": r.lonely_weeks, "digital": pop.digital, "need": r.need,
            "cohabitants": r.cohabitants, "partner_home": r.partner_home, "kin": r.kin,
            "kin_met": r.kin_met, "calls": r.calls, "messages": r.messages,
            "weeks_no_call": r.weeks_no_call, "weeks_no_message": r.weeks_no_message,
            "weeks_no_kin": r.weeks_no_kin, "talk_history": r.talk_history,
            "close_friends": r.close_friends, "rely_on": r.rely_on,
        }  # fmt: skip
        values = {k: np.asarray(v).tolist() for k, v in columns.items()}  # Python scalars
        for i in range(pop.n):
            self.residents.append(Resident(self, index=i, **{k: v[i] for k, v in values.items()}))
        res = self.residents
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
        self.hazard, self.hazard_total = events.h.tolist(), events.hmax.tolist()  # per cell
        self.settle = float(events.settle)
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

    def poisson(self, mean: float, k_max: int = 40) -> int:
        """A Poisson count with the given mean, at most ``k_max``: the CDF inverted at a uniform."""
        u = self.random.random()
        k, p = 0, math.exp(-mean)
        cdf = p
        while u > cdf and k < k_max:
            k += 1
            p *= mean / k
            cdf += p
        return k

    def compact_ties(self) -> None:
        """Monthly: weaken the ties of those who retired or moved, then drop weak ties.

        Each entry of :attr:`moved` (a week's retirees of one sex, or its movers) weakens every
        tie with an end among its residents once, by its own share kept.
        """
        res = self.residents
        for residents, kept in self.moved:
            ties = {(min(i, j), max(i, j)) for i in residents for j in res[i].friends}
            for i, j in ties:
                res[i].friends[j] = res[j].friends[i] = res[i].friends[j] * kept
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
        """Phase 1: every resident may have one life event.

        This week's retirees (men, women) and movers are collected for the next compaction.
        """
        p = self.params.events
        self.retiring = [(set(), 1.0 - loss) for loss in p.retirement_tie_loss]
        self.moving = (set(), 1.0 - p.moving_tie_loss)
        self.moved += [*self.retiring, self.moving]
        self.agents.shuffle_do("life_event")

    def contacts(self) -> None:
        """Phase 2: presence, then friend meetings, then each resident's contacts."""
        self.at_work = defaultdict(int)
        self.agents.do("decide_presence")
        self.agents.do("meet_friends")
        self.agents.do("realise_contacts")

    def ties(self) -> None:
        """Phase 3: strength updates, new ties, support, then (every 4th week) compaction."""
        self.agents.do("update_ties")
        self.agents.shuffle_do("form_ties")
        self.agents.do("update_support")
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
            totals["ucla3_mean"] += ucla
            totals["no_in_person_contact"] += a.weeks_no_friend >= s.isolation_weeks
            totals["no_social_activity"] += not a.community
            totals["chronic_loneliness"] += a.lonely_weeks >= s.chronic_weeks
            totals["mean_friends"] += len(a.friends)
            totals["mean_contact"] += a.contact
            totals["never_meets_in_person"] += a.weeks_no_friend >= s.isolation_weeks
            totals["never_phones"] += a.weeks_no_call >= s.isolation_weeks
            totals["never_messages"] += a.weeks_no_message >= s.isolation_weeks
            totals["talks_at_most_fortnightly"] += a.talk_history.bit_count() <= 2
            totals["no_close_friends"] += a.close_friends == 0
            totals["has_someone_to_rely_on"] += a.rely_on
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
