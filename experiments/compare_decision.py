"""Decisions under uncertainty of a comparison (split from :mod:`experiments.compare`).

Worlds (:func:`worlds`), each option's person-years averted and added cost per world
(:func:`world_effects`), P(best), the CEAC, the cost per person-year averted across worlds,
the decision table and the CSV files ``decision.csv``, ``ceac.csv``, ``ce_points.csv`` and
``uncertainty.csv``; the thresholds of the headline's wording.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def worlds(df: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Outcome by world (rows) and package (columns): sample means, or replicates if 1 sample."""
    ok = df[df["error"] == ""]
    key = "sample" if ok["sample"].nunique() > 1 else "replicate"
    return ok.pivot_table(index=key, columns="package", values=outcome, aggfunc="mean")


# -- decisions under uncertainty ---------------------------------------------------------------

#: P(best) at or above which a headline calls an option clearly best.
P_CLEAR = 0.95
#: P(best) at or above which (and below :data:`P_CLEAR`) a headline calls it probably best;
#: below, the options are said to be not distinguishable.
P_PROBABLE = 0.80
#: Status of a cost per person-year averted: the effect's interval lies above zero, or not.
DETERMINED, NOT_DETERMINED, REFERENCE = "determined", "not_determined", "reference"
#: Fewer worlds than this: no option is called best, whatever the shares (20 worlds: steps of 5%).
MIN_WORLDS = 20


