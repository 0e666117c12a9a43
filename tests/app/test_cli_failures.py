"""tsunagari run: failures after the simulation (nothing computed is lost)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.app import cli
from sim.config import compose_config

TINY = ["population.scale=0.01", "years=1", "burn_in_weeks=4"]


def test_write_failure_is_one_line_naming_the_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.engine.model
    import sim.io.output

    def no_space(results: object, out: Path, figure: object = None) -> None:
        raise OSError(28, "No space left on device", str(out / "timeseries.csv"))

    monkeypatch.setattr(sim.engine.model, "run", lambda cfg, region=None: object())
    monkeypatch.setattr(sim.io.output, "write_run", no_space)
    status = cli.main(["run", f"output_dir={tmp_path / 'out'}"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.splitlines() == [
        f"tsunagari: error: cannot write '{tmp_path / 'out' / 'timeseries.csv'}': "
        "No space left on device"
    ]


def test_plot_failure_still_leaves_the_tables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sim.report.plots
    from sim.engine.model import run
    from sim.io.output import write_run

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no font")

    results = run(compose_config([*TINY, "years=1"]))
    monkeypatch.setattr(sim.report.plots, "save_figure", broken)
    paths = write_run(results, tmp_path, figure=sim.report.plots.write_prevalence_figure)
    assert "figure" not in paths
    for name in ("timeseries.parquet", "timeseries.csv", "summary.csv", "manifest.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs_sha256"]["figure_error"] == "RuntimeError: no font"
    assert not (tmp_path / "prevalence.png").exists()
