"""Age pyramid of a run: living residents by five-year band and sex, at the start and at the end.

:func:`write_pyramid_figure` reads the ``population`` rows by ``age5_sex`` of the tidy monthly
table (written by :func:`sim.engine.population_table.population_rows`; values are real-population
equivalents), draws males to the left and females to the right, the first record week as an
outline and the last one filled, and saves a PNG with :func:`sim.report.plots.save_figure`.
With several seeds the counts are averaged across seeds. Labels come from :data:`LABELS` (the
project's one label-table shape) and :mod:`sim.core.i18n`; Japanese text uses the IPAexGothic
font of matplotlib-fontja (:func:`sim.report.plots.use_japanese_font`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from sim.core.codes import LABELS as CODE_LABELS
from sim.core.i18n import check_lang, group_label
from sim.report.dates import format_date
from sim.report.plots import STYLE_RC, save_figure, use_japanese_font

#: Labels of the pyramid figure: key -> {"ja": ..., "en": ...}.
LABELS: dict[str, dict[str, str]] = {
    "title": {"ja": "人口ピラミッド（5歳階級・男女別）", "en": "Population pyramid by age and sex"},
    "axis.population": {"ja": "人口（人、実人口換算）", "en": "Population (real equivalent)"},
    "axis.age": {"ja": "年齢", "en": "Age"},
    "start": {"ja": "{date}（線）", "en": "{date} (outline)"},
    "end": {"ja": "{date}（塗り）", "en": "{date} (filled)"},
    "total": {
        "ja": "総人口 {start}：{a:,.0f}人 → {end}：{b:,.0f}人（{change:+.1f}%）",
        "en": "Total {start}: {a:,.0f} -> {end}: {b:,.0f} ({change:+.1f}%)",
    },
    "week": {"ja": "第{week}週", "en": "week {week}"},
}  # fmt: skip
MEASURE = "population"
DIMENSION = "age5_sex"
COLOURS = ("#0072B2", "#D55E00")  # male, female (Okabe & Ito)
OUTLINE = "#222222"


def label(key: str, lang: str) -> str:
    """The text of ``key`` in ``lang`` (the key itself when unknown)."""
    entry = LABELS.get(key)
    return key if entry is None else entry[check_lang(lang)]


def pyramid_counts(table: pd.DataFrame) -> tuple[list[str], dict[int, np.ndarray], dict[int, str]]:
    """Counts by band and sex at the first and the last record week of a table.

    Args:
        table: tidy monthly table with ``population`` rows by ``age5_sex`` (groups such as
            ``"65-69|0"``) and at most one ``arm``.

    Returns:
        The band labels (youngest first), ``{week: array (bands, 2)}`` for the first and the last
        week (male column 0, female column 1; averaged across seeds), and ``{week: date}``
        (``""`` where the table has no date).

    Raises:
        ValueError: If the table holds several arms or no ``population`` rows by ``age5_sex``.
    """
    if "arm" in table.columns and table["arm"].nunique() > 1:
        arms = ", ".join(map(str, sorted(table["arm"].unique())))
        raise ValueError(f"table holds several arms ({arms}); select one arm before plotting")
    rows = table[(table["measure"] == MEASURE) & (table["dimension"] == DIMENSION)]
    if rows.empty:
        raise ValueError(f"table has no {MEASURE!r} rows by {DIMENSION!r}: no pyramid to draw")
    parts = rows["group"].astype(str).str.rsplit("|", n=1, expand=True)
    rows = rows.assign(band=parts[0], sex=parts[1].astype(int))
    bands = list(dict.fromkeys(rows["band"]))
    bands.sort(key=lambda b: int(b.rstrip("+").split("-")[0]))
    weeks = (int(rows["week"].min()), int(rows["week"].max()))
    counts, dates = {}, {}
    for week in weeks:
        at = rows[rows["week"] == week]
        mean = at.groupby(["band", "sex"])["value"].mean()  # across seeds, if several
        grid = mean.unstack("sex").reindex(index=bands, columns=[0, 1]).fillna(0.0)
        counts[week] = grid.to_numpy(float)
        date = at["date"].iloc[0] if "date" in at.columns else None
        dates[week] = "" if date is None or pd.isna(date) else str(date)
    return bands, counts, dates


def _when(week: int, date: str, lang: str) -> str:
    """A record week as a date in ``lang``, or as a week number without a date."""
    if date:
        return format_date(pd.Timestamp(date), lang)
    return label("week", lang).format(week=week)


def plot_pyramid(table: pd.DataFrame, *, lang: str = "ja") -> Figure:
    """Draw the age pyramid at the first (outline) and the last (filled) record week.

    Args:
        table: tidy monthly table (see :func:`pyramid_counts`).
        lang: ``"ja"`` or ``"en"``.

    Returns:
        The figure, with one axes (males left, females right).

    Raises:
        ValueError: For an unknown language, several arms or no pyramid rows.
    """
    check_lang(lang)
    use_japanese_font()
    bands, counts, dates = pyramid_counts(table)
    (w0, start), (w1, end) = sorted(counts.items())
    when0, when1 = _when(w0, dates[w0], lang), _when(w1, dates[w1], lang)
    y = np.arange(len(bands))
    sign = np.array([-1.0, 1.0])  # males to the left
    with mpl.rc_context({**STYLE_RC, "axes.grid.axis": "x"}):
        fig = Figure(figsize=(7.5, 7.0), layout="constrained")
        ax = fig.add_subplot()
        for s in (0, 1):
            ax.barh(y, sign[s] * end[:, s], height=0.85, color=COLOURS[s], alpha=0.85)
            ax.barh(y, sign[s] * start[:, s], height=0.85, fill=False, edgecolor=OUTLINE, lw=0.9)
        ax.axvline(0, color=OUTLINE, linewidth=0.8)
        ax.set_yticks(y, [group_label("age_group", b, lang) for b in bands])
        ax.set_ylim(-0.6, len(bands) - 0.4)
        limit = 1.08 * max(float(np.max(start, initial=0)), float(np.max(end, initial=0)), 1.0)
        ax.set_xlim(-limit, limit)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{abs(x):,.0f}"))
        ax.set_xlabel(label("axis.population", lang))
        ax.set_ylabel(label("axis.age", lang))
        sexes = {k: v[:1].upper() + v[1:] for k, v in CODE_LABELS["sex"][lang].items()}
        for s, x in ((0, 0.02), (1, 0.98)):
            ax.text(x, 0.98, sexes[s], transform=ax.transAxes, ha="left" if s == 0 else "right",
                    va="top", fontsize=11, color=COLOURS[s])  # fmt: skip
        filled, outline = (
            label("end", lang).format(date=when1),
            label("start", lang).format(date=when0),
        )
        handles = [
            Patch(facecolor=COLOURS[0], alpha=0.85, label=f"{sexes[0]} {filled}"),
            Patch(facecolor=COLOURS[1], alpha=0.85, label=f"{sexes[1]} {filled}"),
            Patch(fill=False, edgecolor=OUTLINE, label=outline),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
        a, b = float(start.sum()), float(end.sum())
        change = 100.0 * (b / a - 1.0) if a > 0 else float("nan")
        total = label("total", lang).format(start=when0, end=when1, a=a, b=b, change=change)
        ax.set_title(total, loc="left", fontsize=9, color="#555555")
        fig.suptitle(label("title", lang))
    return fig


def write_pyramid_figure(table: pd.DataFrame, path: Path, lang: str) -> Path:
    """Draw and save the age pyramid of a run's table (start outline, end filled).

    Args:
        table: tidy monthly table with ``population`` rows by ``age5_sex``.
        path: destination ending in ``.png``; missing parent folders are created.
        lang: ``"ja"`` or ``"en"``.

    Returns:
        The path written.

    Raises:
        ValueError: For an unknown language, several arms, no pyramid rows, or a path not
            ending in ``.png``.
    """
    return save_figure(plot_pyramid(table, lang=lang), Path(path))
