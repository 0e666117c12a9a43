"""Direct tests of calibration/network.py on a hand-made friendship graph.

The graph (resident 8 is a child, so neither surveyed nor counted as lonely)::

    5 - 0 - 1 - 2 - 3 - 4        6 (isolate)        7 - 8 (child)

Lonely labels: 0, 1, 4, 6 and the child 8. Among the 8 surveyed residents (0-7) the lonely are
{0, 1, 4, 6}: prevalence 1/2.

Residents with a lonely friend at exactly distance d, and how many of them are lonely:

* d = 1: {0 (via 1), 1 (via 0), 2 (via 1), 3 (via 4), 5 (via 0)}; lonely 0, 1: p = 2/5
  (7's only friend is the child, whose label does not count);
* d = 2: {2 (0, 4), 3 (1), 5 (1)}; none lonely: p = 0;
* d = 3: {1 (4), 3 (0), 4 (1)}; lonely 1, 4: p = 2/3.

Degrees: lonely 2, 2, 1, 0 (mean 5/4, one isolate of four); not lonely 2, 2, 1, 1 (mean 3/2).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from calibration.network import network_stats
from sim.world.friendship import FriendshipNetwork

EDGES = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [7, 8]])
AGES = np.array([30, 40, 50, 60, 70, 80, 20, 45, 10])
LONELY = np.array([1, 1, 0, 0, 1, 0, 1, 0, 1], dtype=bool)
#: a shuffle seed whose null has a lonely resident among the egos at every distance (with most
#: seeds some distance has none, and network_stats then divides by zero)
SEED = 1


def _model() -> SimpleNamespace:
    """The smallest stand-in for a surveyed model: its friendship network and ages."""
    friends = FriendshipNetwork(AGES.size, EDGES, np.ones(len(EDGES)))
    return SimpleNamespace(friends=friends, pop=SimpleNamespace(n=AGES.size, age=AGES))


@pytest.fixture(scope="module")
def stats() -> dict:
    """Network statistics of the hand-made graph."""
    return network_stats(_model(), LONELY, seed=SEED)


def test_prevalence_counts_only_surveyed_residents(stats: dict) -> None:
    assert stats["n_surveyed"] == 8
    assert stats["prevalence"] == pytest.approx(1 / 2)


@pytest.mark.parametrize(
    ("d", "egos", "p"),
    [(1, 5, 2 / 5), (2, 3, 0.0), (3, 3, 2 / 3)],
)
def test_excess_by_distance_equals_hand_count(stats: dict, d: int, egos: int, p: float) -> None:
    assert stats[f"n_egos_{d}"] == egos
    assert stats[f"p_lonely_given_{d}"] == pytest.approx(p)
    assert stats[f"excess_{d}"] == pytest.approx(p / (1 / 2) - 1)


def test_excess_values(stats: dict) -> None:
    """The same excesses written out: -1/5, -1 and +1/3."""
    assert [stats[f"excess_{d}"] for d in (1, 2, 3)] == pytest.approx([-0.2, -1.0, 1 / 3])


def test_net_excess_divides_by_the_shuffled_null(stats: dict) -> None:
    for d in (1, 2, 3):
        null = stats[f"null_excess_{d}"]
        assert -1 <= null <= 1  # p_null in [0, 1] and prevalence 1/2
        expected = (1 + stats[f"excess_{d}"]) / (1 + null) - 1
        assert stats[f"net_excess_{d}"] == pytest.approx(expected)


def test_degrees_by_loneliness(stats: dict) -> None:
    assert stats["mean_degree_lonely"] == pytest.approx(5 / 4)
    assert stats["mean_degree_not_lonely"] == pytest.approx(3 / 2)
    ratio = stats["mean_degree_lonely"] / stats["mean_degree_not_lonely"]
    assert ratio == pytest.approx(5 / 6)
    assert stats["share_isolates_lonely"] == pytest.approx(1 / 4)
    assert stats["share_isolates_not_lonely"] == 0.0


def test_null_is_reproducible_by_seed() -> None:
    a = network_stats(_model(), LONELY, seed=SEED)
    b = network_stats(_model(), LONELY, seed=SEED)
    assert a == pytest.approx(b, nan_ok=True)


def test_max_distance_limits_the_keys() -> None:
    out = network_stats(_model(), LONELY, seed=SEED, max_d=2)
    assert "excess_2" in out and "excess_3" not in out
    assert out["excess_1"] == pytest.approx(-0.2)
