"""A self-contained HTML report of a run, a paired run, a comparison or a sensitivity analysis.

:func:`build_report` detects what the folder holds, computes the findings from the numbers
(:mod:`sim.report_text`), draws the figures (:mod:`sim.plots`, :mod:`sim.report_plots`), and
writes ``report.html`` into the folder with every image embedded as a base64 data URI and the
CSS inline (no network, no JavaScript), plus every table as CSV (UTF-8 with BOM, which Excel
opens) and Excel in ``tables/``. A section whose inputs are missing says so and the rest of the
report is still written.

Folder kinds:

* ``run``: ``timeseries.parquet`` and ``manifest.json`` (``tsunagari run``);
* ``paired``: a run with ``comparison.csv`` and ``baseline/`` (``tsunagari run scenario=...``);
* ``compare``: an experiment store (``manifest.json`` with ``command: compare``, ``runs/``);
* ``sensitivity``: an experiment store with ``command: sensitivity`` and ``*_indices.csv``.

Every file the report reads is checked first: a run's files against the SHA-256 checksums in its
``manifest.json`` (a paired run's ``comparison.csv`` and ``baseline/`` too), an experiment's
tables against those in ``last_command.json``. A missing, changed, empty or unreadable file,
or a manifest that is not a JSON object, stops the report with one line naming the file.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from matplotlib.figure import Figure

from sim import report_plots as rp
from sim import report_text as rt
from sim.files import atomic_write_text, staged_folder, write_csv, write_xlsx
from sim.i18n import check_lang, group_label, measure_label
from sim.i18n import t as i18n_t
from sim.params import ConfigError

KINDS = ("run", "paired", "compare", "sensitivity")
FLOW_ORDER = ("noticed", "referred", "waiting_entered", "served", "dropped", "cases_broken")
LONELY = ("often_always", "sometimes")
EMBED_ROWS = 40  # tables up to this many rows are also shown in the HTML


# ---------------------------------------------------------------- detection and loading


def detect_kind(folder: Path) -> str:
    """What an output folder holds: ``run``, ``paired``, ``compare`` or ``sensitivity``.

    Raises:
        ConfigError: the folder is missing or holds none of these.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"report: folder not found: '{folder}'")
    manifest = folder / "manifest.json"
    if manifest.is_file() or manifest.is_symlink():
        man = _load_json(manifest)
        if man.get("tool") == "tsunagari" or (folder / "timeseries.parquet").is_file():
            sums = man.get("outputs_sha256")
            sums = sums if isinstance(sums, dict) else {}
            paired = (folder / "comparison.csv").is_file() or (folder / "baseline").is_dir()
            return "paired" if paired or "comparison_csv" in sums else "run"
        command = man.get("command")
        if command == "compare" and (
            (folder / "runs").is_dir() or (folder / "comparison.csv").is_file()
        ):
            return "compare"
        if command == "sensitivity":
            return "sensitivity"
    elif (folder / "timeseries.parquet").is_file():
        raise ConfigError(f"report: '{manifest}' is missing")
    raise ConfigError(
        f"report: '{folder}' is not a tsunagari output folder (no timeseries.parquet with "
        "manifest.json, nor an experiment store of tsunagari compare or sensitivity)"
    )


