"""The mechanism patterns the committed model claims to reproduce (slow: three model runs).

``docs/validation.md`` lists every pattern with its verdict; this test holds the model to the
mechanism patterns it reproduces, with margins for seed noise at this scale (Japan at scale
0.0005, about 63,000 residents), so that a change which breaks one of them fails here. Patterns
the model still misses are reported in the docs, not asserted.
"""

from __future__ import annotations

import pytest

from calibration.validate import run_validation


@pytest.fixture(scope="module")
def table():
    t = run_validation(["population.scale=0.0005"], years=5, log=lambda _: None)
    return t.set_index("pattern")["model"]


@pytest.mark.slow
def test_contact_protects_and_withdrawal_reinforces(table):
    # switching withdrawal off lowers often/always (measured about -2 points)
    assert table["withdrawal_off_effect"] < -0.5
    # lonely residents have fewer friends, and each extra friend goes with less loneliness
    assert table["lonely_degree_ratio"] < 0.95
    assert table["loneliness_per_extra_friend"] < -0.02


@pytest.mark.slow
def test_isolation_goes_with_loneliness(table):
    # about 0.1-0.15 at this scale: clearly positive, far from the 0.01 of the old dynamics
    assert table["isolation_loneliness_corr"] > 0.07


@pytest.mark.slow
def test_the_baseline_network_is_stationary(table):
    # homeostatic formation keeps mean friends within 2% over the run
    assert abs(table["friends_drift_10y"]) < 0.02
