"""The weekly processes of the core dynamics (MODEL.md steps 1-4).

Every process has the same small lifecycle: ``init(model)`` once after the population and
layers exist, then ``step(model)`` every week in the order written in
:data:`sim.engine.model.STEP_ORDER`. Each draws only from its own named stream, and per-resident
draws
are made for the whole population in one call, so processes never shift each other's numbers.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.core.codes import Activity, Marital
from sim.engine.state import weekly
from sim.world.layers import age_similar_partner, random_group_member

N_BANDS = 9


def _balance(forward: np.ndarray, share_from: np.ndarray, share_to: np.ndarray) -> np.ndarray:
    """Reverse hazard that keeps the shares of two states stationary in each age band."""
    return np.where(share_to > 0, forward * share_from / np.maximum(share_to, 1e-9), 0.0).astype(
        np.float32
    )


def _band_share(band: np.ndarray, mask: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Share of ``mask`` among ``within`` residents of each age band."""
    num = np.bincount(band[mask & within], minlength=N_BANDS)
    den = np.bincount(band[within], minlength=N_BANDS)
    return np.where(den > 0, num / np.maximum(den, 1), 0.0)


class LifeEvents:
    """Life events from age-specific hazards, each with a balancing reverse transition.

    Demography is stationary (ages and households are held at the census): bereavement is
    balanced by re-partnering, job loss by re-employment, retirement by return to work, health
    decline by recovery, and leaving community activity by joining, with reverse hazards set so
    that each age band keeps its census shares. Moving house keeps the zone but restarts
    neighbourhood contact and weakens friendships. At most one event happens to a resident in a
    week (the hazards are small).
    """

    name = "life_events"

    def init(self, m) -> None:
        """Compute weekly hazards per age band and event."""
        p = m.params.events
        r = m.res
        adult = m.pop.age >= 16
        working_age = adult & (m.pop.age < 65)
        ones = np.ones(N_BANDS, np.float32)
        bereave = weekly(p.bereavement)
        married = _band_share(r.band, r.marital == Marital.MARRIED, adult)
        widowed = _band_share(r.band, r.marital == Marital.WIDOWED_DIVORCED, adult)
        job_loss = weekly(p.job_loss) * ones
        employed = _band_share(r.band, r.activity == Activity.EMPLOYED, working_age)
        unemployed = _band_share(r.band, r.activity == Activity.UNEMPLOYED, working_age)
        older = adult & (m.pop.age >= 60) & (m.pop.age < 75)
        retire = weekly(p.retirement) * ones
        emp_old = _band_share(r.band, r.activity == Activity.EMPLOYED, older)
        ret_old = _band_share(r.band, r.activity == Activity.RETIRED, older)
        decline = weekly(p.health_decline)
        lim = np.asarray(p.mobility_limited)
        c = m.params.contacts
        leave = weekly(c.community_turnover) * ones
        share = np.asarray(c.community_share)
        self.h = np.stack(
            [
                bereave,
                _balance(bereave, married, widowed),
                job_loss,
                _balance(job_loss, employed, unemployed),
                retire,
                _balance(retire, emp_old, ret_old),
                weekly(p.moving) * ones,
                decline,
                _balance(decline, 1.0 - lim, lim),
                leave,
                _balance(leave, share, 1.0 - share),
            ]
        ).astype(np.float32)
        self.h = np.minimum(self.h, 0.05)
        self.hmax = self.h.sum(axis=0)
        self.settle = np.float32(1.0 / p.settle_weeks)

    def _eligible(self, m, who: np.ndarray) -> np.ndarray:
        r, age = m.res, m.pop.age[who]
        act, mar = r.activity[who], r.marital[who]
        adult = age >= 16
        emp = act == Activity.EMPLOYED
        return np.stack(
            [
                mar == Marital.MARRIED,
                mar == Marital.WIDOWED_DIVORCED,
                emp & (age < 65),
                (act == Activity.UNEMPLOYED) & (age < 65),
                emp & (age >= 60) & (age < 75),
                (act == Activity.RETIRED) & (age >= 60) & (age < 75),
                adult,
                ~r.limited[who],
                r.limited[who],
                r.community[who],
                ~r.community[who] & adult,
            ]
        )

    def step(self, m) -> None:
        """Draw this week's events and apply their state changes and shocks."""
        r = m.res
        r.settled = np.minimum(np.float32(1.0), r.settled + self.settle)
        u = m.stream(self.name).random(r.n, dtype=np.float32)
        who = np.flatnonzero(u < self.hmax[r.band])
        if who.size == 0:
            return
        h = self.h[:, r.band[who]] * self._eligible(m, who)
        cum = np.cumsum(h, axis=0)
        event = (u[who][None, :] >= cum).sum(axis=0)
        happened = event < h.shape[0]
        who, event = who[happened], event[happened]
        self._apply(m, who, event)

    def _apply(self, m, who: np.ndarray, event: np.ndarray) -> None:
        r, p = m.res, m.params.events
        sel = lambda k: who[event == k]  # noqa: E731
        r.marital[sel(0)] = Marital.WIDOWED_DIVORCED
        r.shock[sel(0)] += p.shock_bereavement
        r.marital[sel(1)] = Marital.MARRIED
        for k, shock in ((2, p.shock_job_loss), (4, p.shock_retirement)):
            lost = sel(k)
            r.activity[lost] = Activity.UNEMPLOYED if k == 2 else Activity.RETIRED
            r.group[lost] = -1
            r.shock[lost] += shock
        hired = np.concatenate([sel(3), sel(5)])
        r.activity[hired] = Activity.EMPLOYED
        r.group[hired] = m.new_workplace(hired)
        moved = sel(6)
        r.settled[moved] = 0.0
        r.shock[moved] += p.shock_moving
        m.moved.append(moved)
        r.limited[sel(7)] = True
        r.limited[sel(8)] = False
        r.community[sel(9)] = False
        r.community[sel(10)] = True
        m.counts["events"] += np.bincount(event, minlength=self.h.shape[0])


