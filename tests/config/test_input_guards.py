"""Input guards: valid extremes run, bad input is one line and exit 2 before any work starts.

Covers the smallest declared populations (``population.scale=0.0001`` on Tottori, custom regions
of 1 to 200 residents), the resource guards (memory estimate, custom CSV size and values),
scenario files that used to raise tracebacks, experiment budgets, and control characters echoed
in error lines (the YAML loader itself: tests/core/test_yamlfile.py). The command line is called
in this process through :func:`sim.app.cli.main`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.app import cli
from sim.core.params import ConfigError

TINY = ("years=1", "burn_in_weeks=2", "calibration=none")
HEADER = "code,name,pop_male,pop_female\n"
GIB = 2**30


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``tsunagari ARGV`` in this process: (status, stdout, stderr)."""
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _refused(capsys: pytest.CaptureFixture[str], *argv: str, names: str | tuple[str, ...]) -> str:
    """Assert ``tsunagari ARGV`` exits 2 with one ``tsunagari: error:`` line naming ``names``."""
    status, _, err = _cli(capsys, *argv)
    lines = err.splitlines()
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith("tsunagari: error: "), err
    assert "Traceback" not in err
    for name in (names,) if isinstance(names, str) else names:
        assert name in lines[0], lines[0]
    return lines[0]


