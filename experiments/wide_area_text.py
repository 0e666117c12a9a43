"""The wide-area experiment's console text (Japanese and English): arms, intervals, summary.

:func:`report` turns :func:`experiments.wide_area.analyse`'s tables into the lines the command
prints; differences are paired against "alone" on the same seeds, with 95% intervals over
seeds (one seed gives no interval, and the text says so).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ARMS = ("wide_area_alone", "wide_area_prefecture", "wide_area_clusters")
REFERENCE = ARMS[0]
LABEL = {
    "wide_area_alone": {"ja": "単独", "en": "alone"},
    "wide_area_prefecture": {"ja": "県主導の全県連携", "en": "prefecture-led platform"},
    "wide_area_clusters": {"ja": "圏域ごとの連携", "en": "customary-area clusters"},
}


TEXT: dict[str, dict[str, str]] = {
    "header": {
        "ja": "広域連携の比較：{region}（{seeds}シード、住民の{pct}、{years}年）。差は同じシード"
        "どうしの単独との差の平均、[ ] は95%区間（%ポイント）。",
        "en": "Wide-area cooperation: {region} ({seeds} seeds, {pct} of residents, {years} "
        "years). Differences are paired against alone on the same seeds, mean with 95% "
        "interval [ ] (percentage points).",
    },
    "reference": {
        "ja": "{arm}（基準）：孤独（しばしば＋時々）{lonely}、他市町村で支援 {outside}、"
        "総費用 {cost}",
        "en": "{arm} (reference): lonely (often/always + sometimes) {lonely}, served outside "
        "the home municipality {outside}, total cost {cost}",
    },
    "arm": {
        "ja": "{arm}：孤独 {lonely}、単独との差 {lonely_diff}、孤立（直接会う機会なし）の差 "
        "{contact_diff}、他市町村で支援 {outside}、総費用 {cost}",
        "en": "{arm}: lonely {lonely}, vs alone {lonely_diff}; no in-person contact vs alone "
        "{contact_diff}; served outside {outside}; total cost {cost}",
    },
    "crosses": {"ja": "区間が0をまたぐ", "en": "interval crosses 0"},
    "one_seed": {
        "ja": "1シードでは区間なし（seeds=2 以上で区間）",
        "en": "no interval from one seed (seeds=2 or more gives one)",
    },
    "cost": {"ja": "{oku:.2f}億円/年", "en": "{m:.0f}M yen/year"},
    "gap_lonely": {
        "ja": "市町村間の格差（孤独、最良と最悪の差）",
        "en": "gap best-worst municipality (lonely)",
    },
    "gap_no_in_person_contact": {
        "ja": "市町村間の格差（孤立）",
        "en": "gap best-worst municipality (no in-person contact)",
    },
    "small_towns_lonely_diff": {
        "ja": "小規模町村の変化（孤独）",
        "en": "small towns, change in lonely",
    },
    "cities_lonely_diff": {"ja": "市の変化（孤独）", "en": "cities, change in lonely"},
    "small_towns_no_contact_diff": {
        "ja": "小規模町村の変化（孤立）",
        "en": "small towns, change in no in-person contact",
    },
    "cities_no_contact_diff": {
        "ja": "市の変化（孤立）",
        "en": "cities, change in no in-person contact",
    },
    "note_short": {
        "ja": "wide-area: 注意：連携の開始は {start}。years={years} では測定する最後の52週のうち"
        "{weeks}週しか動かない（効果を見るには years=3 以上）",
        "en": "wide-area: note: the cooperation starts on {start}; with years={years} it runs "
        "for {weeks} of the 52 weeks measured (years=3 or more shows its effect)",
    },
    "written": {
        "ja": "書き出し先 {out}/：{files}（{seconds} 秒）",
        "en": "written to {out}/: {files} ({seconds} s)",
    },
}
"""Console text of the command, Japanese and English (the shape of :data:`sim.core.i18n.TEXT`;
kept here until the command's strings move there)."""


def is_inner_cell(arm: str) -> bool:
    """Whether ``arm`` is an inner cell of the factorial (experiments/wide_area_factorial.py)."""
    return arm.startswith("wide_area_f") and arm[len("wide_area_f") :].isdigit()


def say(key: str, lang: str, **fields: object) -> str:
    """A console text of :data:`TEXT` in ``lang`` (``ja`` or ``en``) with its fields filled."""
    return TEXT[key][lang if lang in ("ja", "en") else "ja"].format(**fields)


def _pp(value: float) -> str:
    """A share difference (a fraction) in signed percentage points, two decimals."""
    return f"{100 * value:+.2f}"


def interval_text(mean: float, lo: float, hi: float, lang: str, signed: bool = True) -> str:
    """``mean pt [lo, hi]`` in percentage points; says so when the interval crosses zero.

    Without an interval (one seed: ``lo`` and ``hi`` are NaN) the mean is followed by a note
    that one seed gives no interval, never by ``[nan, nan]``.
    """
    unit = "pt" if lang == "ja" else " pp"
    value = f"{_pp(mean)}{unit}" if signed else f"{100 * mean:.2f}{unit}"
    if not (np.isfinite(lo) and np.isfinite(hi)):  # one seed: a mean, no interval
        return (
            f"{value}（{say('one_seed', lang)}）"
            if lang == "ja"
            else f"{value} ({say('one_seed', lang)})"
        )
    if signed:
        text = f"{value} [{_pp(lo)}, {_pp(hi)}]"
    else:
        text = f"{value} [{100 * lo:.2f}, {100 * hi:.2f}]"
    if signed and lo < 0 < hi:
        text += f"（{say('crosses', lang)}）" if lang == "ja" else f" ({say('crosses', lang)})"
    return text


def report(tables: dict[str, pd.DataFrame], lang: str = "ja", header: str | None = None) -> str:
    """Plain-text summary in ``lang``: prefecture change, equity and cost per arm.

    Differences are against "alone" on the same seeds, with their 95% intervals; an interval
    that crosses zero is said to. The reference arm shows its level, cost and gaps only.

    Args:
        tables: the tables of :func:`analyse`.
        lang: ``"ja"`` (default) or ``"en"``.
        header: a first line (see :func:`header_line`), or None.
    """
    t, eq = tables["municipalities"], tables["equity"]
    lines = [header] if header else []
    for arm in t["arm"].unique():
        if is_inner_cell(arm):
            continue  # the factorial's inner cells are reported by their decomposition
        p = t[(t["arm"] == arm) & (t["municipality"] == "(prefecture)")].iloc[0]
        cost = float(p["bill_yen_per_year"])
        fields = {
            "arm": LABEL.get(arm, {}).get(lang, arm),
            "lonely": f"{100 * p['lonely']:.2f}%",
            "outside": f"{100 * p['served_outside_share']:.1f}%",
            "cost": say("cost", lang, oku=cost / 1e8, m=cost / 1e6),
        }
        if arm == REFERENCE:
            lines.append(say("reference", lang, **fields))
        else:
            fields["lonely_diff"] = interval_text(
                p["lonely_diff"], p["lonely_diff_lo"], p["lonely_diff_hi"], lang
            )
            fields["contact_diff"] = interval_text(
                p["no_in_person_contact_diff"],
                p["no_in_person_contact_diff_lo"],
                p["no_in_person_contact_diff_hi"],
                lang,
            )
            lines.append(say("arm", lang, **fields))
        e = eq[eq["arm"] == arm].set_index("metric")
        for k in e.index:
            gap = k.startswith("gap_")
            if arm == REFERENCE and not gap:
                continue  # the reference against itself: zero by construction
            m, lo, hi = (float(e.loc[k, c]) for c in ("mean", "lo95", "hi95"))
            lines.append(f"   {say(k, lang)}: {interval_text(m, lo, hi, lang, signed=not gap)}")
    return "\n".join(lines)


def header_line(region, cfg, seeds: int, lang: str) -> str:
    """The report's first line: region, seeds, scale and years."""
    name = region.name_ja if lang == "ja" else region.name_en
    pct = f"{100 * cfg.population.scale:g}%"
    return say("header", lang, region=name, seeds=seeds, pct=pct, years=cfg.years)
