"""Volunteer pool: volunteers and supporters follow residents aged 60-75 and the fill rate."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.policy.levers import Supporters, WelfareVolunteers
from sim.policy.scope import Scope
from sim.policy.volunteer_pool import (
    FILL_RATE_SERIES,
    PoolParams,
    VolunteerPool,
    decimal_year,
    fill_rate_at,
    pool_factor,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "demographic_change_inputs.csv"
START = "2026-04-01"


def _fake(demography: str | None, week: int = 0) -> SimpleNamespace:
    """Three municipalities of 1,000 residents aged 0-99 (10 of every age each)."""
    age = np.tile(np.repeat(np.arange(100, dtype=np.int16), 10), 3)
    muni = np.repeat(np.arange(3, dtype=np.int16), 1000)
    cfg = SimpleNamespace(start_date=START)
    if demography is not None:
        cfg.demography = demography
    return SimpleNamespace(pop=SimpleNamespace(age=age, municipality=muni), week=week, cfg=cfg)


def _remove_pool_share(m: SimpleNamespace, muni: int, share: float) -> None:
    """Mark ``share`` of the 60-75 residents of ``muni`` inactive (age -1)."""
    who = np.flatnonzero((m.pop.municipality == muni) & (m.pop.age >= 60) & (m.pop.age <= 75))
    m.pop.age[who[: round(share * who.size)]] = -1


def _scope(n: int = 3) -> Scope:
    pop = np.full(n, 10000.0)
    return Scope(
        n_mun=n, scale=1.0, muni_mask=np.ones((1, n), bool), zone_mask=[np.ones(n, bool)],
        sim_res=pop, real_pop=pop, households=pop / 2, is_city=np.ones(n, bool),
        names=np.array([f"m{k}" for k in range(n)]), dist_km=np.zeros((n, n)),
    )  # fmt: skip


@pytest.mark.parametrize("demography", [None, "static"])
def test_factor_is_one_with_static_demography(demography):
    m = _fake(demography, week=300)
    pool = VolunteerPool(m)
    _remove_pool_share(m, 0, 0.5)  # even a changed population is not looked at
    assert pool.start_counts is None
    np.testing.assert_array_equal(pool_factor(m), np.ones(3))
    np.testing.assert_array_equal(pool_factor(m, pool), np.ones(3))


def test_dynamic_needs_the_run_pool():
    with pytest.raises(ValueError, match="VolunteerPool"):
        pool_factor(_fake("dynamic"))


def test_losing_a_fifth_of_the_60_75_cuts_that_municipality_by_a_fifth_times_the_fill_ratio():
    m = _fake("dynamic", week=0)
    pool = VolunteerPool(m)
    np.testing.assert_array_equal(pool_factor(m, pool), np.ones(3))
    m.week = 104
    _remove_pool_share(m, 1, 0.2)
    fill = fill_rate_at(decimal_year(START, 104)) / fill_rate_at(decimal_year(START, 0))
    assert fill == pytest.approx(1 - 0.393 * 2 / fill_rate_at(2026.25), abs=1e-3)
    got = pool_factor(m, pool)
    np.testing.assert_allclose(got, [fill, 0.8 * fill, fill], rtol=1e-12)


def test_the_factor_is_recounted_only_every_refresh_weeks():
    m = _fake("dynamic", week=0)
    pool = VolunteerPool(m, PoolParams(refresh_weeks=4))
    m.week = 4
    first = pool.factor(m).copy()
    _remove_pool_share(m, 0, 0.5)
    m.week = 7  # within the refresh interval: the cached factor
    np.testing.assert_array_equal(pool.factor(m), first)
    m.week = 8
    assert pool.factor(m)[0] == pytest.approx(0.5 * first[0], rel=0.01)


def test_ageing_moves_residents_into_and_out_of_the_pool():
    m = _fake("dynamic", week=0)
    pool = VolunteerPool(m)
    m.pop.age[m.pop.age >= 0] += 5  # five years later: 55-59 join, 71-75 leave (same count)
    m.week = 5 * 52
    fill = fill_rate_at(decimal_year(START, 5 * 52)) / fill_rate_at(decimal_year(START, 0))
    np.testing.assert_allclose(pool.factor(m), fill)


def test_fill_rate_trend_reproduces_2025_and_follows_the_series():
    p = PoolParams()
    years, rates = np.array(FILL_RATE_SERIES, float).T
    assert abs(fill_rate_at(2025.0) - 91.7) < 0.5
    slope = np.polyfit(years, rates, 1)[0]
    assert p.fill_rate_trend == pytest.approx(slope, abs=0.01)
    assert abs(fill_rate_at(2010.0) - 97.7) < 0.5  # the line through 2025 also meets 2010
    assert fill_rate_at(2200.0) == p.fill_rate_floor  # floored, not negative


def test_the_series_matches_the_shared_file():
    if not SHARED.exists():
        pytest.skip("shared data folder not present")
    rows = pd.read_csv(SHARED)
    rows = rows[rows["item"] == "minseiiin_fill_rate"]
    got = [(int(y), float(v)) for y, v in zip(rows["year"], rows["value"], strict=True)]
    assert got == list(FILL_RATE_SERIES)


def test_levers_are_unchanged_without_a_pool_and_scale_with_it():
    scope, venues = _scope(), None
    wv = WelfareVolunteers(id="w")
    sup = Supporters(id="s", per_1000=3.0)
    factor = np.array([1.0, 0.8, 0.5])
    np.testing.assert_allclose(wv.volunteers(scope, 0, factor), wv.volunteers(scope, 0) * factor)
    np.testing.assert_array_equal(wv.volunteers(scope, 0, None), wv.volunteers(scope, 0))
    for lv in (wv, sup):
        by_mun = lv.weekly_cost_by_municipality(scope, 0, venues)
        scaled = lv.weekly_cost_by_municipality(scope, 0, venues, factor)
        np.testing.assert_allclose(scaled, by_mun * factor)
        assert lv.weekly_cost(scope, 0, venues, factor) == pytest.approx(scaled.sum())
        assert lv.weekly_cost(scope, 0, venues) == pytest.approx(by_mun.sum())
    p = SimpleNamespace(notice_supporter=0.01)
    boost = np.zeros(3, np.float32)
    hz = sup.notice_hazard(scope, 0, boost, p)
    hz_pool = sup.notice_hazard(scope, 0, boost, p, factor)
    assert hz_pool.dtype == hz.dtype == np.float32
    np.testing.assert_allclose(hz_pool, hz * factor, rtol=1e-6)


def test_visit_capacity_falls_in_proportion_in_a_small_real_model():
    """A real Tottori model (0.5% scale): 20% of one town's 60-75 gone -> its capacity -20%."""
    from sim.config import compose_config
    from sim.engine.model import LonelinessModel

    cfg = compose_config(["population.scale=0.005", "years=1", "burn_in_weeks=0"])
    real = LonelinessModel(cfg)
    rt = real.services.rt
    i = next(k for k, lv in enumerate(rt.levers) if isinstance(lv, WelfareVolunteers))
    lv = rt.levers[i]
    # a dynamic view of the same residents (the run itself stays static)
    view = SimpleNamespace(
        pop=SimpleNamespace(age=real.pop.age.copy(), municipality=real.pop.municipality),
        week=0, cfg=SimpleNamespace(start_date=cfg.start_date, demography="dynamic"),
        region=real.region,
    )  # fmt: skip
    pool = VolunteerPool(view)
    assert pool.n_mun == rt.n_mun
    np.testing.assert_array_equal(pool.factor(view), np.ones(rt.n_mun))
    town = int(np.argmax(pool.start_counts))
    _remove_pool_share(view, town, 0.2)
    view.week = 52
    factor = pool.factor(view)
    fill = fill_rate_at(decimal_year(cfg.start_date, 52)) / pool.start_fill
    removed = round(0.2 * pool.start_counts[town]) / pool.start_counts[town]
    assert factor[town] == pytest.approx((1 - removed) * fill)
    before = lv.volunteers(rt.scope, i) * lv.caseload * rt.scope.scale
    after = lv.volunteers(rt.scope, i, factor) * lv.caseload * rt.scope.scale
    np.testing.assert_allclose(after, before * factor)
    assert after[town] / before[town] == pytest.approx((1 - removed) * fill)
    # the visit chance of the lever with the pool never exceeds the one without it
    p0 = lv.visit_probability(rt.scope, i, real, rt.drawn[i])
    p1 = lv.visit_probability(rt.scope, i, real, rt.drawn[i], factor)
    assert (p1 <= p0 + 1e-7).all() and p1.sum() < p0.sum()


def test_the_hooks_that_follow_the_pool_take_it_by_keyword():
    import inspect

    for cls in (WelfareVolunteers, Supporters):
        for hook in cls.pool_hooks:
            params = inspect.signature(getattr(cls, hook)).parameters
            name = "pool_zone" if hook == "notice_hazard" else "pool"
            assert params[name].default is None, f"{cls.__name__}.{hook}"
