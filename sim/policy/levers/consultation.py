"""Consultation lever: channels with weekly capacity, episodes, transfers; costs per case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from sim.core.params import param
from sim.policy.levers.base import CHANNELS, COST, Lever, spread

if TYPE_CHECKING:
    from sim.policy.scope import Scope


@dataclass
class Consultation(Lever):
    """Consultation channels (office hours, 24-hour phone, SNS/chat, AI chat)."""

    channel: str = "office"
    capacity_per_10k: float = param(
        2.0,
        unit="new cases/week/10k residents",
        low=0.0,
        high=100.0,
        source="choice of the package",
    )
    episode_weeks: int = param(
        12,
        unit="weeks",
        low=1,
        high=52,
        uncertain=True,
        source="assumption: a support plan of about 3 months",
    )
    transfer_rate: float = param(
        0.25,
        unit="1/year",
        low=0.0,
        high=0.6,
        uncertain=True,
        source="assumption: municipal staff rotate every 3-4 years (人事異動, each April)",
    )
    info_sharing: float = param(
        0.3,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package (全庁横断・情報共有)",
        doc="share of cases kept open when the caseworker is transferred",
    )
    cost_per_case: float = param(
        60000.0,
        unit="yen/case",
        low=0.0,
        high=1000000.0,
        source=COST,
    )
    cost_fixed_per_week: float = param(
        0.0,
        unit="yen/week",
        low=0.0,
        high=1e8,
        source=COST,
        doc="fixed running cost (e.g. a 24-hour line) per week for the whole area",
    )

    pooled_cost: ClassVar[bool] = True
    serves_cases: ClassVar[bool] = True

    def offers_service(self) -> bool:
        """A channel with capacity is a service residents can be referred to."""
        return self.capacity_per_10k > 0

    def case_capacity(self, scope: Scope, i: int) -> tuple[int, np.ndarray]:
        """New cases per week on its channel, per municipality (simulated residents)."""
        return CHANNELS.index(self.channel), (
            self.capacity_per_10k * scope.sim_res / 1e4 * scope.muni_mask[i]
        )

    def episode_gain(self, recovery: float) -> float:
        """Factor making an episode's total effect independent of its length."""
        return 1.0 / (1.0 - (1.0 - recovery) ** self.episode_weeks)

    def weekly_cost(self, scope: Scope, i: int, venues: Any) -> float:
        """The fixed running cost (cases are costed as they start, ``cost_per_case``)."""
        return self.cost_fixed_per_week

    def weekly_cost_by_municipality(self, scope: Scope, i: int, venues: Any) -> np.ndarray:
        """The fixed running cost spread over the covered municipalities by population."""
        return self.cost_fixed_per_week * spread(scope, i)
