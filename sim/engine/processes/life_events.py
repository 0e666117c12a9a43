"""MODEL.md step 1: life events from age-specific hazards, each with a reverse transition."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.core.codes import Activity, Marital
from sim.engine.component import Component
from sim.engine.processes._shared import N_BANDS, N_CELLS, balance, band_share
from sim.engine.state import weekly

if TYPE_CHECKING:
    from sim.engine.dynamics import DynamicsParams
    from sim.engine.state import Residents
    from sim.world.population import Population


class LifeEventsView(Protocol):
    """What :class:`LifeEvents` reads and writes on the model."""

    params: DynamicsParams
    pop: Population
    res: Residents
    counts: dict[str, np.ndarray | int]
    moved: list[tuple[np.ndarray, float]]

    def stream(self, name: str) -> np.random.Generator:
        """Generator of the named stream for this step."""
        ...

    def new_workplace(self, residents: np.ndarray) -> np.ndarray:
        """A random workplace in each resident's home municipality."""
        ...


class LifeEvents(Component):
    """Life events from age-specific hazards, each with a balancing reverse transition.

    Demography is stationary (ages and households are held at the census), and hazards are per
    cell of age band and sex. Bereavement ends the household contact of a partner at home (the
    partner's own record is kept until deaths are simulated) and is balanced by re-partnering,
    which brings a partner into the household; job loss by re-employment, retirement by return
    to work, health decline by recovery, and leaving community activity by joining, with
    reverse hazards set so that each cell keeps its census shares. Retirement fades the
    retiree's work-made friendships (at the next tie compaction). Moving house keeps the zone
    but restarts neighbourhood contact and weakens friendships (at the next tie compaction).
    At most one
    event happens to a resident in a week (the hazards are small).
    """

    name = "life_events"
    reads = ("params.events", "params.contacts", "pop.age", "pop.sex", "res")
    writes = ("res.marital", "res.activity", "res.group", "res.settled", "res.shock",
              "res.limited", "res.community", "res.cohabitants", "res.partner_home", "moved",
              "counts.events",
              "pop.partner and households (separations, demography=dynamic)")  # fmt: skip

    def init(self, m: LifeEventsView) -> None:
        """Compute weekly hazards per cell (age band x sex) and event."""
        p = m.params.events
        r = m.res
        cell = (r.band.astype(np.int16) * 2 + m.pop.sex).astype(np.int16)
        self.cell = cell
        adult = m.pop.age >= 16
        working_age = adult & (m.pop.age < 65)
        ones = np.ones(N_CELLS, np.float32)
        by_band = lambda v: np.repeat(np.asarray(v, np.float64), 2)  # noqa: E731
        sex_factor = np.tile([1.0, p.bereavement_female_factor], N_BANDS)
        bereave = np.minimum(weekly(by_band(p.bereavement) * sex_factor), 0.05)
        if getattr(m, "alive", None) is not None:
            # with demography, widowhood at 60+ comes from the partner's death itself; the
            # hazard stays for younger ages (separation and divorce)
            bereave = np.where(np.repeat(np.arange(N_BANDS) >= 6, 2), 0.0, bereave)
        married = band_share(cell, r.marital == Marital.MARRIED, adult, N_CELLS)
        widowed = band_share(cell, r.marital == Marital.WIDOWED_DIVORCED, adult, N_CELLS)
        job_loss = weekly(p.job_loss) * ones
        employed = band_share(cell, r.activity == Activity.EMPLOYED, working_age, N_CELLS)
        unemployed = band_share(cell, r.activity == Activity.UNEMPLOYED, working_age, N_CELLS)
        older = adult & (m.pop.age >= 60) & (m.pop.age < 75)
        retire = weekly(p.retirement) * ones
        emp_old = band_share(cell, r.activity == Activity.EMPLOYED, older, N_CELLS)
        ret_old = band_share(cell, r.activity == Activity.RETIRED, older, N_CELLS)
        decline = weekly(by_band(p.health_decline))
        lim = by_band(p.mobility_limited)
        c = m.params.contacts
        leave = weekly(c.community_turnover) * ones
        share = by_band(c.community_share)
        self.h = np.stack(
            [
                bereave,
                balance(bereave, married, widowed),
                job_loss,
                balance(job_loss, employed, unemployed),
                retire,
                balance(retire, emp_old, ret_old),
                weekly(by_band(p.moving)),
                decline,
                balance(decline, 1.0 - lim, lim),
                leave,
                balance(leave, share, 1.0 - share),
            ]
        ).astype(np.float32)
        self.h = np.minimum(self.h, 0.05)
        self.hmax = self.h.sum(axis=0)
        self.settle = np.float32(1.0 / p.settle_weeks)
        self.female = m.pop.sex == 1

    def refresh(self, m: LifeEventsView, who: np.ndarray) -> None:
        """Hazard cell and sex of residents whose age or sex changed (demography)."""
        self.cell[who] = m.res.band[who].astype(np.int16) * 2 + m.pop.sex[who]
        self.female[who] = m.pop.sex[who] == 1

    def _eligible(self, m: LifeEventsView, who: np.ndarray) -> np.ndarray:
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

    def step(self, m: LifeEventsView) -> None:
        """Draw this week's events and apply their state changes and shocks."""
        r = m.res
        r.settled = np.minimum(np.float32(1.0), r.settled + self.settle)
        u = m.stream(self.name).random(r.n, dtype=np.float32)
        who = np.flatnonzero(u < self.hmax[self.cell])
        if who.size == 0:
            return
        h = self.h[:, self.cell[who]] * self._eligible(m, who)
        cum = np.cumsum(h, axis=0)
        event = (u[who][None, :] >= cum).sum(axis=0)
        happened = event < h.shape[0]
        who, event = who[happened], event[happened]
        self._apply(m, who, event)

    def _apply(self, m: LifeEventsView, who: np.ndarray, event: np.ndarray) -> None:
        r, p = m.res, m.params.events
        sel = lambda k: who[event == k]  # noqa: E731
        bereaved = sel(0)
        r.shock[bereaved] += p.shock_bereavement
        if getattr(m, "alive", None) is not None:
            # with demography a partner who is a resident really leaves: they separate, and
            # the ex-partner moves out (the household bookkeeping updates both counts)
            real = bereaved[m.pop.partner[bereaved] >= 0]
            m.components["demography"].separate(m, real)
            bereaved = bereaved[m.pop.partner[bereaved] < 0]
        r.marital[bereaved] = Marital.WIDOWED_DIVORCED
        r.cohabitants[bereaved] -= r.partner_home[bereaved]  # the partner's contact ends
        r.partner_home[bereaved] = False
        partnered = sel(1)
        r.marital[partnered] = Marital.MARRIED
        r.cohabitants[partnered] += ~r.partner_home[partnered]  # a partner moves in
        r.partner_home[partnered] = True
        for k, shock in ((2, p.shock_job_loss), (4, p.shock_retirement)):
            lost = sel(k)
            r.activity[lost] = Activity.UNEMPLOYED if k == 2 else Activity.RETIRED
            r.group[lost] = -1
            r.shock[lost] += shock
        retired = sel(4)
        for sex, loss in enumerate(p.retirement_tie_loss):  # work-made friendships fade
            m.moved.append((retired[self.female[retired] == bool(sex)], 1.0 - loss))
        hired = np.concatenate([sel(3), sel(5)])
        r.activity[hired] = Activity.EMPLOYED
        r.group[hired] = m.new_workplace(hired)
        moved = sel(6)
        r.settled[moved] = 0.0
        r.shock[moved] += p.shock_moving
        m.moved.append((moved, 1.0 - p.moving_tie_loss))
        r.limited[sel(7)] = True
        r.limited[sel(8)] = False
        r.community[sel(9)] = False
        r.community[sel(10)] = True
        m.counts["events"] += np.bincount(event, minlength=self.h.shape[0])