def _load_json(path: Path) -> dict:
    """A JSON object from a file; anything else is one line naming the file.

    Raises:
        ConfigError: the file is missing or unreadable, not JSON, or not a JSON object.
    """
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"report: '{path}' is missing") from None
    except OSError as exc:
        raise ConfigError(f"report: cannot read '{path}': {exc.strerror or exc}") from None
    except ValueError as exc:  # invalid JSON or not UTF-8
        raise ConfigError(f"report: '{path}' is not valid JSON ({_reason(exc)})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"report: '{path}' is not a JSON object (found a {type(value).__name__})")
    return value


def _reason(exc: BaseException) -> str:
    text = next((s.strip() for s in str(exc).splitlines() if s.strip()), type(exc).__name__)
    return text if len(text) <= 160 else text[:157] + "..."


def _verified(path: Path, expected: object, manifest: Path, rerun: str = "tsunagari run") -> Path:
    """``path``, after checking it exists and matches its SHA-256 recorded in ``manifest``.

    Raises:
        ConfigError: the file is missing, has no recorded checksum, or does not match it.
    """
    from sim.output import sha256

    if not path.is_file():
        raise ConfigError(f"report: '{path}' is missing (listed in '{manifest}')")
    if not isinstance(expected, str):
        raise ConfigError(
            f"report: '{path}' has no checksum in '{manifest}' (not written with this run, or "
            f"by an older tsunagari); rerun {rerun} into a new folder"
        )
    if sha256(path) != expected:
        raise ConfigError(
            f"report: '{path}' does not match its checksum in '{manifest}' (changed or "
            f"damaged after the run); rerun {rerun}"
        )
    return path


def _read(path: Path) -> pd.DataFrame:
    """A Parquet or CSV table; an empty, truncated or malformed file is one line naming it."""
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except FileNotFoundError:
        raise ConfigError(f"report: '{path}' is missing") from None
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ConfigError(f"report: cannot read '{path}': {_reason(exc)}") from None


def _run_files(folder: Path) -> tuple[dict, dict, pd.DataFrame]:
    """A run folder's manifest, its checksums and its verified time series."""
    path = folder / "manifest.json"
    man = _load_json(path)
    sums = man.get("outputs_sha256")
    if not isinstance(sums, dict):
        raise ConfigError(f"report: '{path}' has no outputs_sha256 (not a tsunagari run manifest)")
    table = _read(_verified(folder / "timeseries.parquet", sums.get("timeseries_parquet"), path))
    return man, sums, table


def _experiment_checksums(folder: Path) -> dict:
    """SHA-256 of an experiment's tables, from ``last_command.json`` (empty if not recorded)."""
    path = folder / "last_command.json"
    if not (path.is_file() or path.is_symlink()):
        return {}
    sums = _load_json(path).get("sha256", {})
    return sums if isinstance(sums, dict) else {}


def _read_experiment_csv(folder: Path, name: str, sums: dict) -> pd.DataFrame | None:
    """An experiment table (None if absent), checked against its recorded checksum if any."""
    path = folder / name
    if not path.is_file():
        return None
    if name in sums:
        _verified(path, sums[name], folder / "last_command.json", rerun="the command")
    return _read(path)


def _read_parquet_folder(folder: Path) -> pd.DataFrame:
    files_ = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))
    if not files_:
        return pd.DataFrame()
    return pd.concat([_read(p) for p in files_], ignore_index=True)


def _manifest(folder: Path) -> dict:
    return _load_json(folder / "manifest.json")


def _survey_targets() -> pd.DataFrame:
    """Age rows of calibration/targets.csv with the model's age group names."""
    path = files("calibration") / "targets.csv"
    t = pd.read_csv(str(path))
    t = t[t["group"].astype(str).str.match(r"age_\d0s$")].copy()
    decade = t["group"].str.extract(r"age_(\d)0s")[0].astype(int)
    t["age_group"] = [f"{d}0-{d}9" for d in decade]
    return t[["target", "year", "measure", "group", "age_group", "value_pct", "role", "source"]]


def _scenario_title(name: str, lang: str, *, short: bool = True) -> str:
    """The scenario's title from the library (its name when unknown); short: before 「（」/':'."""
    try:
        from sim.scenario import load_scenario

        title = load_scenario(name).title.get(lang) or name
    except Exception:  # a scenario file moved or renamed: the name still identifies it
        return name
    if short:
        for sep in ("（", ":", "("):
            title = title.split(sep)[0]
    return title.strip() or name


# ---------------------------------------------------------------- computations on a run table


def _fiscal_year(dates: pd.Series) -> pd.Series:
    d = pd.to_datetime(dates)
    return (d.dt.year - (d.dt.month < 4)).astype(int)


