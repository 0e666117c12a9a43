"""Friendship ties that form through co-presence and decay without contact.

Ties are undirected edges ``(src, dst)`` with ``src < dst`` and a strength in (0, 1]. A tie
strengthens when the pair meets and weakens when it does not; it is removed when its strength
falls below a floor. The edge arrays are kept sorted by key between compactions, so duplicate
checks are a binary search.
"""

from __future__ import annotations

import numpy as np


def edge_key(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Undirected edge key: ``min << 32 | max`` as int64."""
    a = np.minimum(src, dst).astype(np.int64)
    b = np.maximum(src, dst).astype(np.int64)
    return a << 32 | b


class FriendshipNetwork:
    """Dynamic friendship edges among ``n`` residents.

    Args:
        n: number of residents.
        edges: initial undirected edges, shape (E, 2), no duplicates.
        strength: initial strengths, shape (E,).
    """

    def __init__(self, n: int, edges: np.ndarray, strength: np.ndarray) -> None:
        self.n = n
        key = edge_key(edges[:, 0], edges[:, 1])
        order = np.argsort(key, kind="stable")
        self.key = key[order]
        self.src = (self.key >> 32).astype(np.int32)
        self.dst = (self.key & 0xFFFFFFFF).astype(np.int32)
        self.strength = strength[order].astype(np.float32)
        self.n_sorted = self.key.size
        self.degree = self._degree()

    @property
    def n_edges(self) -> int:
        """Current number of ties."""
        return int(self.src.size)

    def _degree(self) -> np.ndarray:
        return (
            np.bincount(self.src, minlength=self.n) + np.bincount(self.dst, minlength=self.n)
        ).astype(np.int32)

    def per_resident(self, edge_values: np.ndarray) -> np.ndarray:
        """Sum an edge quantity onto both endpoints."""
        w = edge_values.astype(np.float32, copy=False)
        return (
            np.bincount(self.src, weights=w, minlength=self.n)
            + np.bincount(self.dst, weights=w, minlength=self.n)
        ).astype(np.float32)

    def meet(
        self,
        willing: np.ndarray,
        lonely: np.ndarray,
        p_meet: float,
        u: np.ndarray,
        p_end: float = 0.0,
        strength_exponent: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Which pairs meet this week, and what each resident gets from the meetings.

        A pair meets with probability ``p_meet * strength**k * willing[src] * willing[dst]``
        (``k = strength_exponent``; 0 gives every tie the same rate). Willingness and
        loneliness are gathered once per endpoint (packed in one signed array: willingness is
        always positive, the sign marks a lonely resident).

        Args:
            willing: per-resident participation probability (> 0).
            lonely: per-resident lonely flag.
            p_meet: meeting probability of a pair when both take part.
            u: one uniform draw per tie.
            p_end: weekly chance a tie ends regardless of contact; drawn from the top of the
                same uniform (``u > 1 - p_end``), which never overlaps a meeting while
                ``p_meet + p_end <= 1``. Ended ties get strength 0 and go at the next compaction.
            strength_exponent: how much more often close ties meet than weak ones.

        Returns:
            ``met`` per tie, lonely endpoints per tie (0-2, int8), friends met per resident,
            and lonely friends met per resident.
        """
        packed = np.where(lonely, -willing, willing).astype(np.float32, copy=False)
        ps, pd = packed[self.src], packed[self.dst]
        # a tie that has ended (strength 0) meets no more; it goes at the next compaction
        chance = np.float32(p_meet) * np.abs(ps) * np.abs(pd)
        if strength_exponent > 0:
            chance *= self.strength ** np.float32(strength_exponent)
        met = (u < chance) & (self.strength > 0)
        if p_end > 0:
            self.strength[u > np.float32(1.0 - p_end)] = 0.0
        lonely_ends = (ps < 0).view(np.int8) + (pd < 0).view(np.int8)
        idx = np.flatnonzero(met)
        both = np.concatenate([self.src[idx], self.dst[idx]])
        # one pass: each meeting counts 1, plus 2**20 when the partner met is lonely
        partner_lonely = np.concatenate([pd[idx] < 0, ps[idx] < 0])
        w = 1.0 + partner_lonely * float(1 << 20)
        total = np.bincount(both, weights=w, minlength=self.n).astype(np.int64)
        met_n = (total & ((1 << 20) - 1)).astype(np.float32)
        lonely_n = (total >> 20).astype(np.float32)
        return met, lonely_ends, met_n, lonely_n

    def update_strength(
        self,
        met: np.ndarray,
        lonely_ends: np.ndarray,
        gain: float,
        decay: float,
        lonely_factor: float,
    ) -> None:
        """Strengthen ties that met; weaken the others, faster for each lonely endpoint.

        Args:
            met: per tie, whether the pair met this week.
            lonely_ends: per tie, number of lonely endpoints (0-2).
            gain: strength added by a meeting.
            decay: relative weekly loss without a meeting.
            lonely_factor: extra decay per lonely endpoint, relative to ``decay``.
        """
        keep = np.float32(1.0 - decay) - np.float32(decay * lonely_factor) * lonely_ends
        s = self.strength
        self.strength = np.where(met, np.minimum(np.float32(1.0), s + np.float32(gain)), s * keep)

    def add(self, src: np.ndarray, dst: np.ndarray, strength: float) -> int:
        """Add new ties, skipping self-loops, invalid partners and ties that already exist.

        Returns:
            Number of ties added.
        """
        ok = (src >= 0) & (dst >= 0) & (src != dst)
        key = np.unique(edge_key(src[ok], dst[ok]))
        head = self.key[: self.n_sorted]
        pos = np.searchsorted(head, key)
        exists = (pos < head.size) & (head[np.minimum(pos, head.size - 1)] == key)
        key = key[~exists]
        tail = self.key[self.n_sorted :]
        if tail.size:
            key = key[~np.isin(key, tail)]
        if key.size == 0:
            return 0
        s = (key >> 32).astype(np.int32)
        d = (key & 0xFFFFFFFF).astype(np.int32)
        self.key = np.concatenate([self.key, key])
        self.src = np.concatenate([self.src, s])
        self.dst = np.concatenate([self.dst, d])
        self.strength = np.concatenate(
            [self.strength, np.full(key.size, strength, dtype=np.float32)]
        )
        np.add.at(self.degree, s, 1)
        np.add.at(self.degree, d, 1)
        return int(key.size)

    def compact(self, floor: float) -> int:
        """Remove ties weaker than ``floor``, re-sort by key and refresh degrees.

        Returns:
            Number of ties removed.
        """
        keep = self.strength >= floor
        removed = int(self.key.size - keep.sum())
        key = self.key[keep]
        order = np.argsort(key, kind="stable")
        self.key = key[order]
        self.src = self.src[keep][order]
        self.dst = self.dst[keep][order]
        self.strength = self.strength[keep][order]
        self.n_sorted = self.key.size
        self.degree = self._degree()
        return removed

    def drop_edges(self, edges: np.ndarray) -> int:
        """Remove the ties at the given edge positions (ascending); degrees follow.

        Returns:
            Number of ties removed.
        """
        if edges.size == 0:
            return 0
        np.subtract.at(self.degree, self.src[edges], 1)
        np.subtract.at(self.degree, self.dst[edges], 1)
        keep = np.ones(self.key.size, bool)
        keep[edges] = False
        self.n_sorted -= int(np.count_nonzero(edges < self.n_sorted))
        self.key = self.key[keep]
        self.src = self.src[keep]
        self.dst = self.dst[keep]
        self.strength = self.strength[keep]
        return int(edges.size)

    def drop(self, residents: np.ndarray) -> int:
        """End every tie of the given residents (they died or left the region).

        Returns:
            Number of ties removed.
        """
        if residents.size == 0:
            return 0
        hit = np.zeros(self.n, dtype=bool)
        hit[residents] = True
        keep = ~(hit[self.src] | hit[self.dst])
        removed = int(keep.size - keep.sum())
        if removed == 0:
            return 0
        self.n_sorted = int(keep[: self.n_sorted].sum())
        self.key = self.key[keep]
        self.src = self.src[keep]
        self.dst = self.dst[keep]
        self.strength = self.strength[keep]
        self.degree = self._degree()
        return removed

    def weaken(self, residents: np.ndarray, factor: float) -> None:
        """Weaken every tie of the given residents by ``factor`` (e.g. after moving away)."""
        if residents.size == 0:
            return
        hit = np.zeros(self.n, dtype=bool)
        hit[residents] = True
        touched = hit[self.src] | hit[self.dst]
        self.strength[touched] *= np.float32(factor)
