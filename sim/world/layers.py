"""Static tie layers: work and school groups (with commuting), and neighbourhood ties.

Households come from the population (contiguous members, summed with ``np.add.reduceat``).
Work and school are groups (one group id per resident, summed with ``np.bincount``). The
neighbourhood layer is an undirected edge list inside and near zones, with age homophily.
Friendships change every week and live in :mod:`sim.world.friendship`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.codes import Activity
from sim.core.params import param
from sim.world.commuting import commuting_matrix


@dataclass
class LayerParams:
    """Declared parameters of the tie layers."""

    workplace_mean_size: float = param(
        9.4,
        unit="persons",
        low=3.0,
        high=30.0,
        source="2016 Economic Census: private employees / establishments, Japan "
        "(sim/data/municipalities_2020.csv); lognormal shape assumed",
        doc="mean number of workers per workplace",
    )
    workplace_size_sigma: float = param(
        1.1,
        unit="log-persons",
        low=0.3,
        high=2.0,
        source="assumption: heavy-tailed establishment sizes (most establishments have <10 staff)",
        doc="lognormal sigma of workplace size",
    )
    class_size: int = param(
        28, unit="persons", low=10, high=40, source="MEXT school statistics: mean class ~25-30"
    )
    outside_commute_share: float = param(
        0.402,
        unit="share",
        low=0.25,
        high=0.55,
        source="2015 census commuting tables: 40.2% of commuters work outside their municipality",
        doc="share of workers and older students whose workplace or school is in another "
        "municipality",
        uncertain=True,
    )
    commute_distance_km: float = param(
        15.0,
        unit="km",
        low=5.0,
        high=40.0,
        source="assumption: gravity-model distance decay scale for regional commuting",
        doc="distance scale of the exponential decay in the commuting gravity model",
    )
    commuting_areas: str = param(
        "metro",
        unit="-",
        source="sim/data/commuting_areas.csv (census 大都市圏 and 2015 従業地・通学地 figures; "
        "sim/data/SOURCES.md)",
        doc="metro: one commuting block per commuting area (sim/data/commuting_areas.csv); "
        "prefecture: one per prefecture",
    )
    neighbour_ties: float = param(
        4.0,
        unit="ties/person",
        low=1.0,
        high=10.0,
        source="assumption: 近所づきあい; a few neighbours one greets or talks with",
        doc="mean neighbourhood ties per resident",
        uncertain=True,
    )
    neighbour_near_zone_share: float = param(
        0.2,
        unit="share",
        low=0.0,
        high=0.5,
        source="assumption",
        doc="share of neighbourhood ties reaching into the nearest other zone",
    )
    age_homophily_years: float = param(
        6.0,
        unit="years",
        low=2.0,
        high=20.0,
        source="assumption; age homophily of personal networks (McPherson et al. 2001)",
        doc="scale of age differences between tie partners",
    )
    initial_friends: float = param(
        4.0,
        unit="ties/person",
        low=1.0,
        high=10.0,
        source="assumption; close-friend counts in Japanese surveys are mostly 1-5",
        doc="mean friendship ties per resident aged 16+ at set-up",
        uncertain=True,
    )
    sociability_shape: float = param(
        0.6,
        unit="-",
        low=0.3,
        high=10.0,
        source="assumption: friend counts are over-dispersed (many people have 0-1 close "
        "friends, a few have many); gamma shape of individual sociability",
        doc="gamma shape of sociability (mean 1); smaller means more residents with few ties",
        uncertain=True,
    )

    def __post_init__(self) -> None:
        """Refuse an unknown ``layers.commuting_areas`` with a one-line ConfigError."""
        from sim.world.partitions import check_areas

        check_areas(self.commuting_areas)


@dataclass
class Groups:
    """Work and school groups: one id per resident (``-1`` = none) and group metadata."""

    of_resident: np.ndarray  # int32, group id or -1
    municipality: np.ndarray  # int16, municipality of each group (where it is)
    is_school: np.ndarray  # bool, per group
    start: np.ndarray  # int64, CSR offsets of members sorted by group
    members: np.ndarray  # int32, residents sorted by group

    @property
    def n(self) -> int:
        """Number of groups."""
        return int(self.municipality.size)

    def size(self) -> np.ndarray:
        """Members of each group."""
        return np.diff(np.append(self.start, self.members.size))

    def rebuild_members(self) -> None:
        """Recompute the member index after residents join or leave groups."""
        inside = np.flatnonzero(self.of_resident >= 0)
        order = np.argsort(self.of_resident[inside], kind="stable")
        self.members = inside[order].astype(np.int32)
        counts = np.bincount(self.of_resident[inside], minlength=self.n)
        self.start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def _chunk_groups(keys: np.ndarray, sizes_for: callable, rng: np.random.Generator) -> np.ndarray:
    """Cut residents sorted by ``keys`` (random order within a key) into consecutive groups.

    Args:
        keys: per-resident integer key (e.g. destination municipality); -1 residents are ignored.
        sizes_for: function (n_members, rng) -> array of group sizes summing to >= n_members.
        rng: generator for the within-key shuffle and the sizes.

    Returns:
        Group id per resident (-1 where key is -1), ids numbered key by key.
    """
    out = np.full(keys.size, -1, dtype=np.int32)
    idx = np.flatnonzero(keys >= 0)
    order = idx[np.lexsort((rng.random(idx.size), keys[idx]))]
    k_sorted = keys[order]
    bounds = np.flatnonzero(np.diff(k_sorted)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [order.size]])
    next_id = 0
    for s, e in zip(starts, ends, strict=True):
        sizes = sizes_for(e - s, rng)
        ids = np.repeat(np.arange(sizes.size, dtype=np.int32), sizes)[: e - s]
        out[order[s:e]] = ids + next_id
        next_id += int(ids.max()) + 1 if ids.size else 0
    return out


def build_groups(pop, region, params: LayerParams, rng: np.random.Generator) -> Groups:
    """Assign workers to workplaces and students to school classes, with commuting.

    Workers and students aged 15+ choose a destination municipality from the commuting matrix
    (gravity model, see :mod:`sim.world.commuting`); schoolchildren (6-14) attend school in their
    own
    zone. Workplaces have lognormal sizes; classes are same-age groups of ``class_size``.
    """
    m = len(region.municipalities)
    commute = commuting_matrix(
        region, params.outside_commute_share, params.commute_distance_km, params.commuting_areas
    )
    cum = np.cumsum(commute, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(pop.n)
    home = pop.municipality.astype(np.int64)
    dest = (u[:, None] > cum[home]).sum(axis=1) if pop.n * m < 5e7 else _dest_chunked(u, cum, home)
    worker = pop.activity == Activity.EMPLOYED
    student = pop.activity == Activity.STUDENT
    young_student = student & (pop.age < 15)

    mean, sigma = params.workplace_mean_size, params.workplace_size_sigma
    mu = np.log(mean) - sigma**2 / 2

    def workplace_sizes(n: int, g: np.random.Generator) -> np.ndarray:
        k = max(1, int(np.ceil(n / mean * 1.5)) + 4)
        s = np.maximum(1, np.round(g.lognormal(mu, sigma, k))).astype(np.int64)
        while s.sum() < n:
            s = np.concatenate([s, s])
        return s

    def class_sizes(n: int, g: np.random.Generator) -> np.ndarray:
        k = max(1, int(np.ceil(n / params.class_size)))  # n == 0: no students of this key
        return np.full(k, int(np.ceil(n / k)), dtype=np.int64)

    work_key = np.where(worker, dest, -1)
    work_group = _chunk_groups(work_key, workplace_sizes, rng)
    n_work = int(work_group.max()) + 1 if (work_group >= 0).any() else 0
    school_key = np.full(pop.n, -1, dtype=np.int64)
    n_zones = pop.zones.n
    # schoolchildren: by zone and single year of age; older students: by destination and age band
    school_key[young_student] = (
        pop.zone[young_student].astype(np.int64) * 16 + pop.age[young_student]
    )
    older = student & ~young_student
    band = np.minimum(pop.age[older], 22) // 4
    school_key[older] = (n_zones * 16) + dest[older] * 8 + band
    school_group = _chunk_groups(school_key, class_sizes, rng)
    group = np.where(school_group >= 0, school_group + n_work, work_group).astype(np.int32)
    n_groups = int(group.max()) + 1 if (group >= 0).any() else 0
    gmuni = np.zeros(n_groups, dtype=np.int16)
    where_muni = np.where(young_student, pop.municipality, dest).astype(np.int16)
    inside = group >= 0
    gmuni[group[inside]] = where_muni[inside]
    is_school = np.zeros(n_groups, dtype=bool)
    is_school[n_work:] = True
    groups = Groups(group, gmuni, is_school, np.zeros(0, np.int64), np.zeros(0, np.int32))
    groups.rebuild_members()
    return groups


def _dest_chunked(u: np.ndarray, cum: np.ndarray, home: np.ndarray) -> np.ndarray:
    """Inverse-CDF destination draw, chunked to bound memory for large populations."""
    out = np.empty(u.size, dtype=np.int64)
    step = max(1, int(2e7 // cum.shape[1]))
    for s in range(0, u.size, step):
        out[s : s + step] = (u[s : s + step, None] > cum[home[s : s + step]]).sum(axis=1)
    return out


def zone_age_order(pop) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Living residents sorted by (zone, age), each one's position, each zone's start and size.

    Living residents are ``pop.age >= 0`` (inactive demography slots have age -1). The order is
    the stable one of (zone, age), found by two stable passes, by age then by zone, which numpy
    sorts by radix when the values fit 16 bits.
    """
    alive = np.flatnonzero(pop.age >= 0)
    zone = pop.zone[alive]
    zone = zone.astype(np.int16) if pop.zones.n < 2**15 else zone
    by_age = np.argsort(pop.age[alive], kind="stable")
    order = alive[by_age[np.argsort(zone[by_age], kind="stable")]].astype(np.int32)
    pos = np.zeros(pop.n, dtype=np.int64)
    pos[order] = np.arange(order.size)
    counts = np.bincount(pop.zone[alive], minlength=pop.zones.n)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return order, pos, start, counts


