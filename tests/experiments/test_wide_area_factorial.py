"""The wide-area factorial: Shapley parts, the inner cells' scenarios and the bounded gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.wide_area_factorial import (
    FACTORS,
    arm_name,
    cells,
    decompose,
    decomposition_text,
    factorial_scenarios,
    shapley,
)
from experiments.wide_area_tables import _interval
from sim.policy.levers.prefecture_support import PrefectureSupport
from sim.policy.levers.wide_area import WideArea
from sim.policy.scenario import load_scenario


def _additive(a, b, c, ab=0.0):
    return {code: a * code[0] + b * code[1] + c * code[2] + ab * code[0] * code[1]
            for code in cells()}  # fmt: skip


def test_shapley_parts_of_an_additive_design_are_its_main_effects():
    parts = shapley({k: np.array([v]) for k, v in _additive(-0.3, -0.1, -0.05).items()})
    np.testing.assert_allclose([parts[f][0] for f in FACTORS], [-0.3, -0.1, -0.05], atol=1e-12)


def test_shapley_shares_an_interaction_equally_and_adds_up_to_the_total():
    change = {k: np.array([v, 2 * v]) for k, v in _additive(-0.3, -0.1, 0.0, ab=-0.2).items()}
    parts = shapley(change)
    np.testing.assert_allclose(parts["cooperation"], [-0.4, -0.8])
    np.testing.assert_allclose(parts["staff"], [-0.2, -0.4])
    np.testing.assert_allclose(parts["training"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(sum(parts.values()), change[1, 1, 1])


def test_inner_cells_take_the_prefecture_arm_apart():
    pref = load_scenario("wide_area_prefecture")
    (sup,) = [lv for lv in pref.levers if isinstance(lv, PrefectureSupport)]
    inner = factorial_scenarios()
    assert sorted(inner) == sorted(arm_name(c) for c in cells() if 0 < sum(c) < 3)
    assert len(inner) == 6
    for name, sc in inner.items():
        coop, staff, training = (int(ch) for ch in name[-3:])
        assert any(isinstance(lv, WideArea) for lv in sc.levers) == bool(coop)
        support = [lv for lv in sc.levers if isinstance(lv, PrefectureSupport)]
        assert len(support) == (1 if staff or training else 0)
        if support:
            assert support[0].staff_per_100k == (sup.staff_per_100k if staff else 0.0)
            assert support[0].training_boost == (sup.training_boost if training else 0.0)


def _table(total_per_seed: np.ndarray) -> pd.DataFrame:
    """A per-run table where cooperation gives 60% and staff 40% of each seed's change."""
    rows = []
    for seed, total in enumerate(total_per_seed, start=1):
        for code in cells():
            value = 0.2 + total * (0.6 * code[0] + 0.4 * code[1])
            rows.append({"arm": arm_name(code), "seed": seed, "municipality": "all",
                         "lonely": value, "no_in_person_contact": 0.01})  # fmt: skip
    return pd.DataFrame(rows)


def test_decomposition_shares_add_to_one_and_are_not_determined_around_zero():
    rng = np.random.default_rng(3)
    clear = decompose(_table(-0.01 + 0.001 * rng.standard_normal(8)))
    lonely = clear[clear["measure"] == "lonely"].set_index("factor")
    np.testing.assert_allclose(lonely["share"].to_numpy(), [0.6, 0.4, 0.0], atol=1e-9)
    assert (lonely["share_lo95"] <= lonely["share"] + 1e-12).all()
    assert (lonely["share"] <= lonely["share_hi95"] + 1e-12).all()
    # the no-contact measure does not change at all: its total crosses zero, shares are NaN
    assert clear[clear["measure"] == "no_in_person_contact"]["share"].isna().all()
    noisy = decompose(_table(np.array([-0.01, 0.012, -0.008, 0.009])))
    assert noisy["share"].isna().all()
    text = "\n".join(decomposition_text(noisy, "en"))
    assert "not determined" in text
    assert "判定できない" in "\n".join(decomposition_text(noisy, "ja"))


@pytest.mark.parametrize("seeds", [2, 3, 10])
def test_gap_interval_stays_within_its_possible_range(seeds):
    gaps = np.r_[np.zeros(seeds - 1), 0.004]  # mostly zero: a t-interval would go below 0
    m, lo, hi = _interval(gaps, bootstrap=True)
    assert 0.0 <= lo <= m <= hi <= 0.004
