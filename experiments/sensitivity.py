"""Global sensitivity analysis with SALib: Morris screening and Sobol indices with intervals.

Both methods have SALib's one function shape: :func:`sample` ``(method, problem, size, ...,
seed)`` and :func:`analyze` ``(method, problem, X, Y, ..., seed)``. The problem is built from the
varied :class:`~experiments.design.Parameter` list, which normally ends with ``DUMMY``: the
model never reads it, so its indices show how large an index can be by chance alone.

The convergence check repeats the analysis on the first half of the design (whole Morris
trajectories; whole Saltelli blocks, so the half is a valid design of size N/2) and reports the
largest change of the normalised indices (mu*/max mu* for Morris, ST for Sobol): below 0.1 the
ranking is taken as settled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.design import Parameter
from sim.params import ConfigError

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


def dummy_check(method: str, indices: pd.DataFrame) -> str:
    """One line on the DUMMY parameter's indices (they should be near zero)."""
    row = indices[indices["parameter"] == "DUMMY"]
    if row.empty:
        return "no DUMMY parameter"
    r = row.iloc[0]
    if method == "morris":
        top = indices["mu_star"].max()
        return f"DUMMY mu* = {r.mu_star:.3g} ({r.mu_star / top:.1%} of the largest mu*)"
    return f"DUMMY S1 = {r.S1:.3f} ± {r.S1_conf:.3f}, ST = {r.ST:.3f} ± {r.ST_conf:.3f}"


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami test function of the first three columns (any further columns are ignored)."""
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])
