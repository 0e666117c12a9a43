"""Output folders are right or refused: written as a whole, never mixed with an earlier run, and
checked by the report; result stores re-run damaged files; spreadsheet cells never run.

Runs are tiny (a few hundred residents, one year) and made once per module where possible; the
failure cases corrupt copies of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.app import cli
from sim.app.cli import main
from sim.core import files

TINY = ["population.scale=0.003", "years=1", "burn_in_weeks=4", "calibration=none"]


def _digest(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under a folder, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _no_simulation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any simulation fail the test: refusals must come before the run."""
    import sim.engine.model

    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("a simulation was started")

    monkeypatch.setattr(sim.engine.model, "run", boom)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    # warnings (e.g. a lever starting after the last record) are not part of the error contract
    lines = [x for x in captured.err.splitlines() if not x.startswith("tsunagari: warning:")]
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("tsunagari: error: ")
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, tiny_run: Path) -> dict[str, Path]:
    """A tiny baseline run (seed 0; the suite's shared ``tiny_run``, TINY is its configuration)
    and a tiny paired run (places_first), made once."""
    base = tmp_path_factory.mktemp("made")
    out = {"run": tiny_run, "paired": base / "paired"}
    assert main(["run", *TINY, "scenario=places_first", f"output_dir={out['paired']}"]) == 0
    return out


@pytest.fixture
def copy(made: dict[str, Path], tmp_path: Path):
    """A fresh copy of one of the made folders."""

    def make(kind: str) -> Path:
        return Path(shutil.copytree(made[kind], tmp_path / kind))

    return make


# ---------------------------------------------------------------- the output folder


def test_folder_of_another_run_is_refused_before_simulating(
    copy, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = copy("run")
    before = _digest(folder)
    _no_simulation(monkeypatch)
    assert main(["run", *TINY, "seed=7", f"output_dir={folder}"]) == 2
    line = _one_error_line(capsys)
    assert "output_dir" in line and str(folder) in line and "overwrite=true" in line
    assert _digest(folder) == before


def test_folder_of_other_files_is_refused_even_with_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.txt").write_text("precious\n", encoding="utf-8")
    (folder / "manifest.json").write_text("[1, 2]", encoding="utf-8")  # not a run's manifest
    _no_simulation(monkeypatch)
    assert main(["run", *TINY, "overwrite=true", f"output_dir={folder}"]) == 2
    assert "output_dir" in _one_error_line(capsys)
    assert (folder / "thesis.txt").read_text(encoding="utf-8") == "precious\n"


def test_current_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _no_simulation(monkeypatch)
    for target in (".", str(tmp_path.parent)):
        assert main(["run", *TINY, "overwrite=true", f"output_dir={target}"]) == 2
        assert "is the current folder or contains it" in _one_error_line(capsys)


def test_same_run_is_rewritten_identically(copy) -> None:
    from sim.io.output import run_identity

    folder = copy("run")
    before = _digest(folder)
    old = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    (folder / "report.html").write_text("an old report\n", encoding="utf-8")
    assert main(["run", *TINY, "overwrite=false", f"output_dir={folder}"]) == 0
    after = _digest(folder)
    new = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    # identical data, nothing of the earlier folder left (the manifest names the new folder)
    assert after.keys() == before.keys()
    assert {k: v for k, v in after.items() if k != "manifest.json"} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }
    assert run_identity(new["config"]) == run_identity(old["config"])
    assert new["outputs_sha256"] == old["outputs_sha256"]
    assert not list(folder.parent.glob(".run.partial-*"))


def test_overwrite_replaces_a_paired_run_as_a_whole(copy) -> None:
    """The issue's stale-folder bug: a baseline run into a paired run's folder left baseline/ and
    comparison.csv behind, and the report then showed a paired report of the wrong numbers."""
    folder = copy("paired")
    assert (folder / "baseline").is_dir() and (folder / "comparison.csv").is_file()
    assert main(["run", *TINY, "seed=3", "overwrite=true", f"output_dir={folder}"]) == 0
    assert not (folder / "baseline").exists() and not (folder / "comparison.csv").exists()
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [
            "manifest.json",
            "prevalence.png",
            "pyramid.png",
            "summary.csv",
            "timeseries.csv",
            "timeseries.parquet",
        ]
    )
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["seed"] == 3 and man["config"]["scenario"] == "baseline"
    assert cli._output_folder(str(folder)) == folder  # still a normal folder, not a symlink


