"""Number formats of the report in Japanese (``ja``) and English (``en``)."""

from __future__ import annotations

import math

from sim.core.i18n import group_label


def fmt_int(x: float) -> str:
    """An integer with thousands separators: ``1,010``; ``-`` when not finite."""
    if x is None or not math.isfinite(x):
        return "-"
    return f"{round(x):,}"


def fmt_py(x: float, lang: str) -> str:
    """Person-years: 「1,010人年」 / ``1,010 person-years``."""
    return f"{fmt_int(x)}人年" if lang == "ja" else f"{fmt_int(x)} person-years"


def fmt_yen(x: float, lang: str) -> str:
    """Yen, rounded for reading: 「4.15億円」「41万1,030円」 / ``¥415.1 million``, ``¥411,030``."""
    if x is None or not math.isfinite(x):
        return "-"
    a = abs(x)
    sign = "-" if x < 0 else ""
    if lang == "ja":
        if a >= 1e8:
            return f"{sign}{a / 1e8:,.2f}億円"
        if a >= 1e4:
            man, rest = divmod(round(a), 10_000)
            return f"{sign}{man:,}万{rest:,}円" if rest else f"{sign}{man:,}万円"
        return f"{sign}{round(a):,}円"
    if a >= 1e6:
        return f"{sign}¥{a / 1e6:,.1f} million"
    return f"{sign}¥{round(a):,}"


def fmt_pct(share: float, digits: int = 1) -> str:
    """A share as a percentage: ``0.1234`` -> ``12.3%``."""
    if share is None or not math.isfinite(share):
        return "-"
    return f"{100 * share:.{digits}f}%"


def fmt_interval(lo: float, hi: float, fmt, lang: str) -> str:
    """An interval in words: 「（95%区間 a～b）」 / `` (95% interval a to b)``; '' if unknown."""
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    if lang == "ja":
        return f"（95%区間 {fmt(lo)}～{fmt(hi)}）"
    return f" (95% interval {fmt(lo)} to {fmt(hi)})"


def years_text(years: int, lang: str) -> str:
    """「3年間」 / ``3 years``."""
    return f"{years}年間" if lang == "ja" else f"{years} year{'s' if years != 1 else ''}"


def age_text(group: str, lang: str) -> str:
    """An age group label (``70-79`` -> 「70～79歳」)."""
    return group_label("age_group", group, lang)
