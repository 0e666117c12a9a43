"""Population rows of the monthly table: living residents by age, sex, household type and place.

:func:`population_rows` counts the living residents (``pop.age >= 0``; ``-1`` marks an inactive
slot: a resident who died or moved away, or reserved capacity not used yet) at a record week and
returns rows in the recorder's tidy shape (``week, date, measure, dimension, group, value, n``):

- ``population``: real-population equivalent (simulated count / ``population.scale``, rounded to
  0.1; ``n`` the simulated count) for ``all``, ``age_group`` (every label of
  :data:`sim.core.codes.AGE_GROUPS`, 0-15 included), ``sex``, ``household_type`` (general
  households ``"0"``..``"4"``; institutional residents in ``"institution"``), ``municipality``
  and ``age5_sex`` (groups ``"65-69|0"``: 21 five-year bands 0-4 .. 100+ by sex, for the pyramid);
- ``population_share``: share of the region's living residents, same dimensions but ``age5_sex``;
- ``households``: general households with at least one living member, real equivalent, by
  ``all`` and ``household_type``; ``one_person_65plus_households`` (general households whose only
  living member is 65+) and ``share_one_person_65plus_households`` (of all general households);
- ``share_65plus``, ``share_75plus`` (``all`` and ``municipality``) and
  ``share_65plus_living_alone`` by ``sex`` (living residents 65+ who live alone now, as
  :func:`sim.engine.recorder.living_alone` says).

``n`` is the number of simulated residents (households for household measures) the value counts or
is a share of. The counts come from two :func:`numpy.bincount` calls over the resident slots, each
of one combined key (age x sex x municipality x living alone; household x aged 65+), and small
per-household ones, so the function stays fast at a million residents. It only reads the model.

Unlike the survey rows of :mod:`sim.engine.recorder` (where an institutional resident counts in
household type 4, the type of the institutional place), ``household_type`` here keeps
institutional residents apart in ``"institution"``, and households count general households only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.core.codes import AGE_GROUPS, HouseholdType
from sim.engine.recorder import living_alone

COLUMNS = ("week", "date", "measure", "dimension", "group", "value", "n")
#: Single years of age counted separately; older residents fall in the last year (100+ band).
MAX_AGE = 120
AGE5_BANDS = 21
AGE5_LABELS: tuple[str, ...] = tuple(
    [f"{5 * b}-{5 * b + 4}" for b in range(AGE5_BANDS - 1)] + [f"{5 * (AGE5_BANDS - 1)}+"]
)
SEXES = ("0", "1")
HOUSEHOLD_TYPES = tuple(str(int(k)) for k in HouseholdType)
INSTITUTION = "institution"
SHARE_DIMENSIONS = ("all", "age_group", "sex", "household_type", "municipality")


def age5_sex_labels() -> list[str]:
    """Groups of the ``age5_sex`` dimension, band-major: ``"0-4|0", "0-4|1", ..., "100+|1"``."""
    return [f"{band}|{sex}" for band in AGE5_LABELS for sex in SEXES]


def _share(count: np.ndarray, total: np.ndarray | float) -> np.ndarray:
    """Divide count by total, NaN where the total is zero."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(count, float) / total


def _resident_table(model, n_m: int, key: np.ndarray) -> np.ndarray:
    """Living residents by single year of age, sex, municipality and living alone now.

    Args:
        model: the model.
        n_m: number of municipalities.
        key: scratch int64 array of one entry per resident slot (overwritten).

    Returns:
        Counts of shape (MAX_AGE + 1, 2, n_m, 2): ages above MAX_AGE join MAX_AGE.
    """
    pop = model.pop
    # one int64 key per slot (int64 is what bincount takes without a copy); the inactive slots
    # (age -1) fall in key 0 (age index 0), dropped below
    np.minimum(pop.age, MAX_AGE, out=key)
    key += 1
    key *= 2
    key += pop.sex
    key *= n_m
    key += pop.municipality
    key *= 2
    key += living_alone(model)
    np.putmask(key, pop.age < 0, 0)  # whatever codes an inactive slot keeps
    counts = np.bincount(key, minlength=(MAX_AGE + 2) * 2 * n_m * 2)
    return counts.reshape(MAX_AGE + 2, 2, n_m, 2)[1:]


def _household_members(pop, key: np.ndarray) -> np.ndarray:
    """Living members under 65 and aged 65+ of each household, shape (H, 2).

    Args:
        pop: the population.
        key: scratch int64 array of one entry per resident slot (overwritten).
    """
    n_hh = len(pop.household_type)
    key[...] = pop.household
    key *= 2
    key += pop.age >= 65
    np.putmask(key, pop.age < 0, 2 * n_hh)  # inactive slots: one extra bin, dropped
    return np.bincount(key, minlength=2 * n_hh + 1)[: 2 * n_hh].reshape(n_hh, 2)


def _age_group_sums(by_year: np.ndarray) -> np.ndarray:
    """Sum single-year counts (axis 0) into the groups of AGE_GROUPS."""
    return np.stack([by_year[lo : min(hi, MAX_AGE + 1)].sum(axis=0) for _, lo, hi in AGE_GROUPS])


