"""The report document: sections, figures, tables (HTML and exported files) and the page.

:class:`_Doc` collects the metadata, findings, sections and tables of one report. Each table
has one number format per column (:func:`column_decimals`): its values are rounded to that many
decimals before they are shown and exported, so the page and ``tables/*.csv`` hold the same
numbers. :func:`_render` writes the page (CSS inline, A4 print rules: a table never overflows
the page width) and :func:`_write_tables` the CSV and Excel files: ``tables/`` for the Japanese
report, ``tables.en/`` for the English one (``report.en.html``), so neither overwrites the other.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.core.files import staged_folder, write_csv, write_xlsx
from sim.report import figures as rp
from sim.report import text as rt

EMBED_ROWS = 40  # tables up to this many rows are also shown in the HTML


@dataclass
class _Doc:
    folder: Path
    lang: str
    kind: str
    meta: list[tuple[str, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # id, title, body
    tables: list[tuple[str, str, pd.DataFrame]] = field(default_factory=list)
    figures: int = 0
    calibration: str | None = None  # the manifest's calibration (None: unknown)

    @property
    def tables_dir(self) -> str:
        """Folder of the exported tables: ``tables`` (ja) or ``tables.en`` (en)."""
        return "tables" if self.lang == "ja" else "tables.en"

    @property
    def page(self) -> str:
        """File name of the report: ``report.html`` (ja) or ``report.en.html`` (en)."""
        return "report.html" if self.lang == "ja" else "report.en.html"

    def t(self, key: str) -> str:
        """A report label in the report's language."""
        return rt.label(key, self.lang)

    def figure(self, fig: Figure, caption: str) -> str:
        """An embedded figure (PNG as a data URI)."""
        data = base64.b64encode(rp.png_bytes(fig)).decode("ascii")
        self.figures += 1
        cap = html.escape(caption)
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{cap}">'
            f"<figcaption>{cap}</figcaption></figure>"
        )

    def table(
        self,
        name: str,
        title: str,
        df: pd.DataFrame,
        *,
        embed: bool = True,
        decimals: dict[str, int] | None = None,
    ) -> str:
        """Register a table for export; its HTML (if small) and links to its files.

        Args:
            name: file stem in the tables folder.
            title: shown before the links.
            df: the table; float columns are rounded to their decimals (``decimals``, else
                :func:`column_decimals`), the same in the page and in the files.
            embed: also show the table in the page (if it has at most :data:`EMBED_ROWS` rows).
            decimals: column -> digits after the point.
        """
        df = rounded(df, {**df.attrs.get("decimals", {}), **(decimals or {})})
        self.tables.append((name, title, df))
        d = self.tables_dir
        links = (
            f'<p class="dl">{html.escape(title)}: <a href="{d}/{name}.csv">CSV</a> · '
            f'<a href="{d}/{name}.xlsx">Excel</a></p>'
        )
        if not embed or len(df) > EMBED_ROWS:
            return links
        return _html_table(df, self.lang) + links

    def section(self, key: str, title: str, body: Callable[[], str]) -> None:
        """Add a section; missing inputs or a failure leave a note instead of the content."""
        try:
            content = body()
        except _Missing:
            content = f'<p class="note">{html.escape(self.t("section_missing"))}</p>'
        except Exception as exc:  # a report with one broken section is still useful
            msg = f"{self.t('section_failed')}: {type(exc).__name__}: {exc}"
            content = f'<p class="note">{html.escape(msg)}</p>'
        note = rt.read(key, self.lang, kind=self.kind)
        lead = f'<p class="lead">{html.escape(note)}</p>' if note else ""
        self.sections.append((key, title, lead + content))


class _Missing(Exception):
    """The folder holds no input for this section."""


