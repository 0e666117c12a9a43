"""Report sections of a single run and of a package against its paired baseline."""

from __future__ import annotations

import math

import pandas as pd

from sim.analysis.compare import signed_rows
from sim.core.i18n import group_label, measure_label
from sim.core.i18n import t as i18n_t
from sim.report import breakdown_figures as bf
from sim.report import demography as rd
from sim.report import figures as rp
from sim.report import text as rt
from sim.report.data import (
    FLOW_ORDER,
    LONELY,
    _read,
    _run_files,
    _scenario_title,
    _survey_targets,
    _verified,
    comparison_row,
    costs_by_fy,
    december_by_age,
    flows_total,
    last_year_mean,
    lonely_share,
    person_years_by,
)
from sim.report.doc import _Doc, _Missing
from sim.report.survey_kpi import SURVEY_KPI_TITLE as SURVEY_KPI_TITLE
from sim.report.survey_kpi import survey_kpi_section as survey_kpi_section


def _run_meta(doc: _Doc, man: dict, table: pd.DataFrame, scenario: str) -> None:
    """Region, package, period, residents, seed and version of a run; its calibration."""
    cfg = man.get("config", {})
    doc.calibration = cfg.get("calibration") if isinstance(cfg, dict) else None
    region = man.get("region", {})
    name = region.get("name_ja" if doc.lang == "ja" else "name_en", region.get("key", ""))
    dates = pd.to_datetime(table["date"])
    doc.meta += [
        (
            doc.t("region"),
            f"{name}（{region.get('municipalities', '?')}市町村）"
            if doc.lang == "ja"
            else f"{name} ({region.get('municipalities', '?')} municipalities)",
        ),
        (doc.t("scenario"), f"{_scenario_title(scenario, doc.lang, short=False)} ({scenario})"),
        (
            doc.t("period"),
            f"{dates.min():%Y-%m-%d} – {dates.max():%Y-%m-%d} "
            f"({rt.years_text(int(cfg.get('years', 0)), doc.lang)})",
        ),
        (
            doc.t("residents"),
            f"{man.get('residents', 0):,} "
            f"(population.scale={cfg.get('population', {}).get('scale', '?')})",
        ),
        (doc.t("seed"), str(man.get("seed", "?"))),
        (doc.t("version"), f"tsunagari {man.get('version', '?')} {man.get('git_commit') or ''}"),
    ]


