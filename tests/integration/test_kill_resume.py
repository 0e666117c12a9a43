"""Kill and resume: a SIGKILLed ``compare``, ``sensitivity`` or ``calibrate`` loses nothing.

Each command runs with the process executor and 2 workers at a tiny scale. It is started in its
own session, SIGKILLed (the whole process group: the command and its workers) once some but not
all of its runs are in its store, and rerun the same way to completion. Then:

* 0 lost: the store holds every planned run (experiments: ``runs/<run_id>.parquet``; calibration:
  one ``evaluations.jsonl`` line per ``g<generation>:<index>`` and ``final:*`` key);
* 0 duplicated: each exactly once, and the runs stored before the kill were kept as they were
  (the same files, the same lines), not run again;
* the outcomes equal, bit for bit, those of an uninterrupted run of the same command in another
  folder (timing fields aside).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.config import sets_dir

pytestmark = pytest.mark.slow

EXE = Path(sys.executable).with_name("tsunagari")
TSUNAGARI = str(EXE) if EXE.exists() else shutil.which("tsunagari")
MODEL = ("population.scale=0.01", "years=1", "burn_in_weeks=4", "calibration=none")
EXPERIMENT = ("executor=process", "executor.workers=2", "executor.batch_seconds=1",
              "progress=off", "resamples=20")  # fmt: skip
COMMANDS = {
    "compare": ("compare", "packages=[places_first]", "seeds=8", *EXPERIMENT, *MODEL),
    "sensitivity": ("sensitivity", "method=morris", "experiment=smoke", "r=4", "seeds=1",
                    *EXPERIMENT, *MODEL),
}  # fmt: skip
GENERATIONS, PARTICLES = 2, 8
CALIBRATE = ("calibrate", "engine=legacy", "workers=2", f"generations={GENERATIONS}",
             f"particles={PARTICLES}",
             "check_scale=none", "tottori_scale=none", "region=tottori",
             "population.scale=0.01", "burn_in_weeks=4")  # fmt: skip
TIMING = {"elapsed_s", "seconds"}  # wall-clock fields: the only ones that may differ
POLL_S = 0.05
KILL_DEADLINE_S = 180
RUN_TIMEOUT_S = 400


def _env() -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg"}


def _run_to_completion(args: list[str], cwd: Path) -> str:
    """Run the command to the end; return its stdout (fail on a non-zero status)."""
    done = subprocess.run(
        [TSUNAGARI, *args], cwd=cwd, env=_env(), capture_output=True, text=True,
        timeout=RUN_TIMEOUT_S, start_new_session=True,
    )  # fmt: skip
    assert done.returncode == 0, f"{args[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout


def _kill_midway(args: list[str], cwd: Path, count, at_least: int, total: int) -> int:
    """Start the command in its own session; SIGKILL its group once ``count() >= at_least``.

    Returns:
        How many runs were stored when the group was killed (checked to be fewer than total).
    """
    log = (cwd / "killed.log").open("w")
    proc = subprocess.Popen(
        [TSUNAGARI, *args], cwd=cwd, env=_env(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + KILL_DEADLINE_S
    try:
        while count() < at_least:
            if proc.poll() is not None:
                pytest.fail(f"{args[0]} ended ({proc.returncode}) before {at_least} runs were "
                            f"stored:\n{(cwd / 'killed.log').read_text()[-2000:]}")  # fmt: skip
            assert time.monotonic() < deadline, f"{args[0]}: no {at_least} runs in time"
            time.sleep(POLL_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        log.close()
    stored = count()
    assert proc.returncode == -signal.SIGKILL
    assert at_least <= stored < total, f"{args[0]}: {stored} of {total} stored when killed"
    return stored


# --- compare and sensitivity: the experiment result store -----------------------------------


def _run_files(store: Path) -> dict[str, tuple[int, int]]:
    """Finished runs of a store: run id -> (inode, mtime in ns) of its run file."""
    runs = store / "runs"
    if not runs.is_dir():
        return {}
    return {
        p.stem: (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in runs.glob("*.parquet")
        if not p.name.startswith(".")
    }


def _planned_run_ids(args: tuple[str, ...], out: Path) -> list[str]:
    """Run ids of the command's design, as the command itself lists them."""
    from experiments.commands import compare_sweep, sensitivity_sweep

    overrides = [*args[1:], f"out={out}"]
    if args[0] == "compare":
        sweep = compare_sweep(overrides)
    else:
        sweep = sensitivity_sweep(overrides)[0]
    return [spec.run_id for spec in sweep.specs]


