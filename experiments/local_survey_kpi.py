"""The KPI list of a municipality's survey: the smallest change each indicator can show.

:func:`mdd` is the minimum detectable difference between two surveys, :func:`detectable_changes`
applies it (80% power) to the KPI items' current shares, :func:`kpi_shares` reads those shares
from a run's tidy table, :func:`detectable_text` writes the table as markdown and
:func:`kpi_block` is the "which effects your survey can see" block of a comparison report.
Re-exported by :mod:`experiments.local_survey_power`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from experiments.local_survey_design import SETTINGS
from experiments.local_survey_model import ITEMS, KPI_ITEMS


def mdd(
    p: float,
    respondents: float,
    *,
    population: float | None = None,
    deff: float = 1.0,
    power: float = 0.8,
    alpha: float = 0.05,
) -> float:
    """Minimum detectable difference (share, 0-1) between two surveys of ``respondents`` each.

    Two independent surveys, two-sided test: ``(z_(1-alpha/2) + z_power) * sqrt(2 p (1-p) deff
    (1 - f) / m)`` with ``f = m / population`` (finite population correction).
    """
    if respondents <= 1:
        return float("nan")
    fpc = 1.0 - (respondents / population if population else 0.0)
    z = float(norm.ppf(1 - alpha / 2) + norm.ppf(power))
    return z * math.sqrt(max(2 * p * (1 - p) * deff * max(fpc, 0.0) / respondents, 0.0))


#: recorder measures (the run/compare tables) behind each KPI item
KPI_FROM_RECORDER: dict[str, tuple[str, ...]] = {
    "lonely": ("often_always", "sometimes"),
    "any_loneliness": ("any_loneliness",),
    "ucla3_10_12": ("ucla3_top",),
    "never_meets_in_person": ("never_meets_in_person",),
    "no_social_activity": ("no_social_activity",),
    "has_someone_to_rely_on": ("has_someone_to_rely_on",),
}


def detectable_changes(
    shares: dict[str, float],
    respondents: int,
    *,
    population: int | None = None,
    effects: dict[str, float] | None = None,
    deff: float = 1.0,
    lang: str = "ja",
) -> pd.DataFrame:
    """The KPI list with the smallest change a survey of ``respondents`` can detect (80% power).

    Args:
        shares: the KPI items' current shares in percent, e.g. ``{"lonely": 18.0, ...}`` (items of
            :data:`KPI_ITEMS`; missing ones are left out). From a run's table use
            :func:`kpi_shares`.
        respondents: expected respondents of each survey (questionnaires x response rate).
        population: residents 16+ of the municipality (finite population correction), optional.
        effects: the package's predicted change per item in points, optional; adds whether the
            survey can see it.
        deff: design effect of the weighting (0.99-1.13 for the loneliness items with age x
            sex weights in the worked example; the commands use ``SETTINGS.kpi_deff``, 1.1).
        lang: ``ja`` or ``en`` labels.

    Returns:
        Columns ``item, label, share_pct, respondents, mdd_pp`` (two surveys of that size, e.g.
        before and after) and, with ``effects``, ``effect_pp, visible``.
    """
    rows = []
    for item in KPI_ITEMS:
        if item not in shares or shares[item] is None or not np.isfinite(shares[item]):
            continue
        p = float(shares[item]) / 100.0
        d = 100 * mdd(p, respondents, population=population, deff=deff)
        row = {
            "item": item,
            "label": ITEMS[item][0 if lang == "ja" else 1],
            "share_pct": float(shares[item]),
            "respondents": int(respondents),
            "mdd_pp": d,
        }
        if effects is not None:
            e = effects.get(item)
            row["effect_pp"] = float(e) if e is not None else np.nan
            row["visible"] = bool(e is not None and abs(e) >= d)
        rows.append(row)
    return pd.DataFrame(rows)


def kpi_shares(
    table: pd.DataFrame, *, dimension: str = "all", group: str = "all", date: str | None = None
) -> dict[str, float]:
    """KPI shares (percent) from a run's tidy table (``tsunagari run`` output ``table``).

    Takes the December record of the last year (or ``date``) of ``dimension``/``group``, e.g.
    ``dimension="municipality", group="倉吉市"``.
    """
    t = table[(table["dimension"] == dimension) & (table["group"] == group)]
    if date is None:
        dec = t[pd.to_datetime(t["date"]).dt.month == 12]
        date = (dec if len(dec) else t)["date"].max()
    t = t[t["date"] == date].set_index("measure")["value"]
    out = {}
    for item, measures in KPI_FROM_RECORDER.items():
        if all(m in t.index for m in measures):
            out[item] = 100 * float(sum(t[m] for m in measures))
    return out


def detectable_text(table: pd.DataFrame, lang: str = "ja") -> str:
    """A short text block (markdown) of :func:`detectable_changes`: which effects a survey sees."""
    if table.empty:
        return ""
    m = int(table["respondents"].iloc[0])
    ja = lang == "ja"
    head = (
        f"**この調査で見える変化**（回答者{m:,}人の調査を2回行い比較、有意水準5%・検出力80%）"
        if ja
        else f"**Which effects your survey can see** (two surveys of {m:,} respondents each, "
        "5% two-sided, 80% power)"
    )
    lines = [head, ""]
    if ja:
        lines += [
            "| 指標 | 現在の割合 | 検出できる最小の変化 | 予測される効果 | 見えるか |",
            "|---|---:|---:|---:|---|",
        ]
    else:
        lines += [
            "| indicator | share now | smallest detectable change | predicted effect | visible |",
            "|---|---:|---:|---:|---|",
        ]
    unit = "ポイント" if ja else "points"
    for r in table.itertuples():
        eff = getattr(r, "effect_pp", np.nan)
        eff_s = "" if not np.isfinite(eff) else f"{eff:+.2f} {unit}"
        vis = getattr(r, "visible", None)
        vis_s = (
            ""
            if vis is None or not np.isfinite(eff)
            else (("見える" if vis else "見えない") if ja else ("yes" if vis else "no"))
        )
        lines.append(
            f"| {r.label} | {r.share_pct:.1f}% | {r.mdd_pp:.1f} {unit} | {eff_s} | {vis_s} |"
        )
    lines.append("")
    lines.append(
        "変化がこの大きさより小さいと、調査では偶然のばらつきと区別できない可能性が高い。"
        if ja
        else "A change smaller than this will most likely not be told apart from sampling noise."
    )
    return "\n".join(lines)


def kpi_block(
    baseline: pd.DataFrame,
    package: pd.DataFrame | None = None,
    *,
    dimension: str = "all",
    group: str = "all",
    questionnaires: int = 2000,
    response: float = 0.56,
    population: int | None = None,
    lang: str = "ja",
) -> str:
    """The "which of these effects your survey can see" block for a comparison report.

    Args:
        baseline: the baseline run's tidy table (``Results.table`` or ``table.csv`` of a run).
        package: the package run's table on the same seed (paired); None: levels only.
        dimension: the table's dimension of the area, e.g. ``"municipality"`` (default ``all``).
        group: the area within it, e.g. ``"倉吉市"`` (default ``all``: the region).
        questionnaires: questionnaires a survey mails.
        response: expected overall response (0.56: the national survey).
        population: residents 16+ of the area (finite population correction), optional.
        lang: ``ja`` or ``en``.

    Returns:
        Markdown: a heading line, a table of the KPI with the smallest detectable change and,
        with ``package``, the predicted effect and whether the survey can see it.
    """
    base = kpi_shares(baseline, dimension=dimension, group=group)
    effects = None
    if package is not None:
        pkg = kpi_shares(package, dimension=dimension, group=group)
        effects = {k: pkg[k] - base[k] for k in base if k in pkg}
    table = detectable_changes(
        base,
        round(questionnaires * response),
        population=population,
        effects=effects,
        deff=SETTINGS.kpi_deff,
        lang=lang,
    )
    return detectable_text(table, lang)
