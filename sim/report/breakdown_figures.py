"""Breakdown figures of a run's report: effect by age, by municipality, calibration by age, flows.

Same conventions as :mod:`sim.report.figures` (small tables in, Figures out, A4 width, Okabe-Ito
palette, ja/en).
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.core.codes import AGE_GROUPS
from sim.core.i18n import check_lang, group_label
from sim.report.figures import ARM_COLOURS, _new, _pct_axis
from sim.report.labels import label
from sim.report.plots import STYLE_RC, use_japanese_font


def plot_age_effect(averted: pd.Series, *, lang: str = "ja") -> Figure:
    """Person-years of loneliness averted by age group (bars; negative: more loneliness)."""
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    rank = {g: i for i, (g, _, _) in enumerate(AGE_GROUPS)}
    averted = averted.sort_index(key=lambda idx: idx.map(lambda g: rank.get(g, 99)))
    with mpl.rc_context({**STYLE_RC, "axes.grid.axis": "x"}):
        fig, (ax,) = _new(0.9 + 0.3 * len(averted))
        y = np.arange(len(averted))
        colours = ["#0072B2" if v >= 0 else "#D55E00" for v in averted]
        bars = ax.barh(y, averted.to_numpy(), color=colours)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in averted], padding=3, fontsize=8)
        ax.set_yticks(y, [group_label("age_group", g, lang) for g in averted.index])
        ax.invert_yaxis()
        ax.axvline(0, color="#555555", lw=0.8)
        ax.margins(x=0.15)
        ax.set_xlabel(label("py_averted_lonely", lang))
        ax.set_title(label("sec.age", lang), loc="left")
    return fig


def plot_calibration_age(model: pd.DataFrame, survey: pd.DataFrame, *, lang: str = "ja") -> Figure:
    """The model's December values by age against the national survey's age rows.

    Args:
        model: columns ``measure``, ``group`` (age group such as ``20-29``), ``mid``, ``lo``,
            ``hi`` (shares; lo-hi is the range over Decembers and seeds).
        survey: columns ``measure``, ``group`` (age group), ``value_pct``, ``year``.
        lang: ``ja`` or ``en``.
    """
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    measures = [m for m in ("often_always", "any_loneliness") if m in set(model["measure"])]
    if not measures:
        raise ValueError("no often_always or any_loneliness rows by age")
    rank = {g: i for i, (g, _, _) in enumerate(AGE_GROUPS)}
    from sim.core.i18n import measure_label

    with mpl.rc_context(STYLE_RC):
        fig, axes = _new(3.0, ncols=len(measures))
        for ax, measure in zip(axes, measures, strict=True):
            m = model[model["measure"] == measure].copy()
            m = m.sort_values("group", key=lambda s: s.map(lambda g: rank.get(g, 99)))
            x = np.arange(len(m))
            err = 100 * np.vstack([m["mid"] - m["lo"], m["hi"] - m["mid"]])
            ax.bar(
                x,
                100 * m["mid"],
                color="#56B4E9",
                yerr=err,
                capsize=2,
                error_kw={"ecolor": "#333333", "lw": 0.8},
                label=label("model_dec", lang),
            )
            s = survey[survey["measure"] == measure]
            pos = {g: i for i, g in enumerate(m["group"])}
            sx = [pos[g] for g in s["group"] if g in pos]
            sy = [v for g, v in zip(s["group"], s["value_pct"], strict=True) if g in pos]
            if sx:
                ax.scatter(
                    sx, sy, marker="D", color="#D55E00", zorder=3, s=28, label=label("survey", lang)
                )
            ticks = [group_label("age_group", g, lang) for g in m["group"]]
            ax.set_xticks(x, ticks, rotation=45, ha="right", fontsize=8)
            ax.set_title(measure_label(measure, lang), loc="left", fontsize=10)
            ax.set_ylabel(label("share_pct", lang))
            _pct_axis(ax)
            ax.set_ylim(bottom=0)
        axes[0].legend(fontsize=8, frameon=False, loc="upper right")
    return fig


def plot_municipality_difference(averted: pd.Series, *, lang: str = "ja") -> Figure:
    """Lonely share averted by municipality (baseline - package, points; positive: fewer lonely).

    Args:
        averted: share averted (0-1) by municipality, in the one sign convention.
        lang: ``ja`` or ``en``.
    """
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    diff = averted.sort_values(ascending=False)
    with mpl.rc_context({**STYLE_RC, "axes.grid.axis": "x"}):
        fig, (ax,) = _new(1.0 + 0.24 * len(diff))
        y = np.arange(len(diff))
        colours = ["#0072B2" if v >= 0 else "#D55E00" for v in diff]
        ax.barh(y, 100 * diff.to_numpy(), color=colours)
        ax.set_yticks(y, [str(g) for g in diff.index], fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="#555555", lw=0.8)
        ax.set_xlabel(label("diff_pp", lang))
        ax.set_title(
            f"{label('lonely.short', lang)}：{label('municipality', lang)}"
            if lang == "ja"
            else f"{label('lonely.short', lang)} by municipality",
            loc="left",
        )
    return fig


def plot_flows(flows: pd.DataFrame, *, lang: str = "ja") -> Figure:
    """Service flows as a funnel of horizontal bars, one colour per arm.

    Args:
        flows: index = flow names in order (``noticed``, ``referred``, ...), one column per arm
            (persons at full population over the whole period).
        lang: ``ja`` or ``en``.
    """
    check_lang(lang)
    use_japanese_font()  # before rc_context: it must outlive the context
    arms = list(flows.columns)
    with mpl.rc_context({**STYLE_RC, "axes.grid.axis": "x"}):
        fig, (ax,) = _new(1.2 + 0.32 * len(flows) * max(1, len(arms)) ** 0.6)
        h = 0.8 / len(arms)
        y = np.arange(len(flows))
        for i, arm in enumerate(arms):
            colour = ARM_COLOURS[i % len(ARM_COLOURS)] if len(arms) > 1 else "#0072B2"
            if len(arms) > 1 and i == 0:
                colour = "#999999"
            bars = ax.barh(
                y + (i - (len(arms) - 1) / 2) * h,
                flows[arm].to_numpy(),
                h,
                color=colour,
                label=str(arm),
                hatch="" if i else ("//" if len(arms) > 1 else ""),
            )
            ax.bar_label(bars, labels=[f"{v:,.0f}" for v in flows[arm]], padding=2, fontsize=7)
        ax.set_yticks(y, [label(f, lang) for f in flows.index])
        ax.invert_yaxis()
        ax.margins(x=0.18)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_xlabel(label("persons_full", lang))
        ax.set_title(label("sec.flows", lang), loc="left")
        if len(arms) > 1:
            ax.legend(fontsize=8, frameon=False, loc="lower right")
    return fig
