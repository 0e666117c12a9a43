"""The run configuration schema: typed dataclasses with declared, range-checked leaves.

The schema is a tree of dataclasses whose leaves are declared with :func:`sim.core.params.param`.
:func:`register_configs` stores it in Hydra's ConfigStore (explicitly, never on import);
:mod:`sim.config.compose` composes it with the YAML of ``sim/config/conf`` and overrides.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml
from omegaconf import OmegaConf

from sim.core.params import param
from sim.engine.dynamics import DynamicsParams
from sim.engine.survey import SurveyParams
from sim.policy.service_params import ServiceParams
from sim.world.layers import LayerParams
from sim.world.params import PopulationParams

SCHEMA_NAME = "tsunagari_schema"
PREF_KEY = re.compile(r"pref-(\d{2})")
GROUPS = ("region",)  # config groups: folders of sim/config/conf


@dataclass
class RegionConfig:
    """Which region to simulate (choose with ``region=OPTION``; see ``sim/config/conf/region``)."""

    key: str = field(
        default="tottori",
        metadata={
            "doc": "tottori | kochi | prefecture | custom | japan | pref-NN (prefecture code)"
        },
    )
    prefecture: str | None = field(
        default=None, metadata={"doc": "with region=prefecture: name or code (高知, kochi, 39)"}
    )
    csv: str | None = field(
        default=None, metadata={"doc": "with region=custom: path of a municipality table"}
    )
    municipalities: list[str] | None = field(
        default=None, metadata={"doc": "subset by code or name, e.g. [鳥取市,米子市]"}
    )
    prefectures: list[str] | None = field(
        default=None,
        metadata={"doc": "with region=japan: subset of prefectures by code or name, e.g. [31,39]"},
    )


@dataclass
class RunConfig:
    """Everything one run needs."""

    region: RegionConfig = field(default_factory=RegionConfig)
    population: PopulationParams = field(default_factory=PopulationParams)
    layers: LayerParams = field(default_factory=LayerParams)
    dynamics: DynamicsParams = field(default_factory=DynamicsParams)
    survey: SurveyParams = field(default_factory=SurveyParams)
    services: ServiceParams = field(default_factory=ServiceParams)
    seed: int = param(
        42,
        unit="-",
        low=0,
        high=2**32 - 1,
        source="user choice",
        doc="random seed (same seed, same numbers, bit for bit)",
    )
    years: int = param(
        5, unit="years", low=1, high=30, source="user choice", doc="horizon after burn-in"
    )
    burn_in_weeks: int = param(
        156,
        unit="weeks",
        low=0,
        high=1040,
        source="measured: by 156 weeks the last burn-in year is stationary (the run manifest's "
        "counts.burn_in; docs/validation.md)",
        doc="weeks simulated before start_date (not recorded)",
    )
    demography: str = param(
        "dynamic",
        unit="-",
        source="issue 17: policy runs age, die, are born and move; static keeps the 2020 census "
        "(calibration, virtual trials and the stationarity checks run static)",
        doc="dynamic (ageing, deaths, births, migration, household change from week 0) or static",
    )
    start_date: str = param(
        "2025-04-06", unit="date", source="user choice", doc="first recorded week (YYYY-MM-DD)"
    )
    lang: str = param("ja", unit="-", source="user choice", doc="ja or en (figure and summary)")
    scenario: str = param("baseline", unit="-", source="user choice", doc="scenario name")
    calibration: str = param(
        "calibrated",
        unit="-",
        source="tsunagari calibrate (docs/calibration.md)",
        doc="calibrated parameter set applied before overrides (sim/config/sets/NAME.yaml) or none",
    )
    output_dir: str | None = field(
        default=None,
        metadata={"doc": "output folder (default outputs/<region>-<scenario>-seed<seed>)"},
    )  # fmt: skip
    overwrite: bool = field(
        default=False,
        metadata={"doc": "clear a non-empty output folder of another run before writing"},
    )  # fmt: skip


def register_configs() -> None:
    """Store the schema in Hydra's ConfigStore (call before composing; storing twice is a no-op)."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    if f"{SCHEMA_NAME}.yaml" not in store.list(""):
        store.store(name=SCHEMA_NAME, node=RunConfig)


def config_dir() -> str:
    """Folder of the packaged YAML configs (works from a non-editable install)."""
    return str(files("sim.config") / "conf")


def group_options(group: str = "region") -> dict[str, str]:
    """Options of a config group, read from its folder: name -> first comment line of the file.

    Args:
        group: config group (a folder of ``sim/conf``).

    Returns:
        Option names in sorted order, each with the description from its file's first line.
    """
    folder = files("sim.config") / "conf" / group
    out: dict[str, str] = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            first = item.read_text(encoding="utf-8").splitlines()[:1] or [""]
            out[item.name.removesuffix(".yaml")] = first[0].lstrip("# ").strip()
    return out


def default_options() -> dict[str, str]:
    """Default option of every config group, from the defaults list of ``config.yaml``."""
    text = (files("sim.config") / "conf" / "config.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(text).get("defaults", [])
    return {k: v for e in entries if isinstance(e, dict) for k, v in e.items() if k in GROUPS}


def schema_keys(schema: type = RunConfig, prefix: str = "") -> list[str]:
    """Every dotted key of a schema: groups of settings and leaves (for key suggestions)."""
    out: list[str] = []
    for f in dataclasses.fields(schema):
        name = f"{prefix}{f.name}"
        out.append(name)
        ftype = _field_type(schema, f)
        if dataclasses.is_dataclass(ftype):
            out.extend(schema_keys(ftype, prefix=name + "."))
    return out


def _field_type(schema: type, f: dataclasses.Field) -> Any:
    """A field's resolved type (annotations are strings under ``from __future__``)."""
    return _type_hints(schema).get(f.name, f.type)


@lru_cache(maxsize=64)
def _type_hints(schema: type) -> dict[str, Any]:
    """Resolved annotations of a dataclass (classes do not change, so caching is safe)."""
    return typing.get_type_hints(schema)


def to_dict(cfg: RunConfig) -> dict:
    """Plain nested dict of a configuration (for manifests and hashing)."""
    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)


def to_yaml(cfg: RunConfig) -> str:
    """The configuration as YAML in schema order, lists on one line (``tsunagari config``)."""
    return yaml.dump(
        to_dict(cfg), Dumper=_FlowListDumper, allow_unicode=True, sort_keys=False, width=1000
    )


class _FlowListDumper(yaml.SafeDumper):
    """YAML dumper writing lists in flow style (``[a, b]``) and mappings as blocks."""

    def represent_list(self, data: list) -> yaml.Node:
        """Represent a list as a flow sequence."""
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)

    yaml_representers = {**yaml.SafeDumper.yaml_representers, list: represent_list}  # noqa: RUF012