def lonely_share(table: pd.DataFrame, dimension: str = "all") -> pd.DataFrame:
    """Share lonely (often/always + sometimes) by record and group: week, date, group, value, n."""
    rows = table[(table["dimension"] == dimension) & table["measure"].isin(LONELY)]
    return (
        rows.groupby(["week", "date", "group"], sort=False)
        .agg(value=("value", "sum"), n=("n", "first"))
        .reset_index()
    )


def person_years_by(table: pd.DataFrame, dimension: str, scale: float, years: int) -> pd.Series:
    """Person-years lonely by group over the horizon at full scale (as :mod:`sim.compare`)."""
    s = lonely_share(table, dimension)
    g = s.groupby("group", sort=False)
    return g["value"].mean() * g["n"].mean() / scale * years


def last_year_mean(table: pd.DataFrame, dimension: str, measures) -> pd.DataFrame:
    """Mean of the last 12 records by group (wide by measure)."""
    weeks = sorted(table["week"].unique())[-12:]
    rows = table[(table["dimension"] == dimension) & table["week"].isin(weeks)]
    rows = rows[rows["measure"].isin(measures)]
    return rows.pivot_table(index="group", columns="measure", values="value", sort=False)


def flows_total(table: pd.DataFrame) -> pd.Series:
    """Service flows summed over the horizon (persons at full scale), in funnel order."""
    rows = table[(table["dimension"] == "all") & table["measure"].isin(FLOW_ORDER)]
    total = rows.groupby("measure")["value"].sum()
    return total.reindex([f for f in FLOW_ORDER if f in total.index])


def costs_by_fy(table: pd.DataFrame) -> pd.DataFrame:
    """Cost by fiscal year (April-March) and funder: fiscal_year, funder, value (yen)."""
    rows = table[(table["measure"] == "cost_yen") & (table["dimension"] == "funder")]
    rows = rows.assign(fiscal_year=_fiscal_year(rows["date"]))
    out = rows.groupby(["fiscal_year", "group"], sort=True)["value"].sum().reset_index()
    return out.rename(columns={"group": "funder"})


