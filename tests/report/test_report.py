"""HTML reports: self-contained (no network, images as data URIs), findings equal to the
comparison table, tables exported as CSV and Excel that read back equal, every figure drawn with
Japanese glyphs (a missing-glyph warning is an error), and the CLI's one-line errors."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.app.cli import main
from sim.report import build_report, detect_kind
from sim.report import text as rt

pytest.importorskip("openpyxl")


@pytest.fixture(autouse=True)
def glyphs_are_errors(monkeypatch):
    """A glyph missing from the fonts while rendering a figure fails the test (figures are
    rendered at a lower resolution to keep the tests fast)."""
    monkeypatch.setattr("sim.report.figures.DPI", 60)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r".*[Gg]lyph.*missing.*")
        yield


@pytest.fixture(scope="module")
def paired(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "places"
    argv = [
        "run",
        "scenario=places_first",
        "population.scale=0.005",
        "years=2",
        "burn_in_weeks=26",
        f"output_dir={out}",
    ]
    assert main(argv) == 0
    return out


def _findings(page: str) -> str:
    m = re.search(r'<section id="findings">(.*?)</section>', page, re.S)
    assert m, "no findings section"
    return m.group(1)


def _check_self_contained(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?//""", page)
    imgs = re.findall(r'<img\b[^>]*\bsrc="([^"]*)"', page)
    assert imgs, "no figures"
    assert all(src.startswith("data:image/png;base64,") for src in imgs)
    assert 'rel="stylesheet"' not in page and "@import" not in page
    for lang in ("ja", "en"):  # no section fell back to a failure note (e.g. a glyph error)
        assert rt.label("section_failed", lang) not in page


def _check_tables(folder: Path, lang: str = "ja") -> None:
    name = "tables" if lang == "ja" else "tables.en"
    tables = folder / name
    csvs = sorted(tables.glob("*.csv"))
    assert csvs
    page = (folder / ("report.html" if lang == "ja" else "report.en.html")).read_text("utf-8")
    for csv in csvs:
        xlsx = csv.with_suffix(".xlsx")
        assert xlsx.is_file(), xlsx
        assert f'href="{name}/{csv.name}"' in page and f'href="{name}/{xlsx.name}"' in page
        assert not re.search(r"\d[eE][+-]\d", csv.read_text(encoding="utf-8-sig"))
        a = pd.read_csv(csv, encoding="utf-8-sig")
        b = pd.read_excel(xlsx)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)
    assert (tables / "all_tables.xlsx").is_file()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_paired_report(paired: Path, lang: str) -> None:
    assert detect_kind(paired) == "paired"
    path = build_report(paired, lang=lang)
    assert path == paired / ("report.html" if lang == "ja" else "report.en.html")
    page = path.read_text(encoding="utf-8")
    _check_self_contained(page)
    _check_tables(paired, lang)
    assert f'<html lang="{lang}">' in page
    comp = pd.read_csv(paired / "comparison.csv").iloc[0]
    findings = _findings(page)
    averted = comp["lonely_person_years_averted"]
    assert rt.fmt_int(abs(averted)) in findings
    assert rt.fmt_yen(comp["added_cost_total_yen"], lang) in findings
    if averted > 0:
        assert rt.fmt_py(averted, lang) in findings
        assert rt.fmt_yen(comp["cost_per_lonely_person_year_averted_yen"], lang) in findings
    assert ("シード" if lang == "ja" else "seed") in findings  # one run: says it has no interval
    assert ("帯は" if lang == "ja" else "Bands show") not in page  # no band promised for one run
    # the comparison table is embedded and exported with the same (signed) numbers
    folder = "tables" if lang == "ja" else "tables.en"
    back = pd.read_csv(paired / folder / "comparison.csv", encoding="utf-8-sig")
    diff = back[rt.label("difference", lang)].to_numpy()
    np.testing.assert_allclose(diff[0], round(averted))
    assert back[rt.label("difference_kind", lang)].iloc[0] == rt.label("averted", lang)
    for section in ("arms", "age", "calibration", "municipality", "flows", "costs", "ce",
                    "survey_kpi"):  # fmt: skip
        assert f'<section id="{section}">' in page


