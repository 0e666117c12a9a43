"""The scenario library loads; bad scenario files give one line naming the file and the key."""

import subprocess
import sys
from pathlib import Path

import pytest

from sim.config import compose_config
from sim.core.params import ConfigError
from sim.policy.levers import LEVER_TYPES
from sim.policy.scenario import check_horizon, list_scenarios, load_scenario, scenario_dir

#: Single-lever scenarios: at least one for each row of MODEL.md's lever table that is a lever.
SINGLE_LEVER = {
    "ibasho_salons": "venue",
    "ibasho_grant_ends": "venue",
    "online_ibasho": "venue",
    "npo_venues": "venue",
    "supporters": "supporters",
    "welfare_volunteers_full": "welfare_volunteers",
    "consultation_24h_digital": "consultation",
    "consultation_continuity": "continuity",
    "awareness_campaign": "awareness",
    "platform_local": "platform",
    "prefecture_support": "prefecture_support",
}
PACKAGES = ("places_first", "people_first", "digital_first")
START, YEARS = "2025-04-06", 5  # the default horizon (sim/config/conf/config.yaml)


def test_library_has_every_lever_row_and_the_packages():
    names = {s.name for s in list_scenarios()}
    assert {"baseline", *SINGLE_LEVER, *PACKAGES} <= names
    baseline = {lv.id for lv in load_scenario("baseline").levers}
    for name, kind in SINGLE_LEVER.items():
        added = [lv for lv in load_scenario(name).levers if lv.id not in baseline]
        kinds = {k for k, cls in LEVER_TYPES.items() for lv in added if type(lv) is cls}
        assert kinds == {kind}, (name, kinds)
    # every lever type appears in the library
    used = {type(lv) for s in list_scenarios() for lv in s.levers}
    assert set(LEVER_TYPES.values()) <= used


@pytest.mark.parametrize("scenario", list_scenarios(), ids=lambda s: s.name)
def test_library_scenario_is_complete_and_inside_the_default_horizon(scenario):
    for key in ("title", "description", "request_section"):
        text = getattr(scenario, key)
        assert set(text) == {"ja", "en"}, (scenario.name, key)
        assert all(v.strip() for v in text.values()), (scenario.name, key)
    for lang in ("ja", "en"):
        assert "\n" not in scenario.title[lang].strip()
    assert scenario.source == f"scenarios/{scenario.name}.yaml"
    check_horizon(scenario, START, YEARS)
    if scenario.name != "baseline":
        raw = (scenario_dir() / f"{scenario.name}.yaml").read_text(encoding="utf-8")
        assert "extends: baseline" in raw
        base = load_scenario("baseline").levers
        assert [lv.id for lv in scenario.levers[: len(base)]] == [lv.id for lv in base]
        # new levers start inside the horizon (the status quo has no start)
        assert all(lv.start for lv in scenario.levers[len(base) :]), scenario.name


