"""ABC-SMC calibration with pyabc: a deterministic batch sampler over the project's evaluators.

pyabc (Schälte et al. 2022, https://pyabc.readthedocs.io) runs the ABC-SMC: the uniform prior of
``calibration/parameters.yaml``, a multivariate normal perturbation kernel fitted to the last
generation (Silverman bandwidth), importance weights, a threshold that is the weighted
``quantile`` (alpha) of the last generation's distances (:class:`pyabc.QuantileEpsilon`), and the
history of every generation in SQLite (``calibration/runs/NAME/pyabc/history.db``).

What the project adds:

- **Evaluation.** A particle is evaluated by the calibration's own job
  (:class:`calibration.evaluation.CalibrationJob`: one run to the first December, surveyed like
  the national survey), on each of ``replicates`` seeds (:class:`ReplicateJob`); the summary
  statistics are the mean of the replicates' target values. The replicate seeds are the same
  for every particle (common random numbers), so seed noise shifts every particle alike and does
  not decide their ranking; more replicates average it out.
- **Distance.** ``distance=standardised`` (default): the project's weighted RMS of standardised
  errors (:func:`calibration.abc.distance`, each miss divided by the binomial sd of a 100-person
  survey), fixed for the whole run, so the threshold sequence is comparable between generations
  and a resumed run is identical. ``distance=adaptive``: :class:`pyabc.AdaptivePNormDistance`
  (p = 2, each target scaled by the MAD of its simulated values, refitted each generation).
- **Sampler.** :class:`BatchSampler` draws proposals from pyabc's kernel with a numpy state
  seeded from ``(abc_seed, generation)``, evaluates a batch of them at once on the project's
  evaluators (``workers=N`` processes, or ``executor=dask executor.address=...``: a Dask
  cluster), then replays the same draws in order and keeps the first ``particles`` accepted.
  Which particles a generation keeps therefore depends on the seed only, never on the number of
  workers, the batch size or the order in which evaluations finish.
- **Resumption.** Every finished evaluation is appended to ``evaluations.jsonl`` (fsynced,
  :class:`calibration.store.EvaluationStore`) under a key of its parameter values. After a
  SIGKILL, the same command reloads the pyabc history (finished generations), redraws the
  interrupted generation's proposals from the same seed, finds the evaluations already made and
  runs only the missing ones: nothing is lost and the result is the same as without the kill.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.abc import Generation, Prior, distance, ess, load_prior
from calibration.evaluation import CalibrationJob, Prepared, Task, evaluation_seconds
from calibration.store import EvaluationStore, atomic_write
from sim.core.params import ConfigError
from sim.core.progress import Progress, duration, plan_line

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


def generation_table(history) -> pd.DataFrame:
    """``generation, epsilon, ess, particles, evaluations, acceptance`` of each generation."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    rows = []
    for r in pops.itertuples():
        wd = history.get_weighted_distances(t=int(r.t))
        w = wd["w"].to_numpy(float)
        w = w / w.sum()
        rows.append(
            {
                "generation": int(r.t) + 1,
                "epsilon": float(r.epsilon),
                "ess": ess(w),
                "particles": int(r.particles),
                "evaluations": int(r.samples),
                "acceptance": int(r.particles) / max(int(r.samples), 1),
                "best_distance": float(wd["distance"].min()),
                "median_distance": float(wd["distance"].median()),
            }
        )
    return pd.DataFrame(rows)


def to_generation(history, t: int, prior: Prior) -> Generation:
    """Generation ``t`` of the pyabc history as the report's :class:`Generation`."""
    df, w = history.get_distribution(m=0, t=t)
    theta = df[[pyabc_name(n) for n in prior.names]].to_numpy(float)
    wd = history.get_weighted_distances(t=t)
    eps = float(history.get_all_populations().set_index("t").loc[t, "epsilon"])
    w = np.asarray(w, float)
    return Generation(
        t,
        eps,
        theta,
        wd["distance"].to_numpy(float),
        accepted=np.arange(theta.shape[0]),
        weights=w / w.sum(),
    )


