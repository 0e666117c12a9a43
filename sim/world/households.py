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
from sim.world.params import ADULT_BANDS, ELDER_BANDS, HouseholdParams
from sim.world.sampling import (
    match_nearest,
    nearest_with_replacement,
    pick_quota,
    pick_weighted,
    profile,
)

__all__ = [
    "ADULT_BANDS",
    "ELDER_BANDS",
    "HouseholdDraft",
    "HouseholdParams",
    "HouseholdTargets",
    "build_households",
    "child_supply",
    "pick_quota",
    "profile",
]


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
        placed &= ~_beyond(pick, placed, MAX_DEPENDENTS)  # no parent takes in a crowd
        b.hh[deps[placed]] = b.hh[pick[placed]]
    _place_relatives(b, deps[~placed])


def _beyond(host: np.ndarray, mask: np.ndarray, cap: int) -> np.ndarray:
    """True for entries of ``mask`` past the first ``cap`` (in order) sharing a ``host``."""
    idx = np.flatnonzero(mask)
    order = idx[np.argsort(host[idx], kind="stable")]
    ranked = host[order]
    within = np.arange(len(ranked)) - np.searchsorted(ranked, ranked)
    out = np.zeros(len(host), bool)
    out[order[within >= cap]] = True
    return out


#: most relatives without a parent of plausible age that one "other" household takes in
MAX_RELATIVES = 3
#: most dependents placed with one parent (beyond it they are placed as relatives)
MAX_DEPENDENTS = 4

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
    pick = hosts[b.rng.integers(0, len(hosts), len(rel))]
    b.hh[rel] = pick
    # no host takes more than MAX_RELATIVES: where there are few hosts, the surplus forms new
    # "other" households of up to three relatives
    surplus = rel[_beyond(pick, np.ones(len(pick), bool), MAX_RELATIVES)]
    if len(surplus):
        ids = b.new(surplus[::3], HouseholdType.OTHER)
        b.hh[surplus] = np.repeat(ids, 3)[: len(surplus)]


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
