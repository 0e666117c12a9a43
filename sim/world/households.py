"""Household synthesis for one municipality: residents are given household roles by age and sex.

The census fixes, per municipality, the number of general households, the residents living in
them, and the counts of single-person, 65+ single, elderly-couple (夫65+妻60+), nuclear-family and
other households. Residents are drawn into roles in this order, always without replacement:

1. institutional residents (the gap between the population and general-household members), each
   in a one-person household flagged ``institutional`` (typed OTHER, never counted as living
   alone), drawn mostly from the oldest ages;
2. people living alone: 65+ men and women to the municipal 65+ single count split by the national
   rates (15.0 % of men, 22.1 % of women), the rest aged 18-64 by a declared age profile;
3. married couples: husbands by age-band quotas of the married share, wives matched by an age
   gap drawn around two years;
4. couple roles: elderly couples-only (to the census count), other couples-only, couples with
   children, and couples in "other" (three-generation) households, either as the older or the
   younger generation;
5. single parents, and lone elders who head "other" households;
6. every remaining resident is a dependent: first one per parent unit (so each couple-with-
   children and single-parent household has a child), then the rest matched to a parent unit of
   plausible age gap; anyone left (e.g. a very old unmarried sibling) joins an "other" household.

Counts are matched up to rounding and up to the few units that find no partner or child of a
plausible age; types are relabelled from the composition at the end (a couple-with-children
household left without a child becomes a couple-only household).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.codes import HouseholdType, Sex
from sim.core.params import param

#: Lower edges of the adult 5-year age bands used by household and marital profiles (85+ last).
ADULT_BANDS: tuple[int, ...] = (15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85)
#: Lower edges of the 65+ bands used by the living-alone age profile (85+ last).
ELDER_BANDS: tuple[int, ...] = (65, 70, 75, 80, 85)


_W = "assumption: relative propensity by age (shape from 2020 census household tables; M)"
_NAT = "2020 census 人口等基本集計 結果の概要 (M: recalled; nuclear total 54.05 % verified)"


@dataclass
class HouseholdParams:
    """Declared parameters of household formation (profiles per ADULT_BANDS unless stated)."""

    institution_weight: list[float] = param(
        (0.02, 0.03, 0.01, 0.008, 0.008, 0.008, 0.009, 0.01, 0.012, 0.014, 0.016, 0.02, 0.035,
         0.07, 0.2), unit="-", low=0.0, high=1.0, source=_W,
        doc="relative chance of living in an institution (none under 15)")  # fmt: skip
    alone_65_share_male: float = param(
        0.150, unit="share", low=0.05, high=0.4, source="高齢社会白書 2024 (2020 census; V)",
        doc="national share of men 65+ living alone; splits the municipal 65+ single count",
    )  # fmt: skip
    alone_65_share_female: float = param(
        0.221, unit="share", low=0.05, high=0.5, source="高齢社会白書 2024 (2020 census; V)",
        doc="national share of women 65+ living alone; splits the municipal 65+ single count",
    )  # fmt: skip
    alone_65_weight_male: list[float] = param(
        (1.0, 1.0, 1.0, 1.0, 0.9), unit="-", low=0.0, high=5.0, source=_W,
        doc="relative chance of living alone for men by ELDER_BANDS")  # fmt: skip
    alone_65_weight_female: list[float] = param(
        (0.65, 0.85, 1.0, 1.2, 1.1), unit="-", low=0.0, high=5.0, source=_W,
        doc="relative chance of living alone for women by ELDER_BANDS")  # fmt: skip
    alone_under65_weight: list[float] = param(
        (0.03, 0.3, 0.27, 0.18, 0.14, 0.13, 0.13, 0.13, 0.13, 0.14, 0, 0, 0, 0, 0), unit="-",
        low=0.0, high=1.0, source=_W, doc="relative chance of living alone at 18-64")  # fmt: skip
    alone_under65_male_share: float = param(
        0.57, unit="share", low=0.45, high=0.7,
        source="2020 census: one-person households by sex minus the 65+ (approx.; M)",
        doc="share of men among people under 65 living alone")  # fmt: skip
    married_share_male: list[float] = param(
        (0.003, 0.05, 0.25, 0.5, 0.61, 0.64, 0.63, 0.64, 0.68, 0.73, 0.78, 0.81, 0.82, 0.79,
         0.68), unit="share", low=0.0, high=1.0,
        source="2020 census 配偶関係 有配偶率 of men (approx.; M)",
        doc="married share of men; sets the number of couples")  # fmt: skip
    couple_age_gap_mean: float = param(
        2.0, unit="years", low=0.0, high=6.0, source="人口動態統計: husband ~2 years older (M)",
        doc="mean of husband's age minus wife's age")  # fmt: skip
    couple_age_gap_sd: float = param(
        3.5, unit="years", low=1.0, high=8.0, source="assumption", doc="sd of the couple age gap"
    )
    couple_age_gap_tolerance: float = param(
        6.0, unit="years", low=1.0, high=20.0, source="assumption",
        doc="largest accepted distance from the drawn wife's age")  # fmt: skip
    couple_only_share: float = param(
        0.201, unit="share of general households", low=0.15, high=0.25, source=_NAT,
        doc="national couple-only share; splits municipal nuclear-family households")  # fmt: skip
    couple_children_share: float = param(
        0.250, unit="share of general households", low=0.2, high=0.3, source=_NAT,
        doc="national couple-with-children share")  # fmt: skip
    single_parent_share: float = param(
        0.090, unit="share of general households", low=0.06, high=0.12, source=_NAT,
        doc="national single-parent share")  # fmt: skip
    couple_only_weight: list[float] = param(
        (1, 1, 1, 0.5, 0.2, 0.1, 0.1, 0.2, 0.6, 1, 0.6, 0.5, 0.5, 0.5, 0.5), unit="-", low=0.0,
        high=5.0, source=_W, doc="chance a non-elderly couple lives alone, by husband's age",
    )  # fmt: skip
    couple_children_weight: list[float] = param(
        (0.1, 0.5, 1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1), unit="-", low=0.0,
        high=5.0, source=_W, doc="relative chance a couple lives with children, by husband's age",
    )  # fmt: skip
    other_older_couple_share: float = param(
        0.5, unit="share", low=0.0, high=1.0, uncertain=True,
        source="assumption: half the couples in three-generation households are the older one",
        doc="share of couples left for 'other' households that are the older generation",
    )  # fmt: skip
    lone_elder_weight: list[float] = param(
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 0.5, 0.8, 1, 1.2, 1.3), unit="-", low=0.0, high=5.0,
        source=_W, doc="relative chance an unpartnered 60+ person heads an 'other' household",
    )  # fmt: skip
    lone_elder_female_ratio: float = param(
        2.5, unit="-", low=1.0, high=5.0, source="assumption: most are widows",
        doc="women's relative chance over men's of heading an 'other' household alone")  # fmt: skip
    single_parent_weight: list[float] = param(
        (0, 0.2, 0.5, 0.8, 1, 1, 1, 0.8, 0.5, 0.4, 0.5, 0.7, 0.9, 1, 0.8), unit="-", low=0.0,
        high=5.0, source=_W, doc="relative chance an unpartnered adult is a single parent",
    )  # fmt: skip
    single_parent_female_ratio: float = param(
        4.0, unit="-", low=1.0, high=10.0,
        source="2020 census: ~85 % of lone parents are mothers (M)",
        doc="women's relative chance over men's of being a single parent")  # fmt: skip
    parent_gap_mean: float = param(
        30.0, unit="years", low=25.0, high=35.0,
        source="人口動態統計: mean maternal age ~30-32 (M)",
        doc="mean age gap between parent and child (also between the generations)")  # fmt: skip
    parent_gap_sd: float = param(
        5.0, unit="years", low=2.0, high=8.0, source="assumption", doc="sd of the parent-child gap"
    )
    grandparent_gap_mean: float = param(
        58.0, unit="years", low=45.0, high=70.0, source="assumption: two generations of parent_gap",
        doc="gap sought when an older head of an 'other' household has no child of plausible age",
    )  # fmt: skip
    grandparent_gap_max: int = param(
        80, unit="years", low=60, high=90, source="assumption",
        doc="largest gap between the head of an 'other' household and the first relative",
    )  # fmt: skip
    parent_gap_tolerance: float = param(
        5.0, unit="years", low=1.0, high=15.0, source="assumption",
        doc="largest accepted distance from the drawn parent-child gap")  # fmt: skip
    parent_gap_min: int = param(
        20, unit="years", low=15, high=25, source="brief: plausible gap 20-45 years",
        doc="smallest parent-child age gap")  # fmt: skip
    parent_gap_max: int = param(
        45, unit="years", low=35, high=60, source="brief: plausible gap 20-45 years",
        doc="largest parent-child age gap")  # fmt: skip


@dataclass(frozen=True)
class HouseholdTargets:
    """Census household counts of one municipality, already scaled to the simulated population."""

    members: int
    single: int
    single65: tuple[int, int]  # (men, women)
    elderly_couple: int
    couple_only: int
    couple_children: int
    single_parent: int
    other: int


@dataclass
class HouseholdDraft:
    """Households of one municipality, with local ids 0..H-1."""

    household: np.ndarray  # per resident
    kind: np.ndarray  # int8 HouseholdType per household
    institutional: np.ndarray  # bool per household
    partner: np.ndarray  # local index of the spouse, -1 if none


def profile(age: np.ndarray, edges: tuple[int, ...], values, below: float = 0.0) -> np.ndarray:
    """Look up a per-band profile: ``values[b]`` for the band containing each age."""
    band = np.searchsorted(np.asarray(edges), age, side="right") - 1
    vals = np.asarray(values, dtype=np.float64)
    return np.where(band >= 0, vals[np.clip(band, 0, len(vals) - 1)], below)


def pick_weighted(candidates: np.ndarray, weights: np.ndarray, k: int, rng) -> np.ndarray:
    """Pick ``k`` candidates without replacement, with probability rising with weight.

    Uses exponential keys (Efraimidis-Spirakis); zero-weight candidates are never picked.
    """
    pos = weights > 0
    candidates, weights = candidates[pos], weights[pos]
    k = int(min(max(k, 0), len(candidates)))
    if k == 0:
        return candidates[:0]
    keys = rng.exponential(size=len(candidates)) / weights
    return candidates[np.argpartition(keys, k - 1)[:k]]


def pick_quota(candidates: np.ndarray, group: np.ndarray, quota: np.ndarray, rng) -> np.ndarray:
    """Pick ``quota[g]`` random candidates from each group ``g`` (fewer if the group is short)."""
    order = np.lexsort((rng.random(len(candidates)), group))
    g = group[order]
    starts = np.searchsorted(g, np.arange(len(quota)))
    rank = np.arange(len(g)) - starts[g]
    return candidates[order[rank < quota[g]]]


def match_nearest(target: np.ndarray, value: np.ndarray, tol: float, rng, rounds: int = 24):
    """Match each target to a distinct pool element of nearest value, within ``tol``.

    Args:
        target: wanted values (one per seeker).
        value: values of the pool.
        tol: largest accepted distance.
        rng: generator used for jitter and tie-breaking.
        rounds: conflict-resolution rounds; seekers still unmatched after them get -1.

    Returns:
        Index into the pool per seeker, or -1.
    """
    out = np.full(len(target), -1, dtype=np.int64)
    jt = target + rng.random(len(target)) - 0.5
    jv = value + rng.random(len(value)) - 0.5
    free = np.ones(len(value), dtype=bool)
    pending = np.arange(len(target))
    for _ in range(rounds):
        avail = np.flatnonzero(free)
        if pending.size == 0 or avail.size == 0:
            break
        order = avail[np.argsort(jv[avail])]
        sv = jv[order]
        pos = np.clip(np.searchsorted(sv, jt[pending]), 1, len(sv)) - 1
        right = np.minimum(pos + 1, len(sv) - 1)
        better = np.abs(sv[right] - jt[pending]) < np.abs(sv[pos] - jt[pending])
        cand = order[np.where(better, right, pos)]
        ok = np.abs(value[cand] - target[pending]) <= tol
        pending, cand = pending[ok], cand[ok]
        shuffle = rng.permutation(len(pending))
        _, first = np.unique(cand[shuffle], return_index=True)
        win = shuffle[first]
        out[pending[win]] = cand[win]
        free[cand[win]] = False
        lose = np.ones(len(pending), dtype=bool)
        lose[win] = False
        pending = pending[lose]
    return out


def nearest_with_replacement(target: np.ndarray, value: np.ndarray, rng) -> np.ndarray:
    """Index of a pool element of nearest (jittered) value per target; pool must be non-empty."""
    jv = value + rng.random(len(value)) - 0.5
    order = np.argsort(jv)
    sv = jv[order]
    jt = target + rng.random(len(target)) - 0.5
    pos = np.clip(np.searchsorted(sv, jt), 1, len(sv)) - 1
    right = np.minimum(pos + 1, len(sv) - 1)
    better = np.abs(sv[right] - jt) < np.abs(sv[pos] - jt)
    return order[np.where(better, right, pos)]


class _Builder:
    """Mutable working state while one municipality's households are drawn."""

    def __init__(self, age: np.ndarray, sex: np.ndarray, rng) -> None:
        self.age, self.sex, self.rng = age, sex, rng
        self.hh = np.full(len(age), -1, dtype=np.int64)
        self.partner = np.full(len(age), -1, dtype=np.int64)
        self.kinds: list[int] = []
        self.inst: list[bool] = []

    def new(self, members: np.ndarray, kind: HouseholdType, inst: bool = False) -> np.ndarray:
        """Give each resident in ``members`` a new household of ``kind``; return the ids."""
        ids = np.arange(len(self.kinds), len(self.kinds) + len(members))
        self.hh[members] = ids
        self.kinds.extend([int(kind)] * len(members))
        self.inst.extend([inst] * len(members))
        return ids

    def free(self, min_age: int = 0) -> np.ndarray:
        """Residents without a household yet, at least ``min_age`` years old."""
        return np.flatnonzero((self.hh < 0) & (self.age >= min_age))