def convergence(gens: pd.DataFrame, summary: pd.DataFrame | None = None) -> list[str]:
    """The issue's convergence criteria, each with its measured value and a verdict."""
    out = []
    last = gens.iloc[-1]
    ok = last["ess"] >= 200 or last["ess"] >= 0.5 * last["particles"]
    out.append(
        f"ESS of the last generation {last['ess']:.1f} of {int(last['particles'])} "
        f"(needs >= 200 or >= 50%): {'met' if ok else 'NOT met'}"
    )
    if len(gens) >= 3 and np.isfinite(gens["epsilon"].iloc[-3]):
        e = gens["epsilon"].to_numpy(float)
        change = abs(e[-1] - e[-3]) / e[-3]
        out.append(
            f"epsilon over the last two generations {e[-3]:.4f} -> {e[-1]:.4f} "
            f"({100 * change:.1f}%, needs < 5%): {'met' if change < 0.05 else 'NOT met'}"
        )
    else:
        out.append("epsilon change over the last two generations: fewer than 3 finite epsilons")
    if summary is not None:
        bad = summary[summary["sd_ratio"] >= 0.5]["parameter"].tolist()
        out.append(
            "posterior sd under 0.5 of the prior sd for "
            f"{len(summary) - len(bad)} of {len(summary)} parameters"
            + (f" (not: {', '.join(b.rsplit('.', 1)[-1] for b in bad)})" if bad else "")
        )
    return out


def check_options(opts: dict) -> None:
    """Refuse bad pyabc options in one line, before any work starts."""
    r = opts.get("replicates", "1")
    if not r.isdigit() or not 1 <= int(r) <= 20:
        raise ConfigError(f"replicates: expected an integer from 1 to 20, got '{r}'")
    floor = opts.get("eps_floor", "auto")
    if floor not in ("auto", "none"):
        try:
            ok = float(floor) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(f"eps_floor: expected auto, none or a number >= 0, got '{floor}'")
    if opts.get("distance", "standardised") not in ("standardised", "adaptive"):
        raise ConfigError(
            f"distance: unknown distance '{opts['distance']}' (choose: standardised, adaptive)"
        )


class _Status:
    """Live line (terminal) and log lines of the sampler: generation, epsilon, acceptance."""

    def __init__(self, n_gen: int, n: int, per_eval: float, workers: int, log) -> None:
        self.n_gen, self.n, self.per_eval, self.workers, self.log = n_gen, n, per_eval, workers, log
        self.eps = math.inf
        self.rate = FIRST_RATE
        self.progress = Progress(1, label="calibrate:")
        self.t0 = time.monotonic()

    def left(self, t: int, accepted: int, rate: float) -> float:
        """Seconds left: this generation's missing particles, then the later generations."""
        rate = max(rate, 0.01)
        evals = (self.n - accepted) / rate + (self.n_gen - t - 1) * self.n / rate
        return evals * self.per_eval / max(1, min(self.workers, os.cpu_count() or 1))

    def __call__(self, t: int, n: int, accepted: int, n_sim: int) -> None:
        rate = accepted / n_sim if t > 0 and n_sim >= 10 else self.rate
        p = self.progress
        if not (p.show and p.tty):
            return
        eps = "inf" if not math.isfinite(self.eps) else f"{self.eps:.4f}"
        text = (
            f"calibrate: generation {t + 1}/{self.n_gen}, epsilon {eps}, accepted {accepted}/{n} "
            f"of {n_sim} ({100 * accepted / max(n_sim, 1):.0f}%), "
            f"about {duration(self.left(t, accepted, rate))} left"
        )
        p.stream.write("\r" + text + "   ")
        p.stream.flush()
        p._open = True

    def generation(self, row: dict, t: int) -> None:
        """One line per finished generation."""
        self.progress.close()
        self.rate = row["acceptance"] if t > 0 else self.rate
        self.log(
            f"generation {int(row['generation'])}/{self.n_gen}: epsilon {row['epsilon']:.4f}, "
            f"accepted {int(row['particles'])}/{int(row['evaluations'])} "
            f"({100 * row['acceptance']:.1f}%), ESS {row['ess']:.1f}, "
            f"best distance {row['best_distance']:.3f}; "
            f"{duration(time.monotonic() - self.t0)} so far, "
            f"about {duration(self.left(t, self.n, self.rate))} left"
        )


