"""Who can serve as a welfare volunteer or supporter: residents aged about 60-75, fewer each year.

Welfare volunteers (民生委員・児童委員) are mostly in their 60s and early 70s (2022: 60s 46%,
70+ 37%; new appointees in principle under 75), and the share of posts filled fell from 97.7%
(2010) to 91.7% (2025). The number of volunteers a municipality can fill therefore follows

    pool factor = (living residents aged 60-75 now / at the policy start)
                  x (fill rate of the current calendar year / fill rate of the start year),

with the fill rate linear in calendar year (:func:`fill_rate_at`), floored at the lowest
prefectural figure observed. With ``demography=static`` the factor is exactly 1 and nothing is
computed, so static runs are unchanged. :class:`VolunteerPool` keeps the start counts and
recounts (one ``np.bincount``) at most once every ``refresh_weeks`` weeks. A municipality
with nobody aged 60-75 at the start keeps factor 1 (no information).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core.params import param

SOURCE = (
    "MHLW; 全国民生委員児童委員連合会 2026-01 (demographic_change_inputs.csv, "
    "minseiiin_fill_rate 2010-2025)"
)
#: minseiiin_fill_rate rows of ../shared/data/demographic_change_inputs.csv (year, %); flags
#: V (2010, 2013, 2022, 2025) and S (2016, 2019). Only for the tests' check of the trend.
FILL_RATE_SERIES = ((2010, 97.7), (2013, 97.1), (2016, 96.3), (2019, 95.2), (2022, 93.7),
                    (2025, 91.7))  # fmt: skip


@dataclass(frozen=True)
class PoolParams:
    """Declared parameters of the volunteer pool (defaults; a config may replace them)."""

    fill_rate_trend: float = param(
        -0.393,
        unit="points/year",
        low=-1.0,
        high=0.0,
        uncertain=True,
        source=f"D: least-squares slope of the fill rate over 2010-2025; {SOURCE}",
        doc="yearly change of the share of welfare-volunteer posts filled (percentage points)",
    )
    fill_rate_anchor: float = param(
        91.7,
        unit="%",
        low=50.0,
        high=100.0,
        source="MHLW 2025-12: quota 240,971, filled 220,880 (demographic_change_inputs.csv)",
        doc="fill rate in the anchor year: the trend line passes through it",
    )
    fill_rate_anchor_year: int = param(
        2025, unit="year", low=2010, high=2025, source="latest verified fill-rate figure"
    )
    fill_rate_floor: float = param(
        74.4,
        unit="%",
        low=50.0,
        high=91.7,
        uncertain=True,
        source="lowest prefectural fill rate, Okinawa 2022 "
        "(welfare_volunteers_and_policy.csv, minsei_iin_2022_fill_rate_extremes)",
        doc="the fill-rate trend never falls below this",
    )
    age_low: int = param(
        60,
        unit="years",
        low=50,
        high=70,
        source="MHLW via nippon.com 2022: commissioners 60s 46%, 70+ 37%, under 60 about 20% "
        "(demographic_change_inputs.csv, minseiiin_age_mix)",
        doc="youngest age of the pool volunteers and supporters are recruited from",
    )
    age_high: int = param(
        75,
        unit="years",
        low=70,
        high=85,
        source="MHLW 民生委員・児童委員選任要領: new appointees in principle under 75",
        doc="oldest age of the pool (inclusive)",
    )
    refresh_weeks: int = param(
        4,
        unit="weeks",
        low=1,
        high=52,
        source="choice: the pool changes slowly; recounting every 4 weeks costs one bincount",
    )


def is_dynamic(m: Any) -> bool:
    """Whether the run's population changes (``demography=dynamic``; missing key: static)."""
    return getattr(m.cfg, "demography", "static") == "dynamic"


def n_municipalities(m: Any) -> int:
    """Municipalities of the model's region (or, without a region, the highest code + 1)."""
    region = getattr(m, "region", None)
    if region is not None:
        return len(region.municipalities)
    return int(m.pop.municipality.max()) + 1 if m.pop.municipality.size else 0


