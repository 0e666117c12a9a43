"""Costs, bills and funders: what each lever costs, where, and who pays.

Every lever type states its own cost rule (``weekly_cost`` and
``weekly_cost_by_municipality``; consultation adds ``cost_per_case`` as cases start). This
module adds them up by lever, by municipality and by funder, and splits pooled costs of
wide-area clusters into bills. :class:`CostBook` holds the sums between two records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.policy.levers import FUNDERS, Lever
from sim.policy.scope import Scope

#: Payers in a bill besides the municipalities (the funders other than ``municipality``).
BILL_OTHERS = tuple(f for f in FUNDERS if f != "municipality")


def _pool_kw(lever: Lever, hook: str, pool: np.ndarray | None) -> dict:
    """The volunteer-pool factor for a lever hook that follows it (nothing when static)."""
    return {"pool": pool} if pool is not None and hook in getattr(lever, "pool_hooks", ()) else {}


def weekly_costs(
    levers: Sequence[Lever],
    active: np.ndarray,
    scope: Scope,
    venues: Any,
    pool: np.ndarray | None = None,
) -> np.ndarray:
    """Running cost of each lever this week, yen at full population scale (0 if inactive)."""
    out = np.zeros(len(levers))
    for i, lv in enumerate(levers):
        if active[i]:
            out[i] = lv.weekly_cost(scope, i, venues, **_pool_kw(lv, "weekly_cost", pool))
    return out


def weekly_costs_by_municipality(
    levers: Sequence[Lever],
    active: np.ndarray,
    scope: Scope,
    venues: Any,
    pool: np.ndarray | None = None,
) -> np.ndarray:
    """Running cost of each lever this week by the municipality where it runs (L x M, yen).

    Venues: where they are; supporters, welfare volunteers and prefecture staff: where they
    work (by population); fixed costs of lines, campaigns, platforms and wide-area
    coordination: spread over the covered municipalities by population. Row sums equal
    :func:`weekly_costs` (up to rounding).
    """
    out = np.zeros((len(levers), scope.n_mun))
    for i, lv in enumerate(levers):
        if active[i]:
            out[i] = lv.weekly_cost_by_municipality(
                scope, i, venues, **_pool_kw(lv, "weekly_cost_by_municipality", pool)
            )
    return out


def case_costs(levers: Sequence[Lever], lever: np.ndarray, scale: float) -> np.ndarray:
    """Cost of each new case (``cost_per_case`` of its lever), per simulated resident."""
    return np.array([levers[i].cost_per_case for i in lever]) / scale


def bills(
    levers: Sequence[Lever],
    clusters: Sequence[tuple[int, np.ndarray]],
    real_pop: np.ndarray,
    cost_lm: np.ndarray,
    use: np.ndarray,
) -> np.ndarray:
    """Who pays this week's costs under the active cost-sharing rules.

    Args:
        levers: the scenario's levers.
        clusters: (lever index, member mask) of the active wide-area clusters.
        real_pop: real residents per municipality (per-capita sharing).
        cost_lm: cost by lever and municipality where it runs (L x M, yen).
        use: residents of each municipality who used a pooled service this week (cases
            started and venue attendances), for ``per_use`` sharing.

    Returns:
        M + 3 amounts: each municipality's bill, then :data:`BILL_OTHERS` (prefecture,
        national grant, NPO). They add up to the total cost. Municipality-funded costs of
        levers with ``pooled_cost`` (consultation, venues, wide-area) inside a cluster are
        pooled: the prefecture pays its share, the members the rest per capita or per use;
        every other cost is paid by its lever's funder (a municipality pays where it runs).
    """
    n = real_pop.size
    out = np.zeros(n + len(BILL_OTHERS))
    local, pooled = np.zeros(n), np.zeros(n)
    for lv, row in zip(levers, cost_lm, strict=True):
        if lv.funder == "municipality":
            target = pooled if lv.pooled_cost else local
            target += row
        else:
            out[n + BILL_OTHERS.index(lv.funder)] += row.sum()
    covered = np.zeros(n, bool)
    for i, sel in clusters:
        lv = levers[i]
        sel = sel & ~covered
        total = pooled[sel].sum()
        pref = lv.prefecture_part()
        out[n + BILL_OTHERS.index("prefecture")] += total * pref
        w = real_pop[sel]
        if lv.cost_sharing == "per_use" and use[sel].sum() > 0:
            w = use[sel].astype(float)
        local[sel] += total * (1 - pref) * w / w.sum()
        covered |= sel
    local[~covered] += pooled[~covered]
    out[:n] = local
    return out


def costs_by_funder(levers: Sequence[Lever], costs: np.ndarray, bill: np.ndarray) -> np.ndarray:
    """Costs by funder (:data:`FUNDERS` order), yen.

    Each lever's cost goes to its funder; when a lever with cost-sharing rules
    (``shares_costs``, the wide-area platform) is in the scenario, the bills decide instead:
    the municipalities' bills, then the prefecture's, the national grant's and the NPOs'.

    Args:
        levers: the scenario's levers.
        costs: cost of each lever.
        bill: the bills of the same period (:func:`bills`, summed), M + 3 amounts.
    """
    funder = np.zeros(len(FUNDERS))
    for lv, c in zip(levers, costs, strict=True):
        funder[FUNDERS.index(lv.funder)] += c
    if any(lv.shares_costs for lv in levers):  # after cost sharing
        n = bill.size - len(BILL_OTHERS)
        funder = np.array(
            [
                bill[:n].sum() if f == "municipality" else bill[n + BILL_OTHERS.index(f)]
                for f in FUNDERS
            ]
        )
    return funder


class CostBook:
    """Costs and bills accumulated since the last read, at full population scale.

    Args:
        n_levers: levers in the scenario.
        n_mun: municipalities in the region.
    """

    def __init__(self, n_levers: int, n_mun: int) -> None:
        self.costs = np.zeros(n_levers, np.float64)
        self.cost_lm = np.zeros((n_levers, n_mun), np.float64)
        self.bills = np.zeros(n_mun + len(BILL_OTHERS), np.float64)
        self.case_cost_lm = np.zeros_like(self.cost_lm)
        self.use_week = np.zeros(n_mun, np.float64)

    def add_cases(self, per_case: np.ndarray, lever: np.ndarray, place: np.ndarray) -> None:
        """Cost of cases started by ``lever`` and served in ``place`` (:func:`case_costs`)."""
        np.add.at(self.costs, lever, per_case)
        np.add.at(self.case_cost_lm, (lever, place), per_case)

    def add_use(self, home: np.ndarray) -> None:
        """Residents (by home municipality index) who used a pooled service this week."""
        self.use_week += np.bincount(home, minlength=self.use_week.size)

    def close_week(self, costs: np.ndarray, week_lm: np.ndarray, week_bills: Any) -> None:
        """Add a week's running costs and bills; start the next week's case costs and use.

        Args:
            costs: running cost of each lever this week.
            week_lm: running cost by lever and municipality this week (without cases).
            week_bills: function of the week's (L x M) costs and use returning the bills.
        """
        self.costs += costs
        week_lm = week_lm + self.case_cost_lm
        self.cost_lm += week_lm
        self.bills += week_bills(week_lm, self.use_week)
        self.case_cost_lm[:] = 0
        self.use_week[:] = 0

    def reset(self) -> None:
        """Discard everything accumulated."""
        for a in (self.costs, self.cost_lm, self.bills, self.case_cost_lm, self.use_week):
            a[:] = 0
