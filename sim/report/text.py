"""Words of the HTML report: labels, number formats and findings sentences computed from numbers.

Nothing here reads files or draws: every function takes numbers (or small tables) and returns
text in Japanese (``ja``, the default) or English (``en``). The findings sentences are built from
the data only, so the same function serves a single paired run (no interval: one seed) and an
experiment over many seeds (mean with its interval).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim.analysis.compare import cost_per_name, quantity
from sim.core.i18n import check_lang, group_label

#: Labels used by the report and its figures: key -> (ja, en).
LABELS: dict[str, tuple[str, str]] = {
    "report": ("孤独・孤立対策シミュレーション報告書", "Loneliness policy simulation report"),
    "kind.run": ("1回の実行（現状の施策）", "Single run"),
    "kind.paired": (
        "施策パッケージと現状の比較（同じ乱数）",
        "Package against the paired baseline",
    ),
    "kind.compare": ("施策パッケージの比較（複数の試行）", "Comparison of packages (many runs)"),
    "kind.sensitivity": ("感度分析", "Sensitivity analysis"),
    "findings": ("主な結果", "Key findings"),
    "contents": ("目次", "Contents"),
    "about": ("この報告書について", "About this report"),
    "caveats": ("読むときの注意", "Caveats"),
    "tables": ("表のダウンロード", "Table downloads"),
    "region": ("地域", "Region"),
    "scenario": ("施策パッケージ", "Package"),
    "period": ("期間", "Period"),
    "residents": ("模擬住民数", "Simulated residents"),
    "seed": ("乱数シード", "Random seed"),
    "runs": ("試行数", "Runs"),
    "version": ("ツールのバージョン", "Tool version"),
    "generated_from": ("元データのフォルダ", "Source folder"),
    "section_missing": (
        "この節に必要なデータがこのフォルダにないため、省略しました。",
        "This section is left out: the folder has no data for it.",
    ),
    "section_failed": ("この節は作成できませんでした", "This section could not be made"),
    # Section titles.
    "sec.prevalence": ("孤独感の推移", "Loneliness over time"),
    "sec.arms": ("パッケージ別の推移", "Over time by package"),
    "sec.age": ("年齢別の効果", "Effect by age"),
    "sec.calibration": (
        "全国調査との比較（年齢別）",
        "The model against the national survey by age",
    ),
    "sec.municipality": ("市町村の比較", "Municipalities"),
    "sec.flows": ("支援の流れ", "Service flows"),
    "sec.costs": ("費用（負担者別・年度別）", "Costs by funder and fiscal year"),
    "sec.ce": ("費用と効果", "Cost-effectiveness"),
    "sec.comparison": ("比較表", "Comparison table"),
    "sec.robustness": ("頑健性（どの条件でも良いか）", "Robustness across worlds"),
    "sec.sensitivity": ("感度分析の結果", "Sensitivity indices"),
    "sec.groups": ("属性別の状況", "By group"),
    # Axis and legend labels.
    "lonely": ("孤独感が「しばしば・常に」または「時々」ある", "Lonely often/always or sometimes"),
    "lonely.short": ("孤独（しばしば・時々）", "Lonely (often or sometimes)"),
    "share_pct": ("割合（%）", "Share (%)"),
    "pp": ("ポイント", "points"),
    "baseline": ("現状（ベースライン）", "Baseline"),
    "model": ("モデル", "Model"),
    "survey": ("全国調査", "National survey"),
    "model_dec": ("モデル（12月の値）", "Model (December values)"),
    "py_averted": ("回避された延べ人年", "Person-years averted"),
    "py_averted_lonely": (
        "孤独（しばしば・時々）の回避された延べ人年",
        "Person-years of loneliness (often/sometimes) averted",
    ),
    "added_cost": ("追加費用（百万円、期間合計）", "Added cost (million yen, whole period)"),
    "cost_myen": ("費用（百万円）", "Cost (million yen)"),
    "persons_full": ("人数（実人口換算、期間合計）", "Persons (full population, whole period)"),
    "fiscal_year": ("年度", "Fiscal year"),
    "age": ("年齢階級", "Age group"),
    "municipality": ("市町村", "Municipality"),
    "diff_pp": (
        "孤独の回避（ポイント、現状－施策、期間平均）",
        "Averted (points, baseline - package, mean)",
    ),
    "seed_point": ("1回の試行", "One run"),
    "mean_point": ("平均", "Mean"),
    "ci": ("95%区間", "95% interval"),
    "range": ("5〜95%の範囲", "5-95% range"),
    "median": ("中央値", "median"),
    "mu_star": ("μ*（影響の大きさ）", "mu* (size of effect)"),
    "sigma": ("σ（非線形・交互作用）", "sigma (non-linearity, interactions)"),
    "sobol_index": ("Sobol指数", "Sobol index"),
    "s1": ("一次指数 S1", "First order S1"),
    "st": ("全効果指数 ST", "Total ST"),
    "dummy": ("DUMMY（偶然の目安）", "DUMMY (chance level)"),
    # Table headers.
    "parameter": ("パラメータ", "Parameter"),
    "half_width": ("{x}の95%区間の半幅", "{x} 95% half-width"),
    "above_dummy": ("DUMMYと区別できる", "Above DUMMY"),
    "convergence": ("収束の確認", "Convergence check"),
    "runs_half": ("半分の試行数", "Runs (half)"),
    "runs_full": ("全試行数", "Runs (all)"),
    "result": ("結果", "Result"),
    "share_best": ("最良だった条件の割合", "Share of worlds best"),
    "mean_regret": ("平均の後悔（人年）", "Mean regret (person-years)"),
    "max_regret": ("最大の後悔（人年）", "Max regret (person-years)"),
    "eligible_share": ("予算内だった割合", "Share within budget"),
    "worlds": ("条件の数", "Worlds"),
    "measure": ("指標", "Measure"),
    "group": ("区分", "Group"),
    "min": ("最小", "min"),
    "max": ("最大", "max"),
    "difference": ("差", "Difference"),
    "difference_kind": ("差の向き", "Sign"),
    "averted": ("回避（現状－施策）", "averted (baseline - package)"),
    "added": ("追加（施策－現状）", "added (package - baseline)"),
    "pairs": ("対応のある試行の組", "Paired runs"),
    "ci_low": ("95%区間の下限", "95% interval, low"),
    "ci_high": ("95%区間の上限", "95% interval, high"),
    "col.py_averted": ("孤独の回避人年（平均）", "Person-years lonely averted (mean)"),
    "col.added_cost": ("追加費用（円、平均）", "Added cost (yen, mean)"),
    "col.cost_per": ("回避1人年あたり費用（円）", "Cost per person-year averted (yen)"),
    "col.added_cost_yen": ("追加費用（円）", "Added cost (yen)"),
    # Service flows.
    "noticed": ("気づき", "Noticed"),
    "referred": ("紹介", "Referred"),
    "waiting_entered": ("相談の待機に入った", "Entered waiting"),
    "served": ("支援開始", "Support started"),
    "dropped": ("待ちきれず離脱", "Dropped out while waiting"),
    "cases_broken": ("担当者の異動で中断", "Broken by staff rotation"),
    "visits": ("民生委員の訪問", "Welfare volunteer visits"),
    "venue_joined": ("居場所に参加した人", "Joined a place"),
    "venue_attendances": ("居場所への参加回数", "Attendances at places"),
    # Funders.
    "national_grant": ("国の交付金", "National grant"),
    "prefecture": ("都道府県", "Prefecture"),
    "municipality_funder": ("市町村", "Municipality"),
    "npo": ("NPO等", "NPOs"),
    # Outcomes of experiments.
    "py_lonely": ("孤独（しばしば・時々）の延べ人年", "Person-years lonely (often/sometimes)"),
    "py_any_loneliness": ("孤独感がある（計）の延べ人年", "Person-years of any loneliness"),
    "py_ucla3_top": ("UCLA 10-12点の延べ人年", "Person-years UCLA-3 10-12"),
    "py_no_in_person_contact": (
        "直接会う機会なしの延べ人年",
        "Person-years without in-person contact",
    ),
    "py_no_social_activity": ("社会活動なしの延べ人年", "Person-years without social activity"),
    "py_chronic_loneliness": ("慢性的な孤独の延べ人年", "Person-years of chronic loneliness"),
    "cost_total": ("費用合計（円）", "Total cost (yen)"),
    "cost_national_grant": ("費用：国の交付金（円）", "Cost: national grant (yen)"),
    "cost_prefecture": ("費用：都道府県（円）", "Cost: prefecture (yen)"),
    "cost_municipality": ("費用：市町村（円）", "Cost: municipality (yen)"),
    "cost_npo": ("費用：NPO等（円）", "Cost: NPOs (yen)"),
    "cost_per_py_averted": (
        "回避1人年あたり費用（円）",
        "Cost per person-year averted (yen)",
    ),
    "final_any_loneliness": ("最終年の孤独感がある（計）", "Any loneliness in the last year"),
    "final_often_always": ("最終年の「しばしば・常に」", "Often/always in the last year"),
    "final_ucla3_top": ("最終年の UCLA 10-12点", "UCLA-3 10-12 in the last year"),
    "final_no_in_person_contact": ("最終年の直接会う機会なし", "No in-person contact, last year"),
}


def label(key: str, lang: str) -> str:
    """Translate a report label (``key`` itself when unknown)."""
    check_lang(lang)
    pair = LABELS.get(key)
    return key if pair is None else pair[0 if lang == "ja" else 1]


def outcome_label(stem: str, lang: str) -> str:
    """Name an outcome column stem of :mod:`sim.analysis.compare` (``lonely_person_years``...)."""
    if stem.startswith("cost_per_"):
        return label("cost_per_py_averted", lang)
    if stem.endswith("_person_years"):
        return label("py_" + stem.removesuffix("_person_years"), lang)
    if stem.endswith("_share"):
        return label(stem.removesuffix("_share"), lang)
    return label(stem.removesuffix("_yen"), lang)


def difference_kind(name: str, lang: str) -> str:
    """How a signed difference column reads: averted (baseline - package) or added."""
    if name.startswith("cost_per_"):
        return "追加費用÷回避人年" if lang == "ja" else "added cost / averted"
    return label("added" if name.startswith("added_") else "averted", lang)


def fiscal_year_text(year: int, lang: str) -> str:
    """A fiscal year (April-March) as text without a thousands separator: 「2025年度」/FY2025."""
    return f"{year}年度" if lang == "ja" else f"FY{year}"


def funder_label(funder: str, lang: str) -> str:
    """Name a funder (``national_grant``, ``prefecture``, ``municipality``, ``npo``)."""
    return label("municipality_funder" if funder == "municipality" else funder, lang)


# ---------------------------------------------------------------- number formats


def fmt_int(x: float) -> str:
    """An integer with thousands separators: ``1,010``; ``-`` when not finite."""
    if x is None or not math.isfinite(x):
        return "-"
    return f"{round(x):,}"


def fmt_py(x: float, lang: str) -> str:
    """Person-years: 「1,010人年」 / ``1,010 person-years``."""
    return f"{fmt_int(x)}人年" if lang == "ja" else f"{fmt_int(x)} person-years"


def fmt_yen(x: float, lang: str) -> str:
    """Yen, rounded for reading: 「4.15億円」「41万1,030円」 / ``¥415.1 million``, ``¥411,030``."""
    if x is None or not math.isfinite(x):
        return "-"
    a = abs(x)
    sign = "-" if x < 0 else ""
    if lang == "ja":
        if a >= 1e8:
            return f"{sign}{a / 1e8:,.2f}億円"
        if a >= 1e4:
            man, rest = divmod(round(a), 10_000)
            return f"{sign}{man:,}万{rest:,}円" if rest else f"{sign}{man:,}万円"
        return f"{sign}{round(a):,}円"
    if a >= 1e6:
        return f"{sign}¥{a / 1e6:,.1f} million"
    return f"{sign}¥{round(a):,}"


def fmt_pct(share: float, digits: int = 1) -> str:
    """A share as a percentage: ``0.1234`` -> ``12.3%``."""
    if share is None or not math.isfinite(share):
        return "-"
    return f"{100 * share:.{digits}f}%"


def fmt_interval(lo: float, hi: float, fmt, lang: str) -> str:
    """An interval in words: 「（95%区間 a～b）」 / `` (95% interval a to b)``; '' if unknown."""
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    if lang == "ja":
        return f"（95%区間 {fmt(lo)}～{fmt(hi)}）"
    return f" (95% interval {fmt(lo)} to {fmt(hi)})"


def years_text(years: int, lang: str) -> str:
    """「3年間」 / ``3 years``."""
    return f"{years}年間" if lang == "ja" else f"{years} year{'s' if years != 1 else ''}"


def age_text(group: str, lang: str) -> str:
    """An age group label (``70-79`` -> 「70～79歳」)."""
    return group_label("age_group", group, lang)


# ---------------------------------------------------------------- findings


def paired_findings(
    comp: pd.DataFrame,
    *,
    title: str,
    years: int,
    seed: int | None,
    age_averted: pd.Series | None = None,
    muni_averted: pd.Series | None = None,
    mechanisms: dict[str, float] | None = None,
    lang: str = "ja",
) -> list[str]:
    """Findings of one package against its paired baseline (``comparison.csv`` of a run).

    Args:
        comp: the comparison row of a paired run (:func:`sim.analysis.compare.comparison`):
            ``lonely_person_years_averted`` (baseline - scenario), ``added_cost_total_yen``
            (scenario - baseline), ``cost_per_lonely_person_year_averted_yen``.
        title: the package's name or title.
        years: horizon in years.
        seed: the seed of the pair (one run: no interval).
        age_averted: person-years of loneliness averted by age group (index: age group).
        muni_averted: the same by municipality.
        mechanisms: differences (scenario - baseline) explaining the effect: keys
            ``no_social_activity_py`` (averted), ``venue_members``, ``served``, ``mean_friends``.
        lang: ``ja`` or ``en``.

    Returns:
        Sentences, the most important first.
    """
    check_lang(lang)
    d = comp.iloc[0]
    averted = float(d.get("lonely_person_years_averted", math.nan))
    added = float(d.get("added_cost_total_yen", math.nan))
    per = float(d.get(cost_per_name(), math.nan))
    ja = lang == "ja"
    out = []
    if math.isfinite(averted) and averted > 0:
        per_txt = fmt_yen(per, lang) if math.isfinite(per) else "-"
        if ja:
            out.append(
                f"「{title}」は{years_text(years, lang)}で孤独（しばしば・時々）の延べ人年を"
                f"約{fmt_py(averted, lang)}減らし、追加費用は{fmt_yen(added, lang)}、"
                f"回避1人年あたり{per_txt}でした。"
            )
        else:
            out.append(
                f"“{title}” averted about {fmt_py(averted, lang)} of loneliness (often or "
                f"sometimes) over {years_text(years, lang)}, at an added cost of "
                f"{fmt_yen(added, lang)}, or {per_txt} per person-year averted."
            )
    elif math.isfinite(averted):
        if ja:
            out.append(
                f"「{title}」は{years_text(years, lang)}で"
                "孤独（しばしば・時々）の延べ人年を減らせず"
                f"（差 {fmt_py(-averted, lang)}の増加）、追加費用は{fmt_yen(added, lang)}でした。"
            )
        else:
            out.append(
                f"“{title}” did not reduce loneliness (often or sometimes) over "
                f"{years_text(years, lang)} ({fmt_py(-averted, lang)} more), at an added cost "
                f"of {fmt_yen(added, lang)}."
            )
    if age_averted is not None and len(age_averted) and age_averted.max() > 0:
        top = str(age_averted.idxmax())
        share = age_averted.max() / age_averted[age_averted > 0].sum()
        if ja:
            out.append(
                f"最も効果が大きいのは{age_text(top, lang)}で、約{fmt_py(age_averted.max(), lang)}"
                f"（減った分の{fmt_pct(share, 0)}）でした。"
            )
        else:
            out.append(
                f"The largest effect is in ages {age_text(top, lang)}: about "
                f"{fmt_py(age_averted.max(), lang)} ({fmt_pct(share, 0)} of the reduction)."
            )
    if muni_averted is not None and len(muni_averted) and muni_averted.max() > 0:
        top = str(muni_averted.idxmax())
        if ja:
            out.append(
                f"市町村別では{top}で最も多く減りました（約{fmt_py(muni_averted.max(), lang)}）。"
            )
        else:
            out.append(
                f"By municipality, {top} gains most (about {fmt_py(muni_averted.max(), lang)})."
            )
    why = _mechanism_sentence(mechanisms or {}, lang)
    if why:
        out.append(why)
    if ja:
        out.append(
            f"これは1つの乱数系列（シード{seed}）による1回の試行の結果で、偶然による幅は含みません。"
            "幅を知るには複数シードの比較（tsunagari compare）を実行してください。"
        )
    else:
        out.append(
            f"This is one run (seed {seed}): it shows no interval for chance. Run a comparison "
            "over several seeds (tsunagari compare) to see the uncertainty."
        )
    return out


def _mechanism_sentence(m: dict[str, float], lang: str) -> str:
    """Why the package works, from the differences of the mechanisms the model records."""
    parts = []
    ja = lang == "ja"
    soc = m.get("no_social_activity_py")
    if soc is not None and math.isfinite(soc) and abs(soc) >= 1:
        if ja:
            parts.append(
                f"社会活動に参加しない延べ人年が{fmt_py(abs(soc), lang)}"
                + ("減り" if soc > 0 else "増え")
            )
        else:
            verb = "fell" if soc > 0 else "rose"
            parts.append(f"person-years without social activity {verb} by {fmt_int(abs(soc))}")
    members = m.get("venue_members")
    if members is not None and math.isfinite(members) and abs(members) >= 1:
        if ja:
            parts.append(
                f"居場所の参加者が平均{fmt_int(abs(members))}人{'増え' if members > 0 else '減り'}"
            )
        else:
            verb = "more" if members > 0 else "fewer"
            parts.append(f"places to belong had {fmt_int(abs(members))} {verb} members on average")
    served = m.get("served")
    if served is not None and math.isfinite(served) and abs(served) >= 1:
        if ja:
            parts.append(
                f"支援を受け始めた人が延べ{fmt_int(abs(served))}人"
                + ("増えました" if served > 0 else "減りました")
            )
        else:
            verb = "more" if served > 0 else "fewer"
            parts.append(f"{fmt_int(abs(served))} {verb} people started support")
    if not parts:
        return ""
    if ja:
        text = "、".join(parts)
        if not text.endswith("ました"):
            text = text + "ました"
        return f"効果の理由：{text}（現状との差）。"
    return "Why: " + "; ".join(parts) + " (against the baseline)."


def compare_findings(
    table: pd.DataFrame,
    robust: pd.DataFrame | None,
    *,
    titles: dict[str, str],
    years: int | None,
    target: str = "py_lonely",
    lang: str = "ja",
) -> list[str]:
    """Findings of an experiment comparison (``comparison.csv`` of ``tsunagari compare``).

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
        if math.isfinite(lo) and math.isfinite(hi) and lo <= 0 <= hi:
            s += (
                " ただし区間が0をまたぐため、効果は偶然と区別できません。"
                if ja
                else " The interval includes zero: the effect cannot be told from chance."
            )
        out.append(s)
    best = rows[col].idxmax()
    best_name = titles.get(best, best)
    if ja:
        s = f"モデルが最も支持するのは「{best_name}」です：平均で最も多くの延べ人年を減らします"
    else:
        s = f"The model favours “{best_name}”: it averts the most person-years on average"
    if robust is not None and len(robust) and best in set(robust["package"]):
        rb = robust.set_index("package").loc[best]
        if ja:
            s += f"（{int(rb['worlds'])}通りの条件のうち{fmt_pct(rb['share_best'], 0)}で最良）"
        else:
            s += f" (best in {fmt_pct(rb['share_best'], 0)} of {int(rb['worlds'])} worlds)"
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
    return out


