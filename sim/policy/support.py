"""The effect side of support: episodes' latent shifts, their persistence, roles, trial delivery.

:class:`SupportEffects` is a mixin of :class:`sim.policy.services.Services`: an episode's shift
(trial SMD x latent per SMD, ``docs/ODD.md`` 7.13), its end, break and fading, the shift of a
venue role, and the two entry points the virtual trials use (:mod:`experiments.trial`).
"""

from __future__ import annotations

import numpy as np

from sim.policy.flows import NONE, SERVED


class SupportEffects:
    """Support episodes and roles.

    Uses ``self.p``, ``self.rt``, ``self.reached``, ``self.keep``, ``self.venues`` and
    ``self._count`` of :class:`~sim.policy.services.Services`.
    """

    def episode_shift(self, remote: np.ndarray | bool) -> np.ndarray:
        """Latent fall an episode reaches at its end: trial SMD x latent per SMD (negative).

        ``latent_per_smd_*`` come from the virtual trial calibration (:mod:`experiments.trial`).
        """
        p = self.p
        return np.where(
            remote,
            p.smd_remote * p.latent_per_smd_remote,
            p.smd_support * p.latent_per_smd_support,
        ).astype(np.float32)

    def deliver_episodes(self, m, who: np.ndarray, remote: bool, weeks: int) -> None:
        """Start a support episode of ``weeks`` for residents ``who`` outside any queue.

        The virtual trial delivers its intervention with this: the same shift and persistence as
        a case served by a consultation lever (no training boost, no cost, no caseworker).
        """
        s = m.svc
        rho = m.params.loneliness.recovery
        gain = 1.0 / (1.0 - (1.0 - rho) ** weeks)
        s.stage[who] = SERVED
        s.stage_weeks[who] = weeks
        s.case_lever[who] = -1
        self.reached[who] = self.episode_shift(remote)
        s.support[who] = self.reached[who] * np.float32(gain)

    def deliver_visits(self, m, who: np.ndarray, weeks: int, per_week: float = 1.0) -> None:
        """Visit residents ``who`` with weekly chance ``per_week`` for ``weeks`` (a trial's arm).

        A visit is a welfare volunteer's or supporter's visit: ``visit_contact`` of contact and
        a chance to notice (``notice_visit``). Needs an active lever in the week (the baseline
        has its welfare volunteers).
        """
        p = np.zeros(m.pop.n, np.float32)
        p[who] = per_week
        self.trial_visits = (p, m.week + weeks)

    def _episodes(self, m, u: np.ndarray) -> None:
        s = m.svc
        inside = np.flatnonzero(s.stage == SERVED)
        s.stage_weeks[inside] -= 1
        broken = inside[u[inside] < self.rt.transfer_break(m, inside)]
        self._count(m, "cases_broken", broken)
        ended = inside[s.stage_weeks[inside] <= 0]
        ended = ended[~np.isin(ended, broken)]
        s.stage[ended] = NONE
        s.support[ended] = self.reached[ended]  # the shift reached is held, then fades
        s.stage[broken] = NONE
        s.support[broken] = 0.0

    def _fade(self, m) -> None:
        """After an episode the held shift halves every ``support_halflife_weeks``."""
        s = m.svc
        after = np.flatnonzero((s.stage != SERVED) & (s.support != 0))
        if after.size == 0:
            return
        s.support[after] *= self.keep
        s.support[after[np.abs(s.support[after]) < np.float32(1e-4)]] = 0.0

    def role_support(self, m) -> np.ndarray:
        """Latent target shift from having a role at an open venue."""
        s = m.svc
        if self.venues.n == 0:
            return np.float32(0.0)
        return np.float32(self.p.smd_role * self.p.latent_per_smd_role) * s.role