def test_failed_write_leaves_the_old_folder_intact(
    copy, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.io.output

    folder = copy("run")
    before = _digest(folder)
    written = []

    def half_then_full_disk(results: object, out: Path, **figures: object) -> None:
        (out / "timeseries.parquet").write_bytes(b"half a file")
        written.append(out)
        raise OSError(28, "No space left on device", str(out / "timeseries.csv"))

    monkeypatch.setattr(sim.io.output, "write_run", half_then_full_disk)
    assert main(["run", *TINY, f"output_dir={folder}"]) == 1
    line = _one_error_line(capsys)
    assert line == (
        f"tsunagari: error: cannot write '{folder / 'timeseries.csv'}': No space left on device"
    )
    assert written and written[0] != folder and written[0].parent == folder.parent
    assert not written[0].exists()  # the staged folder is removed
    assert _digest(folder) == before


def test_failed_pairing_keeps_the_scenario_run_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "paired"

    def full_disk(path: object, *args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(files, "write_csv", full_disk)  # only the paired comparison.csv uses it
    assert main(["run", *TINY, "scenario=places_first", f"output_dir={folder}"]) == 1
    line = _one_error_line(capsys)
    assert f"'{folder / 'comparison.csv'}'" in line
    assert not (folder / "baseline").exists() and not (folder / "comparison.csv").exists()
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["config"]["scenario"] == "places_first"
    assert "comparison_csv" not in man["outputs_sha256"]
    monkeypatch.undo()
    from sim.report import _run_files, detect_kind

    assert detect_kind(folder) == "run"  # a complete single run, its checksums intact
    assert len(_run_files(folder)[2])


def test_complete_outputs_are_kept_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def busy(new: Path, final: Path) -> None:
        raise OSError(16, "Device or resource busy", str(final))

    monkeypatch.setattr(files, "replace_folder", busy)
    folder = tmp_path / "out"
    assert main(["run", *TINY, f"output_dir={folder}"]) == 1
    line = _one_error_line(capsys)
    kept = next(tmp_path.glob(".out.partial-*"))
    assert line == (
        f"tsunagari: error: cannot write '{folder}': Device or resource busy; the complete "
        f"outputs are kept in '{kept}'"
    )
    assert (kept / "manifest.json").is_file() and (kept / "timeseries.parquet").is_file()


# ---------------------------------------------------------------- the manifest


def test_manifest_records_the_machine_outside_the_run_identity(made: dict[str, Path]) -> None:
    from sim.io.output import machine, run_identity

    man = json.loads((made["run"] / "manifest.json").read_text(encoding="utf-8"))
    assert man["machine"] == machine() == machine()  # deterministic on one machine
    simd = man["machine"]["numpy_simd"]
    assert set(simd) >= {"baseline", "found", "not_found", "active"}
    assert simd["found"] + simd["not_found"] or simd["baseline"]
    assert "machine" not in json.loads(run_identity(man["config"]))
    moved = {**man["config"], "output_dir": "elsewhere", "overwrite": True}
    assert run_identity(moved) == run_identity(man["config"])
    assert run_identity({**man["config"], "seed": 1}) != run_identity(man["config"])


def test_simd_level_follows_npy_disable_cpu_features() -> None:
    from sim.io.output import numpy_simd

    found = numpy_simd()["found"]
    if not found:
        pytest.skip("numpy dispatches no optional SIMD level on this CPU")
    top = found[-1]
    code = "import json; from sim.io.output import numpy_simd; print(json.dumps(numpy_simd()))"
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": top}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    simd = json.loads(out.stdout)
    assert top in simd["not_found"] and top not in simd["found"]
    assert simd["NPY_DISABLE_CPU_FEATURES"] == top


# ---------------------------------------------------------------- the report checks its inputs


def _report_fails(folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["report", str(folder)]) == 2
    return _one_error_line(capsys)


@pytest.mark.parametrize(
    ("kind", "damage", "named", "says"),
    [
        ("run", "append:timeseries.parquet", "timeseries.parquet", "does not match its checksum"),
        ("run", "empty:timeseries.parquet", "timeseries.parquet", "does not match its checksum"),
        ("run", "remove:timeseries.parquet", "timeseries.parquet", "is missing"),
        ("run", "text:manifest.json:[1, 2]", "manifest.json", "not a JSON object"),
        ("run", "text:manifest.json:{oops", "manifest.json", "not valid JSON"),
        ("run", "remove:manifest.json", "manifest.json", "is missing"),
        ("paired", "append:comparison.csv", "comparison.csv", "does not match its checksum"),
        ("paired", "empty:baseline/timeseries.parquet", "baseline/timeseries.parquet", "checksum"),
        ("paired", "cut:baseline/timeseries.parquet", "baseline/timeseries.parquet", "checksum"),
        ("paired", "remove:baseline/manifest.json", "baseline/manifest.json", "is missing"),
        ("paired", "text:baseline/manifest.json:[]", "baseline/manifest.json", "checksum"),
    ],
    ids=lambda v: v if isinstance(v, str) and ":" in v else None,
)
def test_report_refuses_a_damaged_run_folder(
    copy, capsys: pytest.CaptureFixture[str], kind: str, damage: str, named: str, says: str
) -> None:
    folder = copy(kind)
    action, _, rest = damage.partition(":")
    name, _, text = rest.partition(":")
    path = folder / name
    if action == "append":
        path.write_bytes(path.read_bytes() + b"\n")
    elif action == "empty":
        path.write_bytes(b"")
    elif action == "cut":
        path.write_bytes(path.read_bytes()[:200])
    elif action == "remove":
        path.unlink()
    else:
        path.write_text(text, encoding="utf-8")
    line = _report_fails(folder, capsys)
    assert f"'{folder / named}'" in line and says in line
    assert not (folder / "report.html").exists()


def test_report_refuses_a_stale_comparison(copy, capsys: pytest.CaptureFixture[str]) -> None:
    """A comparison.csv and baseline/ the run's manifest does not list (left by an earlier run)."""
    folder = copy("run")
    shutil.copy(copy("paired") / "comparison.csv", folder / "comparison.csv")
    line = _report_fails(folder, capsys)
    assert f"'{folder / 'comparison.csv'}' has no checksum" in line


def test_report_of_intact_folders_still_works(copy) -> None:
    folder = copy("paired")
    assert main(["report", str(folder)]) == 0
    assert (folder / "report.html").is_file() and (folder / "tables" / "all_tables.xlsx").is_file()


@pytest.mark.slow
def test_compare_reruns_a_damaged_run_and_report_checks_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cmp"
    argv = ["compare", "packages=[places_first]", "seeds=1", "executor=serial", *TINY,
            f"out={out}", "lang=en"]  # fmt: skip
    assert main(argv) == 0
    before = (out / "comparison.csv").read_bytes()
    (out / "runs" / "places_first-s00000-r000.parquet").write_bytes(b"")
    capsys.readouterr()
    assert main(argv) == 0
    assert "(1 already in the store, 1 run now" in capsys.readouterr().out
    assert (out / "comparison.csv").read_bytes() == before  # the same numbers again
    man = json.loads((out / "last_command.json").read_text(encoding="utf-8"))
    assert set(man["sha256"]) == set(man["files"])
    assert main(["report", str(out)]) == 0
    (out / "robustness.csv").write_text("package\n=1+1\n", encoding="utf-8")
    line = _report_fails(out, capsys)
    assert f"'{out / 'robustness.csv'}' does not match its checksum" in line
    (out / "runs" / "baseline-s00000-r000.parquet").write_bytes(b"PAR1")
    (out / "last_command.json").unlink()
    assert f"'{out / 'runs' / 'baseline-s00000-r000.parquet'}'" in _report_fails(out, capsys)


# ------------------------------- spreadsheet cells (the helpers: tests/core/test_files.py)


def test_custom_municipality_names_are_escaped_in_run_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    region = tmp_path / "evil.csv"
    region.write_text(
        "code,name,pop_male,pop_female\n"
        '99001,"=HYPERLINK(""http://x"",""y"")",40000,42000\n'
        "99002,@SUM(1),30000,31000\n",
        encoding="utf-8",
    )
    folder = tmp_path / "run"
    args = ["run", "region=custom", f"region.csv={region}", "population.scale=0.01", "years=1",
            "burn_in_weeks=4", "calibration=none", f"output_dir={folder}"]  # fmt: skip
    status = main(args)
    assert status == 0, capsys.readouterr().err
    table = pd.read_parquet(folder / "timeseries.parquet")
    groups = set(table.loc[table["dimension"] == "municipality", "group"])
    assert groups == {'=HYPERLINK("http://x","y")', "@SUM(1)"}  # the data keep the names
    for name in ("timeseries.csv", "summary.csv"):
        cells = set(pd.read_csv(folder / name)["group"])
        assert {'\'=HYPERLINK("http://x","y")', "'@SUM(1)"} <= cells, name
        assert not any(c.startswith(("=", "@")) for c in cells), name


# ---------------------------------------------------------------- number formats and labels


def test_summary_writes_sex_and_household_type_as_labels(made: dict[str, Path]) -> None:
    table = pd.read_csv(made["run"] / "summary.csv")
    groups = table.groupby("dimension")["group"].apply(set)
    assert groups["sex"] == {"male", "female"}
    assert groups["household_type"] <= {
        "single-person", "couple only", "couple with children", "single parent", "other"
    }  # fmt: skip
    assert len(groups["household_type"]) >= 4
    assert not re.search(r"\de[+-]\d", (made["run"] / "summary.csv").read_text("utf-8"))
    # the shares are unchanged by the labels: the same as the last record of the time series
    ts = pd.read_parquet(made["run"] / "timeseries.parquet")
    last = ts[(ts["week"] == ts["week"].max()) & (ts["dimension"] == "sex")]
    female = last[(last["group"] == "1") & (last["measure"] == "often_always")]["value"].iloc[0]
    got = table[(table["dimension"] == "sex") & (table["group"] == "female")]["often_always"]
    assert got.iloc[0] == pytest.approx(female, abs=5e-7)
