"""Measurements of the benchmark (:mod:`experiments.benchmark`), each meant for its own child.

Every ``measure_*`` function pins its process to one CPU first (:func:`pin_one_core`), imports the
simulation only then, and returns a plain dict that travels back to the parent. This module
imports only the standard library at the top, so nothing heavy is loaded in a child before it is
pinned.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Thread-count variables set to 1 for every child, so speeds are per core.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def scale_for(target: int, overrides: tuple[str, ...]) -> tuple[float, int]:
    """Population scale giving ``target`` residents in the region, and the census total.

    Args:
        target: number of residents wanted.
        overrides: config overrides choosing the region.

    Returns:
        The population scale and the region's census total.
    """
    from sim.config import compose_config
    from sim.world.region import load_region

    r = compose_config(list(overrides)).region
    region = load_region(r.key, prefecture=r.prefecture, csv=r.csv, municipalities=r.municipalities)
    total = int(region.municipalities["pop_total"].sum())
    return target / total, total


def pin_one_core() -> dict[str, int]:
    """Pin this process to the first CPU it may use.

    Returns:
        The CPU counts before (``cpus_allowed``) and after (``cpus_pinned``) pinning.
    """
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {allowed[0]})
    return {"cpus_allowed": len(allowed), "cpus_pinned": len(os.sched_getaffinity(0))}


def rss_mib() -> float:
    """Current resident set size of this process, from /proc/self/status.

    Returns:
        The RSS in MiB (NaN if /proc/self/status does not give it).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mib() -> float:
    """Peak resident set size of this process so far.

    Returns:
        The peak RSS (``ru_maxrss``) in MiB.
    """
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_speed(
    overrides: list[str], warm: int, timed: int, breakdown: bool = False
) -> dict[str, Any]:
    """Set-up time and resident-steps/s of the array engine (runs in a child).

    Args:
        overrides: config overrides of the run.
        warm: weeks stepped untimed after set-up.
        timed: weeks stepped and timed after the warm-up.
        breakdown: also time each process of the step (:func:`step_breakdown`) and profile
            (:func:`profile_steps`).

    Returns:
        Residents, set-up seconds, seconds per week, wall-clock and CPU speeds, tie and group
        counts, the CPU counts of :func:`pin_one_core`, the peak RSS, and with ``breakdown`` the
        per-process times and the profile text.
    """
    info = pin_one_core()
    from sim.config import compose_config
    from sim.engine.model import LonelinessModel, iter_weeks

    cfg = compose_config(overrides)
    t0 = time.perf_counter()
    model = LonelinessModel(cfg)
    setup = time.perf_counter() - t0
    for _ in iter_weeks(model, weeks=warm):
        pass
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in iter_weeks(model, weeks=timed):
        pass
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {**info, "n": model.pop.n, "setup_s": setup, "weeks": timed, "step_s": seconds / timed,
           "speed": model.pop.n * timed / seconds,
           "cpu_speed": model.pop.n * timed / cpu, "friend_ties": model.friends.n_edges,
           "neighbour_ties": int(model.nb_edges.shape[0]), "groups": model.groups.n}  # fmt: skip
    if breakdown:
        out["breakdown"] = step_breakdown(model, 13)
        out["profile"] = profile_steps(model, 8)
    out["peak_mib"] = peak_mib()
    return out


