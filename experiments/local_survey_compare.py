"""``tsunagari survey-compare FILE``: a municipality's own survey results against the model.

The file holds tabulated results (one row per item and group: the share answering so and the
respondents ``n``; shape in :data:`experiments.local_survey.COMPARE_HELP` and
``docs/local_survey.md``). Each row is placed against the model's distribution for the
municipality: the model runs ``seeds`` times (baseline by default) to the December of ``year``,
and a survey of ``n`` respondents of that group would land, if the model were right, in

    model mean +- 1.96 * sqrt(seed variance + p (1 - p) (1 - n / N) / n),

the seed spread of the model plus the sampling error at the municipality's own ``n`` (``N``: the
group's residents). A row outside this interval is a place where the model and the municipality
disagree by more than chance. The municipality's own 95% interval (Wilson at ``n``) is shown too.

Reading and checking the file (:func:`read_results`, :class:`ResultRow`, the accepted columns,
items and groups) is in :mod:`experiments.local_survey_results`, re-exported here; this module
places the rows against the model and writes the comparison.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.local_survey_results import COLUMNS as COLUMNS
from experiments.local_survey_results import OPTIONAL as OPTIONAL
from experiments.local_survey_results import ResultRow as ResultRow
from experiments.local_survey_results import group_names as group_names
from experiments.local_survey_results import item_names as item_names
from experiments.local_survey_results import read_results as read_results
from sim.core.params import ConfigError

COMPARE_KEYS = {
    "municipality": None,
    "year": "1",
    "seeds": "4",
    "deff": "1.0",
    "out": None,
    "workers": "2",
    "executor": "process",
    "executor.address": "",
}


def group_mask(frame, group: str) -> np.ndarray:
    """Residents of the frame in a group code."""
    from experiments.local_survey_design import AGE_LABELS, age_index
    from experiments.local_survey_options import HOUSEHOLD_CODES

    if group == "all":
        return np.ones(frame.size, bool)
    if group in AGE_LABELS:
        return age_index(frame.age) == AGE_LABELS.index(group)
    if group in ("male", "female"):
        return frame.sex == ("male", "female").index(group)
    return frame.household_type == HOUSEHOLD_CODES.index(group)


def place(rows: list[ResultRow], frames: list, deff: float = 1.0) -> pd.DataFrame:
    """Each result row against the model's distribution (seed spread + sampling error at n).

    ``deff`` is the design effect of the municipality's estimates (1.0 for plain shares of a
    simple random sample; about 1.1 with age x sex weights), multiplying the sampling variance.
    """
    from experiments.local_survey_design import Z95, wilson
    from experiments.local_survey_model import ITEM_CODES, ITEMS

    out = []
    for r in rows:
        j = ITEM_CODES.index(r.item)
        vals, sizes = [], []
        for f in frames:
            m = group_mask(f, r.group)
            vals.append(float(f.answers[m, j].mean()) if m.any() else np.nan)
            sizes.append(m.sum() / f.scale)
        vals = np.asarray(vals)
        p = float(np.nanmean(vals))
        seed_var = float(np.nanvar(vals, ddof=1)) if np.isfinite(vals).sum() > 1 else 0.0
        big_n = float(np.mean(sizes))
        fpc = max(1.0 - r.n / big_n, 0.0) if big_n > 0 else 1.0
        samp_var = deff * p * (1 - p) * fpc / r.n
        sd = math.sqrt(seed_var + samp_var)
        lo, hi = max(p - Z95 * sd, 0.0), min(p + Z95 * sd, 1.0)
        obs = r.share_pct / 100
        z = (obs - p) / sd if sd > 0 else (0.0 if obs == p else math.inf)
        olo, ohi = wilson(np.array([obs]), np.array([r.n]))
        out.append(
            {
                "row": r.line,
                "item": r.item,
                "item_ja": ITEMS[r.item][0],
                "item_en": ITEMS[r.item][1],
                "group": r.group,
                "n": r.n,
                "survey_pct": r.share_pct,
                "survey_low_pct": 100 * float(olo[0]),
                "survey_high_pct": 100 * float(ohi[0]),
                "model_pct": 100 * p,
                "model_seed_sd_pct": 100 * math.sqrt(seed_var),
                "expected_low_pct": 100 * lo,
                "expected_high_pct": 100 * hi,
                "z": z,
                "verdict": "within" if abs(z) <= Z95 else ("above" if z > 0 else "below"),
                "group_residents": round(big_n),
            }
        )
    df = pd.DataFrame(out)
    df.attrs["decimals"] = {c: 2 for c in df.columns if c.endswith("_pct")} | {"z": 2}
    return df


def compare_page(df: pd.DataFrame, meta: dict, lang: str) -> str:
    """The comparison page (markdown)."""
    ja = lang == "ja"
    verdict = {
        "within": ("範囲内", "within"),
        "above": ("モデルより高い", "above the model"),
        "below": ("モデルより低い", "below the model"),
    }
    L = [
        f"# {'地域調査とモデルの比較' if ja else 'Local survey against the model'}: "
        f"{meta['place']}",
        "",
        (
            f"- 調査ファイル: {meta['file']}（{meta['rows']}行）\n- モデル: {meta['scenario']}、"
            f"{meta['survey_date']}（{meta['year']}年度の12月）、{len(meta['seeds'])}シード"
            if ja
            else f"- Survey file: {meta['file']} ({meta['rows']} rows)\n"
            f"- Model: {meta['scenario']}, "
            f"{meta['survey_date']} (December of year {meta['year']}), {len(meta['seeds'])} seeds"
        ),
        "",
        "| 項目 | 集団 | n | 調査 % [95%] | モデル % | モデルなら調査はこの範囲 | 判定 |"
        if ja
        else "| item | group | n | survey % [95%] | model % | a survey would land in | verdict |",
        "|---|---|---:|---|---:|---|---|",
    ]
    for r in df.itertuples():
        L.append(
            f"| {r.item_ja if ja else r.item_en} | {r.group} | {r.n:,} | {r.survey_pct:.1f} "
            f"[{r.survey_low_pct:.1f}, {r.survey_high_pct:.1f}] | {r.model_pct:.1f} | "
            f"[{r.expected_low_pct:.1f}, {r.expected_high_pct:.1f}] | "
            f"{verdict[r.verdict][0 if ja else 1]} |"
        )
    L.append("")
    if ja:
        L.append(
            "「モデルなら調査はこの範囲」は、モデルが正しいとき、その集団のn人の調査が95%の確率で"
            "入る範囲（モデルのシード間のばらつき＋n人の標本誤差）。範囲外の行は、偶然では"
            "説明しにくい食い違い。複数の行を見るため、20行に1行程度は偶然でも範囲外になる。"
            "モデル側の質問の定義（docs/questionnaire_ja.md）と調査の設問が同じかを先に確かめること。"
        )
    else:
        L.append(
            "'A survey would land in' is where a survey of n respondents of that group falls "
            "with 95% probability if the model is right (the model's seed spread plus sampling "
            "error at n). Rows outside it disagree by more than chance; with many rows, about 1 "
            "in 20 falls outside by chance alone. Check first that the survey asked the item as "
            "the model defines it (docs/questionnaire_ja.md)."
        )
    L.append("")
    return "\n".join(L)


def run_compare(args: list[str]) -> int:
    """The ``tsunagari survey-compare FILE KEY=VALUE...`` command."""
    from experiments.backends import make_evaluator
    from experiments.design import run_seed
    from experiments.local_survey_model import FrameJob, december_week
    from experiments.local_survey_options import (
        _int,
        _place,
        compose,
        model_overrides,
        split_options,
    )

    if not args:
        raise ConfigError(
            "survey-compare: give the results CSV first: "
            "tsunagari survey-compare my_results.csv municipality=..."
        )
    path, rest = args[0], args[1:]
    opts, model = split_options(rest, COMPARE_KEYS)
    year = _int(opts, "year", 0, 50)
    seeds_n = _int(opts, "seeds", 1, 1000)
    workers = _int(opts, "workers", 1, 256)
    if opts["executor"] not in ("serial", "process", "dask"):
        raise ConfigError(f"executor: serial, process or dask, got '{opts['executor']}'")
    try:
        deff = float(opts["deff"])
    except ValueError:
        deff = -1.0
    if not 0.5 <= deff <= 5.0:
        raise ConfigError(f"deff: expected a design effect between 0.5 and 5, got '{opts['deff']}'")
    rows = read_results(path)
    overrides = model_overrides(opts, model)
    cfg, region = compose(overrides)
    from experiments.local_survey_model import check_year

    check_year(cfg, year)
    ja = cfg.lang == "ja"
    seeds = [run_seed(cfg.seed, r) for r in range(seeds_n)]
    job = FrameJob(overrides, [year], 0 if opts.get("municipality") else None)
    tasks = [(cfg.scenario, s) for s in seeds]
    import os

    workers = max(1, min(workers, os.cpu_count() or 1, len(tasks)))
    print(
        f"survey-compare: {len(rows)}行、モデル{len(tasks)}回の実行（{workers}並列）"
        if ja
        else f"survey-compare: {len(rows)} rows, {len(tasks)} model runs ({workers} workers)"
    )
    t0 = time.perf_counter()
    kind = opts["executor"] if workers > 1 or opts["executor"] == "dask" else "serial"
    frames = {}
    with make_evaluator(kind, workers=workers, address=opts["executor.address"] or None) as ev:
        for _, seed, fr in ev.evaluate(job, tasks):
            frames[seed] = fr[0]
    ordered = [frames[s] for s in seeds]
    df = place(rows, ordered, deff)
    name = opts.get("municipality") or region.key.replace(":", "-")
    out = Path(opts["out"] or f"outputs/survey-compare-{name}")
    meta = {
        "command": "survey-compare",
        "file": str(path),
        "rows": len(rows),
        "place": _place(region, opts),
        "scenario": cfg.scenario,
        "year": year,
        "survey_week": december_week(cfg.start_date, year),
        "survey_date": ordered[0].date,
        "seeds": seeds,
        "deff": deff,
        "run_seconds": round(time.perf_counter() - t0, 1),
    }
    paths = write_compare(out, df, meta)
    counts = df["verdict"].value_counts()
    if ja:
        print(
            f"範囲内 {counts.get('within', 0)}行、モデルより高い {counts.get('above', 0)}行、"
            f"低い {counts.get('below', 0)}行"
        )
        print(f"出力: {out}/（{', '.join(p.name for p in paths)}）")
    else:
        print(
            f"within {counts.get('within', 0)} rows, above the model {counts.get('above', 0)}, "
            f"below {counts.get('below', 0)}"
        )
        print(f"output: {out}/ ({', '.join(p.name for p in paths)})")
    return 0


def write_compare(out: Path, df: pd.DataFrame, meta: dict) -> list[Path]:
    """Write the comparison folder as a whole."""
    import json

    from sim.core.files import atomic_write_text, staged_folder, write_csv, write_xlsx
    from sim.core.params import OutputError

    names = ["compare.csv", "compare.xlsx", "compare_ja.md", "compare_en.md", "manifest.json"]
    try:
        with staged_folder(out) as d:
            write_csv(d / names[0], df)
            about = pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]})
            write_xlsx(d / names[1], [("compare", df), ("about", about)])
            atomic_write_text(d / names[2], compare_page(df, meta, "ja"))
            atomic_write_text(d / names[3], compare_page(df, meta, "en"))
            atomic_write_text(d / names[4], json.dumps(meta, ensure_ascii=False, indent=1))
    except OSError as exc:
        raise OutputError(f"cannot write '{exc.filename or out}': {exc.strerror or exc}") from None
    return [out / n for n in names]