BASE_LEVER = """
extends: baseline
levers:
  - type: {type}
    id: x
{body}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _one_line_error(path: Path, *needles: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_scenario(str(path))
    return _check_line(str(err.value), path, *needles)


def _check_line(msg: str, path: Path, *needles: str) -> str:
    assert "\n" not in msg.strip(), msg
    assert str(path) in msg, msg
    for needle in needles:
        assert needle in msg, msg
    return msg


BAD = {
    "unknown_lever": (
        BASE_LEVER.format(type="supporter", body="    per_1000: 3"),
        ("levers[0].type", "supporter", "did you mean supporters"),
    ),
    "unknown_key": (
        BASE_LEVER.format(type="supporters", body="    per_100: 3"),
        ("levers[0].per_100", "did you mean per_1000"),
    ),
    "end_before_start": (
        BASE_LEVER.format(type="supporters", body='    start: "2027-04-01"\n    end: "2026-04-01"'),
        ("levers[0].end", "before start"),
    ),
    "not_a_date": (
        BASE_LEVER.format(type="awareness", body='    start: "2026-13-01"'),
        ("levers[0].start", "2026-13-01"),
    ),
    "unknown_funder": (
        BASE_LEVER.format(type="platform", body='    start: "2026-04-01"\n    funder: city'),
        ("levers[0].funder", "city"),
    ),
    "unknown_channel": (
        BASE_LEVER.format(type="consultation", body="    channel: line"),
        ("levers[0].channel", "line"),
    ),
    "not_a_number": (
        BASE_LEVER.format(type="supporters", body="    per_1000: many"),
        ("levers[0].per_1000", "many"),
    ),
    "duplicate_id": (
        BASE_LEVER.format(type="venue", body="    per_zone: 1").replace(
            "id: x", "id: minsei_existing"
        ),
        ("duplicate id", "minsei_existing"),
    ),
    "unknown_top_key": ("extends: baseline\nlevres: []\n", ("unknown key 'levres'",)),
    "malformed_yaml": (
        "extends: baseline\nlevers:\n  - type: venue\n    per_zone: [1, 2\n",
        ("not valid YAML", "line"),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_scenario_file_gives_one_line_naming_file_and_key(tmp_path, case):
    text, needles = BAD[case]
    _one_line_error(_write(tmp_path, f"{case}.yaml", text), *needles)


def test_negative_capacity_names_file_and_key(tmp_path):
    path = _write(tmp_path, "neg.yaml", BASE_LEVER.format(type="venue", body="    capacity: -5"))
    _one_line_error(path, "levers[0].capacity", "-5")


def test_negative_capacity_is_rejected(tmp_path):
    path = _write(tmp_path, "neg.yaml", BASE_LEVER.format(type="venue", body="    capacity: -5"))
    with pytest.raises(ConfigError, match=r"capacity=-5 is below"):
        load_scenario(str(path))


@pytest.mark.parametrize("start", ["2040-04-01", "2024-04-01"])
def test_start_outside_the_horizon(tmp_path, start):
    path = _write(
        tmp_path, "late.yaml", BASE_LEVER.format(type="supporters", body=f'    start: "{start}"')
    )
    scenario = load_scenario(str(path))
    with pytest.raises(ConfigError) as err:
        check_horizon(scenario, START, YEARS)
    _check_line(str(err.value), path, "levers[0]", ".start", start, "outside the horizon")


def test_start_outside_the_horizon_when_the_model_is_built(tmp_path):
    from sim.engine.model import LonelinessModel

    path = _write(
        tmp_path, "late.yaml", BASE_LEVER.format(type="awareness", body='    start: "2027-04-01"')
    )
    cfg = compose_config(["population.scale=0.01", "years=1", "burn_in_weeks=0"])
    with pytest.raises(ConfigError) as err:
        LonelinessModel(cfg, scenario=load_scenario(str(path)))
    _check_line(str(err.value), path, "levers[0]", "2027-04-01", "outside the horizon")


def test_unknown_municipality_is_found_when_the_model_is_built(tmp_path):
    from sim.engine.model import LonelinessModel

    body = '    start: "2026-04-01"\n    municipalities: [鳥取市, 米子氏]'
    path = _write(tmp_path, "muni.yaml", BASE_LEVER.format(type="supporters", body=body))
    scenario = load_scenario(str(path))  # names are only known once the region is loaded
    cfg = compose_config(["population.scale=0.01", "years=2", "burn_in_weeks=0"])
    with pytest.raises(ConfigError) as err:
        LonelinessModel(cfg, scenario=scenario)
    _check_line(str(err.value), path, "levers[0].municipalities", "米子氏", "米子市")


def test_known_municipality_names_and_codes_are_accepted(tmp_path):
    from sim.engine.model import LonelinessModel

    body = '    start: "2026-04-01"\n    municipalities: [鳥取市, Yonago, "31203"]'
    path = _write(tmp_path, "muni.yaml", BASE_LEVER.format(type="supporters", body=body))
    cfg = compose_config(["population.scale=0.01", "years=2", "burn_in_weeks=0"])
    m = LonelinessModel(cfg, scenario=load_scenario(str(path)))
    assert m.services.rt.muni_mask[3].sum() == 3


def test_circular_extends(tmp_path):
    a, b = tmp_path / "loop_a.yaml", tmp_path / "loop_b.yaml"
    a.write_text(f"extends: {b}\nlevers: []\n", encoding="utf-8")
    b.write_text(f"extends: {a}\nlevers: []\n", encoding="utf-8")
    msg = _one_line_error(a, "extends", "circular")
    assert "loop_a -> loop_b -> loop_a" in msg


def test_extends_a_missing_scenario(tmp_path):
    path = _write(tmp_path, "orphan.yaml", "extends: baseilne\nlevers: []\n")
    with pytest.raises(ConfigError, match=r"unknown scenario 'baseilne'.*did you mean baseline"):
        load_scenario(str(path))


def test_unknown_library_name_suggests_close_names():
    with pytest.raises(ConfigError, match="did you mean supporters"):
        load_scenario("suporters")


def test_cli_bad_scenario_file_is_one_line_and_non_zero(tmp_path):
    path = _write(tmp_path, "bad.yaml", BASE_LEVER.format(type="supporter", body="    per_1000: 1"))
    cmd = [
        sys.executable,
        "-m",
        "sim.app.cli",
        "run",
        f"scenario={path}",
        "population.scale=0.01",
        "years=1",
        "burn_in_weeks=0",
        f"output_dir={tmp_path / 'out'}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert str(path) in lines[0] and "levers[0].type" in lines[0]
