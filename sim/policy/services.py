"""Policy levers at work: outreach, noticing and referral, help-seeking, consultation, costs.

The service pipeline is one path: noticed -> referred -> waiting -> served, or dropped. Each
process draws only from its own stream, and does nothing while no lever is active, so a lever
at zero coverage reproduces the baseline exactly and arms are identical before their first
intervention date. See :mod:`sim.policy.levers` for the levers and :mod:`sim.policy.service_params`
for the
behavioural parameters.
"""

from __future__ import annotations

import numpy as np

from sim.policy.accounting import CostBook, case_costs
from sim.policy.flows import (
    FLOW_MATRICES,
    FLOWS,
    NONE,
    REFERRED,
    SERVED,
    STOCKS,
    USES,
    WAITING,
    FlowBook,
    stocks,
)
from sim.policy.levers import CHANNELS, DIGITAL_CHANNELS
from sim.policy.runtime import LeverRuntime
from sim.policy.state import ServiceState, initial_service_state
from sim.policy.support import SupportEffects
from sim.policy.venues import build_venues, candidate_venue, districts_per_zone, seat_joiners

__all__ = [
    "FLOWS",
    "FLOW_MATRICES",
    "NONE",
    "REFERRED",
    "SERVED",
    "STOCKS",
    "WAITING",
    "ServiceState",
    "Services",
    "initial_service_state",
]


