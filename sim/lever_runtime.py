"""Levers resolved against a region and a calendar: where and when each applies, weekly.

:class:`LeverRuntime` turns a scenario's levers into masks over municipalities and zones, and
into week indices, and answers the per-week questions the service processes ask (capacity by
municipality and channel, noticing hazards, visit probabilities, costs).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools

import numpy as np

from sim.levers import (
    CHANNELS,
    DIGITAL_CHANNELS,
    Awareness,
    Consultation,
    Continuity,
    Platform,
    PrefectureSupport,
    Supporters,
    Venue,
    WelfareVolunteers,
)
from sim.params import ConfigError
from sim.scenario import week_of


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
        self.active = np.zeros(len(self.levers), bool)
        self.has_service = np.zeros(self.n_mun, bool)
        self._week = None
        self._cache: dict[str, object] = {}
        self._volunteer_cover = self._draw_vacancies(m)

    def _munis(self, lv, mun, source: str, i: int) -> np.ndarray:
        if not lv.municipalities:
            return np.ones(len(mun), bool)
        mask = np.zeros(len(mun), bool)
        names = list(mun["name"]) + list(mun["code"].astype(str)) + list(mun["name_en"])
        for name in lv.municipalities:
            hit = ((mun["name"] == name) | (mun["code"].astype(str) == str(name))
                   | (mun["name_en"].str.lower() == str(name).lower())).to_numpy()  # fmt: skip
            if not hit.any():
                close = difflib.get_close_matches(str(name), names, n=2)
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise ConfigError(
                    f"{source}: levers[{i}].municipalities: unknown municipality '{name}'{hint}"
                )
            mask |= hit
        return mask

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

    def choose_channel(
        self, muni: np.ndarray, prefers_digital: np.ndarray, digital: np.ndarray, u: np.ndarray
    ) -> np.ndarray:
        """Channel each help-seeker uses, in proportion to capacity among the usable ones.

        Residents who prefer a digital channel choose among SNS, AI chat and the 24-hour phone;
        the others among office hours and the phone. Without such a channel they use any
        channel they can (SNS and AI chat need digital access). ``u`` is one uniform per
        resident. Returns -1 where no usable channel is offered.
        """
        cap = self.capacity(None)[muni]  # (residents, channels)
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
            shared[m.pop.municipality[cases]],
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
            elif isinstance(lv, Awareness | Platform | Continuity):
                out[i] = lv.cost_per_week
            elif isinstance(lv, PrefectureSupport):
                out[i] = lv.staff_per_100k * real / 1e5 * lv.cost_per_staff_week
        return out
