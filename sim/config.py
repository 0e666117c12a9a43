"""Typed, validated, read-only run configuration composed with Hydra.

The schema is a tree of dataclasses whose leaves are declared with :func:`sim.params.param`.
:func:`register_configs` stores it in Hydra's ConfigStore (explicitly, never on import), and
:func:`compose_config` composes ``sim/conf/config.yaml`` with command-line overrides such as
``region=kochi population.scale=1.0 years=10 seed=7``. Unknown keys and out-of-range values raise
:class:`sim.params.ConfigError` with a one-line message naming the key.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from importlib.resources import files

from omegaconf import OmegaConf

from sim.dynamics import DynamicsParams
from sim.layers import LayerParams
from sim.params import ConfigError, param, validate
from sim.population import PopulationParams
from sim.survey import SurveyParams, check_thresholds

SCHEMA_NAME = "tsunagari_schema"
REGION_OPTIONS = ("tottori", "kochi", "prefecture", "custom")


@dataclass
class RegionConfig:
    """Which region to simulate."""

    key: str = "tottori"
    prefecture: str | None = None
    csv: str | None = None
    municipalities: list[str] | None = None


@dataclass
class RunConfig:
    """Everything one run needs."""

    region: RegionConfig = field(default_factory=RegionConfig)
    population: PopulationParams = field(default_factory=PopulationParams)
    layers: LayerParams = field(default_factory=LayerParams)
    dynamics: DynamicsParams = field(default_factory=DynamicsParams)
    survey: SurveyParams = field(default_factory=SurveyParams)
    seed: int = param(42, unit="-", low=0, high=2**32 - 1, source="user choice")
    years: int = param(5, unit="years", low=1, high=30, source="user choice", doc="horizon")
    burn_in_weeks: int = param(
        104, unit="weeks", low=0, high=1040, source="assumption: long enough for ties and "
        "loneliness to settle from their set-up values",
    )
    start_date: str = param(
        "2025-04-06", unit="date", source="user choice", doc="first simulated week after burn-in"
    )
    lang: str = param("ja", unit="-", source="user choice", doc="ja or en")
    scenario: str = param("baseline", unit="-", source="user choice")
    output_dir: str | None = None


def register_configs() -> None:
    """Store the schema in Hydra's ConfigStore (call before composing)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name=SCHEMA_NAME, node=RunConfig)


def config_dir() -> str:
    """Folder of the packaged YAML configs (works from a non-editable install)."""
    return str(files("sim") / "conf")


_HYDRA_PATTERNS = (
    (re.compile(r"Could not override '([^']+)'"), "unknown config key '{0}'"),
    (re.compile(r"Key '([^']+)' not in '([^']*)'"), "unknown config key '{0}' in '{1}'"),
    (
        re.compile(r"Could not find '([^/']+)/([^']+)'"),
        "unknown {0} '{1}' (choose from: {options})",
    ),
    (re.compile(r"Could not load '([^/']+)/([^']+)'"), "unknown {0} '{1}' (choose from: {options})"),
    (
        re.compile(r"Value '([^']*)' (?:of type '\w+' )?could not be converted to (\w+)[\s\S]*full_key: (\S+)"),
        "{2}: expected {1}, got '{0}'",
    ),
    (re.compile(r"Missing mandatory value: (\S+)"), "{0} must be given"),
)


def _one_line(exc: Exception) -> str:
    """Turn a Hydra or OmegaConf exception into one line naming the key."""
    text = str(exc)
    cause = exc.__cause__
    full = text + ("\n" + str(cause) if cause else "")
    for pattern, template in _HYDRA_PATTERNS:
        hit = pattern.search(full)
        if hit:
            return template.format(*hit.groups(), options=", ".join(REGION_OPTIONS))
    return full.strip().splitlines()[0] if full.strip() else type(exc).__name__


def compose_config(overrides: list[str] | None = None) -> RunConfig:
    """Compose, type-check and validate a run configuration.

    Args:
        overrides: Hydra override strings, e.g. ``["region=kochi", "seed=7"]``.

    Returns:
        The validated configuration as typed dataclasses.

    Raises:
        ConfigError: one line naming the problem key or value.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
            cfg = compose(config_name="config", overrides=list(overrides or []))
        obj = OmegaConf.to_object(cfg)
    except ConfigError:
        raise
    except Exception as exc:  # Hydra and OmegaConf raise many types; all are user errors here
        raise ConfigError(_one_line(exc)) from None
    finally:
        GlobalHydra.instance().clear()
    check(obj)
    return obj


def check(cfg: RunConfig) -> None:
    """Validate ranges and cross-field rules of a composed configuration."""
    validate(cfg, RunConfig)
    check_thresholds(cfg.survey.thresholds, "survey.thresholds")
    check_thresholds(cfg.survey.ucla_cuts, "survey.ucla_cuts")
    if cfg.lang not in ("ja", "en"):
        raise ConfigError(f"lang: must be 'ja' or 'en', got '{cfg.lang}'")
    try:
        dt.date.fromisoformat(cfg.start_date)
    except ValueError:
        raise ConfigError(f"start_date: not a date (YYYY-MM-DD): '{cfg.start_date}'") from None
    if cfg.region.key not in REGION_OPTIONS:
        raise ConfigError(f"region: unknown region '{cfg.region.key}'")


def to_dict(cfg: RunConfig) -> dict:
    """Plain nested dict of a configuration (for manifests and hashing)."""
    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)
