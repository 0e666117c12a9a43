"""Regions: the municipalities a simulation covers, with their 2020 census counts and locations.

A :class:`Region` is built by :func:`load_region` from the data shipped in ``sim/data`` (read with
``importlib.resources``, so an installed package finds it) or from a user CSV. Every numeric
column of ``Region.municipalities`` is a full-population count, not scaled to the simulated
population. ``sim/data/SOURCES.md`` gives the source and quality flag of every figure.

Example:
    >>> region = load_region("tottori")
    >>> len(region.municipalities), int(region.municipalities["pop_total"].sum())
    (19, 553407)
"""

from __future__ import annotations

import difflib
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.core.params import ConfigError

AGE_BANDS: tuple[str, ...] = (*(f"{a}-{a + 4}" for a in range(0, 100, 5)), "100+")
# Broad census age groups: (column stem, first band, end band) over AGE_BANDS.
BROAD_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("0_14", 0, 3),
    ("15_64", 3, 13),
    ("65_74", 13, 15),
    ("75plus", 15, 21),
)
SEXES: tuple[str, str] = ("male", "female")
AGE_COLUMNS: tuple[str, ...] = tuple(f"pop_{g}_{s}" for g, _, _ in BROAD_GROUPS for s in SEXES)
HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "general_households",
    "general_household_members",
    "nuclear_family_households",
    "single_person_households",
    "single_65plus_households",
    "elderly_couple_households",
)
LABOUR_COLUMNS: tuple[str, ...] = ("employed", "unemployed", "not_in_labour_force")
COUNT_COLUMNS: tuple[str, ...] = (
    "pop_total",
    "pop_male",
    "pop_female",
    *AGE_COLUMNS,
    *HOUSEHOLD_COLUMNS,
    *LABOUR_COLUMNS,
)
COLUMNS: tuple[str, ...] = (
    *("code", "name", "name_en", "kind"),
    *COUNT_COLUMNS,
    *("area_km2", "habitable_area_km2", "elementary_schools", "day_night_ratio"),
    *("lat", "lon", "coord_flag", "x_km", "y_km"),
)
NAMED_REGIONS: dict[str, tuple[str, int, int]] = {
    "tottori": ("31", 19, 553_407),
    "kochi": ("39", 34, 691_527),
}
VALID_KEYS: tuple[str, ...] = ("tottori", "kochi", "prefecture", "pref-NN", "custom", "japan")
_KIND = {"市": "city", "区": "city", "町": "town", "村": "village"}
_JAPAN_BOX = (20.0, 46.0, 122.0, 154.0)  # lat min, lat max, lon min, lon max
_CENTRE_OF_JAPAN = (36.0, 138.0)
_GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))


@dataclass(frozen=True)
class Region:
    """The municipalities of a simulated region.

    Attributes:
        key: "tottori", "kochi", "pref-NN", "japan", "japan:31-39" or "custom:<file stem>".
        name_ja: Japanese name, e.g. "鳥取県".
        name_en: romanised name, e.g. "Tottori".
        municipalities: one row per municipality, index 0..M-1 in code order, columns
            :data:`COLUMNS`. Counts are 2020 census counts for the whole population (the age
            and labour columns exclude unknown age or status, so they may sum to less than
            ``pop_total``); ``day_night_ratio`` is in percent (NaN if unknown); ``coord_flag``
            is "M" (approximate office location), "S" (synthetic layout) or "U" (user file).
        data_files: file path (relative to ``sim/data``, or absolute for user files) -> sha256.
    """

    key: str
    name_ja: str
    name_en: str
    municipalities: pd.DataFrame
    data_files: dict[str, str]


@lru_cache(maxsize=16)
def _data_bytes(name: str) -> bytes:
    """Bytes of a packaged data file (immutable, so safe to cache)."""
    return resources.files("sim").joinpath("data", name).read_bytes()


def _read_data(name: str, files: dict[str, str] | None = None) -> pd.DataFrame:
    """Parse a packaged CSV, recording its sha256 in ``files`` if given."""
    raw = _data_bytes(name)
    if files is not None:
        files[name] = hashlib.sha256(raw).hexdigest()
    return pd.read_csv(io.BytesIO(raw), dtype={"code": str, "prefecture_code": str})


