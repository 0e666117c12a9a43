"""The pieces pyabc runs on: replicate evaluations, the model it calls and the batch sampler.

Split from :mod:`calibration.smc` (which explains the design): the engine's constants, the store
key of a parameter set, :class:`ReplicateJob` (one particle on the fixed replicate seeds),
:class:`Engine` (the model pyabc calls, filling the evaluation store), the deterministic
``BatchSampler``, the floored quantile threshold and :func:`noise_floor` (the seed-noise level).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calibration.abc import Prior, distance
from calibration.evaluation import CalibrationJob, Prepared, Task

#: options of ``tsunagari calibrate`` added by the pyabc engine (with their defaults)
PYABC_OPTIONS = {"replicates": "1", "distance": "standardised", "eps_floor": "auto"}
#: parameter sets from the prior that measure the seed-noise floor (``eps_floor=auto``)
NOISE_DRAWS = 20
#: the floor is this quantile of the seed-noise distances
NOISE_LEVEL = 0.9
#: posterior draws written into the calibrated set (``posterior:``)
POSTERIOR_DRAWS = 200
#: seed of replicate r is the run's seed + REPLICATE_STRIDE * r (away from the report's 43, 44)
REPLICATE_STRIDE = 1000
#: acceptance rate assumed for sizing a generation's first batch before one is measured
FIRST_RATE = 0.3


def pyabc_name(name: str) -> str:
    """A parameter name pyabc can store as a column (``a.b[1]`` -> ``a__b_1``)."""
    return re.sub(r"[^0-9A-Za-z_]", "_", name.replace(".", "__"))


def task_key(values: dict[str, float]) -> str:
    """Store key of one parameter set: a hash of its exact values (names sorted)."""
    text = json.dumps(sorted((k, float(v)) for k, v in values.items()))
    return "p:" + hashlib.sha256(text.encode()).hexdigest()[:24]


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The fixed seeds every particle is evaluated on (common random numbers)."""
    return [int(seed) + REPLICATE_STRIDE * r for r in range(int(replicates))]


@dataclass
class ReplicateJob(CalibrationJob):
    """A :class:`CalibrationJob` evaluated on several fixed seeds; values are their mean.

    Each worker builds one population per seed once. The record holds the mean of every target
    value over the replicates, the distance of that mean, the mean thresholds and UCLA cuts
    (what a calibrated set stores), and each replicate's own distance.
    """

    seeds: tuple[int, ...] = field(default_factory=tuple)

    def prepare(self) -> list[Prepared]:
        """One prepared configuration, region and population per replicate seed."""
        return [
            CalibrationJob([*self.overrides, f"seed={s}"], self.targets).prepare()
            for s in self.seeds
        ]

    def run(self, state: list[Prepared], task: Task) -> dict:
        """Evaluate ``task`` on every replicate and average."""
        t0 = time.perf_counter()
        recs = [CalibrationJob.run(self, st, task) for st in state]
        keys = recs[0]["values"].keys()
        values = {k: float(np.mean([r["values"].get(k, np.nan) for r in recs])) for k in keys}
        out = dict(recs[0])
        out["values"] = values
        out["distance"] = distance(values, state[0].targets)
        out["thresholds"] = np.mean([r["thresholds"] for r in recs], axis=0).tolist()
        out["ucla_cuts"] = np.mean([r["ucla_cuts"] for r in recs], axis=0).tolist()
        out["replicate_distances"] = [r["distance"] for r in recs]
        out["seeds"] = list(self.seeds)
        out["seconds"] = time.perf_counter() - t0
        return out


class Pending(Exception):
    """Raised by the model while a batch is being collected: this proposal is not evaluated."""

    def __init__(self, key: str, values: dict[str, float]) -> None:
        super().__init__(key)
        self.key, self.values = key, values


class Engine:
    """The model pyabc calls, the store of evaluations and the evaluator that fills it.

    Args:
        prior: the parameters and their uniform ranges.
        targets: the targets table (its ``fit`` rows are the summary statistics).
        job: the evaluation job (one record per parameter set).
        store: where evaluations are kept (keyed by :func:`task_key`).
        evaluator: a started :class:`experiments.backends.Evaluator`.
        progress: callback after each evaluation stored (``None``: nothing).
    """

    def __init__(self, prior, targets, job, store, evaluator, progress=None) -> None:
        self.prior, self.targets, self.job, self.store = prior, targets, job, store
        self.ev, self.progress = evaluator, progress
        self.fit = targets.loc[targets["role"] == "fit", "target"].tolist()
        self.names = {pyabc_name(n): n for n in prior.names}
        self.collecting = False
        self.evaluations = 0  # evaluations run in this session (not resumed ones)

    def values(self, pars) -> dict[str, float]:
        """Parameter values by project name from a pyabc parameter."""
        return {name: float(pars[p]) for p, name in self.names.items()}

    def __call__(self, pars) -> dict[str, float]:
        """The model pyabc calls: the summary statistics (fit targets) of one parameter set."""
        values = self.values(pars)
        key = task_key(values)
        rec = self.store.get(key)
        if rec is None:
            if self.collecting:
                raise Pending(key, values)
            self.run({key: values})
            rec = self.store.get(key)
        return {t: float(rec["values"].get(t, np.nan)) for t in self.fit}

    def run(self, todo: dict[str, dict[str, float]], network: bool = False) -> None:
        """Evaluate the parameter sets not in the store yet, storing each as it finishes."""
        tasks = [Task(k, v, network) for k, v in todo.items() if k not in self.store]
        for rec in self.ev.evaluate(self.job, tasks):
            self.store.append(rec)
            self.evaluations += 1
            if self.progress:
                self.progress()

    def distance(self, x: dict, x_0: dict) -> float:
        """The project's standardised distance (``x_0`` is held by the targets table)."""
        return distance(x, self.targets)


