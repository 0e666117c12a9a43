"""A sweep: the runs of an experiment, executed by an evaluator into a result store.

:func:`prepare` turns a composed experiment into a :class:`Sweep` (context, specs and the design
recorded in the manifest); :func:`execute` says how many runs it will make and about how long
they take (:func:`plan`), then runs the specs the store does not yet hold, writing each as it
finishes, with progress and time left (one rewritten line on a terminal, a line every ~10 s in
a log: :class:`sim.core.progress.Progress`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from experiments.config import ExperimentConfig
from experiments.design import Parameter, RunSpec, run_specs
from experiments.evaluators import Context, Evaluator, estimate_run_seconds, make_evaluator
from experiments.outcomes import check_outcomes
from experiments.store import ResultStore, design_hash
from sim.core.params import ConfigError
from sim.core.progress import Progress, plan_line


@dataclass
class Sweep:
    """Everything needed to run (or resume) an experiment's runs.

    Attributes:
        command: ``compare`` or ``sensitivity``.
        xcfg: the experiment config.
        ctx: what every run shares.
        params: the varied parameters.
        samples: the sampled values (rows) shared by every package.
        specs: every run.
        design: the manifest's design (decides the runs and their numbers).
        store: the result store.
    """

    command: str
    xcfg: ExperimentConfig
    ctx: Context
    params: list[Parameter]
    samples: np.ndarray
    specs: list[RunSpec]
    design: dict
    store: ResultStore


def prepare(
    command: str,
    xcfg: ExperimentConfig,
    model_overrides: list[str],
    params: list[Parameter],
    samples: np.ndarray,
    packages: list[str],
) -> Sweep:
    """Load the base config, region and packages once, and list every run.

    Raises:
        ConfigError: bad model override, unknown package or outcome, lever outside horizon.
    """
    from sim.config import compose_config, load_configured_region, to_dict
    from sim.policy.scenario import check_horizon, load_scenario

    check_outcomes(xcfg.outcomes)
    base = compose_config(model_overrides, check_region=False)
    region = load_configured_region(base)
    scenarios = {}
    for name in packages:  # a library name or a file path; runs are labelled by its name
        sc = load_scenario(name)
        check_horizon(sc, base.start_date, base.years)
        scenarios[sc.name] = sc
    packages = list(scenarios)
    specs = run_specs(packages, params, samples, xcfg.seeds, xcfg.seed)
    design = {
        "command": command,
        "seed": xcfg.seed,
        "seeds": xcfg.seeds,
        "packages": packages,
        "parameters": [vars(p) for p in params],
        "samples": np.asarray(samples, float).tolist(),
        "outcomes": list(xcfg.outcomes),
        "series": xcfg.series,
        "model_overrides": list(model_overrides),
        "model": to_dict(base),
        "n_runs": len(specs),
    }
    if command == "sensitivity":
        design.update(method=xcfg.method, r=xcfg.r, n=xcfg.n, num_levels=xcfg.num_levels,
                      second_order=xcfg.second_order)  # fmt: skip
    out = xcfg.out or f"outputs/experiments/{command}-{xcfg.name}-{design_hash(design)[:8]}"
    ctx = Context(base, region, scenarios, list(xcfg.outcomes), series=xcfg.series)
    return Sweep(command, xcfg, ctx, params, samples, specs, design, ResultStore(out))


def evaluator_for(xcfg: ExperimentConfig) -> Evaluator:
    """The evaluator the experiment's ``executor`` names."""
    e = xcfg.executor
    return make_evaluator(
        e.kind,
        workers=e.workers,
        address=e.address,
        processes=e.processes,
        batch_seconds=e.batch_seconds,
    )


def execute(
    sweep: Sweep,
    evaluator: Evaluator | None = None,
    stream: TextIO | None = None,
    say: Callable[[str], None] | None = None,
) -> dict:
    """Run the specs the store does not hold yet; write each run as it finishes.

    Args:
        sweep: the prepared sweep.
        evaluator: the evaluator (default: the one the experiment's ``executor`` names).
        stream: where the progress lines go (default: standard error).
        say: if given, called once before any run with :func:`plan`'s line (how many runs,
            about how long).

    Returns:
        Counts: ``total``, ``skipped`` (already in the store), ``ran``, ``failed`` (errors in
        this invocation) and ``seconds``.
    """
    sweep.store.open(sweep.design)
    done = sweep.store.done()
    todo = [s for s in sweep.specs if s.run_id not in done]
    evaluator = evaluator or evaluator_for(sweep.xcfg)
    if say is not None:
        say(plan(sweep, len(todo), evaluator.workers))
    x = sweep.xcfg
    progress = Progress(len(sweep.specs), len(sweep.specs) - len(todo), stream=stream,
                        mode=x.progress, label=f"{sweep.command}:", lang=x.lang)  # fmt: skip
    failed = 0
    t0 = time.perf_counter()
    if todo:
        with evaluator:
            for out in evaluator.evaluate(sweep.ctx, todo):
                sweep.store.write(out)
                failed += bool(out.row["error"])
                progress.tick(failed=failed)
    progress.close()
    return {"total": len(sweep.specs), "skipped": len(sweep.specs) - len(todo),
            "ran": len(todo), "failed": failed, "seconds": time.perf_counter() - t0}  # fmt: skip


def seconds_per_run(sweep: Sweep) -> tuple[float, bool]:
    """Seconds one run of the sweep takes on one worker, and whether it was measured.

    Measured: the median ``elapsed_s`` of the runs the store already holds (a resumed job).
    Otherwise the estimate from the population size, the municipalities and the number of
    weeks (:func:`experiments.evaluators.estimate_run_seconds`).
    """
    df = sweep.store.outcomes() if sweep.store.runs.is_dir() else None
    if df is not None and len(df) and "elapsed_s" in df:
        ok = df.loc[df["error"] == "", "elapsed_s"] if "error" in df else df["elapsed_s"]
        ok = ok[np.isfinite(ok.to_numpy(float))]
        if len(ok):
            return float(ok.median()), True
    return estimate_run_seconds(sweep.ctx), False


def plan(sweep: Sweep, todo: int, workers: int) -> str:
    """The line said before the runs start: how many runs and about how long they take.

    The time assumes at most as many runs at once as this computer has cores (a remote Dask
    cluster: as many as its workers).
    """
    per_run, measured = seconds_per_run(sweep)
    remote = sweep.xcfg.executor.kind == "dask" and sweep.xcfg.executor.address
    cores = None if remote else (os.cpu_count() or 1)
    return plan_line(sweep.command, todo=todo, total=len(sweep.specs), seconds_per_run=per_run,
                     workers=workers, cores=cores, measured=measured,
                     lang=sweep.xcfg.lang)  # fmt: skip


def require_complete(sweep: Sweep) -> None:
    """Raise unless every run finished without error (analysis needs them all).

    Raises:
        ConfigError: naming how many runs failed and the first error.
    """
    df = sweep.store.outcomes()
    bad = df[df["error"] != ""] if len(df) else df
    if len(df) < len(sweep.specs):
        raise ConfigError(f"{len(sweep.specs) - len(df)} runs missing from {sweep.store.path}")
    if len(bad):
        raise ConfigError(
            f"{len(bad)} of {len(df)} runs failed (first: {bad['run_id'].iloc[0]}: "
            f"{bad['error'].iloc[0]}); see {sweep.store.runs}"
        )
