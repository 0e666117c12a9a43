"""Tables of an experiment report (split from :mod:`sim.report.experiments`).

The comparison's tables as read from the store folder, or computed from its runs when the
command stopped before writing them (:func:`_experiment_table`, :func:`_decision`), and the
tables as shown, with headers in the report's language (:func:`compare_display`,
:func:`decision_display`, :func:`indices_display`, :func:`convergence_display`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.analysis.compare import cost_per_name, quantity
from sim.report import text as rt
from sim.report.data import _read_experiment_csv


def compare_display(
    table: pd.DataFrame, titles: dict[str, str], target: str, lang: str
) -> pd.DataFrame:
    """The 比較表 of a comparison report: one row per package, headers in ``lang``.

    Columns: the package's title, paired runs, person-years of ``target`` averted (mean and
    95% interval: baseline - package), added cost (package - baseline, yen) and the cost per
    person-year averted (yen). Each column once; the numbers are those of ``comparison.csv``.
    """
    col = quantity(target)[1]
    per = cost_per_name(target)
    t = rt.label
    out = pd.DataFrame({t("scenario", lang): [titles.get(p, p) for p in table["package"]]})
    out[t("pairs", lang)] = table["pairs"].astype(int).to_numpy()
    if col in table:
        out[t("col.py_averted", lang)] = table[col].astype(float).to_numpy()
        out[t("ci_low", lang)] = table[f"{col}_ci_low"].astype(float).to_numpy()
        out[t("ci_high", lang)] = table[f"{col}_ci_high"].astype(float).to_numpy()
    if "added_cost_total_yen" in table:
        out[t("col.added_cost", lang)] = table["added_cost_total_yen"].astype(float).to_numpy()
    if per in table:
        out[t("col.cost_per", lang)] = table[per].astype(float).to_numpy()
    out.attrs["decimals"] = dict.fromkeys(out.columns, 0)
    return out


def _decision(
    folder: Path, runs: pd.DataFrame, baseline: str, packages: list[str], years, sums: dict
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """``decision.csv`` and ``ceac.csv`` of the comparison, or computed from its runs."""
    decision = _read_experiment_csv(folder, "decision.csv", sums)
    curve = _read_experiment_csv(folder, "ceac.csv", sums)
    if decision is not None or runs.empty or "py_lonely" not in runs:
        return decision, curve
    try:
        from experiments import compare as cmp

        averted, added = cmp.world_effects(runs, baseline, "py_lonely")
        order = [baseline, *[p for p in packages if p in averted.columns and p != baseline]]
        averted, added = averted[order], added[order]
        return cmp.decision_table(averted, added, years), cmp.ceac(averted, added)
    except Exception:  # the experiments package changed or is absent: no decision table
        return None, None


def decision_display(
    decision: pd.DataFrame, titles: dict[str, str], baseline: str, lang: str
) -> pd.DataFrame:
    """The decision table of a comparison report: P(best), expected effect, cost, regret.

    A cost per person-year averted whose effect interval includes zero reads "not determined"
    (判定できない); the baseline's reads "-".
    """
    ja = lang == "ja"
    d = decision
    per = []
    for r in d.to_dict("records"):
        status = str(r.get("cost_per_py_status", ""))
        if r["package"] == baseline or status == "reference":
            per.append("-")
        elif status == "determined":
            per.append(
                f"{float(r['cost_per_py_averted']):,.0f} "
                f"[{float(r['cost_per_py_averted_low']):,.0f}, "
                f"{float(r['cost_per_py_averted_high']):,.0f}]"
            )
        else:
            per.append("判定できない" if ja else "not determined")
    names = [titles.get(p, p) for p in d["package"]]
    if ja:
        cols = {
            "施策パッケージ": names,
            "最善の確率 %": 100 * d["p_best"].astype(float),
            "回避人年の期待値": d["averted_mean"].astype(float),
            "世界の95%範囲（下）": d["averted_low"].astype(float),
            "世界の95%範囲（上）": d["averted_high"].astype(float),
            "追加費用/年（円）": d.get("added_cost_per_year_mean", d["added_cost_mean"]),
            "回避1人年あたり（円）": per,
            "平均後悔（人年）": d["mean_regret"].astype(float),
        }
    else:
        cols = {
            "package": names,
            "P(best) %": 100 * d["p_best"].astype(float),
            "expected person-years averted": d["averted_mean"].astype(float),
            "95% of worlds (low)": d["averted_low"].astype(float),
            "95% of worlds (high)": d["averted_high"].astype(float),
            "added cost a year (yen)": d.get("added_cost_per_year_mean", d["added_cost_mean"]),
            "yen per person-year averted": per,
            "mean regret (person-years)": d["mean_regret"].astype(float),
        }
    out = pd.DataFrame(cols)
    out.attrs["decimals"] = {c: 0 for c in out.columns}
    return out


def _experiment_table(
    folder: Path, runs: pd.DataFrame, baseline: str, packages: list[str], sums: dict
):
    """The experiment's comparison.csv (signed, one row per package), or from the runs.

    The table is computed from the runs if the command stopped before writing it.
    """
    table = _read_experiment_csv(folder, "comparison.csv", sums)
    if table is not None:
        if "outcome" in table:  # the long layout of earlier versions (package - baseline)
            from experiments.compare import signed_table

            return signed_table(table)
        return table
    if runs.empty:
        return None
    try:
        from experiments.compare import comparison_table, signed_table

        outcomes = [c for c in ("py_lonely", "py_any_loneliness", "cost_total") if c in runs]
        return signed_table(comparison_table(runs, baseline, packages, outcomes))
    except Exception:  # the experiments package changed or is absent: no table
        return None


def indices_display(indices: pd.DataFrame, method: str, lang: str) -> pd.DataFrame:
    """Sensitivity indices with headers in ``lang`` and whether each is above DUMMY's."""
    from experiments.sensitivity import versus_dummy

    t = rt.label
    names = {
        "outcome": t("measure", lang),
        "parameter": t("parameter", lang),
        "mu_star": "μ*",
        "mu_star_conf": t("half_width", lang).format(x="μ*"),
        "sigma": "σ",
        "mu": "μ",
        "S1": "S1",
        "S1_conf": t("half_width", lang).format(x="S1"),
        "ST": "ST",
        "ST_conf": t("half_width", lang).format(x="ST"),
    }
    above = {}
    for outcome, rows in indices.groupby("outcome", sort=False):
        for r in versus_dummy(method, rows).itertuples():
            above[(outcome, r.parameter)] = bool(r.above_dummy)
    out = indices.copy()
    out["outcome"] = [t(str(o), lang) for o in indices["outcome"]]
    flags = [
        above.get((o, p)) for o, p in zip(indices["outcome"], indices["parameter"], strict=True)
    ]
    out[t("above_dummy", lang)] = [
        ("基準" if lang == "ja" else "reference")
        if f is None
        else (("はい" if f else "いいえ") if lang == "ja" else ("yes" if f else "no"))
        for f in flags
    ]
    cols = ["outcome", "parameter"] + [
        c for c in indices.columns if c not in ("outcome", "parameter")
    ]
    out = out[[*cols, t("above_dummy", lang)]]
    return out.rename(columns=names)


def convergence_display(conv: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The convergence table with headers in ``lang``; a check that could not run says so."""
    from experiments.sensitivity import convergence_line

    t = rt.label
    return pd.DataFrame(
        {
            t("measure", lang): [t(str(o), lang) for o in conv["outcome"]],
            t("runs_half", lang): conv["runs_half"].astype(int),
            t("runs_full", lang): conv["runs_full"].astype(int),
            t("result", lang): [convergence_line(r, lang) for r in conv.to_dict("records")],
        }
    )
