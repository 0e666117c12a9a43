"""Policy comparison: packages against the baseline on the same seeds and uncertainty samples.

Each package run is paired with the baseline run of the same uncertainty sample and replicate
(same seed, same parameter values), so the difference removes most of the noise. For each
package and outcome the table gives the mean paired difference (package - baseline) with a
t-interval; the cost per person-year of loneliness averted is the ratio of the mean added cost
to the mean person-years averted, with a percentile bootstrap interval over pairs. Robustness
looks at each world (an uncertainty sample, averaged over replicates; each replicate when the
design has no uncertainty samples): the share of worlds in which each option, the baseline
included, averts the most person-years within the budget, and its regret (the best option's
person-years averted minus its own).

:func:`comparison_table` holds the raw paired statistics (package - baseline, for analysis and
figures). Every output uses the one sign convention of :mod:`sim.analysis.compare` instead, through
:func:`signed_table`: ``comparison.csv`` has one row per package with ``package``, ``pairs``,
then for each outcome its levels ``STEM_baseline`` and ``STEM_package`` (means over pairs) and
its signed mean difference with a 95% interval, ``DIFF``, ``DIFF_ci_low``, ``DIFF_ci_high``,
where ``DIFF`` is ``STEM_averted`` (baseline - package; e.g. ``lonely_person_years_averted``,
``final_any_loneliness_share_averted``) or ``added_STEM`` for costs (package - baseline;
``added_cost_total_yen``), and last ``cost_per_lonely_person_year_averted_yen`` with its
bootstrap interval and ``_status`` (``determined``, or ``not_determined`` with empty values
when the interval of the person-years averted includes zero; :func:`sim.analysis.compare.quantity`
names every outcome). ``robustness.csv``:
``package``, ``share_best``, ``mean_regret``, ``max_regret`` (person-years averted short of the
best option in a world), ``eligible_share``, ``worlds``. Numbers are written with fixed decimals
by unit, never in scientific notation.

This module holds the paired statistics (:func:`comparison_table`, :func:`signed_table`,
:func:`robustness`, :func:`write_tables`); :mod:`experiments.compare_decision` the decision
under uncertainty (:func:`worlds`, :func:`world_effects`, :func:`prob_best`, :func:`ceac`,
:func:`decision_table`, :func:`write_decision`, the thresholds :data:`P_CLEAR`,
:data:`P_PROBABLE`, :data:`MIN_WORLDS`) and :mod:`experiments.compare_text` its wording
(:func:`headline`, :func:`uncertainty_line`, :func:`confidence_band`). Every name is
re-exported here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from experiments.compare_decision import DETERMINED, NOT_DETERMINED, worlds
from experiments.compare_decision import MIN_WORLDS as MIN_WORLDS
from experiments.compare_decision import P_CLEAR as P_CLEAR
from experiments.compare_decision import P_PROBABLE as P_PROBABLE
from experiments.compare_decision import QUANTILE as QUANTILE
from experiments.compare_decision import REFERENCE as REFERENCE
from experiments.compare_decision import ce_points as ce_points
from experiments.compare_decision import ceac as ceac
from experiments.compare_decision import cost_per_world as cost_per_world
from experiments.compare_decision import decision_table as decision_table
from experiments.compare_decision import default_wtp_max as default_wtp_max
from experiments.compare_decision import net_benefit_best as net_benefit_best
from experiments.compare_decision import prob_best as prob_best
from experiments.compare_decision import uncertainty_rows as uncertainty_rows
from experiments.compare_decision import world_effects as world_effects
from experiments.compare_decision import write_decision as write_decision
from experiments.compare_text import confidence_band as confidence_band
from experiments.compare_text import headline as headline
from experiments.compare_text import uncertainty_line as uncertainty_line
from sim.analysis.compare import DECIMALS, cost_per_name, quantity, signed

KEYS = ["sample", "replicate"]


def paired(df: pd.DataFrame, baseline: str, package: str, outcome: str) -> pd.DataFrame:
    """Pairs (sample, replicate) with both arms finished: columns base, arm, diff."""
    ok = df[df["error"] == ""]
    b = ok[ok["package"] == baseline].set_index(KEYS)[outcome]
    a = ok[ok["package"] == package].set_index(KEYS)[outcome]
    both = pd.concat({"base": b, "arm": a}, axis=1, join="inner").sort_index()
    both["diff"] = both["arm"] - both["base"]
    return both


def mean_interval(x: np.ndarray, conf: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-interval; an exactly constant sample has a zero-width interval."""
    x = np.asarray(x, float)
    n = x.size
    if n == 0:
        return (np.nan, np.nan, np.nan)
    m = float(x.mean())
    if n == 1:
        return (m, np.nan, np.nan)
    half = float(stats.t.ppf(0.5 + conf / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return (m, m - half, m + half)


def cost_per_averted(
    cost: np.ndarray, averted: np.ndarray, conf: float, resamples: int, seed: int
) -> tuple[float, float, float]:
    """Mean added cost / mean person-years averted, with a bootstrap interval over pairs.

    NaN when the package does not avert person-years on average (it is then dominated or
    only adds cost); bootstrap resamples with no averted person-years are dropped.
    """
    cost, averted = np.asarray(cost, float), np.asarray(averted, float)
    if cost.size == 0 or averted.mean() <= 0:
        return (np.nan, np.nan, np.nan)
    ratio = float(cost.mean() / averted.mean())
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, cost.size, (resamples, cost.size))
    c, a = cost[idx].mean(axis=1), averted[idx].mean(axis=1)
    r = c[a > 0] / a[a > 0]
    if r.size < 2:
        return (ratio, np.nan, np.nan)
    lo, hi = np.quantile(r, [0.5 - conf / 2, 0.5 + conf / 2])
    return (ratio, float(lo), float(hi))


def comparison_table(
    df: pd.DataFrame,
    baseline: str,
    packages: list[str],
    outcomes: list[str],
    *,
    target: str = "py_lonely",
    conf: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per package and outcome: baseline mean, package mean, paired difference and CI.

    Rows with outcome ``cost_per_py_averted`` give the cost-effectiveness (yen per person-year
    of ``target`` averted); it is NaN ("not determined") when the interval of the person-years
    averted includes zero.
    """
    rows = []
    for package in packages:
        for outcome in outcomes:
            p = paired(df, baseline, package, outcome)
            m, lo, hi = mean_interval(p["diff"].to_numpy(), conf)
            rows.append((package, outcome, len(p), p["base"].mean(), p["arm"].mean(), m, lo, hi))
        if "cost_total" in outcomes:
            c = paired(df, baseline, package, "cost_total")
            a = paired(df, baseline, package, target)
            both = pd.concat({"diff_cost": c["diff"], "diff_py": a["diff"]}, axis=1, join="inner")
            ratio = cost_per_averted(
                both["diff_cost"].to_numpy(), -both["diff_py"].to_numpy(), conf, resamples, seed
            )
            _, _, hi_d = mean_interval(both["diff_py"].to_numpy(), conf)
            if not hi_d < 0:  # the averted interval [-hi, -lo] includes zero: not determined
                ratio = (np.nan, np.nan, np.nan)
            rows.append((package, "cost_per_py_averted", len(both), np.nan, np.nan, *ratio))
    cols = ["package", "outcome", "pairs", "baseline", "package_mean", "difference",
            "ci_low", "ci_high"]  # fmt: skip
    table = pd.DataFrame(rows, columns=cols)
    table.attrs["target"] = target
    return table


def signed_table(table: pd.DataFrame, target: str | None = None) -> pd.DataFrame:
    """The raw comparison as written and shown: one row per package, signs in column names.

    Args:
        table: :func:`comparison_table` (package - baseline).
        target: the outcome of the cost per person-year averted (``table.attrs`` by default).

    Returns:
        The table of ``comparison.csv`` (columns in the module docstring), with the CSV
        decimals of each column in ``attrs["decimals"]``.
    """
    target = target or table.attrs.get("target", "py_lonely")
    rows, decimals = [], {}
    for package, t in table.groupby("package", sort=False):
        t = t.set_index("outcome")
        real = t.drop(index="cost_per_py_averted", errors="ignore")
        row: dict[str, object] = {"package": package, "pairs": int(real["pairs"].max())}
        for outcome, r in real.iterrows():
            stem, diff, unit = quantity(str(outcome))
            lo = signed(str(outcome), 0.0, r["ci_low"])
            hi = signed(str(outcome), 0.0, r["ci_high"])
            row |= {
                f"{stem}_baseline": r["baseline"],
                f"{stem}_package": r["package_mean"],
                diff: signed(str(outcome), 0.0, r["difference"]),
                f"{diff}_ci_low": min(lo, hi),
                f"{diff}_ci_high": max(lo, hi),
            }
            names = (f"{stem}_baseline", f"{stem}_package", diff, f"{diff}_ci_low",
                     f"{diff}_ci_high")  # fmt: skip
            decimals |= dict.fromkeys(names, DECIMALS.get(unit, 6))
        if "cost_per_py_averted" in t.index:
            r, per = t.loc["cost_per_py_averted"], cost_per_name(target)
            status = DETERMINED if np.isfinite(r["difference"]) else NOT_DETERMINED
            row |= {per: r["difference"], f"{per}_ci_low": r["ci_low"],
                    f"{per}_ci_high": r["ci_high"], f"{per}_status": status}  # fmt: skip
            decimals |= dict.fromkeys((per, f"{per}_ci_low", f"{per}_ci_high"), 0)
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["decimals"] = decimals
    return out


def robustness(
    df: pd.DataFrame, baseline: str, target: str = "py_lonely", budget: float | None = None
) -> pd.DataFrame:
    """Per option: share of worlds where it is best within budget, mean and max regret.

    Options are the packages and the baseline (doing nothing more). In each world, an option
    whose added cost exceeds ``budget`` is not eligible.
    """
    py = worlds(df, target)
    averted = -(py.sub(py[baseline], axis=0))
    if budget is not None and "cost_total" in df:
        cost = worlds(df, "cost_total")
        added = cost.sub(cost[baseline], axis=0)
        averted = averted.where(added <= budget)
    best = averted.max(axis=1)
    is_best = averted.eq(best, axis=0) & averted.notna()
    share = is_best.div(is_best.sum(axis=1), axis=0).mean()
    regret = averted.rsub(best, axis=0)
    out = pd.DataFrame({
        "share_best": share,
        "mean_regret": regret.mean(),
        "max_regret": regret.max(),
        "eligible_share": averted.notna().mean(),
        "worlds": len(averted),
    })  # fmt: skip
    out.index.name = "package"
    return out.reset_index().sort_values("share_best", ascending=False, kind="stable")


def write_tables(out: Path, table: pd.DataFrame, robust: pd.DataFrame) -> list[Path]:
    """Write ``comparison.csv`` (:func:`signed_table` of ``table``) and ``robustness.csv``.

    Written atomically, formulas escaped, fixed decimals (no scientific notation).
    """
    from sim.core.files import write_csv

    robust = robust.copy()
    robust.attrs["decimals"] = {"share_best": 4, "mean_regret": 1, "max_regret": 1,
                                "eligible_share": 4}  # fmt: skip
    paths = [out / "comparison.csv", out / "robustness.csv"]
    for path, df in zip(paths, (signed_table(table), robust), strict=True):
        write_csv(path, df)
    return paths
