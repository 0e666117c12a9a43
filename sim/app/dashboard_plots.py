"""Figures shared by the dashboard and the reports: headline prevalence and service flows.

Like :mod:`sim.report.plots`, every function takes the tidy output table (``week``, ``date``,
``measure``, ``dimension``, ``group``, ``value``, ``n``) and returns a
:class:`matplotlib.figure.Figure` built without pyplot, in Japanese or English, with the
IPAexGothic font registered by :func:`sim.report.plots.use_japanese_font`. The dashboard passes the
table of a running model (:meth:`sim.app.dashboard.DashboardModel.table`); a report passes the table
of a finished run.
"""

from __future__ import annotations

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure

from sim.core.i18n import check_lang, t
from sim.core.measures import HEADLINE
from sim.report.dates import format_date_axis
from sim.report.plots import STYLE_RC, STYLES, plot_prevalence, use_japanese_font

FLOW_MEASURES: tuple[str, ...] = ("noticed", "referred", "served", "dropped")
"""The service pipeline, in order: noticed -> referred -> served, or dropped."""

STOCK_MEASURES: tuple[str, ...] = ("waiting", "in_service")
"""Residents waiting for, or receiving, consultation at the record week."""

FLOW_COLOURS: dict[str, str] = {
    "noticed": "#0072B2",
    "referred": "#E69F00",
    "served": "#009E73",
    "dropped": "#D55E00",
    "waiting": "#CC79A7",
    "in_service": "#009E73",
}

TEXT: dict[str, dict[str, str]] = {
    "noticed": {"ja": "気づき", "en": "Noticed"},
    "referred": {"ja": "つなぎ（紹介）", "en": "Referred"},
    "served": {"ja": "支援開始", "en": "Served"},
    "dropped": {"ja": "途切れ（脱落）", "en": "Dropped"},
    "waiting": {"ja": "待機中", "en": "Waiting"},
    "in_service": {"ja": "支援中", "en": "In service"},
    "title.headline": {"ja": "孤独感・孤立の主な指標", "en": "Headline loneliness and isolation"},
    "title.flows": {"ja": "支援の流れ", "en": "Service flows"},
    "panel.flows": {
        "ja": "前回の記録以降の人数（月ごと、全人口換算）",
        "en": "Residents since the previous record (monthly, full-population equivalent)",
    },
    "panel.stocks": {
        "ja": "記録時点の人数（全人口換算）",
        "en": "Residents at the record week (full-population equivalent)",
    },
    "no_data": {
        "ja": "まだ記録がありません（「4週進める」で進めてください）",
        "en": "No records yet (press Step)",
    },
}


def text(key: str, lang: str) -> str:
    """Translate a key of this module's :data:`TEXT`.

    Args:
        key: a flow or stock name, or a title key.
        lang: ``"ja"`` or ``"en"``.

    Returns:
        The text in that language.
    """
    return TEXT[key][check_lang(lang)]


def plot_headline(
    table: pd.DataFrame,
    *,
    lang: str = "ja",
    title: str | None = None,
    size: tuple[float, float] = (8.0, 5.2),
) -> Figure:
    """Draw the four headline measures over time with :func:`sim.report.plots.plot_prevalence`.

    Args:
        table: tidy output table (one arm).
        lang: ``"ja"`` or ``"en"``.
        title: figure title; defaults to a translated title.
        size: figure size in inches (the dashboard uses a smaller one than reports).

    Returns:
        The figure: often/always in the upper panel, the other three in the lower.

    Raises:
        ValueError: for an unknown language or when the table has none of the measures.
    """
    rows = table[table["measure"].isin(HEADLINE)]
    if title is None:
        title = text("title.headline", lang)
    fig = plot_prevalence(rows, lang=lang, title=title)
    fig.set_size_inches(*size)
    return fig


def plot_service_flows(
    table: pd.DataFrame,
    *,
    lang: str = "ja",
    title: str | None = None,
    size: tuple[float, float] = (8.0, 5.2),
) -> Figure:
    """Draw the service pipeline over time: monthly flows above, stocks below.

    Values are the recorder's full-population equivalents (simulated counts divided by the
    population scale), summed over the region (``dimension == "all"``).

    Args:
        table: tidy output table (one arm) with the service measures.
        lang: ``"ja"`` or ``"en"``.
        title: figure title; defaults to a translated title.
        size: figure size in inches.

    Returns:
        The figure, with two axes sharing the date axis.

    Raises:
        ValueError: for an unknown language or when the table has no flow measures.
    """
    check_lang(lang)
    use_japanese_font()
    rows = table[(table["dimension"] == "all") & (table["group"] == "all")]
    rows = rows[rows["measure"].isin(FLOW_MEASURES + STOCK_MEASURES)]
    if rows.empty or not rows["measure"].isin(FLOW_MEASURES).any():
        raise ValueError("table has no service-flow measures for dimension 'all'")
    rows = rows.assign(date=pd.to_datetime(rows["date"]))
    with mpl.rc_context(STYLE_RC):
        fig = Figure(figsize=size, layout="constrained")
        axes = fig.subplots(2, 1, sharex=True)
        for ax, measures, key in (
            (axes[0], FLOW_MEASURES, "panel.flows"),
            (axes[1], STOCK_MEASURES, "panel.stocks"),
        ):
            for index, measure in enumerate(measures):
                series = rows[rows["measure"] == measure].groupby("date")["value"].mean()
                ax.plot(
                    series.index.to_numpy(dtype="datetime64[ns]"),
                    series.to_numpy(),
                    color=FLOW_COLOURS[measure],
                    linestyle=STYLES[index % len(STYLES)],
                    marker="o",
                    markersize=3,
                    linewidth=1.8,
                    label=text(measure, lang),
                )
            ax.set_ylim(bottom=0)
            ax.set_ylabel(t("axis.count", lang))
            ax.set_title(text(key, lang), loc="left")
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        format_date_axis(axes[-1], rows, lang)
        axes[-1].set_xlabel(t("axis.date", lang))
        fig.suptitle(title if title is not None else text("title.flows", lang))
    return fig


def plot_placeholder(message: str, *, size: tuple[float, float] = (8.0, 5.2)) -> Figure:
    """A blank figure carrying one centred message (before the first record, or on error).

    Args:
        message: the text to show (Japanese is rendered).
        size: figure size in inches.

    Returns:
        The figure.
    """
    use_japanese_font()
    fig = Figure(figsize=size)
    fig.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color="#555555")
    return fig