def december_by_age(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """December values by age group (over every December and run): measure, group, mid, lo, hi."""
    parts = []
    for t in tables:
        rows = t[
            (t["dimension"] == "age_group") & t["measure"].isin(["often_always", "any_loneliness"])
        ]
        rows = rows[pd.to_datetime(rows["date"]).dt.month == 12]
        parts.append(rows[["measure", "group", "value"]])
    rows = pd.concat(parts, ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=["measure", "group", "mid", "lo", "hi"])
    g = rows.groupby(["measure", "group"], sort=False)["value"]
    return pd.DataFrame({"mid": g.mean(), "lo": g.min(), "hi": g.max()}).reset_index()


# ---------------------------------------------------------------- the document


@dataclass
class _Doc:
    folder: Path
    lang: str
    kind: str
    meta: list[tuple[str, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    sections: list[tuple[str, str, str]] = field(default_factory=list)  # id, title, body
    tables: list[tuple[str, str, pd.DataFrame]] = field(default_factory=list)
    figures: int = 0

    def t(self, key: str) -> str:
        return rt.label(key, self.lang)

    def figure(self, fig: Figure, caption: str) -> str:
        """An embedded figure (PNG as a data URI)."""
        data = base64.b64encode(rp.png_bytes(fig)).decode("ascii")
        self.figures += 1
        cap = html.escape(caption)
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="{cap}">'
            f"<figcaption>{cap}</figcaption></figure>"
        )

    def table(self, name: str, title: str, df: pd.DataFrame, *, embed: bool = True) -> str:
        """Register a table for export; its HTML (if small) and links to its files."""
        self.tables.append((name, title, df))
        links = (
            f'<p class="dl">{html.escape(title)}: <a href="tables/{name}.csv">CSV</a> · '
            f'<a href="tables/{name}.xlsx">Excel</a></p>'
        )
        if not embed or len(df) > EMBED_ROWS:
            return links
        return _html_table(df, self.lang) + links

    def section(self, key: str, title: str, body: Callable[[], str]) -> None:
        """Add a section; missing inputs or a failure leave a note instead of the content."""
        try:
            content = body()
        except _Missing:
            content = f'<p class="note">{html.escape(self.t("section_missing"))}</p>'
        except Exception as exc:  # a report with one broken section is still useful
            msg = f"{self.t('section_failed')}: {type(exc).__name__}: {exc}"
            content = f'<p class="note">{html.escape(msg)}</p>'
        note = rt.read(key, self.lang)
        lead = f'<p class="lead">{html.escape(note)}</p>' if note else ""
        self.sections.append((key, title, lead + content))


class _Missing(Exception):
    """The folder holds no input for this section."""


def _num(v) -> str:
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(v):
            return "-"
        if abs(v) >= 100:
            return f"{v:,.0f}"
        if abs(v) >= 1:
            return f"{v:,.2f}"
        return f"{v:.4g}"
    return str(v)


def _html_table(df: pd.DataFrame, lang: str) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            numeric = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
                v, bool
            )
            cls = ' class="n"' if numeric else ""
            cells.append(f"<td{cls}>{html.escape(_num(v))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


# ---------------------------------------------------------------- sections by kind


def _run_meta(doc: _Doc, man: dict, table: pd.DataFrame, scenario: str) -> None:
    cfg = man.get("config", {})
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
        fig = rp.plot_calibration_age(
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
                "measure": [measure_label(m, lang) for m in tab["measure"]],
                doc.t("model_dec") + " %": (100 * tab["mid"]).round(2),
                "min %": (100 * tab["lo"]).round(2),
                "max %": (100 * tab["hi"]).round(2),
                doc.t("survey") + " %": tab["survey_pct"].round(2),
            }
        )
        return doc.figure(fig, doc.t("sec.calibration")) + doc.table(
            "calibration_age", doc.t("sec.calibration"), tab
        )

    doc.section("calibration", doc.t("sec.calibration"), calibration)

    def municipalities() -> str:
        if "municipality" not in set(last["dimension"]):
            raise _Missing
        from sim.plots import plot_by_group

        parts = []
        level = last_year_mean(
            last, "municipality", [*LONELY, "any_loneliness", "no_in_person_contact"]
        )
        level["lonely"] = level[list(LONELY)].sum(axis=1)
        tab = pd.DataFrame({doc.t("municipality"): level.index})
        tab[doc.t("lonely.short") + " %"] = (100 * level["lonely"].to_numpy()).round(2)
        if len(arms) > 1:
            base = lonely_share(arms[names[0]], "municipality").groupby("group")["value"].mean()
            arm = lonely_share(last, "municipality").groupby("group")["value"].mean()
            diff = (arm - base).dropna()
            parts.append(
                doc.figure(
                    rp.plot_municipality_difference(diff, lang=lang), doc.t("sec.municipality")
                )
            )
            tab[doc.t("diff_pp")] = (100 * diff.reindex(level.index).to_numpy()).round(3)
        else:
            fig = plot_by_group(
                last, "municipality", "any_loneliness", lang=lang, at="last_52_weeks"
            )
            parts.append(doc.figure(fig, doc.t("sec.municipality")))
        tab[measure_label("any_loneliness", lang) + " %"] = (
            100 * level["any_loneliness"].to_numpy()
        ).round(2)
        tab[measure_label("no_in_person_contact", lang, short=True) + " %"] = (
            100 * level["no_in_person_contact"].to_numpy()
        ).round(2)
        return "".join(parts) + doc.table("municipalities", doc.t("sec.municipality"), tab)

    doc.section("municipality", doc.t("sec.municipality"), municipalities)

    def flows() -> str:
        wide = pd.DataFrame({arm: flows_total(t) for arm, t in arms.items()}).fillna(0.0)
        if wide.empty or wide.to_numpy().sum() == 0:
            raise _Missing
        wide = wide.reindex([f for f in FLOW_ORDER if f in wide.index])
        fig = rp.plot_flows(wide, lang=lang)
        tab = wide.round(0).reset_index(names="flow")
        tab.insert(0, doc.t("sec.flows"), [doc.t(f) for f in tab["flow"]])
        return doc.figure(fig, doc.t("sec.flows")) + doc.table(
            "service_flows", doc.t("sec.flows"), tab
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
            "costs_by_funder", doc.t("sec.costs"), tab
        )

    doc.section("costs", doc.t("sec.costs"), costs)


def _single_run(doc: _Doc) -> None:
    from sim.plots import plot_by_group, plot_prevalence

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
                        ("区分" if lang == "ja" else "group"): group_label(dim, g, lang),
                        doc.t("lonely.short") + " %": round(
                            100 * (r["often_always"] + r["sometimes"]), 2
                        ),
                        measure_label("any_loneliness", lang) + " %": round(
                            100 * r["any_loneliness"], 2
                        ),
                        measure_label("ucla3_top", lang) + " %": round(100 * r["ucla3_top"], 2),
                        measure_label("no_in_person_contact", lang, short=True) + " %": round(
                            100 * r["no_in_person_contact"], 2
                        ),
                    }
                )
        return "".join(parts) + doc.table("groups", doc.t("sec.groups"), pd.DataFrame(rows))

    doc.section("groups", doc.t("sec.groups"), groups)
    _common_run_sections(doc, {arm_name: table})


