"""Tests for sim.config: composing, overriding, declared parameters and one-line errors."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import yaml

from sim.config import (
    RunConfig,
    compose_config,
    config_dir,
    default_options,
    group_options,
    load_configured_region,
    schema_keys,
    to_dict,
    to_yaml,
    unknown_key,
)
from sim.core.params import ConfigError, describe

MALFORMED_CSV = "code,name,pop_male,pop_female\n31201,鳥取市,many,3\n"

# (overrides, text the one-line message must contain: the key or file at fault)
BAD_INPUTS = [
    (["foo=1"], "'foo'"),
    (["population.sclae=0.2"], "'population.sclae'"),
    (["+foo=1"], "'foo'"),
    (["dynamics.loneliness.recovry=0.1"], "dynamics.loneliness.recovry"),
    (["population.scale=2"], "population.scale"),
    (["population.scale=0"], "population.scale"),
    (["years=0"], "years"),
    (["years=31"], "years"),
    (["seed=-1"], "seed"),
    (["dynamics.loneliness.recovery=-1"], "dynamics.loneliness.recovery"),
    (["population.scale=nan"], "population.scale"),
    (["years=abc"], "years"),
    (["years=1.5"], "years"),
    (["population.scale=abc"], "population.scale"),
    (["lang=[a]"], "lang"),
    (["lang=fr"], "lang"),
    (["start_date=2025-13-01"], "start_date"),
    (["population=3"], "population"),
    (["years=[1"], "years=[1"),
    (["years=1,2"], "years"),
    (["years"], "years"),
    (["region=osaka"], "region"),
    (["region=[tottori,kochi]"], "region"),
    (["region.key=osaka"], "region.key"),
    (["region.key=pref-99"], "region.key"),
    (["region=prefecture"], "region.prefecture"),
    (["region=prefecture", "region.prefecture=atlantis"], "region.prefecture"),
    (["region.prefecture=kochi"], "region.prefecture"),
    (["region=custom"], "region.csv"),
    (["region=custom", "region.csv={tmp}/missing.csv"], "missing.csv"),
    (["region=custom", "region.csv={tmp}/malformed.csv"], "malformed.csv"),
    (["region.municipalities=[鳥取市,Atlantis]"], "region.municipalities"),
    (["region.municipalities=[]"], "region.municipalities"),
    (["region.municipalities=鳥取市"], "region.municipalities"),
    (["survey.thresholds=[0.5,0.1,1.0,2.0]"], "survey.thresholds"),
    (["survey.thresholds=[0.1,0.5]"], "survey.thresholds"),
    (["survey.ucla_cuts=[1.0,0.0,2.0]"], "survey.ucla_cuts"),
    (["scenario=nosuch"], "scenario"),
]


@pytest.fixture(scope="module")
def default() -> RunConfig:
    return compose_config()


@pytest.fixture(scope="module")
def region_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("regions")
    (tmp / "malformed.csv").write_text(MALFORMED_CSV, encoding="utf-8")
    (tmp / "good.csv").write_text(
        "code,name,pop_male,pop_female\n31201,鳥取市,90000,98000\n31202,米子市,70000,77000\n",
        encoding="utf-8",
    )
    return tmp


def test_default_config_is_tottori_at_reduced_scale(default: RunConfig) -> None:
    assert default.region.key == "tottori"
    assert default.population.scale == pytest.approx(0.1)
    assert (default.seed, default.years, default.lang) == (42, 5, "ja")
    assert default.output_dir is None
    # the YAML adds nothing the schema does not declare (the calibrated set is applied on top)
    uncalibrated = compose_config(["calibration=none"], check_region=False)
    assert uncalibrated == dataclasses.replace(RunConfig(), calibration="none")


def test_overrides_apply() -> None:
    cfg = compose_config(["region=kochi", "population.scale=1.0", "years=10", "seed=7"])
    assert (cfg.region.key, cfg.population.scale, cfg.years, cfg.seed) == ("kochi", 1.0, 10, 7)
    nested = compose_config(["dynamics.loneliness.recovery=0.05", "survey.response_sd=0.2"])
    assert nested.dynamics.loneliness.recovery == pytest.approx(0.05)
    assert nested.survey.response_sd == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("overrides", "key", "n"),
    [
        (["region.key=pref-39"], "pref-39", 34),
        (["region=prefecture", "region.prefecture=高知"], "pref-39", 34),
        (["region=prefecture", "region.prefecture=kochi"], "pref-39", 34),
        (["region=prefecture", "region.prefecture=39"], "pref-39", 34),
        (["region.municipalities=[鳥取市,31202]"], "tottori", 2),
    ],
)
def test_region_forms_are_accepted(overrides: list[str], key: str, n: int) -> None:
    region = load_configured_region(compose_config(overrides))
    assert region.key == key
    assert len(region.municipalities) == n


def test_custom_region_file(region_files: Path) -> None:
    cfg = compose_config(["region=custom", f"region.csv={region_files / 'good.csv'}"])
    region = load_configured_region(cfg)
    assert region.key == "custom:good"
    assert int(region.municipalities["pop_total"].sum()) == 90000 + 98000 + 70000 + 77000


def test_every_parameter_default_lies_in_its_range() -> None:
    infos = describe(RunConfig)
    assert len(infos) > 50
    for info in infos:
        values = info.default if isinstance(info.default, list | tuple) else [info.default]
        for v in values:
            if info.low is not None:
                assert info.low <= v, info.name
            if info.high is not None:
                assert v <= info.high, info.name
            if isinstance(v, float):
                assert math.isfinite(v), info.name


def test_every_parameter_has_unit_and_source() -> None:
    for info in describe(RunConfig):
        assert info.unit.strip(), info.name
        assert info.source.strip(), info.name
        assert "\n" not in info.doc, info.name


def test_every_declared_parameter_can_be_overridden_with_its_default() -> None:
    infos = {i.name: i for i in describe(RunConfig)}
    keys = set(schema_keys())
    assert set(infos) <= keys
    lists = [i for i in infos.values() if isinstance(i.default, list | tuple)][:3]
    scalars = [i for i in infos.values() if not isinstance(i.default, list | tuple)][:20]
    overrides = [f"{i.name}={i.default}" for i in scalars]
    overrides += [f"{i.name}=[{','.join(map(str, i.default))}]" for i in lists]
    overrides.append("calibration=none")  # schema defaults, without the calibrated set
    cfg = compose_config(overrides, check_region=False)
    assert cfg == dataclasses.replace(RunConfig(), calibration="none")


@pytest.mark.parametrize(("overrides", "key"), BAD_INPUTS)
def test_bad_input_raises_one_line_naming_the_key(
    overrides: list[str], key: str, region_files: Path
) -> None:
    overrides = [o.replace("{tmp}", str(region_files)) for o in overrides]
    with pytest.raises(ConfigError) as err:
        compose_config(overrides)
    message = str(err.value)
    assert key in message
    assert "\n" not in message
    assert "Traceback" not in message
    assert len(message) < 240


def test_unknown_key_suggests_the_closest_key() -> None:
    assert "did you mean 'population.scale'" in unknown_key("population.sclae")
    assert "did you mean 'dynamics.loneliness.recovery'" in unknown_key("recovery")
    assert "did you mean 'region'" in unknown_key("regoin")
    assert "did you mean" not in unknown_key("foo")


def test_unknown_region_lists_the_options_from_the_files() -> None:
    with pytest.raises(
        ConfigError, match=r"choose from: custom, japan, kochi, prefecture, tottori"
    ):
        compose_config(["region=osaka"])


def test_region_options_come_from_the_config_folder() -> None:
    files = {p.stem for p in Path(config_dir(), "region").glob("*.yaml")}
    options = group_options("region")
    assert set(options) == files >= {"tottori", "kochi", "prefecture", "custom"}
    assert all(text and "\n" not in text for text in options.values())
    assert default_options() == {"region": "tottori"}


def test_to_yaml_round_trips(default: RunConfig) -> None:
    cfg = compose_config(["region.municipalities=[鳥取市]", "lang=en"])
    text = to_yaml(cfg)
    assert "鳥取市" in text
    assert yaml.safe_load(text) == to_dict(cfg)
    assert list(yaml.safe_load(to_yaml(default))) == [f.name for f in dataclasses.fields(RunConfig)]
