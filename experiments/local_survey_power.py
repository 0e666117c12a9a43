"""Power of a municipality's survey, and the smallest change each indicator can show.

**Designs.** For a package against the baseline, both run on the same seeds (common random
numbers, so the difference is the package's effect in that world, not seed noise):

* ``two_arm``: one survey of ``n`` questionnaires in December of year ``t`` where the package runs
  and an independent one of the same size where it does not (a comparison municipality that is
  the package's twin, the best case for a comparison area);
* ``before_after``: the same municipality surveyed in December before the package (year
  ``before``, default 0: the December before the policies start) and again in year ``t``, with a
  fresh sample each time. ``before_after_baseline`` is the same pair of surveys in the world
  without the package: how often a before-after comparison 'finds' a change that the package did
  not cause (the model's own drift, e.g. ageing; about 5% when there is none).

A survey is simulated from the register's cell counts (age group x sex x answer), so thousands of
repeated samples cost little: the questionnaires are a multivariate hypergeometric draw (simple)
or a hypergeometric draw per stratum (stratified), the answers a binomial draw at each cell's
response rate, and the estimate and its variance the cell-weighted ones of
:mod:`experiments.local_survey_design`. A difference is detected when the two-sided z test of the
two estimates rejects at alpha = 0.05. Power is the share of (seed, sample) pairs that detect it.

:func:`analytic_power` is the textbook two-proportion power at the expected respondents and
:func:`power_figure` draws power against questionnaires. The KPI list with the minimum
detectable difference (80% power), :func:`mdd`, :func:`detectable_changes`, :func:`kpi_shares`,
:func:`detectable_text` and :func:`kpi_block`, is in :mod:`experiments.local_survey_kpi` and
re-exported here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from experiments.local_survey_design import N_CELLS, allocate
from experiments.local_survey_design import SETTINGS as SETTINGS
from experiments.local_survey_kpi import KPI_FROM_RECORDER as KPI_FROM_RECORDER
from experiments.local_survey_kpi import detectable_changes as detectable_changes
from experiments.local_survey_kpi import detectable_text as detectable_text
from experiments.local_survey_kpi import kpi_block as kpi_block
from experiments.local_survey_kpi import kpi_shares as kpi_shares
from experiments.local_survey_kpi import mdd as mdd
from experiments.local_survey_model import ITEM_CODES, ITEMS, Frame

Z_ALPHA = float(norm.ppf(0.975))
Z_POWER = float(norm.ppf(0.80))
DESIGNS = ("two_arm", "before_after", "before_after_baseline")


def cell_totals(frame: Frame, item: str) -> tuple[np.ndarray, np.ndarray]:
    """Residents and residents answering yes, per age x sex cell, for one item."""
    y = frame.answers[:, ITEM_CODES.index(item)]
    big_n = np.bincount(frame.cells, minlength=N_CELLS)
    yes = np.bincount(frame.cells, weights=y.astype(float), minlength=N_CELLS).astype(np.int64)
    return big_n, yes


def simulate_estimates(
    big_n: np.ndarray,
    yes: np.ndarray,
    n: int,
    design: str,
    rates: np.ndarray,
    reps: int,
    rng: np.random.Generator,
    weighting: str = "age_sex",
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimates, variances and respondents of ``reps`` repeated surveys of ``n`` questionnaires.

    Args:
        big_n: residents per cell (the frame).
        yes: residents answering yes per cell.
        n: questionnaires mailed.
        design: ``simple`` or ``stratified``.
        rates: response probability per cell.
        reps: repeated samples.
        rng: the generator.
        weighting: ``age_sex`` or ``none``.
        scale: population scale of the frame (weights and finite population correction use
            ``big_n / scale`` persons).
    """
    big_n = np.asarray(big_n, np.int64)
    yes = np.asarray(yes, np.int64)
    no = big_n - yes
    if design == "simple":
        colours = np.concatenate([yes, no])
        draws = rng.multivariate_hypergeometric(colours, n, size=reps)
        s1, s0 = draws[:, :N_CELLS], draws[:, N_CELLS:]
    else:
        alloc = allocate(big_n, n)
        s1 = rng.hypergeometric(
            yes, np.maximum(no, 0), np.minimum(alloc, big_n), size=(reps, N_CELLS)
        )
        s1 = np.where(big_n > 0, s1, 0)
        s0 = alloc[None, :] - s1
    r1 = rng.binomial(s1, rates[None, :])
    r0 = rng.binomial(s0, rates[None, :])
    r = r1 + r0
    persons = big_n / scale
    if weighting == "none":
        tot = r.sum(axis=1)
        p = r1.sum(axis=1) / np.maximum(tot, 1)
        f = tot / persons.sum()
        var = (1 - f) * p * (1 - p) / np.maximum(tot - 1, 1)
        return p, var, tot
    has = r > 0
    w = np.where(has, persons[None, :], 0.0)
    w = w / w.sum(axis=1, keepdims=True)
    ph = np.divide(r1, r, out=np.zeros(r.shape), where=has)
    p = (w * ph).sum(axis=1)
    f = r / persons[None, :].clip(1)
    vh = np.where(r > 1, (1 - f) * ph * (1 - ph) / np.maximum(r - 1, 1), 0.0)
    var = (w**2 * vh).sum(axis=1)
    return p, var, r.sum(axis=1)


