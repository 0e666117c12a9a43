"""Poisson draws from given uniforms: the counts of the whole-array CDF walk, Poisson moments."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.processes._shared import poisson_from_uniform


def _whole_array(u, lam, k_max=40):
    """The plain CDF inversion over every draw (the reference the compacted loop must match)."""
    lam = np.asarray(lam, np.float32)
    p = np.exp(-lam)
    cdf = p.copy()
    k = np.zeros(u.shape, np.int16)
    for i in range(1, k_max + 1):
        more = u > cdf
        if not more.any():
            break
        k += more
        p = p * lam / np.float32(i)
        cdf = cdf + p
    return k


@pytest.mark.parametrize("k_max", [1, 3, 40])
def test_same_counts_as_the_whole_array_walk(k_max):
    rng = np.random.default_rng(5)
    u = rng.random(20_000, dtype=np.float32)
    for lam in (rng.gamma(1.0, 2.0, u.size).astype(np.float32), np.float32(0.3),
                rng.gamma(1.0, 30.0, u.size).astype(np.float32)):  # fmt: skip
        got = poisson_from_uniform(u, lam, k_max)
        assert got.dtype == np.int16 and got.shape == u.shape
        np.testing.assert_array_equal(got, _whole_array(u, lam, k_max))
    assert poisson_from_uniform(np.zeros(0, np.float32), np.float32(1.0)).size == 0


@pytest.mark.parametrize("lam", [0.05, 0.7, 4.0])
def test_counts_have_poisson_mean_and_variance(lam):
    u = np.random.default_rng(11).random(200_000, dtype=np.float32)
    k = poisson_from_uniform(u, np.float32(lam)).astype(float)
    se = np.sqrt(lam / u.size)
    assert abs(k.mean() - lam) < 5 * se
    assert abs(k.var() / lam - 1) < 0.03
