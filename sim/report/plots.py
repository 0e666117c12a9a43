"""Print-quality figures of the simulation's tidy output table, in Japanese or English.

The functions take the long table written by the simulation (columns ``week``, ``date``,
``measure``, ``dimension``, ``group``, ``value``, ``n`` and optionally ``seed`` and ``arm``) and
return :class:`matplotlib.figure.Figure` objects built without pyplot, so nothing is shown and
no pyplot figure registry is touched. Save them with :func:`save_figure`.

Japanese text needs a font with Japanese glyphs: :func:`use_japanese_font` registers the IPAexGothic
font shipped with matplotlib-fontja and puts it first in matplotlib's sans-serif list. The plot
functions call it themselves (municipality names are Japanese in both languages).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.core.codes import AGE_GROUPS
from sim.core.i18n import check_lang, group_label, measure_label, t
from sim.core.measures import CATEGORIES, INDICATORS
from sim.report.dates import fiscal_month_ticks as fiscal_month_ticks  # tests import it here
from sim.report.dates import format_date, format_date_axis

if TYPE_CHECKING:
    from sim.engine.model import Results


NOT_SHARES: frozenset[str] = frozenset({"mean_friends"})
"""Measures that are not shares of residents (plotted as they are, not in %)."""

# Okabe & Ito (2008) colour-blind-safe palette; line styles keep lines apart in greyscale.
COLOURS: dict[str, str] = {
    "never": "#0072B2",
    "hardly_ever": "#56B4E9",
    "occasionally": "#CC79A7",
    "sometimes": "#E69F00",
    "often_always": "#D55E00",
    "any_loneliness": "#000000",
    "ucla3_top": "#E69F00",
    "chronic_loneliness": "#CC79A7",
    "no_in_person_contact": "#009E73",
    "no_social_activity": "#0072B2",
}
STYLES: tuple[str | tuple[int, tuple[int, ...]], ...] = (
    "-",
    "--",
    "-.",
    ":",
    (0, (5, 1, 1, 1, 1, 1)),
)
BAR_COLOUR = "#0072B2"
BAND_ALPHA = 0.2
QUANTILES: tuple[float, float] = (0.05, 0.95)
STYLE_RC: dict[str, object] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
}

At = Literal["last", "last_52_weeks"]


def use_japanese_font() -> str:
    """Make matplotlib render Japanese text with the IPAexGothic font of matplotlib-fontja.

    Registers the font file with matplotlib's font manager (once) and puts it first in
    ``rcParams["font.sans-serif"]`` with ``rcParams["font.family"] = "sans-serif"``, so
    other sans-serif fonts remain as fallbacks. Calling it again changes nothing.

    Returns:
        The font family name, ``"IPAexGothic"``.
    """
    import matplotlib_fontja  # importing it also runs its own japanize()
    from matplotlib import font_manager

    path = Path(matplotlib_fontja.get_font_ttf_path()).resolve()
    known = {Path(entry.fname).resolve() for entry in font_manager.fontManager.ttflist}
    if path not in known:
        font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    others = [family for family in mpl.rcParams["font.sans-serif"] if family != name]
    mpl.rcParams["font.sans-serif"] = [name, *others]
    mpl.rcParams["font.family"] = "sans-serif"
    return name


def plot_prevalence(table: pd.DataFrame, *, lang: str = "ja", title: str | None = None) -> Figure:
    """Draw loneliness prevalence over time for the whole population (``dimension == "all"``).

    The upper panel shows the five answers to the direct question, the lower one
    ``any_loneliness``, ``ucla3_top`` and the isolation indicators, all in %. Panels whose
    measures are absent are left out. With several seeds, lines are the median across seeds and
    shaded bands the 5-95% range.

    Args:
        table: Tidy output table with at most one ``arm``.
        lang: ``"ja"`` or ``"en"``.
        title: Figure title; defaults to a translated generic title.

    Returns:
        The figure (one or two axes, the last one carrying the date axis).

    Raises:
        ValueError: For an unknown language, several arms, or no prevalence rows.
    """
    check_lang(lang)
    use_japanese_font()
    rows = _single_arm(table)
    rows = rows[rows["dimension"] == "all"]
    panels = [
        (key, [m for m in measures if m in set(rows["measure"])])
        for key, measures in (("panel.categories", CATEGORIES), ("panel.indicators", INDICATORS))
    ]
    panels = [(key, measures) for key, measures in panels if measures]
    if not panels:
        raise ValueError("table has no prevalence measures for dimension 'all'")
    n_seeds = _n_seeds(rows)
    with mpl.rc_context(STYLE_RC):
        fig = Figure(figsize=(9.0, 3.4 * len(panels) + 0.6), layout="constrained")
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        for ax, (key, measures) in zip(axes, panels, strict=True):
            _draw_panel(ax, rows, measures, lang)
            ax.set_title(t(key, lang), loc="left")
        if n_seeds > 1:
            note = t("note.seed_band", lang).format(n=n_seeds)
            axes[0].set_title(note, loc="right", fontsize=8, color="#555555")
        format_date_axis(axes[-1], rows, lang)
        axes[-1].set_xlabel(t("axis.date", lang))
        fig.suptitle(title if title is not None else t("title.prevalence", lang))
    return fig


def plot_by_group(
    table: pd.DataFrame,
    dimension: str,
    measure: str = "any_loneliness",
    *,
    lang: str = "ja",
    at: At = "last",
) -> Figure:
    """Draw a horizontal bar chart of one measure by group.

    Age groups, sexes and household types keep their code order (first at the top);
    municipalities are sorted from the highest value down. With several seeds, bars are the
    median across seeds and whiskers the 5-95% range.

    Args:
        table: Tidy output table with at most one ``arm``.
        dimension: ``"age_group"``, ``"sex"``, ``"household_type"`` or ``"municipality"``.
        measure: Measure to draw; shares are shown in %.
        lang: ``"ja"`` or ``"en"``.
        at: ``"last"`` for the last recorded week, ``"last_52_weeks"`` for the mean over the
            last 52 recorded weeks (per seed, before taking the median).

    Returns:
        The figure, with one axes.

    Raises:
        ValueError: For an unknown language or ``at``, several arms, or no matching rows.
    """
    check_lang(lang)
    if at not in ("last", "last_52_weeks"):
        raise ValueError(f"unknown at={at!r}; expected 'last' or 'last_52_weeks'")
    use_japanese_font()
    rows = _single_arm(table)
    rows = rows[(rows["dimension"] == dimension) & (rows["measure"] == measure)]
    if rows.empty:
        raise ValueError(f"table has no rows for measure {measure!r} by {dimension!r}")
    last = int(rows["week"].max())
    first = last if at == "last" else last - 51
    rows = rows[rows["week"] >= first]
    summary = _summarise(rows.assign(group=rows["group"].astype(str)), by="group")
    summary = _order_groups(summary, dimension)
    scale = 1.0 if measure in NOT_SHARES else 100.0
    n_seeds = _n_seeds(rows)
    with mpl.rc_context({**STYLE_RC, "axes.grid.axis": "x"}):
        fig = Figure(figsize=(7.0, 1.6 + 0.38 * len(summary)), layout="constrained")
        ax = fig.add_subplot()
        positions = np.arange(len(summary))
        errors = None
        if n_seeds > 1:
            errors = scale * np.vstack(
                [summary["mid"] - summary["lo"], summary["hi"] - summary["mid"]]
            )
        bars = ax.barh(
            positions,
            scale * summary["mid"].to_numpy(),
            xerr=errors,
            color=BAR_COLOUR,
            error_kw={"ecolor": "#333333", "capsize": 3, "linewidth": 1},
        )
        ax.bar_label(bars, fmt="%.2f" if scale == 1.0 else "%.1f", padding=3, fontsize=8)
        labels = [group_label(dimension, group, lang) for group in summary.index]
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()
        ax.set_axisbelow(True)
        ax.margins(x=0.12)
        ax.set_xlabel(t("axis.share", lang) if scale == 100.0 else measure_label(measure, lang))
        ax.set_ylabel(t(dimension, lang))
        ax.set_title(_by_group_title(rows, dimension, measure, lang, at, n_seeds), loc="left")
    return fig


def save_figure(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG at 150 dpi with a tight bounding box.

    Args:
        fig: Figure to save.
        path: Destination ending in ``.png``; missing parent folders are created.

    Returns:
        The path written.

    Raises:
        ValueError: If the path does not end in ``.png``.
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"save_figure writes PNG; got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=150, bbox_inches="tight")
    return path


def write_prevalence_figure(results: Results, path: Path) -> Path:
    """Draw and save the prevalence figure of a run (``prevalence.png`` of its output folder).

    Args:
        results: the run (its table, language, region, residents and seed).
        path: destination ending in ``.png``.

    Returns:
        The path written.
    """
    fig = plot_prevalence(results.table, lang=results.config.lang, title=run_title(results))
    return save_figure(fig, path)


def run_title(results: Results) -> str:
    """Title of a run's figure: region, residents and seed (in the run's language)."""
    r = results.region
    if results.config.lang == "ja":
        return f"{r.name_ja}（{results.n_residents:,}人、シード{results.config.seed}）"
    return f"{r.name_en} ({results.n_residents:,} residents, seed {results.config.seed})"


def _single_arm(table: pd.DataFrame) -> pd.DataFrame:
    """Return the table if it holds at most one arm, else raise ValueError."""
    if "arm" in table.columns and table["arm"].nunique() > 1:
        arms = ", ".join(map(str, sorted(table["arm"].unique())))
        raise ValueError(f"table holds several arms ({arms}); select one arm before plotting")
    return table


def _n_seeds(rows: pd.DataFrame) -> int:
    """Count the runs in the table (1 without a ``seed`` column)."""
    return int(rows["seed"].nunique()) if "seed" in rows.columns else 1


def _summarise(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Average over weeks within each run, then take median and 5-95% quantiles across runs.

    Returns:
        A frame indexed by ``by`` with columns ``mid``, ``lo`` and ``hi``.
    """
    keys = [by, "seed"] if "seed" in rows.columns else [by]
    per_run = rows.groupby(keys, sort=False)["value"].mean().groupby(level=by, sort=False)
    return pd.DataFrame(
        {
            "mid": per_run.median(),
            "lo": per_run.quantile(QUANTILES[0]),
            "hi": per_run.quantile(QUANTILES[1]),
        }
    )