def detect(p1, v1, p2, v2) -> np.ndarray:
    """Whether a two-sided z test at alpha 0.05 tells the two estimates apart."""
    se = np.sqrt(np.asarray(v1) + np.asarray(v2))
    z = np.divide(np.abs(np.asarray(p1) - np.asarray(p2)), se, out=np.zeros(se.shape), where=se > 0)
    return z > Z_ALPHA


def analytic_power(
    p1: float, p2: float, m1: float, m2: float | None = None, population: float | None = None
) -> float:
    """Two-sided two-proportion z-test power at alpha 0.05 with ``m1`` and ``m2`` respondents.

    With ``population`` (residents 16+) each variance has the finite population correction.
    """
    m2 = m1 if m2 is None else m2
    f1 = m1 / population if population else 0.0
    f2 = m2 / population if population else 0.0
    se = math.sqrt((1 - f1) * p1 * (1 - p1) / m1 + (1 - f2) * p2 * (1 - p2) / m2)
    if se == 0:
        return float(p1 != p2)
    d = abs(p1 - p2) / se
    return float(norm.cdf(d - Z_ALPHA) + norm.cdf(-d - Z_ALPHA))


def power_table(
    pairs: list[tuple[int, dict[str, Frame]]],
    sizes: list[int],
    items: tuple[str, ...],
    design: str,
    rates: np.ndarray,
    reps: int,
    rng_for,
    weighting: str = "age_sex",
) -> pd.DataFrame:
    """Power of each comparison at each number of questionnaires.

    Args:
        pairs: per model seed, frames ``{"base_after", "pkg_after", "base_before",
            "pkg_before"}``.
        sizes: questionnaires to try.
        items: survey items.
        design: ``simple`` or ``stratified`` sampling.
        rates: response probability per cell.
        reps: repeated samples per seed and size.
        rng_for: ``rng_for(seed, label)`` gives the generator of one (seed, label) of samples.
        weighting: ``age_sex`` or ``none``.
    """
    comparisons = {
        "two_arm": ("pkg_after", "base_after"),
        "before_after": ("pkg_after", "pkg_before"),
        "before_after_baseline": ("base_after", "base_before"),
    }
    rows = []
    for item in items:
        for n in sizes:
            for comp, (a, b) in comparisons.items():
                hits, diffs, resp, analytic = [], [], [], []
                for seed, frames in pairs:
                    fa, fb = frames[a], frames[b]
                    na, ya = cell_totals(fa, item)
                    nb, yb = cell_totals(fb, item)
                    label = f"{comp}:{item}:{n}"
                    g = rng_for(seed, label)
                    pa, va, ra = simulate_estimates(
                        na, ya, n, design, rates, reps, g, weighting, fa.scale
                    )
                    pb, vb, rb = simulate_estimates(
                        nb, yb, n, design, rates, reps, g, weighting, fb.scale
                    )
                    hits.append(detect(pa, va, pb, vb))
                    true_a, true_b = ya.sum() / na.sum(), yb.sum() / nb.sum()
                    diffs.append(true_a - true_b)
                    resp.append(np.concatenate([ra, rb]).mean())
                    analytic.append(
                        analytic_power(true_a, true_b, ra.mean(), rb.mean(), na.sum() / fa.scale)
                    )
                h = np.concatenate(hits)
                power = float(h.mean())
                rows.append(
                    {
                        "comparison": comp,
                        "item": item,
                        "questionnaires": int(n),
                        "respondents": float(np.mean(resp)),
                        "power": power,
                        "power_mc_se": math.sqrt(max(power * (1 - power), 1e-12) / h.size),
                        "analytic_power": float(np.mean(analytic)),
                        "difference_pp": 100 * float(np.mean(diffs)),
                        "difference_sd_pp": 100 * float(np.std(diffs, ddof=1))
                        if len(diffs) > 1
                        else np.nan,
                        "seeds": len(pairs),
                        "samples": int(h.size),
                    }
                )
    return pd.DataFrame(rows)


