"""Levers resolved against a region and a calendar: where and when each applies, weekly.

:class:`LeverRuntime` turns a scenario's levers into masks over municipalities and zones, and
into week indices, and answers the per-week questions the service processes ask (capacity by
municipality and channel, noticing hazards, visit probabilities, costs).
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np

from sim.core.params import ConfigError
from sim.policy.levers import (
    CHANNELS,
    CUSTOMARY_AREAS,
    DIGITAL_CHANNELS,
    FUNDERS,
    Awareness,
    Consultation,
    Continuity,
    Platform,
    PrefectureSupport,
    Supporters,
    Venue,
    WelfareVolunteers,
    WideArea,
)
from sim.policy.scenario import lever_municipalities, week_of


def per_active_set(method):
    """Cache a method's result until the set of active levers changes.

    The cached methods depend only on which levers are active and on static inputs (the
    population, the region, the configuration), so they are computed once per change of the
    active set instead of every week.
    """
    name = method.__name__

    @functools.wraps(method)
    def cached(self, *args):
        if name not in self._cache:
            self._cache[name] = method(self, *args)
        return self._cache[name]

    return cached


class LeverRuntime:
    """The levers of one scenario on one model.

    Args:
        m: the model (region, population, config).
        scenario: the validated scenario.
    """

    def __init__(self, m, scenario) -> None:
        self.levers = scenario.levers
        mun = m.region.municipalities
        self.n_mun = len(mun)
        self.scale = m.cfg.population.scale
        self.p = m.cfg.services
        horizon = m.cfg.years * 52
        self.weeks = np.array(
            [[week_of(lv.start, m.cfg.start_date, -(10**9)),
              week_of(lv.end, m.cfg.start_date, horizon)]
             for lv in self.levers], dtype=np.int64,
        ).reshape(-1, 2)  # fmt: skip
        masks = [self._munis(lv, mun, scenario.source, i) for i, lv in enumerate(self.levers)]
        self.muni_mask = np.array(masks, bool).reshape(-1, self.n_mun)
        zmuni = m.pop.zones.municipality
        self.zone_mask = []
        for i, lv in enumerate(self.levers):
            z = self.muni_mask[i][zmuni]
            if lv.zones:
                bad = [q for q in lv.zones if not 0 <= q < z.size]
                if bad:
                    raise ConfigError(f"{scenario.source}: levers[{i}].zones: no zone {bad[0]}")
                keep = np.zeros(z.size, bool)
                keep[lv.zones] = True
                z &= keep
            self.zone_mask.append(z)
        self.sim_res = np.bincount(m.pop.municipality, minlength=self.n_mun).astype(np.float64)
        self.real_pop = mun["pop_total"].to_numpy(float)
        self.households = mun["general_households"].to_numpy(float)
        self.is_city = (mun["kind"] == "city").to_numpy()
        self.names = mun["name"].to_numpy(str)
        xy = mun[["x_km", "y_km"]].to_numpy(float)
        self.dist_km = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
        self._no_wide_area()
        self.active = np.zeros(len(self.levers), bool)
        self.has_service = np.zeros(self.n_mun, bool)
        self._week = None
        self._cache: dict[str, object] = {}
        self._volunteer_cover = self._draw_vacancies(m)

    def _munis(self, lv, mun, source: str, i: int) -> np.ndarray:
        return lever_municipalities(lv, mun, source, i)

    def _draw_vacancies(self, m) -> dict[int, np.ndarray]:
        """Which zones have a filled welfare-volunteer post, per volunteer lever."""
        cover = {}
        for i, lv in enumerate(self.levers):
            if isinstance(lv, WelfareVolunteers):
                u = m.streams.get(f"lever:{lv.id}").random(m.pop.zones.n)
                cover[i] = self.zone_mask[i] & (u < lv.fill_rate)
        return cover

    def update(self, week: int) -> None:
        """Refresh which levers are active this week."""
        if week == self._week:
            return
        self._week = week
        active = (self.weeks[:, 0] <= week) & (week <= self.weeks[:, 1])
        if np.array_equal(active, self.active) and self._cache:
            return
        self._cache = {}
        self.active = active
        self.has_service = np.zeros(self.n_mun, bool)
        for i, lv in enumerate(self.levers):
            if self.active[i] and isinstance(lv, Consultation) and lv.capacity_per_10k > 0:
                self.has_service |= self.muni_mask[i]
        self._wide_area()

    # -- wide-area cooperation ---------------------------------------------------------------
    def _no_wide_area(self) -> None:
        n = self.n_mun
        self.clusters: list[tuple[int, np.ndarray]] = []
        self.pool_of = np.arange(n)  # consultation queue of each municipality (a member index)
        self.venue_pool_of = np.arange(n)  # whose online venues a resident may join
        self.venue_access_km = np.zeros(n)  # 0: no venues across the border
        self.consult_access_km = np.full(n, np.inf)
        self.pooling = False
        self.venue_wide = False

    def _wide_area(self) -> None:
        """Clusters of the active wide-area levers: pooled queues and venue access."""
        self._no_wide_area()
        listed = np.isin(self.names, [n for v in CUSTOMARY_AREAS.values() for n in v])
        for i, lv in self._each(WideArea):
            members = self.muni_mask[i]
            parts = [members]
            if lv.partition == "customary":
                parts = [members & np.isin(self.names, v) for v in CUSTOMARY_AREAS.values()]
                parts.append(members & ~listed)
            for sel in parts:
                if not sel.any():
                    continue
                self.clusters.append((i, sel))
                if lv.consultation:
                    self.pool_of[sel] = np.flatnonzero(sel)[0]
                    self.consult_access_km[sel] = lv.consult_access_km
                    self.pooling = True
                if lv.venues:
                    self.venue_pool_of[sel] = np.flatnonzero(sel)[0]
                    self.venue_access_km[sel] = lv.venue_access_km
                    self.venue_wide = True
        for pools in (self.pool_of, self.venue_pool_of):  # overlaps: a pool is named by its
            first = {}  # smallest member
            for k, label in enumerate(pools):
                first.setdefault(label, k)
            pools[:] = [first[label] for label in pools]
        if self.pooling:
            any_ = np.bincount(self.pool_of, weights=self.has_service, minlength=self.n_mun)
            self.has_service = any_[self.pool_of] > 0

    def any_active(self, week: int) -> bool:
        """Whether any lever runs this week (updates the active set)."""
        self.update(week)
        return bool(self.active.any())

    def _each(self, kind):
        for i, lv in enumerate(self.levers):
            if self.active[i] and isinstance(lv, kind):
                yield i, lv

    @per_active_set
    def training_boost(self, m) -> np.ndarray:
        """Prefecture training added per municipality (share)."""
        out = np.zeros(self.n_mun, np.float32)
        for i, lv in self._each(PrefectureSupport):
            out += np.float32(lv.training_boost) * self.muni_mask[i]
        return out

    @per_active_set
    def notice_hazard(self, m) -> np.ndarray:
        """Weekly noticing hazard of each resident from neighbours and supporters."""
        zones = m.pop.zones.n
        hz = np.zeros(zones, np.float32)
        boost = self.training_boost(m)[m.pop.zones.municipality]
        for i, lv in self._each(Supporters):
            eff = np.minimum(1.0, lv.training + boost)
            hz += np.float32(self.p.notice_supporter * lv.per_1000) * eff * self.zone_mask[i]
        campaign = np.zeros(self.n_mun, np.float32)
        for i, lv in self._each(Awareness):  # neighbours notice more where the campaign reaches
            campaign = np.maximum(campaign, np.float32(lv.reach) * self.muni_mask[i])
        base = np.float32(self.p.notice_neighbour) * (1 + campaign)
        return (hz[m.pop.zone] + base[m.pop.municipality]).astype(np.float32)

    @per_active_set
    def has_venue(self, venues) -> np.ndarray:
        """Municipalities with at least one open venue this week."""
        out = np.zeros(self.n_mun, bool)
        open_ = self.active[venues.lever] if venues.n else np.zeros(0, bool)
        out[venues.municipality[open_]] = True
        if self.venue_wide:  # members of a cluster may use each other's venues
            any_ = np.bincount(self.venue_pool_of, weights=out, minlength=self.n_mun)
            out = any_[self.venue_pool_of] > 0
        return out

    @per_active_set
    def followup(self, m) -> np.ndarray:
        """Weekly chance a supporter visits a resident they referred, while the case is pending."""
        zones = m.pop.zones.n
        out = np.zeros(zones, np.float32)
        for i, lv in self._each(Supporters):
            share = np.float32(min(1.0, self.p.supporter_followup * lv.training))
            out = np.maximum(out, share * (self.zone_mask[i] & (lv.per_1000 > 0)))
        return out[m.pop.zone]

    @per_active_set
    def referral_success(self, m) -> np.ndarray:
        """Chance that a noticed resident's referral goes through (per resident)."""
        boost = np.zeros(self.n_mun, np.float32)
        for i, lv in self._each(Platform):
            boost += np.float32(min(0.3, self.p.platform_boost * lv.members)) * self.muni_mask[i]
        return np.minimum(0.95, self.p.referral_success + boost)[m.pop.municipality]

    @per_active_set
    def visit_probability(self, m) -> np.ndarray:
        """Weekly chance of a welfare volunteer's visit (older residents living alone)."""
        out = np.zeros(m.pop.n, np.float32)
        target = m.pop.lives_alone() & (m.pop.age >= 65)
        for i, lv in self._each(WelfareVolunteers):
            covered = target & self._volunteer_cover[i][m.pop.zone]
            eligible = np.bincount(m.pop.municipality[covered], minlength=self.n_mun)
            capacity = self._volunteers(i, lv) * lv.caseload * self.scale
            share = np.minimum(1.0, capacity / np.maximum(eligible, 1))
            rate = min(1.0, lv.visits_per_month * 12 / 52)
            out = np.maximum(out, (rate * share)[m.pop.municipality] * covered)
        return out

    def _volunteers(self, i: int, lv: WelfareVolunteers) -> np.ndarray:
        per = np.where(self.is_city, lv.households_per_volunteer_city,
                       lv.households_per_volunteer_town)  # fmt: skip
        return self.households / per * lv.fill_rate * self.muni_mask[i]

    @per_active_set
    def campaign_reach(self, m) -> np.ndarray:
        """Weekly chance an unaware resident is reached by an active campaign."""
        out = np.zeros(self.n_mun, np.float32)
        for i, lv in self._each(Awareness):
            first = max(self.weeks[i, 0], -m.cfg.burn_in_weeks)
            weeks = max(1, self.weeks[i, 1] - first + 1)
            out = np.maximum(out, np.float32(1 - (1 - lv.reach) ** (1 / weeks)) * self.muni_mask[i])
        return out[m.pop.municipality]

    def forget_rate(self, m) -> np.float32:
        """Weekly chance campaign-made awareness fades (slowest memory among campaigns)."""
        memory = [lv.memory_weeks for lv in self.levers if isinstance(lv, Awareness)]
        return np.float32(1.0 / max(memory)) if memory else np.float32(0.0)

    @per_active_set
    def capacity(self, m) -> np.ndarray:
        """New cases each municipality can take this week, by channel (simulated residents)."""
        cap = np.zeros((self.n_mun, len(CHANNELS)))
        for i, lv in self._each(Consultation):
            cap[:, CHANNELS.index(lv.channel)] += (
                lv.capacity_per_10k * self.sim_res / 1e4 * self.muni_mask[i]
            )
        office = CHANNELS.index("office")
        for i, lv in self._each(PrefectureSupport):
            staff = lv.staff_per_100k * self.sim_res / 1e5 * self.muni_mask[i]
            cap[:, office] += np.where(cap[:, office] > 0, staff * lv.cases_per_staff_week, 0)
        return cap

    @per_active_set
    def pooled_capacity(self, m) -> np.ndarray:
        """Capacity of each queue (rows: the pool's first member; others 0), by channel.

        Without an active wide-area lever this is :meth:`capacity` itself. A pool's capacity is
        the sum of its members' capacities.
        """
        cap = self.capacity(m)
        if not self.pooling:
            return cap
        out = np.zeros_like(cap)
        np.add.at(out, self.pool_of, cap)
        return out

    @per_active_set
    def venue_reach(self, m) -> dict | None:
        """Venues residents may use through a wide-area platform (None when there is none).

        Returns a dict with ``near_zones`` (zone x K: the K nearest zones of other members of
        the zone's cluster, -1 for none), ``work_zones`` (municipality x K: the municipality's
        K zones nearest its centre, for venues near the workplace or school), ``centre``
        (municipality x 2, km), ``factor`` (per municipality: venue_decay_km / venue_access_km,
        so a caller's ``exp(-d_eff / venue_decay_km)`` is ``exp(-d / venue_access_km)``; 0
        where the municipality has no wide-area venue access) and ``pool_of``.
        """
        if not self.venue_wide:
            return None
        k = 3
        zones = m.pop.zones
        zmun = zones.municipality.astype(np.int64)
        zxy = np.stack([zones.x_km, zones.y_km], axis=1).astype(np.float64)
        near = np.full((zones.n, k), -1, np.int64)
        pool = self.venue_pool_of
        for label in np.unique(pool[self.venue_access_km > 0]):
            zs = np.flatnonzero(pool[zmun] == label)
            d = np.sqrt(((zxy[zs, None, :] - zxy[None, zs, :]) ** 2).sum(-1))
            d[zmun[zs][:, None] == zmun[zs][None, :]] = np.inf  # other members only
            order = np.argsort(d, axis=1)[:, :k]
            dk = np.take_along_axis(d, order, axis=1)
            near[zs, : order.shape[1]] = np.where(dk < np.inf, zs[order], -1)
        mun = m.region.municipalities
        centre = mun[["x_km", "y_km"]].to_numpy(float)
        work = np.full((self.n_mun, k), -1, np.int64)
        for j in range(self.n_mun):
            zs = np.flatnonzero(zmun == j)
            d = np.hypot(*(zxy[zs] - centre[j]).T)
            pick = zs[np.argsort(d)[:k]]
            work[j, : pick.size] = pick
        factor = np.where(
            self.venue_access_km > 0,
            self.p.venue_decay_km / np.maximum(self.venue_access_km, 1e-9),
            0.0,
        )
        return {"near_zones": near, "work_zones": work, "centre": centre,
                "factor": factor.astype(np.float32), "pool_of": pool}  # fmt: skip

    def serving_municipality(
        self, home: np.ndarray, work: np.ndarray, channel: np.ndarray, u: np.ndarray
    ) -> np.ndarray:
        """Member that serves each pooled case: in proportion to its capacity on the channel.

        For office hours the capacity is weighted by ``exp(-d / consult_access_km)``, d the
        distance from the home municipality or (if nearer) the work or school municipality.
        ``u`` is one uniform per case. Without pooling every case is served at home.
        """
        if not self.pooling or home.size == 0:
            return home.astype(np.int16)
        cap = self.capacity(None)[:, channel].T  # (cases, members)
        cap = cap * (self.pool_of[None, :] == self.pool_of[home][:, None])
        scale = self.consult_access_km[home][:, None]
        near = np.minimum(self.dist_km[home], self.dist_km[np.where(work >= 0, work, home)])
        decay = np.exp(-near / scale)
        office = (channel == CHANNELS.index("office"))[:, None]
        w = np.where(office, cap * decay, cap)
        total = w.sum(axis=1)
        cum = np.cumsum(w, axis=1) / np.where(total > 0, total, 1)[:, None]
        pick = np.minimum((u[:, None] >= cum).sum(axis=1), self.n_mun - 1)
        return np.where(total > 0, pick, home).astype(np.int16)

    def choose_channel(
        self, muni: np.ndarray, prefers_digital: np.ndarray, digital: np.ndarray, u: np.ndarray
    ) -> np.ndarray:
        """Channel each help-seeker uses, in proportion to capacity among the usable ones.

        Residents who prefer a digital channel choose among SNS, AI chat and the 24-hour phone;
        the others among office hours and the phone. Without such a channel they use any
        channel they can (SNS and AI chat need digital access). ``u`` is one uniform per
        resident. Returns -1 where no usable channel is offered.
        """
        cap = self.pooled_capacity(None)[self.pool_of[muni]]  # (residents, channels)
        usable = cap > 0
        for name in DIGITAL_CHANNELS:
            usable[:, CHANNELS.index(name)] &= digital
        wanted = np.zeros_like(usable)
        for name in ("sns", "ai_chat", "phone24"):
            wanted[:, CHANNELS.index(name)] = prefers_digital
        for name in ("office", "phone24"):
            wanted[:, CHANNELS.index(name)] |= ~prefers_digital
        pick = usable & wanted
        fallback = ~pick.any(axis=1)
        pick[fallback] = usable[fallback]
        w = np.where(pick, cap, 0.0)
        total = w.sum(axis=1)
        cum = np.cumsum(w, axis=1) / np.where(total > 0, total, 1)[:, None]
        choice = (u[:, None] >= cum).sum(axis=1)
        return np.where(total > 0, np.minimum(choice, len(CHANNELS) - 1), -1).astype(np.int8)

    def channel_lever(self, muni: np.ndarray, channel: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The consultation lever that takes each new case of (municipality, channel).

        When several levers offer a channel in a municipality, a case goes to one of them with
        probability proportional to its capacity (``u`` is one uniform per case).
        """
        levers = list(self._each(Consultation))
        if not levers:
            return np.full(muni.size, -1, np.int64)
        cap = np.zeros((len(levers), self.n_mun, len(CHANNELS)))
        for j, (i, lv) in enumerate(levers):
            cap[j, self.muni_mask[i], CHANNELS.index(lv.channel)] = lv.capacity_per_10k
        share = cap[:, muni, channel]  # (levers, cases)
        total = share.sum(axis=0)
        cum = np.cumsum(share, axis=0) / np.where(total > 0, total, 1)
        pick = (u[None, :] >= cum).sum(axis=0)
        index = np.array([i for i, _ in levers])[np.minimum(pick, len(levers) - 1)]
        return np.where(total > 0, index, -1)

    def transfer_break(self, m, cases: np.ndarray) -> np.ndarray:
        """Chance a case breaks this week because its caseworker is transferred (April)."""
        date = dt.date.fromisoformat(m.cfg.start_date) + dt.timedelta(weeks=int(m.week))
        if cases.size == 0 or not (date.month == 4 and date.day <= 7):
            return np.zeros(cases.size, np.float32)
        lever = m.svc.case_lever[cases]
        lv = self.levers
        shared = np.zeros(self.n_mun)
        for i, c in self._each(Continuity):
            shared = np.maximum(shared, c.info_sharing * self.muni_mask[i])
        keep = np.maximum(
            np.array([0.0 if j < 0 else lv[j].info_sharing for j in lever]),
            shared[m.svc.served_in[cases]],
        )
        rate = np.array([0.0 if j < 0 else lv[j].transfer_rate for j in lever])
        return (rate * (1 - keep)).astype(np.float32)

    @per_active_set
    def weekly_costs(self, m, venues) -> np.ndarray:
        """Running cost of each lever this week, yen, at full population scale."""
        out = np.zeros(len(self.levers))
        for i, lv in enumerate(self.levers):
            if not self.active[i]:
                continue
            real = float((self.real_pop * self.muni_mask[i]).sum())
            if isinstance(lv, Venue):
                n = int((venues.lever == i).sum())
                out[i] = n * lv.sessions_per_week * lv.cost_per_session
            elif isinstance(lv, Supporters):
                out[i] = lv.per_1000 * real / 1000 * lv.cost_per_supporter_year / 52
            elif isinstance(lv, WelfareVolunteers):
                out[i] = self._volunteers(i, lv).sum() * lv.allowance_per_year / 52
            elif isinstance(lv, Consultation):
                out[i] = lv.cost_fixed_per_week
            elif isinstance(lv, Awareness | Platform | Continuity | WideArea):
                out[i] = lv.cost_per_week
            elif isinstance(lv, PrefectureSupport):
                out[i] = lv.staff_per_100k * real / 1e5 * lv.cost_per_staff_week
        return out

    @per_active_set
    def weekly_costs_by_municipality(self, m, venues) -> np.ndarray:
        """Running cost of each lever this week by the municipality where it runs (L x M, yen).

        Venues: where they are; supporters, welfare volunteers and prefecture staff: where they
        work (by population); fixed costs of lines, campaigns, platforms and wide-area
        coordination: spread over the covered municipalities by population. Row sums equal
        :meth:`weekly_costs` (up to rounding).
        """
        out = np.zeros((len(self.levers), self.n_mun))
        for i, lv in enumerate(self.levers):
            if not self.active[i]:
                continue
            pop = self.real_pop * self.muni_mask[i]
            spread = pop / pop.sum() if pop.sum() > 0 else pop
            if isinstance(lv, Venue):
                n = np.bincount(venues.municipality[venues.lever == i], minlength=self.n_mun)
                out[i] = n * lv.sessions_per_week * lv.cost_per_session
            elif isinstance(lv, Supporters):
                out[i] = lv.per_1000 * pop / 1000 * lv.cost_per_supporter_year / 52
            elif isinstance(lv, WelfareVolunteers):
                out[i] = self._volunteers(i, lv) * lv.allowance_per_year / 52
            elif isinstance(lv, Consultation):
                out[i] = lv.cost_fixed_per_week * spread
            elif isinstance(lv, Awareness | Platform | Continuity | WideArea):
                out[i] = lv.cost_per_week * spread
            elif isinstance(lv, PrefectureSupport):
                out[i] = lv.staff_per_100k * pop / 1e5 * lv.cost_per_staff_week
        return out

    def bills(self, cost_lm: np.ndarray, use: np.ndarray) -> np.ndarray:
        """Who pays this week's costs under the active cost-sharing rules.

        Args:
            cost_lm: cost by lever and municipality where it runs (L x M, yen).
            use: residents of each municipality who used a pooled service this week (cases
                started and venue attendances), for ``per_use`` sharing.

        Returns:
            M + 3 amounts: each municipality's bill, then :data:`BILL_OTHERS` (prefecture,
            national grant, NPO). They add up to the total cost. Municipality-funded costs of
            consultation, venue and wide-area levers inside a cluster are pooled: the
            prefecture pays its share, the members the rest per capita or per use; every other
            cost is paid by its lever's funder (a municipality pays where the lever runs).
        """
        n = self.n_mun
        out = np.zeros(n + len(BILL_OTHERS))
        local, pooled = np.zeros(n), np.zeros(n)
        for lv, row in zip(self.levers, cost_lm, strict=True):
            if lv.funder == "municipality":
                target = pooled if isinstance(lv, Consultation | Venue | WideArea) else local
                target += row
            else:
                out[n + BILL_OTHERS.index(lv.funder)] += row.sum()
        covered = np.zeros(n, bool)
        for i, sel in self.clusters:
            lv = self.levers[i]
            sel = sel & ~covered
            total = pooled[sel].sum()
            pref = 1.0 if lv.cost_sharing == "prefecture" else lv.prefecture_share
            out[n + BILL_OTHERS.index("prefecture")] += total * pref
            w = self.real_pop[sel]
            if lv.cost_sharing == "per_use" and use[sel].sum() > 0:
                w = use[sel].astype(float)
            local[sel] += total * (1 - pref) * w / w.sum()
            covered |= sel
        local[~covered] += pooled[~covered]
        out[:n] = local
        return out


#: Payers in a bill besides the municipalities (the funders other than ``municipality``).
BILL_OTHERS = tuple(f for f in FUNDERS if f != "municipality")
