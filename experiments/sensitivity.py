"""Global sensitivity analysis with SALib: Morris screening and Sobol indices with intervals.

Both methods have SALib's one function shape: :func:`sample` ``(method, problem, size, ...,
seed)`` and :func:`analyze` ``(method, problem, X, Y, ..., seed)``. The problem is built from the
varied :class:`~experiments.design.Parameter` list, which normally ends with ``DUMMY``: the
model never reads it, so its indices show how large an index can be by chance alone.

The convergence check repeats the analysis on the first half of the design (whole Morris
trajectories; whole Saltelli blocks, so the half is a valid design of size N/2) and reports the
largest change of the normalised indices (mu*/max mu* for Morris, ST for Sobol): below 0.1 the
ranking is taken as settled. :func:`convergence_line` words the result, saying what is missing
instead of printing ``nan`` when the design is too small to check.

:func:`versus_dummy` ranks only the parameters distinguishable from ``DUMMY``: a parameter's
index minus its bootstrap half-width (mu*-mu*_conf for Morris, ST-ST_conf for Sobol) must lie
above the DUMMY's index plus its half-width (the two intervals do not overlap; without
intervals, the bare indices are compared).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.design import Parameter
from sim.core.params import ConfigError

CONVERGED = 0.1


def problem(params: list[Parameter]) -> dict:
    """SALib problem dict of the varied parameters."""
    return {
        "num_vars": len(params),
        "names": [p.name for p in params],
        "bounds": [[p.low, p.high if p.high > p.low else p.low + 1e-12] for p in params],
    }


def sample(
    method: str,
    prob: dict,
    size: int,
    *,
    num_levels: int = 4,
    second_order: bool = False,
    seed: int = 0,
) -> np.ndarray:
    """Sample the problem: ``size`` is r (Morris trajectories) or N (Sobol base samples).

    Raises:
        ConfigError: unknown method, or a problem with fewer than two parameters.
    """
    from SALib.sample import morris, sobol

    if prob["num_vars"] < 2:
        raise ConfigError("params: sensitivity analysis needs at least two parameters")
    if method == "morris":
        return morris.sample(prob, N=size, num_levels=num_levels, seed=seed)
    if method == "sobol":
        if size & (size - 1):
            raise ConfigError(f"n: Sobol sampling needs a power of 2, got {size}")
        return sobol.sample(prob, N=size, calc_second_order=second_order, seed=seed)
    raise ConfigError(f"method: unknown method '{method}' (choose from: morris, sobol)")


def analyze(
    method: str,
    prob: dict,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    num_levels: int = 4,
    second_order: bool = False,
    resamples: int = 1000,
    conf_level: float = 0.95,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Indices with bootstrap intervals, one row per parameter (and second order if asked)."""
    from SALib.analyze import morris, sobol

    names = prob["names"]
    if method == "morris":
        si = morris.analyze(prob, X, Y, num_resamples=resamples, conf_level=conf_level,
                            num_levels=num_levels, seed=seed)  # fmt: skip
        cols = ["mu_star", "mu_star_conf", "sigma", "mu"]
        return pd.DataFrame({"parameter": names, **{c: np.asarray(si[c]) for c in cols}}), None
    si = sobol.analyze(prob, Y, calc_second_order=second_order, num_resamples=resamples,
                       conf_level=conf_level, seed=seed)  # fmt: skip
    cols = ["S1", "S1_conf", "ST", "ST_conf"]
    first = pd.DataFrame({"parameter": names, **{c: np.asarray(si[c]) for c in cols}})
    if not second_order:
        return first, None
    i, j = np.triu_indices(len(names), 1)
    s2 = pd.DataFrame({
        "parameter_1": [names[a] for a in i], "parameter_2": [names[b] for b in j],
        "S2": si["S2"][i, j], "S2_conf": si["S2_conf"][i, j],
    })  # fmt: skip
    return first, s2


def normalised(method: str, indices: pd.DataFrame) -> np.ndarray:
    """mu*/max(mu*) for Morris, ST for Sobol (the numbers the convergence check compares)."""
    if method == "morris":
        mu = indices["mu_star"].to_numpy(float)
        return mu / mu.max() if mu.max() > 0 else mu
    return indices["ST"].to_numpy(float)


