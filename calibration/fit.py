"""``tsunagari calibrate``: fit the baseline's uncertain parameters to survey targets (ABC-SMC).

The engine is pyabc (``engine=pyabc``, the default: :mod:`calibration.smc`, with the options
``replicates``, ``distance`` and ``eps_floor``, and ``quantile`` meaning pyabc's alpha, default
0.5) or the hand-written sampler of :mod:`calibration.abc` (``engine=legacy``, quantile default
0.3), which the rest of this text describes.

Usage::

    tsunagari calibrate [targets=PATH] [workers=N] [name=NAME] [--quick] [overrides...]

Options (KEY=VALUE, besides run overrides such as ``region=...``): ``targets`` (CSV in the format
of ``calibration/targets.csv``, or a municipality's results in the shape of
``tsunagari survey-compare``, which makes a local recalibration with ``region=``,
``municipality=`` and ``local_width=``: :mod:`calibration.local`), ``parameters`` (YAML list of
parameters and prior ranges),
``workers`` (processes, default 2), ``executor`` (``process``, the default, serial with one
worker; ``serial``; or ``dask``: a LocalCluster of ``workers`` processes, or the scheduler at
``executor.address=tcp://HOST:8786``), ``name`` (the calibrated set is written to
``sim/config/sets/NAME.yaml``; default ``calibrated``, or ``quick`` with ``--quick``),
``generations``, ``particles``, ``quantile``, ``abc_seed``, ``check_scale`` (Japan scale of the
full-scale check, ``none`` to skip) and ``tottori_scale``. Each evaluation is one run to the first
week of December surveyed like the national survey (:class:`calibration.evaluation.CalibrationJob`),
with the same simulation seed (common random numbers), evaluated by the experiments' evaluator
(:mod:`experiments.backends`), so every executor gives the same numbers. Evaluations go to
``calibration/runs/NAME/evaluations.jsonl``, so the same command resumes an interrupted
calibration with identical results.
"""

from __future__ import annotations

import hashlib
import os
import time
from importlib.resources import files
from pathlib import Path

import numpy as np

from calibration.abc import Generation, accept, choose_point, ess, load_prior, propose
from calibration.evaluation import CalibrationJob, Task, evaluation_seconds, evaluator_for
from calibration.store import EvaluationStore
from experiments.backends import Evaluator
from sim.core.params import ConfigError
from sim.core.progress import Progress, plan_line

BASE = [
    "region=japan", "population.scale=0.0005", "calibration=none", "demography=static",
    "layers.commuting_areas=prefecture",
]  # fmt: skip
OPTIONS = {
    "targets": None,
    "parameters": None,
    "workers": "2",
    "name": None,
    "generations": "5",
    "particles": "96",
    "quantile": "",  # pyabc: 0.5, legacy: 0.3
    "abc_seed": "1",
    "check_scale": "0.005",
    "tottori_scale": "1.0",
    "executor": "process",
    "executor.address": "",
    "municipality": None,
    "local_width": None,
    "engine": "pyabc",
    "replicates": "1",
    "distance": "standardised",
    "eps_floor": "auto",
}
QUICK = {"generations": "2", "particles": "24", "check_scale": "none", "tottori_scale": "0.1"}


def calibration_dir() -> Path:
    """The ``calibration`` package folder (calibrated sets, targets and reports live here)."""
    return Path(str(files("calibration")))


