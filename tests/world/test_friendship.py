import numpy as np

from sim.world.friendship import FriendshipNetwork


def make(n=6):
    edges = np.array([[0, 1], [1, 2], [3, 4]], dtype=np.int32)
    return FriendshipNetwork(n, edges, np.array([0.5, 0.2, 0.9], dtype=np.float32))


def test_degree_and_per_resident_sums():
    f = make()
    assert f.degree.tolist() == [1, 2, 1, 1, 1, 0]
    assert f.per_resident(np.ones(3)).tolist() == [1, 2, 1, 1, 1, 0]


def test_add_skips_duplicates_self_loops_and_invalid():
    f = make()
    added = f.add(
        np.array([1, 2, 5, 5, 4, -1], np.int32), np.array([0, 2, 0, 0, 3, 2], np.int32), 0.3
    )
    assert added == 1  # only (0, 5); (1,0) exists, (2,2) self, (5,0) twice, (4,3) exists
    assert f.n_edges == 4
    assert f.degree[5] == 1 and f.degree[0] == 2
    # the unsorted tail is checked too
    assert f.add(np.array([0], np.int32), np.array([5], np.int32), 0.3) == 0


def test_strength_grows_with_contact_and_decays_faster_when_lonely():
    f = make()
    met = np.array([True, False, False])
    lonely_ends = np.array([0, 0, 1], np.int8)
    f.update_strength(met, lonely_ends, gain=0.1, decay=0.1, lonely_factor=1.0)
    assert np.allclose(f.strength, [0.6, 0.2 * 0.9, 0.9 * 0.8])


def test_compact_drops_weak_ties_and_keeps_degrees_consistent():
    f = make()
    f.add(np.array([0], np.int32), np.array([5], np.int32), 0.01)
    removed = f.compact(0.05)
    assert removed == 1
    assert f.n_edges == 3
    assert np.array_equal(f.degree, np.bincount(np.r_[f.src, f.dst], minlength=6))
    assert np.all(np.diff(f.key) > 0)


def test_lonely_met_counts_only_lonely_partners_met():
    f = make()
    met = np.array([True, True, False])
    lonely = np.array([False, True, False, False, True, False])
    willing = np.full(6, 0.5, np.float32)
    u = np.where(met, 0.0, 1.0).astype(np.float32)
    met2, ends, met_n, k = f.meet(willing, lonely, 1.0, u)
    assert met2.tolist() == met.tolist()
    assert ends.tolist() == [1, 1, 1]
    assert met_n.tolist() == [1, 2, 1, 0, 0, 0]
    assert k.tolist() == [1, 0, 1, 0, 0, 0]


def test_meeting_probability_follows_willingness():
    n = 4
    edges = np.array([[0, 1], [2, 3]], dtype=np.int32)
    f = FriendshipNetwork(n, edges, np.ones(2, np.float32))
    willing = np.array([1.0, 1.0, 0.2, 0.5], np.float32)
    u = np.random.default_rng(0).random((20000, 2), dtype=np.float32)
    rates = np.mean([f.meet(willing, np.zeros(n, bool), 0.8, row)[0] for row in u], axis=0)
    assert abs(rates[0] - 0.8) < 0.015
    assert abs(rates[1] - 0.8 * 0.1) < 0.01


def test_meeting_probability_rises_with_tie_strength():
    """friend_meet * s**k: with k = 1.5 a tie of strength 0.25 meets an eighth as often."""
    n = 4
    edges = np.array([[0, 1], [2, 3]], dtype=np.int32)
    f = FriendshipNetwork(n, edges, np.array([1.0, 0.25], np.float32))
    willing = np.ones(n, np.float32)
    u = np.random.default_rng(1).random((20000, 2), dtype=np.float32)
    met = [f.meet(willing, np.zeros(n, bool), 0.6, row, strength_exponent=1.5)[0] for row in u]
    rates = np.mean(met, axis=0)
    sd = np.sqrt(0.6 * 0.4 / u.shape[0])
    assert abs(rates[0] - 0.6) < 4 * sd
    assert abs(rates[1] - 0.6 * 0.25**1.5) < 4 * np.sqrt(0.075 / u.shape[0])
    # exponent 0 is the old rule: strength does not matter
    flat = np.mean([f.meet(willing, np.zeros(n, bool), 0.6, row)[0] for row in u[:5000]], axis=0)
    assert abs(flat[1] - 0.6) < 4 * np.sqrt(0.24 / 5000)
