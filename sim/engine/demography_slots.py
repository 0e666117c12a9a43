"""Residents who arrive and leave during a run: reserved slots, households and their upkeep.

With ``demography=dynamic`` every per-resident array keeps one fixed length for the whole run.
A resident who dies or moves out of the region becomes an *inactive slot*: age ``-1``, member of
one holding household (institutional, so never counted as living alone), no ties, no services,
and a latent trait so low that the slot is never lonely. Inactive slots are reused for births and
in-migrants once they have been free for :data:`COOL_DOWN` weeks, preferring a slot whose last
occupant lived in the same zone (the newcomer moves into a vacated home and inherits its
neighbours). Reserved slots, appended at the start, cover growth.

Households: ``pop.household`` may change (a newborn joins the mother's household; people
leave home, marry, move into care or arrive). Spare household ids are appended at the start and
reused once empty. :class:`Households` keeps the count of living members per household and
applies membership changes to every member's ``cohabitants`` in one pass per week.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

from sim.core.codes import Activity, HouseholdType, Marital
from sim.engine.state import Residents

#: latent trait of an inactive slot: far below every survey cut point, so it is never lonely
INACTIVE_TRAIT = np.float32(-10.0)
#: weeks a slot stays unused after its resident left (lingering references clear first)
COOL_DOWN = 5

#: fill values of the per-resident service arrays for an inactive or new slot
_SERVICE_FILL = {"venue": -1, "case_lever": -1, "served_in": -1}


def reserve_size(n: int, years: int, growth_per_year: float) -> int:
    """Slots to reserve: expected net growth over the run with a margin, plus 1% and 64.

    Args:
        n: residents at the start.
        years: horizon in years.
        growth_per_year: expected net arrivals a year (births and in-migrants minus deaths and
            out-migrants; negative in a shrinking region).
    """
    return int(np.ceil(1.5 * max(growth_per_year, 0.0) * years + 0.01 * n)) + 64


def expected_growth(rates: Any, pop: Any) -> float:
    """Expected net arrivals in the first year: births and in-migrants less deaths and leavers."""
    alive = pop.age >= 0
    a = np.clip(pop.age[alive], 0, rates.death.shape[1] - 1)
    mun, sex = pop.municipality[alive], pop.sex[alive]
    deaths = rates.death[mun, a, sex].sum()
    out = rates.out_migration[mun, a, sex].sum()
    births = (rates.fertility[mun, a] * (sex == 1)).sum()
    census = np.bincount(mun, minlength=rates.in_migrants.size)
    arrivals = (rates.in_migrants * census).sum()
    return float(births + arrivals - deaths - out)


def extend_population(pop: Any, extra: int) -> int:
    """Append ``extra`` inactive slots, one holding household and ``extra`` spare households.

    Returns:
        The index of the holding household.
    """
    n0, h0 = pop.n, pop.household_type.size
    holding = h0

    def ext(a: np.ndarray, fill: Any) -> np.ndarray:
        return np.concatenate([a, np.full(extra, fill, a.dtype)])

    pop.age = ext(pop.age, -1)
    pop.sex = ext(pop.sex, 0)
    pop.municipality = ext(pop.municipality, 0)
    pop.zone = ext(pop.zone, -1)
    pop.household = ext(pop.household, holding)
    pop.activity = ext(pop.activity, Activity.CHILD)
    pop.marital = ext(pop.marital, Marital.NEVER)
    pop.partner = ext(pop.partner, -1)
    pop.has_confidant = ext(pop.has_confidant, False)
    pop.digital = ext(pop.digital, False)
    pop.n = n0 + extra
    k = extra + 1  # the holding household, then the spare ones
    pop.household_type = np.concatenate(
        [pop.household_type, np.full(k, HouseholdType.SINGLE, pop.household_type.dtype)]
    )
    pop.household_type[holding] = HouseholdType.OTHER
    inst = np.zeros(k, bool)
    inst[0] = True
    pop.household_institutional = np.concatenate([pop.household_institutional, inst])
    pop.household_size = np.concatenate([pop.household_size, np.zeros(k, np.int16)])
    pop.household_start = np.concatenate([pop.household_start, np.full(k, n0, np.int64)])
    return holding


def clear_residents(res: Residents, svc: Any, who: np.ndarray) -> None:
    """Reset the state of slots to that of an empty slot (zeros and the engine's defaults)."""
    if who.size == 0:
        return
    blank = Residents.empty(1)
    for f in fields(res):
        getattr(res, f.name)[who] = getattr(blank, f.name)[0]
    res.need[who] = 1.0  # any positive value: the slot never takes part
    res.trait[who] = INACTIVE_TRAIT
    res.latent[who] = INACTIVE_TRAIT
    for f in fields(svc):
        if f.name in ("home_x", "home_y"):
            continue
        getattr(svc, f.name)[who] = _SERVICE_FILL.get(f.name, 0)


class Households:
    """Living members per household, and the weekly bookkeeping of who moved where.

    Changes of the week are collected by :meth:`leave` and :meth:`join`, then :meth:`apply`
    updates every remaining member's ``cohabitants`` with one gather, sets the movers' own count
    and re-types the households touched.

    Args:
        pop: the population (extended with the holding and spare households).
        holding: index of the holding household of inactive slots.
    """

    def __init__(self, pop: Any, holding: int) -> None:
        self.holding = holding
        alive = pop.age >= 0
        self.count = np.bincount(pop.household[alive], minlength=pop.household_type.size).astype(
            np.int32
        )
        self.spare = np.zeros(self.count.size, bool)
        self.spare[holding + 1 :] = True
        self._reset_week()

    def _reset_week(self) -> None:
        self.delta = np.zeros(self.count.size, np.int32)
        self.movers: list[np.ndarray] = []
        self.touched: list[np.ndarray] = []

    def leave(self, pop: Any, who: np.ndarray) -> None:
        """Residents leave their households (before death, moving out or moving house)."""
        if who.size == 0:
            return
        hh = pop.household[who]
        np.subtract.at(self.count, hh, 1)
        np.subtract.at(self.delta, hh, 1)
        self.touched.append(hh)

    def join(self, pop: Any, who: np.ndarray, households: np.ndarray) -> None:
        """Residents join households (after :meth:`leave` for movers)."""
        if who.size == 0:
            return
        pop.household[who] = households
        np.add.at(self.count, households, 1)
        np.add.at(self.delta, households, 1)
        self.spare[households] = False
        self.movers.append(who)
        self.touched.append(households)

    def new_households(
        self, pop: Any, k: int, kind: Any = HouseholdType.SINGLE, institutional: bool = False
    ) -> np.ndarray:
        """``k`` empty household ids (spare, then emptied, then newly appended), typed ``kind``.

        Args:
            pop: the population.
            k: how many.
            kind: their census family type (one value, or one per household).
            institutional: whether they are institutional places.
        """
        free = np.flatnonzero(self.spare)
        if free.size < k:
            empty = np.flatnonzero(self.count == 0)
            empty = empty[(empty != self.holding) & ~self.spare[empty]]
            free = np.concatenate([free, empty])
        if free.size < k:
            grow = max(k - free.size, self.count.size // 20)
            free = np.concatenate([free, self._grow(pop, grow)])
        out = free[:k]
        self.spare[out] = False
        pop.household_institutional[out] = institutional
        pop.household_type[out] = kind
        return out

    def _grow(self, pop: Any, k: int) -> np.ndarray:
        """Append ``k`` empty households to every per-household array; returns their ids."""
        h = self.count.size
        pop.household_type = np.concatenate(
            [pop.household_type, np.full(k, HouseholdType.SINGLE, pop.household_type.dtype)]
        )
        pop.household_institutional = np.concatenate(
            [pop.household_institutional, np.zeros(k, bool)]
        )
        pop.household_size = np.concatenate([pop.household_size, np.zeros(k, np.int16)])
        pop.household_start = np.concatenate([pop.household_start, np.full(k, -1, np.int64)])
        self.count = np.concatenate([self.count, np.zeros(k, np.int32)])
        self.delta = np.concatenate([self.delta, np.zeros(k, np.int32)])
        self.spare = np.concatenate([self.spare, np.ones(k, bool)])
        return np.arange(h, h + k)

    def apply(self, pop: Any, res: Residents, gone: np.ndarray) -> None:
        """Apply the week's membership changes to ``cohabitants`` and household types.

        Args:
            pop: the population.
            res: the resident state.
            gone: residents who became inactive this week (their own counts are cleared).
        """
        if not self.touched:
            return
        self.delta[self.holding] = 0
        touched = np.unique(np.concatenate(self.touched))
        hit = np.zeros(self.count.size, bool)
        hit[touched] = True
        members = np.flatnonzero(hit[pop.household])
        members = members[pop.age[members] >= 0]  # living members of the households touched
        res.cohabitants[members] += self.delta[pop.household[members]].astype(np.int16)
        if self.movers:
            movers = np.concatenate(self.movers)
            movers = movers[pop.age[movers] >= 0]
            res.cohabitants[movers] = self.count[pop.household[movers]] - 1
        res.cohabitants[gone] = 0
        retype(pop, touched, self.count, self.holding, members)
        self._reset_week()


def retype(
    pop: Any,
    households: np.ndarray,
    count: np.ndarray,
    holding: int,
    members: np.ndarray | None = None,
) -> None:
    """Census family type of households whose members changed, from their living members.

    Institutional places keep their type ("other"). One member: single. A couple (partners
    living together) and no one else: couple only; a couple and others: couple and children (a
    three-generation household stays "other"). No couple: a parent and children if the household
    was a family household, else "other".
    """
    households = households[(households != holding) & (count[households] > 0)]
    households = households[~pop.household_institutional[households]]  # places stay "other"
    if households.size == 0:
        return
    hit = np.zeros(pop.household_type.size, bool)
    hit[households] = True
    if members is None:  # the living members of ``households`` (or of a superset of them)
        members = np.flatnonzero(hit[pop.household] & (pop.age >= 0))
    else:
        members = members[hit[pop.household[members]]]
    hh = pop.household[members]
    partner = pop.partner[members]
    coupled = (partner >= 0) & (pop.household[np.maximum(partner, 0)] == hh)
    couple = np.bincount(hh[coupled], minlength=hit.size)[households] > 0
    n = count[households]
    old = pop.household_type[households]
    family = (old == HouseholdType.COUPLE_CHILDREN) | (old == HouseholdType.SINGLE_PARENT)
    new = np.where(
        n == 1,
        HouseholdType.SINGLE,
        np.where(
            couple,
            np.where(
                n == 2,
                HouseholdType.COUPLE,
                np.where(
                    old == HouseholdType.OTHER, HouseholdType.OTHER, HouseholdType.COUPLE_CHILDREN
                ),
            ),
            np.where(family, HouseholdType.SINGLE_PARENT, HouseholdType.OTHER),
        ),
    )
    pop.household_type[households] = new.astype(pop.household_type.dtype)


def take_slots(
    pop: Any,
    free_since: np.ndarray,
    week: int,
    wanted: np.ndarray,
    *,
    by: str = "zone",
    free: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Free slots for newcomers, one each, in the same zone (or municipality) first.

    A slot is free when inactive for at least :data:`COOL_DOWN` weeks. A newcomer takes a free
    slot whose last occupant lived in the wanted zone or municipality (moving into a vacated
    home, whose neighbours it inherits), else a reserved slot (never used, so with no
    neighbours), else any free slot.

    Args:
        pop: the population.
        free_since: week each slot became free (a very negative number for reserved slots,
            a very large one for slots in use).
        week: the current week.
        wanted: zone (or municipality) of each newcomer.
        by: ``zone`` or ``municipality``.
        free: the free slots in ascending order, if the caller already has them.

    Returns:
        The slots (``-1`` where none was left) and the number placed in a slot whose last
        occupant lived elsewhere (its neighbourhood ties are the old occupant's).
    """
    k = wanted.size
    out = np.full(k, -1, np.int64)
    if k == 0:
        return out, 0
    if free is None:  # the free slots, ascending (a caller may pass them, found once)
        free = np.flatnonzero(free_since <= week - COOL_DOWN)
    reserved = pop.zone[free] < 0
    where = np.where(reserved, -1, getattr(pop, by)[free].astype(np.int64))
    used = np.zeros(free.size, bool)
    order = np.argsort(where, kind="stable")
    fz = where[order]
    req = np.argsort(wanted, kind="stable")
    z = wanted[req].astype(np.int64)
    first = np.searchsorted(fz, z, side="left")
    avail = np.searchsorted(fz, z, side="right") - first
    rank = np.arange(k) - np.searchsorted(z, z, side="left")
    ok = rank < avail
    pick = order[first[ok] + rank[ok]]
    out[req[ok]] = free[pick]
    used[pick] = True
    rest = req[~ok]
    if rest.size == 0:
        return out, 0
    spare = np.flatnonzero(~used & reserved)
    other = np.flatnonzero(~used & ~reserved)
    pool = np.concatenate([spare, other])[: rest.size]
    out[rest[: pool.size]] = free[pool]
    return out, int(max(0, pool.size - spare.size))
