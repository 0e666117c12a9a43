"""Markdown report of the benchmark (:mod:`experiments.benchmark`): ``docs/benchmarks.md``.

:func:`render` turns the results of :func:`experiments.benchmark.run_benchmark` and the machine
description into the report: the aims and whether they are met, speed by size, policy levers
against the core engine, the ratio to the reference implementation, peak memory, where time goes
at 1M residents, and the method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from experiments.bench_measure import THREAD_VARS

AIM_SPEED, AIM_RATIO, AIM_MEMORY_MIB = 10e6, 100.0, 2048.0


def render(res: dict[str, Any], info: dict[str, str], command: str, started) -> str:
    """The markdown report.

    Args:
        res: results of :func:`experiments.benchmark.run_benchmark`.
        info: machine description of :func:`experiments.benchmark.machine`, with ``load`` added.
        command: the command line, shown in the report.
        started: when the benchmark started (an aware ``datetime``).

    Returns:
        The report text (Markdown).
    """
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
    """One row of the aims table.

    Args:
        name: what is measured.
        target: the aim, as text.
        value: the measured value, or None if not measured.
        fmt: formats the value.
        ok: whether the value meets the aim.

    Returns:
        The Markdown table row.
    """
    if value is None:
        return f"| {name} | {target} | not measured | - |"
    return f"| {name} | {target} | {fmt(value)} | {'yes' if ok(value) else '**no**'} |"


#: The "Method" section of the report, one bullet a string.
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
