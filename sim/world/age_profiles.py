"""Five-year age bands by sex for each municipality, from census broad groups and a profile.

The municipal census table (``municipalities_2020.csv``) gives each municipality's residents by
sex in four broad groups only (0-14, 15-64, 65-74, 75+). :func:`municipal_age_sex` spreads each
group over its 5-year bands in proportion to a *profile*:

- for a municipality of a census region (a named region, any prefecture, or Japan), its
  prefecture's 2020 5-year bands (``prefecture_age_sex_2020.csv``, 2020 census 第2-1表);
- for a custom region, the national bands (``national_age_sex_2020.csv``).

Each broad group, and so each row's total, stays exact (largest-remainder rounding). Summed over a
whole prefecture the bands are the census's own 5-year counts up to rounding, because the
prefecture table's broad groups equal the municipal table's sums (tested). Inside a prefecture
every municipality gets the same shape within a group, so a town older than its prefecture is
still too young inside 65-74 or 75+ (``sim/data/SOURCES.md``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sim.world.region import AGE_BANDS, BROAD_GROUPS, SEXES, Region, _read_data, national_age_sex

PROFILE_FILE = "prefecture_age_sex_2020.csv"


@lru_cache(maxsize=1)
def prefecture_bands() -> tuple[tuple[str, ...], np.ndarray]:
    """The 47 prefectures' 2020 census counts by 5-year band and sex.

    Returns:
        Prefecture codes ("01".."47") and counts of shape (47, 21, 2) [prefecture, band, sex].
    """
    table = _read_data(PROFILE_FILE).rename(columns={"prefecture_code": "code"})
    table["code"] = table["code"].astype(str).str.zfill(2)
    codes = tuple(sorted(table["code"].unique()))
    counts = np.zeros((len(codes), len(AGE_BANDS), 2))
    for i, code in enumerate(codes):
        rows = table[table["code"] == code].sort_values("age_low")
        counts[i] = rows[list(SEXES)].to_numpy(float)
    counts.setflags(write=False)
    return codes, counts


def uses_prefecture_profile(region: Region) -> bool:
    """Whether a region's municipalities are spread by their prefecture's profile.

    :func:`sim.world.region.load_region` decides it (census regions yes, custom regions no) and
    records the profile file among the region's data files exactly when it applies.
    """
    return PROFILE_FILE in region.data_files


def profiles(region: Region) -> np.ndarray:
    """The band profile of each municipality, shape (M, 21, 2) (counts, not normalised)."""
    mun = region.municipalities
    national = national_age_sex()[list(SEXES)].to_numpy(float)
    if not uses_prefecture_profile(region):
        return np.broadcast_to(national, (len(mun), len(AGE_BANDS), 2))
    codes, counts = prefecture_bands()
    pcode = mun["prefecture_code"] if "prefecture_code" in mun else mun["code"].astype(str).str[:2]
    index = {c: i for i, c in enumerate(codes)}
    out = np.empty((len(mun), len(AGE_BANDS), 2))
    for row, code in enumerate(pcode.astype(str)):
        out[row] = counts[index[code]] if code in index else national
    return out


def municipal_age_sex(region: Region) -> np.ndarray:
    """Municipal population by 5-year band and sex, shape (M, 21, 2), integer counts.

    Each municipality's broad-age counts (0-14, 15-64, 65-74, 75+ by sex) are spread over the
    5-year bands of that group in proportion to its profile (:func:`profiles`), with
    largest-remainder rounding, so every broad group (and each row's total) is exact.

    Args:
        region: the region.

    Returns:
        Counts indexed [municipality, band of :data:`AGE_BANDS`, sex (0 male, 1 female)].
    """
    prof = profiles(region)
    mun = region.municipalities
    out = np.zeros((len(mun), len(AGE_BANDS), 2), dtype=np.int64)
    for j, sex in enumerate(SEXES):
        for group, lo, hi in BROAD_GROUPS:
            weights = prof[:, lo:hi, j]
            shares = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-300)
            totals = mun[f"pop_{group}_{sex}"].to_numpy(np.int64)
            out[:, lo:hi, j] = largest_remainder(totals, shares)
    return out


def largest_remainder(totals: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Split each integer total over its row of ``shares`` into integers summing to the total.

    Args:
        totals: (M,) integer totals.
        shares: (M, K) or (K,) shares, each row summing to 1.
    """
    exact = totals[:, None] * shares
    base = np.floor(exact).astype(np.int64)
    short = totals - base.sum(axis=1)
    order = np.argsort(-(exact - base), axis=1, kind="stable")
    rank = np.argsort(order, axis=1, kind="stable")
    return base + (rank < short[:, None])
