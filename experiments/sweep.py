"""A sweep: the runs of an experiment, executed by an evaluator into a result store.

:func:`prepare` turns a composed experiment into a :class:`Sweep` (context, specs and the design
recorded in the manifest); :func:`execute` runs the specs the store does not yet hold, writing
each as it finishes, with a progress line on a terminal.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from experiments.config import ExperimentConfig
from experiments.design import Parameter, RunSpec, run_specs
from experiments.evaluators import Context, Evaluator, make_evaluator
from experiments.outcomes import check_outcomes
from experiments.store import ResultStore, design_hash
from sim.params import ConfigError


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
    from sim.scenario import check_horizon, load_scenario

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


def execute(sweep: Sweep, evaluator: Evaluator | None = None, stream: TextIO | None = None) -> dict:
    """Run the specs the store does not hold yet; write each run as it finishes.

    Returns:
        Counts: ``total``, ``skipped`` (already in the store), ``ran``, ``failed`` (errors in
        this invocation) and ``seconds``.
    """
    sweep.store.open(sweep.design)
    done = sweep.store.done()
    todo = [s for s in sweep.specs if s.run_id not in done]
    stream = stream or sys.stderr
    show = _show_progress(sweep.xcfg.progress, stream)
    progress = Progress(len(sweep.specs), len(sweep.specs) - len(todo), stream, show)
    evaluator = evaluator or evaluator_for(sweep.xcfg)
    failed = 0
    t0 = time.perf_counter()
    if todo:
        with evaluator:
            for out in evaluator.evaluate(sweep.ctx, todo):
                sweep.store.write(out)
                failed += bool(out.row["error"])
                progress.tick(failed)
    progress.close()
    return {"total": len(sweep.specs), "skipped": len(sweep.specs) - len(todo),
            "ran": len(todo), "failed": failed, "seconds": time.perf_counter() - t0}  # fmt: skip


def _show_progress(mode: str, stream: TextIO) -> bool:
    if mode == "auto":
        return bool(getattr(stream, "isatty", lambda: False)())
    return mode == "on"


class Progress:
    """Runs done, rate and time left on one rewritten line (only when ``show``)."""

    def __init__(self, total: int, skipped: int, stream: TextIO, show: bool) -> None:
        self.total, self.done, self.skipped = total, skipped, skipped
        self.stream, self.show = stream, show
        self.t0 = time.perf_counter()

    def tick(self, failed: int) -> None:
        """One more run finished."""
        self.done += 1
        if not self.show:
            return
        elapsed = time.perf_counter() - self.t0
        rate = (self.done - self.skipped) / max(elapsed, 1e-9)
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        fail = f", {failed} failed" if failed else ""
        self.stream.write(
            f"\r{self.done}/{self.total} runs ({self.skipped} already done{fail}), "
            f"{rate * 60:.1f} runs/min, {_duration(left)} left   "
        )
        self.stream.flush()

    def close(self) -> None:
        """End the progress line."""
        if self.show and self.done > self.skipped:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


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