def abc_smc(
    job,
    prior: Prior,
    targets: pd.DataFrame,
    store: EvaluationStore,
    ev,
    *,
    n_gen: int,
    n: int,
    quantile: float,
    seed: int,
    kind: str = "standardised",
    workers: int = 1,
    per_eval: float = 1.0,
    eps_floor: float = 0.0,
    log=print,
):
    """Run (or continue) pyabc's ABC-SMC until the history holds ``n_gen`` generations.

    Args:
        job: the evaluation job (:class:`ReplicateJob`, or any job whose records hold
            ``values`` of the targets).
        prior: parameters and uniform ranges.
        targets: the targets table (``fit`` rows are fitted).
        store: the run's evaluations; its folder holds ``history.db``.
        ev: a started evaluator.
        n_gen: generations the history should hold when done.
        n: particles per generation.
        quantile: alpha of :class:`pyabc.QuantileEpsilon`.
        seed: the ABC seed (proposals depend on it and the generation only).
        kind: ``standardised`` or ``adaptive`` distance.
        workers: parallel evaluations (batch sizes are multiples of it).
        per_eval: seconds per evaluation on one worker (time left).
        eps_floor: the threshold never goes below this (the seed-noise level,
            :func:`noise_floor`; 0: no floor).
        log: where generation lines go.

    Returns:
        The pyabc history.
    """
    pyabc = _pyabc()
    status = _Status(n_gen, n, per_eval, workers, log)
    db = "sqlite:///" + str((store.folder / "history.db").resolve())
    engine = Engine(prior, targets, job, store, ev)
    sampler = _sampler_class()(engine, seed, workers, status)
    prior_pyabc = pyabc.Distribution(
        **{
            pyabc_name(k): pyabc.RV("uniform", lo, hi - lo)
            for k, lo, hi in zip(prior.names, prior.low, prior.high, strict=True)
        }
    )
    fit = targets[targets["role"] == "fit"]
    if kind == "adaptive":
        dist = pyabc.AdaptivePNormDistance(
            p=2,
            fixed_weights=dict(zip(fit["target"], fit["weight"].astype(float), strict=True)),
        )
        eps = _floored(pyabc)(eps_floor, alpha=quantile, weighted=True)
    else:
        dist = engine.distance
        eps = _floored(pyabc)(eps_floor, initial_epsilon=math.inf, alpha=quantile, weighted=True)
    abc = pyabc.ABCSMC(
        engine,
        prior_pyabc,
        dist,
        population_size=n,
        sampler=sampler,
        eps=eps,
        transitions=pyabc.MultivariateNormalTransition(),
    )
    x_0 = dict(zip(fit["target"], fit["value_pct"].astype(float), strict=True))
    if (store.folder / "history.db").exists() and _has_run(db):
        history = abc.load(db, 1)
        done = history.max_t + 1
        if done:
            log(f"calibrate: resuming after {done} stored generation(s)")
    else:
        history = abc.new(db, x_0)
        done = 0
    while done < n_gen:
        history = abc.run(max_nr_populations=1)
        done = history.max_t + 1
        status.generation(generation_table(history).iloc[-1].to_dict(), history.max_t)
    return history