def build_households(
    age: np.ndarray, sex: np.ndarray, t: HouseholdTargets, p: HouseholdParams, rng
) -> HouseholdDraft:
    """Draw the households of one municipality (see the module docstring for the steps)."""
    b = _Builder(age, sex, rng)
    _institutions(b, len(age) - t.members, p)
    _singles(b, t, p)
    hus, wif = _couples(b, t, p)
    roles = _couple_roles(b, hus, wif, t, p)
    _families(b, hus, wif, roles, t, p)
    return _finish(b)


def _institutions(b: _Builder, k: int, p: HouseholdParams) -> None:
    cand = b.free(18)
    w = profile(b.age[cand], ADULT_BANDS, p.institution_weight)
    b.new(pick_weighted(cand, w, k, b.rng), HouseholdType.OTHER, inst=True)


def _singles(b: _Builder, t: HouseholdTargets, p: HouseholdParams) -> None:
    done = 0
    for s, k, w in (
        (Sex.MALE, t.single65[0], p.alone_65_weight_male),
        (Sex.FEMALE, t.single65[1], p.alone_65_weight_female),
    ):
        cand = b.free(65)
        cand = cand[b.sex[cand] == s]
        chosen = pick_weighted(cand, profile(b.age[cand], ELDER_BANDS, w), k, b.rng)
        b.new(chosen, HouseholdType.SINGLE)
        done += len(chosen)
    young = max(t.single - done, 0)
    cand = b.free(18)
    cand = cand[b.age[cand] < 65]
    w = profile(b.age[cand], ADULT_BANDS, p.alone_under65_weight)
    s = b.sex[cand]
    by_sex = np.bincount(s, weights=w, minlength=2)
    share = np.where(s == Sex.MALE, p.alone_under65_male_share, 1 - p.alone_under65_male_share)
    w = w * share / np.maximum(by_sex[s], 1e-12)
    b.new(pick_weighted(cand, w, young, b.rng), HouseholdType.SINGLE)


