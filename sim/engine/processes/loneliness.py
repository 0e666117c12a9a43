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
    """Latent loneliness: contact gap, SISa contagion, spontaneous onset, recovery and shocks.

    ``latent += recovery * (trait + gap_effect * gap + strain + shift - latent)
    + contagion * min(k, cap) + onset + shocks + noise``, where
    ``gap = max(0, 1 - contact / need[age band])``, ``k`` is the number of lonely friends met
    this week and ``shift`` the target shift from services (the model's ``target_shift``).
    """

    name = "loneliness"
    reads = ("params.contacts.need", "params.loneliness", "res.contact", "res.band",
             "res.trait", "res.activity", "res.shock", "lonely_friends_met",
             "target_shift")  # fmt: skip
    writes = ("res.latent", "res.shock", "res.lonely", "res.lonely_weeks")

    def init(self, m: LonelinessView) -> None:
        """Store per-band needs and the weekly onset hazard."""
        c, p = m.params.contacts, m.params.loneliness
        self.need = np.asarray(c.need, np.float32)
        self.onset = weekly(p.onset_rate)

    def step(self, m: LonelinessView) -> None:
        """Move every resident's latent loneliness one week."""
        r, p = m.res, m.params.loneliness
        rng = m.stream(self.name)
        u = rng.random((2, r.n), dtype=np.float32)
        noise = (u[0] - np.float32(0.5)) * np.float32(np.sqrt(12.0))  # mean 0, sd 1
        onset = u[1] < self.onset
        gap = np.maximum(np.float32(0), 1 - r.contact / self.need[r.band])
        k = np.minimum(m.lonely_friends_met, p.contagion_cap)
        strain = np.float32(p.unemployed_effect) * (r.activity == Activity.UNEMPLOYED)
        target = r.trait + np.float32(p.gap_effect) * gap + strain + m.target_shift
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