def test_paired_report_says_which_effects_a_municipal_survey_can_see(paired: Path) -> None:
    """The KPI section: per indicator, the smallest change two surveys of 1,120 respondents
    detect (80% power) against the package's predicted change, and whether it is visible."""
    page = build_report(paired, lang="en").read_text(encoding="utf-8")
    assert "Which effects your survey can see" in page and "1,120 respondents" in page
    kpi = pd.read_csv(paired / "tables.en" / "survey_kpi.csv", encoding="utf-8-sig")
    assert len(kpi) >= 4
    share, mdd, effect = (kpi.iloc[:, i].astype(float) for i in (1, 2, 3))
    assert ((share > 0) & (share < 100)).all()
    # a two-sample difference of proportions at 1,120 each: about 0.12 * sqrt(p(1-p)) x 100
    analytic = 100 * 2.8 * (2 * (share / 100) * (1 - share / 100) / 1120) ** 0.5
    assert (abs(mdd / analytic - 1) < 0.15).all()
    visible = kpi.iloc[:, 4].eq("yes")
    assert visible.eq(effect.abs() >= mdd).all()


def test_english_report_keeps_the_japanese_one(paired: Path) -> None:
    """lang=en writes report.en.html and tables.en/; report.html and tables/ stay Japanese."""
    build_report(paired, lang="ja")
    ja = (paired / "report.html").read_bytes()
    ja_table = (paired / "tables" / "comparison.csv").read_bytes()
    build_report(paired, lang="en")
    assert (paired / "report.html").read_bytes() == ja
    assert (paired / "tables" / "comparison.csv").read_bytes() == ja_table
    assert '<html lang="en">' in (paired / "report.en.html").read_text(encoding="utf-8")


def test_comparison_csv_signs(paired: Path) -> None:
    """One sign convention, stated in the column names; no scientific notation in the file."""
    text = (paired / "comparison.csv").read_text(encoding="utf-8")
    assert not re.search(r"\d[eE][+-]\d", text)
    row = pd.read_csv(paired / "comparison.csv").iloc[0]
    for stem in ("lonely", "any_loneliness", "no_social_activity"):
        b, s = row[f"{stem}_person_years_baseline"], row[f"{stem}_person_years_scenario"]
        assert row[f"{stem}_person_years_averted"] == pytest.approx(b - s, abs=0.11)
    for funder in ("total", "municipality", "national_grant"):
        b, s = row[f"cost_{funder}_yen_baseline"], row[f"cost_{funder}_yen_scenario"]
        assert row[f"added_cost_{funder}_yen"] == b * 0 + s - b
    assert row["added_cost_total_yen"] > 0  # the package costs more than the baseline
    assert float(row["added_cost_total_yen"]).is_integer()  # yen as integers
    assert not any(c in ("difference", "metric") for c in row.index)


def test_single_run_report(paired: Path) -> None:
    folder = paired / "baseline"
    assert detect_kind(folder) == "run"
    page = build_report(folder).read_text(encoding="utf-8")
    _check_self_contained(page)
    _check_tables(folder)
    assert "%" in _findings(page)
    costs = pd.read_csv(folder / "tables" / "costs_by_funder.csv", encoding="utf-8-sig")
    years = costs[rt.label("fiscal_year", "ja")]
    assert years.str.fullmatch(r"20\d\d年度").all()  # 2025年度, never "2,025"
    assert "2,025" not in page
    calib = pd.read_csv(folder / "tables" / "calibration_age.csv", encoding="utf-8-sig")
    for col in calib.columns[2:]:  # one number format per column: one decimal everywhere
        shown = calib[col].dropna().map(lambda v: f"{v:.1f}")
        assert (shown.astype(float) == calib[col].dropna()).all()
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert rt.calibration_caveat(man["config"]["calibration"], "ja") in page
    for section in ("prevalence", "groups", "calibration", "municipality", "flows", "costs"):
        assert f'<section id="{section}">' in page