def _paired_run(doc: _Doc) -> None:
    from sim.plots import plot_prevalence

    lang = doc.lang
    man, sums, table = _run_files(doc.folder)
    top = doc.folder / "manifest.json"
    comp = _read(_verified(doc.folder / "comparison.csv", sums.get("comparison_csv"), top))
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

    d = comp.set_index("metric")["difference"]
    mech = {
        "no_social_activity_py": float(d.get("person_years_no_social_activity", math.nan)),
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
                doc.t("py_averted_lonely"): age.round(0).to_numpy(),
            }
        )
        return doc.figure(rp.plot_age_effect(age, lang=lang), doc.t("sec.age")) + doc.table(
            "effect_by_age", doc.t("sec.age"), tab
        )

    doc.section("age", doc.t("sec.age"), age_sec)

    def ce() -> str:
        rows = comp.set_index("metric")["difference"]
        pts = pd.DataFrame(
            {
                "package": [title],
                "averted": [rows["person_years_lonely"]],
                "added_cost": [rows["cost_total"]],
            }
        )
        return doc.figure(rp.plot_ce_plane(pts, lang=lang), doc.t("sec.ce"))

    doc.section("ce", doc.t("sec.ce"), ce)

    def table_sec() -> str:
        tab = comp.copy()
        tab.insert(
            0,
            "指標" if lang == "ja" else "measure",
            [_metric_label(m, lang) for m in tab["metric"]],
        )
        tab = tab.rename(
            columns={
                "baseline": doc.t("baseline"),
                "scenario": title,
                "difference": "差" if lang == "ja" else "difference",
                "unit": "単位" if lang == "ja" else "unit",
            }
        )
        return doc.table("comparison", doc.t("sec.comparison"), tab)

    doc.section("comparison", doc.t("sec.comparison"), table_sec)
    _common_run_sections(doc, {base_name: base, title: table})


def _metric_label(metric: str, lang: str) -> str:
    if metric.startswith("person_years_"):
        return rt.label("py_" + metric.removeprefix("person_years_"), lang)
    if metric == "cost_per_person_year_lonely_averted":
        return rt.label("cost_per_py_averted", lang)
    return rt.label(metric, lang)


