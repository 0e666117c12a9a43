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
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
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
AIM_SPEED, AIM_RATIO, AIM_MEMORY_MIB = 10e6, 100.0, 2048.0


def scale_for(target: int, overrides: tuple[str, ...]) -> tuple[float, int]:
    """Population scale giving ``target`` residents in the region, and the census total."""
    from sim.config import compose_config
    from sim.world.region import load_region

    r = compose_config(list(overrides)).region
    region = load_region(r.key, prefecture=r.prefecture, csv=r.csv, municipalities=r.municipalities)
    total = int(region.municipalities["pop_total"].sum())
    return target / total, total


def pin_one_core() -> dict[str, int]:
    """Pin this process to the first CPU it may use; return the CPU counts before and after."""
    allowed = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {allowed[0]})
    return {"cpus_allowed": len(allowed), "cpus_pinned": len(os.sched_getaffinity(0))}


def rss_mib() -> float:
    """Current resident set size of this process (MiB), from /proc/self/status."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mib() -> float:
    """Peak resident set size of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_speed(
    overrides: list[str], warm: int, timed: int, breakdown: bool = False
) -> dict[str, Any]:
    """Set-up time and resident-steps/s of the array engine (runs in a child)."""
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
    """Mean wall seconds per week of each row of the step plan (its step function wrapped)."""
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
    """Profile ``weeks`` steps with cProfile and list the ``top`` functions by own time."""
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
    """Array engine and reference on one configuration, first ``weeks`` weeks (in one child)."""
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
    """Every lever of the three combined packages at once (ids made unique)."""
    from sim.policy.scenario import Scenario, load_scenario

    levers, seen = [], set()
    for name in ("places_first", "people_first", "digital_first"):
        for lv in load_scenario(name).levers:
            if lv.id not in seen:
                seen.add(lv.id)
                levers.append(lv)
    return Scenario(name="all_levers", levers=levers)


def measure_levers(overrides: list[str], warm: int, timed: int) -> dict[str, Any]:
    """Weekly step time with no levers, the status quo, and every lever on (one child)."""
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
    """RSS through a complete run, year by year, and the peak (runs in a child)."""
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
    return {**info, "n": model.pop.n, "years": cfg.years, "burn_in": cfg.burn_in_weeks,
            "rows": rows, "table_rows": len(table), "peak_mib": peak_mib(),
            "seconds": time.perf_counter() - t0}  # fmt: skip


def in_child(fn: Callable, *args: Any) -> Any:
    """Run ``fn(*args)`` in a fresh spawned process (ended if this one dies); return its result."""
    from sim.core.lifeline import worker_pool  # standard library only: nothing heavy in the child

    with worker_pool(1) as pool:
        return pool.submit(fn, *args).result()


def machine() -> dict[str, str]:
    """CPU model, cores, memory, and library versions."""
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
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def overrides_for(label: str, scale: float, years: int, burn_in: int | None) -> list[str]:
    """Config overrides of one benchmark size."""
    regions = {lab: ov for lab, _, ov in SIZES}
    out = [*regions[label], f"population.scale={scale!r}", f"years={years}"]
    return out if burn_in is None else [*out, f"burn_in_weeks={burn_in}"]