def _common_run_sections(doc: _Doc, arms: dict[str, pd.DataFrame]) -> None:
    """Calibration by age, municipalities, flows and costs of one or two arms."""
    lang = doc.lang
    names = list(arms)
    last = arms[names[-1]]

    def calibration() -> str:
        model = december_by_age([last])
        if model.empty:
            raise _Missing
        survey = _survey_targets()
        fig = bf.plot_calibration_age(
            model, survey.rename(columns={"group": "code", "age_group": "group"}), lang=lang
        )
        tab = model.merge(
            survey.groupby(["measure", "age_group"])["value_pct"].mean().rename("survey_pct"),
            left_on=["measure", "group"],
            right_index=True,
            how="left",
        )
        tab = pd.DataFrame(
            {
                doc.t("age"): [group_label("age_group", g, lang) for g in tab["group"]],
                doc.t("measure"): [measure_label(m, lang) for m in tab["measure"]],
                doc.t("model_dec") + " %": 100 * tab["mid"],
                doc.t("min") + " %": 100 * tab["lo"],
                doc.t("max") + " %": 100 * tab["hi"],
                doc.t("survey") + " %": tab["survey_pct"].astype(float),
            }
        )
        return doc.figure(fig, doc.t("sec.calibration")) + doc.table(
            "calibration_age", doc.t("sec.calibration"), tab, decimals=_pct_decimals(tab)
        )

    doc.section("calibration", doc.t("sec.calibration"), calibration)

    def municipalities() -> str:
        if "municipality" not in set(last["dimension"]):
            raise _Missing
        from sim.report.plots import plot_by_group

        parts = []
        level = last_year_mean(
            last, "municipality", [*LONELY, "any_loneliness", "no_in_person_contact"]
        )
        level["lonely"] = level[list(LONELY)].sum(axis=1)
        tab = pd.DataFrame({doc.t("municipality"): level.index})
        tab[doc.t("lonely.short") + " %"] = 100 * level["lonely"].to_numpy()
        if len(arms) > 1:
            base = lonely_share(arms[names[0]], "municipality").groupby("group")["value"].mean()
            arm = lonely_share(last, "municipality").groupby("group")["value"].mean()
            diff = (base - arm).dropna()  # averted: baseline - package
            parts.append(
                doc.figure(
                    bf.plot_municipality_difference(diff, lang=lang), doc.t("sec.municipality")
                )
            )
            tab[doc.t("diff_pp")] = 100 * diff.reindex(level.index).to_numpy()
        else:
            fig = plot_by_group(
                last, "municipality", "any_loneliness", lang=lang, at="last_52_weeks"
            )
            parts.append(doc.figure(fig, doc.t("sec.municipality")))
        tab[measure_label("any_loneliness", lang) + " %"] = 100 * level["any_loneliness"].to_numpy()
        tab[measure_label("no_in_person_contact", lang, short=True) + " %"] = (
            100 * level["no_in_person_contact"].to_numpy()
        )
        decimals = _pct_decimals(tab) | {doc.t("diff_pp"): 2}
        return "".join(parts) + doc.table(
            "municipalities", doc.t("sec.municipality"), tab, decimals=decimals
        )

    doc.section("municipality", doc.t("sec.municipality"), municipalities)

    def flows() -> str:
        wide = pd.DataFrame({arm: flows_total(t) for arm, t in arms.items()}).fillna(0.0)
        if wide.empty or wide.to_numpy().sum() == 0:
            raise _Missing
        wide = wide.reindex([f for f in FLOW_ORDER if f in wide.index])
        fig = bf.plot_flows(wide, lang=lang)
        tab = wide.reset_index(names="flow")
        tab.insert(0, doc.t("sec.flows"), [doc.t(f) for f in tab["flow"]])
        tab = tab.drop(columns="flow")
        return doc.figure(fig, doc.t("sec.flows")) + doc.table(
            "service_flows", doc.t("sec.flows"), tab, decimals=dict.fromkeys(tab.columns, 0)
        )

    doc.section("flows", doc.t("sec.flows"), flows)

    def costs() -> str:
        parts = [costs_by_fy(t).assign(arm=arm) for arm, t in arms.items()]
        c = pd.concat(parts, ignore_index=True)
        if c.empty:
            raise _Missing
        fig = rp.plot_costs_by_funder(c, lang=lang)
        tab = c.pivot_table(
            index=["arm", "fiscal_year"],
            columns="funder",
            values="value",
            aggfunc="sum",
            fill_value=0.0,
            sort=False,
        ).reset_index()
        funders = [f for f in rp.FUNDER_COLOURS if f in tab.columns]
        tab["total"] = tab[funders].sum(axis=1)
        tab["fiscal_year"] = [rt.fiscal_year_text(int(y), lang) for y in tab["fiscal_year"]]
        tab = tab.rename(
            columns={
                "arm": doc.t("scenario"),
                "fiscal_year": doc.t("fiscal_year"),
                "total": "合計（円）" if lang == "ja" else "total (yen)",
                **{
                    f: rt.funder_label(f, lang) + ("（円）" if lang == "ja" else " (yen)")
                    for f in funders
                },
            }
        )
        return doc.figure(fig, doc.t("sec.costs")) + doc.table(
            "costs_by_funder", doc.t("sec.costs"), tab, decimals=dict.fromkeys(tab.columns, 0)
        )

    doc.section("costs", doc.t("sec.costs"), costs)