def _draw_panel(ax: Axes, rows: pd.DataFrame, measures: list[str], lang: str) -> None:
    """Draw one line (and band, with several seeds) per measure, in %."""
    multi = _n_seeds(rows) > 1
    for index, measure in enumerate(measures):
        series = rows[rows["measure"] == measure]
        series = series.assign(date=pd.to_datetime(series["date"]))
        summary = _summarise(series, by="date").sort_index()
        dates = summary.index.to_numpy(dtype="datetime64[ns]")
        colour = COLOURS.get(measure, "#000000")
        ax.plot(
            dates,
            100 * summary["mid"].to_numpy(),
            color=colour,
            linestyle=STYLES[index % len(STYLES)],
            linewidth=1.8,
            label=measure_label(measure, lang, short=True),
        )
        if multi:
            ax.fill_between(
                dates,
                100 * summary["lo"].to_numpy(),
                100 * summary["hi"].to_numpy(),
                color=colour,
                alpha=BAND_ALPHA,
                linewidth=0,
            )
    _mark_policy_start(ax, rows, lang)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(t("axis.share", lang))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _mark_policy_start(ax: Axes, rows: pd.DataFrame, lang: str) -> None:
    """Draw a vertical line at week 0 when the table also holds weeks before it."""
    start = rows.loc[rows["week"] == 0, "date"]
    if start.empty or rows["week"].min() >= 0:
        return
    when = np.datetime64(pd.Timestamp(start.iloc[0]).to_datetime64(), "ns")
    ax.axvline(when, color="#555555", linewidth=1, linestyle="--", zorder=0)
    ax.annotate(
        t("policy_start", lang),
        xy=(when, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -3),
        textcoords="offset points",
        va="top",
        fontsize=8,
        color="#555555",
    )