def _couples(b: _Builder, t: HouseholdTargets, p: HouseholdParams) -> tuple[np.ndarray, np.ndarray]:
    """Husbands by age-band quotas of the married share, wives matched by age gap."""
    men_all = np.flatnonzero((b.sex == Sex.MALE) & (b.age >= 15))
    band_all = np.searchsorted(ADULT_BANDS, b.age[men_all], side="right") - 1
    quota = np.rint(
        np.bincount(band_all, minlength=len(ADULT_BANDS)) * np.asarray(p.married_share_male)
    )
    cand = b.free(18)
    cand = cand[b.sex[cand] == Sex.MALE]
    band = np.searchsorted(ADULT_BANDS, b.age[cand], side="right") - 1
    hus = pick_quota(cand, band, quota.astype(np.int64), b.rng)
    cap = t.couple_only + t.couple_children + 2 * t.other
    if len(hus) > cap:
        hus = b.rng.choice(hus, size=cap, replace=False)
    women = b.free(18)
    women = women[b.sex[women] == Sex.FEMALE]
    want = b.age[hus] - b.rng.normal(p.couple_age_gap_mean, p.couple_age_gap_sd, len(hus))
    idx = match_nearest(want, b.age[women].astype(np.float64), p.couple_age_gap_tolerance, b.rng)
    ok = idx >= 0
    hus, wif = hus[ok], women[idx[ok]]
    b.partner[hus], b.partner[wif] = wif, hus
    b.hh[hus] = b.hh[wif] = -2  # reserved: in a couple, household given later
    return hus, wif


