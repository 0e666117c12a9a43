"""A user's municipality table (``region=custom region.csv=PATH``): read, checked and completed.

The file is read defensively (size, rows, columns and field length capped; UTF-8 only; formula
and NUL characters refused), every count is checked, and the columns a run needs but the file
leaves out are filled from the national rates of ``sim/data`` (ages, households, labour).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.params import ConfigError
from sim.world.age_profiles import largest_remainder
from sim.world.region import (
    _CENTRE_OF_JAPAN,
    _JAPAN_BOX,
    BROAD_GROUPS,
    COLUMNS,
    COUNT_COLUMNS,
    LABOUR_COLUMNS,
    SEXES,
    _kind,
    _read_data,
    _synthetic_layout,
    prefectures,
)

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


def read_custom(path: Path, files: dict[str, str]) -> pd.DataFrame:
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
        fill = largest_remainder(np.maximum(gap, 0).astype(np.int64), shares)
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