def rank_spread(params: LayerParams, zone_counts: np.ndarray) -> float:
    """Spread, in ranks of a zone's age-sorted list, matching ``age_homophily_years``.

    A zone of ``n`` residents spans roughly 80 years of age, so one year is ``n / 80`` ranks.
    """
    return max(1.0, params.age_homophily_years * float(zone_counts.mean()) / 80.0)


def age_similar_partner(
    residents: np.ndarray,
    zone_of: np.ndarray,
    order: np.ndarray,
    pos: np.ndarray,
    start: np.ndarray,
    counts: np.ndarray,
    spread: float,
    rng: np.random.Generator,
    target_zone: np.ndarray | None = None,
) -> np.ndarray:
    """Pick for each resident a partner of similar age in their zone (or ``target_zone``).

    Partners are taken at a small random rank offset in the zone's age-sorted list, so the age
    gap shrinks with ``spread`` (in ranks). Returns -1 where no partner exists.
    """
    z = zone_of[residents] if target_zone is None else target_zone
    zsize = counts[z]
    rel = (pos[residents] - start[zone_of[residents]]) / np.maximum(counts[zone_of[residents]], 1)
    base = start[z] + np.floor(rel * zsize).astype(np.int64)
    offset = np.round(rng.normal(0.0, spread, residents.size)).astype(np.int64)
    offset[offset == 0] = 1
    p = np.clip(base + offset, start[z], start[z] + np.maximum(zsize - 1, 0))
    partner = np.where(zsize > 0, order[np.minimum(p, order.size - 1)], -1)
    return np.where(partner == residents, -1, partner).astype(np.int32)


