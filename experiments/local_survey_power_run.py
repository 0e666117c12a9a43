"""``tsunagari survey power=true package=NAME``: the runs, the power tables, figure and pages.

The package and the baseline run on the same seeds (``experiments.design.run_seed`` of the
command's seed and each replicate: common random numbers), each surveyed in the December of the
'before' year and of year ``t`` (:class:`experiments.local_survey_model.FrameJob`, evaluated by
the experiments' serial, process-pool or Dask evaluator, so the numbers do not depend on the
back-end). Repeated samples come from named streams of the run seed, one per comparison, item
and size (:func:`sample_rng`), so the tables are the same bit for bit on any worker count.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.params import ConfigError

DEFAULT_SIZES = (250, 500, 1000, 2000, 4000, 8000, 16000)


def sample_rng(seed: int, label: str) -> np.random.Generator:
    """The generator of one set of repeated samples (seed, comparison:item:size)."""
    from sim.core.rng import Streams

    return Streams(seed).get(f"local_survey_power:{label}")


def sizes_for(checked: dict, register: int) -> list[int]:
    """Questionnaire counts tried: the given list, or the defaults and the whole register."""
    sizes = checked["sizes"] or [*DEFAULT_SIZES, register]
    bad = [s for s in sizes if s > register]
    if checked["sizes"] and bad:
        raise ConfigError(f"sizes: {bad} exceed the register's {register} residents 16+")
    return sorted(
        {s for s in sizes if s <= register}
        | ({checked["n"]} if checked["n"] <= register else set())
    )


def run_power(cfg, region, opts: dict, checked: dict, overrides: list[str]) -> int:
    """Power mode: paired runs, repeated samples, tables, figure and pages."""
    from experiments.backends import make_evaluator
    from experiments.design import run_seed
    from experiments.local_survey_design import SETTINGS, response_rates
    from experiments.local_survey_model import KPI_ITEMS, FrameJob
    from experiments.local_survey_power import (
        detectable_changes,
        n_for_power,
        power_table,
    )
    from sim.config import check_scenario

    package = opts["package"]
    check_scenario(dataclasses.replace(cfg, scenario=package), region)  # a bad package now
    from experiments.local_survey_model import check_year

    check_year(cfg, checked["before"], "before")
    ja = cfg.lang == "ja"
    year, before = checked["year"], checked["before"]
    seeds = [run_seed(cfg.seed, r) for r in range(checked["seeds"])]
    muni = 0 if opts.get("municipality") else None
    job = FrameJob(overrides, [before, year], muni, seconds=10.0)
    tasks = [(arm, s) for s in seeds for arm in ("baseline", package)]
    workers = max(1, min(checked["workers"], os.cpu_count() or 1, len(tasks)))
    est = math.ceil(len(tasks) / workers) * _seconds_per_run(cfg, region, year)
    print(
        f"survey power: {len(tasks)}回の実行（{package}と現状、{len(seeds)}シード）、"
        f"{workers}並列で約{est / 60:.1f}分"
        if ja
        else f"survey power: {len(tasks)} runs ({package} and baseline on {len(seeds)} seeds), "
        f"{workers} workers, about {est / 60:.1f} min"
    )
    t0 = time.perf_counter()
    frames: dict[tuple[str, int], list] = {}
    kind = opts["executor"] if workers > 1 or opts["executor"] == "dask" else "serial"
    with make_evaluator(kind, workers=workers, address=opts["executor.address"] or None) as ev:
        for arm, seed, fr in ev.evaluate(job, tasks):
            frames[(arm, seed)] = fr
    run_seconds = time.perf_counter() - t0
    pairs = [
        (
            s,
            {
                "base_before": frames[("baseline", s)][0],
                "base_after": frames[("baseline", s)][1],
                "pkg_before": frames[(package, s)][0],
                "pkg_after": frames[(package, s)][1],
            },
        )
        for s in seeds
    ]
    first = pairs[0][1]["base_after"]
    register = min(f.size for _, p in pairs for f in p.values())  # seeds differ a little
    sizes = sizes_for(checked, register)
    rates = response_rates(opts["response"], first.cells.astype(np.int64))
    t1 = time.perf_counter()
    table = power_table(
        pairs,
        sizes,
        KPI_ITEMS,
        opts["sampling"],
        rates,
        checked["reps"],
        sample_rng,
        opts["weighting"],
    )
    sample_seconds = time.perf_counter() - t1
    need = n_for_power(table)
    overall = float((rates * np.bincount(first.cells, minlength=rates.size)).sum() / register)
    respondents = checked["n"] * overall
    base = {
        k: 100 * np.mean([p["base_after"].census()[_col(k)] for _, p in pairs]) for k in KPI_ITEMS
    }
    eff = {
        k: 100
        * np.mean(
            [p["pkg_after"].census()[_col(k)] - p["base_after"].census()[_col(k)] for _, p in pairs]
        )
        for k in KPI_ITEMS
    }
    kpi = {
        lang: detectable_changes(
            base,
            round(respondents),
            population=register,
            effects=eff,
            deff=SETTINGS.kpi_deff,
            lang=lang,
        )
        for lang in ("ja", "en")
    }
    from experiments.local_survey import _default_out, _place

    out = Path(opts["out"] or _default_out("power", cfg, region, opts))
    meta = {
        "command": "survey power",
        "place": _place(region, opts),
        "package": package,
        "year": year,
        "before_year": before,
        "survey_dates": {"before": pairs[0][1]["base_before"].date, "after": first.date},
        "seeds": seeds,
        "reps": checked["reps"],
        "sizes": sizes,
        "sampling": opts["sampling"],
        "response": opts["response"],
        "expected_response_pct": round(100 * overall, 1),
        "weighting": opts["weighting"],
        "register_16plus": register,
        "questionnaires_for_kpi": checked["n"],
        "run_seconds": round(run_seconds, 1),
        "sampling_seconds": round(sample_seconds, 1),
        "workers": workers,
    }
    from experiments.local_survey_power_report import write_power

    paths = write_power(out, table, need, kpi, meta)
    _console(need, kpi["ja" if ja else "en"], meta, ja)
    print(
        f"出力: {out}/（{', '.join(p.name for p in paths)}）"
        if ja
        else f"output: {out}/ ({', '.join(p.name for p in paths)})"
    )
    return 0


def _col(item: str) -> int:
    from experiments.local_survey_model import ITEM_CODES

    return ITEM_CODES.index(item)


def _seconds_per_run(cfg, region, year: int) -> float:
    """About how long one run takes: 0.8 M resident-weeks a second (倉吉市, a shared core)."""
    residents = float(region.municipalities["pop_total"].sum()) * cfg.population.scale
    weeks = cfg.burn_in_weeks + 52 * max(year, 1)
    return 2.0 + residents * weeks / 0.8e6


def _console(need: pd.DataFrame, kpi: pd.DataFrame, meta: dict, ja: bool) -> None:
    from experiments.local_survey_model import ITEMS

    print(
        f"{meta['run_seconds']:.0f}秒で実行、標本抽出 {meta['sampling_seconds']:.0f}秒"
        if ja
        else f"runs {meta['run_seconds']:.0f} s, sampling {meta['sampling_seconds']:.0f} s"
    )
    for r in need[need["comparison"] != "before_after_baseline"].itertuples():
        label = ITEMS[r.item][0 if ja else 1]
        n = (
            f"{r.questionnaires_for_80pct:,.0f}"
            if r.reached
            else (
                f"> {r.largest_tried:,}（検出力 {r.power_at_largest:.2f}）"
                if ja
                else f"> {r.largest_tried:,} (power {r.power_at_largest:.2f})"
            )
        )
        print(f"  {r.comparison:13s} {label}: {r.difference_pp:+.2f} pt -> n80 {n}")
