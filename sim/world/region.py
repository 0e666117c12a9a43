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

import csv
import difflib
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

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
        key: "tottori", "kochi", "pref-NN" (two-digit prefecture code) or "custom:<file stem>".
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
) -> Region:
    """Load a region: a named one, any prefecture, or a user CSV.

    Args:
        key: "tottori", "kochi", "prefecture" (with ``prefecture``), "pref-NN", "custom"
            (with ``csv``), or "japan" (all 1,741 municipalities, each prefecture laid out around
            its office; commuting stays inside prefectures; used for national calibration).
        prefecture: Japanese name, romanised name or two-digit code, for key "prefecture".
        csv: path of a user CSV, for key "custom". Required columns: ``code, name, pop_male,
            pop_female``. Any column of :data:`COLUMNS` (and ``pop_65plus_male/female``) may be
            given; missing ones are filled from national shares scaled to each municipality.
        municipalities: optional subset, by code, Japanese name or romanised name.

    Returns:
        The :class:`Region`.

    Raises:
        ConfigError: one line naming the key, file, row or column at fault.
    """
    k = str(key).strip().lower()
    if (prefecture is not None and k != "prefecture") or (csv is not None and k != "custom"):
        raise ConfigError(f"region.key: {key!r} takes no prefecture/csv argument")
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
        prefs = _read_data("prefectures.csv", files)
        parts = [
            _census_region(row.code, (row.office_lat, row.office_lon), files).assign(
                prefecture_code=row.code
            )
            for row in prefs.itertuples()
        ]
        frame = pd.concat(parts, ignore_index=True)
        name_ja, name_en = "全国", "Japan"
    elif k == "custom":
        if csv is None:
            raise ConfigError("region.csv: key 'custom' needs a csv path")
        frame = _read_custom(Path(csv), files)
        name_ja = name_en = Path(csv).stem
        k = f"custom:{name_ja}"
    else:
        raise ConfigError(f"region.key: unknown region {key!r}; valid keys: {list(VALID_KEYS)}")
    if municipalities is not None:
        frame = _subset(frame, municipalities)
    for name in ("national_age_sex_2020.csv", "national_profiles.csv"):  # used by synthesiser
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


def municipal_age_sex(region: Region) -> np.ndarray:
    """Municipal population by 5-year band and sex, shape (M, 21, 2), integer counts.

    An approximation: each municipality's broad-age counts (0-14, 15-64, 65-74, 75+ by sex) are
    spread over the 5-year bands of that group in proportion to the national 2020 profile, with
    largest-remainder rounding, so every broad group (and each row's total) is exact.

    Args:
        region: the region.

    Returns:
        Counts indexed [municipality, band of :data:`AGE_BANDS`, sex (0 male, 1 female)].
    """
    nat = national_age_sex()
    mun = region.municipalities
    out = np.zeros((len(mun), len(AGE_BANDS), 2), dtype=np.int64)
    for j, sex in enumerate(SEXES):
        for group, lo, hi in BROAD_GROUPS:
            weights = nat[sex].to_numpy(float)[lo:hi]
            totals = mun[f"pop_{group}_{sex}"].to_numpy(np.int64)
            out[:, lo:hi, j] = _largest_remainder(totals, weights / weights.sum())
    return out


