"""Report sections of an experiment: a comparison of packages and a sensitivity analysis.

This module holds the sections (:func:`_compare`, :func:`_sensitivity`);
:mod:`sim.report.experiment_tables` the tables they read or compute and show
(:func:`compare_display`, :func:`decision_display`, :func:`indices_display`,
:func:`convergence_display`), re-exported here.
"""

from __future__ import annotations

import pandas as pd

from sim.report import demography as rd
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
from sim.report.experiment_tables import (
    _decision,
    _experiment_table,
    compare_display,
    convergence_display,
    decision_display,
    indices_display,
)
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
    note = rd.compare_sentence(man.get("model"), series, runs, baseline, lang)
    if note:
        doc.findings.insert(1, note)

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


def _escape(text: str) -> str:
    import html

    return html.escape(text)


def _raise_missing() -> str:
    raise _Missing


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
