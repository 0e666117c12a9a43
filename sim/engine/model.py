"""The model: a ``mesa.Model`` whose residents are arrays, ``run(config) -> Results``, the loop.

One function runs one simulation (:func:`run`), and one iterator steps a model week by week
(:func:`iter_weeks`): ``run``, calibration, the dashboard, the benchmark and the reference all
step through it. What happens in a week is written once, in the step plan
(:data:`sim.engine.plan.PLAN`); :data:`STEP_ORDER` lists its numbered steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import mesa
import numpy as np
import pandas as pd

from sim.core.codes import Activity, Marital
from sim.core.measures import HEADLINE
from sim.core.rng import Streams
from sim.engine.component import Component
from sim.engine.demography_slots import clear_residents, extend_population, reserve_size
from sim.engine.plan import PLAN, STEP_ORDER
from sim.engine.processes._shared import poisson_from_uniform
from sim.engine.recorder import Recorder
from sim.engine.state import Residents, age_band, contact_need
from sim.policy.scenario import Scenario, check_horizon, load_scenario
from sim.policy.services import Services, initial_service_state
from sim.world.friendship import FriendshipNetwork
from sim.world.layers import (
    build_groups,
    build_initial_friends,
    build_neighbourhood,
    rank_spread,
    sociability,
    zone_age_order,
)
from sim.world.population import Population, synthesize
from sim.world.region import Region, load_configured

if TYPE_CHECKING:  # the engine reads a composed configuration; sim.config sits above it
    from sim.config import RunConfig

__all__ = ["STEP_ORDER", "LonelinessModel", "Municipality", "Results", "iter_weeks", "run"]


class Municipality(mesa.Agent):
    """A municipality: few of them, so they are Mesa agents holding aggregate figures.

    Attributes:
        index: position in the region's municipality table.
        code: municipal code.
        name: municipality name.
        census_population: population at the census.
        residents: simulated residents.
        surveyed: simulated residents aged 16+ (who answer the survey).
        figures: the whole-municipality measures of the latest record (empty before the first),
            e.g. ``figures["any_loneliness"]``; updated by the plan's ``municipal_figures`` row.
    """

    def __init__(self, model: LonelinessModel, index: int, row: pd.Series) -> None:
        super().__init__(model)
        self.index = index
        self.code = str(row["code"])
        self.name = str(row["name"])
        self.census_population = int(row["pop_total"])
        self.residents = int(((model.pop.municipality == index) & (model.pop.age >= 0)).sum())
        self.surveyed = 0
        self.figures: dict[str, float] = {}

    def update(self, recorder: Recorder, residents: int | None = None) -> None:
        """Take this municipality's figures from the recorder's latest record.

        Args:
            recorder: the model's recorder.
            residents: living simulated residents now (they change with demography).
        """
        self.surveyed, self.figures = recorder.latest_group("municipality", self.index)
        if residents is not None:
            self.residents = residents


class LonelinessModel(mesa.Model):
    """Community ties and loneliness in one region, stepped weekly.

    Args:
        cfg: validated run configuration.
        region: the region, if already loaded (otherwise loaded from ``cfg.region``).
        scenario: the policy package, if already loaded (otherwise ``cfg.scenario``).
        population: a population already synthesised for this region, seed and
            ``cfg.population`` (calibration reuses one across parameter sets).
    """

    def __init__(
        self,
        cfg: RunConfig,
        region: Region | None = None,
        scenario: Scenario | None = None,
        population: Population | None = None,
    ) -> None:
        super().__init__(rng=cfg.seed)
        self.cfg = cfg
        self.params = cfg.dynamics
        self.params_layers = cfg.layers
        self.params_survey = cfg.survey
        self.streams = Streams(cfg.seed)
        self._stream_cache: dict[str, np.random.Generator] = {}
        self._stream_step = -1
        self.step_index = 0
        self.week = -cfg.burn_in_weeks
        # commands load the region through sim.config.load_configured_region (which also runs
        # the checks before any work) and pass it in
        self.region = region if region is not None else load_configured(cfg.region)
        # a population built once (same region, seed and population settings) may be reused
        self.pop = (
            population
            if population is not None
            else synthesize(self.region, cfg.population, self.streams)
        )
        self._build_layers()
        #: simulated residents at the start (the census population at ``population.scale``)
        self.n_start = self.pop.n
        #: living residents (``demography=dynamic``; None when the population is held fixed)
        self.alive: np.ndarray | None = None
        self.holding_household = -1
        reserved = self._reserve() if cfg.demography == "dynamic" else np.zeros(0, np.int64)
        self.res = self._initial_state()
        self.counts: dict[str, np.ndarray | int] = {
            "events": np.zeros(11, np.int64),
            "ties_formed": 0,
            "ties_lost": 0,
        }
        self.met = np.zeros(self.friends.n_edges, bool)
        self.lonely_ends = np.zeros(self.friends.n_edges, np.int8)
        #: residents whose ties weaken at the next compaction, with the share of strength kept
        self.moved: list[tuple[np.ndarray, float]] = []
        self.scenario = scenario if scenario is not None else load_scenario(cfg.scenario)
        check_horizon(self.scenario, cfg.start_date, cfg.years)
        self.svc = initial_service_state(self)
        clear_residents(self.res, self.svc, reserved)
        self.services = Services(self, self.scenario)
        self.lonely_friends_met = np.zeros(self.pop.n, np.float32)
        self.municipality_agents = [
            Municipality(self, i, row) for i, row in self.region.municipalities.iterrows()
        ]
        self.start_date = np.datetime64(cfg.start_date, "D")
        self.recorder = Recorder(self, record_weeks(cfg.start_date, cfg.years))
        self.datacollector = mesa.DataCollector(model_reporters={m: _latest(m) for m in HEADLINE})
        #: one component per plan row, and its bound step (what the week calls, by row name)
        self.components: dict[str, Component] = {r.name: r.component() for r in PLAN}
        self.processes = {name: c.step for name, c in self.components.items()}
        for c in self.components.values():
            c.init(self)
        self._finalized = False

    def _build_layers(self) -> None:
        rng = self.streams.get("layers")
        self.groups = build_groups(self.pop, self.region, self.params_layers, rng)
        self.nb_edges = build_neighbourhood(self.pop, self.params_layers, rng)
        self.sociability = sociability(self.pop.n, self.params_layers, rng)
        edges = build_initial_friends(
            self.pop, self.groups, self.params_layers, self.sociability, rng
        )
        strength = rng.uniform(0.2, 1.0, edges.shape[0]).astype(np.float32)
        self.friends = FriendshipNetwork(self.pop.n, edges, strength)
        self.zone_order = zone_age_order(self.pop)
        self.zone_spread = rank_spread(self.params_layers, self.zone_order[3])
        work = np.flatnonzero(~self.groups.is_school)
        order = np.argsort(self.groups.municipality[work], kind="stable")
        self._work_by_muni = work[order]
        m = len(self.region.municipalities)
        cnt = np.bincount(self.groups.municipality[work], minlength=m)
        self._work_start = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        self._work_count = cnt

    def _reserve(self) -> np.ndarray:
        """Reserve slots for births and arrivals (``demography=dynamic``); returns them."""
        from sim.engine.demography_slots import expected_growth
        from sim.world.age_profiles import municipal_age_sex
        from sim.world.demography_rates import demography_rates, with_vital_columns

        pop = self.pop
        rates = demography_rates(
            with_vital_columns(self.region), municipal_age_sex(self.region), self.params.demography
        )
        self.demography_rates = rates
        n0 = pop.n
        extra = reserve_size(n0, self.cfg.years, expected_growth(rates, pop))
        self.holding_household = extend_population(pop, extra)
        self.groups.of_resident = np.concatenate(
            [self.groups.of_resident, np.full(extra, -1, np.int32)]
        )
        slot_rng = self.streams.get("demography.slots")
        self.sociability = np.concatenate(
            [self.sociability, sociability(extra, self.params_layers, slot_rng)]
        )
        self.friends.n = pop.n
        self.friends.degree = self.friends._degree()
        self.zone_order = zone_age_order(pop)
        self.alive = pop.age >= 0
        return np.arange(n0, pop.n)

    def _initial_state(self) -> Residents:
        pop, p = self.pop, self.params
        res = Residents.empty(pop.n)
        res.band = age_band(pop.age)
        res.activity = pop.activity.copy()
        res.marital = pop.marital.copy()
        res.group = self.groups.of_resident
        u = self.streams.get("initial_state").random((4, pop.n), dtype=np.float32)
        z = self.streams.get("traits").standard_normal(pop.n, dtype=np.float32)
        lp = p.loneliness
        res.trait = (np.float32(lp.baseline) + np.float32(lp.trait_sd) * z).astype(np.float32)
        res.latent = res.trait.copy()
        c = p.contacts
        res.need = contact_need(pop.age, c.need_base, c.need_decline)
        res.cohabitants = (pop.household_size[pop.household] - 1).astype(np.int16)
        res.partner_home = pop.partner >= 0
        kin_rng = self.streams.get("kin")
        # never-married older residents have no children: fewer relatives living apart
        childless = (pop.marital == Marital.NEVER) & (pop.age >= 50)
        mean = np.where(childless, c.kin_mean * c.kin_never_married, c.kin_mean)
        kin = poisson_from_uniform(kin_rng.random(pop.n, dtype=np.float32), mean, k_max=20)
        res.kin = np.where(pop.age >= 16, kin, 0)
        res.kin = res.kin.astype(np.int8)
        res.rely_on = res.partner_home | (res.kin > 0)
        res.limited = u[0] < np.asarray(p.events.mobility_limited, np.float32)[res.band]
        res.community = (u[1] < np.asarray(p.contacts.community_share, np.float32)[res.band]) & (
            pop.age >= 16
        )
        res.teleworker = (res.activity == Activity.EMPLOYED) & (u[2] < p.contacts.telework_share)
        return res

    def stream(self, name: str) -> np.random.Generator:
        """Generator of the named stream for the current step.

        Repeated calls in one step return the same generator, so draws continue its sequence.
        """
        if self._stream_step != self.step_index:
            self._stream_cache = {}
            self._stream_step = self.step_index
        if name not in self._stream_cache:
            self._stream_cache[name] = self.streams.get(name, self.step_index)
        return self._stream_cache[name]

    def new_workplace(self, residents: np.ndarray) -> np.ndarray:
        """A random workplace in each resident's home municipality (-1 if it has none)."""
        if residents.size == 0:
            return np.zeros(0, np.int32)
        m = self.pop.municipality[residents]
        u = self.stream("hiring").random(residents.size)
        cnt = self._work_count[m]
        pick = self._work_start[m] + np.floor(u * cnt).astype(np.int64)
        out = self._work_by_muni[np.minimum(pick, max(self._work_by_muni.size - 1, 0))]
        return np.where(cnt > 0, out, -1).astype(np.int32)

    def socially_active(self) -> np.ndarray:
        """Residents who take part in some social activity (community group or a venue)."""
        return self.res.community | (self.svc.venue >= 0)

    def step(self) -> None:
        """Advance one week: every row of :data:`sim.engine.plan.PLAN` that is due, in order."""
        for row in PLAN:
            if row.cadence.due(self):
                self.processes[row.name](self)

    def run_all(self) -> None:
        """Run the burn-in and the whole horizon, then finalize."""
        for _ in iter_weeks(self):
            pass
        self.finalize()

    def finalize(self) -> None:
        """Call every component's ``finalize`` once (after the last week of a whole run)."""
        if self._finalized:
            return
        self._finalized = True
        for c in self.components.values():
            c.finalize(self)


