"""Running the partitions of a national run: serially, in a process pool, or on Dask.

Whatever the back-end, each finished partition goes to the store as it arrives, and the merge
reads every partition back from the store, so the outputs do not depend on the back-end, the
order of completion, or whether a partition was computed now or by an earlier, killed run.

On Dask every task declares its estimated memory as the worker resource ``MEMORY`` (bytes): a
LocalCluster gives each worker ``MEMORY`` equal to its share of the machine (or
``executor.memory`` GiB); the workers of a remote cluster must be started with
``--resources MEMORY=<bytes>``. A task whose worker dies is run again on another worker
(``retries``); the partitions already stored are kept.
"""

from __future__ import annotations

import sys
import time

from experiments.commands_exec import _size
from experiments.national_store import Store
from experiments.national_tasks import PartitionTask, run_partition
from sim.core.params import ConfigError

#: Times Dask runs a partition again after its worker died or it failed.
RETRIES = 2


def execute(plan, store: Store, say=print, announce=None) -> dict:
    """Run every task of ``plan`` that the store does not hold; return counts and timings.

    ``announce`` (optional) is called once the run is known to fit, before the first partition
    starts (the command prints its plan there, so a refused run prints one line only).

    Raises:
        ConfigError: the partitions cannot fit the workers' memory (before anything runs).
    """
    todo = [t for t in plan.tasks if not store.holds(t)]
    kept = len(plan.tasks) - len(todo)
    e = plan.xcfg.executor
    ja = plan.xcfg.lang == "ja"

    def ready() -> None:
        if announce is not None:
            announce()
        if kept:
            say(f"ストアにある区分: {kept}、これから実行: {len(todo)}" if ja
                else f"partitions in the store: {kept}; to run: {len(todo)}")  # fmt: skip

    t0 = time.perf_counter()
    done = 0

    def finished(task: PartitionTask, result) -> None:
        nonlocal done
        store.save(task, result)
        done += 1
        secs = result.timing.get("seconds", float("nan"))
        peak = _size(result.timing.get("peak_rss_bytes", 0))
        line = (f"[{done}/{len(todo)}] {task.key}: 模擬住民{result.residents:,}人、{secs:.0f}秒、"
                f"最大メモリ{peak}" if ja else
                f"[{done}/{len(todo)}] {task.key}: {result.residents:,} residents, {secs:.0f} s, "
                f"peak {peak}")  # fmt: skip
        print(f"  {line}", file=sys.stderr, flush=True)

    if not todo:
        ready()
    elif e.kind == "serial":
        _check_fits(todo, [_available()], "population.scale")
        ready()
        for task in todo:
            finished(task, run_partition(task))
    elif e.kind == "process":
        _run_pool(todo, e.workers or 2, finished, ready)
    else:
        _run_dask(todo, e, finished, ready)
    return {"ran": len(todo), "kept": kept, "seconds": time.perf_counter() - t0}


def _available() -> int | None:
    from sim.config import available_memory

    return available_memory()


def _check_fits(tasks: list[PartitionTask], workers: list[int | None], hint: str) -> None:
    """Refuse a run whose largest partition fits no worker (one line naming what to change)."""
    room = [w for w in workers if w is not None]
    if not room:
        return
    big = max(tasks, key=lambda t: t.memory)
    if big.memory > max(room):
        raise ConfigError(
            f"{hint}: partition {big.key} needs about {_size(big.memory)} of memory, more than "
            f"the {_size(max(room))} a worker has; lower population.scale or use larger workers"
        )


def _run_pool(todo: list[PartitionTask], workers: int, finished, ready) -> None:
    """A local process pool: at most ``workers`` partitions at once, within memory."""
    from concurrent.futures import FIRST_COMPLETED, wait

    from sim.core.lifeline import worker_pool

    available = _available()
    _check_fits(todo, [available], "population.scale")
    if available is not None:  # the largest partitions running together must fit
        biggest = sorted((t.memory for t in todo), reverse=True)
        while workers > 1 and sum(biggest[:workers]) > available:
            workers -= 1
    ready()
    pool = worker_pool(workers)
    try:
        pending = {pool.submit(run_partition, t): t for t in todo}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                finished(pending.pop(fut), fut.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(todo: list[PartitionTask], e, finished, ready) -> None:
    """Dask distributed: each task declares its memory as the worker resource ``MEMORY``."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ConfigError(
            "executor=dask needs dask[distributed]: pip install 'tsunagari[dask]'"
        ) from None
    cluster = None
    if e.address:
        try:
            client = Client(e.address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"executor.address: cannot reach the Dask scheduler at '{e.address}' "
                f"({type(exc).__name__})"
            ) from None
    else:
        workers = e.workers or 2
        available = _available() or 0
        each = int(e.memory * 2**30) if e.memory else available // workers
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, memory_limit=0,
            resources={"MEMORY": each}, dashboard_address=None,
        )  # fmt: skip
        client = Client(cluster)
    try:
        info = client.scheduler_info().get("workers", {})
        room = [int(w.get("resources", {}).get("MEMORY", 0)) for w in info.values()]
        if not any(room):
            raise ConfigError(
                "executor.address: the Dask workers declare no MEMORY resource; start each "
                "with --resources MEMORY=<bytes it may use> (docs/national.md)"
            )
        _check_fits(todo, room, "executor.memory" if cluster else "executor.address")
        ready()
        futures = {
            client.submit(
                run_partition, t, resources={"MEMORY": t.memory}, retries=RETRIES, pure=False,
                key=f"partition-{t.key}-{t.fingerprint()}",
            ): t
            for t in todo
        }  # fmt: skip
        for fut in as_completed(list(futures)):
            finished(futures.pop(fut), fut.result())
            fut.release()  # the worker may drop the tables once they are in the store
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
