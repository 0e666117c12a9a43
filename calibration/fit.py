"""``tsunagari calibrate``: fit the baseline's uncertain parameters to survey targets (ABC-SMC).

Usage::

    tsunagari calibrate [targets=PATH] [workers=N] [name=NAME] [--quick] [overrides...]

Options (KEY=VALUE, besides run overrides such as ``region=...``): ``targets`` (CSV in the format
of ``calibration/targets.csv``), ``parameters`` (YAML list of parameters and prior ranges),
``workers`` (processes, default 2), ``name`` (the calibrated set is written to
``calibration/NAME.yaml``; default ``calibrated``, or ``quick`` with ``--quick``), ``generations``,
``particles``, ``quantile``, ``abc_seed``, ``check_scale`` (Japan scale of the full-scale check,
``none`` to skip) and ``tottori_scale``. Each evaluation is one run to the first week of December
surveyed like the national survey (:mod:`calibration.survey`), with the same simulation seed
(common random numbers). Evaluations go to ``calibration/runs/NAME/evaluations.jsonl``, so the
same command resumes an interrupted calibration with identical results.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from concurrent.futures import as_completed
from importlib.resources import files
from pathlib import Path

import numpy as np
import yaml

from calibration.abc import Generation, accept, distance, ess, load_prior, propose
from calibration.store import EvaluationStore, atomic_write
from sim.app.console import Progress, plan_line
from sim.core.params import ConfigError

BASE = ["region=japan", "population.scale=0.0005", "calibration=none"]
OPTIONS = {
    "targets": None,
    "parameters": None,
    "workers": "2",
    "name": None,
    "generations": "5",
    "particles": "96",
    "quantile": "0.3",
    "abc_seed": "1",
    "check_scale": "0.005",
    "tottori_scale": "1.0",
}
QUICK = {"generations": "2", "particles": "24", "check_scale": "none", "tottori_scale": "0.1"}

_W: dict = {}  # per-worker state: configuration, region, population, targets


def calibration_dir() -> Path:
    """The ``calibration`` package folder (calibrated sets, targets and reports live here)."""
    return Path(str(files("calibration")))


def _init(overrides: list[str], targets_path: str) -> None:
    """Worker initializer: compose the configuration, build region and population once."""
    from calibration.survey import load_targets
    from sim.config import compose_config, load_configured_region
    from sim.core.rng import Streams
    from sim.world.population import synthesize

    cfg = compose_config(overrides, check_region=False)
    region = load_configured_region(cfg)
    _W.update(
        cfg=cfg,
        region=region,
        pop=synthesize(region, cfg.population, Streams(cfg.seed)),
        targets=load_targets(targets_path),
    )


def _evaluate(key: str, values: dict[str, float], network: bool = False) -> dict:
    """One evaluation: run to December, survey, fit thresholds, measure every target."""
    from calibration.survey import measure, run_to_december, survey, with_values

    t0 = time.perf_counter()
    targets = _W["targets"]
    national = targets[targets["role"] != "holdout_tottori"]
    model = run_to_december(with_values(_W["cfg"], values), _W["region"], _W["pop"])
    answers = survey(model, targets)
    vals = measure(model, answers, national)
    rec = {
        "key": key,
        "params": values,
        "values": vals,
        "distance": distance(vals, targets),
        "thresholds": answers.thresholds,
        "ucla_cuts": answers.ucla_cuts,
    }
    if network:
        from calibration.network import network_stats
        from calibration.survey import group_sizes

        rec["network"] = network_stats(model, answers.category >= 3)
        rec["n"] = group_sizes(model, national)
    rec["seconds"] = time.perf_counter() - t0
    return rec


def evaluation_seconds(cfg, region, store: EvaluationStore | None = None) -> tuple[float, bool]:
    """Seconds one evaluation takes on one worker, and whether it was measured.

    Measured: the median ``seconds`` of the evaluations already in the store (a resumed
    calibration). Otherwise the per-run estimate of the experiments
    (:func:`experiments.evaluators.estimate_seconds`) for the weeks up to the first December.
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
    opts["name"] = opts["name"] or ("quick" if quick else "calibrated")
    here = calibration_dir()
    opts["targets"] = str(Path(opts["targets"] or here / "targets.csv"))
    opts["parameters"] = str(Path(opts["parameters"] or here / "parameters.yaml"))
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
    return opts, overrides


