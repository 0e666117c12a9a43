"""Findings sentences of a compare or sensitivity experiment: means with their intervals."""

from __future__ import annotations

import math

import pandas as pd

from sim.analysis.compare import cost_per_name, quantity
from sim.core.i18n import check_lang
from sim.report.findings import _finite
from sim.report.formats import fmt_int, fmt_interval, fmt_pct, fmt_py, fmt_yen, years_text
from sim.report.labels import label


def compare_findings(
    table: pd.DataFrame,
    robust: pd.DataFrame | None,
    *,
    titles: dict[str, str],
    years: int | None,
    target: str = "py_lonely",
    lang: str = "ja",
    decision: pd.DataFrame | None = None,
    baseline: str = "baseline",
    uncertainty: dict | None = None,
) -> list[str]:
    """Findings of an experiment comparison (``comparison.csv`` of ``tsunagari compare``).

    The headline follows the probability that each option is best (``decision.csv``'s
    ``p_best``, else the robustness table's ``share_best``, the same quantity):
    :func:`experiments.compare.headline` says "clearly best" at 0.95 or more, "probably best"
    from 0.80, and otherwise that the packages are not distinguishable. Only without either
    table (no probabilities at all) does it fall back to the mean ranking below.

    Args:
        table: one row per package (:func:`experiments.compare.signed_table`): ``package``,
            ``pairs``, ``lonely_person_years_averted`` (baseline - package) with ``_ci_low``
            and ``_ci_high``, ``added_cost_total_yen`` (package - baseline) and
            ``cost_per_lonely_person_year_averted_yen`` with its interval.
        robust: package, share_best, mean_regret, ... (optional).
        titles: short names of the packages.
        years: horizon in years (None if unknown).
        target: the person-year outcome the packages are ranked on.
        lang: ``ja`` or ``en``.
        decision: ``decision.csv`` of the comparison (optional): ``package``, ``p_best``.
        baseline: the baseline's name (an option of P(best): doing nothing more).
        uncertainty: the manifest's ``uncertainty`` entry (what the intervals include).
    """
    check_lang(lang)
    ja = lang == "ja"
    out: list[str] = []
    col = quantity(target)[1]
    if col not in table or table.empty:
        return out
    rows = table.set_index("package")
    per_col = cost_per_name(target)
    period = years_text(years, lang) if years else ("期間全体" if ja else "the whole period")

    def get(package: str, name: str) -> float:
        return float(rows[name].get(package, math.nan)) if name in rows else math.nan

    for package in rows.index:
        name = titles.get(package, package)
        averted, lo, hi = (
            get(package, col),
            get(package, f"{col}_ci_low"),
            get(package, f"{col}_ci_high"),
        )
        interval = fmt_interval(lo, hi, fmt_int, lang)
        n = int(rows.loc[package, "pairs"])
        added = get(package, "added_cost_total_yen")
        cpp = get(package, per_col)
        cpp_i = fmt_interval(
            get(package, f"{per_col}_ci_low"),
            get(package, f"{per_col}_ci_high"),
            lambda v: fmt_yen(v, lang),
            lang,
        )
        if ja:
            head = f"「{name}」は{period}で孤独（しばしば・時々）の延べ人年を"
            if averted > 0:
                s = f"{head}平均約{fmt_py(averted, lang)}減らし{interval}"
            else:
                s = f"{head}減らせませんでした（平均 {fmt_py(-averted, lang)}の増加{interval}）"
            s += f"、追加費用は{fmt_yen(added, lang)}"
            if math.isfinite(cpp):
                s += f"、回避1人年あたり{fmt_yen(cpp, lang)}{cpp_i}"
            s += f"です（{n}組の対応のある試行）。"
            if not math.isfinite(cpp) and added > 0:
                s += "回避1人年あたりの費用は判定できません（効果の区間が0を含むため）。"
        else:
            if averted > 0:
                s = (
                    f"“{name}” averted on average about {fmt_py(averted, lang)} of loneliness "
                    f"(often or sometimes) over {period}{interval}"
                )
            else:
                s = (
                    f"“{name}” did not avert loneliness over {period} (on average "
                    f"{fmt_py(-averted, lang)} more{interval})"
                )
            s += f", at an added cost of {fmt_yen(added, lang)}"
            if math.isfinite(cpp):
                s += f", {fmt_yen(cpp, lang)} per person-year averted{cpp_i}"
            s += f" ({n} paired runs)."
            if not math.isfinite(cpp) and added > 0:
                s += " Cost per person-year averted: not determined (the effect's interval "
                s += "includes zero)."
        if averted == 0 and lo == 0 and hi == 0:
            s += (
                " どの対でも差は0でした（施策の開始が最後の記録より後なら、効果は測れません）。"
                if ja
                else " The difference was 0 in every pair (a package that starts after the last"
                " record cannot show an effect)."
            )
        elif math.isfinite(lo) and math.isfinite(hi) and lo <= 0 <= hi:
            s += (
                " ただし区間が0をまたぐため、効果は偶然と区別できません。"
                if ja
                else " The interval includes zero: the effect cannot be told from chance."
            )
        out.append(s)
    best = rows[col].idxmax()
    best_name = titles.get(best, best)
    probs, worlds = None, None
    if decision is not None and len(decision) and "p_best" in decision:
        probs = decision.set_index("package")["p_best"].astype(float)
        worlds = int(decision["worlds"].max()) if "worlds" in decision else None
    elif robust is not None and len(robust) and "share_best" in robust:
        probs = robust.set_index("package")["share_best"].astype(float)
        worlds = int(robust["worlds"].max()) if "worlds" in robust else None
    lows = rows[f"{col}_ci_low"] if f"{col}_ci_low" in rows else pd.Series(dtype=float)
    if len(lows) and not (lows.astype(float) > 0).any():
        # no package's effect is distinguishable from zero: no ranking is claimed
        s = (
            "どのパッケージの効果も0と区別できず（すべての区間が0を含む）、順位は付けられません"
            if ja
            else "No package's effect can be told from zero (every interval includes 0), so "
            "they are not ranked"
        )
    elif probs is not None:
        from experiments.compare import headline

        s = headline(probs, baseline, titles, lang, worlds).rstrip("。.")
    elif ja:
        s = f"モデルが最も支持するのは「{best_name}」です：平均で最も多くの延べ人年を減らします"
    else:
        s = f"The model favours “{best_name}”: it averts the most person-years on average"
    if (
        probs is None
        and robust is not None
        and len(robust)
        and best in set(robust["package"])
        and len(lows)
        and (lows.astype(float) > 0).any()
    ):
        rb = robust.set_index("package").loc[best]
        if ja:
            s += f"（{int(rb['worlds'])}通りの条件のうち{fmt_pct(rb['share_best'], 0)}で最良）"
        else:
            s += f" (best in {fmt_pct(rb['share_best'], 0)} of {int(rb['worlds'])} worlds)"
    if probs is not None and len(lows) and not (lows.astype(float) > 0).any():
        from experiments.compare import headline

        s += ("。" if ja else ". ") + headline(probs, baseline, titles, lang, worlds).rstrip("。.")
    cheapest = rows[per_col].dropna() if per_col in rows else pd.Series(dtype=float)
    if len(cheapest):
        c = cheapest.idxmin()
        cname = titles.get(c, c)
        low = fmt_yen(cheapest.min(), lang)
        if ja:
            s += f"。1人年あたりの費用が最も低いのは「{cname}」（{low}）です。"
        else:
            s += f". The lowest cost per person-year averted is “{cname}” ({low})."
    else:
        s += "。" if ja else "."
    out.insert(0, s)
    if uncertainty:
        from experiments.compare import uncertainty_line

        out.insert(1, uncertainty_line(uncertainty, lang))
    return out


