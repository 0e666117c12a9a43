"""Typed, validated, read-only run configuration composed with Hydra.

- :mod:`sim.config.schema`: the dataclass schema (:class:`RunConfig`), config groups, YAML dump.
- :mod:`sim.config.compose`: Hydra composition, calibrated-set overrides, one-line errors.
- :mod:`sim.config.checks`: range and cross-field checks, region and scenario checks, memory guard.

The public names of the three are re-exported here.
"""

from sim.config.checks import (
    BASE_BYTES,
    BYTES_PER_MUNICIPALITY,
    BYTES_PER_RESIDENT,
    BYTES_PER_TABLE_ROW,
    available_memory,
    check,
    check_region_keys,
    check_scenario,
    check_size,
    estimate_memory,
    load_configured_region,
)
from sim.config.compose import calibrated_overrides, compose_config, sets_dir, unknown_key
from sim.config.schema import (
    GROUPS,
    PREF_KEY,
    SCHEMA_NAME,
    RegionConfig,
    RunConfig,
    config_dir,
    default_options,
    group_options,
    register_configs,
    schema_keys,
    to_dict,
    to_yaml,
)

__all__ = [
    "BASE_BYTES",
    "BYTES_PER_MUNICIPALITY",
    "BYTES_PER_RESIDENT",
    "BYTES_PER_TABLE_ROW",
    "GROUPS",
    "PREF_KEY",
    "SCHEMA_NAME",
    "RegionConfig",
    "RunConfig",
    "available_memory",
    "calibrated_overrides",
    "check",
    "check_region_keys",
    "check_scenario",
    "check_size",
    "compose_config",
    "config_dir",
    "default_options",
    "estimate_memory",
    "group_options",
    "load_configured_region",
    "register_configs",
    "schema_keys",
    "sets_dir",
    "to_dict",
    "to_yaml",
    "unknown_key",
]
