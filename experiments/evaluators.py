"""One Evaluator interface with serial, local process-pool and Dask back-ends.

As in EMA Workbench, an evaluator has a small lifecycle: :meth:`Evaluator.initialize` (start
workers), :meth:`Evaluator.evaluate` (run specs, yielding results as they finish) and
:meth:`Evaluator.finalize` (stop workers); it is also a context manager. Runs travel in batches
that each last about ``batch_seconds`` (>= 1 s), so scheduling overhead stays small, and every
run's result is yielded on its own so the store can write it at once.

A run depends only on its :class:`~experiments.design.RunSpec` (seed and values) and the shared
:class:`Context`, never on the worker that runs it, so every back-end gives the same numbers
bit for bit. An exception inside a run is caught and returned as that run's ``error``; the
sweep goes on.
"""

from __future__ import annotations

import abc
import math
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from experiments import outcomes as oc
from experiments.design import RunSpec, apply_levers, apply_values
from sim.config import RunConfig
from sim.core.lifeline import worker_pool
from sim.core.params import ConfigError
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


@dataclass
class Context:
    """What every run of an experiment shares (sent once per batch; a few tens of kB).

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


def run_batch(ctx: Context, specs: list[RunSpec]) -> list[RunOutput]:
    """Run a batch of specs in order (the unit of work sent to a worker)."""
    return [run_one(ctx, spec) for spec in specs]


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


def batches(specs: list[RunSpec], size: int) -> list[list[RunSpec]]:
    """Consecutive batches of at most ``size`` specs."""
    return [specs[i : i + size] for i in range(0, len(specs), max(1, size))]


class Evaluator(abc.ABC):
    """Runs specs and yields one :class:`RunOutput` per finished run, in completion order.

    Args:
        workers: number of parallel workers (ignored by the serial evaluator).
        batch_seconds: target duration of one batch of runs.
    """

    name = "base"

    def __init__(self, workers: int = 1, batch_seconds: float = 2.0) -> None:
        self.workers = max(1, int(workers))
        self.batch_seconds = max(1.0, float(batch_seconds))

    def initialize(self) -> None:  # noqa: B027 (optional hook)
        """Start workers (no-op by default)."""

    def finalize(self) -> None:  # noqa: B027 (optional hook)
        """Stop workers (no-op by default)."""

    def __enter__(self) -> Evaluator:
        self.initialize()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finalize()

    def batch_size(self, ctx: Context, n_specs: int) -> int:
        """Runs per batch: long enough (>= batch_seconds) yet leaving every worker busy."""
        size = math.ceil(self.batch_seconds / estimate_run_seconds(ctx))
        spread = max(1, n_specs // (2 * self.workers))
        return max(1, min(size, spread))

    def evaluate(self, ctx: Context, specs: list[RunSpec]) -> Iterator[RunOutput]:
        """Run ``specs``; yield each run's output as its batch finishes."""
        work = batches(list(specs), self.batch_size(ctx, len(specs)))
        for outs in self._map(ctx, work):
            yield from outs

    @abc.abstractmethod
    def _map(self, ctx: Context, work: list[list[RunSpec]]) -> Iterable[list[RunOutput]]:
        """Run batches, yielding each batch's outputs when it finishes."""


class SerialEvaluator(Evaluator):
    """Runs everything in this process, in order (debugging, tiny sweeps)."""

    name = "serial"

    def _map(self, ctx: Context, work: list[list[RunSpec]]) -> Iterable[list[RunOutput]]:
        for batch in work:
            yield run_batch(ctx, batch)


class ProcessPoolEvaluator(Evaluator):
    """A local pool of worker processes (started with ``spawn``: no inherited state)."""

    name = "process"

    def initialize(self) -> None:
        """Start the pool (:func:`sim.core.lifeline.worker_pool`: workers end with this process)."""
        self._pool = worker_pool(self.workers)

    def finalize(self) -> None:
        """Stop the pool, cancelling batches not started."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _map(self, ctx: Context, work: list[list[RunSpec]]) -> Iterable[list[RunOutput]]:
        pending = {self._pool.submit(run_batch, ctx, batch) for batch in work}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()


class DaskEvaluator(Evaluator):
    """Dask distributed: a LocalCluster, or an existing scheduler at ``address``.

    Args:
        address: scheduler address (``tcp://host:8786``); None starts a LocalCluster.
        processes: LocalCluster workers are processes (True) or threads (False).
        workers: LocalCluster workers (one thread each).
        batch_seconds: target duration of one batch.
        timeout: seconds to wait for the scheduler.
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        processes: bool = True,
        workers: int = 2,
        batch_seconds: float = 2.0,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(workers, batch_seconds)
        self.address = address
        self.processes = processes
        self.timeout = timeout
        self._cluster = None

    def initialize(self) -> None:
        """Connect to the scheduler or start a LocalCluster.

        Raises:
            ConfigError: dask is not installed, or the scheduler cannot be reached.
        """
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError(
                "executor=dask needs dask[distributed]: pip install 'tsunagari[dask]'"
            ) from None
        if self.address:
            try:
                self._client = Client(self.address, timeout=f"{self.timeout}s")
            except (OSError, TimeoutError) as exc:
                raise ConfigError(
                    f"executor.address: cannot reach the Dask scheduler at '{self.address}' "
                    f"({type(exc).__name__})"
                ) from None
            n = len(self._client.scheduler_info().get("workers", {}))
            self.workers = max(1, n)
            return
        self._cluster = LocalCluster(
            n_workers=self.workers,
            threads_per_worker=1,
            processes=self.processes,
            dashboard_address=None,
        )
        self._client = Client(self._cluster)

    def finalize(self) -> None:
        """Close the client (and the LocalCluster if this evaluator started it)."""
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _map(self, ctx: Context, work: list[list[RunSpec]]) -> Iterable[list[RunOutput]]:
        from distributed import as_completed

        shared = self._client.scatter(ctx, broadcast=True)
        futures = [self._client.submit(run_batch, shared, b, pure=False) for b in work]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        finally:
            self._client.cancel(futures)


def make_evaluator(
    kind: str,
    *,
    workers: int | None = None,
    address: str | None = None,
    processes: bool = True,
    batch_seconds: float = 2.0,
) -> Evaluator:
    """The evaluator a config names: ``serial``, ``process`` (default) or ``dask``.

    Raises:
        ConfigError: unknown kind.
    """
    n = workers or os.cpu_count() or 1
    if kind == "serial":
        return SerialEvaluator(1, batch_seconds)
    if kind == "process":
        return ProcessPoolEvaluator(n, batch_seconds)
    if kind == "dask":
        return DaskEvaluator(address, processes=processes, workers=n, batch_seconds=batch_seconds)
    raise ConfigError(
        f"executor.kind: unknown executor '{kind}' (choose from: serial, process, dask)"
    )