def build_neighbourhood(pop, params: LayerParams, rng: np.random.Generator) -> np.ndarray:
    """Neighbourhood ties inside zones and into the nearest zone, with age homophily.

    Returns:
        Array of shape (E, 2), int32, undirected edges with ``src < dst``, no duplicates.
    """
    order, pos, start, counts = zone_age_order(pop)
    adults = np.flatnonzero(pop.age >= 16)
    stubs = rng.poisson(params.neighbour_ties / 2.0, adults.size)
    src = np.repeat(adults, stubs).astype(np.int32)
    near = rng.random(src.size) < params.neighbour_near_zone_share
    target = pop.zone[src].astype(np.int64)
    if pop.zones.n > 1:
        from scipy.spatial import cKDTree  # imported here: config loading stays light

        tree = cKDTree(np.column_stack([pop.zones.x_km, pop.zones.y_km]))
        _, nn = tree.query(np.column_stack([pop.zones.x_km, pop.zones.y_km]), k=2)
        target = np.where(near, nn[target, 1], target)
    spread = rank_spread(params, counts)
    dst = age_similar_partner(src, pop.zone, order, pos, start, counts, spread, rng, target)
    return unique_edges(src, dst)


def sociability(n: int, params: LayerParams, rng: np.random.Generator) -> np.ndarray:
    """Individual sociability, gamma-distributed with mean 1 (float32)."""
    k = params.sociability_shape
    return rng.gamma(k, 1.0 / k, n).astype(np.float32)


