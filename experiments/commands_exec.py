"""Running a command's sweep and writing its footer (split from :mod:`experiments.commands`).

:func:`check_memory` refuses jobs whose parallel runs cannot fit in memory; :func:`_execute`
runs what the store does not hold yet and prints the counts; :func:`_footer` writes
``last_command.json``; :func:`_print_indices` and :func:`_csv` serve ``tsunagari sensitivity``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from experiments import sensitivity as sa
from experiments.sweep import Sweep, evaluator_for, execute
from sim.core.files import atomic_write_text, write_csv
from sim.core.params import ConfigError


def check_memory(sweep: Sweep, workers: int, available: int | None = -1) -> None:
    """Refuse, before any run, a job whose parallel runs together cannot fit in memory.

    :func:`sim.config.check_size` checks one run; ``workers`` processes each hold a run at
    once, so together they need ``workers`` times its estimate.

    Args:
        sweep: the prepared sweep.
        workers: runs held in memory at once (1 for the serial executor).
        available: bytes available (default: :func:`sim.config.available_memory`; None
            skips the check).

    Raises:
        ConfigError: naming ``executor.workers`` and ``population.scale``.
    """
    from sim import config as sc
    from sim.world.population import simulated_residents

    if workers <= 1:
        return  # one run at a time: the per-run check already ran
    if available == -1:
        available = sc.available_memory()
    if available is None:
        return
    base, region = sweep.ctx.base, sweep.ctx.region
    residents = int(simulated_residents(region.municipalities, base.population).sum())
    dynamic = base.demography == "dynamic"
    one = sc.estimate_memory(residents, len(region.municipalities), base.years, dynamic)
    if workers * one <= available:
        return
    fit = available // one
    hint = (
        f"use executor.workers={fit} or fewer, or lower population.scale"
        if fit >= 1
        else "lower population.scale"
    )
    raise ConfigError(
        f"executor.workers={workers}: {workers} runs at once at population.scale="
        f"{base.population.scale:g} need about {_size(workers * one)} of memory "
        f"({_size(one)} each), more than the {_size(available)} available; {hint}"
    )


def _size(nbytes: float) -> str:
    """A memory size for messages: MiB below 1 GiB, else GiB with one decimal."""
    return f"{nbytes / 2**20:,.0f} MiB" if nbytes < 2**30 else f"{nbytes / 2**30:,.1f} GiB"


def _execute(sweep: Sweep) -> dict:
    evaluator = evaluator_for(sweep.xcfg)
    remote = sweep.xcfg.executor.kind == "dask" and sweep.xcfg.executor.address
    if not remote:  # a remote cluster's memory is its own
        check_memory(sweep, evaluator.workers)
    counts = execute(sweep, evaluator, say=lambda line: print(line, flush=True))
    done = counts["total"] - counts["ran"]
    kind = sweep.xcfg.executor.kind
    if sweep.xcfg.lang == "ja":
        print(
            f"{sweep.command}: 全{counts['total']:,}回（ストアにあった{done:,}回、今回"
            f"{counts['ran']:,}回を{counts['seconds']:.1f}秒で実行、失敗{counts['failed']:,}回）"
            f" [{kind}]"
        )
    else:
        print(
            f"{sweep.command}: {counts['total']:,} runs ({done:,} already in the store, "
            f"{counts['ran']:,} run now in {counts['seconds']:.1f} s, {counts['failed']:,} "
            f"failed) [{kind}]"
        )
    return counts


def _print_indices(
    method: str, outcome: str, first: pd.DataFrame, conv: dict, lang: str = "en"
) -> None:
    key = "mu_star" if method == "morris" else "ST"
    top = first.sort_values(key, ascending=False)
    print(f"\n{method} {outcome}:")
    print(top.to_string(index=False, float_format="%.4g"))
    print(f"  {sa.dummy_check(method, first)}")
    print(f"  {sa.convergence_line(conv, lang)}")  # never 'nan': says why when not checked


def _csv(path: Path, df: pd.DataFrame) -> Path:
    return write_csv(path, df, float_format="%.6g")


def _footer(counts: dict, out: Path, paths: list[Path], lang: str = "en") -> None:
    """Write ``last_command.json``: counts, files written and their SHA-256 (for the report)."""
    from sim.io.output import sha256

    summary = {**counts, "files": [p.name for p in paths]}
    summary["sha256"] = {p.name: sha256(p) for p in paths}
    atomic_write_text(out / "last_command.json", json.dumps(summary, indent=1))
    names = ", ".join(p.name for p in paths)
    if lang == "ja":
        print(f"\nストア: {out}/（runs/、series/、manifest.json）; 書き出し: {names}")
    else:
        print(f"\nstore: {out}/ (runs/, series/, manifest.json); written: {names}")