@pytest.fixture(autouse=True)
def _no_work(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Fail a refusal test if a simulation starts (tests named ``test_runs_*`` do run)."""
    if request.node.name.startswith("test_runs_"):
        return
    import sim.engine.model

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("work started")

    monkeypatch.setattr(sim.engine.model, "run", started)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- valid extremes run -------------------------------------------------------------------------


def test_runs_declared_minimum_scale_on_tottori(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tiny"
    status, _, err = _cli(
        capsys, "run", "population.scale=0.0001", *TINY, "demography=static", f"output_dir={out}"
    )
    assert status == 0, err
    table = pd.read_csv(out / "summary.csv")
    n = int(table.loc[table["dimension"] == "all", "n"].iloc[0])
    # 16+ of the 55 residents (0.0001 x 553,407 rounded; held fixed, nobody arrives)
    assert 0 < n <= 56
    assert (table.filter(like="any_loneliness").to_numpy() <= 1).all()


@pytest.mark.parametrize("residents", [1, 50, 200])
def test_runs_custom_region_of_few_residents(
    residents: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    male = residents // 2
    csv = _write(tmp_path, "few.csv", HEADER + f"99001,架空村,{male},{residents - male}\n")
    out = tmp_path / "out"
    status, _, err = _cli(
        capsys, "run", "region=custom", f"region.csv={csv}", "population.scale=1.0", *TINY,
        f"output_dir={out}",
    )  # fmt: skip
    assert status == 0, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "few.csv" in json.dumps(manifest)
    table = pd.read_csv(out / "summary.csv")
    n = int(table.loc[table["dimension"] == "all", "n"].iloc[0])
    assert 1 <= n <= residents


def test_region_with_no_simulated_resident_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _write(tmp_path, "one.csv", HEADER + "99001,架空村,1,0\n")
    line = _refused(
        capsys, "run", "region=custom", f"region.csv={csv}", "population.scale=0.1",
        names="population.scale",
    )  # fmt: skip
    assert "no resident" in line and "at least 1" in line
    line = _refused(
        capsys, "config", "region.municipalities=[日吉津村]", "population.scale=0.0001",
        names="population.scale",
    )  # fmt: skip
    assert "3,501" in line  # the census population of 日吉津村


def test_population_without_adults_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _write(
        tmp_path, "kid.csv", "code,name,pop_male,pop_female,pop_0_14_male\n99001,子,1,0,1\n"
    )
    line = _refused(
        capsys, "run", "region=custom", f"region.csv={csv}", "population.scale=1.0", *TINY,
        f"output_dir={tmp_path / 'out'}", names="population.scale",
    )  # fmt: skip
    assert "aged 16+" in line


# --- memory guard (the estimates: tests/config/test_memory_guard.py) ------------------------


def test_japan_at_full_scale_is_refused_before_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sim.config.checks.available_memory", lambda: 16 * GIB)
    line = _refused(
        capsys, "run", "region=japan", "population.scale=1.0", "calibration=none",
        f"output_dir={tmp_path / 'japan'}", names=("population.scale", "126,146,099 residents"),
    )  # fmt: skip
    assert "16.0 GiB available" in line
    assert not (tmp_path / "japan").exists()
    _refused(capsys, "config", "region=japan", "population.scale=1.0", names="population.scale")


# --- custom region CSVs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("31201,A市,1e15,1e15\n", "row 1 (code 31201): pop_male=1e15 is impossible"),
        ("31201,A市,100,1e20\n", "row 1 (code 31201): pop_female=1e20 is impossible"),
        ("31201,A市,-5,100\n", "row 1 (code 31201): pop_male must be a non-negative"),
        ("31201,A市,nan,100\n", "pop_male must be a non-negative whole number, got 'nan'"),
        ("31201,A市,100,NaN\n", "pop_female must be a non-negative whole number, got 'NaN'"),
        ("".join(f"{10000 + i},町{i},9000000,9000000\n" for i in range(8)), "population"),
        ("".join(f"{10000 + i},町{i},60,60\n" for i in range(2001)), "2,001 data rows"),
        (f"31201,{'x' * 2**20},100,100\n", "row 1, column 'name': 1,048,576 characters"),
        ("31201,A市,100,100\n", None),
    ],
    ids=["1e15", "1e20", "negative", "nan", "NaN", "total", "rows", "long-name", "valid"],
)
def test_impossible_custom_csv_is_refused(
    body: str, needle: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = _write(tmp_path, "region.csv", HEADER + body)
    if needle is None:  # the control row: the same file shape, valid, passes
        status, _, err = _cli(capsys, "config", "region=custom", f"region.csv={csv}")
        assert status == 0, err
        return
    line = _refused(capsys, "config", "region=custom", f"region.csv={csv}", names="region.csv")
    assert str(csv) in line and needle in line


def test_oversized_or_binary_csv_is_refused_before_parsing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "31201,")
        fh.write("x" * (5 * 2**20))
        fh.write(",100,100\n")
    assert "file too large" in _refused(
        capsys, "config", "region=custom", f"region.csv={big}", names="big.csv"
    )
    wide = _write(tmp_path, "wide.csv", HEADER.strip() + "," * 500 + "\n31201,A,1,1\n")
    assert "columns" in _refused(
        capsys, "config", "region=custom", f"region.csv={wide}", names="wide.csv"
    )
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 64)
    assert "NUL" in _refused(
        capsys, "config", "region=custom", f"region.csv={binary}", names="binary.csv"
    )
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes((HEADER + "31201,A,1,1\n").encode("utf-16"))
    _refused(capsys, "config", "region=custom", f"region.csv={utf16}", names="utf16.csv")


# --- scenario files ------------------------------------------------------------------------------

VENUE = "levers:\n  - type: venue\n    id: v\n"


def _bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs" flow list: ``width`` aliases nested ``levels`` deep."""
    items = ["&a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        items.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return f"[{', '.join(items)}]"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("name: x\nlevers: 5\n", "levers: expected a list of levers, got 5"),
        ("levers: {a: 1}\n", "levers: expected a list"),
        ("levers:\n  - type: venue\n    id: [a, b]\n", "levers[0].id: expected text"),
        (VENUE + "    per_zone: .nan\n", "levers[0].per_zone: must be a finite number, got nan"),
        (VENUE + "    per_zone: .inf\n", "levers[0].per_zone: must be a finite number, got inf"),
        (VENUE + "    capacity: -.inf\n", "levers[0].capacity"),
        (VENUE + "    cost_per_session: .NaN\n", "levers[0].cost_per_session"),
        (VENUE + "    kind: [a]\n", "levers[0].kind: expected text"),
        (VENUE + "    municipalities: 鳥取市\n", "levers[0].municipalities: expected a list"),
        (VENUE + "    zones: [a]\n", "levers[0].zones: expected a list of zone numbers"),
        (VENUE + "    start: [2026]\n", "levers[0].start: expected a date"),
        ("levers:\n  - 5\n", "levers[0]: expected a mapping with 'type', got 5"),
        ("levers:\n  - type: [venue]\n", "levers[0].type: unknown lever"),
        ("name: x\nextends: no_such_package\nlevers: []\n",
         "extends: unknown scenario 'no_such_package'"),
        ("name: x\nextends: missing_parent.yaml\nlevers: []\n",
         "extends: scenario file not found: missing_parent.yaml"),
        ("name: x\nextends: [a]\nlevers: []\n", "extends: expected a scenario name"),
        (f"name: bomb\ntitle:\n  en: {_bomb()}\n  ja: x\nlevers: []\n", "uses an alias"),
        ("name: x\ntitle: " + "[" * 200 + "]" * 200 + "\n", "nested more than"),
    ],
)  # fmt: skip
def test_bad_scenario_file_is_one_line(
    text: str, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "pkg.yaml", text)
    line = _refused(capsys, "config", f"scenario={path}", names=(str(path), needle))
    assert line.index(str(path)) < line.index(needle)


