"""The planner's path in a real browser: a run report and a compare report in headless Chromium.

A paired run (``tsunagari run scenario=places_first``) and a comparison (``tsunagari compare``)
are made at a tiny scale, their reports written (Japanese, and English for the run), and each
page is opened in Chromium (Debian's package, driven by Playwright) at the content width of an
A4 page with print styles, then printed to PDF. Checked in every page:

* no table is wider than the page's content width (each table's ``scrollWidth`` against it), so
  nothing is cut off on A4 or at 1280 px;
* every header is in the report's language: no ASCII-only header (such as ``ci_high``) in the
  Japanese page, no Japanese header in the English one;
* the numbers in the page equal the CSV tables the page links to (``tables/*.csv``), cell by
  cell, and the comparison table's numbers equal the command's own ``comparison.csv``.

Skipped, with the reason, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import quantity
from sim.app.cli import main
from sim.report import build_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip
#: Content width of an A4 page with the report's 15 mm margins: 180 mm at 96 px per inch.
A4_CONTENT_PX = int(180 / 25.4 * 96)
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
TINY = ["population.scale=0.004", "years=1", "burn_in_weeks=8"]


def _missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return "chromium is not installed (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "Python package 'playwright' is not installed (the dev extra)"
    return None


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(_missing() is not None, reason=_missing() or ""),
]

#: For each table.data: its headers, its cells, and the CSV linked right after it.
TABLES_JS = """
() => [...document.querySelectorAll('table.data')].map(t => {
  let link = t.nextElementSibling && t.nextElementSibling.querySelector('a[href$=".csv"]');
  return {
    headers: [...t.querySelectorAll('thead th')].map(th => th.innerText.trim()),
    rows: [...t.querySelectorAll('tbody tr')].map(
      tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim())),
    csv: link ? link.getAttribute('href') : null,
    scroll: t.scrollWidth,
    container: t.parentElement.clientWidth,
  };
})
"""


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """A paired run and a comparison, each with its report(s) written."""
    root = tmp_path_factory.mktemp("browser")
    run = root / "run"
    assert main(["run", "scenario=places_first", *TINY, f"output_dir={run}"]) == 0
    cmp = root / "cmp"
    argv = ["compare", "packages=[places_first,people_first]", "seeds=2", "samples=0",
            "executor=serial", "progress=off", *TINY, f"out={cmp}"]  # fmt: skip
    assert main(argv) == 0
    build_report(run, lang="ja")
    build_report(run, lang="en")
    build_report(cmp, lang="ja")
    return {"run": run, "cmp": cmp}


def _pages(folders: dict[str, Path]) -> list[tuple[str, Path]]:
    return [
        ("ja", folders["run"] / "report.html"),
        ("en", folders["run"] / "report.en.html"),
        ("ja", folders["cmp"] / "report.html"),
    ]


@pytest.fixture(scope="module")
def rendered(folders) -> dict[Path, list[dict]]:
    """Each page's tables as Chromium lays them out at A4 width (print media), and its PDF."""
    from playwright.sync_api import sync_playwright

    out = {}
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": A4_CONTENT_PX, "height": 1100},
        )
        try:
            page = browser.new_page()
            for _, path in _pages(folders):
                page.goto(path.as_uri())
                page.emulate_media(media="print")
                out[path] = page.evaluate(TABLES_JS)
                pdf = page.pdf(format="A4", print_background=True)
                assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
                path.with_suffix(".pdf").write_bytes(pdf)
        finally:
            browser.close()
    return out


def test_no_table_overflows_an_a4_page(folders, rendered) -> None:
    for _, path in _pages(folders):
        tables = rendered[path]
        assert tables, f"no table in {path.name}"
        for t in tables:
            assert t["container"] <= A4_CONTENT_PX
            assert t["scroll"] <= t["container"], (path, t["headers"], t["scroll"])


def test_every_header_is_in_the_reports_language(folders, rendered) -> None:
    for lang, path in _pages(folders):
        for t in rendered[path]:
            for h in t["headers"]:
                if lang == "ja":
                    assert JAPANESE.search(h) or h in ("μ*", "σ", "μ", "S1", "ST"), (path, h)
                else:
                    assert not JAPANESE.search(h), (path, h)


def _number(text: str) -> float | None:
    t = text.replace(",", "")
    try:
        return float(t)
    except ValueError:
        return None


def test_numbers_in_the_page_equal_the_csv_tables(folders, rendered) -> None:
    checked = 0
    for _, path in _pages(folders):
        for t in rendered[path]:
            assert t["csv"], t["headers"]
            csv = pd.read_csv(
                path.parent / t["csv"], encoding="utf-8-sig", dtype=str, keep_default_na=False
            )
            assert list(csv.columns) == t["headers"]
            assert len(csv) == len(t["rows"])
            for page_row, csv_row in zip(t["rows"], csv.itertuples(index=False), strict=True):
                for shown, stored in zip(page_row, csv_row, strict=True):
                    number = _number(shown)
                    if number is None:
                        assert shown == stored or (shown == "-" and stored == ""), (shown, stored)
                    else:
                        assert number == pytest.approx(float(stored), abs=1e-9), (shown, stored)
                        checked += 1
    assert checked > 100


def test_the_comparison_tables_equal_the_commands_csv(folders, rendered) -> None:
    """The 比較表 of each report shows the numbers of the command's comparison.csv."""
    cmp = pd.read_csv(folders["cmp"] / "comparison.csv")
    table = next(
        t
        for t in rendered[folders["cmp"] / "report.html"]
        if "施策パッケージ" in t["headers"][0] and len(t["headers"]) >= 6
    )
    col = quantity("py_lonely")[1]
    shown = {h: [_number(r[i]) for r in table["rows"]] for i, h in enumerate(table["headers"])}
    np.testing.assert_allclose(shown["孤独の回避人年（平均）"], cmp[col].round(0))
    np.testing.assert_allclose(shown["95%区間の下限"], cmp[f"{col}_ci_low"].round(0))
    np.testing.assert_allclose(shown["追加費用（円、平均）"], cmp["added_cost_total_yen"])
    assert len(set(table["headers"])) == len(table["headers"])  # no column twice
    run = pd.read_csv(folders["run"] / "comparison.csv").iloc[0]
    paired = next(t for t in rendered[folders["run"] / "report.html"] if "差の向き" in t["headers"])
    first = dict(zip(paired["headers"], paired["rows"][0], strict=True))
    assert _number(first["差"]) == pytest.approx(round(run["lonely_person_years_averted"]))
    assert first["差の向き"] == "回避（現状－施策）"
