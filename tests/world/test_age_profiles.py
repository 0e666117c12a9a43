"""The prefecture 5-year profiles and the municipal bands spread by them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.world.age_profiles import municipal_age_sex, prefecture_bands, profiles
from sim.world.region import BROAD_GROUPS, SEXES, _read_data, load_region, national_age_sex


@pytest.fixture(scope="module")
def census_sums() -> pd.DataFrame:
    mun = _read_data("municipalities_2020.csv")
    for s in SEXES:
        mun[f"pop_65_74_{s}"] = mun[f"pop_65plus_{s}"] - mun[f"pop_75plus_{s}"]
    return mun.groupby("prefecture_code").sum(numeric_only=True)


def test_prefectures_sum_to_the_national_bands():
    codes, counts = prefecture_bands()
    assert codes == tuple(f"{i:02d}" for i in range(1, 48))
    national = national_age_sex()[list(SEXES)].to_numpy(np.int64)
    np.testing.assert_array_equal(counts.sum(axis=0).astype(np.int64), national)


def test_broad_groups_equal_the_municipal_table(census_sums):
    # Two census tables (第2-1表 and SSDSE's municipal counts) agree on every prefecture's groups.
    codes, counts = prefecture_bands()
    for j, sex in enumerate(SEXES):
        for group, lo, hi in BROAD_GROUPS:
            got = counts[:, lo:hi, j].sum(axis=1)
            np.testing.assert_array_equal(got, census_sums.loc[list(codes), f"pop_{group}_{sex}"])


def test_ageing_prefectures_are_older_inside_15_64():
    # The reason for the profiles: Kochi's 15-64 are older than the nation's (share aged 50-64).
    codes, counts = prefecture_bands()
    national = national_age_sex()[list(SEXES)].to_numpy(float)

    def late_working(c: np.ndarray) -> float:
        return c[10:13].sum() / c[3:13].sum()

    kochi = late_working(counts[codes.index("39")])
    tokyo = late_working(counts[codes.index("13")])
    assert kochi > late_working(national) + 0.025 > tokyo + 0.05  # 35.5 %, 32.4 %, 29.1 %


def test_prefecture_regions_sum_to_their_census_bands():
    codes, counts = prefecture_bands()
    for key, code in (("tottori", "31"), ("kochi", "39")):
        got = municipal_age_sex(load_region(key)).sum(axis=0)
        # largest-remainder rounding per municipality: at most one person per municipality
        n = len(load_region(key).municipalities)
        assert np.abs(got - counts[codes.index(code)]).max() <= n


def test_japan_subset_and_custom_profiles(tmp_path):
    region = load_region("japan", prefectures=["31", "39"])
    prof = profiles(region)
    codes, counts = prefecture_bands()
    first_kochi = int(np.argmax(region.municipalities["prefecture_code"].to_numpy() == "39"))
    np.testing.assert_array_equal(prof[0], counts[codes.index("31")])
    np.testing.assert_array_equal(prof[first_kochi], counts[codes.index("39")])
    assert "prefecture_age_sex_2020.csv" in region.data_files
    path = tmp_path / "town.csv"
    path.write_text("code,name,pop_male,pop_female\n99001,町A,500,520\n", encoding="utf-8")
    custom = load_region("custom", csv=str(path))
    national = national_age_sex()[list(SEXES)].to_numpy(float)
    np.testing.assert_array_equal(profiles(custom)[0], national)
    assert "prefecture_age_sex_2020.csv" not in custom.data_files
