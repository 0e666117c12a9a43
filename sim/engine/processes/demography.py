"""Demographic change during a run (``demography=dynamic``): who dies, is born, moves and ages.

Runs weekly from the policy start (the burn-in keeps the 2020 census population), on its own
streams, before the life events. Rates come from :mod:`sim.world.demography_rates` (life table,
fertility, municipal migration, leaving home and care entry); the slots and households it uses
are kept by :mod:`sim.engine.demography_slots`. Nothing here depends on policy, so every arm of
a comparison sees the same births, deaths and moves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.core.codes import Activity, HouseholdType, Marital
from sim.engine.component import Component
from sim.engine.demography_ageing import _first_marriage, _smooth, birthdays
from sim.engine.demography_events import Newcomers, first_marriages
from sim.engine.demography_moves import family_homes, separate
from sim.engine.demography_slots import COOL_DOWN, Households, clear_residents, take_slots
from sim.engine.state import age_band, contact_need, weekly
from sim.world.layers import rank_spread, zone_age_order

#: highest single year of age in the rate tables (110 = 110 and over)
MAX_AGE = 110
#: never free (a slot in use)
IN_USE = np.iinfo(np.int64).max // 2


class Demography(Component):
    """Deaths, births, moves out of and into the region, new households, care, and birthdays.

    Each week, for living residents: death by age, sex and municipality (a death ends the
    resident's ties and is a shock to the partner, the household and friends, and widows the
    partner); moving out of the region (a partner living with them moves too); births to
    partnered women (the baby joins the mother's household); first marriages (two never-married
    residents of one municipality set up a couple household); young adults leaving home; older
    residents living alone moving into care; in-migrants, placed in vacated homes; and birthdays
    (each resident ages one year in their birthday week; schooling starts at 6 and ends between
    19 and 24). Households are re-typed from their living members.
    """

    name = "demography"
    reads = ("params.demography", "params.events", "params.contacts", "region", "pop", "res",
             "friends", "groups", "week")  # fmt: skip
    writes = ("pop", "res", "svc", "friends", "alive", "zone_order", "zone_spread", "moved",
              "counts.demography")  # fmt: skip

    def init(self, m: Any) -> None:
        """Weekly hazards by municipality, age and sex; slot and household bookkeeping."""
        self.on = getattr(m, "alive", None) is not None
        if not self.on:
            return
        pop = m.pop
        rates = m.demography_rates
        self.rates = rates
        child = np.arange(MAX_AGE + 1) < 15  # children move only with their family
        out = np.where(child[None, :, None], 0.0, rates.out_migration)
        self.out = weekly(out)
        self.leave_home = weekly(rates.leave_home)
        self.care = weekly(rates.care_entry)
        alive = pop.age >= 0
        age = np.clip(pop.age, 0, MAX_AGE)
        women = alive & (pop.sex == 1)
        n_w = np.bincount(age[women], minlength=MAX_AGE + 1).astype(float)
        never = women & (m.res.marital == Marital.NEVER)
        self.marry = weekly(_first_marriage(np.bincount(age[never], minlength=MAX_AGE + 1), n_w))
        self._yearly(m)
        rng = m.streams.get("demography.setup")
        self.birthday = rng.integers(0, 52, pop.n).astype(np.int8)
        self.free_since = np.where(alive, IN_USE, -(10**6)).astype(np.int64)
        self.households = Households(pop, m.holding_household)
        self.newcomers = Newcomers(m, rates)
        self.counts = m.counts.setdefault("demography", _zero_counts())

    def _yearly(self, m: Any) -> None:
        """Death hazards with the year's mortality improvement, and births per partnered woman.

        Births follow the age-specific rates of all women: the rate per partnered woman is the
        rate per woman over the current partnered share of her age (pooled over five years), so
        marriages and arrivals do not change the number of births, only who has them.
        """
        pop, rates, p = m.pop, self.rates, m.params.demography
        # arrivals a week: the municipality's measured in-migration rate times its living
        # residents now (a shrinking town draws fewer arrivals, as leavers fall with it)
        living = np.bincount(pop.municipality[pop.age >= 0], minlength=len(m.region.municipalities))
        self.in_per_week = rates.in_migrants * living / 52.0
        years = max(m.week, 0) / 52.0
        self.death = weekly(
            -np.expm1(np.log1p(-rates.death) * (1.0 - p.mortality_improvement) ** years)
        )
        #: bounds for drawing only candidates (own death plus a non-resident partner's)
        self.death_max = np.float32(2 * self.death.max() + 1e-6)
        self.out_max = np.float32(self.out.max() + 1e-6)
        alive = pop.age >= 0
        age = np.clip(pop.age, 0, MAX_AGE)
        women = alive & (pop.sex == 1)
        partnered = women & m.res.partner_home
        n_w = np.bincount(age[women], minlength=MAX_AGE + 1).astype(float)
        n_p = np.bincount(age[partnered], minlength=MAX_AGE + 1).astype(float)
        share = _smooth(n_p, n_w)
        per = np.where(share > 0.02, rates.fertility / np.maximum(share, 0.02), 0.0)
        # births per partnered woman a year are a rate (not a probability): a 52nd each week
        self.birth = (np.minimum(per, 0.6) / 52.0).astype(np.float32)

    def step(self, m: Any) -> None:
        """One week of demographic change."""
        if not self.on or m.week < 0:
            return
        if m.week % 52 == 0:
            self._yearly(m)
        pop, r, p = m.pop, m.res, m.params
        rng = m.stream(self.name)
        u = rng.random((3, pop.n), dtype=np.float32)
        # hazards are looked up only for residents whose uniform is below the largest hazard
        # (the same residents are drawn as with a whole-population lookup, far fewer lookups)
        c0 = np.flatnonzero(u[0] < self.death_max)
        c0 = c0[pop.age[c0] >= 0]
        a0 = np.clip(pop.age[c0], 0, MAX_AGE)
        m0, s0, u0 = pop.municipality[c0], pop.sex[c0], u[0][c0]
        h_death = self.death[m0, a0, s0]
        die_c = u0 < h_death
        dead = c0[die_c]
        # a partner who is not a resident (re-partnering) dies at the partner's own hazard
        abstract = r.partner_home[c0] & (pop.partner[c0] < 0) & ~die_c
        widowed = c0[abstract & (u0 >= h_death) & (u0 < h_death + self.death[m0, a0, 1 - s0])]
        # a couple moves together when either partner moves: each partner's own hazard is
        # halved so that partnered residents leave at their age's rate
        c1 = np.flatnonzero(u[1] < self.out_max)
        c1 = c1[(pop.age[c1] >= 0) & ~np.isin(c1, dead)]
        a1 = np.clip(pop.age[c1], 0, MAX_AGE)
        h_out = self.out[pop.municipality[c1], a1, pop.sex[c1]]
        h_out = h_out * np.where(pop.partner[c1] >= 0, np.float32(0.5), np.float32(1))
        movers = c1[u[1][c1] < h_out]
        together = pop.partner[movers]
        together = together[(together >= 0)]
        together = together[(pop.age[together] >= 0) & ~np.isin(together, dead)]
        # children move with a parent who moves: a partnered one, or a lone parent aged 25-59
        parents = np.union1d(movers, together)
        lone = (r.marital[parents] == Marital.WIDOWED_DIVORCED) & (pop.age[parents] >= 25)
        lone &= pop.age[parents] < 60
        homes = np.concatenate([pop.household[together], pop.household[parents[lone]]])
        left = parents
        if homes.size:
            family = np.zeros(pop.household_type.size, bool)
            family[homes] = True
            kids = np.flatnonzero(family[pop.household])
            kids = kids[(pop.age[kids] >= 0) & (pop.age[kids] < 18) & ~np.isin(kids, dead)]
            left = np.union1d(parents, kids)
        self._widow(m, widowed, p.events.shock_bereavement, resident=False)
        # 65+ shares of the flows (the validation of the 65+ population reads them)
        self.counts["deaths_65plus"] += int((pop.age[dead] >= 65).sum())
        self.counts["out_migrants_65plus"] += int((pop.age[left] >= 65).sum())
        self._remove(m, dead, left)
        # one pass finds every resident the third uniform could touch this week
        lh = float(self.leave_home.max())
        bound = max(lh, float(self.care.max()), lh + float(self.birth.max()))
        bound = max(bound, lh + float(self.marry.max()))
        c2 = np.flatnonzero(u[2] < np.float32(bound))
        self._household_moves(m, u[2], c2)
        self._births(m, u[2], c2)
        first_marriages(m, self, u[2], c2)
        self.newcomers.arrive(m, self, rng)
        self.households.apply(pop, r, np.concatenate([dead, left]))
        self._birthdays(m, rng)
        if m.week % 13 == 0:
            m.zone_order = zone_age_order(pop)
            m.zone_spread = rank_spread(m.params_layers, m.zone_order[3])
        self.counts["deaths"] += dead.size
        self.counts["out_migrants"] += left.size

    def _widow(self, m: Any, who: np.ndarray, shock: float, *, resident: bool) -> None:
        """Partners widowed or left behind.

        A partner who was a resident leaves the household count through the household
        bookkeeping; one who was not (re-partnering) is taken off here.
        """
        r = m.res
        r.marital[who] = Marital.WIDOWED_DIVORCED
        r.partner_home[who] = False
        if not resident:
            r.cohabitants[who] = np.maximum(r.cohabitants[who] - 1, 0)
        r.shock[who] += np.float32(shock)

    def separate(self, m: Any, who: np.ndarray) -> None:
        """Couples who separate (life events under 60): see :func:`separate`."""
        separate(m, self, who)

    def _remove(self, m: Any, dead: np.ndarray, left: np.ndarray) -> None:
        """Residents who die or move away: households, partners, ties, then an empty slot.

        A death widows the partner and is a shock to the partner, the household and friends;
        a partner left behind by a move (rare: couples move together) is separated.
        """
        who = np.concatenate([dead, left])
        if who.size == 0:
            return
        pop, r, d = m.pop, m.res, m.params.demography
        self.households.leave(pop, who)
        gone = np.zeros(pop.n, bool)
        gone[who] = True
        for group, shock in ((dead, m.params.events.shock_bereavement), (left, 0.0)):
            partner = pop.partner[group]
            partner = partner[partner >= 0]
            staying = partner[(pop.age[partner] >= 0) & ~gone[partner]]
            pop.partner[staying] = -1
            self._widow(m, staying, shock, resident=True)
            if shock and dead.size:
                members = np.zeros(pop.household_type.size, bool)
                members[pop.household[dead]] = True
                mates = np.flatnonzero(members[pop.household])
                mates = mates[~gone[mates] & (pop.age[mates] >= 0)]
                r.shock[mates] += np.float32(d.shock_household_death)
        f = m.friends
        touched = np.flatnonzero(gone[f.src] | gone[f.dst])
        if dead.size:
            died = np.zeros(pop.n, bool)
            died[dead] = True
            src, dst = f.src[touched], f.dst[touched]
            friends = np.concatenate([src[died[dst]], dst[died[src]]])
            friends = friends[~gone[friends]]
            np.add.at(r.shock, friends, np.float32(d.shock_friend_death))
        m.counts["ties_lost"] += f.drop_edges(touched)
        pop.partner[who] = -1
        pop.household[who] = self.households.holding
        pop.age[who] = -1
        pop.activity[who] = Activity.CHILD
        pop.marital[who] = Marital.NEVER
        m.groups.of_resident[who] = -1
        clear_residents(r, m.svc, who)
        m.alive[who] = False
        self.free_since[who] = m.week

    def _household_moves(self, m: Any, u: np.ndarray, cand: np.ndarray) -> None:
        """Young adults leave home; older residents living alone move into care."""
        pop, r = m.pop, m.res
        c = cand[u[cand] < max(self.leave_home.max(), self.care.max())]
        c = c[pop.age[c] >= 0]
        a, uc = np.clip(pop.age[c], 0, MAX_AGE), u[c]
        inst = pop.household_institutional[pop.household[c]]
        at_home = ~inst & (r.cohabitants[c] > 0) & ~r.partner_home[c]
        at_home &= r.marital[c] == Marital.NEVER
        leave = c[at_home & (uc < self.leave_home[a])]
        alone = ~inst & (r.cohabitants[c] == 0)
        hit = alone & (uc < self.care[a])
        care = c[hit]
        # the event's own uniform, rescaled: a share moves in with family instead of care
        v = uc[hit] / np.maximum(self.care[a[hit]], np.float32(1e-12))
        family, hosts = family_homes(m, self, care[v < m.params.demography.family_share])
        care = np.setdiff1d(care, family)
        for who, institution in ((leave, False), (care, True)):
            if who.size == 0:
                continue
            self.households.leave(pop, who)
            # an institutional place is typed "other", like those of the census population
            kind = HouseholdType.OTHER if institution else HouseholdType.SINGLE
            hh = self.households.new_households(pop, who.size, kind, institution)
            self.households.join(pop, who, hh)
        self.households.leave(pop, family)
        self.households.join(pop, family, pop.household[hosts])
        pop.zone[family] = pop.zone[hosts]
        m.svc.home_x[family] = m.svc.home_x[hosts]
        m.svc.home_y[family] = m.svc.home_y[hosts]
        ev = m.params.events
        moved = np.concatenate([care, family])
        r.settled[moved] = 0.0
        r.shock[moved] += np.float32(ev.shock_moving)
        m.moved.append((moved, 1.0 - ev.moving_tie_loss))
        self.counts["left_home"] += leave.size
        self.counts["into_care"] += care.size
        self.counts["to_family"] += family.size

    def _births(self, m: Any, u: np.ndarray, cand: np.ndarray) -> None:
        """Births to partnered women; the baby joins the mother's household."""
        pop, r = m.pop, m.res
        c = cand[u[cand] < self.leave_home.max() + self.birth.max()]
        age = pop.age[c]
        c = c[(age >= 0) & (age < 50) & (pop.sex[c] == 1) & r.partner_home[c]]
        a, uc = np.clip(pop.age[c], 0, MAX_AGE), u[c]
        lo = self.leave_home[a]  # the same uniform: disjoint from leaving home
        mothers = c[(uc >= lo) & (uc < lo + self.birth[pop.municipality[c], a])]
        if mothers.size == 0:
            return
        slots, misplaced = self.take(m, pop.zone[mothers])
        ok = slots >= 0
        mothers, slots = mothers[ok], slots[ok]
        self.counts["births_without_slot"] += int((~ok).sum())
        self.counts["misplaced"] += misplaced
        rng = m.stream("demography.births")
        pop.sex[slots] = (rng.random(slots.size) < 1 / (1 + 1.05)).astype(pop.sex.dtype)
        self.activate(
            m, slots, age=0, zone=pop.zone[mothers], municipality=pop.municipality[mothers]
        )
        m.svc.home_x[slots] = m.svc.home_x[mothers]
        m.svc.home_y[slots] = m.svc.home_y[mothers]
        r.settled[slots] = 1.0
        self.households.join(pop, slots, pop.household[mothers])
        self.birthday[slots] = m.week % 52
        self.counts["births"] += slots.size

    def take(self, m: Any, wanted: np.ndarray, by: str = "zone") -> tuple[np.ndarray, int]:
        """Free slots for newcomers in ``wanted`` zones or municipalities (:func:`take_slots`)."""
        if getattr(self, "_free_week", None) != m.week:  # the week's free slots, found once
            self._free = np.flatnonzero(self.free_since <= m.week - COOL_DOWN)
            self._free_week = m.week
        else:  # less those taken since
            self._free = self._free[self.free_since[self._free] <= m.week - COOL_DOWN]
        slots, misplaced = take_slots(
            m.pop, self.free_since, m.week, wanted, by=by, free=self._free
        )
        self.free_since[slots[slots >= 0]] = IN_USE
        return slots, misplaced

    def activate(
        self, m: Any, slots: np.ndarray, *, age: Any, zone: np.ndarray, municipality: np.ndarray
    ) -> None:
        """Bring slots to life with a fresh state (a new trait), before attributes are set."""
        pop, r = m.pop, m.res
        pop.age[slots] = age
        pop.zone[slots] = zone
        pop.municipality[slots] = municipality
        pop.activity[slots] = Activity.CHILD
        pop.marital[slots] = Marital.NEVER
        pop.partner[slots] = -1
        pop.digital[slots] = False
        pop.has_confidant[slots] = False
        clear_residents(r, m.svc, slots)
        lp = m.params.loneliness
        z = m.stream("demography.traits").standard_normal(slots.size, dtype=np.float32)
        r.trait[slots] = np.float32(lp.baseline) + np.float32(lp.trait_sd) * z
        r.latent[slots] = r.trait[slots]
        r.marital[slots] = Marital.NEVER
        r.activity[slots] = Activity.CHILD
        r.group[slots] = -1
        m.alive[slots] = True
        self.refresh(m, slots)

    def refresh(self, m: Any, who: np.ndarray) -> None:
        """Age-dependent state of residents whose age or attributes changed."""
        pop, r, c = m.pop, m.res, m.params.contacts
        r.band[who] = age_band(pop.age[who])
        r.need[who] = contact_need(pop.age[who], c.need_base, c.need_decline)
        for comp in m.components.values():
            hook = getattr(comp, "refresh", None)
            if hook is not None and comp is not self:
                hook(m, who)

    def _birthdays(self, m: Any, rng: np.random.Generator) -> None:
        """Residents whose birthday week it is age one year (:func:`birthdays`)."""
        birthdays(m, self, rng)


def _zero_counts() -> dict[str, int]:
    keys = ("deaths", "out_migrants", "births", "in_migrants", "marriages", "left_home",
            "into_care", "to_family", "separations", "births_without_slot",
            "arrivals_without_slot", "misplaced", "deaths_65plus", "out_migrants_65plus",
            "in_migrants_65plus")  # fmt: skip
    return dict.fromkeys(keys, 0)


__all__ = ["COOL_DOWN", "Demography"]
