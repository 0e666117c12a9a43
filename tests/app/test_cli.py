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

from sim.app import cli
from sim.config import RegionConfig, RunConfig, config_dir
from sim.core.params import describe
from sim.policy.scenario import scenario_dir

EXE = Path(sys.executable).with_name("tsunagari")
TSUNAGARI = str(EXE) if EXE.exists() else shutil.which("tsunagari")
TINY = ["population.scale=0.01", "years=1", "burn_in_weeks=4"]
OUTPUTS = (
    "timeseries.parquet",
    "timeseries.csv",
    "summary.csv",
    "manifest.json",
    "prevalence.png",
    "pyramid.png",
)  # fmt: skip  (demography=dynamic, the default, draws the pyramid)

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
    "validate years": (["validate", "years=abc"], "years: must be a whole number of years"),
    "validate out is a file": (["validate", "out={tmp}/a-file"], "a-file' exists and is not"),
    "scenarios lang": (["scenarios", "lang=fr"], "lang: must be 'ja' or 'en', got 'fr'"),
    "scenarios option": (["scenarios", "colour=red"], "scenarios: unknown option 'colour=red'"),
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
    args["paired"] = ["population.scale=0.01", "years=2", "burn_in_weeks=4",
                      "scenario=people_first", "output_dir=out"]  # fmt: skip
    args["static"] = [*TINY, "demography=static", "output_dir=out"]
    for name in args:
        (base / name).mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
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
    for command in ("run", "config", "params", "scenarios", "validate"):
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


def test_dynamic_run_records_demography_and_draws_the_pyramid(
    tiny_runs: dict[str, Path],
) -> None:
    out = tiny_runs["a"] / "out"
    assert (out / "pyramid.png").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    demo = manifest["demography"]
    assert demo["mode"] == manifest["config"]["demography"] == "dynamic"
    assert demo["population"]["start"]["week"] < demo["population"]["end"]["week"]
    assert demo["population"]["start"]["value"] > 0
    assert demo["events"] == manifest["counts"]["demography"]
    assert {"deaths", "births", "in_migrants", "out_migrants"} <= set(demo["events"])
    assert manifest["outputs_sha256"]["pyramid"] == _sha256(out / "pyramid.png")
    stdout = (tiny_runs["a"] / "stdout.txt").read_text(encoding="utf-8")
    line = next(x for x in stdout.splitlines() if x.startswith("人口（実人口換算）: "))
    assert f"{demo['population']['end']['value']:,.0f}人" in line
    english = (tiny_runs["en"] / "stdout.txt").read_text(encoding="utf-8")
    assert "population (real equivalent): 2025-04-06 " in english


def test_static_run_has_no_pyramid_and_no_changing_baseline(
    tiny_runs: dict[str, Path], tmp_path: Path
) -> None:
    from sim.report import build_report
    from sim.report.demography import CHANGING_BASELINE

    out = shutil.copytree(tiny_runs["static"] / "out", tmp_path / "static")
    assert not (out / "pyramid.png").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["demography"]["mode"] == "static" and "events" not in manifest["demography"]
    assert "pyramid" not in manifest["outputs_sha256"]
    assert "人口（実人口換算）" not in (tiny_runs["static"] / "stdout.txt").read_text("utf-8")
    for lang in ("ja", "en"):
        page = build_report(out, lang).read_text(encoding="utf-8")
        assert CHANGING_BASELINE[lang] not in page
        assert 'id="population"' not in page
        assert ("16歳以上の住民約" if lang == "ja" else "residents aged 16+ (real") in page


@pytest.mark.parametrize("run", ["a", "paired"])
def test_dynamic_report_says_the_baseline_changes(
    run: str, tiny_runs: dict[str, Path], tmp_path: Path
) -> None:
    from sim.report import build_report
    from sim.report.demography import CHANGING_BASELINE

    out = shutil.copytree(tiny_runs[run] / "out", tmp_path / run)
    for lang in ("ja", "en"):
        page = build_report(out, lang).read_text(encoding="utf-8")
        assert CHANGING_BASELINE[lang] in page
        assert 'id="population"' in page and "data:image/png;base64," in page
        caption = "人口ピラミッド" if lang == "ja" else "Population pyramid"
        assert f"<figcaption>{caption}" in page
        per_capita = "孤独な住民は約" if lang == "ja" else "lonely residents aged 16+"
        if run == "paired":
            assert per_capita in page
    tables = out / "tables.en" / "population.csv"
    assert tables.read_text(encoding="utf-8-sig").startswith("Indicator,Population,")


def test_config_command_prints_the_composed_config(work: Path) -> None:
    result = tsunagari(["config", "region=kochi", "seed=7", "region.municipalities=[高知市]"], work)
    assert result.returncode == 0, result.stderr
    printed = yaml.safe_load(result.stdout)
    assert printed["region"] == {
        "key": "kochi", "prefecture": None, "csv": None, "municipalities": ["高知市"],
        "prefectures": None,
    }  # fmt: skip
    assert printed["seed"] == 7
    assert printed["population"]["scale"] == pytest.approx(0.1)


def test_params_uncertain_lists_only_uncertain(work: Path) -> None:
    result = tsunagari(["params", "--uncertain"], work)
    assert result.returncode == 0, result.stderr
    names = [line.split(" = ")[0] for line in result.stdout.splitlines() if line[:1] != " "]
    from sim.policy.levers import LEVER_TYPES

    levers = [p for k, c in LEVER_TYPES.items() for p in describe(c, prefix=f"levers.{k}.")]
    declared = describe(RunConfig) + levers
    expected = [p.name for p in declared if p.uncertain]
    assert names == expected
    assert 0 < len(names) < len(declared)
    # the lever fields declared uncertain (behavioural assumptions) are listed too
    assert "levers.prefecture_support.training_boost" in names
    assert "services.visit_contact" in names