def _single_run(doc: _Doc) -> None:
    from sim.report.plots import plot_by_group, plot_prevalence

    lang = doc.lang
    man, _, table = _run_files(doc.folder)
    cfg = man.get("config", {})
    scenario = cfg.get("scenario", "baseline")
    years = int(cfg.get("years", 0))
    _run_meta(doc, man, table, scenario)
    arm_name = _scenario_title(scenario, lang)

    ages = last_year_mean(table, "age_group", LONELY).sum(axis=1)
    house = last_year_mean(table, "household_type", LONELY).sum(axis=1)
    munis = last_year_mean(table, "municipality", LONELY).sum(axis=1)
    overall = float(last_year_mean(table, "all", LONELY).sum(axis=1).iloc[0])
    gap = None
    try:
        dec = december_by_age([table])
        dec = dec[dec["measure"] == "often_always"].set_index("group")["mid"]
        sv = _survey_targets()
        sv = sv[sv["measure"] == "often_always"].groupby("age_group")["value_pct"].mean()
        both = pd.DataFrame({"model": 100 * dec, "survey": sv}).dropna()
        if len(both):
            g = (both["model"] - both["survey"]).abs().idxmax()
            gap = (str(g), float(both.loc[g, "model"]), float(both.loc[g, "survey"]))
    except Exception:  # the gap sentence is optional
        gap = None
    fl = flows_total(table)
    cost = table[(table["measure"] == "cost_yen") & (table["dimension"] == "all")]["value"].sum()
    doc.findings = rt.run_findings(
        lonely_share=overall,
        top_age=(str(ages.idxmax()), float(ages.max())) if len(ages) else None,
        top_household=(str(house.idxmax()), float(house.max())) if len(house) else None,
        top_muni=(str(munis.idxmax()), float(munis.max())) if len(munis) else None,
        survey_gap=gap,
        served=float(fl["served"]) if "served" in fl else None,
        dropped=float(fl["dropped"]) if "dropped" in fl else None,
        total_cost=float(cost) if cost else None,
        years=years,
        lang=lang,
    )
    rd.add_findings(doc, man, table)

    doc.section(
        "prevalence",
        doc.t("sec.prevalence"),
        lambda: doc.figure(plot_prevalence(table, lang=lang), doc.t("sec.prevalence")),
    )

    def groups() -> str:
        parts = []
        for dim in ("age_group", "household_type"):
            fig = plot_by_group(table, dim, "any_loneliness", lang=lang, at="last_52_weeks")
            parts.append(
                doc.figure(fig, f"{measure_label('any_loneliness', lang)}: {i18n_t(dim, lang)}")
            )
        rows = []
        for dim in ("all", "age_group", "sex", "household_type"):
            m = last_year_mean(
                table, dim, [*LONELY, "any_loneliness", "ucla3_top", "no_in_person_contact"]
            )
            for g, r in m.iterrows():
                rows.append(
                    {
                        doc.t("group"): group_label(dim, g, lang),
                        doc.t("lonely.short") + " %": 100 * (r["often_always"] + r["sometimes"]),
                        measure_label("any_loneliness", lang) + " %": 100 * r["any_loneliness"],
                        measure_label("ucla3_top", lang) + " %": 100 * r["ucla3_top"],
                        measure_label("no_in_person_contact", lang, short=True) + " %": 100
                        * r["no_in_person_contact"],
                    }
                )
        tab = pd.DataFrame(rows)
        return "".join(parts) + doc.table(
            "groups", doc.t("sec.groups"), tab, decimals=_pct_decimals(tab)
        )

    doc.section("groups", doc.t("sec.groups"), groups)
    rd.add_section(doc, man, table)
    _common_run_sections(doc, {arm_name: table})


