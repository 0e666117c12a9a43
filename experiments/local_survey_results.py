"""The results CSV of ``tsunagari survey-compare``: reading and checking a municipality's file.

One row per item and group (the share answering so and the respondents ``n``; shape in
:data:`experiments.local_survey.COMPARE_HELP` and ``docs/local_survey.md``). :func:`read_results`
reports every problem as one line naming the file, row and column. Re-exported by
:mod:`experiments.local_survey_compare`; also used by :mod:`calibration.local`.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from sim.core.params import ConfigError

COLUMNS = ("item", "group", "share_pct", "n")
OPTIONAL = ("year", "note", "source")


def group_names() -> dict[str, str]:
    """Accepted group names (codes, Japanese and English labels) -> group code."""
    from experiments.local_survey_design import age_aliases
    from experiments.local_survey_options import HOUSEHOLD_CODES
    from sim.core.codes import LABELS

    names = {"all": "all", "全体": "all", "総数": "all", **age_aliases()}
    for s, code in enumerate(("male", "female")):
        names[code] = code
        names[LABELS["sex"]["ja"][s]] = code
    for k, code in enumerate(HOUSEHOLD_CODES):
        names[code] = code
        names[LABELS["household_type"]["ja"][k]] = code
        names[LABELS["household_type"]["en"][k]] = code
    return names


def item_names() -> dict[str, str]:
    """Accepted item names (codes and Japanese labels) -> item code."""
    from experiments.local_survey_model import ITEMS

    out = {}
    for code, (ja, _) in ITEMS.items():
        out[code] = code
        out[ja] = code
    return out


@dataclass
class ResultRow:
    """One row of a municipality's results."""

    line: int
    item: str
    group: str
    share_pct: float
    n: int


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ConfigError(f"{path}: not UTF-8 or Shift_JIS (cp932) text; save the file as CSV UTF-8")


def read_results(path: str | Path) -> list[ResultRow]:
    """Read and check a results CSV; every problem is one line naming the file, row and column.

    Rows are numbered as a spreadsheet shows them (the header is row 1).

    Raises:
        ConfigError: the first problem found.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        text = _decode(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ConfigError(
            f"{path}: the file is empty (expected a header: {','.join(COLUMNS)})"
        ) from None
    for col in COLUMNS:
        if col not in header:
            raise ConfigError(
                f"{path} row 1: missing column '{col}' (columns: {','.join(COLUMNS)})"
            )
    unknown = [h for h in header if h not in COLUMNS + OPTIONAL]
    if unknown:
        raise ConfigError(
            f"{path} row 1, column '{unknown[0]}': unknown column "
            f"(known: {', '.join(COLUMNS + OPTIONAL)})"
        )
    idx = {c: header.index(c) for c in COLUMNS}
    groups, items = group_names(), item_names()
    rows: list[ResultRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, rec in enumerate(reader, start=2):
        if not rec or all(not c.strip() for c in rec):
            continue
        if len(rec) != len(header):
            raise ConfigError(f"{path} row {line}: {len(rec)} fields, the header has {len(header)}")
        cell = {c: rec[i].strip() for c, i in idx.items()}
        if cell["item"] not in items:
            raise ConfigError(
                f"{path} row {line}, column item: unknown item '{cell['item']}' "
                "(see tsunagari survey-compare --help)"
            )
        if cell["group"] not in groups:
            raise ConfigError(
                f"{path} row {line}, column group: unknown group '{cell['group']}' "
                "(all, 16-19 ... 80+, male, female, single, couple, "
                "couple_children, single_parent, other)"
            )
        try:
            share = float(cell["share_pct"].rstrip("%"))
        except ValueError:
            share = math.nan
        if not (0.0 <= share <= 100.0):
            raise ConfigError(
                f"{path} row {line}, column share_pct: '{cell['share_pct']}' is not "
                "a percent between 0 and 100"
            )
        try:
            n = int(cell["n"].replace(",", ""))
        except ValueError:
            n = -1
        if n < 1:
            raise ConfigError(
                f"{path} row {line}, column n: '{cell['n']}' is not a positive whole "
                "number of respondents"
            )
        key = (items[cell["item"]], groups[cell["group"]])
        if key in seen:
            raise ConfigError(
                f"{path} row {line}, column group: item '{key[0]}' for group "
                f"'{key[1]}' already given in row {seen[key]}"
            )
        seen[key] = line
        rows.append(ResultRow(line, key[0], key[1], share, n))
    if not rows:
        raise ConfigError(f"{path} row 2: no data rows after the header")
    return rows
