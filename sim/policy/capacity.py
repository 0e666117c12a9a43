"""Consultation capacity: by municipality and channel, pooled by wide-area clusters; who serves.

A help-seeker chooses a channel in proportion to capacity (:func:`choose_channel`); with an
active wide-area lever the capacity of a cluster is one queue (:class:`Pools`), and a case is
served in a member chosen by capacity and distance (:func:`serving_municipality`); among the
consultation levers offering the channel there, one takes the case (:func:`channel_lever`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from sim.policy.levers import CHANNELS, DIGITAL_CHANNELS, Lever
from sim.policy.scope import Scope


@dataclass
class Pools:
    """Wide-area pools of the active set (without a wide-area lever: every one on its own).

    Attributes:
        clusters: (lever index, member mask) of every cluster, in lever order.
        pool_of: consultation queue of each municipality (named by its smallest member).
        venue_pool_of: whose online venues the residents of each municipality may join.
        venue_access_km: distance scale of venues across the border (0: none).
        consult_access_km: distance scale weighting which member serves an office case.
        pooling: whether any consultation queue is pooled.
        venue_wide: whether any venue access crosses a border.
    """

    pool_of: np.ndarray
    venue_pool_of: np.ndarray
    venue_access_km: np.ndarray
    consult_access_km: np.ndarray
    clusters: list[tuple[int, np.ndarray]] = field(default_factory=list)
    pooling: bool = False
    venue_wide: bool = False

    @classmethod
    def none(cls, n_mun: int) -> Pools:
        """No wide-area cooperation: every municipality is its own pool."""
        return cls(pool_of=np.arange(n_mun), venue_pool_of=np.arange(n_mun),
                   venue_access_km=np.zeros(n_mun),
                   consult_access_km=np.full(n_mun, np.inf))  # fmt: skip


def build_pools(levers: Sequence[Lever], active: np.ndarray, scope: Scope) -> Pools:
    """Clusters of the active cluster-forming levers: pooled queues and venue access."""
    out = Pools.none(scope.n_mun)
    for i, lv in enumerate(levers):
        parts = lv.clusters(scope, i) if active[i] else None
        for sel in parts or []:
            if not sel.any():
                continue
            out.clusters.append((i, sel))
            if lv.consultation:
                out.pool_of[sel] = np.flatnonzero(sel)[0]
                out.consult_access_km[sel] = lv.consult_access_km
                out.pooling = True
            if lv.venues:
                out.venue_pool_of[sel] = np.flatnonzero(sel)[0]
                out.venue_access_km[sel] = lv.venue_access_km
                out.venue_wide = True
    for pools in (out.pool_of, out.venue_pool_of):  # overlaps: a pool is named by its
        first = {}  # smallest member
        for k, label in enumerate(pools):
            first.setdefault(label, k)
        pools[:] = [first[label] for label in pools]
    return out


def has_service(levers: Sequence[Lever], active: np.ndarray, scope: Scope, pools: Pools):
    """Municipalities whose residents can reach a consultation service (through their pool)."""
    out = np.zeros(scope.n_mun, bool)
    for i, lv in enumerate(levers):
        if active[i] and lv.offers_service():
            out |= scope.muni_mask[i]
    if pools.pooling:
        any_ = np.bincount(pools.pool_of, weights=out, minlength=scope.n_mun)
        out = any_[pools.pool_of] > 0
    return out


def capacity(levers: Sequence[Lever], active: np.ndarray, scope: Scope) -> np.ndarray:
    """New cases each municipality can take this week, by channel (simulated residents).

    Case capacities first, then staff capacities where office hours exist.
    """
    cap = np.zeros((scope.n_mun, len(CHANNELS)))
    for i, lv in enumerate(levers):
        got = lv.case_capacity(scope, i) if active[i] else None
        if got is not None:
            cap[:, got[0]] += got[1]
    office = CHANNELS.index("office")
    for i, lv in enumerate(levers):
        add = lv.staff_capacity(scope, i, cap[:, office]) if active[i] else None
        if add is not None:
            cap[:, office] += add
    return cap


def pooled_capacity(cap: np.ndarray, pools: Pools) -> np.ndarray:
    """Capacity of each queue (rows: the pool's first member; others 0), by channel.

    Without pooling this is ``cap`` itself; a pool's capacity is the sum of its members'.
    """
    if not pools.pooling:
        return cap
    out = np.zeros_like(cap)
    np.add.at(out, pools.pool_of, cap)
    return out


def serving_municipality(
    cap: np.ndarray, pools: Pools, dist_km: np.ndarray, cases: tuple[np.ndarray, ...]
) -> np.ndarray:
    """Member that serves each pooled case: in proportion to its capacity on the channel.

    For office hours the capacity is weighted by ``exp(-d / consult_access_km)``, d the
    distance from the home municipality or (if nearer) the work or school municipality.

    Args:
        cap: capacity by municipality and channel (:func:`capacity`).
        pools: the active pools.
        dist_km: distances between municipalities.
        cases: (home, work or -1, channel, one uniform) per case.
    """
    home, work, channel, u = cases
    if not pools.pooling or home.size == 0:
        return home.astype(np.int16)
    n_mun = cap.shape[0]
    cap = cap[:, channel].T  # (cases, members)
    cap = cap * (pools.pool_of[None, :] == pools.pool_of[home][:, None])
    scale = pools.consult_access_km[home][:, None]
    near = np.minimum(dist_km[home], dist_km[np.where(work >= 0, work, home)])
    decay = np.exp(-near / scale)
    office = (channel == CHANNELS.index("office"))[:, None]
    w = np.where(office, cap * decay, cap)
    total = w.sum(axis=1)
    cum = np.cumsum(w, axis=1) / np.where(total > 0, total, 1)[:, None]
    pick = np.minimum((u[:, None] >= cum).sum(axis=1), n_mun - 1)
    return np.where(total > 0, pick, home).astype(np.int16)


def choose_channel(cap: np.ndarray, prefers_digital: np.ndarray, digital: np.ndarray,
                   u: np.ndarray) -> np.ndarray:  # fmt: skip
    """Channel each help-seeker uses, in proportion to capacity among the usable ones.

    Residents who prefer a digital channel choose among SNS, AI chat and the 24-hour phone;
    the others among office hours and the phone. Without such a channel they use any
    channel they can (SNS and AI chat need digital access).

    Args:
        cap: (residents x channels) capacity of each help-seeker's queue.
        prefers_digital: whether each prefers a digital channel.
        digital: whether each has digital access.
        u: one uniform per resident.

    Returns:
        Channel index per resident, -1 where no usable channel is offered.
    """
    usable = cap > 0
    for name in DIGITAL_CHANNELS:
        usable[:, CHANNELS.index(name)] &= digital
    wanted = np.zeros_like(usable)
    for name in ("sns", "ai_chat", "phone24"):
        wanted[:, CHANNELS.index(name)] = prefers_digital
    for name in ("office", "phone24"):
        wanted[:, CHANNELS.index(name)] |= ~prefers_digital
    pick = usable & wanted
    fallback = ~pick.any(axis=1)
    pick[fallback] = usable[fallback]
    w = np.where(pick, cap, 0.0)
    total = w.sum(axis=1)
    cum = np.cumsum(w, axis=1) / np.where(total > 0, total, 1)[:, None]
    choice = (u[:, None] >= cum).sum(axis=1)
    return np.where(total > 0, np.minimum(choice, len(CHANNELS) - 1), -1).astype(np.int8)


def channel_lever(levers: Sequence[Lever], active: np.ndarray, scope: Scope,
                  cases: tuple[np.ndarray, ...]) -> np.ndarray:  # fmt: skip
    """The lever that takes each new case of (municipality, channel).

    When several active case-serving levers offer a channel in a municipality, a case goes to
    one of them with probability proportional to its capacity.

    Args:
        levers: the scenario's levers.
        active: which run this week.
        scope: where they apply.
        cases: (municipality, channel, one uniform) per case.

    Returns:
        Lever index per case, -1 where none offers the channel.
    """
    muni, channel, u = cases
    serving = [(i, lv) for i, lv in enumerate(levers) if active[i] and lv.serves_cases]
    if not serving:
        return np.full(muni.size, -1, np.int64)
    cap = np.zeros((len(serving), scope.n_mun, len(CHANNELS)))
    for j, (i, lv) in enumerate(serving):
        cap[j, scope.muni_mask[i], CHANNELS.index(lv.channel)] = lv.capacity_per_10k
    share = cap[:, muni, channel]  # (levers, cases)
    total = share.sum(axis=0)
    cum = np.cumsum(share, axis=0) / np.where(total > 0, total, 1)
    pick = (u[None, :] >= cum).sum(axis=0)
    index = np.array([i for i, _ in serving])[np.minimum(pick, len(serving) - 1)]
    return np.where(total > 0, index, -1)
