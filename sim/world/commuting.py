"""Commuting between municipalities: a doubly-constrained gravity model.

Origins are each municipality's employed residents. Destinations are the same counts shifted by
the municipality's day/night population ratio where it is known (昼夜間人口比率, so that a
municipality with a ratio above 100 draws commuters in), and equal to origins otherwise. Flows
decay exponentially with the distance between municipal centres. A single factor on the diagonal
(working in one's own municipality) is found by bisection so that the region-wide share of
commuters leaving their municipality equals the declared national figure (40.2% in 2015).

A region spanning several prefectures gets one model per commuting block: with
``layers.commuting_areas=metro`` (default) a block is a commuting area of
``sim/data/commuting_areas.csv`` (首都圏, 中京圏, 関西圏 span several prefectures, so commuting
crosses prefecture lines inside them), with ``prefecture`` a block is a prefecture. No commuter
crosses a block border. In a block of several prefectures, a municipality whose day/night ratio
is unknown takes its prefecture's (2015 census), so that commuting flows into 東京, 大阪 and
愛知 on balance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _furness(f: np.ndarray, origins: np.ndarray, dests: np.ndarray, iters: int = 60) -> np.ndarray:
    """Balance a deterrence matrix to the origin and destination totals (iterative fitting)."""
    a = np.ones(f.shape[0])
    b = np.ones(f.shape[1])
    for _ in range(iters):
        a = origins / np.maximum(f @ b, 1e-300)
        b = dests / np.maximum(f.T @ a, 1e-300)
    return f * a[:, None] * b[None, :]


def commuting_flows(
    region, outside_share: float, distance_km: float, areas: str = "metro"
) -> np.ndarray:
    """Expected commuter flows; for a multi-prefecture region, one block per commuting block.

    Args:
        region: the region (its ``prefecture_code`` column, if any, defines the blocks).
        outside_share: target share of commuters working outside their own municipality, met
            inside each block.
        distance_km: distance-decay scale of the gravity model.
        areas: "metro" (one block per commuting area) or "prefecture" (one per prefecture).

    Raises:
        ConfigError: naming ``layers.commuting_areas`` for an unknown ``areas``.
    """
    mun = region.municipalities
    blocks = _blocks(mun, areas)
    if blocks is None or blocks.nunique() < 2:
        return _flows(mun, outside_share, distance_km)
    m = len(mun)
    flows = np.zeros((m, m))
    for _, idx in blocks.groupby(blocks).indices.items():
        sub = mun.iloc[idx].reset_index(drop=True)
        if sub["prefecture_code"].nunique() > 1:
            sub = _with_prefecture_ratios(sub)
        flows[np.ix_(idx, idx)] = _flows(sub, outside_share, distance_km)
    return flows


def _with_prefecture_ratios(sub):
    """Fill unknown day/night ratios of a multi-prefecture block with the prefecture's (2015).

    Without them the destinations equal the origins and a symmetric gravity model sends as many
    commuters from 東京 to 埼玉 as from 埼玉 to 東京; a block of one prefecture is left as is.
    """
    from sim.world.partitions import commuting_areas

    table = commuting_areas().set_index("prefecture_code")["day_night_ratio_2015"]
    sub = sub.copy()
    known = sub["day_night_ratio"] if "day_night_ratio" in sub else np.nan
    sub["day_night_ratio"] = pd.Series(known, index=sub.index).fillna(
        sub["prefecture_code"].map(table)
    )
    return sub


def _blocks(mun, areas: str):
    """The commuting block of each municipality (None for a region without prefecture codes)."""
    from sim.world.partitions import area_of

    area_of([], areas)  # checks the value even for a one-prefecture region
    if "prefecture_code" not in mun:
        return None
    return pd.Series(area_of(mun["prefecture_code"], areas), index=mun.index)


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


def commuting_matrix(
    region, outside_share: float, distance_km: float, areas: str = "metro"
) -> np.ndarray:
    """Row-stochastic destination probabilities for a commuter living in each municipality."""
    flows = commuting_flows(region, outside_share, distance_km, areas)
    return flows / flows.sum(axis=1, keepdims=True)
