"""The experiments' job for the one :class:`~experiments.backends.Evaluator`, and run times.

:class:`Context` is what every run of an experiment shares; a task is a
:class:`~experiments.design.RunSpec` and its result a :class:`RunOutput` (one flat row, the
monthly series, an optional summary). The evaluator itself and its serial, process-pool and Dask
back-ends live in :mod:`experiments.backends` (EMA Workbench's shape: initialize, evaluate,
finalize) and are importable from here; the calibration evaluates its own job
(:class:`calibration.evaluation.CalibrationJob`) with the same evaluators.

A run depends only on its spec (seed and values) and the context, never on the worker that runs
it, so every back-end gives the same numbers bit for bit. An exception inside a run is caught
and returned as that run's ``error``; the sweep goes on.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from experiments import outcomes as oc
from experiments.backends import (
    DaskEvaluator,
    Evaluator,
    Job,
    ProcessPoolEvaluator,
    SerialEvaluator,
    batches,
    make_evaluator,
    run_batch,
)
from experiments.design import RunSpec, apply_levers, apply_values
from sim.config import RunConfig
from sim.engine.model import Results, run
from sim.policy.scenario import Scenario
from sim.world.region import Region

# Seconds a run takes, to size batches and to say how long a job will take before it starts:
# set-up (fixed, and per resident), then every week a fixed part, a part per municipality and a
# part per resident. Measured on this machine class (2026, two cores shared): Tottori (19
# municipalities) at population.scale=0.01 years=1 burn_in_weeks=4 (5,534 residents): 0.99 s;
# at 0.05 years=2 (27,670 residents, 208 weeks): 4.75 s; region=japan (1,741 municipalities)
# population.scale=0.0005 years=1 (63,073 residents, 156 weeks): 19.5 s; and the 10k-1M rows
# of docs/benchmarks.md (set-up 0.33-12.1 s, 0.012-0.53 s a week). The model below is within
# 10% of each.
RUN_OVERHEAD_S = 0.3
SETUP_S_PER_RESIDENT = 1.2e-5
WEEK_S = 0.006
WEEK_S_PER_MUNICIPALITY = 5.0e-5
#: Engine speed once set up (resident-steps/s).
STEPS_PER_SECOND = 2.0e6

__all__ = [
    "Context",
    "DaskEvaluator",
    "Evaluator",
    "Job",
    "ProcessPoolEvaluator",
    "RunOutput",
    "SerialEvaluator",
    "batches",
    "estimate_run_seconds",
    "estimate_seconds",
    "make_evaluator",
    "run_batch",
    "run_one",
]


@dataclass
class Context(Job):
    """The experiments' job: what every run shares (sent once per batch; a few tens of kB).

    A task is a :class:`~experiments.design.RunSpec`; its result a :class:`RunOutput`.

    Attributes:
        base: the composed base configuration (seed and varied values are set per run).
        region: the pre-loaded region.
        scenarios: the pre-loaded packages by name (the baseline included).
        outcomes: names of the outcomes to reduce each run to.
        series: also return the monthly whole-region survey series.
        summarise: optional module-level function ``f(results) -> object`` computed in the
            worker and returned as :attr:`RunOutput.summary` (small tables of a run, e.g. the
            wide-area experiment's per-municipality shares).
    """

    base: RunConfig
    region: Region
    scenarios: dict[str, Scenario]
    outcomes: list[str]
    series: bool = True
    summarise: Callable[[Results], object] | None = None

    def run(self, state: object, task: RunSpec) -> RunOutput:
        """Run one spec (:func:`run_one`); nothing is prepared per worker."""
        return run_one(self, task)

    def seconds_per_task(self) -> float:
        """Seconds per run (:func:`estimate_run_seconds`)."""
        return estimate_run_seconds(self)


@dataclass
class RunOutput:
    """The result of one run: a flat row (spec, values, outcomes, error), series and summary."""

    row: dict
    series: pd.DataFrame | None = field(default=None, repr=False)
    summary: object = field(default=None, repr=False)


def run_one(ctx: Context, spec: RunSpec) -> RunOutput:
    """Run one spec; any exception becomes the row's ``error`` (outcomes NaN)."""
    t0 = time.perf_counter()
    values = {f"x.{k}": float(v) for k, v in spec.values.items()}
    row = {"run_id": spec.run_id, "package": spec.package, "sample": spec.sample,
           "replicate": spec.replicate, "seed": spec.seed, **values}  # fmt: skip
    try:
        cfg = apply_values(ctx.base, spec.values, spec.seed)
        scenario = apply_levers(ctx.scenarios[spec.package], spec.values)
        res = run(cfg, region=ctx.region, scenario=scenario)
        row.update(oc.reduce(res, ctx.outcomes))
        row.update(n_residents=int(res.n_residents), error="")
        series = oc.survey_series(res) if ctx.series else None
        summary = ctx.summarise(res) if ctx.summarise is not None else None
    except Exception as exc:  # recorded in the store; the sweep goes on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        row.update({name: np.nan for name in ctx.outcomes})
        row.update(
            n_residents=-1,
            error=f"{type(exc).__name__}: {exc} ({where.filename}:{where.lineno})",
        )
        series = summary = None
    row["elapsed_s"] = time.perf_counter() - t0
    return RunOutput(row, series, summary)


def estimate_seconds(residents: float, municipalities: int, weeks: int) -> float:
    """Seconds one run takes on one core (measured constants above; within about 10%).

    Args:
        residents: simulated residents.
        municipalities: municipalities of the region.
        weeks: weeks simulated (burn-in included).
    """
    setup = RUN_OVERHEAD_S + SETUP_S_PER_RESIDENT * residents
    week = WEEK_S + WEEK_S_PER_MUNICIPALITY * municipalities + residents / STEPS_PER_SECOND
    return setup + weeks * week


def estimate_run_seconds(ctx: Context) -> float:
    """Seconds per run of an experiment, from its population, municipalities and weeks.

    Sizes batches before any run has finished, and says how long a job will take.
    """
    residents = float(ctx.region.municipalities["pop_total"].sum()) * ctx.base.population.scale
    weeks = ctx.base.burn_in_weeks + 52 * ctx.base.years
    return estimate_seconds(residents, len(ctx.region.municipalities), weeks)
