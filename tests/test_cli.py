"""Tests for the ``tsunagari`` console script, run as a user would: in a subprocess."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from sim import cli
from sim.config import RegionConfig, RunConfig, compose_config, config_dir
from sim.params import describe

EXE = Path(sys.executable).with_name("tsunagari")
TSUNAGARI = str(EXE) if EXE.exists() else shutil.which("tsunagari")
TINY = ["population.scale=0.01", "years=1", "burn_in_weeks=4"]
OUTPUTS = ("timeseries.parquet", "timeseries.csv", "summary.csv", "manifest.json", "prevalence.png")

# (arguments after `tsunagari`, text the one stderr line must contain)
BAD_INPUTS = {
    "unknown key": (["run", "foo=1"], "unknown config key 'foo'"),
    "misspelt key": (["run", "population.sclae=0.2"], "did you mean 'population.scale'?"),
    "scale above range": (["run", "population.scale=2"], "population.scale=2.0 is above"),
    "zero years": (["run", "years=0"], "years=0 is below its range"),
    "negative rate": (["run", "dynamics.loneliness.recovery=-1"], "dynamics.loneliness.recovery"),
    "wrong type": (["run", "years=abc"], "years: expected an integer, got 'abc'"),
    "unknown region": (["run", "region=osaka"], "region: unknown option 'osaka'"),
    "unknown prefecture": (
        ["run", "region=prefecture", "region.prefecture=atlantis"],
        "region.prefecture: unknown prefecture 'atlantis'",
    ),
    "prefecture missing": (["run", "region=prefecture"], "region.prefecture"),
    "missing csv": (["run", "region=custom", "region.csv={tmp}/nowhere.csv"], "nowhere.csv"),
    "malformed csv": (["run", "region=custom", "region.csv={tmp}/bad.csv"], "bad.csv"),
    "unknown municipality": (
        ["run", "region.municipalities=[鳥取市,Atlantis]"],
        "region.municipalities: unknown municipality 'Atlantis'",
    ),
    "thresholds": (["run", "survey.thresholds=[0.5,0.1,1.0,2.0]"], "survey.thresholds"),
    "not key=value": (["run", "years"], "'years' is not KEY=VALUE"),
    "output is a file": (["run", "output_dir={tmp}/a-file"], "a-file' exists and is not a folder"),
    "config command": (["config", "years=abc"], "years: expected an integer"),
    "unknown command": (["rnu"], "invalid choice: 'rnu'"),
    "unknown option": (["run", "--dry-run"], "unrecognized arguments: --dry-run"),
}


def tsunagari(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the console script."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run(
        [TSUNAGARI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    (tmp / "bad.csv").write_text("code,name,pop_male\n31201,鳥取市,100\n", encoding="utf-8")
    (tmp / "a-file").write_text("not a folder\n", encoding="utf-8")
    return tmp


@pytest.fixture(scope="module")
def bad_runs(work: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every bad input, run concurrently (each is a separate process)."""
    jobs = {
        name: [a.replace("{tmp}", str(work)) for a in args]
        for name, (args, _) in BAD_INPUTS.items()
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = {name: pool.submit(tsunagari, args, work) for name, args in jobs.items()}
        return {name: future.result() for name, future in done.items()}


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same tiny run twice (in two folders) and once in English."""
    base = tmp_path_factory.mktemp("runs")
    args = {"a": [*TINY, "output_dir=out"], "b": [*TINY, "output_dir=out"]}
    args["en"] = [*TINY, "lang=en", "output_dir=out"]
    for name in args:
        (base / name).mkdir()
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = {n: pool.submit(tsunagari, ["run", *a], base / n) for n, a in args.items()}
        for name, future in done.items():
            result = future.result()
            assert result.returncode == 0, result.stderr
            (base / name / "stdout.txt").write_text(result.stdout, encoding="utf-8")
    return {name: base / name for name in args}


def test_console_script_is_installed() -> None:
    assert TSUNAGARI is not None


def test_help_lists_the_commands(work: Path) -> None:
    result = tsunagari(["--help"], work)
    assert result.returncode == 0
    for command in ("run", "config", "params", "scenarios"):
        assert re.search(rf"^ +{command}\b", result.stdout, re.MULTILINE), command


def test_run_help_is_complete(work: Path) -> None:
    result = tsunagari(["run", "--help"], work)
    assert result.returncode == 0
    text = result.stdout
    for option in ("tottori", "kochi", "prefecture", "custom"):
        assert f"region={option}" in text
    for path in Path(config_dir(), "region").glob("*.yaml"):  # generated from the files
        assert f"region={path.stem}" in text
    for f in dataclasses.fields(RegionConfig):
        assert f"region.{f.name}" in text
    for f in dataclasses.fields(RunConfig):
        assert f"  {f.name}" in text, f.name
    assert "dynamics.loneliness.*" in text and "population.households.*" in text
    assert "(default) Tottori" in text


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_and_exit_2(
    case: str, bad_runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    result = bad_runs[case]
    expected = BAD_INPUTS[case][1].replace("{tmp}", "")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tsunagari: error: ")
    assert expected in lines[0]
    assert result.stdout == ""


def test_tiny_run_writes_every_output(tiny_runs: dict[str, Path]) -> None:
    out = tiny_runs["a"] / "out"
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0, name
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["config"]["population"]["scale"] == pytest.approx(0.01)
    assert manifest["config"]["years"] == 1
    assert manifest["region"]["key"] == "tottori"
    assert "鳥取県" in (tiny_runs["a"] / "stdout.txt").read_text(encoding="utf-8")


def test_same_command_twice_gives_identical_files(tiny_runs: dict[str, Path]) -> None:
    a, b = tiny_runs["a"] / "out", tiny_runs["b"] / "out"
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir()) == sorted(OUTPUTS)
    for name in names:
        assert _sha256(a / name) == _sha256(b / name), name


def test_english_run(tiny_runs: dict[str, Path]) -> None:
    out = tiny_runs["en"] / "out"
    assert all((out / name).exists() for name in OUTPUTS)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["config"]["lang"] == "en"
    stdout = (tiny_runs["en"] / "stdout.txt").read_text(encoding="utf-8")
    assert "Tottori" in stdout and "aged 16+" in stdout
    assert _sha256(out / "prevalence.png") != _sha256(tiny_runs["a"] / "out" / "prevalence.png")


def test_config_command_prints_the_composed_config(work: Path) -> None:
    result = tsunagari(["config", "region=kochi", "seed=7", "region.municipalities=[高知市]"], work)
    assert result.returncode == 0, result.stderr
    printed = yaml.safe_load(result.stdout)
    assert printed["region"] == {
        "key": "kochi", "prefecture": None, "csv": None, "municipalities": ["高知市"]
    }  # fmt: skip
    assert printed["seed"] == 7
    assert printed["population"]["scale"] == pytest.approx(0.1)


def test_params_uncertain_lists_only_uncertain(work: Path) -> None:
    result = tsunagari(["params", "--uncertain"], work)
    assert result.returncode == 0, result.stderr
    names = [line.split(" = ")[0] for line in result.stdout.splitlines() if line[:1] != " "]
    expected = [p.name for p in describe(RunConfig) if p.uncertain]
    assert names == expected
    assert 0 < len(names) < len(describe(RunConfig))


def test_scenarios_lists_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scenarios", "--lang", "en"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    library = Path(config_dir()).parents[1] / "scenarios"
    assert "baseline" in names
    assert names == sorted(p.stem for p in library.glob("*.yaml"))


# --- in-process: failures after the run (nothing computed is lost) ---------------------------


def test_write_failure_is_one_line_naming_the_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.model
    import sim.output

    def no_space(results: object, out: Path) -> None:
        raise OSError(28, "No space left on device", str(out / "timeseries.csv"))

    monkeypatch.setattr(sim.model, "run", lambda cfg, region=None: object())
    monkeypatch.setattr(sim.output, "write_run", no_space)
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
    import sim.plots
    from sim.model import run
    from sim.output import write_run

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no font")

    results = run(compose_config([*TINY, "years=1"]))
    monkeypatch.setattr(sim.plots, "save_figure", broken)
    paths = write_run(results, tmp_path)
    assert "figure" not in paths
    for name in ("timeseries.parquet", "timeseries.csv", "summary.csv", "manifest.json"):
        assert (tmp_path / name).stat().st_size > 0, name
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs_sha256"]["figure_error"] == "RuntimeError: no font"
    assert not (tmp_path / "prevalence.png").exists()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
