"""Arrivals and new couples for the demography process (:mod:`sim.engine.processes.demography`).

In-migrants arrive in each municipality at its measured rate, with the age and sex mix of the
municipality's own leavers (children arrive with a couple of child-rearing age). Each
takes the attributes of a *donor*, a living resident of the same municipality, sex and nearest
age (hot-deck imputation from the current population): zone, main activity, marital status,
digital access, mobility and community activity. A married donor means the newcomer arrives as
a couple. First marriages pair a never-married woman with a never-married man of the same
municipality about two years older; the couple sets up a household in his zone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.core.codes import Activity, HouseholdType, Marital
from sim.engine.processes._shared import poisson_from_uniform

#: years by which a husband is older than his wife on average at first marriage (about 1.7 in
#: the 2020 vital statistics: 31.0 and 29.4 years; MHLW 人口動態統計)
AGE_GAP = 2
#: the donor and partner indexes are rebuilt this often (weeks)
INDEX_WEEKS = 13


class Newcomers:
    """In-migrants and their donors.

    Args:
        m: the model.
        rates: the region's demographic rates.
    """

    def __init__(self, m: Any, rates: Any) -> None:
        # arrivals have the age and sex mix of the municipality's own leavers (15 and over) at
        # the start: gross flows by age are not in the data, and this keeps the age pattern of
        # net migration that of the leavers (mostly young adults), with the measured totals
        pop = m.pop
        alive = pop.age >= 0
        ages = rates.out_migration.shape[1]
        n_m = rates.out_migration.shape[0]
        a = np.clip(pop.age[alive], 0, ages - 1)
        mun, sex = pop.municipality[alive], pop.sex[alive]
        cells = (mun.astype(np.int64) * ages + a) * 2 + sex
        counts = np.bincount(cells, minlength=n_m * ages * 2).reshape(n_m, ages, 2)
        mix = counts * rates.out_migration
        children = mix[:, :15].sum(axis=(1, 2))
        #: children's share of each municipality's movers; they arrive with a family
        self.child_share = children / np.maximum(mix.sum(axis=(1, 2)), 1e-12)
        kids = mix[:, :15].sum(axis=(0, 2))
        self.child_cdf = np.cumsum(kids / max(kids.sum(), 1e-12))
        mix[:, :15] = 0.0
        national = mix.sum(axis=0)
        empty = mix.sum(axis=(1, 2)) <= 0
        mix[empty] = national
        mix = mix.reshape(n_m, -1) / mix.reshape(n_m, -1).sum(axis=1, keepdims=True)
        self.cells = mix.shape[1]
        self.mix = mix
        #: cumulative mix of all municipalities, each offset by its index (one searchsorted)
        self.cdf = (np.cumsum(mix, axis=1) + np.arange(n_m)[:, None]).ravel()
        self.built = -(10**9)

    def _index(self, m: Any) -> None:
        """Living residents sorted by (municipality, sex, age), with what a newcomer copies."""
        pop, r = m.pop, m.res
        alive = np.flatnonzero(pop.age >= 0)
        key = _key(pop.municipality[alive], pop.sex[alive], pop.age[alive])
        # the stable order of the key, as two stable passes (age, then municipality and sex)
        # that numpy sorts by radix when the values fit 16 bits
        group = pop.municipality[alive].astype(np.int32) * 2 + pop.sex[alive]
        group = group.astype(np.int16) if group.max(initial=0) < 2**15 else group
        by_age = np.argsort(pop.age[alive], kind="stable")
        order = by_age[np.argsort(group[by_age], kind="stable")]
        who = alive[order]
        self.order = who
        self.keys = key[order]
        self.donor = {
            "zone": pop.zone[who].copy(),
            "activity": r.activity[who].copy(),
            "married": (r.marital[who] == Marital.MARRIED).copy(),
            "never": (r.marital[who] == Marital.NEVER).copy(),
            "digital": pop.digital[who].copy(),
            "limited": r.limited[who].copy(),
            "community": r.community[who].copy(),
            "home_x": m.svc.home_x[who].copy(),
            "home_y": m.svc.home_y[who].copy(),
        }
        eligible = (r.marital[who] == Marital.NEVER) & (pop.sex[who] == 0)
        eligible &= (pop.age[who] >= 18) & (pop.age[who] < 60)
        # expected share of arrivals who come as a couple (married donors 18+ by the profile)
        married = np.zeros(self.cells)
        cell = np.clip(pop.age[who], 0, self.cells // 2 - 1) * 2 + pop.sex[who]
        adult = pop.age[who] >= 18
        tot = np.bincount(cell, minlength=married.size)
        wed = np.bincount(cell[adult], weights=self.donor["married"][adult], minlength=married.size)
        share = np.where(tot > 0, wed / np.maximum(tot, 1), 0.0)
        self.couples = float((self.mix.mean(axis=0) * share).sum())
        # couples of child-rearing age (25-49) who may bring children
        ages = np.arange(self.cells) // 2
        self.families = (self.mix * (share * ((ages >= 25) & (ages < 50)))[None]).sum(axis=1)
        self.men = who[eligible]
        self.men_keys = self.keys[eligible]
        self.built = m.week

    def arrive(self, m: Any, demo: Any, rng: np.random.Generator) -> None:
        """This week's in-migrants, one household each (a couple shares one)."""
        if m.week - self.built >= INDEX_WEEKS:
            self._index(m)
        # arrivals are drawn as households (a single person or a couple) at the rate that
        # brings the municipality's measured number of people
        adults = demo.in_per_week * (1.0 - self.child_share)
        lam = (adults / (1.0 + self.couples)).astype(np.float32)
        #: children per arriving family of child-rearing age, so children arrive at their share
        self.per_family = np.where(
            self.families > 0,
            demo.in_per_week * self.child_share / np.maximum(lam * self.families, 1e-12),
            0.0,
        )
        k = poisson_from_uniform(rng.random(lam.size, dtype=np.float32), lam, k_max=200)
        total = int(k.sum())
        if total == 0:
            return
        mun = np.repeat(np.arange(k.size), k).astype(np.int16)
        u = rng.random((3, total))
        pick = np.searchsorted(self.cdf, u[0] + mun, side="right")
        cell = np.minimum(pick - mun.astype(np.int64) * self.cells, self.cells - 1)
        age, sex = (cell // 2).astype(np.int16), (cell % 2).astype(np.int8)
        # a random donor of the (municipality, sex, age) cell, or the nearest older one
        key = _key(mun, sex, age)
        lo = np.searchsorted(self.keys, key, side="left")
        hi = np.searchsorted(self.keys, key, side="right")
        pos = lo + np.floor(u[1] * (hi - lo)).astype(np.int64)
        pos = np.clip(pos, 0, self.keys.size - 1)
        same = (self.keys[pos] // 1000) == (key // 1000)
        pos, mun, age, sex, u = pos[same], mun[same], age[same], sex[same], u[:, same]
        d = {name: v[pos] for name, v in self.donor.items()}
        couple = d["married"] & (age >= 18)
        self._settle(m, demo, mun, age, sex, d, couple, u)

    def _settle(self, m: Any, demo: Any, mun, age, sex, d, couple, u) -> None:
        pop, r = m.pop, m.res
        # a newcomer moves into a home vacated in the municipality (and takes its zone and
        # neighbours); only when none is free does a reserved slot take the donor's zone
        slots, misplaced = demo.take(m, mun, by="municipality")
        ok = slots >= 0
        prev = np.where(ok, pop.zone[np.maximum(slots, 0)], -1)
        vacated = prev >= 0
        d["zone"] = np.where(vacated, prev, d["zone"]).astype(pop.zone.dtype)
        for dim in ("home_x", "home_y"):
            d[dim] = np.where(vacated, getattr(m.svc, dim)[np.maximum(slots, 0)], d[dim])
        gap = np.where(sex == 1, AGE_GAP, -AGE_GAP)
        want = np.flatnonzero(couple & ok)
        mates, more = demo.take(m, d["zone"][want])
        demo.counts["arrivals_without_slot"] += int((~ok).sum()) + int((mates < 0).sum())
        demo.counts["misplaced"] += misplaced + more
        spouse = np.full(slots.size, -1, np.int64)
        spouse[want] = mates
        keep = ok
        slots, spouse = slots[keep], spouse[keep]
        mun, age, sex, u = mun[keep], age[keep], sex[keep], u[:, keep]
        d = {name: v[keep] for name, v in d.items()}
        pair = spouse >= 0
        pop.sex[slots] = sex
        pop.sex[spouse[pair]] = 1 - sex[pair]
        demo.activate(m, slots, age=age, zone=d["zone"], municipality=mun)
        s_age = np.clip(age[pair] + gap[keep][pair], 18, 100)
        demo.activate(m, spouse[pair], age=s_age, zone=d["zone"][pair], municipality=mun[pair])
        everyone = np.concatenate([slots, spouse[pair]])
        pop.digital[slots] = d["digital"]
        pop.digital[spouse[pair]] = d["digital"][pair]
        r.activity[slots] = d["activity"]
        r.activity[spouse[pair]] = np.where(sex[pair] == 1, Activity.EMPLOYED, Activity.HOMEMAKER)
        r.limited[slots] = d["limited"]
        r.community[everyone] = np.concatenate([d["community"], d["community"][pair]])
        working = everyone[r.activity[everyone] == Activity.EMPLOYED]
        r.group[working] = m.new_workplace(working)
        r.activity[
            everyone[(r.activity[everyone] == Activity.STUDENT) & (pop.age[everyone] >= 25)]
        ] = Activity.UNEMPLOYED
        single_marital = np.where(d["never"], Marital.NEVER, Marital.WIDOWED_DIVORCED)
        r.marital[slots] = np.where(pair, Marital.MARRIED, single_marital)
        r.marital[spouse[pair]] = Marital.MARRIED
        pop.partner[slots[pair]] = spouse[pair]
        pop.partner[spouse[pair]] = slots[pair]
        r.partner_home[slots[pair]] = True
        r.partner_home[spouse[pair]] = True
        for dim in ("home_x", "home_y"):
            getattr(m.svc, dim)[slots] = d[dim]
            getattr(m.svc, dim)[spouse[pair]] = d[dim][pair]
        c = m.params.contacts
        adult = everyone[pop.age[everyone] >= 16]
        kin_u = m.stream("demography.kin").random(adult.size, dtype=np.float32)
        r.kin[adult] = poisson_from_uniform(kin_u, np.float32(c.kin_mean), k_max=20).astype(np.int8)
        r.rely_on[everyone] = r.partner_home[everyone] | (r.kin[everyone] > 0)
        r.settled[everyone] = 0.0
        r.shock[everyone] += np.float32(m.params.events.shock_moving)
        kind = np.where(pair, HouseholdType.COUPLE, HouseholdType.SINGLE)
        homes = demo.households.new_households(pop, slots.size, kind)
        demo.households.join(pop, slots, homes)
        demo.households.join(pop, spouse[pair], homes[pair])
        demo.refresh(m, everyone)
        demo.counts["in_migrants"] += everyone.size
        demo.counts["in_migrants_65plus"] += int((pop.age[everyone] >= 65).sum())
        wife_age = np.where(sex[pair] == 1, age[pair], np.clip(age[pair] + gap[keep][pair], 0, 120))
        rearing = (wife_age >= 25) & (wife_age < 50)
        family = slots[pair][rearing]
        self._children(m, demo, family, mun[pair][rearing], d["zone"][pair][rearing])

    def _children(self, m: Any, demo: Any, parents, mun, zone) -> None:
        """Children who arrive with a family (ages from the leavers' children)."""
        if parents.size == 0:
            return
        pop, r = m.pop, m.res
        rng = m.stream("demography.children")
        lam = self.per_family[mun].astype(np.float32)
        k = poisson_from_uniform(rng.random(parents.size, dtype=np.float32), lam, k_max=6)
        parent = np.repeat(parents, k)
        if parent.size == 0:
            return
        mun, zone = np.repeat(mun, k), np.repeat(zone, k)
        slots, misplaced = demo.take(m, zone)
        ok = slots >= 0
        demo.counts["arrivals_without_slot"] += int((~ok).sum())
        demo.counts["misplaced"] += misplaced
        slots, parent, mun, zone = slots[ok], parent[ok], mun[ok], zone[ok]
        home = pop.household[parent]
        u = rng.random((2, slots.size))
        age = np.minimum(np.searchsorted(self.child_cdf, u[0]), 14).astype(np.int16)
        pop.sex[slots] = (u[1] < 0.5).astype(pop.sex.dtype)
        demo.activate(m, slots, age=age, zone=zone, municipality=mun)
        r.activity[slots] = np.where(age >= 6, Activity.STUDENT, Activity.CHILD)
        m.svc.home_x[slots] = m.svc.home_x[parent]
        m.svc.home_y[slots] = m.svc.home_y[parent]
        demo.households.join(pop, slots, home)
        demo.refresh(m, slots)
        demo.counts["in_migrants"] += slots.size


def first_marriages(m: Any, demo: Any, u: np.ndarray, cand: np.ndarray) -> None:
    """Never-married women marry never-married men of their municipality; a new household."""
    pop, r = m.pop, m.res
    nc = demo.newcomers
    if m.week - nc.built >= INDEX_WEEKS:
        nc._index(m)
    c = cand[u[cand] < demo.leave_home.max() + demo.marry.max()]
    c = c[(pop.age[c] >= 18) & (pop.sex[c] == 1) & (r.marital[c] == Marital.NEVER)]
    c = c[~r.partner_home[c]]
    a, uc = np.clip(pop.age[c], 0, demo.marry.size - 1), u[c]
    lo = demo.leave_home[a]
    women = c[(uc >= lo) & (uc < lo + demo.marry[a])]
    if women.size == 0 or nc.men.size == 0:
        return
    target = _key(pop.municipality[women], np.zeros(women.size, np.int8), pop.age[women] + AGE_GAP)
    pos = np.clip(np.searchsorted(nc.men_keys, target), 0, nc.men.size - 1)
    man = nc.men[pos]
    ok = (nc.men_keys[pos] // 1000 == target // 1000) & (pop.age[man] >= 18)
    ok &= (r.marital[man] == Marital.NEVER) & ~r.partner_home[man]
    ok &= np.abs(pop.age[man].astype(np.int32) - pop.age[women]) <= 10
    women, man = women[ok], man[ok]
    man, first = np.unique(man, return_index=True)
    women = women[first]
    if women.size == 0:
        return
    both = np.concatenate([women, man])
    hh = demo.households
    hh.leave(pop, both)
    homes = hh.new_households(pop, women.size, HouseholdType.COUPLE)
    hh.join(pop, women, homes)
    hh.join(pop, man, homes)
    pop.zone[women] = pop.zone[man]
    m.svc.home_x[women] = m.svc.home_x[man]
    m.svc.home_y[women] = m.svc.home_y[man]
    pop.partner[women] = man
    pop.partner[man] = women
    r.marital[both] = Marital.MARRIED
    r.partner_home[both] = True
    r.rely_on[both] = True
    r.settled[women] = 0.0
    demo.counts["marriages"] += women.size


def _key(mun: np.ndarray, sex: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Sort key (municipality, sex, age): ``(mun * 2 + sex) * 1000 + age``."""
    return (mun.astype(np.int64) * 2 + sex) * 1000 + np.clip(age, 0, 999)