def national_age_sex() -> pd.DataFrame:
    """National population in the 21 five-year bands of :data:`AGE_BANDS` by sex (2020 census).

    Returns:
        Columns ``age_band, age_low, male, female, source, flag``; unknown age excluded.
    """
    return _read_data("national_age_sex_2020.csv")


def national_profiles() -> pd.DataFrame:
    """National figures used where local ones are missing (``sim/data/national_profiles.csv``).

    Returns:
        Columns ``indicator, sex, age_band, value, low, high, unit, flag, source, note``.
    """
    return _read_data("national_profiles.csv")


def national_profile(indicator: str, *, sex: str = "all", age_band: str = "all") -> float:
    """One value of :func:`national_profiles`.

    Args:
        indicator: e.g. "living_alone_share".
        sex: "male", "female" or "all".
        age_band: e.g. "65+", "20-24", or a category such as "single".

    Returns:
        The value, e.g. 15.0 for ``("living_alone_share", sex="male", age_band="65+")``.

    Raises:
        ConfigError: if there is no such row.
    """
    p = national_profiles()
    hit = p[(p["indicator"] == indicator) & (p["sex"] == sex) & (p["age_band"] == age_band)]
    if len(hit) != 1:
        raise ConfigError(f"national_profiles.csv: no row {indicator}/{sex}/{age_band}")
    return float(hit["value"].iloc[0])


def prefectures() -> pd.DataFrame:
    """The 47 prefectures: ``code, name_ja, name_en, office_lat, office_lon, source, flag``."""
    return _read_data("prefectures.csv")


def prefecture_code(name: str) -> str:
    """Resolve "高知県", "高知", "kochi", "Kochi-ken" or "39" to the two-digit code "39".

    Args:
        name: Japanese name (with or without 都/府/県), romanised name, or code.

    Returns:
        The two-digit JIS prefecture code.

    Raises:
        ConfigError: naming the unknown prefecture and close matches.
    """
    pref = prefectures()
    text = str(name).strip()
    if text.isdigit() and 1 <= int(text) <= 47:
        return f"{int(text):02d}"
    en = text.lower().removesuffix(" prefecture")
    for suffix in ("-ken", "-fu", "-to", "-do", " ken"):
        en = en.removesuffix(suffix)
    for code, ja, name_en in pref[["code", "name_ja", "name_en"]].itertuples(index=False):
        if text in (ja, ja if ja == "北海道" else ja[:-1]) or en == name_en:
            return str(code)
    close = difflib.get_close_matches(text, [*pref["name_ja"], *pref["name_en"]], n=3)
    hint = (
        f"close matches: {', '.join(close)}"
        if close
        else "give a name such as 高知 or kochi, or a code 01-47"
    )
    raise ConfigError(f"region.prefecture: unknown prefecture {text!r}; {hint}")


