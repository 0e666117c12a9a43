"""``tsunagari national`` and ``tsunagari plan-run``: a multi-prefecture run in partitions.

A national run (``region=japan``, or a subset with ``region.prefectures=[...]``) is split into
commuting areas that share no ties (:func:`sim.world.partitions.plan_partitions`: prefectures,
with 首都圏, 関西, 中京 ... kept together). Each partition is one task
(:mod:`experiments.national_tasks`)
run serially, in a local process pool or on Dask (LocalCluster or ``executor.address``). Each
task's estimated memory is declared to Dask as the worker resource ``MEMORY``, so Dask never
places a partition on a worker that cannot hold it. Every finished partition is written to the
result store (``OUT/partitions/KEY``) as it arrives, so a rerun of the same command resumes;
the merged outputs (:mod:`experiments.national_merge`) are byte-identical whatever the back-end
and whatever order the partitions finish in.

``tsunagari plan-run OVERRIDES`` prints the plan only: residents, memory and time per partition,
and how many workers the run can use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from experiments.commands_exec import _size
from experiments.national_store import Store
from experiments.national_tasks import PARTITION_KEYS, PartitionTask, run_partition
from sim.core.params import ConfigError

#: Memory of a worker process's own libraries (Dask, distributed) above a run's estimate
#: (measured: three partitions of 2,800-3,500 residents peaked 20-55 MiB above their
#: estimates in Dask workers, and 10-20 MiB below in a process pool).
WORKER_BYTES = 64 * 2**20


@dataclass
class Plan:
    """A partitioned run, prepared: its configs, partitions and tasks (largest first)."""

    xcfg: object
    cfg: object
    region: object
    partitions: list
    tasks: list[PartitionTask]
    out: Path


def prepare(overrides: list[str]) -> Plan:
    """Compose the run, check it, and split it into partition tasks (nothing runs here).

    Raises:
        ConfigError: one line naming the key at fault.
    """
    from experiments.config import compose_experiment
    from experiments.evaluators import estimate_seconds
    from sim.config import check_scenario, compose_config, estimate_memory
    from sim.world.partitions import plan_partitions
    from sim.world.population import simulated_residents
    from sim.world.region import load_configured

    xcfg, model = compose_experiment("national", overrides)
    cfg = compose_config(model, check_region=False)  # lang is the console's (xcfg.lang)
    if cfg.region.key != "japan":
        raise ConfigError(
            f"region: a partitioned run needs region=japan (optionally with region.prefectures="
            f"[...]), got region={cfg.region.key}"
        )
    check_scenario(cfg)
    region = load_configured(cfg.region)  # each partition's size is checked by the executor
    masks = check_scenario_scope(cfg, region)
    mun = region.municipalities
    parts = plan_partitions(
        sorted(mun["prefecture_code"].unique()), areas=cfg.layers.commuting_areas
    )
    kept = tuple(m for m in model if m.split("=", 1)[0].lstrip("+~").split(".")[0]
                 not in PARTITION_KEYS)  # fmt: skip
    sim_res = simulated_residents(mun, cfg.population)
    code = _code_version()
    weeks = cfg.burn_in_weeks + 52 * cfg.years
    arms = 1 if cfg.scenario == "baseline" else 2
    pop = mun["pop_total"].to_numpy(float)
    tasks = []
    for p in parts:
        inside = mun["prefecture_code"].isin(p.prefectures).to_numpy()
        n, m = int(sim_res[inside].sum()), int(inside.sum())
        memory = estimate_memory(n, m, cfg.years, cfg.demography == "dynamic") + WORKER_BYTES
        seconds = arms * estimate_seconds(n, m, weeks)
        shares = tuple(_share(mask, inside, pop) for mask in masks)
        tasks.append(
            PartitionTask(
                p.key, tuple(p.prefectures), kept, cfg.seed, memory, seconds, shares, code, n
            )
        )
    tasks.sort(key=lambda t: (-t.seconds, t.key))  # largest first: the shortest wall time
    label = f"{region.key.replace(':', '-')}-{cfg.scenario}-seed{cfg.seed}"
    out = Path(xcfg.out or f"outputs/national-{label}")
    return Plan(xcfg, cfg, region, parts, tasks, out)


def _code_version() -> str:
    """The tsunagari version and commit (what a stored partition must have been run with)."""
    import sim
    from sim.io.output import git_commit

    return f"{sim.__version__}+{git_commit() or 'unknown'}"


def _share(mask, inside, pop) -> float:
    """The partition's share of the real residents a lever covers."""
    covered = float(pop[mask].sum())
    return float(pop[mask & inside].sum()) / covered if covered > 0 else 0.0


