"""Dates on figures: the fiscal-year month ticks and the one date-axis formatter (ja/en)."""

from __future__ import annotations

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

MONTHS_EN: tuple[str, ...] = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip

#: First month of the Japanese fiscal year (April-March).
FISCAL_START = 4


def fiscal_month_ticks(start, end) -> tuple[int, tuple[int, ...]]:
    """Tick spacing for a date axis: at most 12 month ticks anchored on April.

    Args:
        start: first date.
        end: last date.

    Returns:
        (interval in months, the months that carry a tick), e.g. ``(3, (1, 4, 7, 10))``.
    """
    months = max(1.0, (pd.Timestamp(end) - pd.Timestamp(start)).days / 30.4)
    interval = next((step for step in (1, 2, 3, 6) if months / step <= 12), 12)
    ticks = tuple(sorted((FISCAL_START - 1 + k * interval) % 12 + 1 for k in range(12 // interval)))
    return interval, ticks


def format_date_axis(ax: Axes, dates, lang: str) -> None:
    """Month ticks on a date axis, anchored on the fiscal year: 「4月」 with 「2025年度」 under it.

    The one date-axis formatter of every time-series figure (:mod:`sim.report.plots`,
    :mod:`sim.report.figures`, the dashboard). Ticks fall on April (and on months a whole step
    from April: 4, 7, 10, 1 for a quarterly step), at most 12; the fiscal year (April-March)
    is written under each April tick and under the first tick (「2025年度」 / ``FY2025``).
    Spans under 60 days get plain dates.

    Args:
        ax: the axes whose x axis holds dates.
        dates: the plotted dates (a Series, or a table with a ``date`` column).
        lang: ``ja`` or ``en``.
    """
    if isinstance(dates, pd.DataFrame):
        dates = dates["date"]
    d = pd.to_datetime(pd.Series(dates))
    if (d.max() - d.min()).days < 60:
        ax.xaxis.set_major_locator(mdates.AutoDateLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        return
    _, months = fiscal_month_ticks(d.min(), d.max())
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=months))

    def label(x: float, pos: int | None) -> str:
        day = mdates.num2date(x)
        month = f"{day.month}月" if lang == "ja" else MONTHS_EN[day.month - 1]
        fy = day.year - (day.month < FISCAL_START)
        year = f"{fy}年度" if lang == "ja" else f"FY{fy}"
        return f"{month}\n{year}" if day.month == FISCAL_START or pos == 0 else month

    ax.xaxis.set_major_formatter(FuncFormatter(label))


def format_date(day: pd.Timestamp, lang: str) -> str:
    """Write a date as 「2026年3月29日」 or "2026-03-29"."""
    if lang == "ja":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.strftime("%Y-%m-%d")
