"""Awareness lever: campaigns that make residents aware and neighbours notice; weekly cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.core.params import param
from sim.policy.levers.base import COST, FixedWeeklyCost, Lever

if TYPE_CHECKING:
    from sim.policy.scope import Scope


@dataclass
class Awareness(FixedWeeklyCost, Lever):
    """Awareness campaigns (周知・啓発)."""

    reach: float = param(
        0.3,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package",
        doc="share of residents reached over the campaign",
    )
    memory_weeks: float = param(
        26.0,
        unit="weeks",
        low=1.0,
        high=260.0,
        uncertain=True,
        source="assumption: awareness fades",
    )
    cost_per_week: float = param(300000.0, unit="yen/week", low=0.0, high=1e8, source=COST)

    def neighbour_reach(self, scope: Scope, i: int) -> np.ndarray:
        """Neighbours notice more where the campaign reaches."""
        return np.float32(self.reach) * scope.muni_mask[i]

    def campaign_reach(self, scope: Scope, i: int, weeks: int) -> np.ndarray:
        """The weekly chance that spreads ``reach`` over the campaign's ``weeks``."""
        return np.float32(1 - (1 - self.reach) ** (1 / weeks)) * scope.muni_mask[i]

    def awareness_memory(self) -> float:
        """Weeks campaign-made awareness lasts."""
        return self.memory_weeks
