"""Report sections of an experiment: a comparison of packages and a sensitivity analysis."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.analysis.compare import cost_per_name, quantity
from sim.report import figures as rp
from sim.report import text as rt
from sim.report.data import (
    LONELY,
    _experiment_checksums,
    _manifest,
    _read_experiment_csv,
    _read_parquet_folder,
    _scenario_title,
    region_name,
)
from sim.report.doc import _Doc, _Missing
from sim.report.runs import SURVEY_KPI_TITLE


def _experiment_meta(doc: _Doc, man: dict) -> tuple[dict, int | None]:
    """Region (its name in the report's language), period, runs and seed; the calibration."""
    model = man.get("model", {}) or {}
    years = model.get("years")
    region = model.get("region", {}) or {}
    doc.calibration = model.get("calibration") if isinstance(model, dict) else None
    doc.meta += [
        (doc.t("region"), region_name(region, doc.lang)),
        (
            doc.t("period"),
            f"{model.get('start_date', '?')} ({rt.years_text(int(years), doc.lang)})"
            if years
            else "-",
        ),
        (doc.t("runs"), f"{man.get('n_runs', '?')} (seeds={man.get('seeds', '?')})"),
        (doc.t("seed"), str(man.get("seed", "?"))),
    ]
    return model, int(years) if years else None


def _compare(doc: _Doc) -> None:
    from sim.report.plots import plot_prevalence

    lang = doc.lang
    man = _manifest(doc.folder)
    _, years = _experiment_meta(doc, man)
    packages = list(man.get("packages", []))
    baseline = packages[0] if packages else "baseline"
    sums = _experiment_checksums(doc.folder)
    runs = _read_parquet_folder(doc.folder / "runs")
    if len(runs) and "error" in runs:
        runs = runs[runs["error"].fillna("") == ""]
    titles = {p: _scenario_title(p, lang) for p in packages}
    titles[baseline] = doc.t("baseline")
    doc.meta.insert(
        1,
        (
            doc.t("scenario"),
            "、".join(titles[p] for p in packages[1:])
            if lang == "ja"
            else ", ".join(titles[p] for p in packages[1:]),
        ),
    )
    table = _experiment_table(doc.folder, runs, baseline, packages[1:], sums)
    robust = _read_experiment_csv(doc.folder, "robustness.csv", sums)
    target = "py_lonely"
    decision, curve = _decision(doc.folder, runs, baseline, packages, years, sums)
    info = man.get("uncertainty")
    if table is not None and len(table):
        doc.findings = rt.compare_findings(
            table, robust, titles=titles, years=years, target=target, lang=lang,
            decision=decision, baseline=baseline, uncertainty=info,
        )  # fmt: skip
    series = _read_parquet_folder(doc.folder / "series")

    def arms_fig() -> str:
        if series.empty or runs.empty:
            raise _Missing
        s = series[series["measure"].isin(LONELY)]
        s = s.groupby(["run_id", "week", "date"], as_index=False)["value"].sum()
        s = s.merge(runs[["run_id", "package"]], on="run_id")
        s["arm"] = s["package"].map(titles)
        s["seed"] = s["run_id"].str.replace(r"^.*?-s", "s", regex=True)
        order = {titles[p]: i for i, p in enumerate(packages)}
        s = s.sort_values("arm", key=lambda a: a.map(order), kind="stable")
        parts = [doc.figure(rp.plot_arms_over_time(s, lang=lang), doc.t("lonely"))]
        b = series.merge(runs.loc[runs["package"] == baseline, ["run_id"]], on="run_id")
        b = b.assign(dimension="all", group="all", seed=b["run_id"], n=0)
        parts.append(
            doc.figure(
                plot_prevalence(b, lang=lang, title=doc.t("baseline")), doc.t("sec.prevalence")
            )
        )
        return "".join(parts)

    doc.section("arms", doc.t("sec.arms"), arms_fig)

    def survey_kpi() -> str:
        from sim.report.runs import survey_kpi_section

        if series.empty or runs.empty:
            raise _Missing
        s = series.merge(runs[["run_id", "package"]], on="run_id")
        s = s.assign(
            measure=s["measure"].replace({"no_in_person_contact": "never_meets_in_person"})
        )
        mean = s.groupby(["package", "date", "measure"], as_index=False)["value"].mean()
        mean = mean.assign(dimension="all", group="all")
        tables = {p: mean[mean["package"] == p] for p in packages}
        return survey_kpi_section(doc, tables[baseline], {titles[p]: tables[p]
                                                          for p in packages[1:]})  # fmt: skip

    doc.section("survey_kpi", SURVEY_KPI_TITLE[lang], survey_kpi)

    def ce() -> str:
        if runs.empty or "cost_total" not in runs or target not in runs:
            raise _Missing
        key = ["sample", "replicate"]
        b = runs[runs["package"] == baseline].set_index(key)
        pts = []
        for p in packages[1:]:
            a = runs[runs["package"] == p].set_index(key)
            both = a[[target, "cost_total"]].merge(
                b[[target, "cost_total"]],
                left_index=True,
                right_index=True,
                suffixes=("", "_b"),
            )
            pts.append(
                pd.DataFrame(
                    {
                        "package": titles[p],
                        "averted": both[f"{target}_b"] - both[target],
                        "added_cost": both["cost_total"] - both["cost_total_b"],
                    }
                )
            )
        pts = pd.concat(pts, ignore_index=True)
        tab = pts.rename(
            columns={
                "package": doc.t("scenario"),
                "averted": doc.t("py_averted_lonely"),
                "added_cost": "追加費用（円）" if lang == "ja" else "added cost (yen)",
            }
        )
        return doc.figure(rp.plot_ce_plane(pts, lang=lang), doc.t("sec.ce")) + doc.table(
            "cost_effectiveness_points", doc.t("sec.ce"), tab, embed=False
        )

    doc.section("ce", doc.t("sec.ce"), ce)

    def costs() -> str:
        if table is None or "added_cost_total_yen" not in table:
            raise _Missing
        c = table.set_index("package")["added_cost_total_yen"]
        c.index = [titles.get(p, p) for p in c.index]
        return doc.figure(rp.plot_cost_bars(c, lang=lang), doc.t("added_cost"))

    doc.section("costs", doc.t("sec.costs"), costs)

    def table_sec() -> str:
        if table is None or table.empty:
            raise _Missing
        return doc.table(
            "comparison", doc.t("sec.comparison"), compare_display(table, titles, target, lang)
        )

    doc.section("comparison", doc.t("sec.comparison"), table_sec)

    def robust_sec() -> str:
        if robust is None or robust.empty:
            raise _Missing
        tab = pd.DataFrame(
            {
                doc.t("scenario"): [titles.get(p, p) for p in robust["package"]],
                doc.t("share_best") + " %": 100 * robust["share_best"].astype(float),
                doc.t("mean_regret"): robust["mean_regret"].astype(float),
                doc.t("max_regret"): robust["max_regret"].astype(float),
                doc.t("eligible_share") + " %": 100 * robust["eligible_share"].astype(float),
                doc.t("worlds"): robust["worlds"].astype(int),
            }
        )
        return doc.table(
            "robustness", doc.t("sec.robustness"), tab, decimals=dict.fromkeys(tab.columns, 0)
        )

    doc.section("robustness", doc.t("sec.robustness"), robust_sec)

    def decision_sec() -> str:
        if decision is None or decision.empty:
            raise _Missing
        from experiments.compare import headline, uncertainty_line

        probs = decision.set_index("package")["p_best"].astype(float)
        lead = headline(probs, baseline, titles, lang, worlds=int(decision["worlds"].max()))
        if info:
            lead += " " + uncertainty_line(info, lang)
        return f"<p>{_escape(lead)}</p>" + doc.table(
            "decision", doc.t("sec.decision"), decision_display(decision, titles, baseline, lang)
        )

    doc.section("decision", doc.t("sec.decision"), decision_sec)

    def ceac_sec() -> str:
        if curve is None or curve.empty:
            raise _Missing
        from experiments.figures import ceac_figure

        shown = curve.rename(columns={p: titles.get(p, p) for p in curve.columns})
        return doc.figure(ceac_figure(shown, titles[baseline], lang), doc.t("sec.ceac")) + (
            doc.table("ceac", doc.t("sec.ceac"), curve, embed=False)
        )

    doc.section("ceac", doc.t("sec.ceac"), ceac_sec)
    for key in ("calibration", "municipality", "flows"):
        doc.section(key, doc.t(f"sec.{key}"), _raise_missing)


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


def _escape(text: str) -> str:
    import html

    return html.escape(text)


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


def _raise_missing() -> str:
    raise _Missing


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


def _sensitivity(doc: _Doc) -> None:
    lang = doc.lang
    man = _manifest(doc.folder)
    _experiment_meta(doc, man)
    method = man.get("method") or (
        "sobol" if (doc.folder / "sobol_indices.csv").is_file() else "morris"
    )
    doc.meta.insert(1, (doc.t("kind.sensitivity"), f"{method} ({man.get('packages', ['?'])[0]})"))
    sums = _experiment_checksums(doc.folder)
    indices = _read_experiment_csv(doc.folder, f"{method}_indices.csv", sums)
    conv = _read_experiment_csv(doc.folder, "convergence.csv", sums)
    if indices is not None:
        doc.findings = rt.sensitivity_findings(indices, method, conv, lang)

    def body() -> str:
        if indices is None:
            raise _Missing
        draw = rp.plot_morris if method == "morris" else rp.plot_sobol
        parts = [
            doc.figure(draw(rows, str(o), lang=lang), f"{method}: {rt.label(str(o), lang)}")
            for o, rows in indices.groupby("outcome", sort=False)
        ]
        parts.append(
            doc.table(
                f"{method}_indices",
                doc.t("sec.sensitivity"),
                indices_display(indices, method, lang),
            )
        )
        if conv is not None:
            tab = convergence_display(conv, lang)
            parts.append(doc.table("convergence", doc.t("convergence"), tab))
        return "".join(parts)

    doc.section("sensitivity", doc.t("sec.sensitivity"), body)


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
