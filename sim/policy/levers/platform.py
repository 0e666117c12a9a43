"""Platform lever: a public-private platform that makes referrals go through; weekly cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.core.params import param
from sim.policy.levers.base import COST, FixedWeeklyCost, Lever

if TYPE_CHECKING:
    from sim.policy.scope import Scope


@dataclass
class Platform(FixedWeeklyCost, Lever):
    """Local public-private platform (地方版官民連携プラットフォーム)."""

    members: int = param(
        20,
        unit="organisations",
        low=0,
        high=200,
        source="Cabinet Office: Nagasaki platform had 61 members (2024-09)",
    )
    cost_per_week: float = param(100000.0, unit="yen/week", low=0.0, high=1e8, source=COST)

    def referral_boost(self, scope: Scope, i: int, p: Any) -> np.ndarray:
        """More member organisations, more referrals succeed (at most +0.3)."""
        return np.float32(min(0.3, p.platform_boost * self.members)) * scope.muni_mask[i]