class Stepped(Protocol):
    """A model :func:`iter_weeks` can step: a clock in weeks, a configuration and ``step()``."""

    week: int
    cfg: Any

    def step(self) -> None:
        """Advance one week."""
        ...


def iter_weeks(
    model: Stepped, until: int | None = None, *, weeks: int | None = None
) -> Iterator[int]:
    """Step ``model`` one week at a time, yielding the week just simulated.

    The one stepping loop: :func:`run`, calibration, the dashboard, the benchmark and the
    reference step models through it. Weeks count from the policy start (the burn-in is
    negative), so ``until=0`` runs the burn-in.

    Args:
        model: a model (``LonelinessModel`` or the reference model).
        until: stop when the model's clock shows this week (the weeks before it are
            simulated). Default: the end of the horizon (``cfg.years * 52``).
        weeks: instead of ``until``, simulate this many weeks from now.

    Yields:
        The week each step simulated.
    """
    if weeks is not None:
        if until is not None:
            raise ValueError("give until or weeks, not both")
        until = model.week + weeks
    elif until is None:
        until = model.cfg.years * 52
    while model.week < until:
        model.step()
        yield model.week - 1


def _latest(measure: str):
    return lambda m: m.recorder.latest.get(measure, np.nan)


def record_weeks(start_date: str, years: int) -> np.ndarray:
    """Weeks (0 = start) that fall in the first seven days of a calendar month."""
    start = dt.date.fromisoformat(start_date)
    weeks = np.arange(years * 52)
    days = [(start + dt.timedelta(weeks=int(w))).day for w in weeks]
    return weeks[np.asarray(days) <= 7]