def _read_folder(folder: Path) -> pd.DataFrame:
    """Every non-hidden Parquet file of a folder as one table, sorted, without timing fields."""
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))
    df = pd.concat([pq.read_table(p).to_pandas() for p in files], ignore_index=True)
    keys = [c for c in ("run_id", "week", "measure", "dimension", "group") if c in df]
    df = df.drop(columns=[c for c in TIMING if c in df])
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_killed_experiment_resumes_without_loss_or_duplicates(command: str, tmp_path: Path) -> None:
    args = COMMANDS[command]
    ref, store = tmp_path / "uninterrupted", tmp_path / "killed"
    planned = _planned_run_ids(args, store)
    assert len(planned) == len(set(planned)) >= 12

    _run_to_completion([*args, f"out={ref}"], tmp_path)
    assert sorted(_run_files(ref)) == sorted(planned)

    n = _kill_midway(
        [*args, f"out={store}"], tmp_path, lambda: len(_run_files(store)), 2, len(planned)
    )
    before = _run_files(store)
    assert len(before) == n
    for run_id in before:  # what a killed command left is whole: each run file reads
        assert len(pq.read_table(store / "runs" / f"{run_id}.parquet")) == 1

    out = _run_to_completion([*args, f"out={store}"], tmp_path)
    after = _run_files(store)
    assert sorted(after) == sorted(planned)  # 0 lost
    assert {k: after[k] for k in before} == before  # runs stored before the kill were kept
    if hit := re.search(r"(\d+) runs \((\d+) already in the store, (\d+) run now", out):
        assert [int(x) for x in hit.groups()] == [len(planned), n, len(planned) - n]

    outcomes = _read_folder(store / "runs")
    assert Counter(outcomes["run_id"]) == Counter(planned)  # each exactly once
    pd.testing.assert_frame_equal(outcomes, _read_folder(ref / "runs"), check_exact=True)
    if (ref / "series").is_dir() and any((ref / "series").glob("*.parquet")):
        pd.testing.assert_frame_equal(
            _read_folder(store / "series"), _read_folder(ref / "series"), check_exact=True
        )
    table = "comparison.csv" if command == "compare" else "morris_indices.csv"
    assert (store / table).read_bytes() == (ref / table).read_bytes()


# --- calibrate: the evaluation store ---------------------------------------------------------


@pytest.fixture
def calibration_names():
    """Two run names for calibrate; their files (run stores and reports in calibration/, sets in
    sim/config/sets/) are removed before and after."""
    from calibration.fit import calibration_dir

    here, sets = calibration_dir(), Path(str(sets_dir()))
    names = [f"killtest_{os.getpid()}_{tag}" for tag in ("ref", "resumed")]

    def clean() -> None:
        for name in names:
            shutil.rmtree(here / "runs" / name, ignore_errors=True)
            shutil.rmtree(here / f"report_{name}", ignore_errors=True)
            (sets / f"{name}.yaml").unlink(missing_ok=True)

    clean()
    yield here, names
    clean()


def _complete_lines(path: Path) -> list[str]:
    """The whole lines of an append-only file (a torn last line is left out)."""
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    return text.splitlines()[: text.count("\n")]


def _records(path: Path) -> dict[str, str]:
    """Evaluation key -> the record as canonical JSON without timing fields."""
    out = {}
    for line in _complete_lines(path):
        rec = json.loads(line)
        out[rec["key"]] = json.dumps({k: v for k, v in rec.items() if k not in TIMING},
                                     sort_keys=True)  # fmt: skip
    return out


def test_killed_calibration_resumes_without_loss_or_duplicates(
    calibration_names, tmp_path: Path
) -> None:
    here, (ref_name, name) = calibration_names
    planned = [f"g{g}:{i}" for g in range(GENERATIONS) for i in range(PARTICLES)]
    planned += ["final:mean", "final:best"]
    evaluations = here / "runs" / name / "evaluations.jsonl"

    _run_to_completion([*CALIBRATE, f"name={ref_name}"], tmp_path)
    reference = _records(here / "runs" / ref_name / "evaluations.jsonl")
    assert sorted(reference) == sorted(planned)

    # killed inside the second generation, whose proposals depend on the first's results
    n = _kill_midway(
        [*CALIBRATE, f"name={name}"], tmp_path, lambda: len(_complete_lines(evaluations)),
        PARTICLES + 2, len(planned),
    )  # fmt: skip
    before = _complete_lines(evaluations)[:n]

    _run_to_completion([*CALIBRATE, f"name={name}"], tmp_path)
    lines = _complete_lines(evaluations)
    assert lines[:n] == before  # evaluations stored before the kill were kept as they were
    keys = [json.loads(line)["key"] for line in lines]
    assert Counter(keys) == Counter(planned)  # 0 lost, 0 duplicated
    assert _records(evaluations) == reference  # bit for bit (JSON floats round-trip exactly)
    sets = Path(str(sets_dir()))
    body = [(sets / f"{n_}.yaml").read_text(encoding="utf-8") for n_ in (ref_name, name)]
    assert body[0] == body[1]
