"""When levers run: each lever's first and last week, and the set active in a week.

Lever-derived quantities depend only on which levers are active (and on static inputs), so
:func:`per_active_set` caches them until that set changes.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sim.policy.levers import Lever
from sim.policy.scenario import week_of

#: First week of a lever without a start date: it already runs when the simulation begins.
ALWAYS = -(10**9)


def lever_weeks(levers: Sequence[Lever], start_date: str, horizon: int) -> np.ndarray:
    """(levers x 2) first and last week of each lever (week 0: the start date).

    Args:
        levers: the scenario's levers.
        start_date: the policy start (ISO date).
        horizon: weeks simulated after the start date (the last week of a lever without end).
    """
    return np.array(
        [[week_of(lv.start, start_date, ALWAYS), week_of(lv.end, start_date, horizon)]
         for lv in levers], dtype=np.int64,
    ).reshape(-1, 2)  # fmt: skip


def active_at(weeks: np.ndarray, week: int) -> np.ndarray:
    """Which levers run in ``week`` (both ends included)."""
    return (weeks[:, 0] <= week) & (week <= weeks[:, 1])


def is_transfer_week(start_date: str, week: int) -> bool:
    """Whether ``week`` is the first week of April, when caseworkers are transferred."""
    date = dt.date.fromisoformat(start_date) + dt.timedelta(weeks=int(week))
    return date.month == 4 and date.day <= 7


def per_active_set(method: Callable) -> Callable:
    """Cache a method's result until the set of active levers changes.

    The instance keeps the cache in ``self._cache`` and empties it when the active set changes,
    so the cached methods are computed once per change instead of every week.
    """
    name = method.__name__

    @functools.wraps(method)
    def cached(self: Any, *args: Any) -> Any:
        if name not in self._cache:
            self._cache[name] = method(self, *args)
        return self._cache[name]

    return cached
