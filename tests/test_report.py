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

from sim import report_text as rt
from sim.cli import main
from sim.report import build_report, detect_kind

pytest.importorskip("openpyxl")


@pytest.fixture(autouse=True)
def glyphs_are_errors(monkeypatch):
    """A glyph missing from the fonts while rendering a figure fails the test (figures are
    rendered at a lower resolution to keep the tests fast)."""
    monkeypatch.setattr("sim.report_plots.DPI", 60)
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


def _check_tables(folder: Path) -> None:
    tables = folder / "tables"
    csvs = sorted(tables.glob("*.csv"))
    assert csvs
    page = (folder / "report.html").read_text(encoding="utf-8")
    for csv in csvs:
        xlsx = csv.with_suffix(".xlsx")
        assert xlsx.is_file(), xlsx
        assert f'href="tables/{csv.name}"' in page and f'href="tables/{xlsx.name}"' in page
        a = pd.read_csv(csv, encoding="utf-8-sig")
        b = pd.read_excel(xlsx)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)
    assert (tables / "all_tables.xlsx").is_file()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_paired_report(paired: Path, lang: str) -> None:
    assert detect_kind(paired) == "paired"
    path = build_report(paired, lang=lang)
    assert path == paired / "report.html"
    page = path.read_text(encoding="utf-8")
    _check_self_contained(page)
    _check_tables(paired)
    assert f'<html lang="{lang}">' in page
    comp = pd.read_csv(paired / "comparison.csv").set_index("metric")["difference"]
    findings = _findings(page)
    averted = comp["person_years_lonely"]
    assert rt.fmt_int(abs(averted)) in findings
    assert rt.fmt_yen(comp["cost_total"], lang) in findings
    if averted > 0:
        assert rt.fmt_py(averted, lang) in findings
        assert rt.fmt_yen(comp["cost_per_person_year_lonely_averted"], lang) in findings
    assert ("シード" if lang == "ja" else "seed") in findings  # one run: says it has no interval
    # the comparison table is embedded and exported with the same numbers
    back = pd.read_csv(paired / "tables" / "comparison.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(
        back.iloc[:, -1], pd.read_csv(paired / "comparison.csv")["difference"]
    )
    for section in ("arms", "age", "calibration", "municipality", "flows", "costs", "ce"):
        assert f'<section id="{section}">' in page


def test_single_run_report(paired: Path) -> None:
    folder = paired / "baseline"
    assert detect_kind(folder) == "run"
    page = build_report(folder).read_text(encoding="utf-8")
    _check_self_contained(page)
    _check_tables(folder)
    assert "%" in _findings(page)
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
        "model": {"years": 2, "start_date": "2025-04-06", "region": {"name": "tottori"}},
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
    assert "モデルが最も支持するのは" in findings and "95%区間" in findings
    assert rt.label("section_missing", "ja") in page  # no municipalities or flows in a store


def test_sensitivity_report(tmp_path: Path) -> None:
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
    params = ["dynamics.loneliness.recovery", "dynamics.ties.decay", "DUMMY"]
    idx = pd.DataFrame(
        {
            "parameter": params * 2,
            "mu_star": [5.0, 2.0, 0.1] * 2,
            "mu_star_conf": [1.0, 0.5, 0.05] * 2,
            "sigma": [1.0, 0.5, 0.1] * 2,
            "mu": [-5.0, 2.0, 0.0] * 2,
            "outcome": ["py_lonely"] * 3 + ["cost_total"] * 3,
        }
    )
    idx.to_csv(folder / "morris_indices.csv", index=False)
    pd.DataFrame(
        {
            "outcome": ["py_lonely", "cost_total"],
            "runs_half": [8, 8],
            "runs_full": [16, 16],
            "max_change": [0.05, 0.2],
            "converged": [True, False],
        }
    ).to_csv(folder / "convergence.csv", index=False)
    assert detect_kind(folder) == "sensitivity"
    page = build_report(folder, lang="en").read_text(encoding="utf-8")
    _check_self_contained(page)
    _check_tables(folder)
    assert "dynamics.loneliness.recovery" in _findings(page)


def test_sobol_figure_renders() -> None:
    from sim.report_plots import plot_sobol, png_bytes

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
