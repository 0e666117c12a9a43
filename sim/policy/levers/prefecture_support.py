"""Prefecture-support lever: dispatched staff add office capacity and training; staff costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.params import param
from sim.policy.levers.base import COST, Lever, covered_population

if TYPE_CHECKING:
    from sim.policy.scope import Scope


@dataclass
class PrefectureSupport(Lever):
    """Prefecture staff dispatch (伴走支援) and training (人材育成)."""

    staff_per_100k: float = param(
        1.0,
        unit="staff/100k residents",
        low=0.0,
        high=20.0,
        source="choice of the package",
    )
    cases_per_staff_week: float = param(
        3.0,
        unit="cases/week",
        low=0.5,
        high=20.0,
        uncertain=True,
        source="assumption",
    )
    training_boost: float = param(
        0.2,
        unit="share",
        low=0.0,
        high=1.0,
        uncertain=True,
        source="assumption: no trial measures how much prefecture training adds to supporters' "
        "noticing or to a consultation's effect; 0 (none) to 1 (doubles), the package's 0.2 a "
        "planning guess",
        doc="added to supporter training quality and to consultation effect (relative)",
    )
    cost_per_staff_week: float = param(
        150000.0,
        unit="yen/week",
        low=0.0,
        high=1e7,
        source=COST,
    )

    def added_training(self, scope: Scope, i: int) -> np.ndarray:
        """Training quality added in its municipalities."""
        return np.float32(self.training_boost) * scope.muni_mask[i]

    def staff_capacity(self, scope: Scope, i: int, office: np.ndarray) -> np.ndarray:
        """Staff take cases where office hours already exist."""
        staff = self.staff_per_100k * scope.sim_res / 1e5 * scope.muni_mask[i]
        return np.where(office > 0, staff * self.cases_per_staff_week, 0)

    def weekly_cost(self, scope: Scope, i: int, venues: Any) -> float:
        """Staff (per 100k covered residents) times the weekly cost per staff."""
        real = float(covered_population(scope, i).sum())
        return self.staff_per_100k * real / 1e5 * self.cost_per_staff_week

    def weekly_cost_by_municipality(self, scope: Scope, i: int, venues: Any) -> np.ndarray:
        """The staff cost where the staff work (by population)."""
        pop = covered_population(scope, i)
        return self.staff_per_100k * pop / 1e5 * self.cost_per_staff_week
