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

Modules: :mod:`calibration.smc_engine` (constants, :class:`ReplicateJob`, :class:`Engine`, the
``BatchSampler``, the floored threshold, :func:`noise_floor`), :mod:`calibration.smc_abc`
(:func:`abc_smc`, option checks, status line, :func:`generation_table`, :func:`to_generation`),
:mod:`calibration.smc_output` (:func:`convergence`, :func:`posterior_draws`, :func:`write_set`,
:func:`write_outputs`); this module runs the whole calibration (:func:`run_pyabc`,
:func:`calibrate_pyabc`) and re-exports the names the others import from it.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np

from calibration.abc import choose_point, load_prior
from calibration.evaluation import Task, evaluation_seconds
from calibration.smc_abc import _has_run as _has_run
from calibration.smc_abc import _Status as _Status
from calibration.smc_abc import abc_smc as abc_smc
from calibration.smc_abc import check_options as check_options
from calibration.smc_abc import generation_table as generation_table
from calibration.smc_abc import to_generation as to_generation
from calibration.smc_engine import FIRST_RATE as FIRST_RATE
from calibration.smc_engine import NOISE_DRAWS as NOISE_DRAWS
from calibration.smc_engine import NOISE_LEVEL as NOISE_LEVEL
from calibration.smc_engine import POSTERIOR_DRAWS as POSTERIOR_DRAWS
from calibration.smc_engine import PYABC_OPTIONS as PYABC_OPTIONS
from calibration.smc_engine import REPLICATE_STRIDE as REPLICATE_STRIDE
from calibration.smc_engine import Engine as Engine
from calibration.smc_engine import Pending as Pending
from calibration.smc_engine import ReplicateJob as ReplicateJob
from calibration.smc_engine import _floored as _floored
from calibration.smc_engine import _pyabc as _pyabc
from calibration.smc_engine import _sampler_class as _sampler_class
from calibration.smc_engine import noise_floor as noise_floor
from calibration.smc_engine import pyabc_name as pyabc_name
from calibration.smc_engine import replicate_seeds as replicate_seeds
from calibration.smc_engine import task_key as task_key
from calibration.smc_output import _plain as _plain
from calibration.smc_output import convergence as convergence
from calibration.smc_output import convergence_figure as convergence_figure
from calibration.smc_output import posterior_draws as posterior_draws
from calibration.smc_output import write_outputs as write_outputs
from calibration.smc_output import write_set as write_set
from calibration.store import EvaluationStore
from sim.core.progress import plan_line


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
    chosen, chosen_kind = choose_point(m, b, log)
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
        "chosen_kind": chosen_kind,
        "base": base,
        "seconds": time.perf_counter() - t_start,
        "evaluations": len(store.records),
        "eval_seconds": float(np.median(secs)) if secs else math.nan,
        "eps_floor": floor,
        "engine": f"pyabc {pyabc.__version__}, distance {kind}, {reps} replicate(s) {seeds}, "
        f"threshold floor {floor:.3f}",
    }


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
