"""Words of the HTML report: labels, number formats and findings sentences computed from numbers.

Nothing here reads files or draws: every function takes numbers (or small tables) and returns
text in Japanese (``ja``, the default) or English (``en``). The findings sentences are built from
the data only, so the same function serves a single paired run (no interval: one seed) and an
experiment over many seeds (mean with its interval).

The words live in :mod:`sim.report.labels` (label tables), :mod:`sim.report.formats` (numbers),
:mod:`sim.report.findings` (single and paired runs), :mod:`sim.report.experiment_findings`
(compare and sensitivity) and :mod:`sim.report.caveats`; this module gathers their public names.
"""

from sim.report.caveats import calibration_caveat, caveats
from sim.report.experiment_findings import compare_findings, sensitivity_findings
from sim.report.findings import paired_findings, run_findings
from sim.report.formats import (
    age_text,
    fmt_int,
    fmt_interval,
    fmt_pct,
    fmt_py,
    fmt_yen,
    years_text,
)
from sim.report.labels import (
    LABELS,
    READ,
    difference_kind,
    fiscal_year_text,
    funder_label,
    label,
    outcome_label,
    read,
)

__all__ = [
    "LABELS",
    "READ",
    "age_text",
    "calibration_caveat",
    "caveats",
    "compare_findings",
    "difference_kind",
    "fiscal_year_text",
    "fmt_int",
    "fmt_interval",
    "fmt_pct",
    "fmt_py",
    "fmt_yen",
    "funder_label",
    "label",
    "outcome_label",
    "paired_findings",
    "read",
    "run_findings",
    "sensitivity_findings",
    "years_text",
]
