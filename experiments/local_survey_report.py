"""Output files of ``tsunagari survey``: CSV, XLSX and a page in Japanese and in English.

Every table goes through :func:`sim.core.files.write_csv` / :func:`sim.core.files.write_xlsx`
(formula-like text escaped, no exponents), and the folder is written atomically
(:func:`sim.core.files.staged_folder`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.files import atomic_write_text, staged_folder, write_csv, write_xlsx
from sim.core.params import OutputError

PAGE_ITEMS = (
    "lonely",
    "any_loneliness",
    "ucla3_10_12",
    "never_meets_in_person",
    "no_social_activity",
    "has_someone_to_rely_on",
)

T = {
    "title": ("地域調査のシミュレーション", "Simulated local survey"),
    "place": ("市町村", "Municipality"),
    "scenario": ("施策パッケージ", "Package"),
    "date": ("調査時点", "Survey date"),
    "design": ("抽出方法", "Sampling"),
    "simple": ("単純無作為抽出（住民基本台帳、16歳以上）", "simple random (register, 16+)"),
    "stratified": (
        "層化無作為抽出（年齢×性別、比例配分）",
        "stratified random (age x sex, proportional)",
    ),
    "weighting": ("集計の重み", "Weighting"),
    "age_sex": (
        "年齢×性別の重み（台帳人数／回答者数）",
        "age x sex weights (register / respondents)",
    ),
    "none": ("重みなし（回答者の単純集計）", "none (plain shares of respondents)"),
    "returned": ("配布・回収", "Questionnaires and respondents"),
    "response": ("年齢・性別の回収状況", "Response by age and sex"),
    "main": ("主な結果（95%区間）", "Main results (95% intervals)"),
    "dq": ("孤独感（直接質問）の回答分布（全体）", "Direct question, all respondents"),
    "read": ("読み方", "How to read this"),
}


def _t(key: str, lang: str) -> str:
    return T[key][0 if lang == "ja" else 1]


def _fmt(v: float, d: int = 1) -> str:
    return "" if v is None or not np.isfinite(v) else f"{v:.{d}f}"


def survey_page(tab: pd.DataFrame, rtab: pd.DataFrame, meta: dict, lang: str) -> str:
    """The survey's page (markdown) in ``lang``."""
    ja = lang == "ja"
    L = []
    L.append(f"# {_t('title', lang)}: {meta['place']}")
    L.append("")
    L.append(
        f"- {_t('scenario', lang)}: {meta['scenario']} / {_t('date', lang)}: "
        f"{meta['survey_date']} ({'年度' if ja else 'year'} {meta['year']})"
    )
    L.append(f"- {_t('design', lang)}: {_t(meta['sampling'], lang)}")
    L.append(f"- {_t('weighting', lang)}: {_t(meta['weighting'], lang)}")
    rate = 100 * meta["respondents"] / max(meta["questionnaires"], 1)
    if ja:
        L.append(
            f"- 配布 {meta['questionnaires']:,} 票、回答 {meta['respondents']:,} 人"
            f"（{rate:.1f}%）。"
            f"台帳の16歳以上 {meta['register_16plus']:,} 人。回収率は年齢・性別ごとに宣言した値"
            f"（{meta['response']}、sim/data/local_survey_response.csv）"
        )
    else:
        L.append(
            f"- {meta['questionnaires']:,} questionnaires, {meta['respondents']:,} respondents "
            f"({rate:.1f}%); register 16+: {meta['register_16plus']:,}. Response by age and "
            f"sex as declared ({meta['response']}, sim/data/local_survey_response.csv)"
        )
    L.append("")
    L.append(f"![{_t('main', lang)}](survey_{lang}.png)")
    L.append("")
    L.append(f"## {_t('main', lang)}")
    L.append("")
    col = "item_ja" if ja else "item_en"
    gcol = "group_ja" if ja else "group_en"
    head = (
        "| 項目 | 集団 | 回答者 | 推定 % | 95%区間 | 住民全体 % |"
        if ja
        else "| item | group | respondents | estimate % | 95% interval | all residents % |"
    )
    L += [head, "|---|---|---:|---:|---|---:|"]
    for item in PAGE_ITEMS:
        t = tab[tab["item"] == item]
        for r in t.itertuples():
            few = " *" if r.few else ""
            L.append(
                f"| {getattr(r, col)} | {getattr(r, gcol)}{few} | {r.respondents:,} | "
                f"{_fmt(r.share_pct)} | [{_fmt(r.ci_low_pct)}, {_fmt(r.ci_high_pct)}] | "
                f"{_fmt(r.register_pct)} |"
            )
    L.append("")
    L.append(
        "\\* 回答者30人未満: 区間が広く、参考値。"
        if ja
        else "\\* fewer than 30 respondents: a wide interval, for reference only."
    )
    L.append("")
    L.append(f"## {_t('dq', lang)}")
    L.append("")
    dq = tab[(tab["group"] == "all") & tab["item"].str.startswith("dq_")]
    L += [
        "| 回答 | 推定 % | 95%区間 |" if ja else "| answer | estimate % | 95% interval |",
        "|---|---:|---|",
    ]
    for r in dq.itertuples():
        L.append(
            f"| {getattr(r, col)} | {_fmt(r.share_pct)} | "
            f"[{_fmt(r.ci_low_pct)}, {_fmt(r.ci_high_pct)}] |"
        )
    L.append("")
    L.append(f"## {_t('response', lang)}")
    L.append("")
    L += [
        "| 年齢 | 性別 | 台帳 | 配布 | 回答 | 回収率 % | 宣言値 % |"
        if ja
        else "| age | sex | register | mailed | answered | response % | declared % |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    sex_ja = {"male": "男性", "female": "女性", "all": "計"}
    for r in rtab.itertuples():
        sex = sex_ja[r.sex] if ja else r.sex
        age = ("全体" if ja else "all") if r.age_group == "all" else r.age_group
        L.append(
            f"| {age} | {sex} | {r.register:,} | {r.questionnaires:,} | {r.respondents:,} | "
            f"{_fmt(r.response_pct)} | {_fmt(r.declared_response_pct)} |"
        )
    L.append("")
    L.append(f"## {_t('read', lang)}")
    L.append("")
    if ja:
        L.append(
            "推定値は、回答者を年齢×性別ごとに台帳の人数へ重み付けした割合（weighting=none では"
            "単純集計）。95%区間は標本誤差のみ（有限母集団修正つき、Wilson区間）で、モデル自体の"
            "不確かさは含まない。「住民全体」は、同じモデルで全住民（16歳以上）が回答した場合の値で、"
            "推定値との差は標本誤差と無回答の偏り。詳しくは docs/local_survey_ja.md。"
        )
    else:
        L.append(
            "Estimates weight respondents to the register's age x sex counts (plain shares with "
            "weighting=none). The 95% intervals are sampling error only (finite population "
            "correction, Wilson), not the model's own uncertainty. 'All residents' is what every "
            "resident 16+ of the simulated municipality would answer; the gap to the estimate is "
            "sampling error and non-response bias. See docs/local_survey.md."
        )
    L.append("")
    return "\n".join(L)


def write_survey(out: Path, tab: pd.DataFrame, rtab: pd.DataFrame, meta: dict) -> list[Path]:
    """Write the survey folder as a whole; return the files written."""
    names = [
        "tabulation.csv",
        "response.csv",
        "survey.xlsx",
        "survey_ja.md",
        "survey_en.md",
        "manifest.json",
        "survey_ja.png",
        "survey_en.png",
    ]
    try:
        with staged_folder(out) as d:
            write_csv(d / names[0], tab)
            write_csv(d / names[1], rtab)
            about = pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]})
            write_xlsx(d / names[2], [("tabulation", tab), ("response", rtab), ("about", about)])
            atomic_write_text(d / names[3], survey_page(tab, rtab, meta, "ja"))
            atomic_write_text(d / names[4], survey_page(tab, rtab, meta, "en"))
            atomic_write_text(d / names[5], json.dumps(meta, ensure_ascii=False, indent=1))
            from experiments.figures import save

            save(survey_figure(tab, "ja"), d / names[6])
            save(survey_figure(tab, "en"), d / names[7])
    except OSError as exc:
        raise OutputError(f"cannot write '{exc.filename or out}': {exc.strerror or exc}") from None
    return [out / n for n in names]


