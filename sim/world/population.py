"""Synthetic population: residents as arrays, built to match the 2020 census per municipality.

:func:`synthesize` draws, per municipality, the census number of residents (times ``scale``) by
5-year age band and sex, groups them into households (:mod:`sim.world.households`), and gives them a
main activity, a marital status, a confidant (相談相手) and digital access by age and sex, and a
neighbourhood zone (about an elementary-school district).

Residents not in general households (institutions: the census population minus general-household
members, 2-3 %) each get a one-person household typed OTHER and flagged in
``household_institutional``. They never count as living alone: :meth:`Population.lives_alone`
and all household-type shares refer to general households only.

Every draw comes from named sub-streams of ``population`` (``population.ages``,
``population.households``, ``population.activity``, ``population.traits``, ``population.zones``),
so the population is fully determined by the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.codes import Activity, HouseholdType, Marital
from sim.core.params import ConfigError, validate
from sim.core.rng import Streams
from sim.world.households import HouseholdTargets, build_households

if TYPE_CHECKING:
    import pandas as pd

    from sim.world.region import Region

from sim.world.params import ADULT_BANDS, DIGITAL_BANDS, STUDENT_BANDS, PopulationParams
from sim.world.sampling import pick_quota, profile


@dataclass
class Zones:
    """Neighbourhood zones (about an elementary-school district)."""

    municipality: np.ndarray  # int16, zone -> municipality index
    x_km: np.ndarray  # float32 zone centre
    y_km: np.ndarray
    radius_km: np.ndarray  # float32 approximate zone radius

    @property
    def n(self) -> int:
        """Number of zones."""
        return len(self.municipality)


@dataclass
class Population:
    """Residents as arrays, sorted by household; per-household arrays have length H."""

    n: int
    age: np.ndarray
    sex: np.ndarray
    municipality: np.ndarray
    zone: np.ndarray
    household: np.ndarray
    household_start: np.ndarray
    household_size: np.ndarray
    household_type: np.ndarray
    household_institutional: np.ndarray  # bool per household: a one-person institutional place
    activity: np.ndarray
    marital: np.ndarray
    partner: np.ndarray  # int32 index of the spouse in the same household, -1 if none
    has_confidant: np.ndarray
    digital: np.ndarray
    zones: Zones

    def resident_household_type(self) -> np.ndarray:
        """Household type of each resident's household."""
        return self.household_type[self.household]

    def lives_alone(self) -> np.ndarray:
        """True for residents of one-person general households (institutions excluded)."""
        return self.resident_household_type() == HouseholdType.SINGLE


