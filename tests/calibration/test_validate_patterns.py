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
    # switching withdrawal off lowers often/always (measured -1.7 points)
    assert table["withdrawal_off_effect"] < -0.5
    # lonely residents have fewer friends (measured ratio 0.90), and each extra friend goes with
    # less loneliness (measured -9% per friend)
    assert table["lonely_degree_ratio"] < 0.97
    assert table["loneliness_per_extra_friend"] < -0.02


@pytest.mark.slow
def test_isolation_goes_with_loneliness(table):
    # measured 0.086 at this scale (0.065 at 0.001): positive, far from the 0.01 of the old
    # dynamics, though below the literature's 0.15-0.35 (a miss reported in docs/validation.md)
    assert table["isolation_loneliness_corr"] > 0.04


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="known miss (docs/validation.md): with meetings rising with tie strength, mean "
    "friends drift -2.8% over five years at 0.0005 (-0.8% before; -5.1% over ten at 0.001)",
)
def test_the_baseline_network_is_stationary(table):
    # homeostatic formation should keep mean friends within 2% over five years
    assert abs(table["friends_drift_10y"]) < 0.02
