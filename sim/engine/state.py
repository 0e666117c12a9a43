"""Mutable resident state: one array per attribute, one element per resident."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.codes import AGE_GROUPS


def age_band(age: np.ndarray) -> np.ndarray:
    """Index of each age in :data:`sim.core.codes.AGE_GROUPS` (int8)."""
    edges = np.array([lo for _, lo, _ in AGE_GROUPS[1:]])
    return np.searchsorted(edges, age, side="right").astype(np.int8)


def weekly(annual: np.ndarray | float) -> np.ndarray:
    """Convert an annual probability into a weekly hazard."""
    p = np.clip(np.asarray(annual, dtype=np.float64), 0.0, 0.999999)
    return (1.0 - (1.0 - p) ** (1.0 / 52.0)).astype(np.float32)


@dataclass
class Residents:
    """What changes during a run (static attributes stay on the population).

    Attributes:
        band: age band index (static, kept here for speed).
        activity: current main activity (:class:`sim.core.codes.Activity`).
        marital: current marital status (:class:`sim.core.codes.Marital`).
        group: work or school group id, or -1.
        latent: latent loneliness (latent units).
        trait: individual propensity, the latent target with no contact gap.
        shock: shocks received this week, added to ``latent`` by the loneliness step.
        limited: limited mobility.
        community: takes part in a community activity.
        teleworker: works from home some weeks.
        settled: 0 just after moving, rising to 1 as neighbourhood contact is rebuilt.
        willing: this week's participation probability (after withdrawal and mobility).
        present: took part in out-of-home life this week.
        contact: realised contact this week (contact units).
        friends_met: friends met in person this week.
        lonely: latent level above the lonely threshold.
        weeks_no_friend: consecutive weeks without meeting any friend or relative living apart.
        lonely_weeks: consecutive weeks lonely.
    """

    band: np.ndarray
    activity: np.ndarray
    marital: np.ndarray
    group: np.ndarray
    latent: np.ndarray
    trait: np.ndarray
    shock: np.ndarray
    limited: np.ndarray
    community: np.ndarray
    teleworker: np.ndarray
    settled: np.ndarray
    willing: np.ndarray
    present: np.ndarray
    contact: np.ndarray
    friends_met: np.ndarray
    lonely: np.ndarray
    weeks_no_friend: np.ndarray
    lonely_weeks: np.ndarray

    @property
    def n(self) -> int:
        """Number of residents."""
        return int(self.latent.size)

    @classmethod
    def empty(cls, n: int) -> Residents:
        """Zero-filled state for ``n`` residents, with the compact dtypes the engine uses."""
        f = lambda: np.zeros(n, np.float32)  # noqa: E731
        b = lambda: np.zeros(n, bool)  # noqa: E731
        return cls(
            band=np.zeros(n, np.int8),
            activity=np.zeros(n, np.int8),
            marital=np.zeros(n, np.int8),
            group=np.full(n, -1, np.int32),
            latent=f(),
            trait=f(),
            shock=f(),
            limited=b(),
            community=b(),
            teleworker=b(),
            settled=np.ones(n, np.float32),
            willing=f(),
            present=b(),
            contact=f(),
            friends_met=f(),
            lonely=b(),
            weeks_no_friend=np.zeros(n, np.int16),
            lonely_weeks=np.zeros(n, np.int16),
        )
