"""Service flows and stocks by municipality: what the service pipeline counts between records.

Flows are counted by municipality of residence, except ``served_here`` and ``capacity_offered``
(by place of service). Home -> place matrices keep the wide-area flows across borders.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.policy.state import NONE, REFERRED, SERVED, WAITING

__all__ = ["FLOWS", "FLOW_MATRICES", "NONE", "REFERRED", "SERVED", "STOCKS", "USES", "WAITING"]
FLOWS = ("noticed", "referred", "waiting_entered", "served", "dropped", "cases_broken",
         "visits", "venue_attendances", "venue_joined",
         # wide-area: by residence, except served_here and capacity_offered (by place of service)
         "served_outside", "venue_joined_outside", "venue_attendances_outside",
         "served_here", "capacity_offered")  # fmt: skip
#: Home -> place flows kept as matrices (wide-area cooperation): episodes started, venue
#: joins and attendances, by municipality of residence (row) and of the service (column).
FLOW_MATRICES = ("served", "venue_joined", "venue_attendances")
#: Flows that are uses of a pooled service (``per_use`` cost sharing).
USES = ("served", "venue_attendances")
STOCKS = ("waiting", "in_service", "venue_members")


class FlowBook:
    """Flows and home -> place matrices accumulated since the last read.

    Args:
        n_mun: municipalities in the region.
    """

    def __init__(self, n_mun: int) -> None:
        self.flows = np.zeros((len(FLOWS), n_mun), np.float64)
        self.matrices = np.zeros((len(FLOW_MATRICES), n_mun, n_mun), np.float64)

    def count(self, m: Any, name: str, who: np.ndarray) -> None:
        """Count residents ``who`` in flow ``name`` by their home municipality."""
        if who.size:
            self.flows[FLOWS.index(name)] += np.bincount(
                m.pop.municipality[who], minlength=self.flows.shape[1]
            )

    def add(self, name: str, amount: np.ndarray) -> None:
        """Add an amount per municipality to flow ``name``."""
        self.flows[FLOWS.index(name)] += amount

    def flow(self, m: Any, name: str, who: np.ndarray, place: np.ndarray) -> np.ndarray:
        """Count residents ``who`` served at municipality ``place``: home -> place flows.

        Returns:
            The home municipalities of ``who`` (empty if none).
        """
        if who.size == 0:
            return np.zeros(0, np.int64)
        n = self.flows.shape[1]
        home = m.pop.municipality[who].astype(np.int64)
        place = place.astype(np.int64)
        self.matrices[FLOW_MATRICES.index(name)] += np.bincount(
            home * n + place, minlength=n * n
        ).reshape(n, n)
        self.count(m, f"{name}_outside", who[home != place])
        if name == "served":
            self.add("served_here", np.bincount(place, minlength=n))
        return home

    def reset(self) -> None:
        """Discard everything accumulated."""
        self.flows[:] = 0
        self.matrices[:] = 0


def stocks(m: Any, n_mun: int) -> np.ndarray:
    """Residents waiting, in service and members of a venue, by municipality (STOCKS order)."""
    s, mun = m.svc, m.pop.municipality
    return np.stack([
        np.bincount(mun[s.stage == WAITING], minlength=n_mun),
        np.bincount(mun[s.stage == SERVED], minlength=n_mun),
        np.bincount(mun[s.venue >= 0], minlength=n_mun),
    ]).astype(np.float64)  # fmt: skip
