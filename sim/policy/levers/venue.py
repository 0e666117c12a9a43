"""Venue lever: places to belong, opened per zone; costs per session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.core.params import param
from sim.policy.levers.base import COST, Lever

if TYPE_CHECKING:
    from sim.policy.scope import Scope


@dataclass
class Venue(Lever):
    """Places to belong (居場所, 通いの場, salons, community cafés, children's cafeterias, online).

    Online places have no location: members need digital access. Its effects (sessions,
    joining, roles, co-attendance friendships) are those of the venues it opens
    (:mod:`sim.policy.venues`).
    """

    kind: str = "salon"
    per_zone: float = param(
        1.0,
        unit="venues/zone",
        low=0.0,
        high=20.0,
        source="choice of the package",
        doc="venues opened per zone (fractions: that share of zones get one)",
    )
    capacity: int = param(
        20,
        unit="persons",
        low=0,
        high=500,
        source="通いの場 survey FY2022: 81.6% of sites have 1-20 participants",
    )
    sessions_per_week: float = param(
        1.0,
        unit="1/week",
        low=0.0,
        high=7.0,
        source="通いの場 survey FY2022: 38.9% meet weekly or more",
    )
    min_age: int = param(16, unit="years", low=0, high=100, source="choice of the package")
    max_age: int = param(120, unit="years", low=0, high=120, source="choice of the package")
    role_share: float = param(
        0.2,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package (役割・出番)",
        doc="share of members given a role",
    )
    online: bool = False
    cost_per_session: float = param(
        15000.0,
        unit="yen/session",
        low=0.0,
        high=500000.0,
        source=COST,
        doc="room, coordinator and materials per session",
    )

    pooled_cost: ClassVar[bool] = True
    opens_venues: ClassVar[bool] = True

    def weekly_cost(self, scope: Scope, i: int, venues: Any) -> float:
        """Sessions of its venues times the cost per session."""
        n = int((venues.lever == i).sum())
        return n * self.sessions_per_week * self.cost_per_session

    def weekly_cost_by_municipality(self, scope: Scope, i: int, venues: Any) -> np.ndarray:
        """Session costs where the venues are."""
        n = np.bincount(venues.municipality[venues.lever == i], minlength=scope.n_mun)
        return n * self.sessions_per_week * self.cost_per_session
