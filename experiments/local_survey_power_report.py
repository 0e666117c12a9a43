"""Output files of ``tsunagari survey power=true``: tables, figures (ja/en) and pages (ja/en)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.local_survey_model import ITEMS
from experiments.local_survey_power import detectable_text, power_figure
from sim.core.files import atomic_write_text, staged_folder, write_csv, write_xlsx
from sim.core.params import OutputError

COMPARISONS = {
    "two_arm": (
        "施策あり・なしの2地域を同じ年に調査",
        "package vs baseline, surveyed the same year",
    ),
    "before_after": ("同じ市町村で導入前と導入後に調査", "before-after in the same municipality"),
    "before_after_baseline": (
        "導入前後（施策なしの世界：差を誤って検出する率）",
        "before-after without the package (false detections)",
    ),
}


def power_page(
    table: pd.DataFrame, need: pd.DataFrame, kpi: pd.DataFrame, meta: dict, lang: str
) -> str:
    """The power page (markdown) in ``lang``."""
    ja = lang == "ja"
    k = 0 if ja else 1
    L = [
        f"# {'地域調査の検出力' if ja else 'Power of a local survey'}: {meta['place']}",
        "",
    ]
    if ja:
        L += [
            f"- 施策パッケージ {meta['package']} と現状"
            f"（同じ乱数で対にした実行 {len(meta['seeds'])} 組）",
            f"- 調査: {meta['survey_dates']['after']}（{meta['year']}年度の12月）、導入前調査 "
            f"{meta['survey_dates']['before']}",
            f"- 抽出 {meta['sampling']}、回収率 {meta['response']}"
            f"（期待値 {meta['expected_response_pct']}%）、"
            f"台帳16歳以上 {meta['register_16plus']:,}人、"
            f"各シード・各規模で {meta['reps']} 回の標本",
            f"- 計算時間: 実行 {meta['run_seconds']:.0f}秒（{meta['workers']}並列）、標本抽出 "
            f"{meta['sampling_seconds']:.0f}秒",
        ]
    else:
        L += [
            f"- Package {meta['package']} against the baseline ({len(meta['seeds'])} paired runs "
            "on common random numbers)",
            f"- Survey {meta['survey_dates']['after']} (December of year {meta['year']}), before "
            f"survey {meta['survey_dates']['before']}",
            f"- Sampling {meta['sampling']}, response {meta['response']} (expected "
            f"{meta['expected_response_pct']}%), register 16+ {meta['register_16plus']:,}, "
            f"{meta['reps']} samples per seed and size",
            f"- Time: runs {meta['run_seconds']:.0f} s ({meta['workers']} workers), sampling "
            f"{meta['sampling_seconds']:.0f} s",
        ]
    L += ["", f"![{'検出力' if ja else 'power'}](power_{lang}.png)", ""]
    L.append(f"## {'80%の検出力に必要な配布数' if ja else 'Questionnaires needed for 80% power'}")
    L.append("")
    L += [
        "| 比較 | 指標 | 真の差（ポイント） | 必要な配布数 |"
        if ja
        else "| comparison | indicator | true difference (points) | questionnaires needed |",
        "|---|---|---:|---:|",
    ]
    for r in need.itertuples():
        if r.reached:
            n = f"{r.questionnaires_for_80pct:,.0f}"
        else:
            n = (
                f"{r.largest_tried:,}でも不足（{r.power_at_largest:.2f}）"
                if ja
                else f"more than {r.largest_tried:,} (power {r.power_at_largest:.2f})"
            )
        L.append(
            f"| {COMPARISONS[r.comparison][k]} | {ITEMS[r.item][k]} | "
            f"{r.difference_pp:+.2f} | {n} |"
        )
    L.append("")
    L.append(detectable_text(kpi, lang))
    L.append("")
    L.append("## " + ("読み方" if ja else "How to read this"))
    L.append("")
    if ja:
        L.append(
            "検出力は、施策の効果（同じ乱数で対にした実行の差）を、調査が有意水準5%の両側検定で"
            "見つける確率。モデルのシードと標本の両方にわたって数える。導入前後の比較は、施策が"
            "なくても起こる変化（高齢化など）も含めて検出してしまうため、施策なしの世界での率"
            "（誤検出率）も併記した。5%を大きく超えると、前後比較の差を施策の効果と読むことは"
            "できない。最後の行の規模は台帳の16歳以上全員に配布する場合。"
        )
    else:
        L.append(
            "Power is the probability that the survey finds the package's effect (the paired "
            "difference) with a two-sided test at 5%, over model seeds and samples. A "
            "before-after comparison also picks up change that happens without the package "
            "(ageing, drift), so its rate in the world without the package (false detections) is "
            "shown too; well above 5%, a before-after difference cannot be read as the package's "
            "effect. The largest size is a questionnaire to every resident 16+ of the register."
        )
    L.append("")
    return "\n".join(L)


def write_power(
    out: Path, table: pd.DataFrame, need: pd.DataFrame, kpi: dict, meta: dict
) -> list[Path]:
    """Write the power folder as a whole; return the files written."""
    from experiments.figures import save

    table = table.copy()
    table.attrs["decimals"] = {
        "respondents": 1,
        "power": 4,
        "power_mc_se": 4,
        "analytic_power": 4,
        "difference_pp": 3,
        "difference_sd_pp": 3,
    }
    need = need.copy()
    need.attrs["decimals"] = {
        "questionnaires_for_80pct": 0,
        "power_at_largest": 4,
        "difference_pp": 3,
    }
    k = kpi["en"].copy()
    k.insert(2, "label_ja", kpi["ja"]["label"].to_numpy())
    k = k.rename(columns={"label": "label_en"})
    k.attrs["decimals"] = {"share_pct": 2, "mdd_pp": 2, "effect_pp": 3}
    names = [
        "power.csv",
        "power_n80.csv",
        "kpi.csv",
        "power.xlsx",
        "power_ja.png",
        "power_en.png",
        "power_ja.md",
        "power_en.md",
        "manifest.json",
    ]
    try:
        with staged_folder(out) as d:
            write_csv(d / names[0], table)
            write_csv(d / names[1], need)
            write_csv(d / names[2], k)
            about = pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]})
            write_xlsx(
                d / names[3], [("power", table), ("n80", need), ("kpi", k), ("about", about)]
            )
            for lang, name in (("ja", names[4]), ("en", names[5])):
                save(power_figure(table, lang), d / name)
            atomic_write_text(d / names[6], power_page(table, need, kpi["ja"], meta, "ja"))
            atomic_write_text(d / names[7], power_page(table, need, kpi["en"], meta, "en"))
            atomic_write_text(
                d / names[8], json.dumps(meta, ensure_ascii=False, indent=1, default=_plain)
            )
    except OSError as exc:
        raise OutputError(f"cannot write '{exc.filename or out}': {exc.strerror or exc}") from None
    return [out / n for n in names]


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(type(v))
