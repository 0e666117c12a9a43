"""Figures of experiments, with intervals, in Japanese (default) or English.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot; save it with
:func:`save` (PNG, written atomically).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.report.plots import COLOURS, use_japanese_font

PALETTE = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")

TEXT: dict[str, dict[str, str]] = {
    "level": {"ja": "割合（16歳以上）", "en": "share of residents 16+"},
    "diff": {
        "ja": "ベースラインとの差（対応のある差）",
        "en": "difference from the paired baseline",
    },
    "band": {"ja": "中央値と5〜95%の範囲", "en": "median and 5-95% range"},
    "averted": {"ja": "回避された孤独の人年", "en": "person-years of loneliness averted"},
    "added": {"ja": "追加費用（円、期間合計）", "en": "added cost (yen, whole horizon)"},
    "added_m": {
        "ja": "追加費用（百万円、期間合計）",
        "en": "added cost (million yen, whole horizon)",
    },
    "budget": {"ja": "予算", "en": "budget"},
    "ce": {
        "ja": "費用効果平面（点＝不確かさの世界ひとつ、×＝平均）",
        "en": "cost-effectiveness plane (dot = one sampled world, X = mean)",
    },
    "ceac": {
        "ja": "費用効果受容曲線（CEAC）",
        "en": "cost-effectiveness acceptability curve (CEAC)",
    },
    "wtp": {
        "ja": "回避1人年に払ってよい額（万円）",
        "en": "willingness to pay per person-year averted (10,000 yen)",
    },
    "p_ce": {
        "ja": "純便益が最大になる確率",
        "en": "probability of the highest net benefit",
    },
    "baseline_option": {"ja": "追加の施策なし（基準）", "en": "no added package (baseline)"},
    "mu_star": {"ja": "μ*（影響の大きさ）", "en": "mu* (size of effect)"},
    "sigma": {"ja": "σ（非線形性・交互作用）", "en": "sigma (non-linearity, interactions)"},
    "index": {"ja": "Sobol指数（95%区間）", "en": "Sobol index (95% interval)"},
    "morris": {"ja": "Morrisスクリーニング", "en": "Morris screening"},
    "sobol": {"ja": "Sobol感度指数", "en": "Sobol sensitivity indices"},
}


def _t(key: str, lang: str) -> str:
    return TEXT[key]["ja" if lang == "ja" else "en"]


def outcome_bands(
    series: pd.DataFrame, runs: pd.DataFrame, baseline: str, measure: str, lang: str = "ja"
) -> Figure:
    """Levels by package (median, 5-95% band over runs) and paired differences from baseline."""
    use_japanese_font()
    s = series[series["measure"] == measure].merge(
        runs[["run_id", "package", "sample", "replicate"]], on="run_id"
    )
    s["date"] = pd.to_datetime(s["date"])
    fig = Figure(figsize=(11, 4.2))
    ax1, ax2 = fig.subplots(1, 2)
    base = s[s["package"] == baseline].set_index(["sample", "replicate", "date"])["value"]
    for i, (package, rows) in enumerate(s.groupby("package", sort=False)):
        colour = PALETTE[i % len(PALETTE)]
        _band(ax1, rows.groupby("date")["value"], colour, package)
        if package != baseline:
            arm = rows.set_index(["sample", "replicate", "date"])["value"]
            diff = (arm - base).dropna().reset_index()
            _band(ax2, diff.groupby("date")["value"], colour, package)
    ax2.axhline(0, color="0.5", lw=0.8)
    ax1.set_title(f"{measure}: {_t('band', lang)}")
    ax1.set_ylabel(_t("level", lang))
    ax2.set_title(_t("diff", lang))
    for ax in (ax1, ax2):
        ax.legend(fontsize=8)
        ax.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    return fig


def _band(ax, grouped, colour: str, label: str) -> None:
    q = grouped.quantile([0.05, 0.5, 0.95]).unstack()
    ax.fill_between(q.index, q[0.05], q[0.95], color=colour, alpha=0.18, lw=0)
    ax.plot(q.index, q[0.5], color=colour, lw=1.6, label=label)


def cost_effectiveness_plane(
    averted: pd.DataFrame,
    added: pd.DataFrame,
    target: str,
    budget: float | None = None,
    lang: str = "ja",
) -> Figure:
    """The cost-effectiveness plane: one point per world and package, and their means.

    Args:
        averted: person-years of ``target`` averted by world (rows) and option (columns, the
            baseline first; :func:`experiments.compare.world_effects`).
        added: added cost over the horizon (yen), same shape.
        target: the person-year outcome (axis label).
        budget: a cap on added cost over the horizon (dashed line), if any.
        lang: ``ja`` or ``en``.
    """
    use_japanese_font()
    fig = Figure(figsize=(6.5, 5))
    ax = fig.subplots()
    for i, package in enumerate(averted.columns[1:]):
        colour = PALETTE[(i + 1) % len(PALETTE)]
        x, y = averted[package].to_numpy(float), added[package].to_numpy(float)
        ax.scatter(x, y, s=14, alpha=0.45, color=colour, lw=0, label=f"{package} (n={x.size})")
        ax.scatter([np.nanmean(x)], [np.nanmean(y)], s=90, marker="X", color=colour,
                   edgecolor="white", lw=0.8, zorder=3)  # fmt: skip
    ax.axhline(0, color="0.5", lw=0.8)
    ax.axvline(0, color="0.5", lw=0.8)
    if budget is not None:
        ax.axhline(budget, color=COLOURS["often_always"], ls="--", lw=1, label=_t("budget", lang))
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1e6:,.0f}"))
    ax.set_xlabel(f"{_t('averted', lang)} ({target})")
    ax.set_ylabel(_t("added_m", lang))
    ax.set_title(_t("ce", lang))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def ceac_figure(curve: pd.DataFrame, baseline: str, lang: str = "ja") -> Figure:
    """The cost-effectiveness acceptability curve: P(highest net benefit) by willingness to pay.

    Args:
        curve: :func:`experiments.compare.ceac` (``wtp_yen_per_person_year``, then one column
            per option).
        baseline: the baseline's column (drawn in grey: doing nothing more).
        lang: ``ja`` or ``en``.
    """
    use_japanese_font()
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    x = curve["wtp_yen_per_person_year"].to_numpy(float) / 1e4
    options = [c for c in curve.columns if c != "wtp_yen_per_person_year"]
    for i, option in enumerate(options):
        colour = "0.55" if option == baseline else PALETTE[(i + 1) % len(PALETTE)]
        name = _t("baseline_option", lang) if option == baseline else option
        ax.plot(x, curve[option].to_numpy(float), color=colour, lw=1.8, label=name)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(0, x.max() if x.size else 1)
    ax.set_xlabel(_t("wtp", lang))
    ax.set_ylabel(_t("p_ce", lang))
    ax.set_title(_t("ceac", lang))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def morris_figure(indices: pd.DataFrame, outcome: str, lang: str = "ja") -> Figure:
    """mu* with bootstrap intervals (bars) and the mu*-sigma plane."""
    use_japanese_font()
    d = indices.sort_values("mu_star")
    fig = Figure(figsize=(11, max(3.5, 0.28 * len(d) + 1)))
    ax1, ax2 = fig.subplots(1, 2)
    colours = ["#D55E00" if p == "DUMMY" else "#0072B2" for p in d["parameter"]]
    ax1.barh(d["parameter"], d["mu_star"], xerr=d["mu_star_conf"], color=colours, capsize=2)
    ax1.set_xlabel(_t("mu_star", lang))
    ax1.tick_params(axis="y", labelsize=7)
    ax2.errorbar(d["mu_star"], d["sigma"], xerr=d["mu_star_conf"], fmt="o", color="#0072B2",
                 capsize=2)  # fmt: skip
    for row in d.tail(6).itertuples():
        ax2.annotate(row.parameter.rsplit(".", 1)[-1], (row.mu_star, row.sigma), fontsize=7)
    ax2.set_xlabel(_t("mu_star", lang))
    ax2.set_ylabel(_t("sigma", lang))
    fig.suptitle(f"{_t('morris', lang)}: {outcome}")
    fig.tight_layout()
    return fig


def sobol_figure(indices: pd.DataFrame, outcome: str, lang: str = "ja") -> Figure:
    """First-order and total indices with bootstrap intervals."""
    use_japanese_font()
    d = indices.sort_values("ST")
    y = np.arange(len(d))
    fig = Figure(figsize=(7, max(3.5, 0.3 * len(d) + 1)))
    ax = fig.subplots()
    ax.barh(y - 0.2, d["S1"], 0.4, xerr=d["S1_conf"], color="#56B4E9", capsize=2, label="S1")
    ax.barh(y + 0.2, d["ST"], 0.4, xerr=d["ST_conf"], color="#0072B2", capsize=2, label="ST")
    ax.set_yticks(y, d["parameter"], fontsize=7)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlabel(_t("index", lang))
    ax.set_title(f"{_t('sobol', lang)}: {outcome}")
    ax.legend()
    fig.tight_layout()
    return fig


def save(fig: Figure, path: Path) -> Path:
    """Save a figure as PNG (150 dpi) atomically: temporary file, then rename."""
    from sim.core.files import atomic_write

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=150, bbox_inches="tight"))