def _order_groups(summary: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Order groups: code or age order, or by value (highest first) for municipalities."""
    if dimension == "municipality":
        return summary.sort_values("mid", ascending=False)
    if dimension == "age_group":
        rank = {name: i for i, (name, _, _) in enumerate(AGE_GROUPS)}
        return summary.sort_index(key=lambda idx: idx.map(lambda g: rank.get(g, len(rank))))
    try:
        return summary.sort_index(key=lambda idx: idx.astype(int))
    except ValueError:
        return summary.sort_index()


def _by_group_title(
    rows: pd.DataFrame, dimension: str, measure: str, lang: str, at: At, n_seeds: int
) -> str:
    """Compose the title of a by-group chart with the period (and runs) on a second line."""
    head = t("title.by_group", lang).format(
        measure=measure_label(measure, lang), by=t(f"by.{dimension}", lang)
    )
    dates = pd.to_datetime(rows["date"])
    end = format_date(dates.max(), lang)
    if at == "last":
        period = t("note.last_week", lang).format(date=end)
    else:
        period = t("note.last_52_weeks", lang).format(start=format_date(dates.min(), lang), end=end)
    if n_seeds > 1:
        separator = "、" if lang == "ja" else "; "
        period = f"{period}{separator}{t('note.seed_bars', lang).format(n=n_seeds)}"
    return f"{head}\n{period}"
