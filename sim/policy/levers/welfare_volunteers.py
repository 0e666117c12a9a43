"""Welfare-volunteers lever: monthly visits to older residents living alone; allowances.

With dynamic demography the posts a municipality can fill follow its residents aged about 60-75
and the fill-rate trend: the runtime passes the pool factor of :mod:`sim.policy.volunteer_pool`
as ``pool`` (per municipality); ``pool=None`` (static demography) leaves every figure as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.core.params import param
from sim.policy.levers.base import Lever

if TYPE_CHECKING:
    from sim.policy.scope import Scope


@dataclass
class WelfareVolunteers(Lever):
    """Welfare volunteers (民生委員・児童委員) visiting older residents living alone."""

    #: The number of volunteers follows the volunteer pool (residents aged about 60-75):
    #: these hooks take the pool factor (``pool``, or ``pool_zone`` for noticing).
    pool_hooks: ClassVar[tuple[str, ...]] = (
        "visit_probability",
        "weekly_cost",
        "weekly_cost_by_municipality",
    )

    households_per_volunteer_city: float = param(
        330.0,
        unit="households",
        low=220.0,
        high=440.0,
        source="MHLW standard: 220-440 households per volunteer in cities",
    )
    households_per_volunteer_town: float = param(
        135.0,
        unit="households",
        low=70.0,
        high=200.0,
        source="MHLW standard: 70-200 households per volunteer in towns and villages",
    )
    fill_rate: float = param(
        0.917,
        unit="share",
        low=0.0,
        high=1.0,
        source="MHLW 2025-12: quota 240,971, filled 220,880 (91.7%)",
    )
    visits_per_month: float = param(
        1.0,
        unit="1/month",
        low=0.0,
        high=8.0,
        uncertain=True,
        source="assumption: monthly 見守り visit",
    )
    caseload: int = param(
        30,
        unit="residents",
        low=1,
        high=200,
        uncertain=True,
        source="assumption: residents one volunteer can visit regularly",
    )
    allowance_per_year: float = param(
        100000.0,
        unit="yen/year",
        low=0.0,
        high=300000.0,
        source="MHLW: unpaid, activity allowance about 100,000 yen a year",
    )

    def volunteers(self, scope: Scope, i: int, pool: np.ndarray | None = None) -> np.ndarray:
        """Filled volunteer posts per municipality (real population).

        ``pool``: the volunteer-pool factor per municipality (None: 1, static demography).
        """
        per = np.where(scope.is_city, self.households_per_volunteer_city,
                       self.households_per_volunteer_town)  # fmt: skip
        filled = scope.households / per * self.fill_rate * scope.muni_mask[i]
        return filled if pool is None else filled * pool

    def draw(self, scope: Scope, i: int, m: Any) -> np.ndarray:
        """Zones whose volunteer post is filled (the rest are vacant)."""
        u = m.streams.get(f"lever:{self.id}").random(m.pop.zones.n)
        return scope.zone_mask[i] & (u < self.fill_rate)

    def visit_probability(
        self, scope: Scope, i: int, m: Any, drawn: Any, pool: np.ndarray | None = None
    ) -> np.ndarray:
        """Visits of older residents living alone in covered zones, up to the caseload."""
        target = m.pop.lives_alone() & (m.pop.age >= 65)
        covered = target & drawn[m.pop.zone]
        eligible = np.bincount(m.pop.municipality[covered], minlength=scope.n_mun)
        capacity = self.volunteers(scope, i, pool) * self.caseload * scope.scale
        share = np.minimum(1.0, capacity / np.maximum(eligible, 1))
        rate = min(1.0, self.visits_per_month * 12 / 52)
        return (rate * share)[m.pop.municipality] * covered

    def weekly_cost(
        self, scope: Scope, i: int, venues: Any, pool: np.ndarray | None = None
    ) -> float:
        """Allowances of the filled posts, per week."""
        return self.volunteers(scope, i, pool).sum() * self.allowance_per_year / 52

    def weekly_cost_by_municipality(
        self, scope: Scope, i: int, venues: Any, pool: np.ndarray | None = None
    ) -> np.ndarray:
        """Allowances where the volunteers serve."""
        return self.volunteers(scope, i, pool) * self.allowance_per_year / 52
