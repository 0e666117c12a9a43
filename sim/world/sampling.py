"""Sampling helpers of household synthesis: band profiles, weighted and quota picks, matching.

Every helper draws from the generator it is given, in a fixed order, so synthesis stays fully
determined by the seed.
"""

from __future__ import annotations

import numpy as np


def profile(age: np.ndarray, edges: tuple[int, ...], values, below: float = 0.0) -> np.ndarray:
    """Look up a per-band profile: ``values[b]`` for the band containing each age."""
    band = np.searchsorted(np.asarray(edges), age, side="right") - 1
    vals = np.asarray(values, dtype=np.float64)
    return np.where(band >= 0, vals[np.clip(band, 0, len(vals) - 1)], below)


def pick_weighted(candidates: np.ndarray, weights: np.ndarray, k: int, rng) -> np.ndarray:
    """Pick ``k`` candidates without replacement, with probability rising with weight.

    Uses exponential keys (Efraimidis-Spirakis); zero-weight candidates are never picked.
    """
    pos = weights > 0
    candidates, weights = candidates[pos], weights[pos]
    k = int(min(max(k, 0), len(candidates)))
    if k == 0:
        return candidates[:0]
    keys = rng.exponential(size=len(candidates)) / weights
    return candidates[np.argpartition(keys, k - 1)[:k]]


def pick_quota(candidates: np.ndarray, group: np.ndarray, quota: np.ndarray, rng) -> np.ndarray:
    """Pick ``quota[g]`` random candidates from each group ``g`` (fewer if the group is short)."""
    order = np.lexsort((rng.random(len(candidates)), group))
    g = group[order]
    starts = np.searchsorted(g, np.arange(len(quota)))
    rank = np.arange(len(g)) - starts[g]
    return candidates[order[rank < quota[g]]]


def match_nearest(target: np.ndarray, value: np.ndarray, tol: float, rng, rounds: int = 24):
    """Match each target to a distinct pool element of nearest value, within ``tol``.

    Args:
        target: wanted values (one per seeker).
        value: values of the pool.
        tol: largest accepted distance.
        rng: generator used for jitter and tie-breaking.
        rounds: conflict-resolution rounds; seekers still unmatched after them get -1.

    Returns:
        Index into the pool per seeker, or -1.
    """
    out = np.full(len(target), -1, dtype=np.int64)
    jt = target + rng.random(len(target)) - 0.5
    jv = value + rng.random(len(value)) - 0.5
    free = np.ones(len(value), dtype=bool)
    pending = np.arange(len(target))
    for _ in range(rounds):
        avail = np.flatnonzero(free)
        if pending.size == 0 or avail.size == 0:
            break
        order = avail[np.argsort(jv[avail])]
        sv = jv[order]
        pos = np.clip(np.searchsorted(sv, jt[pending]), 1, len(sv)) - 1
        right = np.minimum(pos + 1, len(sv) - 1)
        better = np.abs(sv[right] - jt[pending]) < np.abs(sv[pos] - jt[pending])
        cand = order[np.where(better, right, pos)]
        ok = np.abs(value[cand] - target[pending]) <= tol
        pending, cand = pending[ok], cand[ok]
        shuffle = rng.permutation(len(pending))
        _, first = np.unique(cand[shuffle], return_index=True)
        win = shuffle[first]
        out[pending[win]] = cand[win]
        free[cand[win]] = False
        lose = np.ones(len(pending), dtype=bool)
        lose[win] = False
        pending = pending[lose]
    return out


def nearest_with_replacement(target: np.ndarray, value: np.ndarray, rng) -> np.ndarray:
    """Index of a pool element of nearest (jittered) value per target; pool must be non-empty."""
    jv = value + rng.random(len(value)) - 0.5
    order = np.argsort(jv)
    sv = jv[order]
    jt = target + rng.random(len(target)) - 0.5
    pos = np.clip(np.searchsorted(sv, jt), 1, len(sv)) - 1
    right = np.minimum(pos + 1, len(sv) - 1)
    better = np.abs(sv[right] - jt) < np.abs(sv[pos] - jt)
    return order[np.where(better, right, pos)]