def _paired_run(doc: _Doc) -> None:
    from sim.report.plots import plot_prevalence

    lang = doc.lang
    man, sums, table = _run_files(doc.folder)
    top = doc.folder / "manifest.json"
    comp = comparison_row(
        _read(_verified(doc.folder / "comparison.csv", sums.get("comparison_csv"), top))
    )
    base_manifest = doc.folder / "baseline" / "manifest.json"
    _verified(base_manifest, sums.get("baseline_manifest"), top)
    _, _, base = _run_files(doc.folder / "baseline")
    cfg = man.get("config", {})
    scenario = cfg.get("scenario", "?")
    years = int(cfg.get("years", 0))
    scale = float(cfg.get("population", {}).get("scale", 1.0))
    _run_meta(doc, man, table, scenario)
    title = _scenario_title(scenario, lang)
    base_name = doc.t("baseline")

    age = person_years_by(base, "age_group", scale, years) - person_years_by(
        table, "age_group", scale, years
    )
    muni = person_years_by(base, "municipality", scale, years) - person_years_by(
        table, "municipality", scale, years
    )

    def mean_all(t: pd.DataFrame, measure: str) -> float:
        r = t[(t["dimension"] == "all") & (t["measure"] == measure)]["value"]
        return float(r.mean()) if len(r) else math.nan

    def sum_all(t: pd.DataFrame, measure: str) -> float:
        r = t[(t["dimension"] == "all") & (t["measure"] == measure)]["value"]
        return float(r.sum()) if len(r) else math.nan

    d = comp.iloc[0]
    mech = {
        "no_social_activity_py": float(d.get("no_social_activity_person_years_averted", math.nan)),
        "venue_members": mean_all(table, "venue_members") - mean_all(base, "venue_members"),
        "served": sum_all(table, "served") - sum_all(base, "served"),
    }
    doc.findings = rt.paired_findings(
        comp,
        title=title,
        years=years,
        seed=man.get("seed"),
        age_averted=age,
        muni_averted=muni,
        mechanisms=mech,
        lang=lang,
    )
    rd.add_findings(doc, man, table, base=base)

    def arms_fig() -> str:
        s = pd.concat(
            [
                lonely_share(base).assign(arm=base_name),
                lonely_share(table).assign(arm=title),
            ]
        )
        parts = [doc.figure(rp.plot_arms_over_time(s, lang=lang), doc.t("lonely"))]
        parts.append(
            doc.figure(plot_prevalence(table, lang=lang, title=title), doc.t("sec.prevalence"))
        )
        return "".join(parts)

    doc.section("arms", doc.t("sec.arms"), arms_fig)

    def age_sec() -> str:
        tab = pd.DataFrame(
            {
                doc.t("age"): [group_label("age_group", g, lang) for g in age.index],
                doc.t("py_averted_lonely"): age.to_numpy(dtype=float),
            }
        )
        return doc.figure(bf.plot_age_effect(age, lang=lang), doc.t("sec.age")) + doc.table(
            "effect_by_age", doc.t("sec.age"), tab, decimals={doc.t("py_averted_lonely"): 0}
        )

    doc.section("age", doc.t("sec.age"), age_sec)

    def ce() -> str:
        row = comp.iloc[0]
        pts = pd.DataFrame(
            {
                "package": [title],
                "averted": [row["lonely_person_years_averted"]],
                "added_cost": [row["added_cost_total_yen"]],
            }
        )
        return doc.figure(rp.plot_ce_plane(pts, lang=lang), doc.t("sec.ce"))

    doc.section("ce", doc.t("sec.ce"), ce)

    def table_sec() -> str:
        rows = signed_rows(comp, arm="scenario")
        tab = pd.DataFrame(
            {
                doc.t("measure"): [rt.outcome_label(o, lang) for o in rows["outcome"]],
                doc.t("baseline"): rows["baseline"].astype(float),
                title: rows["arm"].astype(float),
                doc.t("difference_kind"): [
                    rt.difference_kind(n, lang) for n in rows["difference_name"]
                ],
                doc.t("difference"): rows["difference"].astype(float),
            }
        )
        return doc.table(
            "comparison", doc.t("sec.comparison"), tab, decimals=dict.fromkeys(tab.columns, 0)
        )

    doc.section("comparison", doc.t("sec.comparison"), table_sec)
    doc.section(
        "survey_kpi",
        SURVEY_KPI_TITLE[lang],
        lambda: survey_kpi_section(doc, base, {doc.t("difference"): table}),
    )
    rd.add_section(doc, man, table)
    _common_run_sections(doc, {base_name: base, title: table})


def _pct_decimals(tab: pd.DataFrame) -> dict[str, int]:
    """One decimal for every percentage column (header ending in %)."""
    return {c: 1 for c in tab.columns if str(c).endswith("%")}