def _couple_roles(
    b: _Builder, hus: np.ndarray, wif: np.ndarray, t: HouseholdTargets, p: HouseholdParams
) -> np.ndarray:
    """Role per couple: 0 couple only, 1 with children, 2 older generation, 3 younger generation."""
    n = len(hus)
    role = np.full(n, 3, dtype=np.int8)
    idx = np.arange(n)
    elderly = (b.age[hus] >= 65) & (b.age[wif] >= 60)
    e = pick_weighted(idx[elderly], np.ones(int(elderly.sum())), t.elderly_couple, b.rng)
    role[e] = 0
    rest = idx[~elderly]
    k_c = max(t.couple_only - len(e), 0)
    c = pick_weighted(
        rest, profile(b.age[hus[rest]], ADULT_BANDS, p.couple_only_weight), k_c, b.rng
    )
    role[c] = 0
    left = idx[role == 3]
    surplus = max(len(left) - t.couple_children, 0)
    k_old = min(round(surplus * p.other_older_couple_share), t.other)
    old = pick_weighted(left, (b.age[hus[left]] >= 55).astype(float), k_old, b.rng)
    role[old] = 2
    left = idx[role == 3]
    w = profile(b.age[hus[left]], ADULT_BANDS, p.couple_children_weight)
    w *= child_supply(b, b.age[wif[left]], p)
    role[pick_weighted(left, w, t.couple_children, b.rng)] = 1
    return role


