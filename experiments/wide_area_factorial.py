"""Where the prefecture-led platform's gain comes from: a 2 x 2 x 2 factorial design.

The prefecture-led arm (``wide_area_prefecture``) differs from "alone" (``wide_area_alone``) in
three separable ways:

* **cooperation**: one prefecture-wide SNS line, consultation capacity pooled across
  municipalities and cross-border use of counters and places (the ``wide_area`` lever and the
  prefecture's line instead of the municipalities' own);
* **staff**: the specialists the prefecture dispatches (``prefecture_support.staff_per_100k``);
* **training**: the prefecture's training (``prefecture_support.training_boost``).

All eight combinations run on the same seeds (common random numbers); the two corners are the
arms "alone" and "prefecture-led" themselves. For every seed and municipality the change
against "alone" is split into the three parts by the Shapley value of the factorial (each
factor's marginal change averaged over the orders in which the factors can be added), so the
three parts add up exactly to the prefecture arm's change, interactions shared equally. Parts
are reported as means over seeds with 95% t-intervals, and as shares of the mean total, with a
percentile bootstrap over seeds; a share is "not determined" (NaN) when the total's interval
includes zero.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pandas as pd

from experiments.wide_area_tables import _interval

FACTORS = ("cooperation", "staff", "training")
CORNERS = {(0, 0, 0): "wide_area_alone", (1, 1, 1): "wide_area_prefecture"}
FACTOR_LABEL = {
    "cooperation": {
        "ja": "連携そのもの（共同化・越境利用）",
        "en": "cooperation itself (pooling, cross-border use)",
    },
    "staff": {"ja": "県の派遣職員", "en": "prefecture's dispatched staff"},
    "training": {"ja": "県の研修", "en": "prefecture's training"},
}
BOOTSTRAP = 2000


def arm_name(code: tuple[int, int, int]) -> str:
    """Scenario name of a factorial cell (the corners keep the library names)."""
    return CORNERS.get(code) or "wide_area_f" + "".join(map(str, code))  # see is_inner_cell


def cells() -> list[tuple[int, int, int]]:
    """The eight cells (cooperation, staff, training), each 0 or 1."""
    return list(itertools.product((0, 1), repeat=3))


def factorial_scenarios() -> dict[str, object]:
    """The six inner cells as scenarios built from the two library arms.

    A cell with cooperation takes the prefecture arm's levers but its prefecture support,
    otherwise the "alone" arm's levers; the prefecture support is then added with its staff,
    its training, both or neither (neither: no support lever at all).
    """
    from sim.policy.levers.prefecture_support import PrefectureSupport
    from sim.policy.scenario import load_scenario

    alone, pref = load_scenario(CORNERS[0, 0, 0]), load_scenario(CORNERS[1, 1, 1])
    support = [lv for lv in pref.levers if isinstance(lv, PrefectureSupport)]
    if len(support) != 1:
        raise ValueError(f"{pref.source}: expected one prefecture_support lever")
    (sup,) = support
    shared = [lv for lv in pref.levers if not isinstance(lv, PrefectureSupport)]
    out = {}
    for code in cells():
        if code in CORNERS:
            continue
        coop, staff, training = code
        levers = list(shared if coop else alone.levers)
        if staff or training:
            levers.append(dataclasses.replace(
                sup,
                staff_per_100k=sup.staff_per_100k if staff else 0.0,
                training_boost=sup.training_boost if training else 0.0,
            ))  # fmt: skip
        name = arm_name(code)
        title = {k: f"{pref.title.get(k, '')} [{name[-3:]}]" for k in ("ja", "en")}
        out[name] = dataclasses.replace(
            pref, name=name, title=title, levers=levers, origins=[], source=pref.source
        )
    return out


def shapley(change: dict[tuple[int, int, int], np.ndarray]) -> dict[str, np.ndarray]:
    """Shapley parts of the three factors from the changes of the eight cells against alone.

    Args:
        change: per cell, the change against "alone" (arrays of one shape; the "alone" cell
            is zero).

    Returns:
        Per factor, its part (same shape); the three add up to ``change[(1, 1, 1)]``.
    """
    n = len(FACTORS)
    parts = {}
    for i, name in enumerate(FACTORS):
        total = 0.0
        for code in cells():
            if code[i]:
                continue
            k = sum(code)
            weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            with_i = tuple(1 if j == i else c for j, c in enumerate(code))
            total = total + weight * (change[with_i] - change[code])
        parts[name] = total
    return parts


def decompose(mun: pd.DataFrame, measures=("lonely", "no_in_person_contact")) -> pd.DataFrame:
    """The decomposition table: per measure, municipality (and prefecture) and factor.

    Args:
        mun: the per-run municipality table of :func:`experiments.wide_area.run_arms` with all
            eight cells among its arms.
        measures: the shares to decompose.

    Returns:
        Rows ``measure, municipality, factor, part, part_lo95, part_hi95, share, share_lo95,
        share_hi95, total, total_lo95, total_hi95`` (parts and totals are changes of a share,
        as fractions; shares are fractions of the mean total).
    """
    rng = np.random.default_rng(20250226)  # fixed: the same table for the same runs
    seeds = np.sort(mun["seed"].unique())
    boot = rng.integers(0, seeds.size, size=(BOOTSTRAP, seeds.size))
    rows = []
    for measure in measures:
        wide = mun.pivot_table(index=["municipality", "seed"], columns="arm", values=measure)
        for place in wide.index.get_level_values("municipality").unique():
            w = wide.xs(place, level="municipality").reindex(seeds)
            base = w[arm_name((0, 0, 0))].to_numpy(float)
            change = {c: w[arm_name(c)].to_numpy(float) - base for c in cells()}
            parts = shapley(change)
            total = change[(1, 1, 1)]
            t_m, t_lo, t_hi = _interval(total)
            determined = np.isfinite(t_lo) and not (t_lo <= 0 <= t_hi)
            tb = total[boot].mean(axis=1)
            for factor, part in parts.items():
                p_m, p_lo, p_hi = _interval(part)
                share = lo = hi = np.nan
                if determined:
                    share = p_m / t_m
                    with np.errstate(divide="ignore", invalid="ignore"):
                        sb = part[boot].mean(axis=1) / tb
                    lo, hi = (float(q) for q in np.nanquantile(sb, [0.025, 0.975]))
                rows.append({
                    "measure": measure,
                    "municipality": "(prefecture)" if place == "all" else place,
                    "factor": factor, "part": p_m, "part_lo95": p_lo, "part_hi95": p_hi,
                    "share": share, "share_lo95": lo, "share_hi95": hi,
                    "total": t_m, "total_lo95": t_lo, "total_hi95": t_hi,
                })  # fmt: skip
    return pd.DataFrame(rows)


def decomposition_text(table: pd.DataFrame, lang: str = "ja") -> list[str]:
    """Console lines: the prefecture-wide parts of the lonely share's change, with shares."""
    from experiments.wide_area_text import interval_text

    t = table[(table["measure"] == "lonely") & (table["municipality"] == "(prefecture)")]
    if t.empty:
        return []
    total = t.iloc[0]
    ja = lang == "ja"
    lines = [
        ("県主導の全県連携の効果の内訳（孤独、単独との差、シャープレイ値）：計 "
         if ja else "Where the prefecture-led platform's change comes from (lonely, vs alone, "
         "Shapley parts): total ")
        + interval_text(total["total"], total["total_lo95"], total["total_hi95"], lang)
    ]  # fmt: skip
    for _, r in t.iterrows():
        if np.isfinite(r["share"]):
            share = (f"、割合 {100 * r['share']:.0f}% [{100 * r['share_lo95']:.0f}, "
                     f"{100 * r['share_hi95']:.0f}]" if ja else
                     f", share {100 * r['share']:.0f}% [{100 * r['share_lo95']:.0f}, "
                     f"{100 * r['share_hi95']:.0f}]")  # fmt: skip
        else:
            share = "、割合は判定できない（計の区間が0を含む）" if ja else (
                ", share not determined (the total's interval includes 0)")  # fmt: skip
        part = interval_text(r["part"], r["part_lo95"], r["part_hi95"], lang)
        lines.append(f"   {FACTOR_LABEL[r['factor']][lang]}: {part}{share}")
    return lines


