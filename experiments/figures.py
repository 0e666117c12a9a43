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
    "budget": {"ja": "予算", "en": "budget"},
    "ce": {"ja": "費用効果平面（95%区間）", "en": "cost-effectiveness plane (95% intervals)"},
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
    table: pd.DataFrame, target: str, budget: float | None = None, lang: str = "ja"
) -> Figure:
    """Person-years averted (x) against added cost (y) per package, with 95% intervals."""
    use_japanese_font()
    fig = Figure(figsize=(6.5, 5))
    ax = fig.subplots()
    for i, package in enumerate(table["package"].unique()):
        t = table[table["package"] == package].set_index("outcome")
        if target not in t.index or "cost_total" not in t.index:
            continue
        py, cost = t.loc[target], t.loc["cost_total"]
        x, y = -py["difference"], cost["difference"]
        xerr = [[x - (-py["ci_high"])], [(-py["ci_low"]) - x]]
        yerr = [[y - cost["ci_low"]], [cost["ci_high"] - y]]
        ax.errorbar(x, y, xerr=np.nan_to_num(xerr), yerr=np.nan_to_num(yerr), fmt="o",
                    color=PALETTE[(i + 1) % len(PALETTE)], capsize=3, label=package)  # fmt: skip
    ax.axhline(0, color="0.5", lw=0.8)
    ax.axvline(0, color="0.5", lw=0.8)
    if budget is not None:
        ax.axhline(budget, color=COLOURS["often_always"], ls="--", lw=1, label=_t("budget", lang))
    ax.set_xlabel(f"{_t('averted', lang)} ({target})")
    ax.set_ylabel(_t("added", lang))
    ax.set_title(_t("ce", lang))
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
