"""Places to belong: venues with location, capacity, sessions, targets, roles and funding.

Venues are few, so they are a small table of arrays (one row per venue). Residents join a venue
near home (joining falls with distance, exp(-d / venue_decay_km)), or through a referral; they
attend its sessions while it is funded; co-attendees form friendships; a share of members gets
a role, which lowers their latent loneliness beyond the contact of attending.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.policy.levers import Venue
from sim.world.population import zones_per_municipality

if TYPE_CHECKING:
    from sim.policy.capacity import Pools


@dataclass
class VenueTable:
    """One row per venue."""

    lever: np.ndarray  # int16, index of the lever in the scenario
    zone: np.ndarray  # int32 (-1 for online)
    municipality: np.ndarray  # int16
    x_km: np.ndarray  # float32
    y_km: np.ndarray
    capacity: np.ndarray  # int32, seats in simulated residents (stochastically rounded places)
    places: np.ndarray  # float64, places of the real venue times the scale (expected seats)
    sessions: np.ndarray  # float32 per week
    min_age: np.ndarray  # int16
    max_age: np.ndarray
    role_share: np.ndarray  # float32
    online: np.ndarray  # bool
    seat_pool: np.ndarray  # int32, the venues of one lever in one municipality share seats

    @property
    def n(self) -> int:
        """Number of venues."""
        return int(self.lever.size)


def districts_per_zone(m) -> np.ndarray:
    """School districts each simulated zone stands for (float, one per zone).

    A municipality has one zone per school district at full scale
    (:func:`sim.world.population.zones_per_municipality` of its census population), but at
    small ``population.scale`` fewer zones (at most one per ``min_zone_residents`` simulated
    residents). Each of its simulated zones then stands for (districts at full scale) /
    (simulated zones) districts, so a lever opens as many venues per municipality at every
    scale.
    """
    zones = m.pop.zones
    mun = m.region.municipalities
    n_mun = len(mun)
    full = zones_per_municipality(
        mun, np.rint(mun["pop_total"].to_numpy(float)).astype(np.int64), m.cfg.population
    )
    simulated = np.bincount(zones.municipality, minlength=n_mun)
    return (full / np.maximum(simulated, 1))[zones.municipality].astype(np.float64)


def stochastic_round(x: np.ndarray, rng) -> np.ndarray:
    """``floor(x)`` plus one with probability ``x - floor(x)``: integers with mean ``x``."""
    x = np.asarray(x, np.float64)
    whole = np.floor(x)
    return (whole + (rng.random(x.shape) < x - whole)).astype(np.int64)


def build_venues(
    m,
    levers: list[tuple[int, Venue, np.ndarray]],
    scale: float,
    districts: np.ndarray | None = None,
) -> VenueTable:
    """Open the venues of every venue lever in its zones.

    Every number is kept at its expectation at any ``population.scale``, so that the simulated
    venue capacity per simulated resident does not depend on the scale: each zone opens
    ``per_zone`` venues per school district it stands for (``districts``), and each venue holds
    ``capacity * scale`` simulated residents, both stochastically rounded on the lever's own
    stream (:func:`stochastic_round`). A venue whose rounded capacity is 0 is opened (it is
    there and costs its sessions, as the real venue does) but never holds a member: residents
    who choose it sit at another venue of its seat pool (:func:`seat_joiners`).

    Args:
        m: the model (population, zones, streams).
        levers: (lever index, lever, zone mask) for each venue lever.
        scale: simulated share of the population; capacities scale with it.
        districts: school districts per zone (:func:`districts_per_zone`); None: one each.
    """
    zones = m.pop.zones
    if districts is None:
        districts = np.ones(zones.n)
    cols: dict[str, list] = {k: [] for k in VenueTable.__dataclass_fields__}
    for index, lv, zmask in levers:
        rng = m.streams.get(f"lever:{lv.id}")
        zs = np.flatnonzero(zmask)
        per = stochastic_round(lv.per_zone * districts[zs], rng)
        z = np.repeat(zs, per)
        k = z.size
        r = zones.radius_km[z] * np.sqrt(rng.random(k))
        a = rng.random(k) * 2 * np.pi
        cols["lever"].append(np.full(k, index, np.int16))
        cols["zone"].append(np.where(lv.online, -1, z).astype(np.int32))
        cols["municipality"].append(zones.municipality[z].astype(np.int16))
        cols["x_km"].append((zones.x_km[z] + r * np.cos(a)).astype(np.float32))
        cols["y_km"].append((zones.y_km[z] + r * np.sin(a)).astype(np.float32))
        cols["capacity"].append(stochastic_round(np.full(k, lv.capacity * scale), rng))
        cols["places"].append(np.full(k, lv.capacity * scale))
        cols["sessions"].append(np.full(k, lv.sessions_per_week, np.float32))
        cols["min_age"].append(np.full(k, lv.min_age, np.int16))
        cols["max_age"].append(np.full(k, lv.max_age, np.int16))
        cols["role_share"].append(np.full(k, lv.role_share, np.float32))
        cols["online"].append(np.full(k, lv.online, bool))
    dtypes = {"lever": np.int16, "zone": np.int32, "municipality": np.int16,
              "x_km": np.float32, "y_km": np.float32, "capacity": np.int32,
              "places": np.float64, "sessions": np.float32, "min_age": np.int16,
              "max_age": np.int16, "role_share": np.float32, "online": bool}  # fmt: skip
    out = {k: np.concatenate(v).astype(dtypes[k]) if v else np.zeros(0, dtypes[k])
           for k, v in cols.items() if k != "seat_pool"}  # fmt: skip
    key = out["lever"].astype(np.int64) * (1 << 16) + out["municipality"]
    out["seat_pool"] = np.unique(key, return_inverse=True)[1].astype(np.int32).reshape(-1)
    return VenueTable(**out)


def free_seats(venues: VenueTable, members: np.ndarray) -> np.ndarray:
    """Seats left in each seat pool (a lever's venues in one municipality), given members."""
    n = int(venues.seat_pool.max()) + 1 if venues.n else 0
    left = np.bincount(venues.seat_pool, venues.capacity - members, minlength=n)
    return left.astype(np.int64)


def places_left(venues: VenueTable, members: np.ndarray) -> np.ndarray:
    """Whole places of each real venue not yet taken: ``ceil(places - members)``."""
    return np.ceil(venues.places - members - 1e-9).astype(np.int64)


def seat_joiners(
    venues: VenueTable, members: np.ndarray, venue: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Where joiners who chose ``venue`` sit; members per venue never exceed its capacity.

    A joiner chose a venue whose real places are not all taken (members < ``places``); in
    random order (``u``), joiners of a venue beyond its places left (``ceil(places -
    members)``) or of a seat pool beyond its seats left (:func:`free_seats`) are refused. A
    joiner sits at the chosen venue while it has seats (``capacity``); the others sit at the
    seat pool's other venues with seats, matched in venue order. At full scale the seats of a
    venue are its places, so every joiner sits where it chose; at a small scale a venue holds
    ``places`` (less than one, say) in expectation: its seats are shared within the seat pool,
    so joining depends on where venues are and how full they really are, not on which of them
    drew a seat.

    Args:
        venues: the venue table.
        members: members per venue at the start of the step.
        venue: the chosen venue of each joiner.
        u: a uniform number per joiner (its place in the random order).

    Returns:
        ``(order, seat)``: the joiners in random order within their chosen venue (sorted by
        venue), and for each of them in that order the venue where it sits (-1: refused).
    """
    order = np.lexsort((u, venue))
    venue, u = venue[order], u[order]
    pool = venues.seat_pool[venue].astype(np.int64)
    ok = _rank(venue) < places_left(venues, members)[venue]
    by_pool = np.lexsort((u, pool))
    rank = np.empty(venue.size, np.int64)
    rank[by_pool] = _rank(pool[by_pool], mask=ok[by_pool])
    ok &= rank < free_seats(venues, members)[pool]
    free = venues.capacity - members
    stay = ok & (_rank(venue, mask=ok) < free[venue])
    seat = np.where(stay, venue, -1)
    move = np.flatnonzero(ok & ~stay)
    if move.size:  # the k-th mover of a pool takes the pool's k-th seat left, in venue order
        left_v = free - np.bincount(venue[stay], minlength=venues.n)
        spare = np.repeat(np.arange(venues.n), np.maximum(left_v, 0))
        spare = spare[np.argsort(venues.seat_pool[spare], kind="stable")]
        start = np.searchsorted(
            venues.seat_pool[spare], np.arange(free_seats(venues, members).size)
        )
        movers = move[np.argsort(pool[move], kind="stable")]
        seat[movers] = spare[start[pool[movers]] + _rank(pool[movers])]
    return order, seat


def _rank(key: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Position of each element among the earlier elements with the same (sorted) key.

    With ``mask``, only masked elements are counted (unmasked ones get a count too).
    """
    if key.size == 0:
        return np.zeros(0, np.int64)
    w = np.ones(key.size, np.int64) if mask is None else mask.astype(np.int64)
    before = np.cumsum(w) - w
    first = np.concatenate([[True], key[1:] != key[:-1]])
    return before - np.maximum.accumulate(np.where(first, before, 0))


def _slots(keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR index of venues by key: (order, start, count)."""
    order = np.argsort(keys, kind="stable")
    count = np.bincount(keys, minlength=n_keys)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    return order, start, count


def candidate_venue(
    m, venues: VenueTable, open_: np.ndarray, who: np.ndarray, reach: dict | None = None
) -> tuple:
    """The nearest open venue with room and a matching age band, for each resident in ``who``.

    In-person venues are those of the resident's zone, at the distance between home and venue.
    Online venues are open at distance 0 to residents with digital access in the venue's
    municipality. With a wide-area platform (``reach``, from
    :func:`venue_reach`), residents of a member municipality
    may also use the online venues of the other members of their cluster, in-person venues in
    the nearest zones of the other members (distance from home) and venues near the centre of
    the member where they work or study (distance from that centre); such distances are
    scaled by ``reach["factor"]`` so that the joining decay uses ``venue_access_km``.

    Returns:
        (venue index or -1, effective distance in km) per resident in ``who``.
    """
    best = np.full(who.size, -1, np.int64)
    dist = np.full(who.size, np.inf, np.float32)
    if venues.n == 0 or who.size == 0:
        return best, dist
    members = np.bincount(m.svc.venue[m.svc.venue >= 0], minlength=venues.n)
    seats = free_seats(venues, members)[venues.seat_pool]
    room = open_ & (places_left(venues, members) > 0) & (seats > 0)  # see seat_joiners
    age = m.pop.age[who]
    online = venues.online
    home_m = m.pop.municipality[who].astype(np.int64)
    n_mun = int(m.pop.municipality.max()) + 1
    if reach is None:
        v_online, r_online = venues.municipality.astype(np.int64), home_m
    else:  # online venues of every member of the cluster
        pool = reach["pool_of"]
        v_online, r_online = pool[venues.municipality], pool[home_m]
        n_mun = max(n_mun, pool.size)
    in_person = np.flatnonzero(~online & room)
    zone_slots = _slots(venues.zone[in_person], m.pop.zones.n) if in_person.size else None

    def home_distance(v, rows):
        dx = m.svc.home_x[who[rows]] - venues.x_km[v]
        dy = m.svc.home_y[who[rows]] - venues.y_km[v]
        return np.hypot(dx, dy)

    def scan(sel, slots, key, rows, distance) -> None:
        """Offer each resident ``rows`` the venues ``sel`` filed under its ``key`` (-1: none)."""
        nonlocal best, dist
        order, start, count = slots
        k = np.maximum(key, 0)
        valid = key >= 0
        for j in range(int(count.max()) if count.size else 0):
            has = valid & (count[k] > j)
            v = np.where(has, sel[order[np.minimum(start[k] + j, sel.size - 1)]], 0)
            d = np.where(has, distance(v, rows), np.inf).astype(np.float32)
            ok = (age[rows] >= venues.min_age[v]) & (age[rows] <= venues.max_age[v])
            ok &= d < dist[rows]
            best[rows] = np.where(ok, v, best[rows])
            dist[rows] = np.where(ok, d, dist[rows])

    every = np.arange(who.size)
    if zone_slots is not None:
        scan(in_person, zone_slots, m.pop.zone[who].astype(np.int64), every, home_distance)
    sel = np.flatnonzero(online & room)
    if sel.size:
        digital = m.pop.digital[who]
        scan(sel, _slots(v_online[sel], n_mun), r_online, every,
             lambda v, rows: np.where(digital[rows], 0.0, np.inf))  # fmt: skip
    if reach is None or zone_slots is None:
        return best, dist
    factor = reach["factor"][home_m]
    rows = np.flatnonzero(factor > 0)
    if rows.size == 0:
        return best, dist
    f = factor[rows]
    near = reach["near_zones"][m.pop.zone[who[rows]]]  # venues across the border, near home
    for c in range(near.shape[1]):
        scan(in_person, zone_slots, near[:, c], rows, lambda v, r: home_distance(v, r) * f)
    group = m.res.group[who[rows]]  # venues near the workplace or school in another member
    work = np.where(group >= 0, m.groups.municipality[np.maximum(group, 0)], -1).astype(np.int64)
    pool = reach["pool_of"]
    work = np.where((work >= 0) & (work != home_m[rows]), work, -1)
    work = np.where((work >= 0) & (pool[np.maximum(work, 0)] == pool[home_m[rows]]), work, -1)
    centre = reach["centre"][np.maximum(work, 0)]
    wz = reach["work_zones"][np.maximum(work, 0)]
    for c in range(wz.shape[1]):
        key = np.where(work >= 0, wz[:, c], -1)

        def from_work(v, r):
            return np.hypot(centre[:, 0] - venues.x_km[v], centre[:, 1] - venues.y_km[v]) * f

        scan(in_person, zone_slots, key, rows, from_work)
    return best, dist


def venue_reach(m: Any, pools: Pools, venue_decay_km: float, k: int = 3) -> dict | None:
    """Venues residents may use through a wide-area platform (None when there is none).

    Args:
        m: the model (population, zones, region).
        pools: the active wide-area pools (:class:`sim.policy.capacity.Pools`).
        venue_decay_km: distance scale of joining a venue near home.
        k: zones kept per zone and per municipality.

    Returns:
        A dict with ``near_zones`` (zone x K: the K nearest zones of other members of the
        zone's cluster, -1 for none), ``work_zones`` (municipality x K: the municipality's K
        zones nearest its centre, for venues near the workplace or school), ``centre``
        (municipality x 2, km), ``factor`` (per municipality: venue_decay_km /
        venue_access_km, so a caller's ``exp(-d_eff / venue_decay_km)`` is
        ``exp(-d / venue_access_km)``; 0 where the municipality has no wide-area venue
        access) and ``pool_of``.
    """
    if not pools.venue_wide:
        return None
    zones = m.pop.zones
    zmun = zones.municipality.astype(np.int64)
    zxy = np.stack([zones.x_km, zones.y_km], axis=1).astype(np.float64)
    near = np.full((zones.n, k), -1, np.int64)
    pool = pools.venue_pool_of
    for label in np.unique(pool[pools.venue_access_km > 0]):
        zs = np.flatnonzero(pool[zmun] == label)
        d = np.sqrt(((zxy[zs, None, :] - zxy[None, zs, :]) ** 2).sum(-1))
        d[zmun[zs][:, None] == zmun[zs][None, :]] = np.inf  # other members only
        order = np.argsort(d, axis=1)[:, :k]
        dk = np.take_along_axis(d, order, axis=1)
        near[zs, : order.shape[1]] = np.where(dk < np.inf, zs[order], -1)
    centre = m.region.municipalities[["x_km", "y_km"]].to_numpy(float)
    n_mun = pool.size
    work = np.full((n_mun, k), -1, np.int64)
    for j in range(n_mun):
        zs = np.flatnonzero(zmun == j)
        d = np.hypot(*(zxy[zs] - centre[j]).T)
        pick = zs[np.argsort(d)[:k]]
        work[j, : pick.size] = pick
    factor = np.where(
        pools.venue_access_km > 0,
        venue_decay_km / np.maximum(pools.venue_access_km, 1e-9),
        0.0,
    )
    return {"near_zones": near, "work_zones": work, "centre": centre,
            "factor": factor.astype(np.float32), "pool_of": pool}  # fmt: skip