def synthesize(
    region: Region, params: PopulationParams, streams: Streams, *, age_sex: np.ndarray | None = None
) -> Population:
    """Build the synthetic population of a region.

    Args:
        region: municipalities with census counts (see :mod:`sim.world.region`).
        params: population parameters; validated here.
        streams: the run's named random streams.
        age_sex: (M, 21, 2) census counts by municipality, 5-year band and sex; defaults to
            ``sim.world.age_profiles.municipal_age_sex(region)``.

    Returns:
        The population, residents sorted by household.

    Raises:
        ConfigError: if a parameter is out of its declared range (e.g. ``population.scale``).
    """
    validate(params, PopulationParams, prefix="population.")
    if age_sex is None:
        from sim.world.age_profiles import municipal_age_sex

        age_sex = municipal_age_sex(region)
    mun = region.municipalities
    n_m = simulated_residents(mun, params)
    age, sex, m = draw_ages(n_m, np.asarray(age_sex, dtype=float), streams.get("population.ages"))
    if not (age >= 16).any():  # the survey, and every measure, is of residents aged 16+
        raise ConfigError(
            f"population.scale={params.scale:g}: the {len(age)} simulated residents of "
            f"{region.name_en} include no one aged 16+; raise population.scale"
        )
    hh, kind, inst, partner = _draw_households(mun, age, sex, m, n_m, params, streams)
    order = np.argsort(hh, kind="stable")
    age, sex, m, hh, partner = age[order], sex[order], m[order], hh[order], partner[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    partner = np.where(partner >= 0, rank[np.maximum(partner, 0)], -1)
    start = np.flatnonzero(np.r_[True, hh[1:] != hh[:-1]]) if len(hh) else np.zeros(0, np.int64)
    size = np.diff(np.r_[start, len(hh)])
    zones, hh_zone = draw_zones(mun, m[start], n_m, params, streams.get("population.zones"))
    act = draw_activity(mun, age, sex, m, params, streams.get("population.activity"))
    rng = streams.get("population.traits")
    return Population(
        n=len(age), age=age.astype(np.int16), sex=sex.astype(np.int8),
        municipality=m.astype(np.int16), zone=np.repeat(hh_zone, size).astype(np.int32),
        household=hh.astype(np.int32), household_start=start.astype(np.int64),
        household_size=size.astype(np.int16), household_type=kind, household_institutional=inst,
        activity=act, marital=draw_marital(age, sex, partner, params, rng),
        partner=partner.astype(np.int32), has_confidant=draw_confidant(age, sex, params, rng),
        digital=rng.random(len(age)) < profile(age, DIGITAL_BANDS, params.digital_share),
        zones=zones,
    )  # fmt: skip


def largest_remainder(x: np.ndarray) -> np.ndarray:
    """Round non-negative reals to integers whose sum is ``round(x.sum())`` (largest remainder)."""
    base = np.floor(x).astype(np.int64)
    extra = round(float(x.sum())) - int(base.sum())
    if extra > 0:
        base[np.argsort(-(x - base), kind="stable")[:extra]] += 1
    return base


def draw_ages(n_m: np.ndarray, age_sex: np.ndarray, rng) -> tuple[np.ndarray, ...]:
    """Age, sex and municipality per resident: band x sex quotas, single years uniform in band."""
    counts = band_sex_counts(n_m, age_sex)
    cells = np.tile(np.arange(counts.shape[1]), len(n_m))
    cell = np.repeat(cells, counts.ravel())
    m = np.repeat(np.arange(len(n_m)), counts.sum(axis=1))
    band, sex = cell // 2, cell % 2
    age = np.where(band == 20, 100, band * 5 + rng.integers(0, 5, len(cell)))
    return age.astype(np.int64), sex.astype(np.int64), m


def band_sex_counts(n_m: np.ndarray, age_sex: np.ndarray) -> np.ndarray:
    """Simulated residents per municipality and (5-year band, sex) cell, shape (M, 42).

    Each municipality's ``n_m`` residents are split over the census cells by largest
    remainder; cell ``2 * band + sex`` (no random draw, so it can be checked before a run).
    """
    age_sex = np.asarray(age_sex, dtype=float)
    share = age_sex / np.maximum(age_sex.sum(axis=(1, 2), keepdims=True), 1e-12)
    return np.stack([largest_remainder(n * s.ravel()) for n, s in zip(n_m, share, strict=True)])


def household_targets(row: Any, n: int, men65: int, women65: int, p: PopulationParams):
    """Scale one municipality's census household counts to its ``n`` simulated residents."""
    hp = p.households
    s = n / max(float(row.pop_total), 1.0)
    members = min(n, round(s * row.general_household_members))
    general = round(s * row.general_households)
    single = round(general * row.single_person_households / max(row.general_households, 1))
    census65 = (
        row.pop_65_74_male + row.pop_75plus_male,
        row.pop_65_74_female + row.pop_75plus_female,
    )
    base = hp.alone_65_share_male * census65[0] + hp.alone_65_share_female * census65[1]
    k = row.single_65plus_households / max(base, 1e-9)
    s65 = (round(k * hp.alone_65_share_male * men65), round(k * hp.alone_65_share_female * women65))
    s65 = (min(s65[0], single), min(s65[1], max(single - s65[0], 0)))
    nuclear = round(s * row.nuclear_family_households)
    split = np.array([hp.couple_only_share, hp.couple_children_share, hp.single_parent_share])
    c, cc, _ = largest_remainder(nuclear * split / split.sum())
    elderly = min(round(s * row.elderly_couple_households), nuclear)
    c = max(c, elderly)
    cc = min(cc, nuclear - c)
    return HouseholdTargets(
        members=members, single=single, single65=s65, elderly_couple=elderly, couple_only=c,
        couple_children=cc, single_parent=nuclear - c - cc,
        other=max(general - single - nuclear, 0),
    )  # fmt: skip


def _draw_households(mun, age, sex, m, n_m, params, streams):
    """Household id (global, municipality-major), type, institutional flag and spouse index."""
    rng = streams.get("population.households")
    hh = np.empty(len(age), np.int64)
    partner = np.full(len(age), -1, np.int64)
    kinds, insts, offset = [], [], 0
    bounds = np.r_[0, np.cumsum(n_m)]
    for i, row in enumerate(mun.itertuples(index=False)):
        sl = slice(bounds[i], bounds[i + 1])
        a, s = age[sl], sex[sl]
        men65, women65 = int(((a >= 65) & (s == 0)).sum()), int(((a >= 65) & (s == 1)).sum())
        t = household_targets(row, len(a), men65, women65, params)
        d = build_households(a, s, t, params.households, rng)
        hh[sl] = d.household + offset
        partner[sl] = np.where(d.partner >= 0, d.partner + bounds[i], -1)
        kinds.append(d.kind)
        insts.append(d.institutional)
        offset += len(d.kind)
    return hh, np.concatenate(kinds).astype(np.int8), np.concatenate(insts), partner


def _cells(age, sex, m, edges, n_mun) -> tuple[np.ndarray, int]:
    """Cell id (municipality x band x sex) per resident, and the cells per municipality."""
    band = np.clip(np.searchsorted(np.asarray(edges), age, side="right") - 1, 0, len(edges) - 1)
    per = 2 * len(edges)
    return m * per + band * 2 + sex, per


def calibrated_quota(counts: np.ndarray, rate: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-cell quotas: the rate profile shifted on the logit scale so each row sums to target.

    Args:
        counts: (M, C) eligible residents per municipality and cell.
        rate: (C,) national rate per cell.
        target: (M,) wanted total per municipality.
    """
    logit = np.log(np.clip(rate, 1e-6, 1 - 1e-6) / (1 - np.clip(rate, 1e-6, 1 - 1e-6)))
    lo, hi = np.full(len(target), -15.0), np.full(len(target), 15.0)
    for _ in range(50):
        mid = (lo + hi) / 2
        got = (counts / (1 + np.exp(-(logit + mid[:, None])))).sum(axis=1)
        lo, hi = np.where(got < target, mid, lo), np.where(got < target, hi, mid)
    p = 1 / (1 + np.exp(-(logit + ((lo + hi) / 2)[:, None])))
    # largest remainder within each municipality, so small cells are not all rounded away
    return np.stack([largest_remainder(row) for row in counts * p]).astype(np.int64)


def draw_activity(mun, age, sex, m, params: PopulationParams, rng) -> np.ndarray:
    """Main activity: school ages by share, then employment and unemployment to census totals."""
    act = np.full(len(age), Activity.CHILD, np.int8)
    act[(age >= 6) & (age < 15)] = Activity.STUDENT
    older = age >= 15
    student = older & (
        rng.random(len(age)) < profile(age, STUDENT_BANDS, (*params.student_share, 0))
    )
    act[student] = Activity.STUDENT
    labour = mun[["employed", "unemployed", "not_in_labour_force"]].to_numpy(float)
    share = labour / np.maximum(labour.sum(axis=1, keepdims=True), 1.0)
    n15 = np.bincount(m[older], minlength=len(mun))
    cell, per = _cells(age, sex, m, ADULT_BANDS, len(mun))
    rates = np.ravel(np.column_stack([params.employment_rate_male, params.employment_rate_female]))
    # unemployment is a share of the labour force: among the not employed of a cell (who are
    # eligible here), the unemployed share is e * u / ((1 - u) * (1 - e))
    u = np.repeat(np.asarray(params.unemployment_rate), 2)
    urate = np.clip(rates * u / ((1 - u) * np.maximum(1 - rates, 1e-3)), 0.0, 0.99)
    for code, rate, col in ((Activity.EMPLOYED, rates, 0), (Activity.UNEMPLOYED, urate, 1)):
        eligible = np.flatnonzero(older & (act == Activity.CHILD))
        counts = np.bincount(cell[eligible], minlength=len(mun) * per).reshape(len(mun), per)
        quota = calibrated_quota(counts, rate, share[:, col] * n15)
        act[pick_quota(eligible, cell[eligible], quota.ravel(), rng)] = code
    rest = older & (act == Activity.CHILD)
    retired = (age >= 65) | ((age >= 60) & (rng.random(len(age)) < params.retired_share_60_64))
    act[rest] = np.where(retired[rest], Activity.RETIRED, Activity.HOMEMAKER)
    return act


def draw_marital(age, sex, partner, params: PopulationParams, rng) -> np.ndarray:
    """Married if partnered; otherwise never married or widowed/divorced by age and sex."""
    hp = params.households
    never = np.where(sex == 0, profile(age, ADULT_BANDS, params.never_married_male),
                     profile(age, ADULT_BANDS, params.never_married_female))  # fmt: skip
    married = np.where(sex == 0, profile(age, ADULT_BANDS, hp.married_share_male),
                       profile(age, ADULT_BANDS, params.married_share_female))  # fmt: skip
    p_never = np.where(age < 15, 1.0, np.clip(never / np.maximum(1 - married, 1e-6), 0, 1))
    out = np.where(rng.random(len(age)) < p_never, Marital.NEVER, Marital.WIDOWED_DIVORCED)
    return np.where(partner >= 0, Marital.MARRIED, out).astype(np.int8)


def draw_confidant(age, sex, params: PopulationParams, rng) -> np.ndarray:
    """Whether each resident has someone to consult (相談相手), by age and sex."""
    a = np.maximum(age, 15)
    share = np.where(sex == 0, profile(a, ADULT_BANDS, params.confidant_share_male),
                     profile(a, ADULT_BANDS, params.confidant_share_female))  # fmt: skip
    return rng.random(len(age)) < share


def simulated_residents(mun: pd.DataFrame, params: PopulationParams) -> np.ndarray:
    """Residents simulated per municipality: ``scale`` times the census count.

    Rounded by largest remainder, so the total is the rounded scaled total.
    """
    return largest_remainder(params.scale * mun["pop_total"].to_numpy(float))


def zones_per_municipality(
    mun: pd.DataFrame, n_m: np.ndarray, params: PopulationParams
) -> np.ndarray:
    """Zones of each municipality: one per elementary school, at least one.

    At most one zone per ``min_zone_residents`` simulated residents.
    """
    schools = mun["elementary_schools"].fillna(1).to_numpy(float).astype(np.int64)
    return np.minimum(np.maximum(schools, 1), np.maximum(n_m // params.min_zone_residents, 1))


def draw_zones(mun: pd.DataFrame, hh_mun: np.ndarray, n_m: np.ndarray, params, rng):
    """Zones per municipality inside its habitable disc, and a zone per household.

    Returns:
        The zones and the zone index of each household.
    """
    nz = zones_per_municipality(mun, n_m, params)
    zm = np.repeat(np.arange(len(mun)), nz)
    area = mun["habitable_area_km2"].fillna(mun["area_km2"]).to_numpy(float)
    disc = np.sqrt(np.maximum(area, 0.01) / np.pi)
    r = disc[zm] * np.sqrt(rng.random(len(zm)))
    theta = 2 * np.pi * rng.random(len(zm))
    x = mun["x_km"].to_numpy(float)[zm] + r * np.cos(theta)
    y = mun["y_km"].to_numpy(float)[zm] + r * np.sin(theta)
    w = rng.gamma(params.zone_size_concentration, size=len(zm))
    zstart = np.r_[0, np.cumsum(nz)[:-1]]
    cw = np.cumsum(w)
    before = np.r_[0.0, cw][zstart]
    total = np.add.reduceat(w, zstart)
    cum = zm + (cw - before[zm]) / total[zm]  # rises from m to m + 1 inside municipality m
    hh_zone = np.searchsorted(cum, hh_mun + rng.random(len(hh_mun)))
    hh_zone = np.minimum(hh_zone, zstart[hh_mun] + nz[hh_mun] - 1)
    zones = Zones(zm.astype(np.int16), x.astype(np.float32), y.astype(np.float32),
                  (disc[zm] / np.sqrt(nz[zm])).astype(np.float32))  # fmt: skip
    return zones, hh_zone
