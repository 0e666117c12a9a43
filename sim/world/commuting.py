"""Commuting between municipalities: a doubly-constrained gravity model.

Origins are each municipality's employed residents. Destinations are the same counts shifted by
the municipality's day/night population ratio where it is known (昼夜間人口比率, so that a
municipality with a ratio above 100 draws commuters in), and equal to origins otherwise. Flows
decay exponentially with the distance between municipal centres. A single factor on the diagonal
(working in one's own municipality) is found by bisection so that the region-wide share of
commuters leaving their municipality equals the declared national figure (40.2% in 2015).
"""

from __future__ import annotations

import numpy as np


def _furness(f: np.ndarray, origins: np.ndarray, dests: np.ndarray, iters: int = 60) -> np.ndarray:
    """Balance a deterrence matrix to the origin and destination totals (iterative fitting)."""
    a = np.ones(f.shape[0])
    b = np.ones(f.shape[1])
    for _ in range(iters):
        a = origins / np.maximum(f @ b, 1e-300)
        b = dests / np.maximum(f.T @ a, 1e-300)
    return f * a[:, None] * b[None, :]


def commuting_flows(region, outside_share: float, distance_km: float) -> np.ndarray:
    """Expected commuter flows; for a multi-prefecture region, one block per prefecture."""
    mun = region.municipalities
    if "prefecture_code" not in mun or mun["prefecture_code"].nunique() < 2:
        return _flows(mun, outside_share, distance_km)
    m = len(mun)
    flows = np.zeros((m, m))
    for _, idx in mun.groupby("prefecture_code").indices.items():
        sub = mun.iloc[idx].reset_index(drop=True)
        flows[np.ix_(idx, idx)] = _flows(sub, outside_share, distance_km)
    return flows


def _flows(mun, outside_share: float, distance_km: float) -> np.ndarray:
    """Expected commuter flows (M x M, persons) from home municipality (row) to destination.

    Args:
        mun: the municipality table of a region (one prefecture).
        outside_share: target share of commuters working outside their own municipality.
        distance_km: distance-decay scale of the gravity model.

    Returns:
        Flow matrix whose row sums are the employed residents of each municipality.
    """
    origins = np.maximum(mun["employed"].to_numpy(float), 1.0)
    m = origins.size
    if m == 1:
        return origins.reshape(1, 1)
    ratio = (
        mun["day_night_ratio"].to_numpy(float) if "day_night_ratio" in mun else np.full(m, np.nan)
    )
    net_in = np.where(
        np.isfinite(ratio), (ratio / 100.0 - 1.0) * mun["pop_total"].to_numpy(float), 0
    )
    dests = np.maximum(origins + net_in, 0.05 * origins)
    dests *= origins.sum() / dests.sum()
    xy = mun[["x_km", "y_km"]].to_numpy(float)
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    f = np.exp(-dist / distance_km)

    def outside(kappa: float) -> tuple[float, np.ndarray]:
        g = f.copy()
        np.fill_diagonal(g, kappa)
        t = _furness(g, origins, dests)
        return 1.0 - np.trace(t) / t.sum(), t

    lo, hi = 1e-3, 1e6
    flows = outside(1.0)[1]
    for _ in range(60):
        mid = np.sqrt(lo * hi)
        share, flows = outside(mid)
        if share > outside_share:
            lo = mid
        else:
            hi = mid
    return flows


def commuting_matrix(region, outside_share: float, distance_km: float) -> np.ndarray:
    """Row-stochastic destination probabilities for a commuter living in each municipality."""
    flows = commuting_flows(region, outside_share, distance_km)
    return flows / flows.sum(axis=1, keepdims=True)
