"""The calibration's job for the one evaluator: what a worker builds once, and one evaluation.

An evaluation is one parameter set run to the first week of December and surveyed like the
national survey (:mod:`calibration.survey`), with the calibration's one simulation seed (common
random numbers). Each worker composes the configuration, loads the region, synthesizes the
population and reads the targets once (:meth:`CalibrationJob.prepare`); every evaluation starts
a model from that population, which it only reads. :class:`CalibrationJob` is evaluated by the
same serial, process-pool or Dask evaluators as the experiments
(:mod:`experiments.backends`), so the numbers do not depend on the back-end.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from calibration.abc import distance
from calibration.store import EvaluationStore
from experiments.backends import Evaluator, Job, make_evaluator


class Task(NamedTuple):
    """One evaluation to make.

    Attributes:
        key: the store key, ``g<generation>:<index>`` or ``final:mean`` / ``final:best``.
        values: parameter name -> value.
        network: also measure the friendship network and the group sizes (final sets).
    """

    key: str
    values: dict[str, float]
    network: bool = False


@dataclass
class Prepared:
    """What a worker builds once: configuration, region, population and targets."""

    cfg: object
    region: object
    population: object
    targets: pd.DataFrame


@dataclass
class CalibrationJob(Job):
    """Evaluations of one calibration: tasks are :class:`Task`, results store records.

    Attributes:
        overrides: the configuration overrides every evaluation starts from.
        targets: path of the targets CSV.
        seconds: about how long one evaluation takes (sizes the batches).
    """

    overrides: list[str]
    targets: str
    seconds: float = 1.0

    def prepare(self) -> Prepared:
        """Compose the configuration, load region and targets, synthesize the population."""
        from calibration.survey import load_targets
        from sim.config import compose_config, load_configured_region
        from sim.core.rng import Streams
        from sim.world.population import synthesize

        # calibration fits the 2020 population as it is: demography held static
        cfg = compose_config(["demography=static", *self.overrides], check_region=False)
        region = load_configured_region(cfg)
        population = synthesize(region, cfg.population, Streams(cfg.seed))
        return Prepared(cfg, region, population, load_targets(self.targets))

    def run(self, state: Prepared, task: Task) -> dict:
        """One evaluation: run to December, survey, fit thresholds, measure every target."""
        from calibration.survey import measure, run_to_december, survey, with_values

        t0 = time.perf_counter()
        targets = state.targets
        national = targets[targets["role"] != "holdout_tottori"]
        model = run_to_december(with_values(state.cfg, task.values), state.region, state.population)
        answers = survey(model, targets)
        vals = measure(model, answers, national)
        rec = {
            "key": task.key,
            "params": task.values,
            "values": vals,
            "distance": distance(vals, targets),
            "thresholds": answers.thresholds,
            "ucla_cuts": answers.ucla_cuts,
        }
        if task.network:
            from calibration.network import network_stats
            from calibration.survey import group_sizes

            rec["network"] = network_stats(model, answers.category >= 3)
            rec["n"] = group_sizes(model, national)
        rec["seconds"] = time.perf_counter() - t0
        return rec

    def seconds_per_task(self) -> float:
        """Seconds per evaluation (:func:`evaluation_seconds`)."""
        return self.seconds


@dataclass
class SurveyRunJob(Job):
    """The fit report's checks (held-out region, larger scale, other seeds).

    Each task ``(label, overrides, targets)`` is one configuration, built in full with its own
    population, run to December and surveyed with its own thresholds; its result is
    ``(label, {target: value})``.
    """

    seconds: float = 60.0

    def run(self, state: object, task: tuple[str, list[str], pd.DataFrame]) -> tuple[str, dict]:
        """Run one check (:func:`survey_run`)."""
        label, overrides, targets = task
        return label, survey_run(overrides, targets)

    def seconds_per_task(self) -> float:
        """Seconds per check (long: one check per batch)."""
        return self.seconds


def survey_run(overrides: list[str], targets: pd.DataFrame) -> dict[str, float]:
    """One run of a configuration to December, surveyed with its own (calibrated) thresholds."""
    from calibration.survey import measure, run_to_december, survey
    from sim.config import compose_config, load_configured_region
    from sim.core.rng import Streams
    from sim.world.population import synthesize

    cfg = compose_config(["demography=static", *overrides], check_region=False)
    region = load_configured_region(cfg)
    pop = synthesize(region, cfg.population, Streams(cfg.seed))
    model = run_to_december(cfg, region, pop)
    return measure(model, survey(model, targets, fit=False), targets)


def evaluator_for(opts: dict[str, str]) -> Evaluator:
    """The evaluator ``executor`` names: ``process`` (serial with one worker) or ``dask``.

    The process pool is :func:`sim.core.lifeline.worker_pool`, the one every command uses: its
    workers end when this process dies, so a killed calibration leaves no workers behind.
    """
    workers = int(opts["workers"])
    kind = opts.get("executor", "process")
    if kind == "process" and workers == 1:
        kind = "serial"
    return make_evaluator(kind, workers=workers, address=opts.get("executor.address") or None)


def evaluation_seconds(cfg, region, store: EvaluationStore | None = None) -> tuple[float, bool]:
    """Seconds one evaluation takes on one worker, and whether it was measured.

    Measured: the median ``seconds`` of the evaluations already in the store (a resumed
    calibration). Otherwise the per-run estimate of the experiments
    (:func:`experiments.evaluators.estimate_seconds`) for the weeks up to the first December.

    Args:
        cfg: the composed configuration of the evaluations.
        region: the loaded region.
        store: the calibration's store (None: nothing measured yet).
    """
    from calibration.survey import december_week
    from experiments.evaluators import estimate_seconds
    from sim.world.population import simulated_residents

    done = [r.get("seconds") for r in (store.records.values() if store else [])]
    done = [float(x) for x in done if isinstance(x, int | float) and math.isfinite(x)]
    if done:
        return float(np.median(done)), True
    residents = float(simulated_residents(region.municipalities, cfg.population).sum())
    weeks = cfg.burn_in_weeks + december_week(cfg.start_date) + 1
    return estimate_seconds(residents, len(region.municipalities), weeks), False