def child_supply(b: _Builder, head_age: np.ndarray, p: HouseholdParams) -> np.ndarray:
    """Free residents of child age (parent gap range) per head age, relative to the mean."""
    hist = np.bincount(b.age[b.hh == -1], minlength=202)[:202]
    cum = np.r_[0, np.cumsum(hist)]
    lo = np.clip(head_age - p.parent_gap_max, 0, 201)
    hi = np.clip(head_age - p.parent_gap_min + 1, 0, 202)
    supply = (cum[hi] - cum[lo]).astype(np.float64)
    return supply / max(supply.mean(), 1e-9) if len(supply) else supply


def _families(
    b: _Builder, hus: np.ndarray, wif: np.ndarray, role: np.ndarray, t: HouseholdTargets, p
) -> None:
    """Form couple, single-parent and other households, then place every dependent."""
    for r, kind in ((0, HouseholdType.COUPLE), (1, HouseholdType.COUPLE_CHILDREN)):
        ids = b.new(wif[role == r], kind)
        b.hh[hus[role == r]] = ids
    old = role == 2
    ids = b.new(wif[old], HouseholdType.OTHER)
    b.hh[hus[old]] = ids
    lone = _lone_elders(b, t.other - int(old.sum()), p)
    anchors = np.concatenate([wif[old], lone])
    joined, unjoined_wives = _join_younger_generation(b, hus[role == 3], wif[role == 3], anchors, p)
    heads = anchors[~joined]
    ok = _first_child(b, heads, p, p.parent_gap_mean, p.parent_gap_max)
    ok[~ok] = _first_child(b, heads[~ok], p, p.grandparent_gap_mean, p.grandparent_gap_max)
    _release(b, heads[~ok])
    _single_parents(b, t.single_parent, p)
    _first_child(b, np.concatenate([wif[role == 1], unjoined_wives]), p, p.parent_gap_mean,
                 p.parent_gap_max)  # fmt: skip
    _place_dependents(b, p)