def parse(args: list[str], quick: bool) -> tuple[dict[str, str], list[str]]:
    """Split calibrate options from run overrides."""
    opts = dict(OPTIONS)
    if quick:
        opts.update(QUICK)
    overrides = []
    for a in args:
        key, eq, value = a.partition("=")
        if eq and key in OPTIONS:
            opts[key] = value
        else:
            overrides.append(a)
    name_given = opts["name"] is not None
    opts["name"] = opts["name"] or ("quick" if quick else "calibrated")
    here = calibration_dir()
    opts["targets"] = str(Path(opts["targets"] or here / "targets.csv"))
    opts["parameters"] = str(Path(opts["parameters"] or here / "parameters.yaml"))
    if opts["engine"] not in ("pyabc", "legacy"):
        raise ConfigError(f"engine: unknown engine '{opts['engine']}' (choose from: pyabc, legacy)")
    opts["quantile"] = opts["quantile"] or ("0.5" if opts["engine"] == "pyabc" else "0.3")
    if opts["engine"] == "pyabc":
        from calibration.smc import check_options

        check_options(opts)
    if opts["executor"] not in ("serial", "process", "dask"):
        raise ConfigError(
            f"executor: unknown executor '{opts['executor']}' (choose from: serial, process, dask)"
        )
    for key in ("workers", "generations", "particles", "abc_seed"):
        if not opts[key].isdigit() or int(opts[key]) < (0 if key == "abc_seed" else 1):
            raise ConfigError(f"{key}: expected a positive integer, got '{opts[key]}'")
    try:
        q = float(opts["quantile"])
    except ValueError:
        q = -1.0
    if not 0 < q < 1:
        raise ConfigError(f"quantile: expected a number between 0 and 1, got '{opts['quantile']}'")
    if not opts["name"].replace("-", "").replace("_", "").isalnum() or opts["name"] == "none":
        raise ConfigError(f"name: use letters, digits, - and _ (not 'none'), got '{opts['name']}'")
    from calibration.local import is_local_results

    if is_local_results(opts["targets"]):  # a municipality's results: calibration/local.py
        from calibration.local import prepare

        opts, overrides = prepare(opts, overrides, name_given)
    elif opts["municipality"] or opts["local_width"]:
        key = "municipality" if opts["municipality"] else "local_width"
        raise ConfigError(
            f"{key}: only with targets= a municipality's results CSV (docs/local_survey.md)"
        )
    return opts, overrides


def _evaluate(
    ev: Evaluator,
    job: CalibrationJob,
    tasks: list[Task],
    store: EvaluationStore,
    progress: Progress,
    label: str,
) -> None:
    """Evaluate the tasks the store does not hold yet, storing each record as it comes."""
    todo = [t for t in tasks if t.key not in store]
    progress.skip(len(tasks) - len(todo))
    for rec in ev.evaluate(job, todo):
        store.append(rec)
        progress.tick(label=label)
    progress.close()


def _file_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def run_abc(opts: dict, overrides: list[str], *, out: Path | None = None, log=print) -> dict:
    """Run (or resume) the ABC-SMC calibration; return generations, store and final records."""
    from calibration.survey import load_targets

    targets = load_targets(opts["targets"])
    prior = load_prior(opts["parameters"])
    base = [*BASE, *overrides]
    from sim.config import compose_config, load_configured_region

    cfg = compose_config(base)  # report configuration errors before starting workers
    region = load_configured_region(cfg)  # and a run that cannot fit in memory
    n_gen, n = int(opts["generations"]), int(opts["particles"])
    seed, q = int(opts["abc_seed"]), float(opts["quantile"])
    settings = {
        "targets_sha": _file_hash(opts["targets"]),
        "parameters": prior.names,
        "low": prior.low.tolist(),
        "high": prior.high.tolist(),
        "overrides": base,
        "generations": n_gen,
        "particles": n,
        "quantile": q,
        "abc_seed": seed,
    }
    out = out or calibration_dir() / "runs" / opts["name"]
    store = EvaluationStore(out, settings)
    total = n_gen * n + 2  # every generation's particles, then the posterior mean and best
    per_run, measured = evaluation_seconds(cfg, region, store)
    workers = int(opts["workers"])
    log(plan_line("calibrate", todo=max(0, total - len(store.records)), total=total,
                  seconds_per_run=per_run, workers=workers, cores=os.cpu_count(),
                  measured=measured, unit="evaluations"))  # fmt: skip
    progress = Progress(total, label="calibrate:")
    job = CalibrationJob(base, opts["targets"], per_run)
    t0 = time.perf_counter()
    gens: list[Generation] = []
    with evaluator_for(opts) as ev:
        for g in range(n_gen):
            prev = gens[-1] if gens else None
            theta = propose(g, prev, prior, n, seed)
            tasks = [Task(f"g{g}:{i}", dict(zip(prior.names, map(float, th), strict=True)))
                     for i, th in enumerate(theta)]  # fmt: skip
            _evaluate(ev, job, tasks, store, progress, f"calibrate: generation {g + 1}/{n_gen}:")
            d = np.asarray([store.get(t.key)["distance"] for t in tasks], float)
            gen = accept(g, theta, d, prev, prior, q)
            gens.append(gen)
            log(
                f"generation {g + 1}/{n_gen}: eps {gen.eps:.3f}, accepted {gen.accepted.size}/{n},"
                f" ESS {ess(gen.weights):.0f}, best distance {np.min(d):.3f},"
                f" median accepted {np.median(gen.distances[gen.accepted]):.3f}"
            )
        last = gens[-1]
        mean = dict(zip(prior.names, map(float, last.mean()), strict=True))
        best_i = last.accepted[np.argmin(last.distances[last.accepted])]
        best = dict(zip(prior.names, map(float, last.proposals[best_i]), strict=True))
        finals = [Task("final:mean", mean, True), Task("final:best", best, True)]
        _evaluate(ev, job, finals, store, progress, "calibrate: final:")
    m, b = store.get("final:mean"), store.get("final:best")
    chosen, chosen_kind = choose_point(m, b, log)
    return {
        "targets": targets,
        "prior": prior,
        "generations": gens,
        "store": store,
        "chosen": chosen,
        "chosen_kind": chosen_kind,
        "base": base,
        "seconds": time.perf_counter() - t0,
        "evaluations": len(store.records),
        "eval_seconds": float(np.median([r["seconds"] for r in store.records.values()])),
    }