def half_design(method: str, prob: dict, X: np.ndarray, Y: np.ndarray, second_order: bool):
    """The first half of a Morris or Saltelli design (whole trajectories or blocks)."""
    k = prob["num_vars"]
    block = k + 1 if method == "morris" else (2 * k + 2 if second_order else k + 2)
    rows = (Y.size // block // 2) * block
    return X[:rows], Y[:rows]


def convergence(
    method: str, prob: dict, X: np.ndarray, Y: np.ndarray, full: pd.DataFrame, **kwargs
) -> dict:
    """Largest change of normalised indices between the half and the full design."""
    Xh, Yh = half_design(method, prob, X, Y, kwargs.get("second_order", False))
    if Yh.size < 2 * (prob["num_vars"] + 1):  # fewer than two trajectories or blocks
        return {"runs_half": int(Yh.size), "runs_full": int(Y.size), "max_change": np.nan,
                "converged": False}  # fmt: skip
    half, _ = analyze(method, prob, Xh, Yh, **kwargs)
    a, b = normalised(method, half), normalised(method, full)
    change = float(np.nanmax(np.abs(a - b))) if a.size else np.nan
    return {"runs_half": int(Yh.size), "runs_full": int(Y.size), "max_change": change,
            "converged": bool(change < CONVERGED)}  # fmt: skip


def versus_dummy(method: str, indices: pd.DataFrame) -> pd.DataFrame:
    """Each real parameter's index against the DUMMY's, largest first.

    Args:
        method: ``morris`` or ``sobol``.
        indices: :func:`analyze` output of one outcome (``parameter``, ``mu_star`` and
            ``mu_star_conf``, or ``ST`` and ``ST_conf``).

    Returns:
        ``parameter``, ``index`` (mu* or ST), ``low``, ``high`` (index -/+ its half-width, or
        the index when there is none) and ``above_dummy`` (True when ``low`` exceeds the
        DUMMY's ``high``; every parameter is above when there is no DUMMY row).
    """
    key = "mu_star" if method == "morris" else "ST"
    conf = f"{key}_conf"
    value = indices[key].to_numpy(float)
    half = indices[conf].to_numpy(float) if conf in indices else np.zeros(len(indices))
    half = np.where(np.isfinite(half), np.abs(half), 0.0)
    table = pd.DataFrame({"parameter": indices["parameter"].astype(str).to_numpy(),
                          "index": value, "low": value - half, "high": value + half})  # fmt: skip
    dummy = table[table["parameter"] == "DUMMY"]
    real = table[table["parameter"] != "DUMMY"].copy()
    ceiling = float(dummy["high"].max()) if len(dummy) else -np.inf
    real["above_dummy"] = real["low"] > ceiling
    return real.sort_values("index", ascending=False, kind="stable").reset_index(drop=True)


def convergence_line(conv: dict, lang: str = "en") -> str:
    """The convergence check in words; never ``nan``: a check that could not run says why.

    Args:
        conv: a :func:`convergence` result (``runs_half``, ``runs_full``, ``max_change``,
            ``converged``).
        lang: ``ja`` or ``en``.
    """
    change = conv.get("max_change")
    half, full = conv.get("runs_half"), conv.get("runs_full")
    ja = lang == "ja"
    if change is None or not np.isfinite(change):
        return (
            f"収束の確認：できません（半分の設計が{half}回で、軌道またはブロック2つ分に満たない）。"
            "r（Morris）または n（Sobol）を増やしてください"
            if ja
            else f"convergence: not checked (the half design of {half} runs holds fewer than "
            "two trajectories or blocks); increase r (Morris) or n (Sobol)"
        )
    ok = bool(conv.get("converged"))
    if ja:
        state = "安定" if ok else "未収束：r または n を増やしてください"
        return f"収束の確認：{half}回と{full}回の間の正規化指数の最大変化 {change:.3f}（{state}）"
    state = "converged" if ok else "NOT converged: increase r or n"
    return (
        f"convergence: largest change of normalised indices between {half} and {full} runs "
        f"= {change:.3f} ({state})"
    )


def dummy_check(method: str, indices: pd.DataFrame) -> str:
    """One line on the DUMMY parameter's indices (they should be near zero)."""
    row = indices[indices["parameter"] == "DUMMY"]
    if row.empty:
        return "no DUMMY parameter"
    r = row.iloc[0]
    if method == "morris":
        top = indices["mu_star"].max()
        if not top > 0:  # every mu* is 0 (or NaN): nothing to compare the DUMMY with
            return f"DUMMY mu* = {r.mu_star:.3g}; no parameter had an effect (every mu* is 0)"
        return f"DUMMY mu* = {r.mu_star:.3g} ({r.mu_star / top:.1%} of the largest mu*)"
    return f"DUMMY S1 = {r.S1:.3f} ± {r.S1_conf:.3f}, ST = {r.ST:.3f} ± {r.ST_conf:.3f}"


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami test function of the first three columns (any further columns are ignored)."""
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])