def check_scenario_scope(cfg, region) -> list:
    """Each lever's municipalities (a mask over the region); every one named must exist.

    Levers name no zones: zones are numbered per partition, so a national scenario places levers
    by municipality.
    """
    from sim.policy.scenario import lever_municipalities, load_scenario

    scenario = load_scenario(cfg.scenario)
    masks = []
    for i, lever in enumerate(scenario.levers):
        masks.append(lever_municipalities(lever, region.municipalities, scenario.where(i)))
        if getattr(lever, "zones", None):
            raise ConfigError(
                f"{scenario.where(i)}.zones: a partitioned run places levers by municipality; "
                "zones are numbered per partition"
            )
    return masks


def wall_seconds(tasks: list[PartitionTask], workers: int) -> float:
    """Wall time of the tasks on ``workers`` workers, largest first to the least loaded."""
    loads = [0.0] * max(1, workers)
    for t in sorted(tasks, key=lambda t: -t.seconds):
        loads[loads.index(min(loads))] += t.seconds
    return max(loads)


def workers_useful(tasks: list[PartitionTask]) -> int:
    """Workers beyond which the largest partition alone sets the wall time."""
    longest = max(t.seconds for t in tasks)
    return max(1, math.ceil(sum(t.seconds for t in tasks) / longest))


def plan_workers(xcfg) -> int | None:
    """Workers the executor will have: 1 serially, None for a remote cluster (not known yet)."""
    e = xcfg.executor
    if e.kind == "serial":
        return 1
    if e.kind == "dask" and e.address:
        return None
    return e.workers or 2


def plan_lines(plan: Plan, workers: int | None = None) -> list[str]:
    """The plan as console lines: one row per partition, then the totals.

    ``workers``: the executor's (the wall time is given for them), or None (for as many as the
    run can use).
    """
    from sim.core.progress import duration, table_lines

    ja = plan.xcfg.lang == "ja"
    names = {p.key: (p.name_ja if ja else p.name_en) for p in plan.partitions}
    rows = [[t.key, names[t.key], str(len(t.prefectures)), f"{t.residents:,}",
             _size(t.memory), duration(t.seconds, plan.xcfg.lang)]
            for t in plan.tasks]  # fmt: skip
    head = (["区分", "名称", "県数", "住民（模擬）", "メモリ", "時間（1コア）"] if ja
            else ["partition", "name", "prefs", "residents", "memory", "time (1 core)"]
            )  # fmt: skip
    lines = table_lines(head, rows, align="<<>>>>")
    total = sum(t.residents for t in plan.tasks)
    useful = workers_useful(plan.tasks)
    largest = max(t.memory for t in plan.tasks)
    w = workers or useful
    wall = duration(wall_seconds(plan.tasks, w), plan.xcfg.lang)
    if ja:
        lines += [
            f"{len(plan.tasks)}区分、模擬住民{total:,}人（population.scale="
            f"{plan.cfg.population.scale:g}）",
            f"1ワーカーに必要なメモリ: {_size(largest)}（最大の区分）。使えるワーカー数: {useful}"
            f"（それ以上は最大の区分が所要時間を決める）。{w}ワーカーで約{wall}",
        ]
    else:
        lines += [
            f"{len(plan.tasks)} partitions, {total:,} simulated residents (population.scale="
            f"{plan.cfg.population.scale:g})",
            f"memory a worker needs: {_size(largest)} (the largest partition); workers the run "
            f"can use: {useful} (beyond that the largest partition sets the wall time); about "
            f"{wall} on {w} worker(s)",
        ]
    return lines


def plan_main(overrides: list[str]) -> int:
    """``tsunagari plan-run``: print the partition plan of a run."""
    plan = prepare(overrides)
    print("\n".join(plan_lines(plan, plan_workers(plan.xcfg))))
    return 0


def main(overrides: list[str]) -> int:
    """``tsunagari national``: run every partition the store does not hold, then merge."""
    from experiments.national_exec import execute
    from experiments.national_outputs import write_outputs

    plan = prepare(overrides)
    store = Store(plan.out)
    lines = plan_lines(plan, plan_workers(plan.xcfg))
    # the plan is printed once the executor has checked the run fits (a refusal is one line)
    execute(plan, store, announce=lambda: print("\n".join(lines), flush=True))
    paths = write_outputs(plan, store)
    ja = plan.xcfg.lang == "ja"
    shown = ", ".join(str(p.relative_to(plan.out)) for p in paths)
    print(f"出力: {plan.out}/（{shown}）" if ja else f"output: {plan.out}/ ({shown})")
    return 0


__all__ = ["Plan", "main", "plan_lines", "plan_main", "prepare", "run_partition"]
