"""Console lines of ``tsunagari compare``: comparison, decision, equal budget and robustness.

Split from :mod:`experiments.commands` (which re-exports these names); every function returns
lines in the experiment's language and prints nothing.
"""

from __future__ import annotations

import pandas as pd

from experiments import compare as cmp


def decision_lines(
    decision: pd.DataFrame, baseline: str, info: dict, conf: float, lang: str, target: str = ""
) -> list[str]:
    """The decision under uncertainty as console lines.

    What the intervals include, the headline worded by P(best), then one aligned row per option
    (P(best), expected person-years averted with the central ``conf`` share of worlds, added
    cost a year, cost per person-year averted or "not determined").
    """
    from sim.core.progress import table_lines

    ja = lang == "ja"
    pb = decision.set_index("package")["p_best"]
    pct = f"{round(conf * 100)}%"
    worlds = int(decision["worlds"].max()) if len(decision) else None
    lines = ["", cmp.uncertainty_line(info, lang),
             cmp.headline(pb, baseline, lang=lang, worlds=worlds)]  # fmt: skip
    if ja:
        headers = ["施策パッケージ", "最善の確率", f"回避人年の期待値（{target}）",
                   f"世界の{pct}範囲", "追加費用/年（円）", "回避1人年あたり（円）"]  # fmt: skip
    else:
        headers = ["package", "P(best)", f"expected py averted ({target})",
                   f"{pct} of worlds", "added cost/year (yen)", "yen per py averted"]  # fmt: skip
    body = []
    for r in decision.to_dict("records"):
        per = (
            f"{r['cost_per_py_averted']:,.0f} [{r['cost_per_py_averted_low']:,.0f}, "
            f"{r['cost_per_py_averted_high']:,.0f}]"
            if r["cost_per_py_status"] == cmp.DETERMINED
            else ("判定できない" if ja else "not determined")
        )
        if r["package"] == baseline:
            per = "-"
        body.append([
            str(r["package"]), f"{r['p_best']:.2f}", f"{r['averted_mean'] + 0.0:,.0f}",
            f"[{r['averted_low'] + 0.0:,.0f}, {r['averted_high'] + 0.0:,.0f}]",
            f"{r.get('added_cost_per_year_mean', float('nan')):,.0f}", per,
        ])  # fmt: skip
    lines += table_lines(headers, body, "<>>>>>")
    lines.append(
        f"  （最善の確率：{cmp.P_CLEAR:.2f}以上で「はっきり」、{cmp.P_PROBABLE:.2f}以上で"
        "「おそらく」、それ未満は区別できない。効果の区間が0を含むと1人年あたり費用は判定できない）"
        if ja
        else f"  (P(best) >= {cmp.P_CLEAR:.2f}: clearly best; >= {cmp.P_PROBABLE:.2f}: probably; "
        "below: not distinguishable. Cost per py averted is not determined when the effect's "
        "interval includes zero.)"
    )
    return lines


def budget_lines(match: pd.DataFrame, lang: str) -> list[str]:
    """The equal-budget scaling as console lines: factor and added cost a year per package."""
    from sim.core.progress import table_lines

    ja = lang == "ja"
    if match.empty:
        return []
    target = float(match["target_per_year_yen"].iloc[0])
    if ja:
        lines = ["", f"予算をそろえた比較：目標の追加費用 年{target / 1e6:,.1f}百万円"]
        headers = ["施策パッケージ", "倍率", "調整前/年", "調整後/年（全世界平均）", "目標との差"]
    else:
        lines = ["", f"equal budget: target added cost {target / 1e6:,.1f} M yen a year"]
        headers = ["package", "factor", "before/year", "after/year (mean of worlds)", "vs target"]
    body = [
        [str(r["package"]), f"{r['factor']:.3f}", f"{r['per_year_before_yen'] / 1e6:,.1f}M",
         f"{r['per_year_mean_yen'] / 1e6:,.1f}M", f"{100 * r['match_mean']:+.1f}%"]
        for r in match.to_dict("records")
    ]  # fmt: skip
    lines += table_lines(headers, body, "<>>>>")
    spread = float(match["spread_mean"].iloc[0])
    lines.append(
        f"  パッケージ間の差（最大−最小、平均比）: {100 * spread:.1f}%"
        if ja
        else f"  spread between packages (max - min over mean): {100 * spread:.1f}%"
    )
    return lines


