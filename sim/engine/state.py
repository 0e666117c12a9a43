"""Mutable resident state: one array per attribute, one element per resident."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.codes import AGE_GROUPS


def age_band(age: np.ndarray) -> np.ndarray:
    """Index of each age in :data:`sim.core.codes.AGE_GROUPS` (int8)."""
    edges = np.array([lo for _, lo, _ in AGE_GROUPS[1:]])
    return np.searchsorted(edges, age, side="right").astype(np.int8)


def contact_need(age: np.ndarray, base: float, decline: float) -> np.ndarray:
    """Desired weekly contact: ``base`` up to age 20, then falling by ``decline`` per decade."""
    decades = np.maximum(np.asarray(age, np.float32) - 20, 0) / np.float32(10)
    return (np.float32(base) * np.float32(1 - decline) ** decades).astype(np.float32)


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
        weeks_no_friend: consecutive weeks without meeting any friend or relative living apart
            in person.
        lonely_weeks: consecutive weeks lonely.
        need: desired weekly contact (contact units; static, from age).
        cohabitants: other members of the household counted for household contact (falls by
            one when a partner at home dies, rises by one at re-partnering).
        partner_home: a partner lives in the household.
        kin: close relatives living apart (static).
        kin_met: relatives living apart met in person this week.
        calls: voice calls with friends and relatives living apart this week.
        messages: message exchanges with them this week (internet users only).
        weeks_no_call: consecutive weeks without a voice call.
        weeks_no_message: consecutive weeks without a message exchange.
        weeks_no_kin: consecutive weeks without meeting a relative living apart in person.
        talk_history: bit ``k`` set if the resident talked with anyone (in person or by phone)
            ``k`` weeks ago (bit 0: this week); four weeks kept.
        close_friends: friendship ties at or above the close strength.
        rely_on: has someone to rely on in trouble (partner at home, a close friend, or a
            relative living apart met in person within ``survey.isolation_weeks``); changes as ties
            form and end.
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
    need: np.ndarray
    cohabitants: np.ndarray
    partner_home: np.ndarray
    kin: np.ndarray
    kin_met: np.ndarray
    calls: np.ndarray
    messages: np.ndarray
    weeks_no_call: np.ndarray
    weeks_no_message: np.ndarray
    weeks_no_kin: np.ndarray
    talk_history: np.ndarray
    close_friends: np.ndarray
    rely_on: np.ndarray

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
            need=f(),
            cohabitants=np.zeros(n, np.int16),
            partner_home=b(),
            kin=np.zeros(n, np.int8),
            kin_met=f(),
            calls=f(),
            messages=f(),
            weeks_no_call=np.zeros(n, np.int16),
            weeks_no_message=np.zeros(n, np.int16),
            weeks_no_kin=np.zeros(n, np.int16),
            talk_history=np.full(n, 0b1111, np.uint8),
            close_friends=np.zeros(n, np.int16),
            rely_on=b(),
        )