def _fake_compare(folder: Path) -> Path:
    """A small experiment store as written by ``tsunagari compare`` (synthetic numbers)."""
    rng = np.random.default_rng(0)
    packages = ["baseline", "places_first", "people_first"]
    (folder / "runs").mkdir(parents=True)
    (folder / "series").mkdir()
    manifest = {
        "design_hash": "x",
        "command": "compare",
        "seed": 1,
        "seeds": 3,
        "packages": packages,
        "n_runs": 9,
        "model": {"years": 2, "start_date": "2025-04-06", "region": {"key": "tottori"}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    dates = pd.date_range("2025-04-06", periods=24, freq="28D").strftime("%Y-%m-%d")
    rows = []
    for i, p in enumerate(packages):
        for r in range(3):
            run_id = f"{p}-s00000-r{r:03d}"
            row = {
                "run_id": run_id,
                "package": p,
                "sample": 0,
                "replicate": r,
                "seed": r,
                "py_lonely": 170000 - 800 * i + rng.normal(0, 100),
                "cost_total": 5e8 + 1.3e8 * i + rng.normal(0, 1e6),
                "error": "",
            }
            rows.append(row)
            pd.DataFrame([row]).to_parquet(folder / "runs" / f"{run_id}.parquet")
            s = pd.DataFrame(
                {
                    "week": np.repeat(np.arange(24) * 4, 2),
                    "date": np.repeat(dates, 2),
                    "measure": ["often_always", "sometimes"] * 24,
                    "value": 0.05 + rng.normal(0, 0.002, 48),
                    "run_id": run_id,
                }
            )
            s.to_parquet(folder / "series" / f"{run_id}.parquet")
    return folder


def test_compare_report_from_runs_only(tmp_path: Path) -> None:
    """An experiment store without comparison.csv: the table is computed, missing parts noted."""
    pytest.importorskip("experiments.compare")
    folder = _fake_compare(tmp_path / "cmp")
    assert detect_kind(folder) == "compare"
    page = build_report(folder).read_text(encoding="utf-8")
    _check_self_contained(page)
    findings = _findings(page)
    # three worlds: no option is called best, the shares are given with advice to add worlds
    assert "どの案が最善かは判断できません" in findings and "20通り以上" in findings
    assert "95%区間" in findings and "モデルが最も支持する" not in findings
    assert rt.label("section_missing", "ja") in page  # no municipalities or flows in a store
    assert "<td>鳥取県</td>" in page and "tottori" not in page.split("</header>")[0]
    table = pd.read_csv(folder / "tables" / "comparison.csv", encoding="utf-8-sig")
    assert len(set(table.columns)) == len(table.columns) == 7
    assert not [c for c in table.columns if re.fullmatch(r"[\x00-\x7f]+", c)]  # all Japanese
    averted = table[rt.label("col.py_averted", "ja")]
    assert (averted > 0).all()  # synthetic packages avert about 800 and 1,600 person-years
    assert averted.iloc[1] > averted.iloc[0]


def test_sensitivity_report(tmp_path: Path) -> None:
    """Only parameters above DUMMY are ranked; a convergence check that could not run says why."""
    folder = tmp_path / "sens"
    folder.mkdir()
    man = {
        "design_hash": "x",
        "command": "sensitivity",
        "method": "morris",
        "packages": ["baseline"],
        "model": {"years": 2},
    }
    (folder / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    params = ["dynamics.loneliness.recovery", "dynamics.ties.decay", "levers.noise", "DUMMY"]
    idx = pd.DataFrame(
        {
            "parameter": params * 2,
            "mu_star": [5.0, 2.0, 0.1, 0.1] * 2,  # levers.noise: the DUMMY's effect exactly
            "mu_star_conf": [1.0, 0.5, 0.05, 0.05] * 2,
            "sigma": [1.0, 0.5, 0.1, 0.1] * 2,
            "mu": [-5.0, 2.0, 0.0, 0.0] * 2,
            "outcome": ["py_lonely"] * 4 + ["cost_total"] * 4,
        }
    )
    idx.to_csv(folder / "morris_indices.csv", index=False)
    pd.DataFrame(
        {
            "outcome": ["py_lonely", "cost_total"],
            "runs_half": [8, 4],
            "runs_full": [16, 8],
            "max_change": [0.05, float("nan")],
            "converged": [True, False],
        }
    ).to_csv(folder / "convergence.csv", index=False)
    assert detect_kind(folder) == "sensitivity"
    for lang in ("en", "ja"):
        page = build_report(folder, lang=lang).read_text(encoding="utf-8")
        _check_self_contained(page)
        _check_tables(folder, lang)
        findings = _findings(page)
        assert "dynamics.loneliness.recovery" in findings
        assert "nan" not in page.lower().replace("nanum", "")
        ranked = next(li for li in findings.split("<li>") if "recovery" in li)
        assert "levers.noise" not in ranked  # as small as DUMMY: not ranked ...
        assert "levers.noise" in findings  # ... but named as not distinguishable
    table = pd.read_csv(folder / "tables" / "morris_indices.csv", encoding="utf-8-sig")
    above = dict(zip(table["パラメータ"], table["DUMMYと区別できる"], strict=False))
    assert above["dynamics.loneliness.recovery"] == "はい" and above["levers.noise"] == "いいえ"


def test_versus_dummy_and_convergence_line() -> None:
    from experiments.sensitivity import convergence_line, versus_dummy

    idx = pd.DataFrame(
        {
            "parameter": ["a", "b", "c", "DUMMY"],
            "mu_star": [1.0, 0.30, 0.25, 0.2],
            "mu_star_conf": [0.1, 0.05, 0.1, 0.05],
        }
    )
    v = versus_dummy("morris", idx).set_index("parameter")["above_dummy"]
    assert v.to_dict() == {"a": True, "b": False, "c": False}  # b: 0.25 is not above 0.25
    idx.loc[1, "mu_star_conf"] = 0.04
    assert versus_dummy("morris", idx).set_index("parameter").loc["b", "above_dummy"]
    line = convergence_line({"runs_half": 4, "runs_full": 8, "max_change": float("nan")})
    assert "nan" not in line and "increase r" in line and "4 runs" in line
    ok = convergence_line({"runs_half": 8, "runs_full": 16, "max_change": 0.05, "converged": True})
    assert ok.endswith("= 0.050 (converged)")


def test_caveat_follows_the_manifest() -> None:
    calibrated = rt.caveats("ja", "calibrated")[0]
    assert "較正済み" in calibrated and "較正前" not in calibrated
    assert "較正前" in rt.caveats("ja", "none")[0]
    assert "uncalibrated" in rt.caveats("en", "none")[0]
    assert "calibrated to the national" in rt.caveats("en", "my_fit")[0]
    assert "my_fit" in rt.caveats("en", "my_fit")[0]


def test_sobol_figure_renders() -> None:
    from sim.report.figures import plot_sobol, png_bytes

    idx = pd.DataFrame(
        {
            "parameter": ["a", "b", "DUMMY"],
            "S1": [0.5, 0.2, 0.0],
            "S1_conf": [0.1, 0.1, 0.01],
            "ST": [0.6, 0.3, 0.0],
            "ST_conf": [0.1, 0.1, 0.01],
        }
    )
    assert png_bytes(plot_sobol(idx, "py_lonely", lang="ja")).startswith(b"\x89PNG")


def test_cli_errors(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tsunagari: error: report:")
    assert main(["report", str(tmp_path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert main(["report", str(tmp_path), "lang=fr"]) == 2


def test_number_formats() -> None:
    assert rt.fmt_int(1010.4) == "1,010"
    assert rt.fmt_yen(411030, "ja") == "41万1,030円"
    assert rt.fmt_yen(4.1514e8, "ja") == "4.15億円"
    assert rt.fmt_yen(4.1514e8, "en") == "¥415.1 million"
    assert rt.fmt_py(1010, "ja") == "1,010人年"


def test_report_tables_are_written_as_a_whole_with_formulas_as_text(tmp_path: Path) -> None:
    """A scenario title from a user's file (``=...``) lands in the report's tables as text."""
    openpyxl = pytest.importorskip("openpyxl")
    from sim.report import _Doc, _write_tables

    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "stale.csv").write_text("left by an earlier report\n", encoding="utf-8")
    doc = _Doc(folder=tmp_path, lang="en", kind="compare")
    table = pd.DataFrame({"scenario": ['=WEBSERVICE("http://x")', "places"], "diff": [-1.5, 2.0]})
    doc.tables.append(("comparison", "comparison", table))
    out = _write_tables(doc)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["all_tables.xlsx", "comparison.csv", "comparison.xlsx"]
    back = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig")
    assert list(back["scenario"]) == ['\'=WEBSERVICE("http://x")', "places"]
    assert list(back["diff"]) == [-1.5, 2.0]
    for name in ("comparison.xlsx", "all_tables.xlsx"):
        cell = openpyxl.load_workbook(out / name).worksheets[0]["A2"]
        assert (cell.value, cell.data_type) == ('=WEBSERVICE("http://x")', "s")


@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_compare_report_says_when_the_baseline_changes(tmp_path: Path, mode: str) -> None:
    """demography=dynamic: the comparison says effects are measured against a changing baseline,
    with the baseline runs' population when the series holds it; static says nothing of it."""
    from sim.report.demography import CHANGING_BASELINE

    pytest.importorskip("experiments.compare")
    folder = _fake_compare(tmp_path / "cmp")
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    man["model"]["demography"] = mode
    (folder / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    for path in (folder / "series").glob("baseline-*.parquet"):  # population rows: 1000 -> 950
        s = pd.read_parquet(path)
        weeks = s.drop_duplicates("week")[["week", "date", "run_id"]]
        pop = weeks.assign(measure="population", value=np.linspace(1000.0, 950.0, len(weeks)))
        pd.concat([s, pop], ignore_index=True).to_parquet(path)
    for lang in ("ja", "en"):
        findings = _findings(build_report(folder, lang).read_text(encoding="utf-8"))
        assert (CHANGING_BASELINE[lang] in findings) == (mode == "dynamic")
        if mode == "dynamic":
            assert "1,000" in findings and "950" in findings and "-5.0%" in findings
