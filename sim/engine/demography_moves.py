"""Household moves of the demography process: separations and moving in with family.

:func:`separate` is called by the life events when a couple of residents separates;
:func:`family_homes` finds the family household an older resident moves into.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.core.codes import HouseholdType, Marital
from sim.engine.demography_events import INDEX_WEEKS, _key


def separate(m: Any, demo: Any, who: np.ndarray) -> None:
    """Couples who separate (life events under 60): the partner moves to a home of their own.

    Both lose the partner link and count as separated; the partner gets the same shock.
    """
    pop, r = m.pop, m.res
    partner = pop.partner[who]
    ok = partner >= 0
    who, partner = who[ok], partner[ok]
    first = who < partner  # a couple drawn from both sides separates once
    pair_seen = np.isin(who, partner) & ~first
    who, partner = who[~pair_seen], partner[~pair_seen]
    if who.size == 0:
        return
    both = np.concatenate([who, partner])
    pop.partner[both] = -1
    r.marital[both] = Marital.WIDOWED_DIVORCED
    r.partner_home[both] = False
    r.shock[partner] += np.float32(m.params.events.shock_bereavement)
    hh = demo.households
    hh.leave(pop, partner)
    homes = hh.new_households(pop, partner.size, HouseholdType.SINGLE)
    hh.join(pop, partner, homes)
    r.settled[partner] = 0.0
    hh.apply(pop, r, np.zeros(0, np.int64))
    demo.counts["separations"] += who.size


def family_homes(m: Any, demo: Any, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A family household in the same municipality for each resident who moves in.

    The host is a living resident aged 40-64 of the municipality (a child's generation) who
    does not live alone or in an institution; residents with no such host go into care.
    """
    pop, r, nc = m.pop, m.res, demo.newcomers
    if who.size == 0:
        return who, who
    if m.week - nc.built >= INDEX_WEEKS:
        nc._index(m)
    rng = m.stream("demography.family")
    u = rng.random((2, who.size))
    age = (40 + np.floor(u[0] * 25)).astype(np.int16)
    sex = (u[1] < 0.5).astype(np.int8)
    target = _key(pop.municipality[who], sex, age)
    pos = np.clip(np.searchsorted(nc.keys, target), 0, nc.keys.size - 1)
    host = nc.order[pos]
    ok = (nc.keys[pos] // 1000 == target // 1000) & (pop.age[host] >= 40)
    ok &= (r.cohabitants[host] > 0) & ~pop.household_institutional[pop.household[host]]
    ok &= pop.household[host] != pop.household[who]
    return who[ok], host[ok]
