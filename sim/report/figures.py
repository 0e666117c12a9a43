"""Figures of the HTML report and the dashboard: small inputs in, matplotlib Figures out.

Each function takes a small, already-summarised table (the report computes it from a run's
output folder or an experiment store) and returns a :class:`matplotlib.figure.Figure` built
without pyplot, in Japanese (default) or English, sized for an A4 page (7 inches wide), with the
Okabe-Ito colour-blind-safe palette of :mod:`sim.report.plots` and hatching or markers that survive
greyscale printing. :func:`png_bytes` renders a figure for embedding (170 dpi).
"""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.core.i18n import check_lang
from sim.report.dates import format_date_axis
from sim.report.labels import funder_label, label
from sim.report.plots import STYLE_RC, use_japanese_font

#: Okabe-Ito colours for arms (packages): the baseline is black.
ARM_COLOURS = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
ARM_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
FUNDER_COLOURS = {
    "national_grant": "#0072B2",
    "prefecture": "#E69F00",
    "municipality": "#009E73",
    "npo": "#CC79A7",
}
FUNDER_HATCHES = {"national_grant": "", "prefecture": "//", "municipality": "..", "npo": "xx"}
WIDTH = 7.0  # inches: the text width of an A4 page with 15 mm margins
DPI = 170


def png_bytes(fig: Figure, dpi: int | None = None) -> bytes:
    """Render a figure as PNG bytes (tight bounding box; default :data:`DPI`)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or DPI, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def _new(height: float, ncols: int = 1, nrows: int = 1, **kw) -> tuple[Figure, np.ndarray]:
    use_japanese_font()
    fig = Figure(figsize=(WIDTH, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes.ravel()


def _pct_axis(ax, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def plot_arms_over_time(series: pd.DataFrame, *, lang: str = "ja", title: str = "") -> Figure:
    """Share lonely (often/always or sometimes) over time by arm, with 5-95% bands over seeds.

    Args:
        series: columns ``date``, ``arm``, ``value`` (share) and optionally ``seed``; the first
            arm listed is drawn in black (the baseline).
        lang: ``ja`` or ``en``.
        title: figure title.
    """
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    with mpl.rc_context(STYLE_RC):
        fig, (ax,) = _new(3.4)
        seeds = series["seed"].nunique() if "seed" in series else 1
        for i, (arm, rows) in enumerate(series.groupby("arm", sort=False)):
            rows = rows.assign(date=pd.to_datetime(rows["date"]))
            q = rows.groupby("date")["value"].quantile([0.05, 0.5, 0.95]).unstack().sort_index()
            colour = ARM_COLOURS[i % len(ARM_COLOURS)]
            x = q.index.to_numpy(dtype="datetime64[ns]")
            ax.plot(
                x,
                100 * q[0.5].to_numpy(),
                color=colour,
                lw=1.8,
                label=str(arm),
                marker=ARM_MARKERS[i % len(ARM_MARKERS)],
                markevery=6,
                ms=4,
            )
            if seeds > 1:
                ax.fill_between(
                    x,
                    100 * q[0.05].to_numpy(),
                    100 * q[0.95].to_numpy(),
                    color=colour,
                    alpha=0.18,
                    lw=0,
                )
        ax.set_ylabel(label("share_pct", lang))
        _pct_axis(ax)
        note = f"{label('median', lang)}\n{label('range', lang)} (n={seeds})" if seeds > 1 else None
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            fontsize=8,
            title=note,
            title_fontsize=7,
        )
        ax.set_title(title or label("lonely", lang), loc="left")
        format_date_axis(ax, series["date"], lang)
    return fig


def plot_costs_by_funder(costs: pd.DataFrame, *, lang: str = "ja") -> Figure:
    """Stacked bars of cost by funder for each fiscal year, one panel per arm.

    Args:
        costs: columns ``arm``, ``fiscal_year`` (int), ``funder``, ``value`` (yen).
        lang: ``ja`` or ``en``.
    """
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    arms = list(dict.fromkeys(costs["arm"]))
    funders = [f for f in FUNDER_COLOURS if f in set(costs["funder"])]
    top = costs.groupby(["arm", "fiscal_year"])["value"].sum().max() / 1e6
    with mpl.rc_context(STYLE_RC):
        fig, axes = _new(3.2, ncols=len(arms), sharey=True)
        for ax, arm in zip(axes, arms, strict=True):
            wide = (
                costs[costs["arm"] == arm]
                .pivot_table(
                    index="fiscal_year",
                    columns="funder",
                    values="value",
                    aggfunc="sum",
                    fill_value=0.0,
                )
                .sort_index()
            )
            x = np.arange(len(wide))
            bottom = np.zeros(len(wide))
            for f in funders:
                v = wide[f].to_numpy() / 1e6 if f in wide else np.zeros(len(wide))
                ax.bar(
                    x,
                    v,
                    bottom=bottom,
                    color=FUNDER_COLOURS[f],
                    hatch=FUNDER_HATCHES[f],
                    edgecolor="white",
                    lw=0.5,
                    label=funder_label(f, lang),
                )
                bottom += v
            for xi, b in zip(x, bottom, strict=True):
                ax.annotate(
                    f"{b:,.0f}",
                    (xi, b),
                    xytext=(0, 2),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                )
            fy = [f"{y}年度" if lang == "ja" else f"FY{y}" for y in wide.index]
            ax.set_xticks(x, fy, fontsize=8)
            ax.set_title(str(arm), loc="left", fontsize=10)
            ax.set_ylim(0, max(top, 1e-9) * 1.12)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        axes[0].set_ylabel(label("cost_myen", lang))
        handles, labels_ = axes[0].get_legend_handles_labels()
        fig.legend(
            handles,
            labels_,
            loc="outside lower center",
            ncols=len(funders),
            frameon=False,
            fontsize=8,
        )
    return fig


def plot_ce_plane(points: pd.DataFrame, *, lang: str = "ja") -> Figure:
    """Cost-effectiveness plane: person-years averted (x) against added cost (y).

    Args:
        points: columns ``package``, ``averted`` (person-years), ``added_cost`` (yen); one row
            per package and seed (paired with its baseline). Package means are drawn larger.
        lang: ``ja`` or ``en``.
    """
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    with mpl.rc_context({**STYLE_RC, "axes.grid.axis": "both"}):
        fig, (ax,) = _new(4.6)
        for i, (package, rows) in enumerate(points.groupby("package", sort=False)):
            colour = ARM_COLOURS[(i + 1) % len(ARM_COLOURS)]
            marker = ARM_MARKERS[(i + 1) % len(ARM_MARKERS)]
            x, y = rows["averted"].to_numpy(), rows["added_cost"].to_numpy() / 1e6
            if len(rows) > 1:
                ax.scatter(x, y, color=colour, marker=marker, s=14, alpha=0.45, lw=0)
            ax.scatter(
                [x.mean()],
                [y.mean()],
                color=colour,
                marker=marker,
                s=70,
                edgecolor="black",
                lw=0.7,
                label=str(package),
                zorder=3,
            )
        ax.axhline(0, color="#555555", lw=0.8)
        ax.axvline(0, color="#555555", lw=0.8)
        xmax = max(1.0, float(np.nanmax(np.abs(points["averted"])))) * 1.15
        ymax = max(1e-6, float(np.nanmax(points["added_cost"]) / 1e6)) * 1.15
        ax.set_xlim(min(-0.1 * xmax, float(np.nanmin(points["averted"])) * 1.15), xmax)
        ax.set_ylim(min(-0.1 * ymax, float(np.nanmin(points["added_cost"]) / 1e6) * 1.15), ymax)
        for v, txt in (
            ((1e5, "10万"), (1e6, "100万")) if lang == "ja" else ((1e5, "100k"), (1e6, "1m"))
        ):
            xs = np.linspace(0, xmax, 20)
            ax.plot(xs, xs * v / 1e6, color="#BBBBBB", lw=0.8, ls="--", zorder=0)
            xe = min(xmax, ymax * 1e6 / v) * 0.95
            unit = "円/人年" if lang == "ja" else " yen/PY"
            ax.annotate(
                f"{txt}{unit}",
                (xe, xe * v / 1e6),
                fontsize=7,
                color="#777777",
                ha="right",
                va="bottom",
            )
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_xlabel(label("py_averted_lonely", lang))
        ax.set_ylabel(label("added_cost", lang))
        ax.set_title(label("sec.ce", lang), loc="left")
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def plot_cost_bars(costs: pd.Series, *, lang: str = "ja") -> Figure:
    """Mean added cost by package (million yen), when costs by year are not kept."""
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    with mpl.rc_context({**STYLE_RC, "axes.grid.axis": "x"}):
        fig, (ax,) = _new(0.9 + 0.35 * len(costs))
        y = np.arange(len(costs))
        bars = ax.barh(y, costs.to_numpy() / 1e6, color="#009E73")
        ax.bar_label(bars, labels=[f"{v / 1e6:,.0f}" for v in costs], padding=3, fontsize=8)
        ax.set_yticks(y, [str(i) for i in costs.index])
        ax.invert_yaxis()
        ax.margins(x=0.15)
        ax.set_xlabel(label("added_cost", lang))
    return fig


def plot_morris(indices: pd.DataFrame, outcome: str, *, lang: str = "ja") -> Figure:
    """Morris screening: mu* with bootstrap intervals (bars), DUMMY in vermilion."""
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    d = indices.sort_values("mu_star")
    with mpl.rc_context({**STYLE_RC, "axes.grid.axis": "x"}):
        fig, (ax1, ax2) = _new(max(2.6, 0.26 * len(d) + 1.2), ncols=2)
        colours = ["#D55E00" if p == "DUMMY" else "#0072B2" for p in d["parameter"]]
        y = np.arange(len(d))
        ax1.barh(y, d["mu_star"], xerr=d["mu_star_conf"].fillna(0), color=colours, capsize=2)
        ax1.set_yticks(y, [str(p) for p in d["parameter"]], fontsize=7)
        ax1.set_xlabel(label("mu_star", lang))
        ax2.scatter(d["mu_star"], d["sigma"], color=colours, s=18)
        for row in d.tail(5).itertuples():
            ax2.annotate(
                str(row.parameter).rsplit(".", 1)[-1],
                (row.mu_star, row.sigma),
                fontsize=7,
                xytext=(2, 2),
                textcoords="offset points",
            )
        ax2.set_xlabel(label("mu_star", lang))
        ax2.set_ylabel(label("sigma", lang))
        fig.suptitle(f"Morris: {label(outcome, lang)}", fontsize=10)
    return fig


def plot_sobol(indices: pd.DataFrame, outcome: str, *, lang: str = "ja") -> Figure:
    """Sobol first-order and total indices with bootstrap intervals."""
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    d = indices.sort_values("ST")
    with mpl.rc_context({**STYLE_RC, "axes.grid.axis": "x"}):
        fig, (ax,) = _new(max(2.4, 0.3 * len(d) + 1.0))
        y = np.arange(len(d))
        ax.barh(
            y - 0.2,
            d["S1"],
            0.4,
            xerr=d["S1_conf"].fillna(0),
            color="#56B4E9",
            capsize=2,
            label=label("s1", lang),
        )
        ax.barh(
            y + 0.2,
            d["ST"],
            0.4,
            xerr=d["ST_conf"].fillna(0),
            color="#0072B2",
            hatch="//",
            edgecolor="white",
            capsize=2,
            label=label("st", lang),
        )
        ax.set_yticks(y, [str(p) for p in d["parameter"]], fontsize=7)
        ax.axvline(0, color="#555555", lw=0.8)
        ax.set_xlabel(label("sobol_index", lang))
        ax.set_title(f"Sobol: {label(outcome, lang)}", loc="left", fontsize=10)
        ax.legend(fontsize=8, frameon=False, loc="lower right")
    return fig
