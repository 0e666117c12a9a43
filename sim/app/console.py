"""The console helpers of the commands, re-exported for the callers that import them here.

Aligned tables, :class:`Progress` and :func:`plan_line` live in :mod:`sim.core.progress`; the
labels of comparison tables in :mod:`sim.report.console_labels`.
"""

from __future__ import annotations

from sim.core.progress import (
    LOG_EVERY_S,
    Progress,
    about,
    display_width,
    duration,
    pad,
    plan_line,
    table_lines,
)
from sim.report.console_labels import HEADERS, head, number, outcome_label, short_label

__all__ = [
    "HEADERS",
    "LOG_EVERY_S",
    "Progress",
    "about",
    "display_width",
    "duration",
    "head",
    "number",
    "outcome_label",
    "pad",
    "plan_line",
    "short_label",
    "table_lines",
]