def run_pyabc(opts: dict, overrides: list[str], *, out: Path | None = None, log=print) -> dict:
    """Run (or resume) the pyabc ABC-SMC calibration.

    Args:
        opts: the parsed options of ``tsunagari calibrate`` (:func:`calibration.fit.parse`),
            with ``replicates`` and ``distance``.
        overrides: run overrides after the calibration's base (``region=japan`` ...).
        out: the run folder (default ``calibration/runs/NAME``); pyabc's files go to its
            ``pyabc/`` subfolder.
        log: where progress lines go.

    Returns:
        The result the report reads (:func:`calibration.report.write_report`), plus
        ``history``, ``generation_table`` and ``engine``.
    """
    from calibration.fit import BASE, _file_hash, calibration_dir
    from calibration.survey import load_targets
    from sim.config import compose_config, load_configured_region

    check_options(opts)
    targets = load_targets(opts["targets"])
    prior = load_prior(opts["parameters"])
    base = [*BASE, *overrides]
    cfg = compose_config(base)  # configuration errors before any work
    region = load_configured_region(cfg)
    pyabc = _pyabc()
    n_gen, n = int(opts["generations"]), int(opts["particles"])
    seed, q = int(opts["abc_seed"]), float(opts["quantile"])
    reps = int(opts.get("replicates", "1"))
    kind = opts.get("distance", "standardised")
    seeds = replicate_seeds(cfg.seed, reps)
    settings = {
        "engine": "pyabc",
        "targets_sha": _file_hash(opts["targets"]),
        "parameters": prior.names,
        "low": prior.low.tolist(),
        "high": prior.high.tolist(),
        "overrides": base,
        "particles": n,
        "quantile": q,
        "abc_seed": seed,
        "seeds": seeds,
        "distance": kind,
        "eps_floor": opts.get("eps_floor", "auto"),
    }
    folder = (out or calibration_dir() / "runs" / opts["name"]) / "pyabc"
    store = EvaluationStore(folder, settings)
    per_eval, measured = evaluation_seconds(cfg, region, store)
    if not measured:
        per_eval *= reps
    workers = int(opts["workers"])
    from calibration.evaluation import evaluator_for

    job = ReplicateJob(base, opts["targets"], per_eval, seeds=tuple(seeds))
    t_start = time.perf_counter()
    floor_opt = opts.get("eps_floor", "auto")
    expected = (
        n + (n_gen - 1) * math.ceil(n / FIRST_RATE) + (NOISE_DRAWS if floor_opt == "auto" else 0)
    )
    log(
        plan_line("calibrate", todo=max(0, expected - len(store.records)), total=expected,
                  seconds_per_run=per_eval,
                  workers=workers, cores=os.cpu_count(), measured=measured, unit="evaluations")
        + f"; pyabc ABC-SMC, {n_gen} generations x {n} particles, {reps} seed(s) per particle,"
        f" the count assuming {FIRST_RATE:.0%} acceptance after generation 1"
    )  # fmt: skip
    with evaluator_for(opts) as ev:
        floor = 0.0 if floor_opt == "none" else float(floor_opt) if floor_opt != "auto" else None
        if floor is None:
            other = ReplicateJob(base, opts["targets"], per_eval / reps,
                                 seeds=(seeds[-1] + REPLICATE_STRIDE,))  # fmt: skip
            floor, noise = noise_floor(job, other, prior, targets, ev, store, draws=NOISE_DRAWS,
                                       level=NOISE_LEVEL, seed=seed)  # fmt: skip
            log(
                f"calibrate: seed-noise floor of the threshold {floor:.3f} (the {NOISE_LEVEL:.0%}"
                f" quantile of {len(noise)} distances between the model on its seeds and on "
                f"seed {seeds[-1] + REPLICATE_STRIDE}, at parameters from the prior)"
            )
        history = abc_smc(
            job, prior, targets, store, ev, n_gen=n_gen, n=n, quantile=q, seed=seed,
            kind=kind, workers=workers, per_eval=per_eval, eps_floor=floor, log=log,
        )  # fmt: skip
        last = to_generation(history, history.max_t, prior)
        mean = dict(zip(prior.names, map(float, last.mean()), strict=True))
        best_i = int(np.argmin(last.distances))
        best = dict(zip(prior.names, map(float, last.proposals[best_i]), strict=True))
        g = history.max_t + 1  # a continued run (more generations) has new final points
        finals = {f"final:mean:g{g}": mean, f"final:best:g{g}": best}
        todo = {k: v for k, v in finals.items() if k not in store}
        for rec in ev.evaluate(job, [Task(k, v, True) for k, v in todo.items()]):
            store.append(rec)
    m, b = (store.get(k) for k in finals)
    # the better-fitting point: a wide posterior's mean can fit worse than its best particle
    chosen = m if m["distance"] <= b["distance"] else b
    log(
        f"posterior mean distance {m['distance']:.3f}, best particle {b['distance']:.3f}: "
        f"calibrated set = {'posterior mean' if chosen is m else 'best particle'}"
    )
    gens = [to_generation(history, t, prior) for t in range(history.max_t + 1)]
    secs = [r["seconds"] for r in store.records.values() if "seconds" in r]
    return {
        "targets": targets,
        "prior": prior,
        "generations": gens,
        "generation_table": generation_table(history),
        "history": history,
        "store": store,
        "chosen": chosen,
        "chosen_kind": "posterior mean" if chosen is m else "best particle",
        "base": base,
        "seconds": time.perf_counter() - t_start,
        "evaluations": len(store.records),
        "eval_seconds": float(np.median(secs)) if secs else math.nan,
        "eps_floor": floor,
        "engine": f"pyabc {pyabc.__version__}, distance {kind}, {reps} replicate(s) {seeds}, "
        f"threshold floor {floor:.3f}",
    }