def survey_figure(tab: pd.DataFrame, lang: str = "ja"):
    """Three KPI by age group: the survey's estimates with 95% intervals, and all residents."""
    from matplotlib.figure import Figure

    from experiments.figures import PALETTE
    from sim.report.plots import use_japanese_font

    use_japanese_font()
    ja = lang == "ja"
    items = ("lonely", "any_loneliness", "ucla3_10_12")
    fig = Figure(figsize=(12, 3.8))
    axes = fig.subplots(1, len(items))
    for ax, item in zip(axes, items, strict=True):
        t = tab[(tab["item"] == item) & (tab["dimension"].isin(["all", "age_group"]))]
        x = np.arange(len(t))
        y = t["share_pct"].to_numpy()
        err = np.vstack([y - t["ci_low_pct"].to_numpy(), t["ci_high_pct"].to_numpy() - y])
        err = np.where(np.isfinite(err), np.maximum(err, 0.0), 0.0)  # rounding at 0% or 100%
        ax.errorbar(
            x,
            y,
            yerr=err,
            fmt="o",
            color=PALETTE[1],
            capsize=3,
            label="調査の推定（95%区間）" if ja else "survey estimate (95% interval)",
        )
        ax.plot(
            x,
            t["register_pct"],
            "x",
            color=PALETTE[2],
            label="住民全員（モデル）" if ja else "all residents (model)",
        )
        ax.set_xticks(x, t["group_ja" if ja else "group_en"], rotation=45, fontsize=7)
        ax.set_title(t["item_ja" if ja else "item_en"].iloc[0], fontsize=9)
        ax.set_ylabel("%")
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return fig
