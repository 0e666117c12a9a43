"""Annual demographic rates by municipality, single year of age and sex, from official data.

A pure module: :func:`demography_rates` turns a region's municipality table and its census age-sex
counts into the annual probabilities and rates the weekly demography process draws from. Ages are
single years 0..110 (110 stands for 110+); sex index 0 is male, 1 female. Every rate is per year;
the engine converts to its step. Inputs: ``sim/data/demography_inputs.csv`` and the vital columns
of ``sim/data/municipalities_2020.csv`` (see ``sim/data/SOURCES.md``).

Method:

1. **Death** (probability of dying within a year). The national 2020 life table gives ``q5``, the
   probability of dying within each 5-year band; inside a band the hazard is constant, so the
   single-year probability is ``q1 = 1 - (1 - q5) ** (1/5)``. From 90 the table's ``q1`` at 90
   rises geometrically (Gompertz, ``gompertz_growth`` 1.10 per year of age, flag A) and is capped
   at ``death_probability_cap`` 0.6 (A). Life expectancy at birth from this single-year table
   (deaths at mid-year, 110+ as an open interval) is 81.42 (male) and 87.92 (female) against the
   official 81.56 and 87.71 (``life_expectancy(national_death_probability()[:, s])``; tested).
   The regional factor is per *prefecture*: observed 2020 deaths of all its municipalities
   (``deaths_2020``, 人口動態統計) over the deaths the national table expects for its census
   population (the prefecture's 2020 census 5-year bands, ``prefecture_age_sex_2020.csv``, which
   :func:`sim.world.age_profiles.municipal_age_sex` reproduces, scaled by ``pop_total /
   age-known total``).
   Death probabilities are ``1 - (1 - q) ** (factor * mortality_scale)`` (hazard multiplied).
2. **Fertility** (live births per woman per year, all women). The national 2023 age-specific rates
   (5-year sums / 5 per single year, 15..49) are rescaled to the 2020 national TFR 1.33 (the 2023
   sum is 1.2013), so the shape is 2023's and the level is that of the year the births were
   counted. The prefecture factor is observed 2020 births (``births_2020``) over the births those
   rates expect for its women by age, so the rates reproduce 2020 births on the simulated
   (spread) population. The implied TFR (``1.33 * factor / national factor``,
   :func:`prefecture_factors`) is Tottori 1.52 and Kochi 1.44 against the published 1.60 (2022)
   / 1.63 (2019) and 1.48 (2020) (tests/world/test_demography_rates.py). It was 0.17-0.19 lower
   when the national profile spread each prefecture's 15-64 group, overstating women aged 25-39
   in ageing prefectures.
3. **Migration.** SSDSE's ``out_migrants_2021`` and ``in_migrants_2021`` count Japanese movers
   across the municipality's border in 2021 (住民基本台帳人口移動報告), including moves to and from
   other municipalities of the same prefecture. Gross rates are these counts over ``pop_total``.
   No published age profile of movers is shipped, so movers follow an assumed profile (flag A,
   ``migration_age_share`` and ``migration_male_share`` rows: about half aged 15-34, spread
   within each age group like the national population). ``out_migration[m, a, s] = k[m] *
   profile[a, s] / national_share[a, s]``, with ``k[m]`` chosen so that the municipality's
   census age structure yields its out rate times its population exactly (then capped at 0.5).
   In-migrants arrive at ``in_migrants[m] * population`` per year with ages ``in_age_sex``
   (the profile, summing to 1). Summed over a prefecture, moves between its own municipalities
   add equally to in and out, so the prefecture's net (in - out) equals its net exchange with
   other prefectures (for Tottori, 2021: -870, against -894 published for 2020), while its
   gross flows are inflated by those internal moves: a region that is a whole prefecture
   exchanges internal movers with itself. The engine decides whether an out-mover to a
   municipality of the region stays in the simulation.
4. **Household transitions** are declared parameters: ``leave_home`` (18..29) and ``care_entry``
   (65+, living alone; rising by ``care_entry_growth`` per year of age from its value at 80).

Municipalities without the vital columns (custom regions), or with NaN there, get factor 1 and the
national gross migration rates. A negative vital count is a :class:`ConfigError`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.params import ConfigError
from sim.world.demography_params import DemographyParams
from sim.world.region import SEXES, Region, _data_bytes, _read_data, national_age_sex

AGES = 111
VITAL_COLUMNS: tuple[str, ...] = (
    "births_2020",
    "deaths_2020",
    "in_migrants_2021",
    "out_migrants_2021",
)
OUT_CAP = 0.5
_INPUTS = "demography_inputs.csv"


@dataclass(frozen=True)
class DemographyRates:
    """Annual demographic rates of a region (see the module docstring for the method).

    Attributes:
        ages: number of single-year ages (111: 0..110, 110 = 110+).
        death: (M, 111, 2) annual probability of dying.
        fertility: (M, 111) annual live births per woman (0 outside 15..49).
        out_migration: (M, 111, 2) annual probability of moving out of the municipality.
        in_migrants: (M,) in-migrants per year per resident.
        in_age_sex: (111, 2) age-sex distribution of in-migrants (sums to 1).
        leave_home: (111,) annual probability of leaving the parental home (0 outside 18..29).
        care_entry: (111,) annual probability of entering care when living alone (0 below 65).
        mortality_factor: (M,) prefecture mortality factor applied (before mortality_scale).
        fertility_factor: (M,) prefecture fertility factor applied (before fertility_scale).
    """

    ages: int
    death: np.ndarray
    fertility: np.ndarray
    out_migration: np.ndarray
    in_migrants: np.ndarray
    in_age_sex: np.ndarray
    leave_home: np.ndarray
    care_entry: np.ndarray
    mortality_factor: np.ndarray
    fertility_factor: np.ndarray


def demography_inputs() -> pd.DataFrame:
    """The shipped ``demography_inputs.csv`` (item, region, year, sex, age, value, unit, flag)."""
    return pd.read_csv(io.BytesIO(_data_bytes(_INPUTS)), dtype=str, keep_default_na=False)


def _rows(inp: pd.DataFrame, item: str, sex: str | None = None) -> pd.DataFrame:
    hit = inp[(inp["item"] == item) & ((inp["sex"] == sex) if sex else True)]
    if hit.empty:
        raise ConfigError(f"{_INPUTS}: no rows for item {item!r}" + (f" sex {sex}" if sex else ""))
    return hit


def _span(label: str) -> tuple[int, int]:
    """Age span of a label: "20-24" -> (20, 25); "90+" -> (90, 111); "65" -> (65, 66)."""
    text = str(label).strip()
    if text.endswith("+"):
        return int(text[:-1]), AGES
    lo, _, hi = text.partition("-")
    return int(lo), int(hi or lo) + 1


def national_death_probability(inp: pd.DataFrame | None = None) -> np.ndarray:
    """National 2020 annual death probability, shape (111, 2) (see the module docstring, step 1)."""
    inp = demography_inputs() if inp is None else inp
    growth = float(_rows(inp, "gompertz_growth")["value"].iloc[0])
    cap = float(_rows(inp, "death_probability_cap")["value"].iloc[0])
    q = np.zeros((AGES, 2))
    for j, sex in enumerate(SEXES):
        q5 = _rows(inp, "q5", sex)
        for age, value in zip(q5["age"].astype(int), q5["value"].astype(float), strict=True):
            q[age : age + 5, j] = 1.0 - (1.0 - value) ** 0.2
        q90 = float(_rows(inp, "q1", sex)["value"].iloc[0])
        q[90:, j] = np.minimum(cap, q90 * growth ** np.arange(AGES - 90))
    if not (q[:90] > 0).all():
        raise ConfigError(f"{_INPUTS}: q5 rows must cover ages 0-89 for both sexes")
    return q


def life_expectancy(q: np.ndarray) -> float:
    """Life expectancy at birth (years) of single-year death probabilities ``q`` (111,).

    Deaths fall at mid-year; the last age is open, with remaining life ``1 / -ln(1 - q)``.
    """
    survivors = np.concatenate([[1.0], np.cumprod(1.0 - q[:-1])])
    lived = survivors[:-1] * (1.0 - q[:-1] / 2.0)
    return float(lived.sum() + survivors[-1] / -np.log1p(-q[-1]))


def national_tfr_2020(inp: pd.DataFrame | None = None) -> float:
    """The 2020 national TFR (1.33), row ``tfr / Japan / 2020`` of ``demography_inputs.csv``."""
    inp = demography_inputs() if inp is None else inp
    hit = _rows(inp, "tfr")
    hit = hit[(hit["region"] == "Japan") & (hit["year"] == "2020")]
    if len(hit) != 1:
        raise ConfigError(f"{_INPUTS}: expected one row tfr/Japan/2020, found {len(hit)}")
    return float(hit["value"].iloc[0])


def national_fertility(inp: pd.DataFrame | None = None) -> np.ndarray:
    """National annual births per woman by single year (111,): 2023 shape at the 2020 TFR."""
    inp = demography_inputs() if inp is None else inp
    f = np.zeros(AGES)
    for age, value in _rows(inp, "asfr_sum5")[["age", "value"]].itertuples(index=False):
        f[int(age) : int(age) + 5] = float(value) / 5.0
    return f * national_tfr_2020(inp) / f.sum()


def single_years(age_sex: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Spread (M, 21, 2) band counts over single years (M, 111, 2), float.

    Bands 0-4 .. 95-99 are split evenly; 100+ over 100..110 in proportion to survivorship from 100
    under the death probabilities ``q`` (111, 2).
    """
    counts = np.asarray(age_sex, dtype=float)
    out = np.repeat(counts[:, :20, :] / 5.0, 5, axis=1)
    alive = np.concatenate([np.ones((1, 2)), np.cumprod(1.0 - q[100:-1], axis=0)])
    top = counts[:, 20:21, :] * (alive / alive.sum(axis=0))[None]
    return np.concatenate([out, top], axis=1)


