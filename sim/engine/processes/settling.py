"""Whether the burn-in reached a stationary state: an observation of its last year.

The burn-in exists so that ties and loneliness settle from their set-up values before the
horizon starts. This row watches the burn-in's last 52 weeks (mean friends and the lonely share
of residents 16+) and, as week 0 starts, compares the two halves of that year: the run's
manifest reports the change (``counts.burn_in``) and whether it is within tolerance, and the
console warns when it is not (a longer ``burn_in_weeks`` is then advised). It only observes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.engine.component import Component
from sim.engine.survey import SURVEY_MIN_AGE

if TYPE_CHECKING:
    from sim.engine.state import Residents
    from sim.world.friendship import FriendshipNetwork
    from sim.world.population import Population

#: weeks of the burn-in watched (two halves compared)
WINDOW = 52
#: tolerated change between the halves: relative change of mean friends
FRIENDS_TOLERANCE = 0.01
#: tolerated change of the lonely share (absolute), or 3 sampling SEs when that is larger
LONELY_TOLERANCE = 0.005


class SettlingView(Protocol):
    """What :class:`Settling` reads and writes on the model."""

    pop: Population
    res: Residents
    friends: FriendshipNetwork
    week: int
    counts: dict


class Settling(Component):
    """Watch the burn-in's last year and report whether the state has settled (observes only)."""

    name = "settling"
    reads = ("week", "friends.degree", "res.lonely", "pop.age")
    writes = ("counts.burn_in",)

    def init(self, m: SettlingView) -> None:
        """Start an empty trace."""
        self.adult = m.pop.age >= SURVEY_MIN_AGE
        self.trace: list[tuple[float, float]] = []

    def step(self, m: SettlingView) -> None:
        """Record this burn-in week; as the last burn-in week ends, judge the year."""
        a = self.adult
        self.trace.append((float(m.friends.degree[a].mean()), float(m.res.lonely[a].mean())))
        self.trace = self.trace[-WINDOW:]
        if m.week == -1:
            m.counts["burn_in"] = settling_report(np.asarray(self.trace), int(a.sum()))


def settling_report(trace: np.ndarray, n_adults: int) -> dict:
    """Compare the two halves of the burn-in's last year (columns: mean friends, lonely share).

    Returns:
        ``weeks`` watched, ``friends_change`` (relative), ``lonely_change`` (points of share),
        the tolerances used and ``stationary``; ``stationary`` is None when fewer than
        :data:`WINDOW` weeks were watched (a burn-in shorter than a year is not judged).
    """
    out: dict = {"weeks": len(trace)}
    if len(trace) < WINDOW:
        return {**out, "stationary": None}
    first, second = trace[: WINDOW // 2].mean(axis=0), trace[WINDOW // 2 :].mean(axis=0)
    friends = float(second[0] / first[0] - 1) if first[0] > 0 else 0.0
    lonely = float(second[1] - first[1])
    p = float(trace[:, 1].mean())
    tol = max(LONELY_TOLERANCE, 3 * np.sqrt(2 * p * (1 - p) / max(n_adults, 1)))
    return {
        **out,
        "friends_change": round(friends, 5),
        "lonely_change": round(lonely, 5),
        "friends_tolerance": FRIENDS_TOLERANCE,
        "lonely_tolerance": round(float(tol), 5),
        "stationary": bool(abs(friends) <= FRIENDS_TOLERANCE and abs(lonely) <= tol),
    }