def test_binary_or_huge_scenario_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\x00\x01\x02\xff\xfe" * 200)
    assert "not UTF-8" in _refused(capsys, "config", f"scenario={binary}", names="binary.yaml")
    huge = _write(tmp_path, "huge.yaml", "name: x\n# " + "x" * 2_000_000 + "\nlevers: []\n")
    assert "file too large" in _refused(capsys, "config", f"scenario={huge}", names="huge.yaml")


def test_config_rejects_what_run_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    muni = _write(tmp_path, "muni.yaml", VENUE + "    municipalities: [Atlantis]\n")
    for command in ("config", "run"):
        line = _refused(
            capsys, command, f"scenario={muni}", "population.scale=0.001", *TINY,
            f"output_dir={tmp_path / command}", names=("muni.yaml", "'Atlantis'"),
        )  # fmt: skip
        assert "levers[0].municipalities: unknown municipality" in line
    zone = _write(tmp_path, "zone.yaml", VENUE + "    zones: [100000]\n")
    assert "levers[0].zones: no zone 100000" in _refused(
        capsys, "config", f"scenario={zone}", names="zone.yaml"
    )
    nan = _write(tmp_path, "nan.yaml", VENUE + "    per_zone: .nan\n")
    for command in ("config", "run"):
        _refused(
            capsys, command, f"scenario={nan}", "population.scale=0.001", *TINY,
            f"output_dir={tmp_path / command}", names=("nan.yaml", "per_zone"),
        )  # fmt: skip


def test_valid_zone_and_municipality_levers_pass_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = _write(tmp_path, "ok.yaml", VENUE + "    municipalities: [鳥取市, 31202, kurayoshi]\n")
    status, out, err = _cli(capsys, "config", f"scenario={ok}")
    assert status == 0 and err == "" and "scenario:" in out


# --- experiments -------------------------------------------------------------------------------


@pytest.mark.parametrize("budget", ["nan", "inf", "-1", "-inf"])
def test_compare_refuses_a_non_finite_or_negative_budget(
    budget: str, capsys: pytest.CaptureFixture[str]
) -> None:
    line = _refused(capsys, "compare", f"budget={budget}", "population.scale=0.001", names="budget")
    assert "non-negative amount" in line


def test_compare_accepts_a_zero_budget() -> None:
    from experiments.config import compose_experiment

    cfg, _ = compose_experiment("compare", ["budget=0"])
    assert cfg.budget == 0.0


def test_experiment_overlay_alias_bomb_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "experiment"
    folder.mkdir()
    bomb = _write(folder, "bomb.yaml", f"# @package _global_\nname: bomb\nseeds: {_bomb()}\n")
    line = _refused(capsys, "compare", f"experiment={bomb}", names=("experiment", "bomb.yaml"))
    assert "alias" in line


def test_sensitivity_range_that_is_not_a_pair_names_the_key() -> None:
    from experiments.design import uncertainties

    with pytest.raises(ConfigError, match=r"ranges.layers.neighbour_ties: expected \[low, high\]"):
        uncertainties(["layers.neighbour_ties"], {"layers.neighbour_ties": 5})
    with pytest.raises(ConfigError, match=r"ranges\.layers\.neighbour_ties: expected two numbers"):
        uncertainties(["layers.neighbour_ties"], {"layers.neighbour_ties": ["a", 2]})


# --- messages ----------------------------------------------------------------------------------


def test_control_characters_are_escaped_in_the_error_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = _refused(
        capsys, "run", "region=prefecture", "region.prefecture=\x1b[31matlantis\u2028x",
        names=("region.prefecture", "\\x1b[31matlantis\\u2028x"),
    )  # fmt: skip
    assert "\x1b" not in line and "\u2028" not in line
    line = _refused(capsys, "run", "fo\no=1", names="fo\\no")
    assert "\n" not in line


def test_no_empty_list_of_close_matches(capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(
        capsys, "config", "region=prefecture", "region.prefecture=zzzz", names="region.prefecture"
    )
    assert "[]" not in line and "01-47" in line
    line = _refused(
        capsys, "config", "region.municipalities=[鳥取市,qqqqqqqq]", names="region.municipalities"
    )
    assert "[]" not in line and "'qqqqqqqq'" in line
    line = _refused(
        capsys, "config", "region.municipalities=[Yonag0]", names="region.municipalities"
    )
    assert "close matches: yonago" in line
