"""Findings sentences of a single run and a paired run, computed from the numbers only.

A paired run has one seed, so no interval: see :mod:`sim.report.experiment_findings` for the
means with intervals of experiments over many seeds.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.analysis.compare import cost_per_name
from sim.core.i18n import check_lang, group_label
from sim.report.formats import age_text, fmt_int, fmt_pct, fmt_py, fmt_yen, years_text


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


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