def step_breakdown(model, weeks: int) -> dict[str, float]:
    """Mean wall seconds per week of each row of the step plan (its step function wrapped).

    Args:
        model: a set-up ``LonelinessModel``; its step functions stay wrapped afterwards.
        weeks: weeks to step.

    Returns:
        Seconds per week by row of the step plan, plus ``other`` (the rest of the step) and
        ``total``.
    """
    from sim.engine.model import iter_weeks

    spent: dict[str, float] = {}

    def timed(name: str, fn: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t

        return wrapper

    for name, step in list(model.processes.items()):  # every row: processes, services, record
        model.processes[name] = timed(name, step)
    t0 = time.perf_counter()
    for _ in iter_weeks(model, weeks=weeks):
        pass
    total = time.perf_counter() - t0
    out = {k: v / weeks for k, v in spent.items()}
    out["other"] = total / weeks - sum(out.values())
    out["total"] = total / weeks
    return out


def profile_steps(model, weeks: int, top: int = 15) -> str:
    """Profile ``weeks`` steps with cProfile and list the ``top`` functions by own time.

    Args:
        model: a set-up ``LonelinessModel``.
        weeks: weeks to step under the profiler.
        top: number of functions listed.

    Returns:
        The pstats table from its ``ncalls`` header on, with directories stripped.
    """
    from sim.engine.model import iter_weeks

    prof = cProfile.Profile()
    prof.enable()
    for _ in iter_weeks(model, weeks=weeks):
        pass
    prof.disable()
    buf = io.StringIO()
    # strip_dirs: no absolute path of this machine goes into docs/benchmarks.md
    pstats.Stats(prof, stream=buf).strip_dirs().sort_stats("tottime").print_stats(top)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    return "\n".join(lines[start:])


def measure_reference(overrides: list[str], weeks: int, repeats: int) -> dict[str, Any]:
    """Array engine and reference on one configuration, first ``weeks`` weeks (in one child).

    Args:
        overrides: config overrides of the run.
        weeks: weeks timed after set-up, for both engines.
        repeats: fresh array-engine models timed, their times summed.

    Returns:
        Residents, both speeds (resident-steps/s) and their ratio, the CPU counts and the peak
        RSS; or the CPU counts and ``error`` if the reference is not available.
    """
    info = pin_one_core()
    from sim.config import compose_config

    try:
        from sim.analysis.reference import reference_speed
    except ImportError as exc:
        return {**info, "error": f"sim.analysis.reference not available: {exc}"}
    from sim.analysis.reference import core_array_model
    from sim.engine.model import iter_weeks

    cfg = compose_config(overrides)
    seconds, n = 0.0, 0
    for _ in range(repeats):
        model = core_array_model(cfg)  # like for like: the reference has no policy levers
        t0 = time.perf_counter()
        for _ in iter_weeks(model, weeks=weeks):
            pass
        seconds += time.perf_counter() - t0
        n = model.pop.n
    array = n * weeks * repeats / seconds
    ref = reference_speed(cfg, weeks)
    return {**info, "n": n, "weeks": weeks, "repeats": repeats, "array": array,
            "reference": ref, "ratio": array / ref, "peak_mib": peak_mib()}  # fmt: skip


def all_levers_scenario():
    """Every lever of the three combined packages at once (ids made unique).

    Returns:
        A ``Scenario`` named ``all_levers``.
    """
    from sim.policy.scenario import Scenario, load_scenario

    levers, seen = [], set()
    for name in ("places_first", "people_first", "digital_first"):
        for lv in load_scenario(name).levers:
            if lv.id not in seen:
                seen.add(lv.id)
                levers.append(lv)
    return Scenario(name="all_levers", levers=levers)


def measure_levers(overrides: list[str], warm: int, timed: int) -> dict[str, Any]:
    """Weekly step time with no levers, the status quo, and every lever on (one child).

    Args:
        overrides: config overrides of the run (the start date is set to 2026-03-29).
        warm: weeks stepped untimed after set-up.
        timed: weeks timed, the three models stepped in turn.

    Returns:
        Residents, weeks, number of levers, CPU seconds per week of each arm
        (``<arm>_step_s``), ``ratio_all_vs_core`` and the CPU counts.
    """
    info = pin_one_core()
    from sim.config import compose_config
    from sim.engine.model import LonelinessModel, iter_weeks
    from sim.policy.scenario import Scenario, load_scenario

    # start just before the packages' levers (April 2026), so every lever is active when timed
    cfg = compose_config([*overrides, "start_date=2026-03-29"])
    arms = {
        "core": Scenario(name="core"),
        "baseline": load_scenario("baseline"),
        "all_levers": all_levers_scenario(),
    }
    models = {k: LonelinessModel(cfg, scenario=s) for k, s in arms.items()}
    for m in models.values():
        for _ in iter_weeks(m, weeks=warm):
            pass
    seconds = dict.fromkeys(models, 0.0)
    weeks = {k: iter_weeks(m, weeks=timed) for k, m in models.items()}
    for _ in range(timed):  # interleaved, so load on the machine hits every arm alike
        for k, it in weeks.items():
            c0 = time.process_time()
            next(it)
            seconds[k] += time.process_time() - c0
    n = next(iter(models.values())).pop.n
    out = {**info, "n": n, "weeks": timed, "levers": len(arms["all_levers"].levers)}
    for k, s in seconds.items():
        out[f"{k}_step_s"] = s / timed
    out["ratio_all_vs_core"] = seconds["all_levers"] / seconds["core"]
    return out


def measure_memory(overrides: list[str]) -> dict[str, Any]:
    """RSS through a complete run, year by year, and the peak (runs in a child).

    Args:
        overrides: config overrides of the run (its years and burn-in are the run's).

    Returns:
        Residents, years, burn-in weeks, rows of (stage, week, RSS, peak so far, elapsed
        seconds), the result table's row count, the peak RSS, total seconds and the CPU counts.
    """
    info = pin_one_core()
    from sim.config import compose_config
    from sim.engine.model import LonelinessModel, iter_weeks

    cfg = compose_config(overrides)
    t0 = time.perf_counter()
    model = LonelinessModel(cfg)
    rows = [("set-up", model.week, rss_mib(), peak_mib(), time.perf_counter() - t0)]
    for _ in iter_weeks(model, until=0):
        pass
    rows.append(("burn-in", model.week, rss_mib(), peak_mib(), time.perf_counter() - t0))
    for year in range(1, cfg.years + 1):
        for _ in iter_weeks(model, until=52 * year):
            pass
        rows.append((f"year {year}", model.week, rss_mib(), peak_mib(), time.perf_counter() - t0))
    table = model.recorder.table(model.start_date)
    rows.append(("result table", model.week, rss_mib(), peak_mib(), time.perf_counter() - t0))
    alive = int((model.pop.age >= 0).sum())  # living residents (slots reserved when dynamic)
    return {**info, "n": model.pop.n, "alive": alive, "years": cfg.years,
            "burn_in": cfg.burn_in_weeks, "rows": rows, "table_rows": len(table),
            "peak_mib": peak_mib(), "seconds": time.perf_counter() - t0,
            "cpu_s": time.process_time()}  # fmt: skip


def measure_plan_rows(
    overrides: list[str], warm: int, weeks: int, profile_row: str = "demography"
) -> dict[str, Any]:
    """Wall and CPU time of each row of the step plan over ``weeks`` weeks (runs in a child).

    The model runs its burn-in and ``warm`` weeks after week 0 untimed (demography runs only from
    week 0), then every row's step function is wrapped and ``weeks`` weeks are timed. Then, if
    the plan has a row ``profile_row`` that ran, 8 more weeks profile that row alone (cProfile).

    Args:
        overrides: config overrides of the run.
        warm: weeks stepped untimed after week 0.
        weeks: weeks timed.
        profile_row: plan row profiled after the timing ("" for none).

    Returns:
        Slots and living residents, set-up seconds, ``rows`` (row name -> wall and CPU seconds
        per week), ``total_wall_s`` and ``total_cpu_s`` per week (``other``: the step outside
        the rows), the profile text of ``profile_row`` (empty if it did not run), the CPU counts
        and the peak RSS.
    """
    info = pin_one_core()
    from sim.config import compose_config
    from sim.engine.model import LonelinessModel, iter_weeks

    cfg = compose_config(overrides)
    t0 = time.perf_counter()
    model = LonelinessModel(cfg)
    setup = time.perf_counter() - t0
    for _ in iter_weeks(model, until=warm):
        pass
    spent: dict[str, list[float]] = {}

    def timed(name: str, fn: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                acc = spent.setdefault(name, [0.0, 0.0])
                acc[0] += time.perf_counter() - t
                acc[1] += time.process_time() - c

        return wrapper

    steps = dict(model.processes)
    for name, step in steps.items():
        model.processes[name] = timed(name, step)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in iter_weeks(model, weeks=weeks):
        pass
    wall, cpu = (time.perf_counter() - t0) / weeks, (time.process_time() - c0) / weeks
    rows = {k: {"wall_s": v[0] / weeks, "cpu_s": v[1] / weeks} for k, v in spent.items()}
    rows["other"] = {
        "wall_s": wall - sum(r["wall_s"] for r in rows.values()),
        "cpu_s": cpu - sum(r["cpu_s"] for r in rows.values()),
    }
    profile = ""
    if profile_row in spent:
        profs: list[cProfile.Profile] = []

        def profiled(*args, **kwargs):
            profs.append(cProfile.Profile())  # a fresh profiler per call, merged below
            return profs[-1].runcall(steps[profile_row], *args, **kwargs)

        model.processes[profile_row] = profiled
        for _ in iter_weeks(model, weeks=8):
            pass
        buf = io.StringIO()
        stats = pstats.Stats(profs[0], stream=buf)
        stats.add(*profs[1:])
        stats.strip_dirs().sort_stats("tottime").print_stats(20)
        lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
        start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
        profile = "\n".join(lines[start:])
    alive = int((model.pop.age >= 0).sum())
    return {**info, "slots": model.pop.n, "alive": alive, "setup_s": setup, "warm": warm,
            "weeks": weeks, "rows": rows, "total_wall_s": wall, "total_cpu_s": cpu,
            "profile": profile, "peak_mib": peak_mib()}  # fmt: skip
