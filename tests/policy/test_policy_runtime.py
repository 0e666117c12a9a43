"""Lever runtime parts: scope masks, calendar weeks, capacity, pools, channels, the registry."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sim.core.params import ConfigError
from sim.policy import calendar
from sim.policy import capacity as cap_
from sim.policy.levers import (
    CHANNELS,
    LEVER_TYPES,
    Consultation,
    Lever,
    PrefectureSupport,
    Supporters,
    WideArea,
)
from sim.policy.scenario import Scenario
from sim.policy.scope import Scope, municipality_masks, zone_masks

MUN = pd.DataFrame(
    {"name": ["鳥取市", "米子市", "倉吉市"], "code": [31201, 31202, 31203],
     "name_en": ["Tottori", "Yonago", "Kurayoshi"]}
)  # fmt: skip


def _scope(masks, sim_res=(10000.0, 20000.0, 30000.0)) -> Scope:
    masks = np.array(masks, bool)
    sim_res = np.asarray(sim_res)
    return Scope(
        n_mun=3, scale=1.0, muni_mask=masks, zone_mask=[], sim_res=sim_res, real_pop=sim_res,
        households=sim_res / 2, is_city=np.ones(3, bool), names=MUN["name"].to_numpy(str),
        dist_km=np.array([[0.0, 10.0, 50.0], [10.0, 0.0, 40.0], [50.0, 40.0, 0.0]]),
    )  # fmt: skip


def test_municipality_masks_match_names_codes_and_romanised_names():
    sc = Scenario(name="x", levers=[Supporters(), Supporters(municipalities=["yonago", "31203"])])
    np.testing.assert_array_equal(municipality_masks(sc, MUN), [[1, 1, 1], [0, 1, 1]])


def test_an_unknown_municipality_is_counted_within_the_file_that_declared_the_lever():
    levers = [Supporters(id="base"), Supporters(id="mine", municipalities=["米子氏"])]
    sc = Scenario(name="x", levers=levers, source="mine.yaml",
                  origins=[("scenarios/baseline.yaml", 0), ("mine.yaml", 0)])  # fmt: skip
    with pytest.raises(ConfigError, match=r"^mine\.yaml: levers\[0\]\.municipalities: .*米子市"):
        municipality_masks(sc, MUN)
    bare = dataclasses.replace(sc, origins=[])  # built in code: counted in the scenario
    with pytest.raises(ConfigError, match=r"levers\[1\]\.municipalities"):
        municipality_masks(bare, MUN)


def test_zone_masks_keep_the_listed_zones_inside_the_municipalities():
    sc = Scenario(
        name="x", levers=[Supporters(municipalities=["米子市"]), Supporters(zones=[0, 3])]
    )
    zmun = np.array([0, 0, 1, 1, 2])
    masks = zone_masks(sc, municipality_masks(sc, MUN), zmun)
    np.testing.assert_array_equal(masks[0], [0, 0, 1, 1, 0])
    np.testing.assert_array_equal(masks[1], [1, 0, 0, 1, 0])
    bad = Scenario(name="x", levers=[Supporters(zones=[9])], source="z.yaml")
    with pytest.raises(ConfigError, match=r"z\.yaml: levers\[0\]\.zones: no zone 9"):
        zone_masks(bad, municipality_masks(bad, MUN), zmun)


def test_calendar_weeks_and_active_set():
    levers = [Supporters(), Supporters(start="2025-04-20", end="2025-05-10")]
    weeks = calendar.lever_weeks(levers, "2025-04-06", horizon=52)
    np.testing.assert_array_equal(weeks, [[calendar.ALWAYS, 52], [2, 4]])
    assert calendar.active_at(weeks, 1).tolist() == [True, False]
    assert calendar.active_at(weeks, 4).tolist() == [True, True]
    assert calendar.active_at(weeks, 5).tolist() == [True, False]
    assert calendar.is_transfer_week("2025-04-06", 52)  # 2026-04-05
    assert not calendar.is_transfer_week("2025-04-06", 1)


def test_capacity_adds_channels_and_staff_only_where_offices_exist():
    levers = [
        Consultation(channel="office", capacity_per_10k=2.0, municipalities=["鳥取市"]),
        Consultation(channel="sns", capacity_per_10k=1.0),
        PrefectureSupport(staff_per_100k=10.0, cases_per_staff_week=3.0),
    ]
    scope = _scope([[1, 0, 0], [1, 1, 1], [1, 1, 1]])
    cap = cap_.capacity(levers, np.ones(3, bool), scope)
    office, sns = CHANNELS.index("office"), CHANNELS.index("sns")
    np.testing.assert_allclose(cap[:, sns], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(cap[:, office], [2.0 + 1.0 * 3.0, 0.0, 0.0])
    off = cap_.capacity(levers, np.array([False, True, True]), scope)
    assert not off[:, office].any()


def test_pools_sum_member_capacity_and_pick_serving_members():
    levers = [Consultation(capacity_per_10k=1.0),
              WideArea(municipalities=["鳥取市", "米子市"], consult_access_km=1e6)]  # fmt: skip
    scope = _scope([[1, 1, 1], [1, 1, 0]])
    active = np.ones(2, bool)
    pools = cap_.build_pools(levers, active, scope)
    assert pools.pooling and pools.pool_of.tolist() == [0, 0, 2]
    assert len(pools.clusters) == 1
    cap = cap_.capacity(levers, active, scope)
    pooled = cap_.pooled_capacity(cap, pools)
    np.testing.assert_allclose(pooled[:, 0], [3.0, 0.0, 3.0])
    home = np.zeros(4, np.int64)
    u = np.array([0.1, 0.3, 0.5, 0.9])
    place = cap_.serving_municipality(cap, pools, scope.dist_km, (home, -np.ones(4, int),
                                      np.zeros(4, np.int8), u))  # fmt: skip
    assert place.tolist() == [0, 0, 1, 1]  # capacity 1 : 2, cumulative 1/3
    alone = cap_.build_pools(levers, np.array([True, False]), scope)
    assert not alone.pooling and alone.pool_of.tolist() == [0, 1, 2]
    assert cap_.has_service(levers, active, scope, pools).all()


def test_choose_channel_by_capacity_and_digital_access():
    cap = np.array([[0.0, 0.0, 4.0, 0.0], [1.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    prefers = np.array([True, False, True])
    digital = np.array([False, True, True])
    got = cap_.choose_channel(cap, prefers, digital, np.array([0.5, 0.5, 0.5]))
    assert got.tolist() == [-1, 0, -1]  # SNS needs digital access; no capacity: none
    got = cap_.choose_channel(cap[[1, 1]], np.array([True, True]), np.ones(2, bool),
                              np.array([0.2, 0.9]))  # fmt: skip
    assert got.tolist() == [2, 2]  # prefers digital: SNS


def test_channel_lever_splits_cases_in_proportion_to_capacity():
    levers = [Consultation(capacity_per_10k=1.0), Supporters(), Consultation(capacity_per_10k=3.0)]
    scope = _scope([[1, 1, 1]] * 3)
    u = np.linspace(0.01, 0.99, 100)
    picks = cap_.channel_lever(levers, np.ones(3, bool), scope,
                               (np.zeros(100, np.int64), np.zeros(100, np.int64), u))  # fmt: skip
    assert set(picks.tolist()) == {0, 2}
    assert (picks == 2).sum() == 75
    none = cap_.channel_lever(levers, np.ones(3, bool), scope,
                              (np.zeros(1, np.int64), np.full(1, 2), np.array([0.5])))  # fmt: skip
    assert none.tolist() == [-1]


def test_registry_lists_lever_types_that_declare_their_hooks():
    assert list(LEVER_TYPES) == ["venue", "supporters", "welfare_volunteers", "consultation",
                                 "continuity", "awareness", "platform", "prefecture_support",
                                 "wide_area"]  # fmt: skip
    for cls in LEVER_TYPES.values():
        assert issubclass(cls, Lever) and dataclasses.is_dataclass(cls)
        fields = {f.name for f in dataclasses.fields(cls)}
        hooks = {n for n in dir(Lever) if callable(getattr(Lever, n)) and not n.startswith("_")}
        assert not fields & hooks, cls  # a parameter never hides a hook
    assert Lever().case_capacity(_scope([[1, 1, 1]]), 0) is None
