"""Group sums of the recorder are exact for groups of any size (float64, not float32)."""

from __future__ import annotations

import numpy as np

from sim.config import compose_config
from sim.core.codes import AGE_GROUPS
from sim.engine.model import LonelinessModel
from sim.engine.recorder import MEASURES, _rows_of


def test_cross_group_rows_sum_exactly_past_float32():
    # float32 stops counting at 2**24: 2**24 + 1 + 1 + 1 would stay 2**24
    masks = np.array([[True, True, True, True], [False, True, False, True]])
    x = np.array([2.0**24, 1.0, 1.0, 1.0])
    rows = _rows_of(masks)
    np.testing.assert_array_equal(rows @ x, [2.0**24 + 3, 2.0])
    np.testing.assert_array_equal(np.diff(rows.indptr), [4, 2])


def test_recorded_shares_match_a_direct_count():
    cfg = compose_config(["region=tottori", "population.scale=0.01", "burn_in_weeks=2", "years=1"])
    m = LonelinessModel(cfg)
    for _ in range(3):
        m.step()
    rec = m.recorder
    assert rec.membership.dtype == np.float64
    rec.i = 0
    rec.record(m)
    adults = m.pop.age >= 16
    friends = m.friends.degree[adults].astype(np.float64)
    j = MEASURES.index("mean_friends")
    assert rec.values[0, j, 0] == friends.sum() / adults.sum()
    assert rec.n[0, 0] == adults.sum()
    women = adults & (m.pop.sex == 1)
    sex1 = 1 + len(AGE_GROUPS) + 1  # "all", the age groups, then sex "0", "1"
    assert rec.n[0, sex1] == women.sum()