def world_effects(
    df: pd.DataFrame, baseline: str, target: str = "py_lonely"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Person-years averted and added cost of every option in every world.

    A world is an uncertainty sample (its replicates averaged), or a replicate when the
    design has a single sample (:func:`worlds`). Options are the baseline (0 and 0) and the
    packages.

    Returns:
        ``(averted, added)``: worlds (rows) by option (columns); ``added`` is all zeros when
        the runs hold no ``cost_total``.
    """
    py = worlds(df, target)
    averted = -(py.sub(py[baseline], axis=0))
    if "cost_total" in df:
        cost = worlds(df, "cost_total")
        added = cost.sub(cost[baseline], axis=0)
    else:
        added = averted * 0.0
    cols = [baseline, *[c for c in averted.columns if c != baseline]]
    return averted[cols], added[cols]


def prob_best(averted: pd.DataFrame) -> pd.Series:
    """Share of worlds in which each option averts the most person-years (ties split).

    The shares sum to 1 over the options (worlds where every value is missing are dropped).
    """
    a = averted.dropna(how="all")
    best = a.max(axis=1)
    is_best = a.eq(best, axis=0) & a.notna()
    share = is_best.div(is_best.sum(axis=1), axis=0).mean()
    share.name = "p_best"
    return share


def net_benefit_best(averted: pd.DataFrame, added: pd.DataFrame, wtp: float) -> pd.Series:
    """Share of worlds in which each option has the highest net benefit at ``wtp``.

    Net benefit = ``wtp`` x person-years averted - added cost (the baseline's is 0); ties split.
    """
    nb = averted * float(wtp) - added
    best = nb.max(axis=1)
    is_best = nb.eq(best, axis=0) & nb.notna()
    return is_best.div(is_best.sum(axis=1), axis=0).mean()


def default_wtp_max(averted: pd.DataFrame, added: pd.DataFrame) -> float:
    """Highest willingness to pay of the CEAC: 3x the largest positive mean cost per averted.

    1e7 yen per person-year when no option averts person-years on average.
    """
    a, c = averted.mean(), added.mean()
    ratios = (c / a)[(a > 0) & (c > 0)]
    if not len(ratios):
        return 1e7
    return float(3 * ratios.max())


def ceac(
    averted: pd.DataFrame, added: pd.DataFrame, wtp_max: float | None = None, points: int = 101
) -> pd.DataFrame:
    """The cost-effectiveness acceptability curve: P(highest net benefit) by willingness to pay.

    Args:
        averted: person-years averted by world and option (:func:`world_effects`).
        added: added cost (yen, horizon) by world and option.
        wtp_max: highest willingness to pay (yen per person-year averted); default
            :func:`default_wtp_max`.
        points: grid points from 0 to ``wtp_max``.

    Returns:
        One row per willingness to pay: ``wtp_yen_per_person_year``, then one column per
        option (shares summing to 1). At 0 the option that adds least cost wins every world
        (the baseline when every package adds cost); as the willingness to pay grows, the
        curve tends to :func:`prob_best`.
    """
    top = float(wtp_max) if wtp_max else default_wtp_max(averted, added)
    grid = np.linspace(0.0, top, points)
    rows = [net_benefit_best(averted, added, w) for w in grid]
    out = pd.DataFrame(rows).reset_index(drop=True)
    out.insert(0, "wtp_yen_per_person_year", grid)
    return out


#: Quantiles of worlds are observed values (no interpolation between worlds), so that an
#: interval of person-years averted above zero leaves every ratio inside it finite.
QUANTILE = "inverted_cdf"


def _quantile(x: pd.Series, q: float) -> float:
    v = x.to_numpy(float)
    return float(np.quantile(v, q, method=QUANTILE)) if v.size else float("nan")


def cost_per_world(
    averted: np.ndarray, added: np.ndarray, conf: float = 0.95
) -> tuple[float, float, float, str]:
    """Cost per person-year averted across worlds, or "not determined".

    The value is the ratio of the means (expected added cost / expected person-years averted).
    It is determined only when the uncertainty interval of the person-years averted (the
    central ``conf`` share of worlds) lies above zero; its interval is then the central
    ``conf`` share of the per-world ratios (a world averting nothing counts as infinitely
    costly, and an infinite end leaves the interval undetermined too).

    Returns:
        ``(value, low, high, status)`` with ``status`` :data:`DETERMINED` or
        :data:`NOT_DETERMINED` (then all three are NaN).
    """
    a, c = np.asarray(averted, float), np.asarray(added, float)
    ok = np.isfinite(a) & np.isfinite(c)
    a, c = a[ok], c[ok]
    if a.size < 2:
        return (np.nan, np.nan, np.nan, NOT_DETERMINED)
    lo_a = np.quantile(a, 0.5 - conf / 2, method=QUANTILE)
    if not lo_a > 0:
        return (np.nan, np.nan, np.nan, NOT_DETERMINED)
    ratio = np.where(a > 0, c / np.where(a > 0, a, 1.0), np.inf)
    with np.errstate(invalid="ignore"):  # infinite ratios interpolate to NaN: undetermined
        lo, hi = np.quantile(ratio, [0.5 - conf / 2, 0.5 + conf / 2], method=QUANTILE)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return (np.nan, np.nan, np.nan, NOT_DETERMINED)
    return (float(c.mean() / a.mean()), float(lo), float(hi), DETERMINED)


def decision_table(
    averted: pd.DataFrame, added: pd.DataFrame, years: float | None = None, conf: float = 0.95
) -> pd.DataFrame:
    """One row per option: P(best), expected effect and cost with uncertainty intervals.

    Intervals are the central ``conf`` share of worlds (not of the mean: they say how far
    a world can be from the expected value under everything sampled), as observed values
    (:data:`QUANTILE`).

    Columns: ``package``, ``worlds``, ``p_best``, ``averted_mean``, ``averted_low``,
    ``averted_high`` (person-years of the target averted), ``p_averts`` (share of worlds
    where it averts any), ``added_cost_mean``, ``added_cost_low``, ``added_cost_high`` (yen
    over the horizon), ``added_cost_per_year_mean`` (when ``years`` is known),
    ``cost_per_py_averted``, ``_low``, ``_high`` and ``cost_per_py_status``
    (:func:`cost_per_world`; ``reference`` for the baseline, the first column),
    ``mean_regret`` and ``max_regret`` (person-years averted short
    of the best option of the world).
    """
    q = [0.5 - conf / 2, 0.5 + conf / 2]
    pb = prob_best(averted)
    regret = averted.rsub(averted.max(axis=1), axis=0)
    rows = []
    for option in averted.columns:
        a, c = averted[option].dropna(), added[option].dropna()
        per = cost_per_world(averted[option].to_numpy(), added[option].to_numpy(), conf)
        if option == averted.columns[0]:  # the baseline: the reference of every difference
            per = (np.nan, np.nan, np.nan, REFERENCE)
        row = {
            "package": option,
            "worlds": int(a.size),
            "p_best": float(pb.get(option, 0.0)),
            "averted_mean": float(a.mean()),
            "averted_low": _quantile(a, q[0]),
            "averted_high": _quantile(a, q[1]),
            "p_averts": float((a > 0).mean()),
            "added_cost_mean": float(c.mean()),
            "added_cost_low": _quantile(c, q[0]),
            "added_cost_high": _quantile(c, q[1]),
        }
        if years:
            row["added_cost_per_year_mean"] = float(c.mean()) / float(years)
        row |= {
            "cost_per_py_averted": per[0],
            "cost_per_py_averted_low": per[1],
            "cost_per_py_averted_high": per[2],
            "cost_per_py_status": per[3],
            "mean_regret": float(regret[option].mean()),
            "max_regret": float(regret[option].max()),
        }
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["decimals"] = {
        "p_best": 4, "averted_mean": 1, "averted_low": 1, "averted_high": 1, "p_averts": 4,
        "added_cost_mean": 0, "added_cost_low": 0, "added_cost_high": 0,
        "added_cost_per_year_mean": 0, "cost_per_py_averted": 0, "cost_per_py_averted_low": 0,
        "cost_per_py_averted_high": 0, "mean_regret": 1, "max_regret": 1,
    }  # fmt: skip
    return out


def uncertainty_rows(info: dict) -> pd.DataFrame:
    """What the intervals include, one row per source (``uncertainty.csv``).

    Args:
        info: the design's ``uncertainty`` entry: ``mode``, ``posterior`` (label), ``draws``,
            ``effects`` (names varied), ``seeds_per_world``, ``worlds``.
    """
    joint = info.get("mode") == "joint"
    draws = int(info.get("draws", 0))
    effects = list(info.get("effects", []))
    rows = [
        ("seeds", "yes", f"{info.get('seeds_per_world', 1)} seed(s) per world, "
         f"{info.get('worlds', '?')} worlds"),
        ("calibrated_posterior", "yes" if joint and draws else "no",
         f"{draws} posterior draws of {info.get('posterior', '?')}" if joint and draws
         else f"calibrated point only ({info.get('posterior', '?')} has no posterior draws)"
         if joint else "calibrated point only (uncertainty=seeds)"),
        ("effect_priors", "yes" if joint and effects else "no",
         f"{len(effects)} parameters, uniform within declared ranges (Latin hypercube): "
         + " ".join(effects) if joint and effects else "declared defaults"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["source", "included", "detail"])


def ce_points(averted: pd.DataFrame, added: pd.DataFrame) -> pd.DataFrame:
    """One row per world and package: ``world``, ``package``, ``averted``, ``added_cost_yen``.

    The points of the cost-effectiveness plane (the baseline is the origin, left out).
    """
    baseline = averted.columns[0]
    rows = []
    for p in averted.columns[1:]:
        d = pd.DataFrame({"world": averted.index, "package": p,
                          "averted": averted[p].to_numpy(),
                          "added_cost_yen": added[p].to_numpy()})  # fmt: skip
        rows.append(d)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    out.attrs["baseline"] = baseline
    out.attrs["decimals"] = {"averted": 1, "added_cost_yen": 0}
    return out


def write_decision(
    out: Path,
    decision: pd.DataFrame,
    curve: pd.DataFrame,
    averted: pd.DataFrame,
    added: pd.DataFrame,
    uncertainty: pd.DataFrame,
) -> list[Path]:
    """Write ``decision.csv``, ``ceac.csv``, ``ce_points.csv`` and ``uncertainty.csv``.

    ``decision.csv``: :func:`decision_table`; ``ceac.csv``: :func:`ceac` (willingness to pay in
    yen per person-year averted, then the share of worlds in which each option has the highest
    net benefit); ``ce_points.csv``: :func:`ce_points`; ``uncertainty.csv``:
    :func:`uncertainty_rows`.
    """
    from sim.core.files import write_csv

    curve = curve.copy()
    curve.attrs["decimals"] = {c: 4 for c in curve.columns if c != "wtp_yen_per_person_year"}
    curve.attrs["decimals"]["wtp_yen_per_person_year"] = 0
    tables = {
        "decision.csv": decision,
        "ceac.csv": curve,
        "ce_points.csv": ce_points(averted, added),
        "uncertainty.csv": uncertainty,
    }
    return [write_csv(out / name, df) for name, df in tables.items()]