@dataclass
class Results:
    """What one run returns.

    Attributes:
        table: tidy long time series (week, date, measure, dimension, group, value, n).
        config: the configuration that produced it.
        region: the region simulated.
        n_residents: number of simulated residents at the start.
        counts: event and tie-turnover counts over the run.
        model: the finished model (kept only when asked for).
    """

    table: pd.DataFrame
    config: RunConfig
    region: Region
    n_residents: int
    counts: dict = field(default_factory=dict)
    model: LonelinessModel | None = None


def run(
    cfg: RunConfig,
    *,
    region: Region | None = None,
    scenario: Scenario | None = None,
    keep_model: bool = False,
) -> Results:
    """Run one simulation from a validated configuration.

    Args:
        cfg: the run configuration (its ``seed`` fixes every random draw).
        region: a pre-loaded region (saves reloading in ensembles).
        scenario: a pre-loaded scenario (otherwise loaded from ``cfg.scenario``).
        keep_model: return the finished model too (for network statistics and tests).

    Returns:
        The run's results.
    """
    model = LonelinessModel(cfg, region, scenario)
    model.run_all()
    table = model.recorder.table(model.start_date)
    counts = {
        "events": model.counts["events"].tolist(),
        "ties_formed": int(model.counts["ties_formed"]),
        "ties_lost": int(model.counts["ties_lost"]),
        "friendship_ties_final": model.friends.n_edges,
        "neighbour_ties": int(model.nb_edges.shape[0]),
        "work_school_groups": model.groups.n,
        "burn_in": model.counts.get("burn_in", {"weeks": 0, "stationary": None}),
    }
    if "demography" in model.counts:
        counts["demography"] = {k: int(v) for k, v in model.counts["demography"].items()}
    n = model.n_start  # residents at the start (with demography, slots include inactive ones)
    return Results(table, cfg, model.region, n, counts, model if keep_model else None)
