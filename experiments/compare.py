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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

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


def worlds(df: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Outcome by world (rows) and package (columns): sample means, or replicates if 1 sample."""
    ok = df[df["error"] == ""]
    key = "sample" if ok["sample"].nunique() > 1 else "replicate"
    return ok.pivot_table(index=key, columns="package", values=outcome, aggfunc="mean")


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


def confidence_band(p: float) -> str:
    """``clear`` (P(best) >= :data:`P_CLEAR`), ``probable`` (>= :data:`P_PROBABLE`) or ``none``."""
    if p >= P_CLEAR:
        return "clear"
    if p >= P_PROBABLE:
        return "probable"
    return "none"


def headline(
    p_best: pd.Series,
    baseline: str,
    titles: dict[str, str] | None = None,
    lang: str = "ja",
    worlds: int | None = None,
) -> str:
    """The headline sentence of a comparison, worded by the probability that an option is best.

    The option with the highest P(best) is called clearly best at :data:`P_CLEAR` or more,
    probably best from :data:`P_PROBABLE`; below, the options are said to be not
    distinguishable and every option's share is given (never "the model favours"). With fewer
    than :data:`MIN_WORLDS` worlds (``worlds``, when known) no option is called best: the
    shares are given with the advice to sample more.
    """
    titles = titles or {}
    ja = lang == "ja"
    p = p_best.sort_values(ascending=False, kind="stable")
    top, share = str(p.index[0]), float(p.iloc[0])
    if worlds is not None and worlds < MIN_WORLDS:
        shares = [f"{_option(str(o), baseline, titles, ja)} {100 * float(v):.0f}%"
                  for o, v in p.items() if v > 0]  # fmt: skip
        if ja:
            return (
                f"世界が{worlds}通りしかないため、どの案が最善かは判断できません（最善となった"
                f"割合：{'、'.join(shares)}。{MIN_WORLDS}通り以上、例えば seeds={MIN_WORLDS}で"
                "比べてください）。"
            )
        return (
            f"With only {worlds} sampled worlds no option can be called best (share of worlds "
            f"best: {', '.join(shares)}; compare over {MIN_WORLDS} or more, e.g. "
            f"seeds={MIN_WORLDS})."
        )

    def name(o: str) -> str:
        return _option(o, baseline, titles, ja)

    pct = f"{100 * share:.0f}%"
    band = confidence_band(share)
    if band == "clear":
        return (
            f"{name(top)}がはっきり最善です：不確かさの{pct}の世界で孤独の延べ人年を最も多く"
            "減らします。"
            if ja
            else f"{name(top)} is clearly best: it averts the most person-years of loneliness "
            f"in {pct} of the sampled worlds."
        )
    if band == "probable":
        return (
            f"{name(top)}がおそらく最善です（{pct}の世界で最も多く減らす）。ただし確実とは"
            "いえません。"
            if ja
            else f"{name(top)} is probably best (it averts the most in {pct} of the sampled "
            "worlds), but this is not certain."
        )
    shares = [f"{name(str(o))} {100 * float(v):.0f}%" for o, v in p.items() if v > 0]
    if ja:
        return (
            "どの案が最善かは区別できません（最善となる確率："
            + "、".join(shares)
            + f"。はっきり最善と言うには{100 * P_CLEAR:.0f}%以上が必要）。"
        )
    return (
        "The packages are not distinguishable: no option is best in most worlds "
        f"(probability best: {', '.join(shares)}; 'clearly best' needs {100 * P_CLEAR:.0f}%)."
    )


def _option(o: str, baseline: str, titles: dict[str, str], ja: bool) -> str:
    if o == baseline:
        return "追加の施策なし（基準）" if ja else "no added package (the baseline)"
    t = titles.get(o, o)
    return f"「{t}」" if ja else f"“{t}”"


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


def uncertainty_line(info: dict, lang: str = "ja") -> str:
    """One sentence saying which uncertainty the intervals include."""
    joint = info.get("mode") == "joint"
    draws = int(info.get("draws", 0))
    n_eff = len(info.get("effects", []))
    worlds = info.get("worlds", "?")
    if lang == "ja":
        post = (
            f"較正の事後分布（{draws}通りの抽出）"
            if joint and draws
            else "較正の点推定のみ（事後分布の抽出なし）"
        )
        eff = "施策効果は既定値"
        if joint and n_eff:
            eff = f"施策効果の事前分布（{n_eff}個のパラメータ）"
        return f"区間が含む不確かさ：乱数の種、{post}、{eff}（{worlds}通りの世界）。"
    post = (
        f"the calibrated posterior ({draws} draws)"
        if joint and draws
        else "the calibrated point only (no posterior draws)"
    )
    eff = f"the effect priors ({n_eff} parameters)" if joint and n_eff else "effects at defaults"
    return f"Intervals include: seeds, {post}, {eff} ({worlds} worlds)."


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
