"""MODEL.md step 4: latent loneliness moves one week."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.core.codes import Activity
from sim.engine.component import Component
from sim.engine.state import weekly

if TYPE_CHECKING:
    from sim.engine.dynamics import DynamicsParams
    from sim.engine.state import Residents


class LonelinessView(Protocol):
    """What :class:`Loneliness` reads and writes on the model.

    ``target_shift`` is the latent target shift from support received and roles at venues,
    put on the model by the plan's ``support`` row (zero without levers).
    """

    params: DynamicsParams
    res: Residents
    lonely_friends_met: np.ndarray
    target_shift: np.ndarray

    def stream(self, name: str) -> np.random.Generator:
        """Generator of the named stream for this step."""
        ...


class Loneliness(Component):
    """Latent loneliness: contact gap, no one to rely on, onset, recovery and shocks.

    ``latent += recovery * (trait + gap_effect * gap + spread * share + no_confidant *
    (1 - rely_on) + strain + shift - latent) + onset + shocks + noise``, where
    ``gap = exp(-contact / need)`` (social loneliness: 1 with no contact, falling with
    diminishing returns as contact grows against the resident's age-dependent need), ``share``
    is the share of friends met this week who are lonely and ``rely_on`` says whether the
    resident has someone to rely on (emotional loneliness, Weiss 1973). Contagion is bounded
    below the benefit of the contact itself: ``spread = min(contagion, gap_effect * (exp((
    contact - friend_weight * friends_met) / -need) - gap))``, the fall in the target that this
    week's friend meetings bring, so meeting lonely friends is never worse than not meeting.
    ``shift`` is the target shift from services (the model's ``target_shift``).
    """

    name = "loneliness"
    reads = ("params.loneliness", "params.contacts.friend_weight", "res.contact", "res.need",
             "res.rely_on", "res.trait", "res.activity", "res.shock", "res.friends_met",
             "lonely_friends_met", "target_shift")  # fmt: skip
    writes = ("res.latent", "res.shock", "res.lonely", "res.lonely_weeks")

    def init(self, m: LonelinessView) -> None:
        """Store the weekly onset hazard and a meeting's contact relative to each need."""
        p = m.params.loneliness
        self.onset = weekly(p.onset_rate)
        self.per_meeting = np.float32(m.params.contacts.friend_weight) / m.res.need

    def refresh(self, m: LonelinessView, who: np.ndarray) -> None:
        """A meeting's contact relative to the need of residents whose age changed."""
        self.per_meeting[who] = np.float32(m.params.contacts.friend_weight) / m.res.need[who]

    def step(self, m: LonelinessView) -> None:
        """Move every resident's latent loneliness one week."""
        r, p = m.res, m.params.loneliness
        rng = m.stream(self.name)
        u = rng.random((2, r.n), dtype=np.float32)
        noise = (u[0] - np.float32(0.5)) * np.float32(np.sqrt(12.0))  # mean 0, sd 1
        onset = u[1] < self.onset
        ratio = r.contact / r.need
        gap = np.exp(-ratio)
        strain = np.float32(p.unemployed_effect) * (r.activity == Activity.UNEMPLOYED)
        alone = np.float32(p.no_confidant) * ~r.rely_on
        share = m.lonely_friends_met / np.maximum(r.friends_met, np.float32(1))
        # never more than the benefit of this week's friend meetings themselves
        # gap_effect * (exp(-(contact - w * met) / need) - gap), computed without overflow
        # (contact includes the meetings, so the first exponent is never positive)
        meetings = self.per_meeting * r.friends_met
        without = np.exp(np.minimum(meetings - ratio, np.float32(0)))
        benefit = np.float32(p.gap_effect) * without * -np.expm1(-meetings)
        spread = np.minimum(np.float32(p.contagion), benefit)
        target = (
            r.trait
            + np.float32(p.gap_effect) * gap
            + spread * share
            + alone
            + strain
            + m.target_shift
        )
        r.latent += (
            np.float32(p.recovery) * (target - r.latent)
            + np.float32(p.onset_size) * onset
            + r.shock
            + np.float32(p.noise_sd) * noise
        )
        r.shock[:] = 0
        r.lonely = r.latent > np.float32(p.lonely_threshold)
        r.lonely_weeks = np.where(r.lonely, np.minimum(r.lonely_weeks + 1, 10_000), 0).astype(
            np.int16
        )