def load_region(
    key: str,
    *,
    prefecture: str | None = None,
    csv: str | None = None,
    municipalities: list[str] | None = None,
    prefectures: list[str] | None = None,
) -> Region:
    """Load a region: a named one, any prefecture, or a user CSV.

    Args:
        key: "tottori", "kochi", "prefecture" (with ``prefecture``), "pref-NN", "custom"
            (with ``csv``), or "japan" (all 1,741 municipalities, each prefecture laid out around
            its office; commuting stays inside commuting areas, see :mod:`sim.world.partitions`;
            used for national calibration).
        prefecture: Japanese name, romanised name or two-digit code, for key "prefecture".
        csv: path of a user CSV, for key "custom". Required columns: ``code, name, pop_male,
            pop_female``. Any column of :data:`COLUMNS` (and ``pop_65plus_male/female``) may be
            given; missing ones are filled from national shares scaled to each municipality.
        municipalities: optional subset, by code, Japanese name or romanised name.
        prefectures: for key "japan", a subset of prefectures by code or name (key and names
            from :func:`sim.world.partitions.subset_names`, e.g. ``japan:31-32-39``).

    Returns:
        The :class:`Region`.

    Raises:
        ConfigError: one line naming the key, file, row or column at fault.
    """
    k = str(key).strip().lower()
    if (prefecture is not None and k != "prefecture") or (csv is not None and k != "custom"):
        raise ConfigError(f"region.key: {key!r} takes no prefecture/csv argument")
    if prefectures is not None and k != "japan":
        raise ConfigError(f"region.prefectures: only used with region=japan (region is {k})")
    files: dict[str, str] = {}
    if k in NAMED_REGIONS or k == "prefecture" or k.startswith("pref-"):
        if k == "prefecture" and prefecture is None:
            raise ConfigError("region.prefecture: key 'prefecture' needs a prefecture name/code")
        pcode = NAMED_REGIONS[k][0] if k in NAMED_REGIONS else prefecture_code(prefecture or k[5:])
        pref = _read_data("prefectures.csv", files).set_index("code").loc[pcode]
        frame = _census_region(pcode, (pref["office_lat"], pref["office_lon"]), files)
        name_ja, name_en = str(pref["name_ja"]), str(pref["name_en"]).capitalize()
        if k in NAMED_REGIONS:
            _check_named(k, frame)
        else:
            k = f"pref-{pcode}"
    elif k == "japan":
        from sim.world.partitions import resolve_prefectures, subset_names

        prefs = _read_data("prefectures.csv", files)
        prefs = prefs[prefs["code"].isin(resolve_prefectures(prefectures))]
        parts = [
            _census_region(row.code, (row.office_lat, row.office_lon), files).assign(
                prefecture_code=row.code
            )
            for row in prefs.itertuples()
        ]
        frame = pd.concat(parts, ignore_index=True)
        k, name_ja, name_en = subset_names(list(prefs["code"]))
    elif k == "custom":
        if csv is None:
            raise ConfigError("region.csv: key 'custom' needs a csv path")
        from sim.world.custom_region import read_custom

        frame = read_custom(Path(csv), files)
        name_ja = name_en = Path(csv).stem
        k = f"custom:{name_ja}"
    else:
        raise ConfigError(f"region.key: unknown region {key!r}; valid keys: {list(VALID_KEYS)}")
    if municipalities is not None:
        frame = _subset(frame, municipalities)
    areas = ("commuting_areas.csv",) if "prefecture_code" in frame else ()  # used by commuting
    ages = () if k.startswith("custom") else ("prefecture_age_sex_2020.csv",)  # age profiles
    for name in ("national_age_sex_2020.csv", *ages, "national_profiles.csv", *areas):
        files[name] = hashlib.sha256(_data_bytes(name)).hexdigest()
    return Region(k, name_ja, name_en, _with_xy(frame), files)


def _census_region(pcode: str, centre: tuple[float, float], files: dict[str, str]) -> pd.DataFrame:
    """The shipped 2020 census rows of one prefecture, in :data:`COLUMNS` order (no x/y yet)."""
    mun = _read_data("municipalities_2020.csv", files)
    mun = mun[mun["prefecture_code"] == pcode].sort_values("code").reset_index(drop=True)
    loc = _read_data("municipality_locations.csv", files).set_index("code")
    loc = loc.reindex(mun["code"])
    out = pd.DataFrame({"code": mun["code"], "name": mun["municipality"]})
    out["name_en"] = loc["name_en"].fillna("").to_numpy()
    out["kind"] = [_kind(n, p) for n, p in zip(out["name"], mun["pop_total"], strict=True)]
    for c in ("pop_total", "pop_male", "pop_female", *HOUSEHOLD_COLUMNS, *LABOUR_COLUMNS):
        out[c] = mun[c]
    for s in SEXES:
        out[f"pop_0_14_{s}"] = mun[f"pop_0_14_{s}"]
        out[f"pop_15_64_{s}"] = mun[f"pop_15_64_{s}"]
        out[f"pop_65_74_{s}"] = mun[f"pop_65plus_{s}"] - mun[f"pop_75plus_{s}"]
        out[f"pop_75plus_{s}"] = mun[f"pop_75plus_{s}"]
    out["area_km2"] = mun["area_km2"].astype(float)
    out["habitable_area_km2"] = mun["habitable_area_km2"].astype(float)
    out["elementary_schools"] = mun["elementary_schools_2021"]
    out["day_night_ratio"] = loc["day_night_ratio"].astype(float).to_numpy()
    out["lat"] = loc["lat"].astype(float).to_numpy()
    out["lon"] = loc["lon"].astype(float).to_numpy()
    out["coord_flag"] = np.where(out["lat"].notna(), "M", "")
    return _synthetic_layout(out, centre)


