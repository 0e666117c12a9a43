"""Known issues of population synthesis, kept as strict expected failures with their measurements.

Both were found by the demography tests; neither is a demography bug, and fixing either changes
the synthetic population (so every number) of some seeds or CPUs.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.core.codes import HouseholdType


@pytest.mark.xfail(
    strict=True,
    reason="sim/world/households.py _place_relatives: the surplus relatives form 'other' "
    "households of three (surplus[::3]); the last group can hold one resident, and _finish "
    "does not relabel a one-member household SINGLE (seeds 1, 3 and 8 at Tottori 0.03 each "
    "have one, aged 85-93)",
)
def test_synthesis_types_a_lone_relative_single():
    from sim.world.households import _Builder, _finish, _place_relatives

    age = np.array([50, 90, 88, 86, 84, 82, 80, 78])
    b = _Builder(age, np.zeros(age.size, np.int8), np.random.default_rng(0))
    b.new(np.array([0]), HouseholdType.OTHER)  # the only host: takes 3, 4 are left over
    _place_relatives(b, np.arange(1, age.size))
    draft = _finish(b)
    size = np.bincount(draft.household)
    assert (size == 1).any()
    assert (draft.kind[size == 1] == HouseholdType.SINGLE).all()


@pytest.mark.xfail(
    strict=True,
    reason="sim/world/sampling.py pick_weighted returns np.argpartition(keys, k - 1)[:k] in "
    "the partition's order, which NumPy's SIMD code makes CPU dependent: with "
    "NPY_DISABLE_CPU_FEATURES='X86_V3 X86_V4 AVX512_ICL' the Tottori 0.03 seed 42 population "
    "differs (14988 ages, 7270 sexes, 7023 vs 7033 households)",
)
def test_weighted_pick_order_does_not_depend_on_the_partition():
    from sim.world.sampling import pick_weighted

    cand = np.arange(5000)
    w = np.random.default_rng(3).random(cand.size)
    got = pick_weighted(cand, w, 1000, np.random.default_rng(7))
    keys = np.random.default_rng(7).exponential(size=cand.size) / w
    by_key = cand[np.argsort(keys, kind="stable")[:1000]]
    np.testing.assert_array_equal(np.sort(got), np.sort(by_key))  # the same residents
    # in an order of their own (by key, or by index), not the partition's
    assert np.array_equal(got, by_key) or np.array_equal(got, np.sort(got))