def _has_run(db: str) -> bool:
    """Whether the SQLite history holds a started ABC-SMC run with at least its settings."""
    from pyabc import History

    try:
        h = History(db, create=False)
        return len(h.all_runs()) > 0
    except Exception:  # a file torn before pyabc wrote its tables
        return False


def posterior_draws(result: dict, cfg, k: int = POSTERIOR_DRAWS, seed: int = 1) -> list[dict]:
    """Up to ``k`` draws of the last generation, resampled by weight (seeded).

    Each draw is a mapping of the calibrated set's override keys to values: the fitted
    parameters and the survey thresholds and UCLA cuts of that particle's evaluation.
    """
    from calibration.survey import as_overrides
    from sim.core.rng import Streams

    last, prior, store = result["generations"][-1], result["prior"], result["store"]
    rng = Streams(seed).get("calibration_posterior")
    idx = rng.choice(last.theta.shape[0], size=k, replace=True, p=last.weights)
    out = []
    for i in idx:
        values = dict(zip(prior.names, map(float, last.theta[i]), strict=True))
        rec = store.get(task_key(values))
        d = {k2: _plain(v) for k2, v in as_overrides(cfg, values).items()}
        if rec is not None:
            d["survey.thresholds"] = [round(float(v), 6) for v in rec["thresholds"]]
            d["survey.ucla_cuts"] = [round(float(v), 6) for v in rec["ucla_cuts"]]
        out.append(d)
    return out


def _plain(v):
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return round(float(v), 6) if isinstance(v, float | np.floating) else v