def n_for_power(table: pd.DataFrame, target: float = 0.8) -> pd.DataFrame:
    """Questionnaires needed for ``target`` power (linear between the sizes tried), per row group.

    Returns NaN (with ``reached`` False) where even the largest size stays below the target.
    """
    out = []
    for (comp, item), g in table.groupby(["comparison", "item"], sort=False):
        g = g.sort_values("questionnaires")
        n, p = g["questionnaires"].to_numpy(float), g["power"].to_numpy(float)
        need, reached = np.nan, False
        above = np.flatnonzero(p >= target)
        if above.size:
            i = above[0]
            reached = True
            if i == 0:
                need = n[0]
            else:
                t = (target - p[i - 1]) / max(p[i] - p[i - 1], 1e-12)
                need = n[i - 1] + t * (n[i] - n[i - 1])
        rate = float(g["respondents"].iloc[-1]) / max(float(n[-1]), 1.0)
        out.append(
            {
                "comparison": comp,
                "item": item,
                "questionnaires_for_80pct": need,
                "respondents_for_80pct": need * rate,
                "reached": reached,
                "largest_tried": int(n[-1]),
                "power_at_largest": float(p[-1]),
                "difference_pp": float(g["difference_pp"].iloc[-1]),
            }
        )
    return pd.DataFrame(out)


def power_figure(table: pd.DataFrame, lang: str = "ja"):
    """Power against questionnaires mailed, one panel per comparison, one line per item."""
    from matplotlib.figure import Figure

    from experiments.figures import PALETTE
    from sim.report.plots import use_japanese_font

    use_japanese_font()
    ja = lang == "ja"
    titles = {
        "two_arm": ("施策あり・なしの2地域を同年に調査", "package vs baseline, same year"),
        "before_after": ("同じ市町村の導入前後（施策あり）", "before-after, with the package"),
        "before_after_baseline": ("導入前後（施策なし：誤検出率）", "before-after, no package"),
    }
    comps = [c for c in DESIGNS if c in set(table["comparison"])]
    fig = Figure(figsize=(4.2 * len(comps), 3.8))
    axes = fig.subplots(1, len(comps), squeeze=False)[0]
    for ax, comp in zip(axes, comps, strict=True):
        t = table[table["comparison"] == comp]
        for i, (item, g) in enumerate(t.groupby("item", sort=False)):
            g = g.sort_values("questionnaires")
            label = ITEMS[item][0 if ja else 1]
            ax.plot(
                g["questionnaires"],
                g["power"],
                marker="o",
                ms=3,
                color=PALETTE[i % len(PALETTE)],
                label=f"{label} ({g['difference_pp'].iloc[-1]:+.2f} pt)",
            )
        ax.axhline(0.8, ls=":", color="grey")
        ax.axhline(0.05, ls="--", color="grey", lw=0.7)
        ax.set_xscale("log")
        ax.set_ylim(0, 1)
        ax.set_title(titles[comp][0 if ja else 1], fontsize=9)
        ax.set_xlabel("配布数（調査票）" if ja else "questionnaires mailed")
        ax.set_ylabel("検出力" if ja else "power")
        ax.legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    return fig