def calibrated_set(result: dict) -> dict:
    """The overrides of the calibrated set: fitted parameters, thresholds and UCLA cuts."""
    from calibration.survey import as_overrides
    from sim.config import compose_config

    cfg = compose_config(result["base"], check_region=False)
    chosen = result["chosen"]
    sets = as_overrides(cfg, chosen["params"])
    sets["survey.thresholds"] = [round(float(v), 6) for v in chosen["thresholds"]]
    sets["survey.ucla_cuts"] = [round(float(v), 6) for v in chosen["ucla_cuts"]]
    return sets


def legacy_draws(result: dict, k: int = 200, seed: int = 1) -> list[dict]:
    """Up to ``k`` draws of the last generation's accepted particles, resampled by weight.

    Each draw is a complete set of the calibrated set's keys: the particle's parameters and the
    thresholds and UCLA cuts of its own evaluation (as :func:`calibration.smc.posterior_draws`
    does for the pyabc engine).
    """
    from calibration.smc import _plain
    from calibration.survey import as_overrides
    from sim.config import compose_config
    from sim.core.rng import Streams

    cfg = compose_config(result["base"], check_region=False)
    gens, prior, store = result["generations"], result["prior"], result["store"]
    last, g = gens[-1], len(gens) - 1
    rng = Streams(seed).get("calibration_posterior")
    picks = rng.choice(last.accepted.size, size=k, replace=True, p=last.weights)
    out = []
    for j in picks:
        i = int(last.accepted[j])
        values = dict(zip(prior.names, map(float, last.proposals[i]), strict=True))
        rec = store.get(f"g{g}:{i}")
        d = {key: _plain(v) for key, v in as_overrides(cfg, values).items()}
        d["survey.thresholds"] = [round(float(v), 6) for v in rec["thresholds"]]
        d["survey.ucla_cuts"] = [round(float(v), 6) for v in rec["ucla_cuts"]]
        out.append(d)
    return out


def calibrate(args: list[str], quick: bool = False) -> int:
    """The ``tsunagari calibrate`` command."""
    from calibration.report import write_report

    opts, overrides = parse(args, quick)
    if opts["engine"] == "pyabc":
        from calibration.smc import calibrate_pyabc

        return calibrate_pyabc(opts, overrides)
    t0 = time.perf_counter()
    result = run_abc(opts, overrides)
    sets = calibrated_set(result)
    from calibration.smc import write_set
    from sim.config import sets_dir

    set_path = Path(str(sets_dir())) / f"{opts['name']}.yaml"
    write_set(set_path, sets, legacy_draws(result), {**result, "engine": "legacy"}, opts)
    print(f"calibrated set: {set_path}")
    report = calibration_dir() / (
        "report" if opts["name"] == "calibrated" else f"report_{opts['name']}"
    )
    write_report(result, opts, report, set_name=opts["name"])
    print(f"report: {report}/ ({time.perf_counter() - t0:.0f} s in all)")
    return 0
