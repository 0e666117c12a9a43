"""Fuzz test of the command line: every bad input is refused with one line and exit status 2.

A table of bad inputs across every command (``run``, ``config``, ``params``, ``scenarios``,
``compare``, ``sensitivity``, ``calibrate``, ``validate``, ``report``, ``wide-area``,
``dashboard``). Each must give exit status 2, exactly one non-empty line on stderr starting with
``tsunagari: error:`` (naming the offending key or file where the case says which), no control
characters in that line, and no ``Traceback`` anywhere.

Cases run in this process through :func:`sim.app.cli.main`, so no simulation starts for a bad input:
every place where real work begins (building the model's networks or stepping it, synthesising a
large population, a worker pool, a calibration store, the dashboard server) is replaced by a
sentinel that fails the case with "work started" (the model's scenario check, which comes right
after its networks are built, is done first, so a bad scenario still gives its line). A few
cases (YAML alias bombs) run the console script in a subprocess under a memory limit and a
timeout instead, and a handful of others run both ways to prove the console script prints the
same line.
"""

from __future__ import annotations

import dataclasses
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import traceback
from pathlib import Path

import pandas as pd
import pytest

from sim.app import cli

EXE = Path(sys.executable).with_name("tsunagari")
TSUNAGARI = str(EXE) if EXE.exists() else shutil.which("tsunagari")
TINY = ("population.scale=0.003", "years=1", "burn_in_weeks=4", "calibration=none")
MEMORY_LIMIT = 5 * 2**29  # address-space limit of subprocess cases: 2.5 GiB
SUBPROCESS_TIMEOUT = 60  # seconds: a bad input must be refused long before this
LARGE_POPULATION = 500_000  # synthesising more residents than this counts as work started
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes:
        id: readable test id.
        argv: arguments after ``tsunagari``; ``{tmp}`` is the folder of fixture files,
            ``{run}`` the folder of run-derived fixtures (built only when a case uses it).
        names: the error line must contain at least one of these (the key or file at fault).
        absent: the error line must contain none of these (vague or raw text).
        subprocess: run the console script (under a memory limit) instead of in-process.
    """

    id: str
    argv: tuple[str, ...]
    names: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    subprocess: bool = False


def case(id_: str, *argv: str, names=(), absent=(), sub: bool = False) -> Case:
    """A :class:`Case`; ``names`` may be one string or a tuple of alternatives."""
    names = (names,) if isinstance(names, str) else tuple(names)
    absent = (absent,) if isinstance(absent, str) else tuple(absent)
    return Case(id_, tuple(argv), names, absent, sub)


def custom(file: str) -> tuple[str, ...]:
    """Arguments of a run on a custom region CSV of the fixture folder."""
    return ("run", "region=custom", f"region.csv={{tmp}}/{file}", *TINY)


# fmt: off
CASES: list[Case] = [
    # --- run: keys, types and ranges ---
    case("run-unknown-key", "run", "foo=1", names="foo"),
    case("run-misspelt-key", "run", "population.sclae=0.2", names="population.sclae"),
    case("run-added-unknown-key", "run", "+population.bogus=1", names="population.bogus"),
    case("run-scale-above-range", "run", "population.scale=2", names="population.scale"),
    case("run-scale-below-minimum", "run", "population.scale=0.00001", names="population.scale"),
    case("run-scale-zero", "run", "population.scale=0", names="population.scale"),
    case("run-scale-negative", "run", "population.scale=-0.1", names="population.scale"),
    case("run-scale-nan", "run", "population.scale=nan", names="population.scale"),
    case("run-scale-inf", "run", "population.scale=inf", names="population.scale"),
    case("run-scale-text", "run", "population.scale=lots", names="population.scale"),
    case("run-scale-empty", "run", "population.scale=", names="population.scale"),
    case("run-years-inf", "run", "years=inf", names="years"),
    case("run-years-nan", "run", "years=nan", names="years"),
    case("run-years-zero", "run", "years=0", names="years"),
    case("run-years-above-range", "run", "years=31", names="years"),
    case("run-years-fraction", "run", "years=1.5", names="years"),
    case("run-years-text", "run", "years=abc", names="years"),
    case("run-years-empty", "run", "years=", names="years"),
    case("run-years-list", "run", "years=[1,2]", names="years"),
    case("run-years-sweep", "run", "years=1,2", names="years"),
    case("run-years-unclosed-list", "run", "years=[1", names="years"),
    case("run-not-key-value", "run", "years", names="years"),
    case("run-seed-negative", "run", "seed=-1", names="seed"),
    case("run-seed-too-large", "run", "seed=99999999999", names="seed"),
    case("run-burn-in-negative", "run", "burn_in_weeks=-4", names="burn_in_weeks"),
    case("run-rate-negative", "run", "dynamics.loneliness.recovery=-1",
         names="dynamics.loneliness.recovery"),
    case("run-rate-nan", "run", "dynamics.loneliness.recovery=nan",
         names="dynamics.loneliness.recovery"),
    case("run-group-given-a-value", "run", "population=3", names="population"),
    case("run-lang-unknown", "run", "lang=fr", names="lang"),
    case("run-start-date-invalid", "run", "start_date=2025-13-01", names="start_date"),
    case("run-thresholds-unordered", "run", "survey.thresholds=[0.5,0.1,1.0,2.0]",
         names="survey.thresholds"),
    case("run-overwrite-not-bool", "run", "overwrite=maybe", names="overwrite"),
    case("run-calibration-unknown", "run", "calibration=nosuch", names="calibration"),
    # --- run: regions ---
    case("run-region-unknown", "run", "region=osaka", names="osaka"),
    case("run-region-key-pref-99", "run", "region.key=pref-99", names="region.key"),
    case("run-prefecture-unknown", "run", "region=prefecture", "region.prefecture=atlantis",
         names="region.prefecture", absent="close matches: []"),
    case("run-prefecture-missing", "run", "region=prefecture", names="region.prefecture"),
    case("run-municipality-unknown", "run", "region.municipalities=[鳥取市,Atlantis]",
         names="region.municipalities", absent="close matches: []"),
    case("run-municipalities-empty", "run", "region.municipalities=[]",
         names="region.municipalities"),
    case("run-memory-guard-japan-full-scale", "run", "region=japan", "population.scale=1.0",
         "calibration=none", names=("population.scale", "memory")),
    # --- run: echoed control characters ---
    case("run-escape-in-prefecture", "run", "region=prefecture",
         "region.prefecture=\x1b[31matlantis", names="region.prefecture"),
    case("run-newline-in-key", "run", "fo\no=1"),
    # --- run: output folder ---
    case("run-output-dir-is-a-file", "run", "output_dir={tmp}/a-file", *TINY, names="a-file"),
    case("run-output-dir-not-a-run", "run", "output_dir={tmp}/notes", *TINY, names="notes"),
    case("run-output-dir-of-another-run", "run", "output_dir={run}/other-run", "seed=7", *TINY,
         names="other-run"),
    # --- run: custom region CSVs ---
    case("csv-missing", *custom("nowhere.csv"), names="nowhere.csv"),
    case("csv-is-a-folder", *custom("folder.csv"), names="folder.csv"),
    case("csv-missing-column", *custom("missing_column.csv"), names="missing_column.csv"),
    case("csv-text-population", *custom("text_pop.csv"), names="text_pop.csv"),
    case("csv-negative-population", *custom("negative_pop.csv"), names="negative_pop.csv"),
    case("csv-nan-population", *custom("nan_pop.csv"), names="nan_pop.csv"),
    case("csv-inf-population", *custom("inf_pop.csv"), names="inf_pop.csv"),
    case("csv-1e15-population", *custom("pop_1e15.csv"), names="pop_1e15.csv"),
    case("csv-1e20-population", *custom("pop_1e20.csv"), names="pop_1e20.csv"),
    case("csv-zero-population", *custom("zero_pop.csv"), names="zero_pop.csv"),
    case("csv-2001-rows", *custom("rows_2001.csv"), names="rows_2001.csv"),
    case("csv-1mb-name", *custom("long_name.csv"), names="long_name.csv"),
    case("csv-binary", *custom("binary.csv"), names="binary.csv"),
    case("csv-empty", *custom("empty.csv"), names="empty.csv"),
    case("csv-header-only", *custom("header_only.csv"), names="header_only.csv"),
    case("csv-utf16", *custom("utf16.csv"), names="utf16.csv"),
    case("csv-duplicate-code", *custom("duplicate_code.csv"), names="duplicate_code.csv"),
    case("csv-without-region-custom", "run", "region.csv={tmp}/empty.csv", names="region.csv"),
    # --- scenario files (config and run validate the same way) ---
    case("scenario-unknown", "run", "scenario=nosuch", names="nosuch"),
    case("scenario-file-missing", "config", "scenario={tmp}/missing.yaml", names="missing.yaml"),
    case("scenario-syntax-error", "config", "scenario={tmp}/syntax.yaml", names="syntax.yaml"),
    case("scenario-levers-5", "config", "scenario={tmp}/levers_5.yaml", names="levers_5.yaml"),
    case("scenario-levers-5-run", "run", "scenario={tmp}/levers_5.yaml", *TINY,
         names="levers_5.yaml"),
    case("scenario-id-list", "config", "scenario={tmp}/id_list.yaml", names="id_list.yaml"),
    case("scenario-binary", "config", "scenario={tmp}/binary.yaml", names="binary.yaml"),
    case("scenario-per-zone-nan", "config", "scenario={tmp}/per_zone_nan.yaml",
         names="per_zone_nan.yaml"),
    case("scenario-per-zone-nan-run", "run", "scenario={tmp}/per_zone_nan.yaml", *TINY,
         names="per_zone_nan.yaml"),
    case("scenario-per-zone-inf", "config", "scenario={tmp}/per_zone_inf.yaml",
         names="per_zone_inf.yaml"),
    case("scenario-capacity-text", "config", "scenario={tmp}/capacity_text.yaml",
         names="capacity_text.yaml"),
    case("scenario-unknown-lever-type", "config", "scenario={tmp}/unknown_type.yaml",
         names="unknown_type.yaml"),
    case("scenario-unknown-lever-field", "config", "scenario={tmp}/unknown_field.yaml",
         names="unknown_field.yaml"),
    case("scenario-bad-extends", "config", "scenario={tmp}/bad_extends.yaml",
         names="bad_extends.yaml"),
    case("scenario-top-level-list", "config", "scenario={tmp}/top_list.yaml",
         names="top_list.yaml"),
    case("scenario-empty-file", "config", "scenario={tmp}/empty.yaml", names="empty.yaml"),
    case("scenario-unknown-municipality", "config", "scenario={tmp}/unknown_muni.yaml",
         names="unknown_muni.yaml"),
    case("scenario-date-invalid", "config", "scenario={tmp}/bad_date.yaml",
         names="bad_date.yaml"),
    case("scenario-alias-bomb", "config", "scenario={tmp}/bomb.yaml", names="bomb.yaml",
         sub=True),
    # --- config ---
    case("config-scale-nan", "config", "population.scale=nan", names="population.scale"),
    case("config-years-inf", "config", "years=inf", names="years"),
    case("config-unknown-key", "config", "foo.bar=1", names="foo.bar"),
    # --- params, scenarios, top level ---
    case("params-unknown-prefix", "params", "nosuchprefix", names="nosuchprefix"),
    case("params-unknown-option", "params", "--bogus", names="--bogus"),
    case("scenarios-unknown-lang", "scenarios", "--lang", "fr", names="--lang"),
    case("scenarios-lang-option-unknown", "scenarios", "lang=fr", names="lang"),
    case("scenarios-option-unknown", "scenarios", "colour=red", names="colour=red"),
    case("unknown-command", "rnu", names="rnu"),
    case("run-unknown-option", "run", "--dry-run", names="--dry-run"),
    # --- compare ---
    case("compare-budget-nan", "compare", "budget=nan", *TINY, names="budget"),
    case("compare-budget-text", "compare", "budget=lots", *TINY, names="budget"),
    case("compare-seeds-zero", "compare", "seeds=0", *TINY, names="seeds"),
    case("compare-seeds-text", "compare", "seeds=abc", *TINY, names="seeds"),
    case("compare-seeds-negative", "compare", "seeds=-1", *TINY, names="seeds"),
    case("compare-samples-negative", "compare", "samples=-1", *TINY, names="samples"),
    case("compare-package-unknown", "compare", "packages=[nosuch]", *TINY, names="nosuch"),
    case("compare-packages-empty", "compare", "packages=[]", *TINY, names="packages"),
    case("compare-baseline-unknown", "compare", "baseline=nosuch", *TINY, names="nosuch"),
    case("compare-target-unknown", "compare", "target=nosuch", *TINY, names="target"),
    case("compare-outcome-unknown", "compare", "outcomes=[nosuch]", *TINY, names="nosuch"),
    case("compare-executor-unknown", "compare", "executor=nosuch", *TINY, names="executor"),
    case("compare-workers-zero", "compare", "executor.workers=0", *TINY,
         names="executor.workers"),
    case("compare-experiment-unknown", "compare", "experiment=nosuch", *TINY,
         names="experiment"),
    case("compare-conf-level", "compare", "conf_level=2", *TINY, names="conf_level"),
    case("compare-model-scale-nan", "compare", "population.scale=nan", names="population.scale"),
    case("compare-model-unknown-key", "compare", "foo=1", *TINY, names="foo"),
    case("compare-out-empty", "compare", "out=", *TINY, names="out"),
    case("compare-workers-beyond-memory", "compare", "executor.workers=100000",
         "population.scale=0.5", "years=1", names=("executor.workers", "population.scale")),
    case("compare-package-file-levers-5", "compare", "packages=[{tmp}/levers_5.yaml]", *TINY,
         names="levers_5.yaml"),
    case("compare-overlay-alias-bomb", "compare", "experiment={tmp}/experiment/bomb.yaml",
         *TINY, names=("bomb.yaml", "experiment"), sub=True),
    # --- sensitivity ---
    case("sensitivity-method-unknown", "sensitivity", "method=foo", *TINY, names="method"),
    case("sensitivity-r-zero", "sensitivity", "r=0", *TINY, names="r"),
    case("sensitivity-n-text", "sensitivity", "method=sobol", "n=abc", *TINY, names="n"),
    case("sensitivity-package-unknown", "sensitivity", "package=nosuch", *TINY, names="nosuch"),
    case("sensitivity-lever-unknown", "sensitivity", "package=places_first",
         "levers=[nosuch.per_zone]", *TINY, names="nosuch"),
    case("sensitivity-param-unknown", "sensitivity", "params=[nosuch.key]", *TINY,
         names="nosuch.key"),
    case("sensitivity-range-reversed", "sensitivity", "params=[dynamics.loneliness.recovery]",
         "ranges.dynamics.loneliness.recovery=[0.5,0.1]", *TINY,
         names="dynamics.loneliness.recovery"),
    # --- calibrate ---
    case("calibrate-workers-zero", "calibrate", "workers=0", names="workers"),
    case("calibrate-particles-text", "calibrate", "particles=abc", names="particles"),
    case("calibrate-generations-zero", "calibrate", "generations=0", names="generations"),
    case("calibrate-quantile-nan", "calibrate", "quantile=nan", names="quantile"),
    case("calibrate-quantile-above-one", "calibrate", "quantile=2", names="quantile"),
    case("calibrate-name-path", "calibrate", "name=../escape", names="name"),
    case("calibrate-targets-missing", "calibrate", "targets={tmp}/nowhere.csv",
         names="nowhere.csv"),
    case("calibrate-targets-empty", "calibrate", "targets={tmp}/empty.csv", names="empty.csv"),
    case("calibrate-parameters-missing", "calibrate", "parameters={tmp}/missing.yaml",
         names="missing.yaml"),
    case("calibrate-model-scale-nan", "calibrate", "population.scale=nan",
         names="population.scale"),
    case("calibrate-parameters-alias-bomb", "calibrate", "parameters={tmp}/bomb_params.yaml",
         "name=fuzz_bomb", names="bomb_params.yaml", sub=True),
    # --- validate ---
    case("validate-years-text", "validate", "years=abc", names="years"),
    case("validate-years-zero", "validate", "years=0", names="years"),
    case("validate-years-above", "validate", "years=51", names="years"),
    case("validate-out-empty", "validate", "out=", names="out"),
    case("validate-out-is-a-file", "validate", "out={tmp}/empty.csv", names="empty.csv"),
    case("validate-model-unknown-key", "validate", "foo=1", "years=1", names="foo"),
    # --- report ---
    case("report-missing-folder", "report", "{tmp}/nowhere", names="nowhere"),
    case("report-empty-folder", "report", "{tmp}/empty-folder", names="empty-folder"),
    case("report-on-a-file", "report", "{tmp}/a-file", names="a-file"),
    case("report-lang-unknown", "report", "{run}/run", "lang=fr", names="lang"),
    case("report-option-unknown", "report", "{run}/run", "foo=1", names="foo"),
    case("report-zero-byte-parquet", "report", "{run}/zero-parquet",
         names="timeseries.parquet"),
    case("report-truncated-parquet", "report", "{run}/truncated-parquet",
         names="timeseries.parquet"),
    case("report-tampered-parquet", "report", "{run}/tampered-parquet",
         names="timeseries.parquet"),
    case("report-manifest-json-list", "report", "{run}/manifest-list", names="manifest.json"),
    case("report-manifest-invalid-json", "report", "{run}/manifest-invalid",
         names="manifest.json"),
    case("report-manifest-missing", "report", "{run}/manifest-missing",
         names=("manifest.json", "manifest-missing")),
    case("report-compare-zero-byte-run", "report", "{run}/compare-zero-run",
         names="places_first-s00000-r000.parquet"),
    # --- wide-area ---
    case("wide-area-seeds-text", "wide-area", "seeds=abc", names="seeds"),
    case("wide-area-seeds-zero", "wide-area", "seeds=0", names="seeds"),
    case("wide-area-seeds-negative", "wide-area", "seeds=-2", names="seeds"),
    case("wide-area-workers-zero", "wide-area", "workers=0", names="workers"),
    case("wide-area-region-japan", "wide-area", "region=japan", names="region"),
    case("wide-area-region-unknown", "wide-area", "region=osaka", names="osaka"),
    case("wide-area-lang-unknown", "wide-area", "lang=fr", names="lang"),
    case("wide-area-scale-nan", "wide-area", "population.scale=nan", names="population.scale"),
    # --- dashboard ---
    case("dashboard-port-70000", "dashboard", "--port", "70000", names="70000"),
    case("dashboard-port-negative", "dashboard", "--port", "-1", names="--port"),
    case("dashboard-port-text", "dashboard", "--port", "abc", names="--port"),
]
# fmt: on

# cases also run through the console script, to prove it prints the same line
CONSOLE_CASES = (
    "run-unknown-key",
    "csv-binary",
    "compare-seeds-text",
    "report-zero-byte-parquet",
    "wide-area-seeds-text",
    "dashboard-port-70000",
)


# --- fixture files ---------------------------------------------------------------------------

HEADER = "code,name,pop_male,pop_female\n"


def _bomb(levels: int = 9, width: int = 9) -> list[str]:
    """Lines of a YAML flow list whose anchors nest ``width`` aliases ``levels`` deep."""
    items = ["&a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        items.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return items


def _write_bad_files(tmp: Path) -> None:
    """Every bad file the cases name (CSV, YAML, folders)."""
    (tmp / "a-file").write_text("not a folder\n", encoding="utf-8")
    (tmp / "notes").mkdir()
    (tmp / "notes" / "notes.txt").write_text("someone else's notes\n", encoding="utf-8")
    (tmp / "empty-folder").mkdir()
    (tmp / "folder.csv").mkdir()
    csv = {
        "missing_column.csv": "code,name,pop_male\n31201,鳥取市,100\n",
        "text_pop.csv": HEADER + "31201,鳥取市,many,100\n",
        "negative_pop.csv": HEADER + "31201,鳥取市,-5,100\n",
        "nan_pop.csv": HEADER + "31201,鳥取市,nan,100\n",
        "inf_pop.csv": HEADER + "31201,鳥取市,inf,100\n",
        "pop_1e15.csv": HEADER + "31201,鳥取市,1e15,1e15\n",
        "pop_1e20.csv": HEADER + "31201,鳥取市,1e20,100\n",
        "zero_pop.csv": HEADER + "31201,鳥取市,0,0\n",
        "rows_2001.csv": HEADER + "".join(f"{10000 + i},町{i},60,60\n" for i in range(2001)),
        "long_name.csv": HEADER + f"31201,{'x' * 2**20},100,100\n",
        "empty.csv": "",
        "header_only.csv": HEADER,
        "duplicate_code.csv": HEADER + "31201,鳥取市,100,100\n31201,米子市,100,100\n",
    }
    for name, text in csv.items():
        (tmp / name).write_text(text, encoding="utf-8")
    (tmp / "utf16.csv").write_bytes((HEADER + "31201,鳥取市,100,100\n").encode("utf-16"))
    (tmp / "binary.csv").write_bytes(bytes(range(256)) * 64)
    venue = "levers:\n  - type: venue\n    id: v\n"
    scenarios = {
        "syntax.yaml": "name: x\nlevers: [\n  - type: venue\n    id: {\n",
        "levers_5.yaml": "name: levers_5\nlevers: 5\n",
        "id_list.yaml": "levers:\n  - type: venue\n    id: [a, b]\n",
        "per_zone_nan.yaml": venue + "    per_zone: .nan\n",
        "per_zone_inf.yaml": venue + "    per_zone: .inf\n",
        "capacity_text.yaml": venue + "    capacity: lots\n",
        "unknown_type.yaml": "levers:\n  - type: teleporter\n    id: t\n",
        "unknown_field.yaml": venue + "    capacty: 20\n",
        "bad_extends.yaml": "name: bad_extends\nextends: no_such_package\nlevers: []\n",
        "top_list.yaml": "- type: venue\n- type: venue\n",
        "empty.yaml": "",
        "unknown_muni.yaml": venue + "    municipalities: [Atlantis]\n",
        "bad_date.yaml": venue + '    start: "2026-13-01"\n',
    }
    for name, text in scenarios.items():
        (tmp / name).write_text(text, encoding="utf-8")
    (tmp / "binary.yaml").write_bytes(b"\x00\x01\x02\xff\xfe" * 200)
    chain = _bomb()
    last = f"*a{len(chain) - 1}"
    (tmp / "bomb.yaml").write_text(
        f"name: bomb\ntitle:\n  en: [{', '.join(chain)}]\n  ja: {last}\nlevers: []\n",
        encoding="utf-8",
    )
    (tmp / "bomb_params.yaml").write_text(
        f"chain: [{', '.join(chain)}]\nparameters:\n  - name: {last}\n    low: 0\n    high: 1\n",
        encoding="utf-8",
    )
    (tmp / "experiment").mkdir()
    (tmp / "experiment" / "bomb.yaml").write_text(
        f"# @package _global_\nname: bomb\nranges:\n  chain: [{', '.join(chain)}]\n"
        f"  boom: {last}\n",
        encoding="utf-8",
    )


def _console(args: list[str], cwd: Path) -> tuple[int | str, str, str]:
    """Run the console script in its own session under a memory limit; kill it on timeout."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [TSUNAGARI, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True, preexec_fn=limit,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=SUBPROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return f"still running after {SUBPROCESS_TIMEOUT} s", out, err
    return proc.returncode, out, err


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of bad input files."""
    tmp = tmp_path_factory.mktemp("fuzz")
    _write_bad_files(tmp)
    return tmp


@pytest.fixture(scope="module")
def run_fixtures(tmp_path_factory: pytest.TempPathFactory, tiny_run: Path) -> Path:
    """One tiny valid run and one tiny compare store, and corrupted copies of them."""
    base = tmp_path_factory.mktemp("fuzz-runs")
    shutil.copytree(tiny_run, base / "run")  # the suite's shared run of TINY
    status, _, err = _console(
        ["compare", "packages=[places_first]", "seeds=1", "executor=serial", "resamples=20",
         "progress=off", "out=compare", *TINY], base,
    )  # fmt: skip
    assert status == 0, err
    run, parquet = base / "run", "timeseries.parquet"
    for name in ("other-run", "zero-parquet", "truncated-parquet", "tampered-parquet",
                 "manifest-list", "manifest-invalid", "manifest-missing"):  # fmt: skip
        shutil.copytree(run, base / name)
    (base / "zero-parquet" / parquet).write_bytes(b"")
    data = (run / parquet).read_bytes()
    (base / "truncated-parquet" / parquet).write_bytes(data[: len(data) // 2])
    table = pd.read_parquet(run / parquet)
    table.loc[table.index[0], "value"] = table["value"].iloc[0] + 0.25
    table.to_parquet(base / "tampered-parquet" / parquet, index=False)
    (base / "manifest-list" / "manifest.json").write_text("[1, 2, 3]\n", encoding="utf-8")
    (base / "manifest-invalid" / "manifest.json").write_text("{not json", encoding="utf-8")
    (base / "manifest-missing" / "manifest.json").unlink()
    shutil.copytree(base / "compare", base / "compare-zero-run")
    (base / "compare-zero-run" / "runs" / "places_first-s00000-r000.parquet").write_bytes(b"")
    return base


class WorkStarted(BaseException):
    """Raised where real work would begin; a BaseException so no handler swallows it."""


def _forbid_work(monkeypatch: pytest.MonkeyPatch, *, dashboard: bool) -> None:
    """Replace every place where real work begins with a :class:`WorkStarted` sentinel."""
    import concurrent.futures

    import calibration.store
    import sim.engine.model
    import sim.world.population

    def stop(what: str):
        def raiser(*args, **kwargs):
            raise WorkStarted(what)

        return raiser

    draw_ages = sim.world.population.draw_ages

    def guarded_draw_ages(n_m, *args, **kwargs):
        if int(sum(n_m)) > LARGE_POPULATION:
            raise WorkStarted(f"synthesising {int(sum(n_m)):,} residents")
        return draw_ages(n_m, *args, **kwargs)

    def build_layers(model) -> None:
        # the model checks its scenario right after building the networks: check it first,
        # so a bad scenario gives the line the command would print, without the work
        from sim.policy.scenario import check_horizon, load_scenario

        check_horizon(load_scenario(model.cfg.scenario), model.cfg.start_date, model.cfg.years)
        raise WorkStarted(f"the networks of {model.pop.n:,} residents were being built")

    monkeypatch.setattr(sim.world.population, "draw_ages", guarded_draw_ages)
    monkeypatch.setattr(sim.engine.model.LonelinessModel, "_build_layers", build_layers)
    monkeypatch.setattr(sim.engine.model.LonelinessModel, "step", stop("the model stepped"))
    monkeypatch.setattr(sim.engine.model.LonelinessModel, "run_all", stop("the model ran"))
    monkeypatch.setattr(
        concurrent.futures.ProcessPoolExecutor, "__init__", stop("a worker pool started")
    )
    monkeypatch.setattr(
        calibration.store.EvaluationStore, "__init__", stop("a calibration store was opened")
    )
    if dashboard:
        monkeypatch.setattr(subprocess, "call", stop("the dashboard server started"))
        monkeypatch.setattr(subprocess, "Popen", stop("the dashboard server started"))


def _started(exc: BaseException) -> WorkStarted | None:
    """The WorkStarted sentinel in an exception's chain, if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, WorkStarted):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[object, str, str]:
    """Call :func:`sim.app.cli.main` and return (status, stdout, stderr); a traceback is stderr."""
    extra = ""
    try:
        status: object = cli.main(argv)
    except SystemExit as exc:  # argparse
        status = exc.code
    except BaseException as exc:  # any escape is a finding
        if (hit := _started(exc)) is not None:
            status = f"work started for a bad input ({hit}) instead of a refusal"
        else:
            status = f"uncaught {type(exc).__name__}"
            extra = traceback.format_exc()
    out, err = capsys.readouterr()
    return status, out, err + extra