def decomposition_figure(table: pd.DataFrame, lang: str = "ja"):
    """Stacked bars by municipality: the three parts of the lonely share's change (points)."""
    from matplotlib.figure import Figure

    from sim.report.plots import use_japanese_font

    use_japanese_font()
    t = table[table["measure"] == "lonely"]
    wide = t.pivot_table(index="municipality", columns="factor", values="part", sort=False)
    wide = 100 * wide.reindex(columns=list(FACTORS))
    total = 100 * t.groupby("municipality", sort=False)["total"].first().reindex(wide.index)
    fig = Figure(figsize=(9, 0.32 * len(wide) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(wide))
    colours = {"cooperation": "#3b75af", "staff": "#e1812c", "training": "#3a923a"}
    neg = np.zeros(len(wide))
    pos = np.zeros(len(wide))
    for f in FACTORS:
        v = wide[f].to_numpy(float)
        left = np.where(v < 0, neg, pos)
        ax.barh(y, v, left=left, color=colours[f], label=FACTOR_LABEL[f][lang])
        neg = np.where(v < 0, neg + v, neg)
        pos = np.where(v >= 0, pos + v, pos)
    ax.scatter(total.to_numpy(float), y, color="black", s=14, zorder=3,
               label="計" if lang == "ja" else "total")  # fmt: skip
    ax.axvline(0, color="black", lw=0.6)
    ax.set_yticks(y, [("県全体" if lang == "ja" else "prefecture") if m == "(prefecture)" else m
                      for m in wide.index])  # fmt: skip
    ax.invert_yaxis()
    ax.set_xlabel(
        "孤独（しばしば・時々）の変化の内訳（%ポイント、単独との差）"
        if lang == "ja"
        else "parts of the change in the lonely share vs alone (percentage points)"
    )
    # below the axes, so that no bar is hidden behind it
    fig.legend(loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    return fig