def _kind(name: str, pop: float) -> str:
    """City, town or village from the name's suffix (市/区, 町, 村); else by the 50,000 rule."""
    return _KIND.get(str(name)[-1:], "city" if pop >= 50_000 else "town")


def _check_named(key: str, frame: pd.DataFrame) -> None:
    """Raise ConfigError if a named region's shipped data do not match its known totals."""
    _, count, pop = NAMED_REGIONS[key]
    got_pop = int(frame["pop_total"].sum())
    if len(frame) != count or got_pop != pop or (frame["coord_flag"] != "M").any():
        raise ConfigError(
            f"region {key}: shipped data inconsistent: {len(frame)} municipalities and "
            f"{got_pop} people (expected {count} and {pop}, all with coordinates)"
        )


def _synthetic_layout(frame: pd.DataFrame, centre: tuple[float, float]) -> pd.DataFrame:
    """Give rows without lat/lon a deterministic place on a sunflower spiral around ``centre``.

    Municipalities are taken in code order; the k-th sits at the radius of a disc holding the
    area of those before it plus half its own, at k golden angles, so spacing scales with
    sqrt(area). Coordinates so placed get ``coord_flag`` "S".
    """
    missing = frame["lat"].isna().to_numpy() | frame["lon"].isna().to_numpy()
    if not missing.any():
        return frame
    area = np.maximum(frame.loc[missing, "area_km2"].to_numpy(float), 1.0)
    radius = np.sqrt((np.cumsum(area) - area / 2) / np.pi)
    angle = _GOLDEN_ANGLE * np.arange(area.size)
    lat0, lon0 = centre
    frame = frame.copy()
    frame.loc[missing, "lat"] = lat0 + radius * np.sin(angle) / 110.57
    frame.loc[missing, "lon"] = lon0 + radius * np.cos(angle) / (111.32 * np.cos(np.radians(lat0)))
    frame.loc[missing, "coord_flag"] = "S"
    return frame


def _with_xy(frame: pd.DataFrame) -> pd.DataFrame:
    """Add x_km, y_km: equirectangular projection around the mean lat/lon; index 0..M-1."""
    frame = frame.sort_values("code").reset_index(drop=True)
    lat0, lon0 = frame["lat"].mean(), frame["lon"].mean()
    frame["x_km"] = (frame["lon"] - lon0) * 111.32 * np.cos(np.radians(lat0))
    frame["y_km"] = (frame["lat"] - lat0) * 110.57
    extra = [c for c in ("prefecture_code",) if c in frame]
    return frame[[*COLUMNS, *extra]]


def _subset(frame: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    """Rows named by code, Japanese name or romanised name (case-insensitive)."""
    lookup: dict[str, list[int]] = {}
    for i, row in enumerate(frame[["code", "name", "name_en"]].itertuples(index=False)):
        for label in {row.code, row.name, str(row.name_en).casefold()} - {""}:
            lookup.setdefault(label, []).append(i)
    if isinstance(wanted, str) or len(wanted) == 0:
        raise ConfigError("region.municipalities: give a non-empty list of codes or names")
    rows: list[int] = []
    for item in wanted:
        text = str(item).strip()
        text = text.zfill(5) if text.isdigit() else text
        hits = lookup.get(text, lookup.get(text.casefold(), []))
        if len(hits) != 1:
            close = difflib.get_close_matches(text, list(lookup), n=5, cutoff=0.5)
            what = "ambiguous" if hits else "unknown"
            hint = (
                f"close matches: {', '.join(close)}"
                if close
                else "give codes or names of the region's municipalities"
            )
            raise ConfigError(f"region.municipalities: {what} municipality {text!r}; {hint}")
        rows.extend(h for h in hits if h not in rows)
    return frame.iloc[sorted(rows)].reset_index(drop=True)


def load_configured(r: Any) -> Region:
    """The region a run configuration's ``region`` section names (key, prefecture, csv, lists)."""
    opts = {"prefecture": r.prefecture, "csv": r.csv, "municipalities": r.municipalities}
    return load_region(r.key, **opts, prefectures=getattr(r, "prefectures", None))