def sensitivity_findings(
    indices: pd.DataFrame, method: str, convergence: pd.DataFrame | None, lang: str = "ja"
) -> list[str]:
    """Findings of a Morris or Sobol analysis: the parameters distinguishable from DUMMY.

    Only parameters whose index interval lies above the DUMMY's
    (:func:`experiments.sensitivity.versus_dummy`) are ranked; the others are named as not
    distinguishable from chance. A convergence check that could not run says what is missing.
    """
    from experiments.sensitivity import convergence_line, versus_dummy

    check_lang(lang)
    ja = lang == "ja"
    key = "mu_star" if method == "morris" else "ST"
    out = []
    for outcome, rows in indices.groupby("outcome", sort=False):
        table = versus_dummy(method, rows)
        if table.empty:
            continue
        name = label(str(outcome), lang)
        top = [str(p) for p in table.loc[table["above_dummy"], "parameter"].head(3)]
        rest = [str(p) for p in table.loc[~table["above_dummy"], "parameter"]]
        if top and ja:
            out.append(
                f"{name}に最も影響するのは{'、'.join(top)}です"
                f"（{key}の大きい順、DUMMYと区別できるもののみ）。"
            )
        elif top:
            out.append(
                f"{name} depends most on {', '.join(top)} (largest {key} first; only those "
                "distinguishable from DUMMY)."
            )
        elif ja:
            out.append(f"{name}について、DUMMYと区別できるほど影響するパラメータはありません。")
        else:
            out.append(f"No parameter's effect on {name} can be told from DUMMY's.")
        if rest:
            shown = "、".join(rest[:6]) if ja else ", ".join(rest[:6])
            more = len(rest) - 6
            if ja:
                tail = f"ほか{more}個" if more > 0 else ""
                out.append(f"{name}：{shown}{tail}の影響はDUMMY（偶然の目安）と区別できません。")
            else:
                tail = f" and {more} more" if more > 0 else ""
                out.append(f"{name}: {shown}{tail} cannot be told from DUMMY (chance).")
    dummy = indices[indices["parameter"] == "DUMMY"]
    if len(dummy):
        v = float(dummy[key].max())
        if ja:
            out.append(
                f"偶然の目安となるDUMMYの{key}は最大{v:.3g}です。区間がこれと重なる指数は"
                "偶然と区別できません。"
            )
        else:
            out.append(
                f"The DUMMY parameter's {key} is at most {v:.3g}: an index whose interval "
                "overlaps it cannot be told from chance."
            )
    if convergence is not None and len(convergence) and "converged" in convergence:
        conv = convergence.to_dict("records")
        unchecked = [c for c in conv if not _finite(c.get("max_change"))]
        bad = [c for c in conv if _finite(c.get("max_change")) and not bool(c.get("converged"))]
        if unchecked:
            out.append(convergence_line(unchecked[0], lang) + ("。" if ja else "."))
        if bad:
            if ja:
                out.append(
                    f"{len(bad)}個の結果指標で順位がまだ安定していません（試行を増やしてください）。"
                )
            else:
                out.append(f"The ranking has not settled for {len(bad)} outcomes: use more runs.")
        elif not unchecked:
            out.append(
                "すべての結果指標で順位は安定しています。"
                if ja
                else "The ranking has settled for every outcome."
            )
    return out
