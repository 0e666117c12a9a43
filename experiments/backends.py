"""The Evaluator: one interface with serial, local process-pool and Dask back-ends.

As in EMA Workbench, an evaluator has a small lifecycle: :meth:`Evaluator.initialize` (start
workers), :meth:`Evaluator.evaluate` (run a job's tasks, yielding results as they finish) and
:meth:`Evaluator.finalize` (stop workers); it is also a context manager. What is evaluated is a
:class:`Job`: what every task shares, what each worker builds once (:meth:`Job.prepare`) and how
one task runs (:meth:`Job.run`). The experiments' job is :class:`experiments.evaluators.Context`
(one simulation per run spec), the calibration's :class:`calibration.evaluation.CalibrationJob`
(one run to December per parameter set). Most callers import these names from
:mod:`experiments.evaluators`.

What a worker builds must be deterministic and only read by the tasks, so that a task's result
depends only on the task and its job, never on the worker or the back-end.
"""

from __future__ import annotations

import abc
import math
import os
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any

from sim.core.lifeline import worker_pool
from sim.core.params import ConfigError


class Job(abc.ABC):
    """What an evaluation's tasks share, what each worker builds once, and how a task runs.

    A job travels to the workers pickled (with every batch to a process pool, once to a Dask
    worker). :meth:`prepare` builds the heavy, read-only things every task of a worker needs
    (a population, say) the first time :meth:`state` is asked for them in that worker; they are
    kept with the job and never pickled. :meth:`run` runs one task.
    """

    def prepare(self) -> object:
        """Build what every task of a worker shares (once per worker; default: nothing)."""
        return None

    @abc.abstractmethod
    def run(self, state: object, task: Any) -> Any:
        """Run one task with the state :meth:`prepare` built in this worker; return its result."""

    def seconds_per_task(self) -> float:
        """About how long one task takes on one worker (sizes the batches)."""
        return 1.0

    @property
    def token(self) -> str:
        """A name of this job that its pickled copies keep (a worker keeps one job's state)."""
        return self.__dict__.setdefault("_token", uuid.uuid4().hex)

    def state(self) -> object:
        """What :meth:`prepare` built, building it on the first call in this process."""
        if _STATE not in self.__dict__:
            self.__dict__[_STATE] = self.prepare()
        return self.__dict__[_STATE]

    def __getstate__(self) -> dict:
        """Pickle the job without its built state (each worker builds its own)."""
        return {k: v for k, v in self.__dict__.items() if k != _STATE}


_STATE = "_prepared_state"


def run_batch(job: Job, tasks: list) -> list:
    """Run a batch of tasks in order with the job's state (the unit of work sent to a worker)."""
    state = job.state()
    return [job.run(state, task) for task in tasks]


def _run_in_pool(job: Job, tasks: list) -> list:
    """:func:`run_batch` in a pool worker, with the state this worker built for the job."""
    return run_batch(_kept(job), tasks)


#: A process-pool worker's memory of the job it runs (at most one; stays empty in the main
#: process). The one module-level mutable value of the package, and only a cache: a pool
#: pickles the job with every batch, and keeping the first copy lets :meth:`Job.prepare` run
#: once per worker instead of once per batch. (It replaces calibration's former per-worker
#: globals.)
_WORKER_JOB: dict[str, Job] = {}


def _kept(job: Job) -> Job:
    """The copy of ``job`` this worker process already holds (with its built state)."""
    if job.token not in _WORKER_JOB:
        _WORKER_JOB.clear()
        _WORKER_JOB[job.token] = job
    return _WORKER_JOB[job.token]


def batches(tasks: list, size: int) -> list[list]:
    """Consecutive batches of at most ``size`` tasks."""
    return [tasks[i : i + size] for i in range(0, len(tasks), max(1, size))]


class Evaluator(abc.ABC):
    """Runs a job's tasks and yields one result per finished task, in completion order.

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

    def batch_size(self, job: Job, n_tasks: int) -> int:
        """Tasks per batch: long enough (>= batch_seconds) yet leaving every worker busy."""
        size = math.ceil(self.batch_seconds / job.seconds_per_task())
        spread = max(1, n_tasks // (2 * self.workers))
        return max(1, min(size, spread))

    def evaluate(self, job: Job, tasks: list) -> Iterator[Any]:
        """Run ``tasks`` of ``job``; yield each task's result as its batch finishes.

        Args:
            job: what the tasks share (:class:`Context` for experiment runs).
            tasks: the tasks (:class:`~experiments.design.RunSpec` for experiment runs).
        """
        _ = job.token  # named before it is pickled, so that every copy has the same name
        work = batches(list(tasks), self.batch_size(job, len(tasks)))
        for outs in self._map(job, work):
            yield from outs

    @abc.abstractmethod
    def _map(self, job: Job, work: list[list]) -> Iterable[list]:
        """Run batches, yielding each batch's results when it finishes."""


class SerialEvaluator(Evaluator):
    """Runs everything in this process, in order (debugging, tiny sweeps)."""

    name = "serial"

    def _map(self, job: Job, work: list[list]) -> Iterable[list]:
        for batch in work:
            yield run_batch(job, batch)


class ProcessPoolEvaluator(Evaluator):
    """A local pool of worker processes (started with ``spawn``: no inherited state)."""

    name = "process"

    def initialize(self) -> None:
        """Start the pool (:func:`sim.core.lifeline.worker_pool`: workers end with this process)."""
        self._pool = worker_pool(self.workers)

    def finalize(self) -> None:
        """Stop the pool, cancelling batches not started."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _map(self, job: Job, work: list[list]) -> Iterable[list]:
        pending = {self._pool.submit(_run_in_pool, job, batch) for batch in work}
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
        self._scattered: dict = {}

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
        self._scattered.clear()
        if client is not None:
            client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _map(self, job: Job, work: list[list]) -> Iterable[list]:
        from distributed import as_completed

        # one copy per worker for the evaluator's life: its state is built once per worker
        if job.token not in self._scattered:
            self._scattered[job.token] = self._client.scatter(job, broadcast=True)
        shared = self._scattered[job.token]
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