class Contacts:
    """Contacts realised this week, layer by layer; lonely residents withdraw."""

    name = "contacts"

    def init(self, m) -> None:
        """Precompute the household contact, which is fixed because households are fixed."""
        c = m.params.contacts
        size = m.pop.household_size[m.pop.household].astype(np.float32)
        self.household = np.minimum(size - 1, c.household_cap).astype(np.float32) * np.float32(
            c.household_weight
        )
        self.p_end = float(weekly(m.params.ties.turnover))
        n = m.pop.n
        e = m.nb_edges
        w = np.float32(c.neighbour_meet * c.neighbour_weight)
        data = np.full(2 * e.shape[0], w, np.float32)
        rows = np.concatenate([e[:, 0], e[:, 1]])
        cols = np.concatenate([e[:, 1], e[:, 0]])
        self.nb = sp.csr_matrix((data, (rows, cols)), shape=(n, n), dtype=np.float32)

    def step(self, m) -> None:
        """Realise presence, then work, neighbourhood, friend and community contact."""
        r, c = m.res, m.params.contacts
        rng = m.stream(self.name)
        u = rng.random((2, r.n), dtype=np.float32)
        willing = np.float32(c.presence) * (1 - np.float32(c.withdrawal) * r.lonely)
        willing = np.where(r.limited, willing * np.float32(c.mobility_factor), willing)
        r.willing = willing.astype(np.float32)
        r.present = u[0] < r.willing
        at_work = r.present & (r.group >= 0) & ~(r.teleworker & (u[1] < c.telework_absence))
        g = np.where(at_work, r.group, m.groups.n)
        co = np.bincount(g, minlength=m.groups.n + 1)
        work = np.minimum(co[g] - 1, c.work_cap) * at_work
        pres = r.present.astype(np.float32)
        nb = self.nb @ pres
        f = m.friends
        u_ties = rng.random(f.n_edges, dtype=np.float32)
        m.met, m.lonely_ends, r.friends_met, m.lonely_friends_met = f.meet(
            r.willing, r.lonely, c.friend_meet, u_ties, self.p_end
        )
        r.weeks_no_friend = np.where(
            r.friends_met > 0, 0, np.minimum(r.weeks_no_friend + 1, 10_000)
        ).astype(np.int16)
        r.contact = (
            self.household
            + np.float32(c.work_weight) * work.astype(np.float32)
            + r.settled * pres * nb
            + np.float32(c.friend_weight) * r.friends_met
            + np.float32(c.community_weight) * (r.community & r.present)
        ).astype(np.float32)


