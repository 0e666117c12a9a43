"""Places to belong: venues with location, capacity, sessions, targets, roles and funding.

Venues are few, so they are a small table of arrays (one row per venue). Residents join a venue
near home (joining falls with distance, exp(-d / venue_decay_km)), or through a referral; they
attend its sessions while it is funded; co-attendees form friendships; a share of members gets
a role, which lowers their latent loneliness beyond the contact of attending.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.levers import Venue


@dataclass
class VenueTable:
    """One row per venue."""

    lever: np.ndarray  # int16, index of the lever in the scenario
    zone: np.ndarray  # int32 (-1 for online)
    municipality: np.ndarray  # int16
    x_km: np.ndarray  # float32
    y_km: np.ndarray
    capacity: np.ndarray  # int32 (in simulated residents)
    sessions: np.ndarray  # float32 per week
    min_age: np.ndarray  # int16
    max_age: np.ndarray
    role_share: np.ndarray  # float32
    online: np.ndarray  # bool

    @property
    def n(self) -> int:
        """Number of venues."""
        return int(self.lever.size)


def build_venues(m, levers: list[tuple[int, Venue, np.ndarray]], scale: float) -> VenueTable:
    """Open the venues of every venue lever in its zones.

    Args:
        m: the model (population, zones, streams).
        levers: (lever index, lever, zone mask) for each venue lever.
        scale: simulated share of the population; capacities scale with it (at least 2).
    """
    zones = m.pop.zones
    cols: dict[str, list] = {k: [] for k in VenueTable.__dataclass_fields__}
    for index, lv, zmask in levers:
        rng = m.streams.get(f"lever:{lv.id}")
        zs = np.flatnonzero(zmask)
        whole = int(np.floor(lv.per_zone))
        extra = rng.random(zs.size) < (lv.per_zone - whole)
        per = whole + extra.astype(int)
        z = np.repeat(zs, per)
        k = z.size
        r = zones.radius_km[z] * np.sqrt(rng.random(k))
        a = rng.random(k) * 2 * np.pi
        cols["lever"].append(np.full(k, index, np.int16))
        cols["zone"].append(np.where(lv.online, -1, z).astype(np.int32))
        cols["municipality"].append(zones.municipality[z].astype(np.int16))
        cols["x_km"].append((zones.x_km[z] + r * np.cos(a)).astype(np.float32))
        cols["y_km"].append((zones.y_km[z] + r * np.sin(a)).astype(np.float32))
        cap = max(2, round(lv.capacity * scale)) if lv.capacity > 0 else 0
        cols["capacity"].append(np.full(k, cap, np.int32))
        cols["sessions"].append(np.full(k, lv.sessions_per_week, np.float32))
        cols["min_age"].append(np.full(k, lv.min_age, np.int16))
        cols["max_age"].append(np.full(k, lv.max_age, np.int16))
        cols["role_share"].append(np.full(k, lv.role_share, np.float32))
        cols["online"].append(np.full(k, lv.online, bool))
    dtypes = {"lever": np.int16, "zone": np.int32, "municipality": np.int16,
              "x_km": np.float32, "y_km": np.float32, "capacity": np.int32,
              "sessions": np.float32, "min_age": np.int16, "max_age": np.int16,
              "role_share": np.float32, "online": bool}  # fmt: skip
    return VenueTable(
        **{
            k: np.concatenate(v).astype(dtypes[k]) if v else np.zeros(0, dtypes[k])
            for k, v in cols.items()
        }
    )


def _slots(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR index of venues by key: (order, start, count)."""
    order = np.argsort(keys, kind="stable")
    count = np.bincount(keys, minlength=n_keys)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    return order, start, count


def candidate_venue(m, venues: VenueTable, open_: np.ndarray, who: np.ndarray) -> tuple:
    """The nearest open venue with room and a matching age band, for each resident in ``who``.

    In-person venues are those of the resident's zone, at the distance between home and venue.
    Online venues are open at distance 0 to residents with digital access in the venue's
    municipality.

    Returns:
        (venue index or -1, distance in km) per resident in ``who``.
    """
    best = np.full(who.size, -1, np.int64)
    dist = np.full(who.size, np.inf, np.float32)
    if venues.n == 0 or who.size == 0:
        return best, dist
    members = np.bincount(m.svc.venue[m.svc.venue >= 0], minlength=venues.n)
    room = open_ & (members < venues.capacity)
    age = m.pop.age[who]
    online = venues.online
    for flag, keys, n_keys, home_key in (
        (False, venues.zone, m.pop.zones.n, m.pop.zone[who]),
        (
            True,
            venues.municipality.astype(np.int64),
            int(m.pop.municipality.max()) + 1,
            m.pop.municipality[who].astype(np.int64),
        ),
    ):
        sel = np.flatnonzero((online == flag) & room)
        if sel.size == 0:
            continue
        order, start, count = _slots(keys[sel], n_keys)
        for j in range(int(count.max())):
            has = count[home_key] > j
            v = np.where(has, sel[order[np.minimum(start[home_key] + j, sel.size - 1)]], 0)
            if flag:
                d = np.where(has & m.pop.digital[who], np.float32(0.0), np.inf)
            else:
                dx = m.svc.home_x[who] - venues.x_km[v]
                dy = m.svc.home_y[who] - venues.y_km[v]
                d = np.where(has, np.hypot(dx, dy), np.inf)
            ok = (age >= venues.min_age[v]) & (age <= venues.max_age[v]) & (d < dist)
            best = np.where(ok, v, best)
            dist = np.where(ok, d, dist).astype(np.float32)
    return best, dist