def _release(b: _Builder, heads: np.ndarray) -> None:
    """Unpartnered heads left without anyone become dependents again."""
    b.hh[heads[b.partner[heads] < 0]] = -1


def _lone_elders(b: _Builder, k: int, p: HouseholdParams) -> np.ndarray:
    cand = b.free(60)
    w = profile(b.age[cand], ADULT_BANDS, p.lone_elder_weight)
    w *= np.where(b.sex[cand] == Sex.FEMALE, p.lone_elder_female_ratio, 1.0)
    chosen = pick_weighted(cand, w, k, b.rng)
    b.new(chosen, HouseholdType.OTHER)
    return chosen


def _single_parents(b: _Builder, k: int, p: HouseholdParams, tries: int = 3) -> None:
    """Pick ``k`` single parents who each find a child; failed picks are replaced."""
    tried = np.zeros(len(b.age), dtype=bool)
    for _ in range(tries):
        cand = b.free(20)
        cand = cand[~tried[cand]]
        w = profile(b.age[cand], ADULT_BANDS, p.single_parent_weight)
        w *= np.where(b.sex[cand] == Sex.FEMALE, p.single_parent_female_ratio, 1.0)
        w *= child_supply(b, b.age[cand], p)
        chosen = pick_weighted(cand, w, k, b.rng)
        tried[chosen] = True
        b.new(chosen, HouseholdType.SINGLE_PARENT)
        ok = _first_child(b, chosen, p, p.parent_gap_mean, p.parent_gap_max)
        _release(b, chosen[~ok])
        k -= int(ok.sum())
        if k <= 0:
            return


def _join_younger_generation(b: _Builder, hus, wif, anchors, p: HouseholdParams):
    """Move younger couples into the households of older anchors.

    Couples are matched to distinct anchors by generation gap, first within the tolerance, then
    within three times it; any left join a random anchor's household (siblings, in-laws), or head
    their own couple-with-children household when there is no anchor.

    Returns:
        A mask of the anchors joined, and the wives of couples left on their own.
    """
    joined = np.zeros(len(anchors), dtype=bool)
    todo = np.arange(len(wif))
    for tol in (p.parent_gap_tolerance, 3 * p.parent_gap_tolerance):
        free = np.flatnonzero(~joined)
        want = b.age[wif[todo]] + b.rng.normal(p.parent_gap_mean, p.parent_gap_sd, len(todo))
        idx = match_nearest(want, b.age[anchors[free]].astype(np.float64), tol, b.rng)
        ok = idx >= 0
        target = anchors[free[idx[ok]]]
        b.hh[hus[todo[ok]]] = b.hh[wif[todo[ok]]] = b.hh[target]
        joined[free[idx[ok]]] = True
        todo = todo[~ok]
    if len(anchors) and len(todo):
        host = anchors[b.rng.integers(0, len(anchors), len(todo))]
        b.hh[hus[todo]] = b.hh[wif[todo]] = b.hh[host]
        todo = todo[:0]
    ids = b.new(wif[todo], HouseholdType.COUPLE_CHILDREN)
    b.hh[hus[todo]] = ids
    return joined, wif[todo]


