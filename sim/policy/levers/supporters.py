"""Supporters lever: connection supporters who notice and follow up; costs per supporter.

With dynamic demography the supporters a municipality can recruit per 1000 residents follow its
residents aged about 60-75 and the fill-rate trend of welfare volunteers (assumption: supporters
are recruited mostly from the same age group; no national headcount or age mix is published).
The runtime passes the pool factor of :mod:`sim.policy.volunteer_pool` as ``pool`` (per
municipality, or ``pool_zone`` per zone for noticing); None (static demography) leaves every
figure as it was. Costs follow the supporters actually working.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.core.params import param
from sim.policy.levers.base import COST, Lever, covered_population

if TYPE_CHECKING:
    from sim.policy.scope import Scope


@dataclass
class Supporters(Lever):
    """Connection supporters (つながりサポーター)."""

    #: The supporters recruited follow the volunteer pool (residents aged about 60-75):
    #: these hooks take the pool factor (``pool``, or ``pool_zone`` for noticing).
    pool_hooks: ClassVar[tuple[str, ...]] = (
        "notice_hazard",
        "weekly_cost",
        "weekly_cost_by_municipality",
    )

    per_1000: float = param(
        2.0,
        unit="supporters/1000 residents",
        low=0.0,
        high=50.0,
        source="choice of the package; national training since FY2023, no headcount published",
    )
    training: float = param(
        0.6,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package",
        doc="training quality: scales noticing and follow-up visits of pending referrals",
    )
    cost_per_supporter_year: float = param(
        40000.0,
        unit="yen/year",
        low=0.0,
        high=500000.0,
        source=COST,
        doc="training course and activity costs per supporter",
    )

    def notice_hazard(
        self, scope: Scope, i: int, boost: np.ndarray, p: Any, pool_zone: np.ndarray | None = None
    ) -> np.ndarray:
        """Supporters notice in proportion to their density and training (plus boost).

        ``pool_zone``: the volunteer-pool factor of each zone's municipality (None: 1).
        """
        eff = np.minimum(1.0, self.training + boost)
        hz = np.float32(p.notice_supporter * self.per_1000) * eff * scope.zone_mask[i]
        return hz if pool_zone is None else hz * pool_zone.astype(np.float32)

    def followup(self, scope: Scope, i: int, p: Any) -> np.ndarray:
        """Supporters visit the residents they referred while the case is pending."""
        share = np.float32(min(1.0, p.supporter_followup * self.training))
        return share * (scope.zone_mask[i] & (self.per_1000 > 0))

    def supporters(self, scope: Scope, i: int, pool: np.ndarray | None = None) -> np.ndarray:
        """Supporters working per municipality (real population); ``pool`` None: factor 1."""
        pop = covered_population(scope, i)
        return self.per_1000 * (pop if pool is None else pop * pool) / 1000

    def weekly_cost(
        self, scope: Scope, i: int, venues: Any, pool: np.ndarray | None = None
    ) -> float:
        """Supporters (per 1000 covered residents) times the yearly cost, per week."""
        if pool is None:  # static demography: the sum of the population, as before
            real = float(covered_population(scope, i).sum())
            return self.per_1000 * real / 1000 * self.cost_per_supporter_year / 52
        return float(self.supporters(scope, i, pool).sum()) * self.cost_per_supporter_year / 52

    def weekly_cost_by_municipality(
        self, scope: Scope, i: int, venues: Any, pool: np.ndarray | None = None
    ) -> np.ndarray:
        """The cost where the supporters work (by population)."""
        return self.supporters(scope, i, pool) * self.cost_per_supporter_year / 52