def column_decimals(values: pd.Series) -> int:
    """Digits after the point for a float column, by the size of its values.

    0 from 1,000 up (yen, person-years), 1 from 10 (percentages), 2 from 1, else 4.
    """
    v = np.abs(values.to_numpy(dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return 0
    top = float(np.median(v))
    return 0 if top >= 1000 else 1 if top >= 10 else 2 if top >= 1 else 4


def rounded(df: pd.DataFrame, decimals: dict[str, int]) -> pd.DataFrame:
    """The table with every float column rounded to its decimals (kept in ``attrs``).

    A float column whose values are all whole numbers at 0 decimals becomes ``Int64``.
    """
    out = df.copy()
    digits = {}
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_float_dtype(s.dtype):
            continue
        d = int(decimals.get(col, column_decimals(s)))
        out[col] = s.round(d) + 0.0
        digits[col] = d
    out.attrs["decimals"] = digits
    return out


def _cell(v, digits: int | None) -> tuple[str, bool]:
    """A cell's text and whether it is a number (right-aligned)."""
    if isinstance(v, bool | np.bool_) or v is None:
        return ("-" if v is None else str(v)), False
    if isinstance(v, int | np.integer):
        return f"{int(v):,}", True
    if isinstance(v, float | np.floating):
        if not math.isfinite(v):
            return "-", True
        return f"{v:,.{0 if digits is None else digits}f}", True
    return str(v), False


def _html_table(df: pd.DataFrame, lang: str) -> str:
    """A table with one number format per column (its decimals in ``df.attrs``)."""
    digits = df.attrs.get("decimals", {})
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for col, v in zip(df.columns, row, strict=True):
            text, numeric = _cell(v, digits.get(col))
            cls = ' class="n"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def _write_tables(doc: _Doc) -> Path:
    """Write the tables folder as a whole (no table of an earlier report is left beside it).

    Text cells a spreadsheet would run as formulas (e.g. a scenario title starting with ``=``)
    are escaped in the CSV files and stored as text in the workbooks.
    """
    out = doc.folder / doc.tables_dir
    with staged_folder(out) as staged:
        for name, _title, df in doc.tables:
            write_csv(staged / f"{name}.csv", df, encoding="utf-8-sig")
            write_xlsx(staged / f"{name}.xlsx", [(name, df)])
        write_xlsx(staged / "all_tables.xlsx", [(name, df) for name, _, df in doc.tables])
    return out


CSS = """
@page { size: A4; margin: 15mm; }
body { font-family: "Hiragino Sans", "Yu Gothic", "Meiryo", "Noto Sans CJK JP", "IPAexGothic",
  "Helvetica Neue", Arial, sans-serif; color: #222; max-width: 190mm; margin: 0 auto;
  padding: 12px; line-height: 1.65; font-size: 15px; }
h1 { font-size: 1.6em; margin: 0.2em 0; border-bottom: 3px solid #0072B2; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-left: 6px solid #0072B2; padding-left: 8px; }
.kind { color: #555; margin: 0; }
table.meta td { padding: 1px 10px 1px 0; vertical-align: top; font-size: 0.9em; }
table.meta td:first-child { color: #555; white-space: nowrap; }
#findings { background: #F2F7FB; border: 1px solid #BCD7EA; border-radius: 6px;
  padding: 4px 18px 8px; }
#findings li { margin: 0.35em 0; }
.lead { color: #333; background: #FAFAFA; border-left: 3px solid #BBB; padding: 4px 10px; }
.note { color: #8A4B00; }
figure { margin: 0.8em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #EEE; }
figcaption { font-size: 0.85em; color: #555; }
table.data { border-collapse: collapse; font-size: 0.82em; margin: 0.5em 0; width: 100%;
  max-width: 100%; }
table.data th, table.data td { border: 1px solid #CCC; padding: 2px 5px; }
table.data th { background: #EEF3F7; font-weight: 600; line-height: 1.3; }
table.data td:first-child { min-width: 6.5em; }
table.data td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.dl { font-size: 0.85em; }
nav ol { columns: 2; font-size: 0.9em; }
footer { margin-top: 2em; font-size: 0.8em; color: #666; border-top: 1px solid #CCC; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav, .dl { display: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
  section { page-break-inside: auto; }
  a { color: inherit; text-decoration: none; }
}
"""


def _render(doc: _Doc) -> str:
    """The whole page as HTML text."""
    lang = doc.lang
    esc = html.escape
    title = (
        f"{doc.t('report')}：{doc.t('kind.' + doc.kind)}"
        if lang == "ja"
        else (f"{doc.t('report')}: {doc.t('kind.' + doc.kind)}")
    )
    meta = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in doc.meta)
    findings = "".join(f"<li>{esc(s)}</li>" for s in doc.findings) or (
        f"<li>{esc(doc.t('section_missing'))}</li>"
    )
    nav = "".join(f'<li><a href="#{k}">{esc(t)}</a></li>' for k, t, _ in doc.sections)
    body = "".join(f'<section id="{k}"><h2>{esc(t)}</h2>{b}</section>' for k, t, b in doc.sections)
    d = doc.tables_dir
    tables = "".join(
        f'<li>{esc(t)}: <a href="{d}/{n}.csv">{esc(n)}.csv</a> · '
        f'<a href="{d}/{n}.xlsx">{esc(n)}.xlsx</a></li>'
        for n, t, _ in doc.tables
    )
    tables += f'<li><a href="{d}/all_tables.xlsx">all_tables.xlsx</a></li>' if doc.tables else ""
    caveats = "".join(f"<li>{esc(c)}</li>" for c in rt.caveats(lang, doc.calibration))
    made = dt.date.today().isoformat()
    source = f"{esc(doc.t('generated_from'))}: {esc(doc.folder.name)}"
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{esc(doc.t("report"))}</h1>
<p class="kind">{esc(doc.t("kind." + doc.kind))}</p>
<table class="meta">{meta}</table>
</header>
<section id="findings"><h2>{esc(doc.t("findings"))}</h2><ul>{findings}</ul></section>
<nav><h2>{esc(doc.t("contents"))}</h2><ol>{nav}</ol></nav>
{body}
<section id="tables"><h2>{esc(doc.t("tables"))}</h2><ul>{tables}</ul></section>
<section id="caveats"><h2>{esc(doc.t("caveats"))}</h2><ul>{caveats}</ul></section>
<footer>tsunagari report · {esc(made)} · {source}</footer>
</body>
</html>
"""
