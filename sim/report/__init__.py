"""A self-contained HTML report of a run, a paired run, a comparison or a sensitivity analysis.

:func:`build_report` detects what the folder holds, computes the findings from the numbers
(:mod:`sim.report.text`), draws the figures (:mod:`sim.report.plots`,
:mod:`sim.report.figures`), and
writes ``report.html`` (``report.en.html`` with ``lang=en``: the two never overwrite each other)
into the folder with every image embedded as a base64 data URI and the CSS inline (no network,
no JavaScript), plus every table as CSV (UTF-8 with BOM, which Excel opens) and Excel in
``tables/`` (``tables.en/`` for English). A section whose inputs are missing says so and the
rest of the report is still written. The code is split into :mod:`sim.report.data` (reading
and checking files, numbers of a run), :mod:`sim.report.doc` (the page and its tables),
:mod:`sim.report.runs` and :mod:`sim.report.experiments` (the sections by kind).

The caveats state the calibration the manifest records (``calibration``: a fitted set, or
``none`` for the declared defaults), never a fixed sentence.

Folder kinds:

* ``run``: ``timeseries.parquet`` and ``manifest.json`` (``tsunagari run``);
* ``paired``: a run with ``comparison.csv`` and ``baseline/`` (``tsunagari run scenario=...``);
* ``compare``: an experiment store (``manifest.json`` with ``command: compare``, ``runs/``);
* ``sensitivity``: an experiment store with ``command: sensitivity`` and ``*_indices.csv``.

Every file the report reads is checked first: a run's files against the SHA-256 checksums in its
``manifest.json`` (a paired run's ``comparison.csv`` and ``baseline/`` too), an experiment's
tables against those in ``last_command.json``. A missing, changed, empty or unreadable file,
or a manifest that is not a JSON object, stops the report with one line naming the file.
"""

from __future__ import annotations

from pathlib import Path

from sim.core.files import atomic_write_text
from sim.core.i18n import check_lang
from sim.core.params import ConfigError
from sim.report.data import (  # noqa: F401  (public names of this module)
    FLOW_ORDER,
    LONELY,
    _run_files,
    costs_by_fy,
    december_by_age,
    detect_kind,
    flows_total,
    last_year_mean,
    lonely_share,
    person_years_by,
)
from sim.report.doc import EMBED_ROWS, _Doc, _render, _write_tables  # noqa: F401
from sim.report.experiments import _compare, _sensitivity
from sim.report.runs import _paired_run, _single_run


def build_report(folder: Path, lang: str = "ja") -> Path:
    """Write the report and its tables into an output folder and return the HTML's path.

    ``report.html`` and ``tables/`` in Japanese; ``report.en.html`` and ``tables.en/`` in
    English.

    Args:
        folder: a run, paired run, comparison or sensitivity output folder.
        lang: ``ja`` (default) or ``en``.

    Raises:
        ConfigError: unknown language, or a missing or unrecognised folder (one line).
    """
    try:
        check_lang(lang)
    except ValueError:
        raise ConfigError(f"lang: unknown language '{lang}' (choose from: ja, en)") from None
    folder = Path(folder)
    kind = detect_kind(folder)
    doc = _Doc(folder=folder, lang=lang, kind=kind)
    {"run": _single_run, "paired": _paired_run, "compare": _compare, "sensitivity": _sensitivity}[
        kind
    ](doc)
    _write_tables(doc)
    return atomic_write_text(folder / doc.page, _render(doc))