def run_benchmark(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """All measurements, each in its own child process."""
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


def render(res: dict[str, Any], info: dict[str, str], command: str, started) -> str:
    """The markdown report."""
    sp, ref, mem = res["speed"], res["reference"], res["memory"]
    big = sp.get("1M")
    mem_label = f"{mem['n']:,} residents, {mem['years']}-year run"
    lines = [
        "# Benchmarks",
        "",
        f"Measured {started:%Y-%m-%d %H:%M %Z} on {info['cpu']} ({info['cores']} cores visible, "
        f"{info['memory']} RAM); Python {info['python']}, numpy {info['numpy']}, scipy "
        f"{info['scipy']}, mesa {info['mesa']}; engine at commit {info['commit']}.",
        "",
        f"Command: `{command}`" + (" (quick protocol: not the reference figures)" if res["quick"]
                                   else ""),
        "",
        f"Every measurement ran in its own spawned child process pinned to one CPU "
        f"(`os.sched_getaffinity`: {mem['cpus_allowed']} allowed, {mem['cpus_pinned']} after "
        f"pinning) with `{'=1 '.join(THREAD_VARS)}=1`, so speeds are per core. The machine "
        f"was shared with other work (1-minute load average {info['load']}, on "
        f"{info['cores']} cores), so wall-clock speeds include waiting for the core; speeds "
        "per CPU-second (`time.process_time` of the pinned, single-threaded child) do not.",
        "",
        "## Aims",
        "",
        "| aim | target | measured | met |",
        "|---|---|---|---|",
        _aim("speed at 1M residents (wall clock)", "≥ 10 M resident-steps/s per core",
             big and big["speed"], lambda v: f"{v / 1e6:.2f} M/s", lambda v: v >= AIM_SPEED),
        _aim("speed at 1M residents (CPU time)", "≥ 10 M resident-steps/s per core",
             big and big["cpu_speed"], lambda v: f"{v / 1e6:.2f} M/s", lambda v: v >= AIM_SPEED),
        _aim("speed against the reference (10k)", "≥ 100x", ref.get("ratio"),
             lambda v: f"{v:.0f}x", lambda v: v >= AIM_RATIO),
        _aim(f"peak memory ({mem_label})", "< 2 GiB (2048 MiB)", mem["peak_mib"],
             lambda v: f"{v:,.0f} MiB", lambda v: v < AIM_MEMORY_MIB),
        _aim("all levers on vs core engine (100k, CPU time)", "≤ 2x",
             res.get("levers", {}).get("ratio_all_vs_core"),
             lambda v: f"{v:.2f}x", lambda v: v <= 2.0),
        "",
        "## Speed (array engine)",
        "",
        "| size | configuration | residents | set-up (s) | warm-up weeks | timed weeks | "
        "s / week | M resident-steps/s (wall) | M resident-steps per CPU-s | friendship ties "
        "| neighbour ties | work/school groups | child peak RSS (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for label, r in sp.items():
        lines.append(
            f"| {label} | `{' '.join(r['overrides'])}` | {r['n']:,} | {r['setup_s']:.2f} | "
            f"{res['protocol']['warm']} | {r['weeks']} | {r['step_s']:.4f} | "
            f"{r['speed'] / 1e6:.2f} | {r['cpu_speed'] / 1e6:.2f} | {r['friend_ties']:,} | "
            f"{r['neighbour_ties']:,} | {r['groups']:,} | {r['peak_mib']:,.0f} |"
        )
    lev = res.get("levers")
    if lev:
        lines += [
            "", "## Policy levers against the core engine", "",
            f"Configuration `{' '.join(lev['overrides'])}` ({lev['n']:,} residents). Three models "
            f"from the same set-up, stepped in turn ({lev['weeks']} weeks after "
            f"{res['protocol']['warm']} warm-up weeks, CPU time per step): no levers at all "
            "(core dynamics only), the status quo (`baseline`), and every lever of the three "
            f"combined packages at once ({lev['levers']} levers).", "",
            "| core (s/week) | baseline (s/week) | all levers (s/week) | all levers / core |",
            "|---|---|---|---|",
            f"| {lev['core_step_s']:.4f} | {lev['baseline_step_s']:.4f} | "
            f"{lev['all_levers_step_s']:.4f} | {lev['ratio_all_vs_core']:.2f}x |",
        ]  # fmt: skip
    lines += ["", "## Against the reference implementation", ""]
    if "error" in ref:
        lines.append(f"Not measured: {ref['error']}.")
    else:
        lines += [
            f"Configuration `{' '.join(ref['overrides'])}` ({ref['n']:,} residents), both engines "
            f"started from the same set-up and timed over its first {ref['weeks']} weeks "
            f"(array engine with the core dynamics only, like the reference: {ref['repeats']} "
            "fresh models, times summed; reference: "
            "`sim.analysis.reference.reference_speed`, set-up excluded, monthly recording), in one "
            "process.",
            "",
            "| array engine (resident-steps/s) | reference (resident-steps/s) | ratio |",
            "|---|---|---|",
            f"| {ref['array']:,.0f} | {ref['reference']:,.0f} | {ref['ratio']:.0f}x |",
        ]
    lines += [
        "",
        "## Peak memory",
        "",
        f"A complete run: `{' '.join(mem['overrides'])}`: set-up, {mem['burn_in']} burn-in "
        f"weeks, {mem['years']} x 52 weeks, then the result table ({mem['table_rows']:,} rows) "
        f"as `sim.engine.model.run` builds it; {mem['seconds']:.0f} s in all. "
        "Peak RSS of the child "
        f"(`ru_maxrss`): **{mem['peak_mib']:,.0f} MiB** (the parent's `RUSAGE_CHILDREN` "
        f"reported {mem['children_maxrss_mib']:,.0f} MiB). RSS along the run:",
        "",
        "| after | week | RSS (MiB) | peak so far (MiB) | elapsed (s) |",
        "|---|---|---|---|---|",
        *(f"| {a} | {w} | {r:,.0f} | {p:,.0f} | {t:.0f} |" for a, w, r, p, t in mem["rows"]),
    ]
    if big and "breakdown" in big:
        bd = big["breakdown"]
        lines += ["", f"## Where time goes at {big['n']:,} residents", "",
                  "Wall time per week of each process of the step (13 weeks after the timed "
                  "ones; `other` is bookkeeping such as the quarterly group index rebuild):", "",
                  "| process | ms / week | share |", "|---|---|---|"]  # fmt: skip
        lines += [f"| {k} | {v * 1e3:.1f} | {v / bd['total']:.0%} |" for k, v in bd.items()]
        lines += ["", "cProfile, 8 weeks, top functions by own time:", "", "```",
                  big["profile"], "```"]  # fmt: skip
    lines += ["", "## Method", "", *METHOD, ""]
    return "\n".join(lines)


def _aim(name: str, target: str, value, fmt: Callable, ok: Callable) -> str:
    if value is None:
        return f"| {name} | {target} | not measured | - |"
    return f"| {name} | {target} | {fmt(value)} | {'yes' if ok(value) else '**no**'} |"


METHOD = (
    "- Sizes: the population scale is the target count divided by the region's 2020 census "
    "total, so 10k and 100k are Tottori (553,407 people) and 1M is Nara (1,324,473).",
    "- Speed: set-up (region, population, tie layers) is timed on its own; then the warm-up "
    "weeks run untimed and the timed weeks are measured with `time.perf_counter`. A week is one "
    "`LonelinessModel.step()`: life events, contacts on every layer (household, work/school, "
    "neighbourhood, friendship, community), tie formation and decay, venue sessions and "
    "outreach, loneliness, noticing, help seeking, consultation, costs, and the monthly "
    "recording (`sim.engine.model.STEP_ORDER`). "
    "Resident-steps/s = residents x timed weeks / seconds.",
    "- Reference: `sim.analysis.reference.reference_speed(cfg, weeks)` "
    "(one Mesa agent per resident) and "
    "the array engine on the same configuration and the same weeks, in the same process, both "
    "by wall clock. The reference has the core dynamics only (no service processes), so the "
    "array engine does more work per step than the reference it is compared with.",
    "- Memory: peak resident set size (`ru_maxrss`) of a child process that only does the run; "
    "it includes the interpreter and the imported libraries.",
    "- No timings are asserted in tests; rerun this script to refresh the figures.",
)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small protocol, 10k and 100k only")
    ap.add_argument(
        "--out", type=Path, default=None, help="report file (default docs/benchmarks.md)"
    )
    args = ap.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
