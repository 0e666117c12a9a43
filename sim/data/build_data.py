"""Rebuild the derived data files in ``sim/data`` from the project's shared evidence folder.

Run from the project root (``python sim/data/build_data.py [SHARED_DATA_DIR]``). The default
source folder is ``../shared/data`` next to the project. The simulation never runs this script:
it reads the committed CSV files. The script documents how each file was derived and lets anyone
reproduce them. ``national_profiles.csv`` is curated by hand (see ``SOURCES.md``).

Files written:

- ``municipalities_2020.csv``: every municipality (1,741) from SSDSE-A-2023, with its 2020
  births and deaths and its 2021 in- and out-migrants (Japanese movers).
- ``national_age_sex_2020.csv``: national 5-year age bands by sex.
- ``prefectures.csv``: the 47 prefectures with codes, names and an approximate office location.
- ``demography_inputs.csv``: the national life table, fertility and life expectancy rows of
  ``demographic_change_inputs.csv`` that ``sim/world/demography_rates.py`` uses, plus the
  assumed migration age profile (flag A) defined below.
- ``municipality_locations.csv``: approximate municipal office locations for Tottori and Kochi,
  with Tottori's day/night population ratios and municipal area figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SSDSE_SOURCE = (
    "SSDSE-A-2023 (NSTAC 教育用標準データセット; 2020 census 確定値 and other official "
    "statistics, see SOURCES.md); areas ha/100"
)
AGE_SOURCE = (
    "2020 census 確定値 (age 不詳 excluded); e-Stat 時系列 table 0003410380 via "
    "kota-tagami/JLSTAT-table Population/Table/pyramid_total.csv; copied from "
    "shared/data/national_population_by_age5_sex_2020.csv"
)
LOC_SOURCE = (
    "approximate, from memory; municipal office location (rounded to ~0.01 deg); "
    "checked only against prefecture bounding boxes and east-west order"
)
DAY_NIGHT_SOURCE = (
    "2015 census day/night population ratio and municipal area via secondary summary "
    "(shared/data/tottori_municipalities_extra.csv)"
)

# Columns kept from SSDSE (target name -> SSDSE column name).
KEEP = {
    "pop_total": "pop_total",
    "pop_male": "pop_male",
    "pop_female": "pop_female",
    "pop_0_14_male": "pop_0_14_male",
    "pop_0_14_female": "pop_0_14_female",
    "pop_15_64_male": "pop_15_64_male",
    "pop_15_64_female": "pop_15_64_female",
    "pop_65plus_male": "pop_65plus_male",
    "pop_65plus_female": "pop_65plus_female",
    "pop_75plus_male": "pop_75plus_male",
    "pop_75plus_female": "pop_75plus_female",
    "general_households": "general_households",
    "general_household_members": "general_household_members",
    "nuclear_family_households": "nuclear_family_households",
    "single_person_households": "single_person_households",
    "single_65plus_households": "single_65plus_households",
    "elderly_couple_households": "elderly_couple_households",
    "employed": "employed_2020",
    "employed_male": "employed_male_2020",
    "employed_female": "employed_female_2020",
    "unemployed": "unemployed_2020",
    "unemployed_male": "unemployed_male_2020",
    "unemployed_female": "unemployed_female_2020",
    "not_in_labour_force": "not_in_labour_force_2020",
    "not_in_labour_force_male": "not_in_labour_force_male_2020",
    "not_in_labour_force_female": "not_in_labour_force_female_2020",
    "elementary_schools_2021": "elementary_schools_2021",
    "junior_high_schools_2021": "junior_high_schools_2021",
    "community_halls_2018": "community_halls_2018",
    "establishments_private_2016": "establishments_private_2016",
    "employees_private_2016": "employees_private_2016",
    "births_2020": "births_2020",
    "deaths_2020": "deaths_2020",
    "in_migrants_2021": "in_migrants_2021",
    "out_migrants_2021": "out_migrants_2021",
}

PREFECTURES_EN = (
    "hokkaido aomori iwate miyagi akita yamagata fukushima ibaraki tochigi gunma saitama chiba "
    "tokyo kanagawa niigata toyama ishikawa fukui yamanashi nagano gifu shizuoka aichi mie shiga "
    "kyoto osaka hyogo nara wakayama tottori shimane okayama hiroshima yamaguchi tokushima kagawa "
    "ehime kochi fukuoka saga nagasaki kumamoto oita miyazaki kagoshima okinawa"
).split()

# Approximate prefectural office (県庁) locations, from memory: only used as the centre of the
# synthetic layout for prefectures without shipped municipal coordinates.
PREFECTURE_OFFICES = (
    (43.06, 141.35), (40.82, 140.74), (39.70, 141.15), (38.27, 140.87), (39.72, 140.10),
    (38.24, 140.36), (37.75, 140.47), (36.34, 140.45), (36.57, 139.88), (36.39, 139.06),
    (35.86, 139.65), (35.61, 140.12), (35.69, 139.69), (35.45, 139.64), (37.90, 139.02),
    (36.70, 137.21), (36.59, 136.63), (36.07, 136.22), (35.66, 138.57), (36.65, 138.18),
    (35.39, 136.72), (34.98, 138.38), (35.18, 136.91), (34.73, 136.51), (35.00, 135.87),
    (35.02, 135.76), (34.69, 135.52), (34.69, 135.18), (34.69, 135.83), (34.23, 135.17),
    (35.50, 134.24), (35.47, 133.05), (34.66, 133.93), (34.40, 132.46), (34.19, 131.47),
    (34.07, 134.56), (34.34, 134.04), (33.84, 132.77), (33.56, 133.53), (33.61, 130.42),
    (33.25, 130.30), (32.74, 129.87), (32.79, 130.74), (33.24, 131.61), (31.91, 131.42),
    (31.56, 130.56), (26.21, 127.68),
)  # fmt: skip

# Approximate municipal office locations (lat, lon), from memory; code -> (name_en, lat, lon).
LOCATIONS = {
    "31201": ("Tottori", 35.501, 134.235), "31202": ("Yonago", 35.428, 133.331),
    "31203": ("Kurayoshi", 35.430, 133.825), "31204": ("Sakaiminato", 35.540, 133.232),
    "31302": ("Iwami", 35.576, 134.332), "31325": ("Wakasa", 35.339, 134.401),
    "31328": ("Chizu", 35.265, 134.227), "31329": ("Yazu", 35.410, 134.251),
    "31364": ("Misasa", 35.409, 133.878), "31370": ("Yurihama", 35.484, 133.867),
    "31371": ("Kotoura", 35.501, 133.693), "31372": ("Hokuei", 35.489, 133.753),
    "31384": ("Hiezu", 35.442, 133.381), "31386": ("Daisen", 35.510, 133.496),
    "31389": ("Nanbu", 35.332, 133.329), "31390": ("Hoki", 35.385, 133.410),
    "31401": ("Nichinan", 35.163, 133.305), "31402": ("Hino", 35.242, 133.442),
    "31403": ("Kofu", 35.283, 133.486),
    "39201": ("Kochi", 33.559, 133.531), "39202": ("Muroto", 33.290, 134.152),
    "39203": ("Aki", 33.503, 133.907), "39204": ("Nankoku", 33.576, 133.641),
    "39205": ("Tosa", 33.496, 133.425), "39206": ("Susaki", 33.401, 133.283),
    "39208": ("Sukumo", 32.938, 132.726), "39209": ("Tosashimizu", 32.781, 132.955),
    "39210": ("Shimanto", 32.991, 132.934), "39211": ("Konan", 33.564, 133.700),
    "39212": ("Kami", 33.604, 133.685), "39301": ("Toyo", 33.528, 134.280),
    "39302": ("Nahari", 33.421, 134.022), "39303": ("Tano", 33.426, 134.009),
    "39304": ("Yasuda", 33.438, 133.983), "39305": ("Kitagawa", 33.447, 134.043),
    "39306": ("Umaji", 33.556, 134.049), "39307": ("Geisei", 33.527, 133.808),
    "39341": ("Motoyama", 33.757, 133.593), "39344": ("Otoyo", 33.764, 133.664),
    "39363": ("Tosa-cho", 33.738, 133.534), "39364": ("Okawa", 33.772, 133.470),
    "39386": ("Ino", 33.549, 133.428), "39387": ("Niyodogawa", 33.576, 133.170),
    "39401": ("Nakatosa", 33.330, 133.228), "39402": ("Sakawa", 33.501, 133.287),
    "39403": ("Ochi", 33.533, 133.251), "39405": ("Yusuhara", 33.392, 132.926),
    "39410": ("Hidaka", 33.535, 133.374), "39411": ("Tsuno", 33.441, 133.199),
    "39412": ("Shimanto-cho", 33.208, 133.137), "39424": ("Otsuki", 32.830, 132.706),
    "39427": ("Mihara", 32.907, 132.847), "39428": ("Kuroshio", 33.027, 133.008),
}  # fmt: skip


def build_municipalities(shared: Path) -> pd.DataFrame:
    """Copy the columns the simulation needs from SSDSE-A-2023, one row per municipality."""
    src = pd.read_csv(shared / "ssdse_a_2023_municipalities.csv", dtype={"area_code": str})
    out = pd.DataFrame(
        {
            "area_code": src["area_code"],
            "code": src["area_code"].str[1:],
            "prefecture_code": src["area_code"].str[1:3],
            "prefecture": src["prefecture"],
            "municipality": src["municipality"],
        }
    )
    for target, column in KEEP.items():
        out[target] = src[column].astype("int64")
    out["area_km2"] = (src["area_ha_2021"] / 100).round(2)
    out["habitable_area_km2"] = (src["habitable_area_ha_2021"] / 100).round(2)
    out["source"] = SSDSE_SOURCE
    out["flag"] = "V"
    out = out.sort_values("code", kind="stable").reset_index(drop=True)
    # Column order: identifiers, counts, areas, facilities, vital events, provenance.
    counts = [c for c in KEEP if c not in (*_FACILITIES, *_VITAL)]
    order = [
        *["area_code", "code", "prefecture_code", "prefecture", "municipality"],
        *counts,
        *["area_km2", "habitable_area_km2"],
        *_FACILITIES,
        *_VITAL,
        *["source", "flag"],
    ]
    return out[order]


_FACILITIES = (
    "elementary_schools_2021",
    "junior_high_schools_2021",
    "community_halls_2018",
    "establishments_private_2016",
    "employees_private_2016",
)
# Vital events and moves (SSDSE A4101, A4200: 人口動態統計 2020; A5101, A5102: 住民基本台帳人口移動
# 報告 2021, Japanese movers), read by sim/world/demography_rates.py.
_VITAL = ("births_2020", "deaths_2020", "in_migrants_2021", "out_migrants_2021")


# Items of shared/data/demographic_change_inputs.csv copied to demography_inputs.csv.
DEMOGRAPHY_ITEMS = ("life_expectancy_birth", "q5", "q1", "tfr", "asfr_sum5", "births",
                    "net_migration")  # fmt: skip
MIGRATION_SOURCE = (
    "assumption (A): age profile of movers between municipalities, shaped after the 住民基本台帳"
    "人口移動報告 pattern (peak at 18-29, about half of movers aged 15-34); not a published table"
)
# Share of all movers (percent) by age group; sums to 100.
MIGRATION_AGE_SHARE = (
    ("0-4", 6.0), ("5-9", 3.5), ("10-14", 2.0), ("15-17", 1.0), ("18-19", 4.0), ("20-24", 17.5),
    ("25-29", 16.5), ("30-34", 12.0), ("35-39", 8.5), ("40-44", 6.5), ("45-49", 5.5),
    ("50-54", 4.0), ("55-59", 3.0), ("60-64", 2.5), ("65-69", 2.0), ("70-74", 1.5),
    ("75-79", 1.2), ("80-84", 1.1), ("85-89", 0.9), ("90+", 0.8),
)  # fmt: skip
# Share of men among movers by broad age group (percent).
MIGRATION_MALE_SHARE = (("0-14", 51.0), ("15-64", 55.0), ("65+", 45.0))
# Mortality above 90: annual death probability rising geometrically from the life table's q1 at 90.
OLD_AGE_ROWS = (
    ("gompertz_growth", "90+", 1.10, "ratio of q(x+1) to q(x)",
     "assumption (A): Gompertz slope of about 10% per year of age at the oldest ages"),
    ("death_probability_cap", "90+", 0.6, "probability",
     "assumption (A): annual death probability capped near observed 105+ levels"),
)  # fmt: skip


def build_demography_inputs(shared: Path) -> pd.DataFrame:
    """The demographic rows the rate module reads: copied official rows plus assumptions (A)."""
    src = pd.read_csv(shared / "demographic_change_inputs.csv", dtype=str, keep_default_na=False)
    resolved, base = [], ""
    for text in src["source"]:  # "same ..." repeats the last full source above it
        base = base if text.startswith("same") else text
        resolved.append(base + text[4:] if text.startswith("same") else text)
    src["source"] = resolved
    rows = src[src["item"].isin(DEMOGRAPHY_ITEMS)].copy()
    extra = [
        ("migration_age_share", "all", age, f"{v}", "% of movers", MIGRATION_SOURCE)
        for age, v in MIGRATION_AGE_SHARE
    ]
    extra += [
        ("migration_male_share", "all", age, f"{v}", "% of movers", MIGRATION_SOURCE)
        for age, v in MIGRATION_MALE_SHARE
    ]
    extra += [(i, "all", a, f"{v}", u, s) for i, a, v, u, s in OLD_AGE_ROWS]
    add = pd.DataFrame(
        [
            {"item": i, "region": "Japan", "year": "", "sex": sx, "age": a, "value": v,
             "unit": u, "flag": "A", "source": s}
            for i, sx, a, v, u, s in extra
        ]
    )  # fmt: skip
    return pd.concat([rows, add], ignore_index=True)[list(src.columns)]


def build_national_age_sex(shared: Path) -> pd.DataFrame:
    """National 5-year age bands (0-4 .. 100+) by sex, unknown age excluded."""
    src = pd.read_csv(shared / "national_population_by_age5_sex_2020.csv")
    bands = src[~src["age_group"].isin(["age_unknown", "total"])].copy()
    low = bands["age_group"].str.extract(r"^(\d+)")[0].astype(int)
    return pd.DataFrame(
        {
            "age_band": bands["age_group"].to_numpy(),
            "age_low": low.to_numpy(),
            "male": bands["male"].astype("int64").to_numpy(),
            "female": bands["female"].astype("int64").to_numpy(),
            "source": AGE_SOURCE,
            "flag": "V",
        }
    )


def build_prefectures(municipalities: pd.DataFrame) -> pd.DataFrame:
    """The 47 prefectures: code and Japanese name from SSDSE, romanised name, office location."""
    pref = municipalities.drop_duplicates("prefecture_code")[["prefecture_code", "prefecture"]]
    pref = pref.sort_values("prefecture_code").reset_index(drop=True)
    if len(pref) != len(PREFECTURES_EN):
        raise SystemExit(f"expected 47 prefectures, found {len(pref)}")
    return pd.DataFrame(
        {
            "code": pref["prefecture_code"],
            "name_ja": pref["prefecture"],
            "name_en": PREFECTURES_EN,
            "office_lat": [p[0] for p in PREFECTURE_OFFICES],
            "office_lon": [p[1] for p in PREFECTURE_OFFICES],
            "source": "code and name_ja: SSDSE-A-2023 (JIS X 0401); romanisation: Hepburn without "
            "macrons; office_lat/lon: approximate prefectural office, from memory",
            "flag": "M",
        }
    )


def build_locations(shared: Path, municipalities: pd.DataFrame) -> pd.DataFrame:
    """Approximate office locations for Tottori and Kochi, plus Tottori's day/night ratios."""
    names = municipalities.set_index("code")["municipality"]
    extra = pd.read_csv(shared / "tottori_municipalities_extra.csv", dtype={"area_code": str})
    extra = extra.set_index("area_code")
    rows = []
    for code, (name_en, lat, lon) in sorted(LOCATIONS.items()):
        has_extra = code in extra.index
        rows.append(
            {
                "code": code,
                "name": names[code],
                "name_en": name_en,
                "lat": lat,
                "lon": lon,
                "day_night_ratio": extra.at[code, "day_night_ratio_2015"] if has_extra else None,
                "area_km2_municipal": extra.at[code, "area_km2"] if has_extra else None,
                "area_flag": extra.at[code, "area_flag"] if has_extra else "",
                "day_night_source": DAY_NIGHT_SOURCE if has_extra else "",
                "source": LOC_SOURCE,
                "flag": "M",
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str]) -> None:
    """Rebuild the derived files; ``argv[1]`` optionally names the shared data folder."""
    shared = Path(argv[1]) if len(argv) > 1 else HERE.parents[2] / "shared" / "data"
    if not (shared / "ssdse_a_2023_municipalities.csv").is_file():
        raise SystemExit(f"no ssdse_a_2023_municipalities.csv in {shared}")
    mun = build_municipalities(shared)
    mun.to_csv(HERE / "municipalities_2020.csv", index=False)
    build_national_age_sex(shared).to_csv(HERE / "national_age_sex_2020.csv", index=False)
    build_prefectures(mun).to_csv(HERE / "prefectures.csv", index=False)
    build_demography_inputs(shared).to_csv(HERE / "demography_inputs.csv", index=False)
    build_locations(shared, mun).to_csv(HERE / "municipality_locations.csv", index=False)
    print(f"wrote {len(mun)} municipalities and 4 companion files to {HERE}")


if __name__ == "__main__":
    main(sys.argv)