def _argv(c: Case, request: pytest.FixtureRequest) -> list[str]:
    """The case's arguments with fixture folders filled in."""
    tmp = request.getfixturevalue("bad_files")
    args = [a.replace("{tmp}", str(tmp)) for a in c.argv]
    if any("{run}" in a for a in args):
        run = request.getfixturevalue("run_fixtures")
        args = [a.replace("{run}", str(run)) for a in args]
    return args


def check_refusal(c: Case, status: object, out: str, err: str) -> str:
    """Assert the project's standard for bad input; return the error line."""
    shown = f"status {status!r}\nstderr:\n{err[-3000:]}\nstdout:\n{out[-1000:]}"
    assert "Traceback" not in out + err, f"{c.id}: traceback\n{shown}"
    assert status == 2, f"{c.id}: exit status is not 2\n{shown}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"{c.id}: {len(lines)} lines on stderr, not 1\n{shown}"
    line = lines[0]
    assert line.startswith("tsunagari: error: "), f"{c.id}: {line!r}"
    assert not CONTROL.search(line), f"{c.id}: control character in {line!r}"
    if c.names:
        assert any(n in line for n in c.names), f"{c.id}: {line!r} names none of {c.names}"
    for text in c.absent:
        assert text not in line, f"{c.id}: {line!r} contains {text!r}"
    return line