class Ties:
    """Friendships strengthen with contact, decay without it, and form through co-presence."""

    name = "ties"

    def step(self, m) -> None:
        """Update strengths, form new ties at work, school and in the zone, compact monthly."""
        r, p, f = m.res, m.params.ties, m.friends
        f.update_strength(m.met, m.lonely_ends, p.gain, p.decay, p.lonely_decay_factor)
        rng = m.stream(self.name)
        u = rng.random((2, r.n), dtype=np.float32)
        social = m.sociability
        in_group = np.flatnonzero((u[0] < p.form_group * social) & r.present & (r.group >= 0))
        partner_g = random_group_member(in_group, m.groups, rng)
        partner_g = np.where(r.group[partner_g] == r.group[in_group], partner_g, -1)
        zoners = np.flatnonzero((u[1] < p.form_zone * social) & r.present & (m.pop.age >= 16))
        order, pos, start, counts = m.zone_order
        partner_z = age_similar_partner(
            zoners, m.pop.zone, order, pos, start, counts, m.zone_spread, rng
        )
        src = np.concatenate([in_group, zoners]).astype(np.int32)
        dst = np.concatenate([partner_g, partner_z]).astype(np.int32)
        ok = dst >= 0
        src, dst = src[ok], dst[ok]
        gap = np.abs(m.pop.age[src].astype(np.float32) - m.pop.age[dst])
        accept = np.exp(-gap / np.float32(m.params_layers.age_homophily_years)) * r.willing[dst]
        room = (f.degree[src] < p.max_friends) & (f.degree[dst] < p.max_friends)
        keep = room & (rng.random(src.size, dtype=np.float32) < accept)
        m.counts["ties_formed"] += f.add(src[keep], dst[keep], p.new_strength)
        if m.step_index % 4 == 3:
            if m.moved:
                f.weaken(np.concatenate(m.moved), 1.0 - m.params.events.moving_tie_loss)
                m.moved.clear()
            m.counts["ties_lost"] += f.compact(p.floor)


class Loneliness:
    """Latent loneliness: contact gap, SISa contagion, spontaneous onset, recovery and shocks.

    ``latent += recovery * (trait + gap_effect * gap - latent) + contagion * min(k, cap)
    + onset + shocks + noise``, where ``gap = max(0, 1 - contact / need[age band])`` and ``k`` is
    the number of lonely friends met this week.
    """

    name = "loneliness"

    def init(self, m) -> None:
        """Store per-band needs and the weekly onset hazard."""
        c, p = m.params.contacts, m.params.loneliness
        self.need = np.asarray(c.need, np.float32)
        self.onset = weekly(p.onset_rate)

    def step(self, m) -> None:
        """Move every resident's latent loneliness one week."""
        r, p = m.res, m.params.loneliness
        rng = m.stream(self.name)
        u = rng.random((2, r.n), dtype=np.float32)
        noise = (u[0] - np.float32(0.5)) * np.float32(np.sqrt(12.0))  # mean 0, sd 1
        onset = u[1] < self.onset
        gap = np.maximum(np.float32(0), 1 - r.contact / self.need[r.band])
        k = np.minimum(m.lonely_friends_met, p.contagion_cap)
        strain = np.float32(p.unemployed_effect) * (r.activity == Activity.UNEMPLOYED)
        target = r.trait + np.float32(p.gap_effect) * gap + strain + m.support_shift()
        r.latent += (
            np.float32(p.recovery) * (target - r.latent)
            + np.float32(p.contagion) * k
            + np.float32(p.onset_size) * onset
            + r.shock
            + np.float32(p.noise_sd) * noise
        )
        r.shock[:] = 0
        r.lonely = r.latent > np.float32(p.lonely_threshold)
        r.lonely_weeks = np.where(r.lonely, np.minimum(r.lonely_weeks + 1, 10_000), 0).astype(
            np.int16
        )
