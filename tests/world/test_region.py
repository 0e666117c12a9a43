"""Tests for sim.world.region and the shipped region data (sim/data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.core.params import ConfigError
from sim.world.age_profiles import municipal_age_sex
from sim.world.region import (
    AGE_BANDS,
    COLUMNS,
    load_region,
    national_age_sex,
    national_profile,
    national_profiles,
    prefecture_code,
    prefectures,
)

DATA = Path(__file__).resolve().parents[2] / "sim" / "data"
TOTTORI_BOX = (35.0, 35.6, 133.1, 134.5)
KOCHI_BOX = (32.7, 33.9, 132.4, 134.3)


@pytest.fixture(scope="module")
def tottori():
    return load_region("tottori")


@pytest.fixture(scope="module")
def kochi():
    return load_region("kochi")


# --- shipped data ---------------------------------------------------------------------------


def test_municipal_table_covers_japan():
    mun = pd.read_csv(DATA / "municipalities_2020.csv", dtype={"code": str})
    assert len(mun) == 1741
    assert mun["code"].str.fullmatch(r"\d{5}").all()
    assert (mun["area_code"] == "R" + mun["code"]).all()
    assert mun["pop_total"].sum() == 126_146_099
    assert mun["general_households"].sum() == 55_704_949
    assert mun["single_person_households"].sum() == 21_151_042
    share = mun["single_person_households"].sum() / mun["general_households"].sum()
    assert round(100 * share, 2) == 37.97
    assert mun.loc[mun["code"] == "31201", "area_km2"].item() == pytest.approx(765.31)
    assert {"source", "flag"} <= set(mun.columns)


def test_every_data_file_has_source_and_flag():
    for path in DATA.glob("*.csv"):
        frame = pd.read_csv(path)
        assert {"source", "flag"} <= set(frame.columns), path.name
        assert frame["flag"].isin(["V", "D", "M", "S", "A"]).all(), path.name
        assert frame["source"].notna().all(), path.name


def test_national_age_sex_matches_census():
    nat = national_age_sex()
    assert list(nat["age_band"]) == list(AGE_BANDS)
    # 126,146,099 minus 2,931,838 persons of unknown age
    assert nat["male"].sum() + nat["female"].sum() == 126_146_099 - 2_931_838
    assert nat.loc[nat["age_band"] == "100+", "female"].item() == 69_757


def test_national_profiles():
    p = national_profiles()
    assert national_profile("living_alone_share", sex="male", age_band="65+") == 15.0
    assert national_profile("living_alone_share", sex="female", age_band="65+") == 22.1
    assert national_profile("average_household_size") == 2.21
    shares = p[p["indicator"] == "household_type_share"]["value"]
    assert shares.sum() == pytest.approx(100.0)
    assert national_profile("household_type_share", age_band="single") == 37.97
    emp = p[(p["indicator"] == "employment_rate") & (p["age_band"] != "15+")]
    assert len(emp) == 30 and (emp["flag"] == "M").all()
    assert (emp["low"] <= emp["value"]).all() and (emp["value"] <= emp["high"]).all()
    assert p.loc[p["indicator"] == "has_someone_to_consult", "flag"].eq("M").all()
    with pytest.raises(ConfigError):
        national_profile("no_such_thing")


def test_prefecture_table():
    pref = prefectures()
    assert len(pref) == 47 and pref["code"].iloc[-1] == "47"
    assert pref.set_index("code").loc["39", "name_ja"] == "高知県"


# --- named regions ----------------------------------------------------------------------------


def test_tottori(tottori):
    mun = tottori.municipalities
    assert tottori.key == "tottori" and tottori.name_ja == "鳥取県"
    assert list(mun.columns) == list(COLUMNS)
    assert len(mun) == 19 and list(mun.index) == list(range(19))
    assert mun["pop_total"].sum() == 553_407  # final count including unknown age
    assert (mun["pop_male"] + mun["pop_female"]).sum() == 553_407
    ages = mun[[c for c in COLUMNS if c.startswith("pop_") and c[-4:] in ("male", "emale")]]
    ages = ages.drop(columns=["pop_male", "pop_female"])
    assert ages.to_numpy().sum() == 545_378  # known age only
    assert mun["code"].is_monotonic_increasing
    assert mun.loc[0, "name"] == "鳥取市" and mun.loc[0, "kind"] == "city"
    assert mun.set_index("name").loc["日吉津村", "kind"] == "village"
    assert mun.set_index("name").loc["岩美町", "kind"] == "town"
    assert mun["single_person_households"].sum() == 70_641
    assert mun["day_night_ratio"].notna().sum() == 12
    assert mun.set_index("code").loc["31203", "day_night_ratio"] == 111.5
    assert set(tottori.data_files) >= {"municipalities_2020.csv", "municipality_locations.csv"}
    assert all(len(h) == 64 for h in tottori.data_files.values())


def test_kochi(kochi):
    mun = kochi.municipalities
    assert len(mun) == 34 and mun["pop_total"].sum() == 691_527
    assert mun["single_person_households"].sum() == 122_867
    assert (mun["name_en"] != "").all() and mun["name_en"].is_unique


@pytest.mark.parametrize(("key", "box"), [("tottori", TOTTORI_BOX), ("kochi", KOCHI_BOX)])
def test_coordinates_in_prefecture(key, box):
    mun = load_region(key).municipalities
    assert (mun["coord_flag"] == "M").all()
    assert mun["lat"].between(box[0], box[1]).all()
    assert mun["lon"].between(box[2], box[3]).all()
    assert abs(mun["x_km"].mean()) < 1e-9 and abs(mun["y_km"].mean()) < 1e-9


def test_east_west_order(tottori, kochi):
    t = tottori.municipalities.set_index("name_en")
    assert t.loc["Yonago", "lon"] < t.loc["Kurayoshi", "lon"] < t.loc["Tottori", "lon"]
    assert t.loc["Sakaiminato", "lon"] < t.loc["Tottori", "lon"]
    assert t.loc["Yonago", "x_km"] < t.loc["Tottori", "x_km"]
    # Tottori city to Yonago is about 80 km
    d = np.hypot(*(t.loc["Yonago", ["x_km", "y_km"]] - t.loc["Tottori", ["x_km", "y_km"]]))
    assert 70 < d < 95
    k = kochi.municipalities.set_index("name_en")
    for west in ("Sukumo", "Otsuki", "Tosashimizu"):
        for east in ("Muroto", "Toyo"):
            assert k.loc[west, "lon"] < k.loc["Kochi", "lon"] < k.loc[east, "lon"]


def test_prefecture_by_name_code_romanised(tottori):
    frames = [
        load_region("prefecture", prefecture=p).municipalities for p in ("鳥取県", "31", "tottori")
    ]
    for frame in frames:
        pd.testing.assert_frame_equal(frame, tottori.municipalities)
    assert load_region("prefecture", prefecture="Tottori").key == "pref-31"
    assert prefecture_code("北海道") == "01" and prefecture_code("高知") == "39"


def test_synthetic_layout_for_other_prefectures():
    region = load_region("prefecture", prefecture="hokkaido")
    mun = region.municipalities
    assert len(mun) == 179 and (mun["coord_flag"] == "S").all()
    assert region.name_ja == "北海道" and region.key == "pref-01"
    again = load_region("pref-01").municipalities
    pd.testing.assert_frame_equal(mun, again)  # deterministic
    # spread comparable to Hokkaido's size (about 83,000 km2, radius ~160 km)
    radius = np.hypot(mun["x_km"], mun["y_km"]).max()
    assert 100 < radius < 250
    xy = mun[["x_km", "y_km"]].to_numpy()
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert np.sort(dist, axis=1)[:, 1].min() > 0.5  # no two municipalities on one spot


def test_subset_by_code_and_names(tottori):
    region = load_region("tottori", municipalities=["yonago", "鳥取市", "31203"])
    mun = region.municipalities
    assert list(mun["code"]) == ["31201", "31202", "31203"]
    assert list(mun.index) == [0, 1, 2]
    assert abs(mun["x_km"].mean()) < 1e-9
    with pytest.raises(
        ConfigError, match=r"unknown municipality 'Yonag0'; close matches: .*yonago"
    ):
        load_region("tottori", municipalities=["Yonag0"])


def test_municipal_age_sex(tottori, kochi):
    for region in (tottori, kochi):
        mun = region.municipalities
        counts = municipal_age_sex(region)
        assert counts.shape == (len(mun), 21, 2) and counts.dtype == np.int64
        assert (counts >= 0).all()
        for j, sex in enumerate(("male", "female")):
            for group, lo, hi in (("0_14", 0, 3), ("15_64", 3, 13), ("65_74", 13, 15)):
                got = counts[:, lo:hi, j].sum(axis=1)
                np.testing.assert_array_equal(got, mun[f"pop_{group}_{sex}"])
            np.testing.assert_array_equal(counts[:, 15:, j].sum(axis=1), mun[f"pop_75plus_{sex}"])
    assert municipal_age_sex(tottori).sum() == 545_378


def test_unknown_key_and_prefecture():
    with pytest.raises(ConfigError, match="valid keys") as err:
        load_region("narnia")
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match=r"unknown prefecture 'kochii'.*kochi"):
        load_region("prefecture", prefecture="kochii")
    with pytest.raises(ConfigError):
        load_region("prefecture")
    with pytest.raises(ConfigError):
        load_region("custom")


# --- custom CSV -------------------------------------------------------------------------------


def _write(tmp_path, text, name="my.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_minimal_file_is_completed(tmp_path):
    path = _write(
        tmp_path, "code,name,pop_male,pop_female\n99001,架空市,48000,52000\n99002,架空村,900,1100\n"
    )
    region = load_region("custom", csv=str(path))
    mun = region.municipalities
    assert region.key == "custom:my" and list(mun.columns) == list(COLUMNS)
    assert list(mun["kind"]) == ["city", "village"]
    assert list(mun["pop_total"]) == [100_000, 2_000]
    for sex, pop in (("male", [48000, 900]), ("female", [52000, 1100])):
        total = sum(mun[f"pop_{g}_{sex}"] for g in ("0_14", "15_64", "65_74", "75plus"))
        assert list(total) == pop
    # national shares: 2.21 persons per household, 38% single-person households
    assert mun.loc[0, "general_households"] == pytest.approx(100_000 * 0.9764 / 2.211, rel=0.01)
    share = mun.loc[0, "single_person_households"] / mun.loc[0, "general_households"]
    assert share == pytest.approx(0.3797, abs=0.001)
    assert (mun["coord_flag"] == "S").all() and mun["day_night_ratio"].isna().all()
    assert mun["employed"].gt(0).all() and mun["area_km2"].gt(0).all()
    assert str(path.resolve()) in region.data_files


def test_custom_given_columns_are_kept(tmp_path):
    text = (
        "code,name,pop_male,pop_female,pop_65plus_male,pop_75plus_male,general_households,lat,lon\n"
        "31201,A町,1000,1000,400,250,900,35.5,134.2\n"
        "31202,B町,500,500,,,,35.4,133.3\n"
    )
    mun = load_region("custom", csv=str(_write(tmp_path, text))).municipalities
    assert mun.loc[0, "pop_65_74_male"] == 150 and mun.loc[0, "pop_75plus_male"] == 250
    assert mun.loc[0, "general_households"] == 900
    assert (mun["coord_flag"] == "U").all() and mun.loc[0, "lat"] == 35.5
    assert mun.loc[0, "x_km"] > mun.loc[1, "x_km"]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("code,name,pop_male\n99001,A市,10\n", "missing required column"),
        ("code,name,pop_male,pop_female\n99001,A市,10,-5\n", "row 1 (code 99001): pop_female"),
        ("code,name,pop_male,pop_female\n99001,A市,10,5\n99002,B町,abc,5\n",
         "row 2 (code 99002): pop_male must be a non-negative whole number, got 'abc'"),
        ("code,name,pop_male,pop_female\n99001,A市,10,5\n99001,B町,3,5\n", "duplicate code"),
        ("", "empty file"),
        ("code,name,pop_male,pop_female\n", "no data rows"),
        ("code,name,pop_male,pop_female\n99001,A市,0,0\n", "must be positive"),
        ("code,name,pop_male,pop_female\n99001,A市,10.5,5\n", "whole number"),
        ("code,name,pop_male,pop_female\n99001,A市,inf,5\n", "pop_male"),
        ("code,name,pop_male,pop_female,pop_0_14_male\n99001,A市,10,5,20\n", "age groups sum"),
        ("code,name,pop_male,pop_female,general_households,single_person_households\n"
         "99001,A市,100,100,50,60\n", "exceed general_households"),
        ("code,name,pop_male,pop_female,pop_0_14_mael\n99001,A市,10,5,2\n", "did you mean"),
        ("code,name,pop_male,pop_female,lat,lon\n99001,A市,10,5,35.0,\n", "lat and lon"),
        ("code,name,pop_male,pop_female,lat,lon\n99001,A市,10,5,0,0\n", "outside Japan"),
        ("code,name,pop_male,pop_female\nABC,A市,10,5\n", "code must be"),
    ],
)  # fmt: skip
def test_custom_malformed(tmp_path, text, needle):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_region("custom", csv=str(path))
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message and needle in message


def test_custom_missing_file(tmp_path):
    path = tmp_path / "absent.csv"
    with pytest.raises(ConfigError, match="file not found") as err:
        load_region("custom", csv=str(path))
    assert str(path) in str(err.value)


def test_custom_cp932_file(tmp_path):
    path = tmp_path / "sjis.csv"
    path.write_bytes("code,name,pop_male,pop_female\n99001,架空町,10,12\n".encode("cp932"))
    mun = load_region("custom", csv=str(path)).municipalities
    assert mun.loc[0, "name"] == "架空町" and mun.loc[0, "kind"] == "town"


def test_data_found_through_package_resources():
    from importlib import resources

    root = resources.files("sim") / "data"
    for name in ("municipalities_2020.csv", "national_profiles.csv", "prefectures.csv"):
        assert (root / name).is_file()


def test_custom_directory_is_not_a_file(tmp_path):
    with pytest.raises(ConfigError, match="not a regular file"):
        load_region("custom", csv=str(tmp_path))


def test_custom_subset_and_short_rows(tmp_path):
    text = "code,name,name_en,pop_male,pop_female\n99001,架空市,Kaku,10,12\n99002,架空町,,5\n"
    with pytest.raises(ConfigError, match=r"row 2 \(code 99002\): pop_female"):
        load_region("custom", csv=str(_write(tmp_path, text)))
    text = "code,name,name_en,pop_male,pop_female\n99001,架空市,Kaku,10,12\n99002,架空町,,5,6\n"
    mun = load_region("custom", csv=str(_write(tmp_path, text)), municipalities=["kaku"])
    assert list(mun.municipalities["code"]) == ["99001"]