def _experiment_meta(doc: _Doc, man: dict) -> tuple[dict, int | None]:
    model = man.get("model", {}) or {}
    years = model.get("years")
    region = model.get("region", {}) or {}
    doc.meta += [
        (
            doc.t("region"),
            str(region.get("name") or region.get("prefecture") or region.get("key") or "-"),
        ),
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
    from sim.plots import plot_prevalence

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
    if table is not None and len(table):
        doc.findings = rt.compare_findings(
            table, robust, titles=titles, years=years, target=target, lang=lang
        )
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
        if table is None or "cost_total" not in set(table["outcome"]):
            raise _Missing
        c = table[table["outcome"] == "cost_total"].set_index("package")["difference"]
        c.index = [titles.get(p, p) for p in c.index]
        return doc.figure(rp.plot_cost_bars(c, lang=lang), doc.t("added_cost"))

    doc.section("costs", doc.t("sec.costs"), costs)

    def table_sec() -> str:
        if table is None or table.empty:
            raise _Missing
        tab = table.copy()
        tab.insert(0, doc.t("scenario"), [titles.get(p, p) for p in tab["package"]])
        tab.insert(
            1, "指標" if lang == "ja" else "measure", [rt.label(o, lang) for o in tab["outcome"]]
        )
        return doc.table("comparison", doc.t("sec.comparison"), tab)

    doc.section("comparison", doc.t("sec.comparison"), table_sec)

    def robust_sec() -> str:
        if robust is None or robust.empty:
            raise _Missing
        tab = robust.copy()
        tab.insert(0, doc.t("scenario"), [titles.get(p, p) for p in tab["package"]])
        return doc.table("robustness", doc.t("sec.robustness"), tab)

    doc.section("robustness", doc.t("sec.robustness"), robust_sec)
    for key in ("calibration", "municipality", "flows"):
        doc.section(key, doc.t(f"sec.{key}"), _raise_missing)


def _raise_missing() -> str:
    raise _Missing


def _experiment_table(
    folder: Path, runs: pd.DataFrame, baseline: str, packages: list[str], sums: dict
):
    """The experiment's comparison.csv, or computed from the runs if the command stopped early."""
    table = _read_experiment_csv(folder, "comparison.csv", sums)
    if table is not None:
        return table
    if runs.empty:
        return None
    try:
        from experiments.compare import comparison_table

        outcomes = [c for c in ("py_lonely", "py_any_loneliness", "cost_total") if c in runs]
        return comparison_table(runs, baseline, packages, outcomes)
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
        parts.append(doc.table(f"{method}_indices", doc.t("sec.sensitivity"), indices))
        if conv is not None:
            parts.append(doc.table("convergence", "convergence", conv))
        return "".join(parts)

    doc.section("sensitivity", doc.t("sec.sensitivity"), body)


# ---------------------------------------------------------------- writing


def _write_tables(doc: _Doc) -> Path:
    """Write ``tables/`` as a whole (no table of an earlier report is left beside the new ones).

    Text cells a spreadsheet would run as formulas (e.g. a scenario title starting with ``=``)
    are escaped in the CSV files and stored as text in the workbooks.
    """
    out = doc.folder / "tables"
    with staged_folder(out) as staged:
        for name, _title, df in doc.tables:
            write_csv(staged / f"{name}.csv", df, encoding="utf-8-sig")
            write_xlsx(staged / f"{name}.xlsx", [(name, df)])
        write_xlsx(staged / "all_tables.xlsx", [(name, df) for name, _, df in doc.tables])
    return out


CSS = """
@page { size: A4; margin: 15mm; }
body { font-family: "Hiragino Sans", "Yu Gothic", "Meiryo", "Noto Sans CJK JP", "IPAexGothic",
  "Helvetica Neue", Arial, sans-serif; color: #222; max-width: 190mm; margin: 0 auto;
  padding: 12px; line-height: 1.65; font-size: 15px; }
h1 { font-size: 1.6em; margin: 0.2em 0; border-bottom: 3px solid #0072B2; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-left: 6px solid #0072B2; padding-left: 8px; }
.kind { color: #555; margin: 0; }
table.meta td { padding: 1px 10px 1px 0; vertical-align: top; font-size: 0.9em; }
table.meta td:first-child { color: #555; white-space: nowrap; }
#findings { background: #F2F7FB; border: 1px solid #BCD7EA; border-radius: 6px;
  padding: 4px 18px 8px; }
#findings li { margin: 0.35em 0; }
.lead { color: #333; background: #FAFAFA; border-left: 3px solid #BBB; padding: 4px 10px; }
.note { color: #8A4B00; }
figure { margin: 0.8em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #EEE; }
figcaption { font-size: 0.85em; color: #555; }
table.data { border-collapse: collapse; font-size: 0.82em; margin: 0.5em 0; width: 100%; }
table.data th, table.data td { border: 1px solid #CCC; padding: 2px 6px; }
table.data th { background: #EEF3F7; }
table.data td.n { text-align: right; font-variant-numeric: tabular-nums; }
.dl { font-size: 0.85em; }
nav ol { columns: 2; font-size: 0.9em; }
footer { margin-top: 2em; font-size: 0.8em; color: #666; border-top: 1px solid #CCC; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  nav, .dl { display: none; }
  h2 { page-break-after: avoid; break-after: avoid; }
  section { page-break-inside: auto; }
  a { color: inherit; text-decoration: none; }
}
"""


def _render(doc: _Doc) -> str:
    lang = doc.lang
    esc = html.escape
    title = (
        f"{doc.t('report')}：{doc.t('kind.' + doc.kind)}"
        if lang == "ja"
        else (f"{doc.t('report')}: {doc.t('kind.' + doc.kind)}")
    )
    meta = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in doc.meta)
    findings = "".join(f"<li>{esc(s)}</li>" for s in doc.findings) or (
        f"<li>{esc(doc.t('section_missing'))}</li>"
    )
    nav = "".join(f'<li><a href="#{k}">{esc(t)}</a></li>' for k, t, _ in doc.sections)
    body = "".join(f'<section id="{k}"><h2>{esc(t)}</h2>{b}</section>' for k, t, b in doc.sections)
    tables = "".join(
        f'<li>{esc(t)}: <a href="tables/{n}.csv">{esc(n)}.csv</a> · '
        f'<a href="tables/{n}.xlsx">{esc(n)}.xlsx</a></li>'
        for n, t, _ in doc.tables
    )
    tables += '<li><a href="tables/all_tables.xlsx">all_tables.xlsx</a></li>' if doc.tables else ""
    caveats = "".join(f"<li>{esc(c)}</li>" for c in rt.caveats(lang))
    made = dt.date.today().isoformat()
    source = f"{esc(doc.t('generated_from'))}: {esc(doc.folder.name)}"
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{esc(doc.t("report"))}</h1>
<p class="kind">{esc(doc.t("kind." + doc.kind))}</p>
<table class="meta">{meta}</table>
</header>
<section id="findings"><h2>{esc(doc.t("findings"))}</h2><ul>{findings}</ul></section>
<nav><h2>{esc(doc.t("contents"))}</h2><ol>{nav}</ol></nav>
{body}
<section id="tables"><h2>{esc(doc.t("tables"))}</h2><ul>{tables}</ul></section>
<section id="caveats"><h2>{esc(doc.t("caveats"))}</h2><ul>{caveats}</ul></section>
<footer>tsunagari report · {esc(made)} · {source}</footer>
</body>
</html>
"""


def build_report(folder: Path, lang: str = "ja") -> Path:
    """Write ``report.html`` and ``tables/`` into an output folder and return the HTML's path.

    Args:
        folder: a run, paired run, comparison or sensitivity output folder.
        lang: ``ja`` (default) or ``en``.

    Raises:
        ConfigError: unknown language, or a missing or unrecognised folder (one line).
    """
    try:
        check_lang(lang)
    except ValueError:
        raise ConfigError(f"lang: unknown language '{lang}' (choose from: ja, en)") from None
    folder = Path(folder)
    kind = detect_kind(folder)
    doc = _Doc(folder=folder, lang=lang, kind=kind)
    {"run": _single_run, "paired": _paired_run, "compare": _compare, "sensitivity": _sensitivity}[
        kind
    ](doc)
    _write_tables(doc)
    return atomic_write_text(folder / "report.html", _render(doc))