def compare_lines(table: pd.DataFrame, conf: float, lang: str) -> list[str]:
    """The comparison of ``tsunagari compare`` as console lines, in the experiment's language.

    Reads the table as written (:func:`experiments.compare.signed_table`, one display line per
    outcome by :func:`sim.analysis.compare.signed_rows`): one aligned table per unit, the difference
    column named by its sign (averted = baseline - package; added cost = package - baseline),
    then the cost per person-year averted of each package with its interval, or why there is
    none. Missing values show ``-``.
    """
    from sim.analysis.compare import signed_rows
    from sim.core.progress import table_lines
    from sim.report.console_labels import head, number, outcome_label, short_label

    ja = lang == "ja"
    wide = cmp.signed_table(table)
    lines: list[str] = []
    shown = []
    for i in range(len(wide)):
        one = wide.iloc[[i]]
        for r in signed_rows(one, arm="package").itertuples():
            shown.append((str(one["package"].iloc[0]), int(one["pairs"].iloc[0]), r))
    interval = f"{round(conf * 100)}%区間" if ja else f"{round(conf * 100)}% interval"
    units = dict.fromkeys(r.unit for *_, r in shown if r.unit != "yen/person-year")
    for unit in units:
        what = head("funder" if unit == "yen" else "outcome", lang)
        what = f"{what}（{head(unit, lang)}）" if ja else f"{what} ({head(unit, lang)})"
        diff = head("added" if unit == "yen" else "averted", lang)
        headers = [head("package", lang), what, head("pairs", lang), diff, interval]
        body = [
            [pkg, outcome_label(r.outcome, lang), str(pairs), number(r.difference, unit),
             f"[{number(r.ci_low, unit)}, {number(r.ci_high, unit)}]"]
            for pkg, pairs, r in shown
            if r.unit == unit
        ]  # fmt: skip
        lines += ["", *table_lines(headers, body, "<<>>>")]
    lines.append("")
    for pkg, _, r in shown:
        if r.unit != "yen/person-year":
            continue
        what = r.outcome.removeprefix("cost_per_").removesuffix("_person_year_averted_yen")
        value = number(r.difference, "yen")
        band = f" [{number(r.ci_low, 'yen')}, {number(r.ci_high, 'yen')}]"
        name = short_label(what, lang)
        if ja:
            text = f"{value}円{band}" if value != "-" else "判定できない（効果の区間が0を含む）"
            lines.append(f"  回避1人年あたりの追加費用 — {name} — {pkg}: {text}")
        else:
            text = (
                f"{value} yen{band}"
                if value != "-"
                else "not determined (the effect's interval includes zero)"
            )
            lines.append(f"  Added cost per person-year averted — {name} — {pkg}: {text}")
    return lines


#: Console headers of the robustness table (key -> {"ja": ..., "en": ...});
#: other columns keep their names.
ROBUSTNESS_HEADERS: dict[str, dict[str, str]] = {
    "package": {"ja": "施策パッケージ", "en": "package"},
    "share_best": {"ja": "最善の割合", "en": "share best"},
    "mean_regret": {"ja": "平均後悔", "en": "mean regret"},
    "max_regret": {"ja": "最大後悔", "en": "max regret"},
    "eligible_share": {"ja": "予算内の割合", "en": "within budget"},
    "worlds": {"ja": "世界の数", "en": "worlds"},
}


def robustness_lines(robust: pd.DataFrame, lang: str) -> list[str]:
    """The robustness table as aligned console lines with headers in ``lang``."""
    from sim.core.progress import table_lines

    cols = list(robust.columns)
    headers = [
        ROBUSTNESS_HEADERS.get(c, {"ja": c, "en": c})["ja" if lang == "ja" else "en"] for c in cols
    ]

    def cell(v: object) -> str:
        if isinstance(v, float):
            return "-" if v != v else f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
        return str(v)

    body = [[cell(v) for v in row] for row in robust.itertuples(index=False)]
    align = "".join("<" if c == "package" else ">" for c in cols)
    return table_lines(headers, body, align)
