"""Helpers shared by the core processes."""

from __future__ import annotations

import numpy as np

N_BANDS = 9
#: cells of age band x sex (``band * 2 + sex``)
N_CELLS = 2 * N_BANDS


def balance(forward: np.ndarray, share_from: np.ndarray, share_to: np.ndarray) -> np.ndarray:
    """Reverse hazard that keeps the shares of two states stationary in each age band."""
    return np.where(share_to > 0, forward * share_from / np.maximum(share_to, 1e-9), 0.0).astype(
        np.float32
    )


def band_share(
    band: np.ndarray, mask: np.ndarray, within: np.ndarray, n: int = N_BANDS
) -> np.ndarray:
    """Share of ``mask`` among ``within`` residents of each age band (or of ``n`` cells)."""
    num = np.bincount(band[mask & within], minlength=n)
    den = np.bincount(band[within], minlength=n)
    return np.where(den > 0, num / np.maximum(den, 1), 0.0)


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray, k_max: int = 40) -> np.ndarray:
    """Poisson draws by inverting the CDF at given uniforms (one uniform per draw).

    Unlike ``Generator.poisson``, which consumes a variable number of random numbers, this keeps
    every draw tied to its own uniform, so the streams stay paired across runs whose rates
    differ (common random numbers). Counts are capped at ``k_max``.
    """
    shape = np.shape(u)
    u = np.ravel(u)
    lam = np.broadcast_to(np.asarray(lam, np.float32), shape).ravel()
    k = np.zeros(u.size, np.int16)
    # only the draws still above the CDF are carried to the next term (most stop at 0 or 1),
    # with the same float32 operations per draw as a whole-array loop, so the counts are the same
    p = np.exp(-lam)
    idx = np.flatnonzero(u > p)
    u, lam, p = u[idx], lam[idx], p[idx]
    cdf = p.copy()
    for i in range(1, k_max + 1):
        if idx.size == 0:
            break
        k[idx] += 1
        p = p * lam / np.float32(i)
        cdf = cdf + p
        more = u > cdf
        idx, u, lam, p, cdf = idx[more], u[more], lam[more], p[more], cdf[more]
    return k.reshape(shape)