def test_scenarios_lists_the_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["scenarios", "--lang", "en"]) == 0
    english = capsys.readouterr().out
    names = [line.split()[0] for line in english.splitlines()]
    library = Path(scenario_dir())
    assert "baseline" in names
    assert names == sorted(p.stem for p in library.glob("*.yaml"))
    assert cli.main(["scenarios", "lang=en"]) == 0  # like every other command
    assert capsys.readouterr().out == english
    assert cli.main(["scenarios"]) == 0
    japanese = capsys.readouterr().out
    assert japanese != english and "Status quo" not in japanese


def test_help_lists_validate_and_wide_area_keys(work: Path) -> None:
    assert "tsunagari validate" in cli.__doc__
    wide = tsunagari(["wide-area", "--help"], work).stdout
    assert "region=prefecture region.prefecture=NAME" in wide
    assert "seeds=N (1-1000" in wide and "workers=N (1-256" in wide
    validate = tsunagari(["validate", "--help"], work)
    assert validate.returncode == 0 and "out=DIR years=N" in validate.stdout


def _display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _tables(stdout: str) -> list[list[str]]:
    """The console tables of a run: each a header, a rule of dashes and its rows."""
    lines = stdout.splitlines()
    tables = []
    for i, line in enumerate(lines):
        if line.strip() and set(line.strip()) == {"-"}:
            rows = []
            for row in lines[i + 1 :]:
                if not row.strip():
                    break
                rows.append(row)
            tables.append([lines[i - 1], line, *rows])
    return tables


def test_summary_is_japanese_and_aligned(tiny_runs: dict[str, Path]) -> None:
    stdout = (tiny_runs["a"] / "stdout.txt").read_text(encoding="utf-8")
    summary = _tables(stdout)[0]
    for head in ("人数", "しばしば・常に", "時々", "孤独感あり（計）", "直接会う機会なし"):
        assert head in summary[0]
    assert "any_loneline" not in stdout and "nan" not in stdout
    assert len({_display_width(line) for line in summary}) == 1  # numbers end under headers
    assert summary[2].split()[0] == "全体"
    english = _tables((tiny_runs["en"] / "stdout.txt").read_text(encoding="utf-8"))[0]
    assert "any loneliness" in english[0] and "All" in english[2]


def test_paired_comparison_is_headed_aligned_and_equals_the_csv(
    tiny_runs: dict[str, Path],
) -> None:
    import pandas as pd

    stdout = (tiny_runs["paired"] / "stdout.txt").read_text(encoding="utf-8")
    people, costs = _tables(stdout)[1:3]
    assert people[0].split() == ["指標（延べ人年）", "ベースライン", "施策あり",
                                 "回避（ベースライン－施策）"]  # fmt: skip
    assert costs[0].split() == ["負担者（円）", "ベースライン", "施策あり",
                                "追加費用（施策－ベースライン）"]  # fmt: skip
    for table in (people, costs):
        assert len({_display_width(line) for line in table}) == 1
    assert "nan" not in stdout.lower()
    row = pd.read_csv(tiny_runs["paired"] / "out" / "comparison.csv").iloc[0]
    shown = {line.split()[0]: line.split()[1:] for line in costs[2:]}
    base, arm, added = (float(v.replace(",", "")) for v in shown["合計"])
    assert base == round(row["cost_total_yen_baseline"])
    assert arm == round(row["cost_total_yen_scenario"])
    assert added == round(row["added_cost_total_yen"]) > 0
    lonely = next(line for line in people[2:] if line.lstrip().startswith("孤独（しばしば"))
    averted = float(lonely.split()[-1].replace(",", ""))
    assert averted == round(row["lonely_person_years_averted"], 1)
    per = row["cost_per_lonely_person_year_averted_yen"]
    line = next(line for line in stdout.splitlines() if "回避1人年あたりの追加費用" in line)
    if per == per:  # averted > 0: the ratio; else why there is none
        assert f"{per:,.0f}円" in line
    else:
        assert "算出せず" in line


def test_summary_without_adults_shows_dashes() -> None:
    import types

    import pandas as pd

    # only one measure recorded (the others missing: once a KeyError), and a children-only group
    table = pd.DataFrame(
        {"week": [4, 4], "date": ["2026-01-01"] * 2, "measure": ["often_always"] * 2,
         "dimension": ["age_group", "all"], "group": ["0-15", "all"], "value": [0.0, 0.0],
         "n": [7, 0]}
    )  # fmt: skip
    results = types.SimpleNamespace(
        config=types.SimpleNamespace(lang="ja"),
        region=types.SimpleNamespace(name_ja="テスト村", name_en="Test"),
        table=table,
    )
    lines = cli.summary_lines(results)
    assert lines[0] == "テスト村: 2026-01-01（16歳以上、%）"
    assert len(lines) == 4 and lines[-1].split() == ["全体", "0", "0.0", *["-"] * 5]
    results.table = table[table["group"] == "0-15"]
    assert cli.summary_lines(results)[1] == "  （16歳以上の住民がいません）"


def test_run_checks_the_scenario_before_reading_the_region(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sim.world.region

    def no_region(*args: object, **kwargs: object) -> None:
        raise AssertionError("the region was read before the scenario was checked")

    monkeypatch.setattr(sim.world.region, "load_region", no_region)
    assert cli.main(["run", "scenario=no_such_package", "population.scale=1.0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_package" in err


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
