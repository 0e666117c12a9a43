"""Levers resolved against a region and a calendar, and the per-week questions services ask.

:class:`LeverRuntime` puts together where levers apply (:mod:`sim.policy.scope`), when
(:mod:`sim.policy.calendar`), the consultation capacity and wide-area pools
(:mod:`sim.policy.capacity`) and costs (:mod:`sim.policy.accounting`). Each question is answered
by asking every active lever the matching hook of its type (:mod:`sim.policy.levers`) and
combining the answers (a sum or a maximum); answers are cached per active set.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.policy import accounting, calendar
from sim.policy import capacity as cap_
from sim.policy.accounting import BILL_OTHERS
from sim.policy.calendar import per_active_set
from sim.policy.capacity import Pools
from sim.policy.scenario import Scenario
from sim.policy.scope import build_scope
from sim.policy.venues import venue_reach
from sim.policy.volunteer_pool import VolunteerPool

__all__ = ["BILL_OTHERS", "LeverRuntime", "per_active_set"]


class LeverRuntime:
    """The levers of one scenario on one model.

    Args:
        m: the model (region, population, config, streams).
        scenario: the validated scenario.
    """

    def __init__(self, m: Any, scenario: Scenario) -> None:
        self.levers = scenario.levers
        self.scope = build_scope(m, scenario)
        self.n_mun = self.scope.n_mun
        self.scale = self.scope.scale
        self.p = m.cfg.services
        self.start_date = m.cfg.start_date
        self.burn_in_weeks = m.cfg.burn_in_weeks
        self.weeks = calendar.lever_weeks(self.levers, m.cfg.start_date, m.cfg.years * 52)
        self.pools = Pools.none(self.n_mun)
        self.active = np.zeros(len(self.levers), bool)
        self.has_service = np.zeros(self.n_mun, bool)
        self._week: int | None = None
        self._cache: dict[str, object] = {}
        self.drawn = {i: lv.draw(self.scope, i, m) for i, lv in enumerate(self.levers)}
        #: volunteers and supporters available (demography=dynamic; static: always None)
        self.volunteer_pool = VolunteerPool(m)
        self.pool: np.ndarray | None = None
        self._zone_municipality = m.pop.zones.municipality

    def refresh_pool(self, m: Any) -> None:
        """Take the volunteer-pool factor of this week; a recount empties the cache."""
        if not self.volunteer_pool.dynamic:
            return
        factor = self.volunteer_pool.factor(m)
        if factor is not self.pool:
            self.pool, self._cache = factor, {}

    def _pool_kw(self, lv: Any, hook: str) -> dict:
        """The pool factor for a lever hook that follows it (nothing when static)."""
        if self.pool is None or hook not in getattr(lv, "pool_hooks", ()):
            return {}
        if hook == "notice_hazard":  # per zone
            return {"pool_zone": self.pool[self._zone_municipality]}
        return {"pool": self.pool}

    # -- where and when ----------------------------------------------------------------------
    @property
    def muni_mask(self) -> np.ndarray:
        """(levers x municipalities) where each lever applies."""
        return self.scope.muni_mask

    @property
    def zone_mask(self) -> list[np.ndarray]:
        """Per lever, the zones where it applies."""
        return self.scope.zone_mask

    @property
    def pool_of(self) -> np.ndarray:
        """Consultation queue of each municipality (named by the pool's first member)."""
        return self.pools.pool_of

    @property
    def pooling(self) -> bool:
        """Whether an active wide-area lever pools consultation queues."""
        return self.pools.pooling

    @property
    def clusters(self) -> list[tuple[int, np.ndarray]]:
        """(lever index, member mask) of the active wide-area clusters."""
        return self.pools.clusters

    def update(self, week: int) -> None:
        """Refresh which levers are active this week."""
        if week == self._week:
            return
        self._week = week
        active = calendar.active_at(self.weeks, week)
        if np.array_equal(active, self.active) and self._cache:
            return
        self._cache = {}
        self.active = active
        self.pools = cap_.build_pools(self.levers, active, self.scope)
        self.has_service = cap_.has_service(self.levers, active, self.scope, self.pools)

    def any_active(self, week: int) -> bool:
        """Whether any lever runs this week (the plan's ``levers`` row updated the active set).

        Raises:
            RuntimeError: if the active set was not updated for ``week`` (a step out of plan).
        """
        if self._week != week:
            raise RuntimeError(f"lever runtime: active set is for week {self._week}, not {week}")
        return bool(self.active.any())

    def _answers(self, hook: str, *args: Any):
        """Non-None answers of the active levers to ``hook``, in lever order."""
        for i, lv in enumerate(self.levers):
            if self.active[i]:
                out = getattr(lv, hook)(self.scope, i, *args, **self._pool_kw(lv, hook))
                if out is not None:
                    yield i, out

    # -- effects -----------------------------------------------------------------------------
    @per_active_set
    def training_boost(self, m: Any) -> np.ndarray:
        """Training quality added per municipality (share)."""
        out = np.zeros(self.n_mun, np.float32)
        for _, add in self._answers("added_training"):
            out += add
        return out

    @per_active_set
    def notice_hazard(self, m: Any) -> np.ndarray:
        """Weekly noticing hazard of each resident from neighbours and supporters."""
        hz = np.zeros(m.pop.zones.n, np.float32)
        boost = self.training_boost(m)[m.pop.zones.municipality]
        for _, add in self._answers("notice_hazard", boost, self.p):
            hz += add
        campaign = np.zeros(self.n_mun, np.float32)
        for _, reach in self._answers("neighbour_reach"):
            campaign = np.maximum(campaign, reach)
        base = np.float32(self.p.notice_neighbour) * (1 + campaign)
        return (hz[m.pop.zone] + base[m.pop.municipality]).astype(np.float32)

    @per_active_set
    def has_venue(self, venues: Any) -> np.ndarray:
        """Municipalities with at least one open venue this week."""
        out = np.zeros(self.n_mun, bool)
        open_ = self.active[venues.lever] if venues.n else np.zeros(0, bool)
        out[venues.municipality[open_]] = True
        if self.pools.venue_wide:  # members of a cluster may use each other's venues
            pool = self.pools.venue_pool_of
            any_ = np.bincount(pool, weights=out, minlength=self.n_mun)
            out = any_[pool] > 0
        return out

    @per_active_set
    def followup(self, m: Any) -> np.ndarray:
        """Weekly chance a supporter visits a resident they referred, while the case is pending."""
        out = np.zeros(m.pop.zones.n, np.float32)
        for _, share in self._answers("followup", self.p):
            out = np.maximum(out, share)
        return out[m.pop.zone]

    @per_active_set
    def referral_success(self, m: Any) -> np.ndarray:
        """Chance that a noticed resident's referral goes through (per resident)."""
        boost = np.zeros(self.n_mun, np.float32)
        for _, add in self._answers("referral_boost", self.p):
            boost += add
        return np.minimum(0.95, self.p.referral_success + boost)[m.pop.municipality]

    @per_active_set
    def visit_probability(self, m: Any) -> np.ndarray:
        """Weekly chance of a welfare volunteer's visit (older residents living alone)."""
        out = np.zeros(m.pop.n, np.float32)
        for i, lv in enumerate(self.levers):
            if not self.active[i]:
                continue
            got = lv.visit_probability(
                self.scope, i, m, self.drawn[i], **self._pool_kw(lv, "visit_probability")
            )
            if got is not None:
                out = np.maximum(out, got)
        return out

    @per_active_set
    def campaign_reach(self, m: Any) -> np.ndarray:
        """Weekly chance an unaware resident is reached by an active campaign."""
        out = np.zeros(self.n_mun, np.float32)
        for i, lv in enumerate(self.levers):
            if not self.active[i]:
                continue
            first = max(self.weeks[i, 0], -self.burn_in_weeks)
            got = lv.campaign_reach(self.scope, i, max(1, self.weeks[i, 1] - first + 1))
            if got is not None:
                out = np.maximum(out, got)
        return out[m.pop.municipality]

    def forget_rate(self, m: Any) -> np.float32:
        """Weekly chance campaign-made awareness fades (slowest memory among campaigns)."""
        memory = [w for lv in self.levers if (w := lv.awareness_memory()) is not None]
        return np.float32(1.0 / max(memory)) if memory else np.float32(0.0)

    @per_active_set
    def venue_reach(self, m: Any) -> dict | None:
        """Venues residents may use through a wide-area platform (None when there is none).

        See :func:`sim.policy.venues.venue_reach`.
        """
        return venue_reach(m, self.pools, self.p.venue_decay_km)

    def transfer_break(self, m: Any, cases: np.ndarray) -> np.ndarray:
        """Chance a case breaks this week because its caseworker is transferred (April)."""
        if cases.size == 0 or not calendar.is_transfer_week(self.start_date, m.week):
            return np.zeros(cases.size, np.float32)
        lever = m.svc.case_lever[cases]
        lv = self.levers
        shared = np.zeros(self.n_mun)
        for _, share in self._answers("case_continuity"):
            shared = np.maximum(shared, share)
        keep = np.maximum(
            np.array([0.0 if j < 0 else lv[j].info_sharing for j in lever]),
            shared[m.svc.served_in[cases]],
        )
        rate = np.array([0.0 if j < 0 else lv[j].transfer_rate for j in lever])
        return (rate * (1 - keep)).astype(np.float32)

    # -- capacity ----------------------------------------------------------------------------
    @per_active_set
    def capacity(self, m: Any) -> np.ndarray:
        """New cases each municipality can take this week, by channel (simulated residents)."""
        return cap_.capacity(self.levers, self.active, self.scope)

    @per_active_set
    def pooled_capacity(self, m: Any) -> np.ndarray:
        """Capacity of each queue (rows: the pool's first member; others 0), by channel."""
        return cap_.pooled_capacity(self.capacity(m), self.pools)

    def serving_municipality(
        self, home: np.ndarray, work: np.ndarray, channel: np.ndarray, u: np.ndarray
    ) -> np.ndarray:
        """Member that serves each pooled case (see :mod:`sim.policy.capacity`)."""
        cases = (home, work, channel, u)
        if not self.pools.pooling or home.size == 0:
            return home.astype(np.int16)
        return cap_.serving_municipality(self.capacity(None), self.pools, self.scope.dist_km, cases)

    def choose_channel(
        self, muni: np.ndarray, prefers_digital: np.ndarray, digital: np.ndarray, u: np.ndarray
    ) -> np.ndarray:
        """Channel each help-seeker uses (:func:`sim.policy.capacity.choose_channel`)."""
        cap = self.pooled_capacity(None)[self.pools.pool_of[muni]]  # (residents, channels)
        return cap_.choose_channel(cap, prefers_digital, digital, u)

    def channel_lever(self, muni: np.ndarray, channel: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The lever that takes each new case (:func:`sim.policy.capacity.channel_lever`)."""
        return cap_.channel_lever(self.levers, self.active, self.scope, (muni, channel, u))

    # -- costs -------------------------------------------------------------------------------
    @per_active_set
    def weekly_costs(self, m: Any, venues: Any) -> np.ndarray:
        """Running cost of each lever this week, yen, at full population scale."""
        return accounting.weekly_costs(self.levers, self.active, self.scope, venues, self.pool)

    @per_active_set
    def weekly_costs_by_municipality(self, m: Any, venues: Any) -> np.ndarray:
        """Running cost of each lever this week by municipality (L x M, yen)."""
        return accounting.weekly_costs_by_municipality(
            self.levers, self.active, self.scope, venues, self.pool
        )

    def bills(self, cost_lm: np.ndarray, use: np.ndarray) -> np.ndarray:
        """Who pays this week's costs (:func:`sim.policy.accounting.bills`)."""
        return accounting.bills(self.levers, self.pools.clusters, self.scope.real_pop, cost_lm, use)