def build_initial_friends(
    pop, groups: Groups, params: LayerParams, social: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Friendships at set-up: from work or school, from the zone, and from the municipality.

    Each resident aged 16+ gets ``Poisson(sociability * initial_friends / 2)`` stubs; a stub's
    partner is a
    random member of the same work or school group, an age-similar resident of the same zone,
    or an age-similar resident of the same municipality (old friends and family living apart).
    """
    order, pos, start, counts = zone_age_order(pop)
    adults = np.flatnonzero(pop.age >= 16)
    stubs = rng.poisson(social[adults] * params.initial_friends / 2.0)
    src = np.repeat(adults, stubs).astype(np.int32)
    kind = rng.random(src.size)
    spread = rank_spread(params, counts)
    dst = age_similar_partner(src, pop.zone, order, pos, start, counts, spread, rng)
    in_group = (kind < 0.4) & (groups.of_resident[src] >= 0)
    dst[in_group] = random_group_member(src[in_group], groups, rng)
    far = kind >= 0.7
    if far.any():
        same_muni = _same_municipality_zone(pop, src[far], rng)
        dst[far] = age_similar_partner(
            src[far], pop.zone, order, pos, start, counts, spread, rng, same_muni
        )
    return unique_edges(src, dst)


def _same_municipality_zone(pop, residents: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random zone of each resident's municipality."""
    zmuni = pop.zones.municipality.astype(np.int64)
    zorder = np.argsort(zmuni, kind="stable")
    zcount = np.bincount(zmuni, minlength=int(pop.municipality.max()) + 1)
    zstart = np.concatenate([[0], np.cumsum(zcount)[:-1]])
    m = pop.municipality[residents].astype(np.int64)
    pick = zstart[m] + np.floor(rng.random(residents.size) * zcount[m]).astype(np.int64)
    return zorder[pick]


def random_group_member(
    residents: np.ndarray, groups: Groups, rng: np.random.Generator
) -> np.ndarray:
    """A random member of each resident's group (may be the resident itself: caller filters)."""
    g = groups.of_resident[residents].astype(np.int64)
    size = groups.size()[g]
    pick = groups.start[g] + np.floor(rng.random(residents.size) * size).astype(np.int64)
    return groups.members[np.minimum(pick, groups.members.size - 1)]


def unique_edges(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Undirected, de-duplicated edges (src < dst) from candidate pairs; drops -1 and self-loops."""
    ok = (dst >= 0) & (src >= 0) & (src != dst)
    a = np.minimum(src[ok], dst[ok]).astype(np.int64)
    b = np.maximum(src[ok], dst[ok]).astype(np.int64)
    key = np.unique(a << 32 | b)
    return np.column_stack([(key >> 32), (key & 0xFFFFFFFF)]).astype(np.int32)