def _largest_remainder(totals: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Split each integer total over ``shares`` into integers summing exactly to the total."""
    exact = totals[:, None] * shares
    base = np.floor(exact).astype(np.int64)
    short = totals - base.sum(axis=1)
    order = np.argsort(-(exact - base), axis=1, kind="stable")
    rank = np.argsort(order, axis=1, kind="stable")
    return base + (rank < short[:, None])


# --- user CSV ----------------------------------------------------------------------------------
#: Largest custom region file read (bytes); all 1,741 municipalities with every column are ~0.5 MB.
MAX_CSV_BYTES = 4 * 2**20
#: Most data rows of a custom region (Japan has 1,741 municipalities).
MAX_CSV_ROWS = 2_000
#: Most columns of a custom region file (it has at most 37 meaningful ones).
MAX_CSV_COLUMNS = 200
#: Longest field (characters): names and codes are short.
MAX_FIELD_CHARS = 200
#: Largest count in a row (persons, households; 横浜市, the largest municipality, has 3.8 million).
MAX_ROW_COUNT = 20_000_000
#: Largest total population of a custom region (Japan: 126 million in 2020).
MAX_REGION_POPULATION = 130_000_000
#: Upper bounds of the other numeric columns (北海道 is 83,424 km²; 千代田区's day/night ratio is
#: about 1,460 %).
_MAX_VALUE = {"area_km2": 100_000.0, "habitable_area_km2": 100_000.0, "day_night_ratio": 10_000.0}
_REQUIRED = ("code", "name", "pop_male", "pop_female")
_WHOLE = (*COUNT_COLUMNS, "pop_65plus_male", "pop_65plus_female", "elementary_schools")
_NUMERIC = (*_WHOLE, "area_km2", "habitable_area_km2", "day_night_ratio", "lat", "lon")


def _read_custom(path: Path, files: dict[str, str]) -> pd.DataFrame:
    """Read, validate and complete a user CSV (UTF-8 or cp932); see :func:`load_region`."""
    label = f"region.csv {path}"
    if not path.exists():
        raise ConfigError(f"{label}: file not found")
    if not path.is_file():
        raise ConfigError(f"{label}: not a regular file")
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise ConfigError(
                f"{label}: file too large ({size:,} bytes; a region table is at most "
                f"{MAX_CSV_BYTES:,} bytes)"
            )
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{label}: cannot read file ({err.strerror})") from None
    files[str(path.resolve())] = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp932", errors="replace")
    if not text.strip():
        raise ConfigError(f"{label}: empty file")
    if "\x00" in text:
        raise ConfigError(f"{label}: contains NUL bytes (binary or UTF-16?); save it as UTF-8 CSV")
    _check_shape(text, label)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).fillna("")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        first = (str(err).splitlines() or [type(err).__name__])[0]
        raise ConfigError(f"{label}: not a valid CSV ({first})") from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) > MAX_CSV_ROWS:
        raise ConfigError(f"{label}: {len(df):,} data rows; at most {MAX_CSV_ROWS:,}")
    _check_field_lengths(df, label)
    if missing := [c for c in _REQUIRED if c not in df.columns]:
        raise ConfigError(f"{label}: missing required column(s) {missing}")
    for col in set(df.columns) - set(COLUMNS) - set(_NUMERIC):
        if near := difflib.get_close_matches(col, [*COLUMNS, *_NUMERIC], n=1, cutoff=0.85):
            raise ConfigError(f"{label}: unknown column {col!r}; did you mean {near[0]!r}?")
    if df.empty:
        raise ConfigError(f"{label}: no data rows")
    return _complete(_parse(df.apply(lambda c: c.str.strip()), label), label, files)


def _check_shape(text: str, label: str) -> None:
    """Refuse, before parsing, a table with too many columns or lines, or an over-long header."""
    header = next(csv.reader([text.lstrip("\ufeff").split("\n", 1)[0]]), [])
    if len(header) > MAX_CSV_COLUMNS:
        raise ConfigError(f"{label}: {len(header):,} columns; at most {MAX_CSV_COLUMNS}")
    for j, name in enumerate(header):
        if len(name) > MAX_FIELD_CHARS:
            raise ConfigError(
                f"{label}: header column {j + 1} is {len(name):,} characters long "
                f"(at most {MAX_FIELD_CHARS})"
            )
    lines = sum(1 for line in text.splitlines() if line.strip())
    if lines > MAX_CSV_ROWS + 1:
        raise ConfigError(f"{label}: {lines - 1:,} data rows; at most {MAX_CSV_ROWS:,}")


def _check_field_lengths(df: pd.DataFrame, label: str) -> None:
    """Refuse a field longer than :data:`MAX_FIELD_CHARS`, naming its row and column."""
    for col in df.columns:
        long = df[col].str.len().to_numpy() > MAX_FIELD_CHARS
        if long.any():
            i = int(np.argmax(long))
            raise ConfigError(
                f"{label}: row {i + 1}, column {col!r}: {len(df[col].iat[i]):,} characters "
                f"(at most {MAX_FIELD_CHARS})"
            )


def _require(ok: np.ndarray, df: pd.DataFrame, label: str, msg: str) -> None:
    """Raise ConfigError naming the first row where ``ok`` is False (rows count from 1)."""
    ok = np.broadcast_to(np.asarray(ok, bool), (len(df),))
    if not ok.all():
        i = int(np.argmin(ok))
        raise ConfigError(f"{label}: row {i + 1} (code {df['code'].iat[i]}): {msg}")


def _parse(df: pd.DataFrame, label: str) -> pd.DataFrame:
    """Normalise codes, check names, and turn numeric columns into floats (NaN where empty)."""
    code = df["code"].str.removeprefix("R")
    _require(code.str.fullmatch(r"\d{1,5}"), df, label, "code must be a code of up to 5 digits")
    df["code"] = code.str.zfill(5)
    _require(~df["code"].duplicated(), df, label, "duplicate code (also on an earlier row)")
    _require(df["name"] != "", df, label, "name is empty")
    for col in (c for c in _NUMERIC if c in df.columns):
        text = df[col]
        num = pd.to_numeric(text, errors="coerce").astype(float).to_numpy()
        bad = ((text != "") | (col in _REQUIRED)) & ~(np.isfinite(num) & (num >= 0))
        bad |= (col in _WHOLE) & np.isfinite(num) & (num != np.round(num))
        if bad.any():
            kind = "whole number" if col in _WHOLE else "number"
            got = text.iat[int(np.argmax(bad))]
            _require(~bad, df, label, f"{col} must be a non-negative {kind}, got {got!r}")
        top = MAX_ROW_COUNT if col in _WHOLE else _MAX_VALUE.get(col, np.inf)
        if (num > top).any():
            got = text.iat[int(np.argmax(num > top))]
            _require(~(num > top), df, label, f"{col}={got} is impossible (at most {top:,.0f})")
        df[col] = num
    _require(
        df["pop_male"] + df["pop_female"] > 0, df, label, "pop_male + pop_female must be positive"
    )
    total = float((df["pop_male"] + df["pop_female"]).sum())
    if total > MAX_REGION_POPULATION:
        raise ConfigError(
            f"{label}: population {total:,.0f} is impossible (Japan has 126 million; at most "
            f"{MAX_REGION_POPULATION:,})"
        )
    return df


def _national_rates(files: dict[str, str]) -> dict[str, float]:
    """National ratios (2020 census sums over all municipalities) used to fill missing columns."""
    s = _read_data("municipalities_2020.csv", files).sum(numeric_only=True)
    nat = _read_data("national_age_sex_2020.csv", files)
    p65 = s["pop_65plus_male"] + s["pop_65plus_female"]
    gh = s["general_households"]
    rates = {
        "members_per_person": s["general_household_members"] / s["pop_total"],
        "household_size": s["general_household_members"] / gh,
        "single": s["single_person_households"] / gh,
        "nuclear": s["nuclear_family_households"] / gh,
        "single_65plus": s["single_65plus_households"] / p65,
        "elderly_couple": s["elderly_couple_households"] / p65,
        "area_km2": s["area_km2"] / s["pop_total"],
        "habitable_area_km2": s["habitable_area_km2"] / s["pop_total"],
        "schools": s["elementary_schools_2021"] / (s["pop_0_14_male"] + s["pop_0_14_female"]),
    }
    for sex in SEXES:
        known = sum(s[f"{c}_{sex}"] for c in LABOUR_COLUMNS)
        rates |= {f"{c}_{sex}": s[f"{c}_{sex}"] / known for c in LABOUR_COLUMNS}
        rates |= {f"{g}_{sex}": nat[sex].iloc[lo:hi].sum() for g, lo, hi in BROAD_GROUPS}
    return rates


def _col(df: pd.DataFrame, col: str) -> np.ndarray:
    """A numeric column as floats, all NaN if absent."""
    return df[col].to_numpy(float) if col in df.columns else np.full(len(df), np.nan)


def _tolerance(pop: np.ndarray) -> np.ndarray:
    """Slack allowed between counts that should nest: 0.5% of the population, at least 2."""
    return np.maximum(2.0, 0.005 * pop)


def _fill_ages(df: pd.DataFrame, rates: dict[str, float], label: str) -> None:
    """Complete the broad age groups by sex, in place.

    Missing groups share what the given ones leave, in national proportions; a given
    ``pop_65plus_<sex>`` stands for 65-74 plus 75+.
    """
    for sex in SEXES:
        v = np.stack([_col(df, f"pop_{g}_{sex}") for g, _, _ in BROAD_GROUPS], axis=1)
        nat = np.array([rates[f"{g}_{sex}"] for g, _, _ in BROAD_GROUPS])
        p65, pop = _col(df, f"pop_65plus_{sex}"), df[f"pop_{sex}"].to_numpy(float)
        has = np.isfinite(p65)
        both = has & np.isnan(v[:, 2]) & np.isnan(v[:, 3])
        v[both, 2] = np.round(p65[both] * nat[2] / (nat[2] + nat[3]))
        v[:, 2] = np.where(has & np.isnan(v[:, 2]), p65 - v[:, 3], v[:, 2])
        v[:, 3] = np.where(has & np.isnan(v[:, 3]), p65 - v[:, 2], v[:, 3])
        ok = ~has | ((v[:, 2] >= 0) & (v[:, 3] >= 0) & (v[:, 2] + v[:, 3] == p65))
        _require(ok, df, label, f"pop_65plus_{sex} must equal pop_65_74_{sex} + pop_75plus_{sex}")
        gap = pop - np.nansum(v, axis=1)
        _require(gap >= -_tolerance(pop), df, label, f"{sex} age groups sum to more than pop_{sex}")
        w = np.where(np.isnan(v), nat, 0.0)
        shares = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-300)
        fill = _largest_remainder(np.maximum(gap, 0).astype(np.int64), shares)
        for j, (g, _, _) in enumerate(BROAD_GROUPS):
            df[f"pop_{g}_{sex}"] = np.where(np.isnan(v[:, j]), fill[:, j], v[:, j])


def _fill(df: pd.DataFrame, col: str, value: np.ndarray) -> np.ndarray:
    """Keep the given values of ``col``, fill the others with ``value`` (rounded for counts)."""
    value = np.round(value) if col in _WHOLE else value
    df[col] = np.where(np.isfinite(_col(df, col)), _col(df, col), value)
    return df[col].to_numpy(float)


def _complete(df: pd.DataFrame, label: str, files: dict[str, str]) -> pd.DataFrame:
    """Fill missing columns from national shares, check consistency, lay out coordinates."""
    r = _national_rates(files)
    pop = _fill(df, "pop_total", df["pop_male"] + df["pop_female"])
    _fill_ages(df, r, label)
    p65, p15 = (
        sum(df[f"pop_{g}_{s}"].to_numpy(float) for g in groups for s in SEXES)
        for groups in (("65_74", "75plus"), ("15_64", "65_74", "75plus"))
    )
    members = _col(df, "general_household_members")
    members = np.where(np.isnan(members), pop * r["members_per_person"], members)
    gh = _fill(df, "general_households", members / r["household_size"])
    _fill(df, "general_household_members", np.minimum(gh * r["household_size"], pop))
    single = _fill(df, "single_person_households", gh * r["single"])
    nuclear = _fill(df, "nuclear_family_households", np.clip(gh - single, 0, gh * r["nuclear"]))
    _fill(df, "single_65plus_households", np.minimum(p65 * r["single_65plus"], single))
    _fill(df, "elderly_couple_households", np.minimum(p65 * r["elderly_couple"], nuclear))
    room = p15.copy()
    for c in LABOUR_COLUMNS:
        share = sum(
            df[f"pop_{g}_{s}"] * r[f"{c}_{s}"] for g in ("15_64", "65_74", "75plus") for s in SEXES
        )
        room -= _fill(df, c, np.minimum(share, np.maximum(room, 0)))
    _fill(df, "area_km2", pop * r["area_km2"])
    _fill(df, "habitable_area_km2", pop * r["habitable_area_km2"])
    kids = (df["pop_0_14_male"] + df["pop_0_14_female"]).to_numpy(float)
    _fill(df, "elementary_schools", np.where(kids > 0, np.maximum(1, kids * r["schools"]), 0))
    _fill(df, "day_night_ratio", np.full(len(df), np.nan))
    lat, lon = _col(df, "lat"), _col(df, "lon")
    has_xy = np.isfinite(lat) & np.isfinite(lon)
    ok = (np.isfinite(lat) == np.isfinite(lon)) & (has_xy | ~has_xy.any())
    _require(ok, df, label, "lat and lon must be given for every row or none")
    _check_custom(df, label, p15)
    df = df.assign(lat=lat, lon=lon, coord_flag=np.where(has_xy, "U", ""))
    df = df.astype({c: np.int64 for c in COUNT_COLUMNS})
    df["name_en"] = df["name_en"] if "name_en" in df.columns else ""
    df["kind"] = [_kind(n, p) for n, p in zip(df["name"], pop, strict=True)]
    pcode, centre = df["code"].iat[0][:2], _CENTRE_OF_JAPAN
    if 1 <= int(pcode) <= 47:
        pref = prefectures().set_index("code").loc[pcode]
        centre = (float(pref["office_lat"]), float(pref["office_lon"]))
    return _synthetic_layout(df[[c for c in COLUMNS if c in df.columns]], centre)


def _check_custom(df: pd.DataFrame, label: str, p15: np.ndarray) -> None:
    """Raise ConfigError at the first row whose counts do not nest or lie outside Japan."""
    c = {k: _col(df, k) for k in _NUMERIC}
    tol = _tolerance(c["pop_total"])
    lat_lo, lat_hi, lon_lo, lon_hi = _JAPAN_BOX
    inside = (
        (c["lat"] >= lat_lo) & (c["lat"] <= lat_hi) & (c["lon"] >= lon_lo) & (c["lon"] <= lon_hi)
    )
    checks = (
        (abs(c["pop_total"] - c["pop_male"] - c["pop_female"]) <= tol,
         "pop_total must equal pop_male + pop_female"),
        (c["general_household_members"] <= c["pop_total"] + tol,
         "general_household_members exceeds pop_total"),
        (c["general_households"] <= c["general_household_members"],
         "general_households exceeds general_household_members"),
        (c["single_person_households"] + c["nuclear_family_households"] <= c["general_households"],
         "single_person + nuclear_family households exceed general_households"),
        (c["single_65plus_households"] <= c["single_person_households"],
         "single_65plus_households exceeds single_person_households"),
        (c["elderly_couple_households"] <= c["nuclear_family_households"],
         "elderly_couple_households exceeds nuclear_family_households"),
        (sum(c[k] for k in LABOUR_COLUMNS) <= p15 + tol,
         "employed + unemployed + not_in_labour_force exceed the population aged 15+"),
        (c["habitable_area_km2"] <= c["area_km2"] + 0.01, "habitable_area_km2 exceeds area_km2"),
        (np.isnan(c["lat"]) | inside, "lat/lon outside Japan (lat 20-46, lon 122-154)"),
    )  # fmt: skip
    for ok, msg in checks:
        _require(ok, df, label, msg)