def run_findings(
    *,
    lonely_share: float,
    top_age: tuple[str, float] | None,
    top_household: tuple[str, float] | None,
    top_muni: tuple[str, float] | None,
    survey_gap: tuple[str, float, float] | None,
    served: float | None,
    dropped: float | None,
    total_cost: float | None,
    years: int,
    lang: str = "ja",
) -> list[str]:
    """Findings of a single run: levels, who is most lonely, services and costs."""
    check_lang(lang)
    ja = lang == "ja"
    out = []
    if ja:
        out.append(
            f"最後の12か月で、16歳以上の{fmt_pct(lonely_share)}が孤独感を「しばしば・常に」"
            "または「時々」感じています。"
        )
    else:
        out.append(
            f"In the last 12 months, {fmt_pct(lonely_share)} of residents aged 16+ felt lonely "
            "often/always or sometimes."
        )
    groups = []
    if top_age:
        groups.append((age_text(top_age[0], lang), top_age[1]))
    if top_household:
        groups.append((group_label("household_type", top_household[0], lang), top_household[1]))
    if groups:
        if ja:
            out.append(
                "割合が最も高いのは"
                + "、".join(f"{g}（{fmt_pct(v)}）" for g, v in groups)
                + "です。"
            )
        else:
            out.append(
                "Highest shares: " + ", ".join(f"{g} ({fmt_pct(v)})" for g, v in groups) + "."
            )
    if top_muni:
        if ja:
            out.append(
                f"市町村別では{top_muni[0]}が最も高くなっています（{fmt_pct(top_muni[1])}）。"
            )
        else:
            out.append(f"By municipality, {top_muni[0]} is highest ({fmt_pct(top_muni[1])}).")
    if survey_gap:
        group, model, survey = survey_gap
        if ja:
            out.append(
                f"全国調査との差が最も大きい年齢は{age_text(group, lang)}です"
                f"（モデル{model:.1f}%、調査{survey:.1f}%、「しばしば・常に」）。"
            )
        else:
            out.append(
                f"The largest gap to the national survey is at ages {age_text(group, lang)} "
                f"(model {model:.1f}%, survey {survey:.1f}%, often/always)."
            )
    if served is not None and dropped is not None:
        if ja:
            out.append(
                f"{years_text(years, lang)}で延べ{fmt_int(served)}人が支援を受け始め、"
                f"{fmt_int(dropped)}人が待ちきれずに離脱しました（実人口換算）。"
            )
        else:
            out.append(
                f"Over {years_text(years, lang)}, {fmt_int(served)} people started support and "
                f"{fmt_int(dropped)} dropped out while waiting (full population)."
            )
    if total_cost is not None:
        if ja:
            out.append(
                f"施策の費用は{years_text(years, lang)}で合計{fmt_yen(total_cost, lang)}です。"
            )
        else:
            out.append(
                f"The measures cost {fmt_yen(total_cost, lang)} in total over "
                f"{years_text(years, lang)}."
            )
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


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def calibration_caveat(calibration: str | None, lang: str) -> str:
    """The caveat on calibration, from the manifest's ``calibration`` value.

    Args:
        calibration: the parameter set the run started from (``calibrated`` or another fitted
            set's name), ``none`` for the declared defaults, or None when the manifest does
            not say.
        lang: ``ja`` or ``en``.
    """
    ja = check_lang(lang) == "ja"
    if calibration is None or str(calibration).strip() == "":
        return (
            "この実行の記録（manifest）には較正の有無がありません。費用はすべて仮定です。"
            "自治体の予算額に置き換えて使ってください。"
            if ja
            else "The run's manifest does not say whether the model was calibrated; all costs "
            "are assumptions to be replaced with local budgets."
        )
    if str(calibration).lower() == "none":
        return (
            "数値は較正前のモデル（宣言された既定値、calibration=none）によるもので、費用はすべて"
            "仮定です。自治体の予算額に置き換えて使ってください。"
            if ja
            else "Figures come from the uncalibrated model (the declared defaults, "
            "calibration=none); all costs are assumptions to be replaced with local budgets."
        )
    return (
        f"モデルは全国調査（人々のつながりに関する基礎調査）に較正済みです（パラメータの組："
        f"{calibration}）。効果の大きさと費用は計画上の仮定です。自治体の予算額に置き換えて"
        "使ってください。"
        if ja
        else f"The model is calibrated to the national loneliness survey (parameter set "
        f"“{calibration}”); effect sizes and costs are planning assumptions to be replaced "
        "with local budgets."
    )


