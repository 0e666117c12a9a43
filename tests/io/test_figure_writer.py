"""sim.io writes a run's figure only through the writer passed in (io never imports report)."""

import json
from pathlib import Path

import pytest

from sim.config import compose_config
from sim.engine.model import run
from sim.io.output import write_run

TINY = ["population.scale=0.005", "years=1", "burn_in_weeks=4"]


@pytest.fixture(scope="module")
def results():
    return run(compose_config(TINY))


def test_no_writer_no_figure(results, tmp_path: Path) -> None:
    paths = write_run(results, tmp_path)
    assert "figure" not in paths and not (tmp_path / "prevalence.png").exists()
    assert (tmp_path / "timeseries.csv").stat().st_size > 0


def test_a_failing_writer_keeps_the_tables(results, tmp_path: Path) -> None:
    def broken(_results, _path) -> None:
        raise RuntimeError("no font")

    paths = write_run(results, tmp_path, figure=broken)
    assert "figure" not in paths
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs_sha256"]["figure_error"] == "RuntimeError: no font"
    assert not (tmp_path / "prevalence.png").exists()


def test_the_report_writer_draws_the_prevalence_figure(results, tmp_path: Path) -> None:
    from sim.report.plots import write_prevalence_figure

    paths = write_run(results, tmp_path, figure=write_prevalence_figure)
    assert paths["figure"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_io_does_not_import_report() -> None:
    root = Path(__file__).resolve().parents[2] / "sim" / "io"
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "from sim.report" not in text and "import sim.report" not in text, path


def test_a_failing_pyramid_keeps_the_figure_and_tables(results, tmp_path: Path) -> None:
    from sim.report.plots import write_prevalence_figure

    def broken(_results, _path) -> None:
        raise ValueError("no pyramid rows")

    paths = write_run(results, tmp_path, figure=write_prevalence_figure, pyramid=broken)
    assert "pyramid" not in paths and not (tmp_path / "pyramid.png").exists()
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs_sha256"]["pyramid_error"] == "ValueError: no pyramid rows"
    assert manifest["outputs_sha256"]["figure"]  # the prevalence figure is still written


def test_the_manifest_records_the_demography(results, tmp_path: Path) -> None:
    write_run(results, tmp_path)
    demo = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["demography"]
    assert demo["mode"] == results.config.demography == "dynamic"
    t = results.table
    pop = t[(t["measure"] == "population") & (t["dimension"] == "all")]
    assert demo["population"]["start"]["value"] == pop.loc[pop["week"].idxmin(), "value"]
    assert demo["population"]["end"]["date"] == str(pop.loc[pop["week"].idxmax(), "date"])
    assert demo["events"] == results.counts["demography"]
