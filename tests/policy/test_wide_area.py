"""Wide-area cooperation (広域連携): pooled consultation, cross-border venues, shared costs.

Small Tottori runs (2% of residents, 26 weeks of burn-in, 2 years from 2025-04-06; the
wide-area levers start on 2026-04-01 = week 51) on fixed seeds.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pandas as pd
import pytest

from sim.config import compose_config
from sim.core.params import ConfigError
from sim.engine.model import LonelinessModel, Results, run
from sim.engine.recorder import MEASURES
from sim.policy.levers import CUSTOMARY_AREAS, WideArea
from sim.policy.scenario import Scenario, load_scenario
from sim.policy.services import SERVED

ARMS = ("wide_area_alone", "wide_area_prefecture", "wide_area_clusters")
DIMS = ("all", "age_group", "sex", "household_type", "municipality")


def _cfg(seed: int = 1, region: str = "tottori"):
    return compose_config([f"region={region}", "population.scale=0.02", "years=2",
                           "burn_in_weeks=26", f"seed={seed}"])  # fmt: skip


@cache
def _run(name: str, seed: int = 1) -> Results:
    return run(_cfg(seed), scenario=load_scenario(name), keep_model=True)


def _with(base: str, *levers, name: str = "test") -> Scenario:
    b = load_scenario(base)
    return Scenario(name=name, levers=[*b.levers, *levers], source=f"<{name}>")


def _survey(res: Results) -> pd.DataFrame:
    t = res.table
    return t[t["dimension"].isin(DIMS) & t["measure"].isin(MEASURES)].reset_index(drop=True)


def _total(res: Results, measure: str) -> float:
    t = res.table
    return float(t[(t["measure"] == measure) & (t["dimension"] == "all")]["value"].sum())


def test_wide_area_lever_that_pools_nothing_reproduces_the_reference_exactly():
    idle = WideArea(id="idle", start="2026-04-01", consultation=False, venues=False,
                    cost_per_week=0.0)  # fmt: skip
    arm = run(_cfg(), scenario=_with("wide_area_alone", idle))
    base = _run("wide_area_alone")
    pd.testing.assert_frame_equal(_survey(base), _survey(arm), check_exact=True)
    for m in ("served", "venue_joined", "waiting", "cases_broken"):
        assert _total(arm, m) == _total(base, m)


def test_arms_identical_before_the_wide_area_start():
    k = 51  # week of 2026-04-01
    a, b = _survey(_run("wide_area_alone")), _survey(_run("wide_area_prefecture"))
    pd.testing.assert_frame_equal(
        a[a["week"] < k].reset_index(drop=True),
        b[b["week"] < k].reset_index(drop=True),
        check_exact=True,
    )


def test_without_wide_area_access_nobody_is_served_outside_their_municipality():
    for name in ("baseline", "wide_area_alone"):
        res = _run(name)
        assert _total(res, "served") > 0
        for m in ("served_outside", "venue_joined_outside", "venue_attendances_outside"):
            assert _total(res, m) == 0, (name, m)
        assert (res.table["dimension"] == "flow").sum() == 0
        model = res.model
        served = model.svc.stage == SERVED
        assert np.array_equal(model.svc.served_in[served], model.pop.municipality[served])
        venue = model.svc.venue >= 0
        v_mun = model.services.venues.municipality[model.svc.venue[venue]]
        assert np.array_equal(v_mun, model.pop.municipality[venue])


def test_wide_area_residents_use_services_across_borders_only_inside_their_cluster():
    res = _run("wide_area_clusters")
    assert _total(res, "served_outside") > 0
    assert _total(res, "venue_joined_outside") > 0
    area = {name: a for a, names in CUSTOMARY_AREAS.items() for name in names}
    flows = res.table[res.table["dimension"] == "flow"]
    assert len(flows) > 0
    for group in flows["group"].unique():
        home, place = group.split("→")
        assert area[home] == area[place], group
    model = res.model
    names = model.region.municipalities["name"].to_numpy()
    served = np.flatnonzero(model.svc.stage == SERVED)
    home = [area[x] for x in names[model.pop.municipality[served]]]
    place = [area[x] for x in names[model.svc.served_in[served]]]
    assert home == place


def test_pooled_capacity_never_exceeds_the_members_capacity():
    cfg = _cfg(2)
    model = LonelinessModel(cfg, scenario=load_scenario("wide_area_prefecture"))
    svc = model.services
    rt = svc.rt
    original = svc._serve
    checked = {"weeks": 0, "pooled_weeks": 0}

    def serve(m, u, u_lever):
        cap = rt.capacity(m)
        pooled = rt.pooled_capacity(m)
        carry = np.zeros_like(svc.capacity_carry)
        np.add.at(carry, rt.pool_of, svc.capacity_carry)
        carry = np.mod(carry, 1.0) if rt.pooling else carry
        # the pool's capacity is the sum of its members' capacities, nothing more
        members = np.zeros_like(cap)
        np.add.at(members, rt.pool_of, cap)
        np.testing.assert_allclose(pooled, members, rtol=1e-12)
        assert (carry < 1 + 1e-9).all()
        before = m.svc.stage.copy()
        original(m, u, u_lever)
        new = np.flatnonzero((m.svc.stage == SERVED) & (before != SERVED))
        key = rt.pool_of[m.pop.municipality[new]] * 4 + m.svc.channel[new]
        started = np.bincount(key, minlength=cap.size).reshape(cap.shape)
        assert (started <= np.floor(members + carry)).all()
        checked["weeks"] += 1
        checked["pooled_weeks"] += int(rt.pooling)

    svc._serve = serve
    for _ in range(cfg.burn_in_weeks + 52 * cfg.years):
        model.step()
    assert checked["pooled_weeks"] > 40


@pytest.mark.parametrize("sharing", ["per_capita", "per_use", "prefecture"])
def test_cost_shares_add_up_to_the_total(sharing):
    sc = load_scenario("wide_area_clusters")
    levers = [dataclasses.replace(lv, cost_sharing=sharing, prefecture_share=0.3)
              if isinstance(lv, WideArea) else lv for lv in sc.levers]  # fmt: skip
    res = run(_cfg(), scenario=dataclasses.replace(sc, levers=levers))
    t = res.table
    cost = t[t["measure"] == "cost_yen"]
    total = cost[cost["dimension"] == "all"].set_index("week")["value"]
    bills = cost[cost["dimension"] == "municipality_bill"].groupby("week")["value"].sum()
    funder = cost[cost["dimension"] == "funder"].groupby("week")["value"].sum()
    np.testing.assert_allclose(bills.to_numpy(), total.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(funder.to_numpy(), total.to_numpy(), rtol=1e-9)
    names = list(res.region.municipalities["name"])
    bill = cost[cost["dimension"] == "municipality_bill"].groupby("group")["value"].sum()
    assert (bill[names] > 0).all()
    if sharing == "prefecture":  # the prefecture pays every pooled cost
        ref = _run("wide_area_clusters").table
        rc = ref[(ref["measure"] == "cost_yen") & (ref["dimension"] == "municipality_bill")]
        assert bill["prefecture"] > rc.groupby("group")["value"].sum()["prefecture"]


def test_prefecture_share_moves_costs_from_municipalities_to_the_prefecture():
    res = _run("wide_area_prefecture")
    t = res.table
    c = t[(t["measure"] == "cost_yen") & (t["week"] > 56)]  # months wholly after the start
    bill = c[c["dimension"] == "municipality_bill"].groupby("group")["value"].sum()
    by_lever = c[c["dimension"] == "lever"].groupby("group")["value"].sum()
    # half of the pooled municipal costs (venues, counters, coordination) go to the prefecture
    pooled = by_lever[["kayoi_no_ba_existing", "welfare_counter_existing", "ibasho_municipal",
                       "wide_area_prefecture"]].sum()  # fmt: skip
    pref_levers = by_lever[["minsei_existing", "sns_prefecture", "prefecture_dispatch"]].sum()
    np.testing.assert_allclose(bill["prefecture"], pref_levers + 0.5 * pooled, rtol=1e-6)
    names = list(res.region.municipalities["name"])
    np.testing.assert_allclose(bill[names].sum(), 0.5 * pooled, rtol=1e-6)


def test_customary_areas_cover_every_municipality_of_both_prefectures():
    from sim.config import load_configured_region

    for region, k in (("tottori", 3), ("kochi", 4)):
        names = set(load_configured_region(_cfg(region=region)).municipalities["name"])
        areas = [set(v) & names for v in CUSTOMARY_AREAS.values()]
        areas = [a for a in areas if a]
        assert len(areas) == k
        assert set().union(*areas) == names
        assert sum(map(len, areas)) == len(names)


def test_kochi_clusters_written_out_match_the_customary_partition():
    written = load_scenario("wide_area_clusters_kochi")
    from sim.config import load_configured_region

    names = load_configured_region(_cfg(region="kochi")).municipalities["name"]
    listed = [n for lv in written.levers if isinstance(lv, WideArea) for n in lv.municipalities]
    assert sorted(listed) == sorted(names)


def test_bad_cost_sharing_is_one_line_naming_the_lever(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: bad\nlevers:\n  - type: wide_area\n    cost_sharing: by_mood\n")
    with pytest.raises(ConfigError, match=r"levers\[0\].*cost_sharing"):
        load_scenario(str(p))


# -- the wide-area command: every key checked before any run; short horizons run ------------