def caveats(lang: str, calibration: str | None = None) -> list[str]:
    """Standing caveats printed at the end of every report (the first from the manifest)."""
    first = calibration_caveat(calibration, lang)
    if lang == "ja":
        return [
            first,
            "人年は、16歳以上の住民がその状態にあった年数の合計（実人口に換算）です。",
            "差の符号はどの表でも同じです：人年は「回避」（現状－施策、正なら減った）、費用は"
            "「追加費用」（施策－現状、正なら増えた）です。",
            "小さな差（0.1ポイント程度）は偶然のことがあります。複数シードの比較で幅を確かめてください。",
            "このモデルは政策の比較のための道具で、将来の予測ではありません。",
        ]
    return [
        first,
        "Person-years add up the years residents aged 16+ spent in a state (full population).",
        "Every table uses one sign convention: person-years “averted” (baseline - package, "
        "positive when fewer), costs “added” (package - baseline, positive when more).",
        "Small differences (about 0.1 points) can be chance: compare several seeds.",
        "The model compares policies; it does not forecast.",
    ]


def join_sentences(sentences: Sequence[str], lang: str) -> str:
    """Sentences as one paragraph."""
    return ("" if lang == "ja" else " ").join(sentences)


#: How to read each section, in plain words: section key -> (ja, en).
READ: dict[str, tuple[str, str]] = {
    "prevalence": (
        "孤独感をどの程度感じるかの5つの答えと、孤立の指標が月ごとにどう変わるかを示します。"
        "線が下がるほど孤独な人が減っています。",
        "The five answers to “how often do you feel lonely?” and the isolation indicators, "
        "month by month. Lower lines mean fewer lonely residents.",
    ),
    "arms": (
        "孤独（しばしば・時々）を感じる人の割合を、現状とパッケージで比べます。"
        "1回の試行なので、偶然による幅（帯）はありません。",
        "Share lonely (often or sometimes) under the baseline and the package: one run, so "
        "there is no band for chance.",
    ),
    "arms.compare": (
        "孤独（しばしば・時々）を感じる人の割合を、現状とパッケージで比べます。"
        "線は複数の試行の中央値、帯は5〜95%の範囲（偶然による幅）です。",
        "Share lonely (often or sometimes) under the baseline and the packages. Lines are the "
        "median over runs, bands the 5-95% range (chance).",
    ),
    "age": (
        "どの年齢の人の孤独が減ったかを、延べ人年で示します。棒が長いほど効果が大きい年齢です。",
        "Which ages gain: person-years of loneliness averted by age group.",
    ),
    "calibration": (
        "モデルの12月の値（棒、ひげは年による幅）と、国の「人々のつながりに関する基礎調査」の"
        "年齢別の値（◆）を比べます。近いほどモデルが現実に合っています。",
        "The model's December values (bars; whiskers: range over years) against the national "
        "survey by age (diamonds). Closer means the model matches better.",
    ),
    "municipality": (
        "市町村ごとの違いです。効果が一部の市町村に偏っていないかを確認してください。",
        "Differences between municipalities: check that gains are not limited to a few.",
    ),
    "flows": (
        "気づき→紹介→相談の待機→支援開始の流れと、待ちきれず離脱した人の数です（期間合計、実人口換算）。"
        "離脱が多いときは相談の受け皿が足りません。",
        "Noticed → referred → waiting → support started, and those who dropped out (whole "
        "period, full population). Many drop-outs mean too little consultation capacity.",
    ),
    "costs": (
        "年度ごとの費用を負担者別に積み上げたものです（百万円）。",
        "Cost per fiscal year stacked by funder (million yen).",
    ),
    "ce": (
        "横軸は減った孤独の延べ人年、縦軸は追加費用です。右下ほど「安くてよく効く」パッケージです。"
        "小さな点は1回ごとの試行、大きな点は平均です。点線は1人年あたり費用の目安です。",
        "x: person-years of loneliness averted; y: added cost. Lower right is cheaper and more "
        "effective. Small dots are single runs, large ones means; dashed lines mark costs per "
        "person-year.",
    ),
    "comparison": (
        "現状（同じ乱数）との差の一覧です。「回避」は現状－施策（正の値なら人年が減った）、"
        "「追加費用」は施策－現状（正の値なら費用が増えた）です。",
        "Differences from the paired baseline: “averted” is baseline - package (positive: "
        "fewer person-years), “added cost” is package - baseline (positive: more cost).",
    ),
    "robustness": (
        "不確かなパラメータや乱数を変えた条件（世界）ごとに、どのパッケージが最も効果的だったかの割合です。"
        "後悔（regret）は最良の選択と比べて失った人年です。",
        "In each world (uncertain parameters and seeds), which option averted the most: the "
        "share of worlds it was best, and its regret (person-years lost against the best).",
    ),
    "sensitivity": (
        "どのパラメータが結果を大きく左右するかを示します。DUMMY（モデルが使わない見せかけの"
        "パラメータ）より小さい値は、偶然と区別できません。",
        "Which parameters drive the results. Indices below the DUMMY parameter (which the model "
        "never reads) cannot be told from chance.",
    ),
    "groups": (
        "最後の12か月の平均です。どの属性の人に孤独が多いかを見ます。",
        "Mean of the last 12 months: which groups are loneliest.",
    ),
}


def read(key: str, lang: str, kind: str | None = None) -> str:
    """How to read section ``key`` ('' when there is no note); ``KEY.KIND`` first if defined."""
    pair = READ.get(f"{key}.{kind}") or READ.get(key)
    return "" if pair is None else pair[0 if check_lang(lang) == "ja" else 1]
