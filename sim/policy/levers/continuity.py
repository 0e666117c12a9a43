"""Continuity lever: cases survive a caseworker's transfer; a fixed weekly cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.core.params import param
from sim.policy.levers.base import COST, FixedWeeklyCost, Lever

if TYPE_CHECKING:
    from sim.policy.scope import Scope


@dataclass
class Continuity(FixedWeeklyCost, Lever):
    """Cross-departmental organisation and information sharing (全庁横断・情報共有).

    While active, every consultation case in its municipalities survives a caseworker's
    transfer with at least this probability, whichever channel serves it.
    """

    info_sharing: float = param(
        0.9,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package",
        doc="share of cases kept open when the caseworker is transferred",
    )
    cost_per_week: float = param(50000.0, unit="yen/week", low=0.0, high=1e8, source=COST)

    def case_continuity(self, scope: Scope, i: int) -> np.ndarray:
        """Its information-sharing share in its municipalities."""
        return self.info_sharing * scope.muni_mask[i]
