"""Commuting areas, the partition plan of national runs, and prefecture subsets of region=japan.

The 47 prefectures fall into commuting areas (首都圏, 中京圏, 関西圏 and single prefectures);
with ``layers.commuting_areas=metro`` commuting crosses prefecture lines inside an area and never
an area's border, and a prefecture on its own gets bit for bit the flows of the former
per-prefecture model.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pytest

from sim.config import compose_config, load_configured_region, to_yaml
from sim.core.params import ConfigError
from sim.world.commuting import _flows, commuting_flows
from sim.world.partitions import Partition, area_of, commuting_areas, plan_partitions
from sim.world.region import load_region

SHARE, KM = 0.402, 15.0


@cache
def _japan():
    return load_region("japan")


@cache
def _japan_flows(areas: str) -> np.ndarray:
    return commuting_flows(_japan(), SHARE, KM, areas)


def _old_flows(region) -> np.ndarray:
    """The commuting model before commuting areas: one gravity block per prefecture."""
    mun = region.municipalities
    if "prefecture_code" not in mun or mun["prefecture_code"].nunique() < 2:
        return _flows(mun, SHARE, KM)
    flows = np.zeros((len(mun), len(mun)))
    for _, idx in mun.groupby("prefecture_code").indices.items():
        sub = mun.iloc[idx].reset_index(drop=True)
        flows[np.ix_(idx, idx)] = _flows(sub, SHARE, KM)
    return flows


def test_the_table_covers_47_prefectures_each_with_a_source_and_a_flag():
    table = commuting_areas()
    assert list(table["prefecture_code"]) == [f"{c:02d}" for c in range(1, 48)]
    assert table["source"].str.len().min() > 20
    assert set(table["flag"]) <= set("VDMSA")
    found = table.dropna(subset=["other_pref_share_pop_2015"])
    # the four prefectures above 10 % in the 2015 census, each in its metropolitan area
    assert dict(zip(found["prefecture_code"], found["area_key"], strict=True)) == {
        "11": "shutoken",
        "12": "shutoken",
        "14": "shutoken",
        "29": "kansai",
    }


def test_the_plan_covers_every_prefecture_exactly_once():
    plan = plan_partitions()
    codes = [c for p in plan for c in p.prefectures]
    assert sorted(codes) == [f"{c:02d}" for c in range(1, 48)] and len(set(codes)) == 47
    assert len(plan) == 47 - 3 - 2 - 5  # 首都圏 (4), 中京圏 (3), 関西圏 (6)
    keys = [p.key for p in plan]
    assert len(set(keys)) == len(keys)
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", k) for k in keys)
    assert [p.prefectures[0] for p in plan] == sorted(p.prefectures[0] for p in plan)
    assert all(list(p.prefectures) == sorted(p.prefectures) for p in plan)
    by_key = {p.key: p for p in plan}
    assert by_key["shutoken"] == Partition(
        "shutoken", "首都圏", "Greater Tokyo", ("11", "12", "13", "14")
    )
    assert by_key["chukyo"].prefectures == ("21", "23", "24")
    assert by_key["kansai"].prefectures == ("25", "26", "27", "28", "29", "30")
    assert by_key["pref-31"] == Partition("pref-31", "鳥取県", "Tottori", ("31",))


def test_a_subset_gives_the_areas_it_meets_and_single_prefectures_their_own_names():
    plan = plan_partitions(["高知", 13, "saitama", "31", "27"])
    assert [(p.key, p.prefectures) for p in plan] == [
        ("shutoken", ("11", "13")),
        ("pref-27", ("27",)),  # one prefecture left of 関西圏: its own key and names
        ("pref-31", ("31",)),
        ("pref-39", ("39",)),
    ]
    assert plan[1].name_ja == "大阪府" and plan[1].name_en == "Osaka"


def test_areas_prefecture_gives_one_partition_per_prefecture():
    plan = plan_partitions(areas="prefecture")
    assert [p.key for p in plan] == [f"pref-{c:02d}" for c in range(1, 48)]
    assert [p.key for p in plan_partitions(["11", "13"], areas="prefecture")] == [
        "pref-11",
        "pref-13",
    ]


def test_bad_areas_and_prefectures_are_one_line_config_errors():
    for call in (
        lambda: plan_partitions(areas="region"),
        lambda: area_of(["13"], "metro "),
        lambda: commuting_flows(load_region("tottori"), SHARE, KM, "wide"),
    ):
        with pytest.raises(ConfigError, match=r"^layers\.commuting_areas: ") as err:
            call()
        assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match=r"^region\.prefectures: unknown prefecture 'atlantis'"):
        plan_partitions(["31", "atlantis"])


def test_single_prefecture_flows_are_unchanged_bit_for_bit():
    tottori = load_region("tottori")
    old = _old_flows(tottori)
    for areas in ("metro", "prefecture"):
        assert np.array_equal(commuting_flows(tottori, SHARE, KM, areas), old)
    subset = load_region("japan", prefectures=[31, 32, 39])  # three prefectures on their own
    old = _old_flows(subset)
    for areas in ("metro", "prefecture"):
        assert np.array_equal(commuting_flows(subset, SHARE, KM, areas), old)
    # in the whole country, every prefecture on its own keeps its former block exactly
    mun = _japan().municipalities
    pc = mun["prefecture_code"].to_numpy()
    metro, per_pref = _japan_flows("metro"), _japan_flows("prefecture")
    assert np.array_equal(per_pref, _old_flows(_japan()))
    alone = np.isin(
        pc, [c for p in plan_partitions() if len(p.prefectures) == 1 for c in p.prefectures]
    )
    assert alone.sum() > 1000
    assert np.array_equal(metro[np.ix_(alone, alone)], per_pref[np.ix_(alone, alone)])


def test_metro_flows_stay_inside_areas_and_cross_prefecture_lines_in_shutoken():
    mun = _japan().municipalities
    pc = mun["prefecture_code"].to_numpy()
    area = np.array(area_of(pc, "metro"))
    flows = _japan_flows("metro")
    assert flows[area[:, None] != area[None, :]].sum() == 0
    employed = np.maximum(mun["employed"].to_numpy(float), 1.0)
    assert np.allclose(flows.sum(axis=1), employed, rtol=1e-3)  # balancing after 60 rounds
    tokyo, saitama = pc == "13", pc == "11"
    out_of_saitama = flows[saitama][:, ~saitama].sum() / flows[saitama].sum()
    out_of_tokyo = flows[tokyo][:, ~tokyo].sum() / flows[tokyo].sum()
    # census: ~27 % of 埼玉's commuters work or study in another prefecture (1.06 M, 2015); the
    # model overstates it (~40 %, sim/data/SOURCES.md); 東京 (day/night ratio 117.8) draws in
    assert 0.15 < out_of_saitama < 0.45 and out_of_tokyo < out_of_saitama / 3
    assert flows[np.ix_(saitama, tokyo)].sum() > 3 * flows[np.ix_(tokyo, saitama)].sum()
    cross = pc[:, None] != pc[None, :]
    share = flows[cross].sum() / flows.sum()
    assert 0.05 < share < 0.15, share  # census: 8.8 % of the employed (2010)
    assert _japan_flows("prefecture")[cross].sum() == 0


def test_region_subsets_of_japan_and_their_errors():
    three = load_region("japan", prefectures=[31, "島根", "kochi"])
    assert three.key == "japan:31-32-39"
    assert (three.name_ja, three.name_en) == ("鳥取県・島根県・高知県", "Tottori, Shimane, Kochi")
    assert sorted(set(three.municipalities["prefecture_code"])) == ["31", "32", "39"]
    assert len(three.municipalities) == 19 + 19 + 34
    area = load_region("japan", prefectures=["14", "13", "12", "11"])
    assert (area.key, area.name_ja, area.name_en) == (
        "japan:11-12-13-14",
        "首都圏",
        "Greater Tokyo",
    )
    assert load_region("japan", prefectures=list(range(1, 48))).key == "japan"
    for kwargs, text in (
        ({"key": "japan", "prefectures": ["31", "atlantis"]}, "unknown prefecture"),
        ({"key": "japan", "prefectures": []}, "non-empty list"),
        ({"key": "tottori", "prefectures": ["31"]}, "only used with region=japan"),
    ):
        with pytest.raises(ConfigError, match=rf"^region\.prefectures: .*{text}") as err:
            load_region(**kwargs)
        assert "\n" not in str(err.value)


def test_config_key_round_trip():
    cfg = compose_config(["region=japan", "region.prefectures=[31,39]", "population.scale=0.01"])
    assert cfg.region.prefectures == ["31", "39"]
    assert "prefectures: ['31', '39']" in to_yaml(cfg) or "prefectures: [31, 39]" in to_yaml(cfg)
    region = load_configured_region(cfg)
    assert (region.key, region.name_ja) == ("japan:31-39", "鳥取県・高知県")
    assert compose_config(["region=japan"], check_region=False).region.prefectures is None
    assert cfg.layers.commuting_areas == "metro"
    for overrides, key in (
        (["region=kochi", "region.prefectures=[39]"], "region.prefectures"),
        (["region=japan", "region.prefectures=[31,99]"], "region.prefectures"),
        (["region=tottori", "layers.commuting_areas=county"], "layers.commuting_areas"),
    ):
        with pytest.raises(ConfigError, match=rf"^{re.escape(key)}: "):
            compose_config(overrides)