def _first_child(b: _Builder, heads: np.ndarray, p: HouseholdParams, mean: float, hi: float):
    """Give each head a distinct free dependent about ``mean`` years younger; return success."""
    deps = b.free()
    if len(deps) == 0 or len(heads) == 0:
        return np.zeros(len(heads), bool)
    gap = np.clip(b.rng.normal(mean, p.parent_gap_sd, len(heads)), p.parent_gap_min, hi)
    idx = match_nearest(
        b.age[heads] - gap, b.age[deps].astype(np.float64), p.parent_gap_tolerance, b.rng
    )
    ok = idx >= 0
    gap = b.age[heads] - b.age[deps[np.maximum(idx, 0)]]
    ok &= (gap >= p.parent_gap_min) & (gap <= hi)
    b.hh[deps[idx[ok]]] = b.hh[heads[ok]]
    return ok


def _place_dependents(b: _Builder, p: HouseholdParams) -> None:
    """Every remaining resident joins a family household with a parent of plausible age."""
    deps = b.free()
    if len(deps) == 0:
        return
    kinds = np.asarray(b.kinds, dtype=np.int8)
    parents = np.flatnonzero((b.hh >= 0) & (b.age >= 20))
    inst = np.asarray(b.inst, dtype=bool)
    parents = parents[
        np.isin(kinds[b.hh[parents]], _FAMILY_KINDS)
        & ~inst[b.hh[parents]]
        & ((b.partner[parents] < 0) | (b.sex[parents] == Sex.FEMALE))
    ]
    placed = np.zeros(len(deps), dtype=bool)
    if len(parents):
        gap = b.rng.normal(p.parent_gap_mean, p.parent_gap_sd, len(deps))
        want = b.age[deps] + np.clip(gap, p.parent_gap_min, p.parent_gap_max)
        pick = parents[nearest_with_replacement(want, b.age[parents].astype(np.float64), b.rng)]
        gap = b.age[pick] - b.age[deps]
        placed = (gap >= p.parent_gap_min) & (gap <= p.parent_gap_max)
        b.hh[deps[placed]] = b.hh[pick[placed]]
    _place_relatives(b, deps[~placed])


_FAMILY_KINDS = np.array(
    [HouseholdType.COUPLE_CHILDREN, HouseholdType.SINGLE_PARENT, HouseholdType.OTHER], dtype=np.int8
)


def _place_relatives(b: _Builder, rel: np.ndarray) -> None:
    """Residents with no parent of plausible age join an "other" household (or form one)."""
    if len(rel) == 0:
        return
    kinds = np.asarray(b.kinds, dtype=np.int8)
    inst = np.asarray(b.inst, dtype=bool)
    heads = np.flatnonzero((b.hh >= 0) & (b.age >= 18))
    host_ok = (kinds[b.hh[heads]] == HouseholdType.OTHER) & ~inst[b.hh[heads]]
    hosts = np.unique(b.hh[heads[host_ok]])
    if len(hosts) == 0:
        hosts = np.unique(
            b.hh[heads[np.isin(kinds[b.hh[heads]], _FAMILY_KINDS) & ~inst[b.hh[heads]]]]
        )
    if len(hosts) == 0:
        ids = b.new(rel[:1], HouseholdType.OTHER)
        b.hh[rel] = ids[0]
        return
    b.hh[rel] = hosts[b.rng.integers(0, len(hosts), len(rel))]


def _finish(b: _Builder) -> HouseholdDraft:
    """Compact the ids and relabel types from the composition."""
    used, local = np.unique(b.hh, return_inverse=True)
    kinds = np.asarray(b.kinds, dtype=np.int8)[used]
    inst = np.asarray(b.inst, dtype=bool)[used]
    size = np.bincount(local, minlength=len(used))
    kinds[(kinds == HouseholdType.COUPLE_CHILDREN) & (size == 2)] = HouseholdType.COUPLE
    couple_only = (kinds == HouseholdType.OTHER) & (size == 2) & ~inst
    has_pair = np.bincount(local, weights=(b.partner >= 0), minlength=len(used)) == 2
    kinds[couple_only & has_pair] = HouseholdType.COUPLE
    return HouseholdDraft(local.astype(np.int64), kinds, inst, b.partner)