def _pyabc():
    """Import pyabc quietly (its INFO logging replaced by the engine's own lines)."""
    import pyabc

    for name in ("ABC", "pyabc", "Sampler", "History", "Epsilon", "Distance", "Acceptor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return pyabc


def _sampler_class():
    pyabc = _pyabc()

    class BatchSampler(pyabc.sampler.Sampler):
        """Deterministic batches: collect proposals, evaluate them in parallel, replay in order.

        numpy's legacy global state (which pyabc draws from) is seeded from
        ``(seed, generation)`` for the generation and restored afterwards. The model is called
        only after the proposal's draws and nothing random follows it (uniform acceptor), so
        the replay draws exactly the collected proposals.
        """

        def __init__(self, engine: Engine, seed: int, workers: int, status) -> None:
            super().__init__()
            self.engine, self.seed, self.workers, self.status = engine, seed, workers, status
            self.rate = FIRST_RATE

        def batch(self, missing: int, all_accepted: bool) -> int:
            """Proposals of the next batch, in multiples of the workers.

            About 0.6 of the proposals still expected to be needed, at least one per worker, so
            little is evaluated past the last particle needed (and that stays in the store).
            """
            rate = 1.0 if all_accepted else max(self.rate, 0.02)
            want = math.ceil(missing / rate) if all_accepted else math.ceil(0.6 * missing / rate)
            return self.workers * max(1, math.ceil(want / self.workers))

        def sample_until_n_accepted(
            self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
        ):
            if ana_vars is not None:
                self.status.eps = float(ana_vars.eps(t))
                # an infinite threshold (generation 1) accepts every proposal
                all_accepted = all_accepted or not math.isfinite(self.status.eps)
            saved = np.random.get_state()  # noqa: NPY002 (pyabc draws from it)
            np.random.seed([self.seed, t + 1, 20240])  # noqa: NPY002
            sample = self._create_empty_sample()
            n_sim = 0
            eng = self.engine
            try:
                while sample.n_accepted < n and n_sim < max_eval:
                    size = self.batch(n - sample.n_accepted, all_accepted)
                    start = np.random.get_state()  # noqa: NPY002 (pyabc draws from it)
                    todo: dict[str, dict[str, float]] = {}
                    eng.collecting = True
                    try:
                        for _ in range(size):
                            try:
                                simulate_one()
                            except Pending as p:
                                todo[p.key] = p.values
                    finally:
                        eng.collecting = False
                    eng.run(todo)
                    np.random.set_state(start)  # noqa: NPY002
                    for _ in range(size):
                        particle = simulate_one()
                        sample.append(particle)
                        n_sim += 1
                        self.status(t, n, sample.n_accepted, n_sim)
                        if sample.n_accepted >= n:
                            break
            finally:
                np.random.set_state(saved)  # noqa: NPY002
            if not all_accepted:
                self.rate = max(sample.n_accepted / max(n_sim, 1), 0.01)
            self.nr_evaluations_ = n_sim
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return BatchSampler


def _floored(pyabc):
    class FlooredQuantileEpsilon(pyabc.QuantileEpsilon):
        """pyabc's quantile threshold, never below ``floor`` (the model's seed-noise level)."""

        def __init__(self, floor: float, **kw) -> None:
            super().__init__(**kw)
            self.floor = float(floor)

        def initialize(self, t, get_weighted_distances, *args, **kw) -> None:
            # a reloaded history (resumed or continued run): the threshold of generation t from
            # generation t-1, as an uninterrupted run computes it (pyabc would use the initial)
            if t > 0 and not self._look_up:
                self._update(t, get_weighted_distances())
                return
            super().initialize(t, get_weighted_distances, *args, **kw)

        def __call__(self, t: int) -> float:
            return max(super().__call__(t), self.floor)

    return FlooredQuantileEpsilon


def noise_floor(
    job, data_job, prior: Prior, targets: pd.DataFrame, ev, store, *, draws: int = 20,
    level: float = 0.9, seed: int = 1,
) -> tuple[float, np.ndarray]:  # fmt: skip
    """The distance seed noise alone makes: the threshold's floor.

    For ``draws`` parameter sets from the prior (stream ``calibration_noise_floor``), the
    distance between the evaluation (``job``: the calibration's seeds) and the same parameters
    run on another seed (``data_job``), the latter standing in for the survey. Its ``level``
    quantile is a distance that the right parameters would exceed only ``1 - level`` of the
    time, so a threshold below it would reject them because of seed noise alone.

    Both are kept in ``store`` (the other seed's under ``noise:KEY``), so a resumed run does not
    repeat them.

    Returns:
        The floor and the ``draws`` distances.
    """
    from sim.core.rng import Streams

    theta = prior.sample(draws, Streams(seed).get("calibration_noise_floor"))
    todo = {}
    for th in theta:
        values = dict(zip(prior.names, map(float, th), strict=True))
        todo[task_key(values)] = values
    missing = [Task("noise:" + k, v) for k, v in todo.items() if "noise:" + k not in store]
    for rec in ev.evaluate(data_job, missing):
        store.append(rec)
    missing = [Task(k, v) for k, v in todo.items() if k not in store]
    for rec in ev.evaluate(job, missing):
        store.append(rec)
    other = {k: store.get("noise:" + k) for k in todo}
    d = []
    fit = targets["role"] == "fit"
    for k in todo:
        t = targets.copy()
        t.loc[fit, "value_pct"] = [other[k]["values"].get(x, np.nan) for x in t.loc[fit, "target"]]
        d.append(distance(store.get(k)["values"], t))
    d = np.asarray(d, float)
    return float(np.quantile(d[np.isfinite(d)], level)), d