class Services(SupportEffects):
    """All levers of a scenario, run as the processes of MODEL.md steps 5-8.

    ``outreach`` runs after ties (venue sessions, volunteer visits: contact this week);
    ``noticing``, ``help_seeking``, ``consultation`` and ``costs`` run after loneliness.
    """

    def __init__(self, m, scenario) -> None:
        self.rt = LeverRuntime(m, scenario)
        self.p = m.cfg.services
        venue_levers = [(i, lv, self.rt.zone_mask[i]) for i, lv in enumerate(scenario.levers)
                        if lv.opens_venues]  # fmt: skip
        self.venues = build_venues(m, venue_levers, m.cfg.population.scale,
                                   districts_per_zone(m) if venue_levers else None)  # fmt: skip
        m_count = len(m.region.municipalities)
        self.book = FlowBook(m_count)
        self.cost_book = CostBook(len(scenario.levers), m_count)
        self.capacity_carry = np.zeros((m_count, len(CHANNELS)), np.float64)
        rho = m.params.loneliness.recovery
        self.episode_gain = {lv.id: lv.episode_gain(rho) for lv in scenario.levers
                             if lv.serves_cases}  # fmt: skip
        #: latent shift each resident's latest episode reaches at its end (held after it)
        self.reached = np.zeros(m.pop.n, np.float32)
        self.keep = np.float32(0.5 ** (1.0 / self.p.support_halflife_weeks))
        #: weekly visit chance per resident given by a virtual trial, and the week it stops
        self.trial_visits: tuple[np.ndarray, int] | None = None

    def _count(self, m, name: str, who: np.ndarray) -> None:
        self.book.count(m, name, who)

    def _flow(self, m, name: str, who: np.ndarray, place: np.ndarray) -> None:
        """Count residents ``who`` served at municipality ``place``: home -> place flows."""
        home = self.book.flow(m, name, who, place)
        if home.size and name in USES:
            self.cost_book.add_use(home)

    # -- step 2b: outreach -----------------------------------------------------------------
    def outreach(self, m) -> None:
        """Venue sessions (contact, roles, co-attendance friendships) and volunteer visits."""
        s, r = m.svc, m.res
        s.visited[:] = False
        s.attended[:] = False
        if not self.rt.any_active(m.week):
            if (s.venue >= 0).any():  # every venue has closed: memberships and roles end
                s.venue[:], s.role[:] = -1, False
            return
        rng = m.stream("outreach")
        u = rng.random((3, r.n), dtype=np.float32)
        self._venue_sessions(m, u[0], u[1], rng)
        visit_p = self.rt.visit_probability(m)
        if self.trial_visits is not None and m.week < self.trial_visits[1]:
            visit_p = np.maximum(visit_p, self.trial_visits[0])
        pending = (s.stage == REFERRED) | (s.stage == WAITING)
        visit_p = np.where(pending, np.maximum(visit_p, self.rt.followup(m)), visit_p)
        s.visited = u[2] < visit_p
        self._count(m, "visits", np.flatnonzero(s.visited))
        r.contact += np.float32(self.p.visit_contact) * s.visited

    def _venue_sessions(self, m, u_join: np.ndarray, u_attend: np.ndarray, rng) -> None:
        s, r, p, v = m.svc, m.res, self.p, self.venues
        if v.n == 0:
            return
        open_ = self.rt.active[v.lever]
        closed = (s.venue >= 0) & ~open_[np.maximum(s.venue, 0)]
        leave = (s.venue >= 0) & (u_join > 1 - np.float32(p.venue_leave) * (1 + r.lonely))
        gone = np.flatnonzero(closed | leave)
        s.venue[gone], s.role[gone] = -1, False
        if open_.any():
            who = np.flatnonzero((s.venue < 0) & (m.pop.age >= 16) & (u_join < p.venue_join))
            best, dist = candidate_venue(m, v, open_, who, self.rt.venue_reach(m))
            join = rng.random(who.size, dtype=np.float32) < np.exp(-dist / p.venue_decay_km)
            self._join(m, who[join & (best >= 0)], best[join & (best >= 0)], rng)
        member = s.venue >= 0
        vs = np.maximum(s.venue, 0)
        s.attended = member & r.present & (u_attend < np.float32(p.venue_attend))
        sessions = np.minimum(v.sessions[vs], np.float32(2.0))
        r.contact += np.float32(p.venue_weight) * sessions * s.attended
        attended = np.flatnonzero(s.attended)
        self._count(m, "venue_attendances", attended)
        self._flow(m, "venue_attendances", attended, v.municipality[s.venue[attended]])
        self._co_attendance_ties(m, rng)

    def _join(self, m, who: np.ndarray, venue: np.ndarray, rng) -> None:
        s, v = m.svc, self.venues
        # respect capacity: the first joiners in a random order get in (seat_joiners)
        members = np.bincount(s.venue[s.venue >= 0], minlength=v.n)
        order, seat = seat_joiners(v, members, venue, rng.random(who.size))
        who = who[order]
        who, venue = who[seat >= 0], seat[seat >= 0]
        s.venue[who] = venue
        s.role[who] = rng.random(who.size, dtype=np.float32) < v.role_share[venue]
        self._count(m, "venue_joined", who)
        self._flow(m, "venue_joined", who, v.municipality[venue])

    def _co_attendance_ties(self, m, rng) -> None:
        s, p = m.svc, self.p
        att = np.flatnonzero(s.attended)
        if att.size < 2 or p.venue_form <= 0:
            return
        order = np.argsort(s.venue[att], kind="stable")
        att = att[order]
        ven = s.venue[att]
        first = np.concatenate([[0], np.flatnonzero(np.diff(ven)) + 1])
        size = np.diff(np.append(first, ven.size))
        grp = np.repeat(np.arange(first.size), size)
        tries = rng.random(att.size, dtype=np.float32) < p.venue_form
        pick = first[grp] + np.floor(rng.random(att.size) * size[grp]).astype(np.int64)
        src, dst = att[tries], att[pick[tries]]
        room = (m.friends.degree[src] < m.params.ties.max_friends) & (
            m.friends.degree[dst] < m.params.ties.max_friends
        )
        m.counts["ties_formed"] += m.friends.add(src[room], dst[room], m.params.ties.new_strength)

    # -- steps 5-7: noticing, help-seeking, consultation ------------------------------------
    def noticing(self, m) -> None:
        """Supporters, volunteers, neighbours and venue staff notice; referrals follow."""
        if not self.rt.any_active(m.week):
            return
        s, r, p = m.svc, m.res, self.p
        u = m.stream("noticing").random((2, r.n), dtype=np.float32)
        needy = (
            (r.lonely | (r.weeks_no_friend >= m.params_survey.isolation_weeks))
            & (s.stage == NONE)
            & (m.pop.age >= 16)
        )
        hazard = self.rt.notice_hazard(m) + np.float32(p.notice_venue) * (s.attended & r.lonely)
        p_notice = 1 - np.exp(-hazard)
        p_notice = np.where(s.visited, 1 - (1 - p_notice) * (1 - p.notice_visit), p_notice)
        noticed = np.flatnonzero(needy & (u[0] < p_notice))
        self._count(m, "noticed", noticed)
        success = self.rt.referral_success(m)[noticed]
        referred = noticed[u[1][noticed] < success]
        target = self.rt.has_service | self.rt.has_venue(self.venues)
        referred = referred[target[m.pop.municipality[referred]]]
        s.stage[referred] = REFERRED
        s.stage_weeks[referred] = p.referral_delay_weeks
        self._count(m, "referred", referred)

    def help_seeking(self, m) -> None:
        """Lonely residents who know of the services seek help; campaigns raise awareness."""
        if not self.rt.any_active(m.week):
            return
        s, r, p = m.svc, m.res, self.p
        u = m.stream("help_seeking").random((3, r.n), dtype=np.float32)
        reach = self.rt.campaign_reach(m)
        s.aware = np.where((s.aware == 0) & (u[0] < reach), 2, s.aware).astype(np.int8)
        forget = (s.aware == 2) & (u[0] > 1 - self.rt.forget_rate(m))
        s.aware[forget] = 0
        rate = np.float32(p.help_seeking) * np.where(s.aware > 0, 1.0, p.unaware_factor)
        seek = r.lonely & (s.stage == NONE) & (u[1] < rate) & (m.pop.age >= 16)
        seek &= self.rt.has_service[m.pop.municipality]
        who = np.flatnonzero(seek)
        self._enter_waiting(m, who, u[2][who])

    def _enter_waiting(self, m, who: np.ndarray, u: np.ndarray) -> None:
        s = m.svc
        dp = np.float32(self.p.digital_preference)
        digital = m.pop.digital[who] & (u < dp)
        # the same uniform, rescaled inside the branch it fell in, picks the channel
        v = np.where(u < dp, u / max(dp, 1e-9), (u - dp) / max(1 - dp, 1e-9))
        channel = self.rt.choose_channel(m.pop.municipality[who], digital, m.pop.digital[who], v)
        who, channel = who[channel >= 0], channel[channel >= 0]
        s.channel[who] = channel
        s.stage[who] = WAITING
        s.stage_weeks[who] = 0
        self._count(m, "waiting_entered", who)

    def consultation(self, m) -> None:
        """Referrals arrive, queues are served up to capacity, waiting residents may give up."""
        s, p = m.svc, self.p
        self._fade(m)
        if not (s.stage != NONE).any():
            return
        rng = m.stream("consultation")
        u = rng.random((6, s.stage.size), dtype=np.float32)
        self._episodes(m, u[4])  # running episodes advance before new ones start
        arriving = np.flatnonzero((s.stage == REFERRED) & (s.stage_weeks <= 0))
        s.stage_weeks[s.stage == REFERRED] -= 1
        self._refer_to_venue(m, arriving, u[1][arriving], rng)
        s.stage[arriving] = NONE
        has = self.rt.has_service[m.pop.municipality[arriving]]
        self._enter_waiting(m, arriving[has], u[0][arriving[has]])
        self._serve(m, u[2], u[5])
        waiting = np.flatnonzero(s.stage == WAITING)
        s.stage_weeks[waiting] += 1
        drop = waiting[u[3][waiting] < p.wait_dropout]
        s.stage[drop] = NONE
        self._count(m, "dropped", drop)

    def _refer_to_venue(self, m, who: np.ndarray, u: np.ndarray, rng) -> None:
        """Referred residents not yet at a venue are invited to the nearest one with room."""
        v = self.venues
        if v.n == 0 or who.size == 0:
            return
        who = who[(m.svc.venue[who] < 0) & (u < self.p.venue_referral_uptake)]
        best, _ = candidate_venue(m, v, self.rt.active[v.lever], who, self.rt.venue_reach(m))
        self._join(m, who[best >= 0], best[best >= 0], rng)

    def _serve(self, m, u: np.ndarray, u_lever: np.ndarray) -> None:
        s = m.svc
        waiting = np.flatnonzero(s.stage == WAITING)
        if waiting.size == 0:
            return
        rt = self.rt
        if rt.pooling:  # a pool's carry sits in the row of its first member; when a pool
            carry = np.zeros_like(self.capacity_carry)  # forms, only the fraction of the
            np.add.at(carry, rt.pool_of, self.capacity_carry)  # members' carries is kept
            self.capacity_carry = np.mod(carry, 1.0)
        cap = rt.pooled_capacity(m) + self.capacity_carry
        slots = np.floor(cap)
        self.capacity_carry = cap - slots
        queue = rt.pool_of[m.pop.municipality[waiting]].astype(np.int64)
        key = queue * len(CHANNELS) + s.channel[waiting]
        order = np.lexsort((u[waiting], -s.stage_weeks[waiting], key))
        waiting, key = waiting[order], key[order]
        first = np.concatenate([[0], np.flatnonzero(np.diff(key)) + 1])
        rank = np.arange(key.size) - np.repeat(first, np.diff(np.append(first, key.size)))
        served = rank < slots.ravel()[key]
        self._start_episodes(m, waiting[served], u_lever[waiting[served]])

    def _start_episodes(self, m, who: np.ndarray, u_lever: np.ndarray) -> None:
        s = m.svc
        if who.size == 0:
            return
        home = m.pop.municipality[who]
        place = home.astype(np.int16)
        if self.rt.pooling:  # which member serves the case: capacity, near home or work
            group = m.res.group[who]
            work = np.where(group >= 0, m.groups.municipality[np.maximum(group, 0)], -1)
            u_place = m.stream("wide_area").random(m.pop.n, dtype=np.float32)[who]
            place = self.rt.serving_municipality(home, work, s.channel[who], u_place)
        s.served_in[who] = place
        lever = self.rt.channel_lever(place, s.channel[who], u_lever)
        s.case_lever[who] = lever
        weeks = np.array([self.rt.levers[i].episode_weeks for i in lever], np.int16)
        gain = np.array([self.episode_gain[self.rt.levers[i].id] for i in lever], np.float32)
        remote = np.isin(
            s.channel[who], [CHANNELS.index(c) for c in (*DIGITAL_CHANNELS, "phone24")]
        )
        boost = 1 + self.rt.training_boost(m)[place]
        s.stage[who] = SERVED
        s.stage_weeks[who] = weeks
        self.reached[who] = self.episode_shift(remote) * boost
        s.support[who] = self.reached[who] * gain
        self.cost_book.add_cases(case_costs(self.rt.levers, lever, self.rt.scale), lever, place)
        self._count(m, "served", who)
        self._flow(m, "served", who, place)

    # -- step 8: costs ---------------------------------------------------------------------
    def reset_counters(self, m) -> None:
        """Discard the flows, costs and bills accumulated so far.

        The model calls this as week 0 starts, so outputs cover the horizon, not the burn-in.
        """
        self.book.reset()
        self.cost_book.reset()

    def accrue_costs(self, m) -> None:
        """Weekly running costs of every active lever, in yen at full population scale."""
        costs = self.rt.weekly_costs(m, self.venues)
        if self.rt.any_active(m.week):
            self.book.add("capacity_offered", self.rt.capacity(m).sum(axis=1))
        week_lm = self.rt.weekly_costs_by_municipality(m, self.venues)
        self.cost_book.close_week(costs, week_lm, self.rt.bills)

    # -- reading the period since the last record (the recorder observes, never resets) --------
    @property
    def flows(self) -> np.ndarray:
        """Flows by municipality since the last reset (:data:`FLOWS` x municipalities)."""
        return self.book.flows

    @property
    def matrices(self) -> np.ndarray:
        """Home -> place flows since the last reset (:data:`FLOW_MATRICES` x M x M)."""
        return self.book.matrices

    @property
    def costs(self) -> np.ndarray:
        """Cost of each lever since the last reset, yen."""
        return self.cost_book.costs

    @property
    def bills(self) -> np.ndarray:
        """Bills since the last reset (municipalities, then the other payers), yen."""
        return self.cost_book.bills

    def period(self, m) -> tuple[np.ndarray, ...]:
        """Matrices, bills, flows, stocks and costs of the period (no reset).

        The accumulators are returned as they are, not copied (the home -> place matrices are
        three municipalities-squared arrays, 73 MB for all of Japan): read them before the plan's
        ``reset_period`` row zeroes them.
        """
        flows = self.book.flows
        return (self.book.matrices, self.cost_book.bills, flows,
                stocks(m, flows.shape[1]), self.cost_book.costs)  # fmt: skip

    def period_rows(self, m, week: int):
        """The period's service figures as rows of the monthly table (:mod:`sim.policy.period`)."""
        from sim.policy.period import period_rows

        return period_rows(m, week)

    def reset_period(self) -> None:
        """Start the next recording period's flows, matrices, costs and bills from zero."""
        self.book.flows[:] = 0
        self.book.matrices[:] = 0
        self.cost_book.costs[:] = 0
        self.cost_book.bills[:] = 0
        self.cost_book.cost_lm[:] = 0