class Evaluator:
    """Runs evaluations in a spawn process pool (or in this process with one worker).

    The pool is :func:`sim.core.lifeline.worker_pool`, the one every command uses: its
    workers end when this process dies, so a killed calibration leaves no workers behind.
    """

    def __init__(self, overrides: list[str], targets: str, workers: int) -> None:
        self.workers = workers
        self.pool = None
        if workers > 1:
            from sim.core.lifeline import worker_pool

            self.pool = worker_pool(workers, _init, (overrides, targets))
        else:
            _init(overrides, targets)

    def map(self, tasks: list[tuple], on_done) -> None:
        """Evaluate ``(key, values, network)`` tasks, calling ``on_done(record)`` as each ends."""
        if self.pool is None:
            for t in tasks:
                on_done(_evaluate(*t))
            return
        futures = [self.pool.submit(_evaluate, *t) for t in tasks]
        for fut in as_completed(futures):
            on_done(fut.result())

    def close(self) -> None:
        """Shut the pool down."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


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
    ev = Evaluator(base, opts["targets"], workers)
    t0 = time.perf_counter()
    gens: list[Generation] = []
    try:
        for g in range(n_gen):
            prev = gens[-1] if gens else None
            theta = propose(g, prev, prior, n, seed)
            tasks = [(f"g{g}:{i}", dict(zip(prior.names, map(float, th), strict=True)), False)
                     for i, th in enumerate(theta)]  # fmt: skip
            todo = [t for t in tasks if t[0] not in store]
            progress.skip(len(tasks) - len(todo))
            label = f"calibrate: generation {g + 1}/{n_gen}:"

            def done(rec, label=label):
                store.append(rec)
                progress.tick(label=label)

            ev.map(todo, done)
            d = np.asarray([store.get(t[0])["distance"] for t in tasks], float)
            gen = accept(g, theta, d, prev, prior, q)
            gens.append(gen)
            progress.close()
            log(
                f"generation {g + 1}/{n_gen}: eps {gen.eps:.3f}, accepted {gen.accepted.size}/{n},"
                f" ESS {ess(gen.weights):.0f}, best distance {np.min(d):.3f},"
                f" median accepted {np.median(gen.distances[gen.accepted]):.3f}"
            )
        last = gens[-1]
        mean = dict(zip(prior.names, map(float, last.mean()), strict=True))
        best_i = last.accepted[np.argmin(last.distances[last.accepted])]
        best = dict(zip(prior.names, map(float, last.proposals[best_i]), strict=True))
        finals = [("final:mean", mean, True), ("final:best", best, True)]
        todo = [t for t in finals if t[0] not in store]
        progress.skip(len(finals) - len(todo))
        ev.map(todo, lambda rec: (store.append(rec), progress.tick(label="calibrate: final:")))
        progress.close()
    finally:
        ev.close()
    m, b = store.get("final:mean"), store.get("final:best")
    chosen = m if m["distance"] <= last.eps else b
    log(
        f"posterior mean distance {m['distance']:.3f}, best particle {b['distance']:.3f}: "
        f"calibrated set = {'posterior mean' if chosen is m else 'best particle'}"
    )
    return {
        "targets": targets,
        "prior": prior,
        "generations": gens,
        "store": store,
        "chosen": chosen,
        "chosen_kind": "posterior mean" if chosen is m else "best particle",
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


def write_set(path: Path, sets: dict, result: dict, opts: dict) -> None:
    """Write the calibrated set as YAML (atomically)."""
    head = (
        "# Calibrated parameter set written by `tsunagari calibrate` (do not edit by hand).\n"
        f"# targets: {Path(opts['targets']).name}; base: {' '.join(result['base'])}\n"
        f"# {result['chosen_kind']} of the last ABC-SMC generation; "
        f"loss {result['chosen']['distance']:.4f}\n"
        "# Applied before user overrides unless calibration=none (see docs/calibration.md).\n"
    )
    body = yaml.safe_dump({"overrides": sets}, allow_unicode=True, sort_keys=False, width=1000)
    atomic_write(path, head + body)


def calibrate(args: list[str], quick: bool = False) -> int:
    """The ``tsunagari calibrate`` command."""
    from calibration.report import write_report

    opts, overrides = parse(args, quick)
    t0 = time.perf_counter()
    result = run_abc(opts, overrides)
    sets = calibrated_set(result)
    set_path = calibration_dir() / f"{opts['name']}.yaml"
    write_set(set_path, sets, result, opts)
    print(f"calibrated set: {set_path}")
    report = calibration_dir() / (
        "report" if opts["name"] == "calibrated" else f"report_{opts['name']}"
    )
    write_report(result, opts, report, set_name=opts["name"])
    print(f"report: {report}/ ({time.perf_counter() - t0:.0f} s in all)")
    return 0