def prefecture_age_sex() -> tuple[pd.DataFrame, np.ndarray]:
    """Every prefecture's census counts (P, 21, 2) by 5-year band and sex.

    The 2020 census 5-year bands of each prefecture (:func:`sim.world.age_profiles.
    prefecture_bands`; their broad groups equal the municipal table's sums, so they are what
    :func:`sim.world.age_profiles.municipal_age_sex` sums to, without rounding), scaled by
    ``pop_total / age-known total``. Returns the per-prefecture sums of the vital columns and
    ``pop_total`` (indexed by prefecture code) and the counts in the same order.
    """
    from sim.world.age_profiles import prefecture_bands

    mun = _read_data("municipalities_2020.csv")
    pref = mun.groupby("prefecture_code").sum(numeric_only=True)
    codes, bands = prefecture_bands()
    if tuple(pref.index) != codes:
        raise ConfigError(
            "prefecture_age_sex_2020.csv: prefectures differ from the municipal table"
        )
    counts = np.array(bands, dtype=float)
    known = counts.sum(axis=(1, 2))
    counts *= (pref["pop_total"].to_numpy(float) / np.where(known > 0, known, 1.0))[:, None, None]
    return pref[["pop_total", *VITAL_COLUMNS]], counts


def prefecture_factors(inp: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mortality and fertility factors of every prefecture (observed over expected events).

    Returns:
        Indexed by prefecture code: ``deaths_observed, deaths_expected, mortality_factor,
        births_observed, births_expected, fertility_factor, implied_tfr``. The factors are
        absolute (they reproduce the observed events on the census population); the implied
        TFR is relative to the nation (``1.33 * factor / national factor``), because the
        national factor is below 1 (births count Japanese mothers, the census population
        includes foreign residents and the unknown-age scaling).
    """
    inp = demography_inputs() if inp is None else inp
    q = national_death_probability(inp)
    pref, counts = prefecture_age_sex()
    pop = single_years(counts, q)
    out = pd.DataFrame(index=pref.index)
    out["deaths_observed"] = pref["deaths_2020"].astype(float)
    out["deaths_expected"] = (pop * q[None]).sum(axis=(1, 2))
    out["mortality_factor"] = out["deaths_observed"] / out["deaths_expected"]
    out["births_observed"] = pref["births_2020"].astype(float)
    out["births_expected"] = pop[:, :, 1] @ national_fertility(inp)
    out["fertility_factor"] = out["births_observed"] / out["births_expected"]
    national = out["births_observed"].sum() / out["births_expected"].sum()
    out["implied_tfr"] = national_tfr_2020(inp) * out["fertility_factor"] / national
    return out


def migration_profile(q: np.ndarray, inp: pd.DataFrame | None = None) -> np.ndarray:
    """Assumed age-sex distribution of movers (111, 2), summing to 1 (module docstring, step 3)."""
    inp = demography_inputs() if inp is None else inp
    nat = single_years(national_age_sex()[list(SEXES)].to_numpy(float)[None], q)[0]
    male = np.zeros(AGES)
    for age, value in _rows(inp, "migration_male_share")[["age", "value"]].itertuples(index=False):
        lo, hi = _span(age)
        male[lo:hi] = float(value) / 100.0
    prof = np.zeros((AGES, 2))
    for age, value in _rows(inp, "migration_age_share")[["age", "value"]].itertuples(index=False):
        lo, hi = _span(age)
        for j, share in enumerate((male[lo:hi], 1.0 - male[lo:hi])):
            prof[lo:hi, j] = float(value) * share * nat[lo:hi, j] / nat[lo:hi, j].sum()
    return prof / prof.sum()


def _vital(municipalities: pd.DataFrame) -> pd.DataFrame:
    """The vital columns as floats (NaN where missing); ConfigError on a negative count."""
    out = pd.DataFrame(index=municipalities.index)
    for c in VITAL_COLUMNS:
        out[c] = (
            pd.to_numeric(municipalities[c], errors="coerce") if c in municipalities else np.nan
        )
        bad = out[c] < 0
        if bad.any():
            code = municipalities["code"][bad].iloc[0] if "code" in municipalities else "?"
            raise ConfigError(f"municipalities.{c}: negative value for municipality {code}")
    return out


def demography_rates(
    municipalities: pd.DataFrame, age_sex: np.ndarray, params: DemographyParams
) -> DemographyRates:
    """Annual demographic rates of a region's municipalities.

    Args:
        municipalities: the region's table (``code``, ``pop_total``; optionally
            ``prefecture_code`` and the :data:`VITAL_COLUMNS`, see :func:`with_vital_columns`).
        age_sex: (M, 21, 2) census counts by 5-year band and sex
            (:func:`sim.world.age_profiles.municipal_age_sex`).
        params: the declared parameters.

    Returns:
        The :class:`DemographyRates`.

    Raises:
        ConfigError: a negative vital count (naming the column) or mismatched shapes.
    """
    m = len(municipalities)
    counts = np.asarray(age_sex, dtype=float)
    if counts.shape != (m, 21, 2):
        raise ConfigError(f"demography: age_sex has shape {counts.shape}, expected ({m}, 21, 2)")
    vital = _vital(municipalities)
    inp = demography_inputs()
    q = national_death_probability(inp)
    factors = prefecture_factors(inp)
    pcode = (
        municipalities["prefecture_code"].astype(str)
        if "prefecture_code" in municipalities
        else municipalities["code"].astype(str).str[:2]
    )
    known = pcode.isin(factors.index).to_numpy()

    def factor(column: str, kind: str) -> np.ndarray:
        got = factors[kind].reindex(pcode.where(known, factors.index[0])).to_numpy(float)
        return np.where(known & vital[column].notna().to_numpy(), got, 1.0)

    mort = factor("deaths_2020", "mortality_factor")
    fert = factor("births_2020", "fertility_factor")
    hazard = -np.log1p(-q)[None] * (mort * params.mortality_scale)[:, None, None]
    death = -np.expm1(-hazard)
    fertility = national_fertility(inp)[None] * (fert * params.fertility_scale)[:, None]

    pop_total = municipalities["pop_total"].to_numpy(float)
    national = _read_data("municipalities_2020.csv")
    nat_rate = national["out_migrants_2021"].sum() / national["pop_total"].sum()
    safe = np.where(pop_total > 0, pop_total, 1.0)
    out_rate = vital["out_migrants_2021"].div(safe).fillna(nat_rate).to_numpy()
    in_rate = vital["in_migrants_2021"].div(safe).fillna(nat_rate).to_numpy()
    profile = migration_profile(q, inp)
    nat_pop = single_years(national_age_sex()[list(SEXES)].to_numpy(float)[None], q)[0]
    rel = np.divide(profile, nat_pop / nat_pop.sum(), out=np.zeros_like(profile), where=nat_pop > 0)
    pop = single_years(counts, q)
    weighted = (pop * rel[None]).sum(axis=(1, 2))
    k = np.divide(out_rate * pop.sum(axis=(1, 2)), weighted, out=np.zeros(m), where=weighted > 0)
    out_migration = np.minimum(OUT_CAP, k[:, None, None] * rel[None] * params.migration_scale)

    ages = np.arange(AGES)
    leave = np.where((ages >= 18) & (ages <= 29), params.leave_home_rate, 0.0)
    growth = params.care_entry_growth ** (ages - 80.0)
    care = np.where(ages >= 65, np.minimum(0.5, params.care_entry_80 * growth), 0.0)
    return DemographyRates(
        ages=AGES,
        death=death,
        fertility=fertility,
        out_migration=out_migration,
        in_migrants=in_rate * params.migration_scale,
        in_age_sex=profile,
        leave_home=leave,
        care_entry=care,
        mortality_factor=mort,
        fertility_factor=fert,
    )


def with_vital_columns(region: Region) -> pd.DataFrame:
    """``region.municipalities`` with the packaged :data:`VITAL_COLUMNS` and ``prefecture_code``.

    ``sim.world.region`` does not carry the vital columns into ``Region.municipalities``; this
    joins them by code for census regions (tottori, kochi, pref-NN, japan). Custom regions keep
    NaN (national rates, factor 1), since their codes need not be real municipalities.
    """
    frame = region.municipalities.copy()
    if region.key.startswith("custom"):
        for c in VITAL_COLUMNS:
            frame[c] = np.nan
        return frame
    packaged = _read_data("municipalities_2020.csv").set_index("code")
    rows = packaged.reindex(frame["code"].astype(str))
    frame["prefecture_code"] = rows["prefecture_code"].to_numpy()
    for c in VITAL_COLUMNS:
        frame[c] = rows[c].to_numpy(float)
    return frame