def test_table_is_large_and_covers_every_command() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert len(CASES) >= 60
    commands = {c.argv[0] for c in CASES}
    for command in ("run", "config", "params", "scenarios", "compare", "sensitivity",
                    "calibrate", "validate", "report", "wide-area", "dashboard"):  # fmt: skip
        assert command in commands, command
    assert set(CONSOLE_CASES) <= set(ids)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_one_line(
    c: Case,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    argv = _argv(c, request)
    monkeypatch.chdir(tmp_path)  # default output folders land here, never in the checkout
    if c.subprocess:
        status, out, err = _console(argv, tmp_path)
    else:
        _forbid_work(monkeypatch, dashboard=c.argv[0] == "dashboard")
        status, out, err = _in_process(argv, capsys)
    check_refusal(c, status, out, err)


@pytest.mark.parametrize("case_id", CONSOLE_CASES)
def test_console_script_prints_the_same_line(
    case_id: str,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    c = next(c for c in CASES if c.id == case_id)
    argv = _argv(c, request)
    monkeypatch.chdir(tmp_path)
    status, out, err = _console(argv, tmp_path)
    line = check_refusal(c, status, out, err)
    _forbid_work(monkeypatch, dashboard=c.argv[0] == "dashboard")
    assert check_refusal(c, *_in_process(argv, capsys)) == line


def test_bad_files_are_what_they_claim(bad_files: Path) -> None:
    """The fixtures are really bad in the way their names say (so a pass means something)."""
    assert (bad_files / "long_name.csv").stat().st_size > 2**20
    assert (bad_files / "rows_2001.csv").read_text(encoding="utf-8").count("\n") == 2002
    assert (bad_files / "empty.csv").stat().st_size == 0
    with pytest.raises(UnicodeDecodeError):
        (bad_files / "utf16.csv").read_bytes().decode("utf-8")
    bomb = (bad_files / "bomb.yaml").read_text(encoding="utf-8")
    assert bomb.count("*a") == 8 * 9 + 1  # 9 levels of 9: 9**9 leaves once expanded
