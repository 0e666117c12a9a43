"""What every lever has: where it applies, when, who pays; and the hooks a lever type may fill.

A lever type is a dataclass deriving from :class:`Lever`: its fields are its parameters (declared
with :func:`sim.core.params.param`), its methods are its cost rule and the hooks of its effects.
The runtime (:class:`sim.policy.runtime.LeverRuntime`) asks every active lever each hook and
combines the answers; a hook that returns ``None`` (the default) means "no effect of this kind".
Hooks receive the lever's :class:`sim.policy.scope.Scope` and its index ``i`` in the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

if TYPE_CHECKING:
    from sim.policy.scope import Scope

FUNDERS = ("national_grant", "prefecture", "municipality", "npo")
CHANNELS = ("office", "phone24", "sns", "ai_chat")
DIGITAL_CHANNELS = ("sns", "ai_chat")
COST = "assumption: planning figure for sensitivity analysis; replace with local budgets"

Array = np.ndarray


@dataclass
class Lever:
    """Fields every lever has.

    Attributes:
        id: unique name inside the package.
        municipalities: names or codes where it applies; empty means the whole region.
        zones: zone indices where it applies (optional, inside ``municipalities``).
        start: first date it runs (ISO date); omitted means the service already exists, so it
            also runs during burn-in (the status quo of the baseline).
        end: last date it runs, or None for the whole horizon. A grant ending stops the lever.
        funder: who pays: national_grant, prefecture, municipality or npo.
    """

    id: str = ""
    municipalities: list[str] = field(default_factory=list)
    zones: list[int] = field(default_factory=list)
    start: str | None = None
    end: str | None = None
    funder: str = "municipality"

    #: Municipality-funded costs are pooled inside a wide-area cluster (see accounting.bills).
    pooled_cost: ClassVar[bool] = False
    #: The lever takes consultation cases (queues, episodes, transfers).
    serves_cases: ClassVar[bool] = False
    #: The lever opens venues (:func:`sim.policy.venues.build_venues`).
    opens_venues: ClassVar[bool] = False
    #: The lever's cost-sharing rules decide who pays (bills replace funders' sums).
    shares_costs: ClassVar[bool] = False

    # -- cost rule ---------------------------------------------------------------------------
    def weekly_cost(self, scope: Scope, i: int, venues: Any) -> float:
        """Running cost this week while active, yen at full population scale."""
        return 0.0

    def weekly_cost_by_municipality(self, scope: Scope, i: int, venues: Any) -> Array:
        """:meth:`weekly_cost` by the municipality where it is spent (sums to it)."""
        return np.zeros(scope.n_mun)

    # -- hooks of effects (None: no effect of this kind) -------------------------------------
    def draw(self, scope: Scope, i: int, m: Any) -> Array | None:
        """Random state drawn once when the run starts (stream ``lever:<id>``)."""
        return None

    def offers_service(self) -> bool:
        """Whether residents where it runs can be referred to or seek consultation."""
        return False

    def case_capacity(self, scope: Scope, i: int) -> tuple[int, Array] | None:
        """New cases per week by municipality on one channel: (channel index, capacity)."""
        return None

    def staff_capacity(self, scope: Scope, i: int, office: Array) -> Array | None:
        """Office-hours capacity added where ``office`` (the capacity so far) is positive."""
        return None

    def added_training(self, scope: Scope, i: int) -> Array | None:
        """Training quality added per municipality (summed over levers)."""
        return None

    def notice_hazard(self, scope: Scope, i: int, boost: Array, p: Any) -> Array | None:
        """Weekly noticing hazard per zone (summed); ``boost``: training added per zone."""
        return None

    def neighbour_reach(self, scope: Scope, i: int) -> Array | None:
        """Share by which neighbours notice more per municipality (maximum over levers)."""
        return None

    def followup(self, scope: Scope, i: int, p: Any) -> Array | None:
        """Weekly chance of a follow-up visit of a pending referral per zone (maximum)."""
        return None

    def referral_boost(self, scope: Scope, i: int, p: Any) -> Array | None:
        """Added chance a referral goes through, per municipality (summed)."""
        return None

    def visit_probability(self, scope: Scope, i: int, m: Any, drawn: Any) -> Array | None:
        """Weekly chance of a visit per resident (maximum); ``drawn`` from :meth:`draw`."""
        return None

    def campaign_reach(self, scope: Scope, i: int, weeks: int) -> Array | None:
        """Weekly chance an unaware resident is reached, per municipality (maximum)."""
        return None

    def awareness_memory(self) -> float | None:
        """Weeks campaign-made awareness lasts (whether active or not)."""
        return None

    def case_continuity(self, scope: Scope, i: int) -> Array | None:
        """Share of cases kept open at a caseworker's transfer, per municipality (maximum)."""
        return None

    def clusters(self, scope: Scope, i: int) -> list[Array] | None:
        """Wide-area clusters (masks over municipalities) the lever forms."""
        return None


def spread(scope: Scope, i: int) -> Array:
    """Population share of each covered municipality (zero elsewhere)."""
    pop = scope.real_pop * scope.muni_mask[i]
    return pop / pop.sum() if pop.sum() > 0 else pop


def covered_population(scope: Scope, i: int) -> Array:
    """Real residents of each covered municipality (zero elsewhere)."""
    return scope.real_pop * scope.muni_mask[i]


class FixedWeeklyCost:
    """Cost rule of a lever paid per week whole: ``cost_per_week``, spread by population."""

    cost_per_week: float

    def weekly_cost(self, scope: Scope, i: int, venues: Any) -> float:
        """The fixed weekly cost."""
        return self.cost_per_week

    def weekly_cost_by_municipality(self, scope: Scope, i: int, venues: Any) -> Array:
        """The fixed weekly cost spread over the covered municipalities by population."""
        return self.cost_per_week * spread(scope, i)