def write_set(path: Path, sets: dict, draws: list[dict], result: dict, opts: dict) -> None:
    """Write the calibrated set: the point (``overrides:``) and the ``posterior:`` draws."""
    import yaml

    head = (
        "# Calibrated parameter set written by `tsunagari calibrate` (do not edit by hand).\n"
        f"# targets: {Path(opts['targets']).name}; base: {' '.join(result['base'])}\n"
        f"# engine: {result['engine']}\n"
        f"# overrides: the {result['chosen_kind']} of the last ABC-SMC generation; "
        f"loss {result['chosen']['distance']:.4f}\n"
        f"# posterior: {len(draws)} draws of the last generation resampled by weight; each is a "
        "complete set of the same keys (compare samples=N can draw from them)\n"
        "# Applied before user overrides unless calibration=none (see docs/calibration.md).\n"
    )
    body = yaml.safe_dump({"overrides": sets}, allow_unicode=True, sort_keys=False, width=1000)
    body += "posterior:\n" + "".join(  # one draw a line
        "- " + yaml.safe_dump(d, default_flow_style=True, sort_keys=False, width=100_000).strip()
        + "\n"
        for d in draws
    )  # fmt: skip
    atomic_write(path, head + body)


def convergence_figure(table: pd.DataFrame, path: Path) -> None:
    """convergence.png: epsilon, acceptance and ESS share by generation (ja/en labels)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from sim.report.plots import use_japanese_font

    use_japanese_font()
    fig = Figure(figsize=(10, 3))
    g = table["generation"]
    panels = [
        ("epsilon", "閾値 ε (epsilon)", table["epsilon"].replace(np.inf, np.nan)),
        ("acceptance", "受理率 (acceptance)", table["acceptance"]),
        ("ess", "有効標本数/粒子数 (ESS share)", table["ess"] / table["particles"]),
    ]
    for i, (_, title, y) in enumerate(panels):
        ax = fig.add_subplot(1, 3, i + 1)
        ax.plot(g, y, marker="o")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("世代 (generation)", fontsize=8)
        if i == 2:
            ax.axhline(0.5, color="#d62728", lw=0.8, ls="--")
    fig.suptitle("ABC-SMC の収束 (convergence)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_outputs(result: dict, opts: dict, report: Path) -> list[str]:
    """generations.csv with the issue's columns and the convergence lines in the report.

    Returns:
        The convergence lines (:func:`convergence`).
    """
    from calibration.report import posterior_tables
    from sim.core.files import write_csv

    table = result["generation_table"].copy()
    table.attrs["decimals"] = {c: 4 for c in ("epsilon", "ess", "acceptance", "best_distance",
                                              "median_distance")}  # fmt: skip
    write_csv(report / "generations.csv", table)
    _, summary, _ = posterior_tables(result)
    lines = convergence(table, summary)
    convergence_figure(table, report / "convergence.png")
    md = report / "fit_report.md"
    text = md.read_text(encoding="utf-8") if md.exists() else ""
    text += (
        f"\n## Convergence ({result['engine']})\n\n"
        + "".join(f"- {x}\n" for x in lines)
        + "\nThe generations are in the table above (`generations.csv`).\n"
        + "\n![convergence](convergence.png)\n"
    )
    atomic_write(md, text)
    return lines


def calibrate_pyabc(opts: dict, overrides: list[str], *, log=print) -> int:
    """``tsunagari calibrate`` with the pyabc engine: fit, set with posterior draws, report."""
    from calibration.fit import calibrated_set, calibration_dir
    from calibration.report import write_report
    from sim.config import compose_config, sets_dir

    t0 = time.perf_counter()
    result = run_pyabc(opts, overrides, log=log)
    sets = calibrated_set(result)
    cfg = compose_config(result["base"], check_region=False)
    draws = posterior_draws(result, cfg, seed=int(opts["abc_seed"]))
    set_path = Path(str(sets_dir())) / f"{opts['name']}.yaml"
    write_set(set_path, sets, draws, result, opts)
    log(f"calibrated set: {set_path} (point and {len(draws)} posterior draws)")
    report = calibration_dir() / (
        "report" if opts["name"] == "calibrated" else f"report_{opts['name']}"
    )
    write_report(result, opts, report, set_name=opts["name"])
    for line in write_outputs(result, opts, report):
        log(f"convergence: {line}")
    log(f"report: {report}/ ({time.perf_counter() - t0:.0f} s in all)")
    return 0