def _age5_sums(by_year: np.ndarray) -> np.ndarray:
    """Sum single-year counts (axis 0) into 21 five-year bands (the last one open)."""
    band = np.minimum(np.arange(MAX_AGE + 1) // 5, AGE5_BANDS - 1)
    return np.stack([by_year[band == b].sum(axis=0) for b in range(AGE5_BANDS)])


def population_rows(model, week: int, date: str | None = None) -> pd.DataFrame:
    """Population, households and ageing measures of the living residents at one record week.

    Args:
        model: the model (``pop``, ``res.cohabitants``, ``cfg.population.scale`` and
            ``region.municipalities["name"]``); only read.
        week: the record week, written in the ``week`` column.
        date: the record date (ISO), written in the ``date`` column (None leaves it empty, to be
            filled by the caller as the recorder does for service rows).

    Returns:
        Rows ``week, date, measure, dimension, group, value, n`` (see the module docstring).
    """
    pop = model.pop
    scale = float(model.cfg.population.scale)
    munis = [str(name) for name in model.region.municipalities["name"]]
    n_m = len(munis)

    key = np.empty(len(pop.age), np.int64)  # one scratch key for both counts
    table = _resident_table(model, n_m, key)  # (age, sex, municipality, alone)
    by_year = table.sum(axis=(2, 3))  # (age, sex)
    by_sex = by_year.sum(axis=0)
    total = int(by_sex.sum())
    by_group = _age_group_sums(by_year).sum(axis=1)
    by_age5 = _age5_sums(by_year).ravel()  # band-major, as age5_sex_labels()
    n65 = int(by_year[65:].sum())
    n75 = int(by_year[75:].sum())
    by_muni_age = table.sum(axis=(1, 3))  # (age, municipality)
    muni_total = by_muni_age.sum(axis=0)
    muni65 = by_muni_age[65:].sum(axis=0)
    muni75 = by_muni_age[75:].sum(axis=0)
    alone = table[65:].sum(axis=(0, 2))  # (sex, alone) of residents 65+
    old_by_sex = alone.sum(axis=1)

    # households: general ones with a living member, by type; residents by their household's
    # type (institutional residents apart), weighted from the per-household member counts
    members = _household_members(pop, key)  # (H, 2): living under 65, living 65+
    general = ~np.asarray(pop.household_institutional, bool)
    hh_types = len(HOUSEHOLD_TYPES)
    kind = np.where(general, pop.household_type, hh_types).astype(np.intp)
    by_res_type = (
        np.bincount(kind, weights=members[:, 0], minlength=hh_types + 1)
        + np.bincount(kind, weights=members[:, 1], minlength=hh_types + 1)
    ).astype(np.int64)
    occupied = general & ((members[:, 0] > 0) | (members[:, 1] > 0))
    by_hh_type = np.bincount(kind[occupied], minlength=hh_types + 1)[:hh_types]
    n_households = int(occupied.sum())
    one65 = int((general & (members[:, 0] == 0) & (members[:, 1] == 1)).sum())

    counts = {
        "all": (["all"], np.array([total])),
        "age_group": ([g for g, _, _ in AGE_GROUPS], by_group),
        "sex": (list(SEXES), by_sex),
        "household_type": ([*HOUSEHOLD_TYPES, INSTITUTION], by_res_type),
        "municipality": (munis, muni_total),
    }
    parts: list[tuple[str, str, list[str], np.ndarray, np.ndarray]] = []
    for dim, (groups, c) in counts.items():
        parts.append(("population", dim, groups, np.round(c / scale, 1), c))
    parts.append(
        ("population", "age5_sex", age5_sex_labels(), np.round(by_age5 / scale, 1), by_age5)
    )
    for dim in SHARE_DIMENSIONS:
        groups, c = counts[dim]
        parts.append(("population_share", dim, groups, _share(c, total), c))
    households = {
        "all": (["all"], np.array([n_households])),
        "household_type": (list(HOUSEHOLD_TYPES), by_hh_type),
    }
    for dim, (groups, c) in households.items():
        parts.append(("households", dim, groups, np.round(c / scale, 1), c))
    one = np.array([one65])
    parts += [
        ("one_person_65plus_households", "all", ["all"], np.round(one / scale, 1), one),
        ("share_one_person_65plus_households", "all", ["all"], _share(one, n_households),
         np.array([n_households])),
        ("share_65plus", "all", ["all"], _share([n65], total), np.array([total])),
        ("share_75plus", "all", ["all"], _share([n75], total), np.array([total])),
        ("share_65plus", "municipality", munis, _share(muni65, muni_total), muni_total),
        ("share_75plus", "municipality", munis, _share(muni75, muni_total), muni_total),
        ("share_65plus_living_alone", "sex", list(SEXES), _share(alone[:, 1], old_by_sex),
         old_by_sex),
    ]  # fmt: skip
    sizes = [len(p[2]) for p in parts]
    return pd.DataFrame(
        {
            "week": np.full(sum(sizes), week, dtype=np.int64),
            "date": [date] * sum(sizes),
            "measure": np.repeat([p[0] for p in parts], sizes),
            "dimension": np.repeat([p[1] for p in parts], sizes),
            "group": [g for p in parts for g in p[2]],
            "value": np.concatenate([np.asarray(p[3], float) for p in parts]),
            "n": np.concatenate([np.asarray(p[4], np.int64) for p in parts]),
        },
        columns=list(COLUMNS),
    )