def decimal_year(start_date: str, week: int) -> float:
    """Calendar year (with its fraction) of ``week`` weeks after ``start_date``."""
    day = np.datetime64(start_date, "D") + np.timedelta64(7 * int(week), "D")
    year = day.astype("datetime64[Y]")
    days = (year + np.timedelta64(1, "Y")).astype("datetime64[D]") - year.astype("datetime64[D]")
    return float(year.astype(int) + 1970) + float((day - year) / days)


def fill_rate_at(year: float, params: PoolParams | None = None) -> float:
    """Declared fill rate (%) of welfare-volunteer posts in calendar ``year``.

    Linear with slope ``fill_rate_trend`` through the anchor year's figure, floored at
    ``fill_rate_floor``.
    """
    p = params or PoolParams()
    rate = p.fill_rate_anchor + p.fill_rate_trend * (year - p.fill_rate_anchor_year)
    return max(p.fill_rate_floor, rate)


def pool_counts(m: Any, n_mun: int, params: PoolParams | None = None) -> np.ndarray:
    """Living residents aged ``age_low``-``age_high`` per municipality (inactive slots: age -1)."""
    p = params or PoolParams()
    age = m.pop.age
    in_pool = (age >= p.age_low) & (age <= p.age_high)
    return np.bincount(m.pop.municipality[in_pool], minlength=n_mun).astype(np.float64)


class VolunteerPool:
    """The pool of one run: start counts and the factor, recounted every ``refresh_weeks``.

    Build it when the policy starts (or before: every evaluation at week <= 0 takes the
    counts of that week as the start). With static demography it holds nothing.

    Args:
        m: the model (``pop.age``, ``pop.municipality``, ``week``, ``cfg``).
        params: the declared pool parameters (defaults if None).
    """

    def __init__(self, m: Any, params: PoolParams | None = None) -> None:
        self.params = params or PoolParams()
        self.dynamic = is_dynamic(m)
        self.n_mun = n_municipalities(m)
        self.start_date = str(m.cfg.start_date)
        self.start_fill = fill_rate_at(decimal_year(self.start_date, 0), self.params)
        self.start_counts = pool_counts(m, self.n_mun, self.params) if self.dynamic else None
        self._week: int | None = None
        self._ones = np.ones(self.n_mun)
        self._factor = self._ones

    def factor(self, m: Any) -> np.ndarray:
        """Pool factor per municipality this week (ones with static demography).

        Between recounts the same array is returned, so a caller can tell a new factor by
        identity (``is not``); do not change it in place.
        """
        if not self.dynamic:
            return np.ones(self.n_mun)
        week = int(m.week)
        if week <= 0:  # up to the policy start the start counts are the current ones
            if week != self._week:
                self.start_counts = pool_counts(m, self.n_mun, self.params)
                self._week, self._factor = week, self._ones  # the same array: no new factor
            return self._factor
        due = self._week is None or week < self._week
        if due or week >= self._week + self.params.refresh_weeks:
            now = pool_counts(m, self.n_mun, self.params)
            start = self.start_counts
            ratio = np.divide(now, start, out=np.ones(self.n_mun), where=start > 0)
            fill = fill_rate_at(decimal_year(self.start_date, week), self.params)
            self._week, self._factor = week, ratio * (fill / self.start_fill)
        return self._factor


def pool_factor(m: Any, pool: VolunteerPool | None = None) -> np.ndarray:
    """Volunteer-pool factor per municipality: 1 with static demography (nothing computed).

    Args:
        m: the model.
        pool: the run's :class:`VolunteerPool` (needed with dynamic demography: it holds the
            counts at the policy start).

    Raises:
        ValueError: if demography is dynamic and no pool is given.
    """
    if not is_dynamic(m):
        return np.ones(n_municipalities(m))
    if pool is None:
        raise ValueError("pool_factor: demography=dynamic needs the run's VolunteerPool")
    return pool.factor(m)
