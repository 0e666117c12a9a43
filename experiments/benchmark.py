"""Benchmark: resident-steps per second, speed against the reference, and peak memory.

Run ``python experiments/benchmark.py`` (about 10 minutes; writes ``docs/benchmarks.md``) or
``python experiments/benchmark.py --quick`` (a minute; 10k and 100k only, prints the report and
writes it only with ``--out``). Every measurement runs in its own spawned child process, pinned
to one CPU (``os.sched_setaffinity``) with ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1``, so the
figures are per core and each child's peak RSS is its own.

Measured:

- **speed** at about 10k, 100k (Tottori) and 1M (Nara) residents: set-up time (region loading,
  population synthesis, tie layers), then ``warm`` weekly steps untimed, then ``timed`` weekly
  steps timed (every layer and process of the default scenario, monthly recording included).
  Resident-steps/s = residents x timed weeks / seconds.
- **reference ratio** at 10k, in one child: the array engine and
  :func:`sim.analysis.reference.reference_speed` on the same configuration, both over the first
  ``reference_weeks`` weeks after set-up (the array engine repeated and summed, as it is fast).
- **peak memory** of a complete 1M-resident, 10-year run (default burn-in included, then the
  result table built as :func:`sim.engine.model.run` does): the child's ``ru_maxrss``, with its RSS
  after set-up and after every year to show whether memory grows with the horizon.
- **where time goes** at 1M: wall time of each process of the weekly step, and a cProfile top
  list.

This module holds the command (:func:`main`) and the orchestration (:func:`run_benchmark`); the
measurements run in the children are in :mod:`experiments.bench_measure` and the Markdown report
is written by :mod:`experiments.bench_report`. Their names stay importable from here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from experiments.bench_measure import (
    THREAD_VARS,
    all_levers_scenario,
    measure_levers,
    measure_memory,
    measure_plan_rows,
    measure_reference,
    measure_speed,
    peak_mib,
    pin_one_core,
    profile_steps,
    rss_mib,
    scale_for,
    step_breakdown,
)
from experiments.bench_report import AIM_MEMORY_MIB, AIM_RATIO, AIM_SPEED, METHOD, _aim, render

__all__ = [
    "AIM_MEMORY_MIB",
    "AIM_RATIO",
    "AIM_SPEED",
    "FULL",
    "METHOD",
    "QUICK",
    "SIZES",
    "THREAD_VARS",
    "_aim",
    "_git",
    "all_levers_scenario",
    "demography_rows",
    "in_child",
    "machine",
    "main",
    "measure_levers",
    "measure_memory",
    "measure_plan_rows",
    "measure_reference",
    "measure_speed",
    "overrides_for",
    "peak_mib",
    "pin_one_core",
    "profile_steps",
    "render",
    "render_rows",
    "rss_mib",
    "run_benchmark",
    "scale_for",
    "step_breakdown",
]

#: Region of each benchmark size: (label, target residents, region overrides).
SIZES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("10k", 10_000, ("region=tottori",)),
    ("100k", 100_000, ("region=tottori",)),
    ("1M", 1_000_000, ("region=prefecture", "region.prefecture=奈良県")),
)
FULL = {"warm": 26, "timed": {"10k": 52, "100k": 52, "1M": 52}, "reference_weeks": 8,
        "array_repeats": 10, "memory": "1M", "memory_years": 10}  # fmt: skip
QUICK = {"warm": 4, "timed": {"10k": 8, "100k": 8}, "reference_weeks": 2,
         "array_repeats": 3, "memory": "100k", "memory_years": 1}  # fmt: skip


def in_child(fn: Callable, *args: Any) -> Any:
    """Run ``fn(*args)`` in a fresh spawned process (ended if this one dies).

    Args:
        fn: a module-level function (it is pickled by name).
        *args: its arguments.

    Returns:
        What ``fn`` returned in the child.
    """
    from sim.core.lifeline import worker_pool  # standard library only: nothing heavy in the child

    with worker_pool(1) as pool:
        return pool.submit(fn, *args).result()


def machine() -> dict[str, str]:
    """CPU model, cores, memory, and library versions.

    Returns:
        ``cpu``, ``cores``, ``memory``, ``python``, ``numpy``, ``scipy``, ``mesa`` and
        ``commit`` (noting uncommitted changes under ``sim/``), as text.
    """
    import mesa
    import numpy
    import scipy

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    root = Path(__file__).resolve().parents[1]
    commit = _git(root, "rev-parse", "--short", "HEAD")
    dirty = _git(root, "status", "--porcelain", "--untracked-files=no", "sim")
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": f"{int(mem) / 2**20:.1f} GiB",
            "python": platform.python_version(), "numpy": numpy.__version__,
            "scipy": scipy.__version__, "mesa": mesa.__version__,
            "commit": commit + (" (sim/ has uncommitted changes)" if dirty else "")}  # fmt: skip


def _git(root: Path, *args: str) -> str:
    """Run ``git *args`` in ``root`` and return its standard output, stripped (empty on failure)."""
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def overrides_for(label: str, scale: float, years: int, burn_in: int | None) -> list[str]:
    """Config overrides of one benchmark size.

    Args:
        label: size label of :data:`SIZES` (``10k``, ``100k`` or ``1M``).
        scale: population scale.
        years: simulated years.
        burn_in: burn-in weeks, or None for the default.

    Returns:
        The overrides: region, scale, years and, if given, burn-in.
    """
    regions = {lab: ov for lab, _, ov in SIZES}
    out = [*regions[label], f"population.scale={scale!r}", f"years={years}"]
    return out if burn_in is None else [*out, f"burn_in_weeks={burn_in}"]


def run_benchmark(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """All measurements, each in its own child process.

    Sets the thread-count variables (:data:`THREAD_VARS`) to 1 first, so every child inherits
    them.

    Args:
        quick: use the :data:`QUICK` protocol instead of :data:`FULL`.
        log: called with a line of progress text.

    Returns:
        ``quick``, ``protocol``, ``scales`` and the results of ``memory``, ``reference``,
        ``levers`` and ``speed`` (by size label), each with the overrides it ran.
    """
    for var in THREAD_VARS:
        os.environ[var] = "1"
    proto = QUICK if quick else FULL
    targets = {lab: (n, ov) for lab, n, ov in SIZES}
    labels = {*proto["timed"], proto["memory"], "10k"}
    scales = {lab: scale_for(*targets[lab]) for lab in labels}
    res: dict[str, Any] = {"quick": quick, "protocol": proto, "scales": scales}
    mem_ov = overrides_for(proto["memory"], scales[proto["memory"]][0], proto["memory_years"], None)
    log(f"memory run: {' '.join(mem_ov)}")
    res["memory"] = in_child(measure_memory, mem_ov)
    res["memory"]["overrides"] = mem_ov
    res["memory"]["children_maxrss_mib"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    log(f"  peak {res['memory']['peak_mib']:.0f} MiB in {res['memory']['seconds']:.0f} s")
    ref_ov = overrides_for("10k", scales["10k"][0], 1, 0)
    log(f"reference ratio: {' '.join(ref_ov)}")
    res["reference"] = in_child(
        measure_reference, ref_ov, proto["reference_weeks"], proto["array_repeats"]
    )
    res["reference"]["overrides"] = ref_ov
    log(f"  {res['reference']}")
    lev_ov = overrides_for(
        "100k", scales["100k"][0] if "100k" in scales else scale_for(*targets["100k"])[0], 5, 0
    )
    log(f"levers: {' '.join(lev_ov)}")
    res["levers"] = in_child(measure_levers, lev_ov, proto["warm"], 26)
    res["levers"]["overrides"] = lev_ov
    log(f"  {res['levers']}")
    res["speed"] = {}
    for label, timed in proto["timed"].items():
        ov = overrides_for(label, scales[label][0], 2, 0)
        log(f"speed {label}: {' '.join(ov)}")
        out = in_child(measure_speed, ov, proto["warm"], timed, label == "1M")
        out["overrides"] = ov
        res["speed"][label] = out
        log(f"  {out['n']} residents: {out['speed'] / 1e6:.2f} M resident-steps/s")
    return res


def demography_rows(overrides: list[str], weeks: int, log: Callable[[str], None]) -> dict:
    """Time each plan row with dynamic and with static demography, each in its own child.

    Args:
        overrides: config overrides of the run (``demography`` is set here; give a short
            ``burn_in_weeks``: demography runs only from week 0).
        weeks: weeks timed after 4 untimed weeks past week 0 (:func:`measure_plan_rows`).
        log: called with a line of progress text.

    Returns:
        ``overrides``, ``weeks`` and the results of ``dynamic`` and ``static``, each with the
        1-minute load average before and after it.
    """
    res: dict[str, Any] = {"overrides": overrides, "weeks": weeks}
    for mode in ("dynamic", "static"):
        log(f"plan rows, demography={mode}: {' '.join(overrides)}")
        before = os.getloadavg()[0]
        out = in_child(measure_plan_rows, [*overrides, f"demography={mode}"], 4, weeks)
        out["load"] = [before, os.getloadavg()[0]]
        res[mode] = out
        log(f"  {out['total_cpu_s']:.3f} CPU-s / week, load {before:.1f} -> {out['load'][1]:.1f}")
    return res


def render_rows(res: dict) -> str:
    """Markdown table of :func:`demography_rows`: ms per week and share of the step by row."""
    dyn, sta = res["dynamic"], res["static"]
    head = (
        "| row | dynamic CPU ms/week | share | dynamic wall ms/week | share "
        "| static CPU ms/week | share |\n|---|---|---|---|---|---|---|"
    )
    lines = [head]
    names = [*dyn["rows"], *(k for k in sta["rows"] if k not in dyn["rows"])]
    names = [k for k in names if k != "other"] + ["other"]

    def cell(r: dict, key: str, total: float, name: str) -> str:
        if name not in r["rows"]:
            return "- | -"
        v = r["rows"][name][key]
        return f"{1000 * v:.1f} | {100 * v / total:.1f} %"

    for k in names:
        lines.append(
            f"| {k} | {cell(dyn, 'cpu_s', dyn['total_cpu_s'], k)} "
            f"| {cell(dyn, 'wall_s', dyn['total_wall_s'], k)} "
            f"| {cell(sta, 'cpu_s', sta['total_cpu_s'], k)} |"
        )
    lines.append(
        f"| total | {1000 * dyn['total_cpu_s']:.1f} | 100 % | {1000 * dyn['total_wall_s']:.1f} "
        f"| 100 % | {1000 * sta['total_cpu_s']:.1f} | 100 % |"
    )
    ratio_cpu = dyn["total_cpu_s"] / sta["total_cpu_s"]
    ratio_wall = dyn["total_wall_s"] / sta["total_wall_s"]
    lines.append(
        f"\nResidents: {dyn['alive']:,} living in {dyn['slots']:,} slots (dynamic, after the "
        f"timed weeks), {sta['alive']:,} (static). Step dynamic / static: {ratio_cpu:.2f}x CPU "
        f"time, {ratio_wall:.2f}x wall time. 1-minute load average: dynamic "
        f"{dyn['load'][0]:.1f} -> {dyn['load'][1]:.1f}, static {sta['load'][0]:.1f} -> "
        f"{sta['load'][1]:.1f}. Peak RSS: {dyn['peak_mib']:.0f} / {sta['peak_mib']:.0f} MiB."
    )
    if dyn["profile"]:
        lines.append(f"\nDemography row, cProfile over 8 more weeks:\n\n```\n{dyn['profile']}\n```")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point.

    Args:
        argv: command-line arguments (default ``sys.argv[1:]``).

    Returns:
        The exit status (0).
    """
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small protocol, 10k and 100k only")
    ap.add_argument(
        "--out", type=Path, default=None, help="report file (default docs/benchmarks.md)"
    )
    ap.add_argument(
        "--rows",
        type=int,
        default=0,
        metavar="WEEKS",
        help="only time each plan row over WEEKS weeks after week 0, dynamic and static demography",
    )
    ap.add_argument(
        "--memory-of", action="store_true", help="only the peak memory of a run of OVERRIDES"
    )
    ap.add_argument("overrides", nargs="*", help="config overrides for --rows and --memory-of")
    args = ap.parse_args(argv)
    if args.rows or args.memory_of:
        return _single(args.rows, args.overrides)
    out = args.out
    if out is None and not args.quick:
        out = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
    started = dt.datetime.now().astimezone()
    load = os.getloadavg()
    command = "python experiments/benchmark.py " + " ".join(argv or sys.argv[1:])
    info = machine()
    print(f"{info['cpu']}, numpy {info['numpy']}, commit {info['commit']}", flush=True)
    res = run_benchmark(args.quick, lambda s: print(s, flush=True))
    info["load"] = f"{load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    report = render(res, info, command.strip(), started)
    print(report)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report, encoding="utf-8")
        print(f"wrote {out}")
    return 0


def _single(rows: int, overrides: list[str]) -> int:
    """``--rows`` (:func:`demography_rows`) or ``--memory-of`` (:func:`measure_memory`): print it.

    Args:
        rows: weeks timed per plan row, or 0 for the memory of a complete run.
        overrides: config overrides of the run.

    Returns:
        The exit status (0).
    """
    import json

    for var in THREAD_VARS:
        os.environ[var] = "1"
    load = os.getloadavg()[0]
    if rows:
        res = demography_rows(overrides, rows, lambda s: print(s, flush=True))
        print(render_rows(res))
    else:
        res = in_child(measure_memory, overrides)
        res["overrides"] = overrides
    res["load"] = [load, os.getloadavg()[0]]
    print(json.dumps(res, ensure_ascii=False, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
