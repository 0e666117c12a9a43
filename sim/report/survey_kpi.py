"""The report section "which effects your survey can see" (paired runs and comparisons).

Per KPI: the share now, the smallest change two municipal surveys detect (80% power, from
:mod:`experiments.local_survey_power`) and each package's predicted change.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.report.doc import _Doc, _Missing

SURVEY_KPI_TITLE = {
    "ja": "この調査で見える変化（自治体の調査）",
    "en": "Which effects your survey can see",
}
SURVEY_KPI_NOTE = {
    "ja": "市町村が住民基本台帳から{q:,}通の調査票を送り、約{r:.0%}が回答する調査"
    "（回答者約{m:,}人）を施策の前後に2回行ったとき、有意水準5%（両側）・検出力80%で検出できる最小の変化と、この比較"
    "で予測される変化（12月、地域全体）。予測される変化が最小の変化より小さい指標は、その規模の"
    "調査では見えない。調査の設計と検出力は tsunagari survey（docs/local_survey_ja.md）。",
    "en": "The smallest change a municipality's survey detects (5% two-sided, 80% power) when it "
    "mails {q:,} questionnaires from the resident register, about {r:.0%} reply (about {m:,} "
    "respondents), and it is run twice, before and after; beside it the change this comparison "
    "predicts (December, whole region). An indicator whose predicted change is smaller than the "
    "smallest detectable change cannot be seen by a survey of that size. Survey design and power: "
    "tsunagari survey (docs/local_survey.md).",
}


def survey_kpi_section(doc: _Doc, base: pd.DataFrame, packages: dict[str, pd.DataFrame]) -> str:
    """The KPI a municipality's own survey can measure, with each package's predicted change.

    Args:
        doc: the report.
        base: the baseline's tidy table (``dimension``, ``group``, ``date``, ``measure``,
            ``value``; a mean over runs for an experiment).
        packages: title -> the package's table of the same shape.

    The smallest detectable change of each indicator comes from
    experiments/local_survey_power.py (two surveys of 2,000 questionnaires, 56% response).
    """
    import html

    from experiments.local_survey_power import SETTINGS, detectable_changes, kpi_shares

    q, r = 2000, 0.56  # questionnaires of a typical municipal survey; the national response
    shares = kpi_shares(base)
    kpi = detectable_changes(shares, round(q * r), deff=SETTINGS.kpi_deff, lang=doc.lang)
    if kpi.empty:
        raise _Missing
    ja = doc.lang == "ja"
    cols = {
        "指標" if ja else "indicator": kpi["label"],
        "現在の割合（%）" if ja else "share now (%)": kpi["share_pct"].astype(float),
        "検出できる最小の変化（ポイント）" if ja else "smallest detectable change (points)":
            kpi["mdd_pp"].astype(float),
    }  # fmt: skip
    for title, table in packages.items():
        pkg = kpi_shares(table)
        effect = kpi["item"].map(lambda k, pkg=pkg: pkg.get(k, math.nan) - shares[k])
        visible = (effect.abs() >= kpi["mdd_pp"]).map(
            {True: "見える" if ja else "yes", False: "見えない" if ja else "no"}
        )
        one = len(packages) == 1
        cols[
            "予測される変化（ポイント）"
            if ja and one
            else "predicted change (points)"
            if one
            else f"{title}: " + ("予測される変化" if ja else "predicted change")
        ] = effect
        cols["見えるか" if ja and one else "visible" if one
             else f"{title}: " + ("見えるか" if ja else "visible")] = visible  # fmt: skip
    tab = pd.DataFrame(cols)
    note = SURVEY_KPI_NOTE[doc.lang].format(q=q, r=r, m=round(q * r))
    numeric = [c for c in tab.columns if tab[c].dtype.kind == "f"]
    return f"<p>{html.escape(note)}</p>" + doc.table(
        "survey_kpi", SURVEY_KPI_TITLE[doc.lang], tab, decimals=dict.fromkeys(numeric, 2)
    )
