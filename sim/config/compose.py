"""Hydra composition of a run configuration, with one-line errors naming the key.

:func:`compose_config` composes ``sim/config/conf/config.yaml`` with command-line overrides such
as ``region=kochi population.scale=1.0 years=10 seed=7``, after the overrides of the calibrated
parameter set named by ``calibration=NAME`` (``sim/config/sets/NAME.yaml``, written by
``tsunagari calibrate``). Every user error (unknown key, wrong type, out-of-range value, unknown
region, bad region file) raises :class:`sim.core.params.ConfigError` with a one-line message
naming the key or file: overrides are checked one by one before composing, and Hydra's and
OmegaConf's multi-line exceptions are mapped to such lines.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from importlib.resources import files
from importlib.resources.abc import Traversable

from omegaconf import DictConfig, OmegaConf

from sim.config.checks import check, load_configured_region
from sim.config.schema import (
    GROUPS,
    RunConfig,
    _field_type,
    config_dir,
    group_options,
    register_configs,
    schema_keys,
)
from sim.core.params import ConfigError

SET_NAME = re.compile(r"[A-Za-z0-9_-]+")


def unknown_key(key: str) -> str:
    """One-line message for an unknown key, suggesting the closest valid key if there is one.

    Args:
        key: the dotted key as the user wrote it, e.g. ``population.sclae``.

    Returns:
        e.g. ``unknown config key 'population.sclae' (did you mean 'population.scale'?)``.
    """
    keys = schema_keys()
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.75)
    if not close:  # a leaf given without its group, e.g. recovery=0.1
        by_leaf: dict[str, list[str]] = {}
        for k in keys:
            by_leaf.setdefault(k.rsplit(".", 1)[-1], []).append(k)
        leaf = difflib.get_close_matches(key.rsplit(".", 1)[-1], list(by_leaf), n=1, cutoff=0.8)
        close = by_leaf[leaf[0]] if leaf and len(by_leaf[leaf[0]]) == 1 else []
    hint = f" (did you mean '{close[0]}'?)" if close else " (see tsunagari run --help)"
    return f"unknown config key '{key}'{hint}"


def _unknown_option(group: str, option: str) -> str:
    """One-line message for an unknown option of a config group."""
    options = group_options(group)
    msg = f"{group}: unknown option '{option}' (choose from: {', '.join(options)})"
    if group == "region" and option:
        from sim.world.region import prefecture_code

        try:
            prefecture_code(option)
        except ConfigError:
            return msg
        return f"{msg}; for a prefecture use region=prefecture region.prefecture={option}"
    return msg


def _prepare(override: str) -> str:
    """Check one override before composing and quote non-ASCII values for Hydra's grammar.

    Hydra's override grammar has no unquoted non-ASCII characters, so ``region.prefecture=高知``
    and ``region.municipalities=[鳥取市,米子市]`` are quoted here.

    Raises:
        ConfigError: for an override that does not parse, a sweep, or a list of group options.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    text = _quote_non_ascii(override.strip())
    if "=" not in text and not text.startswith("~"):
        raise ConfigError(f"override '{override}' is not KEY=VALUE (e.g. years=10)")
    try:
        parsed = OverridesParser.create().parse_overrides([text])[0]
    except HydraException as exc:
        reason = _first_line(str(exc.__cause__ or exc)).removeprefix("LexerNoViableAltException: ")
        raise ConfigError(
            f"cannot parse override '{override}': {reason} (write KEY=VALUE, lists as [a,b])"
        ) from None
    key = parsed.key_or_group
    if parsed.is_sweep_override():
        raise ConfigError(f"{key}: one value per run, got a sweep '{override}' (lists: [a,b])")
    if key in GROUPS and not isinstance(parsed.value(), str | None):
        raise ConfigError(f"{key}: choose one option (from: {', '.join(group_options(key))})")
    return text


def _quote_non_ascii(override: str) -> str:
    """Quote the non-ASCII value, or list items, of ``key=value`` (unless already quoted)."""
    key, eq, value = override.partition("=")
    if not eq or value.isascii():
        return override
    if value.startswith("[") and value.endswith("]") and not re.search(r"['\"\[\]]", value[1:-1]):
        items = [_quote(v.strip()) for v in value[1:-1].split(",")]
        return f"{key}=[{','.join(items)}]"
    return f"{key}={_quote(value)}"


def _quote(value: str) -> str:
    """Quote a non-ASCII value with a quote character it does not contain."""
    if value.isascii() or value[:1] in "'\"":
        return value
    return f"'{value}'" if "'" not in value else f'"{value}"'


_EXPECTED = {"Integer": "an integer", "Float": "a number", "Boolean": "true or false"}
_HYDRA_PATTERNS: tuple[tuple[re.Pattern[str], typing.Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Could not find '([^/']+)/([^']*)'"), lambda m: _unknown_option(*m.groups())),
    (re.compile(r"Could not override '([^']+)'"), lambda m: unknown_key(m.group(1))),
    (
        re.compile(r"Could not delete from config\. '([^']+)' does not exist"),
        lambda m: f"cannot delete: {unknown_key(m.group(1))}",
    ),
    (
        re.compile(r"Could not append to config\. An item is already at '([^']+)'"),
        lambda m: f"{m.group(1)}: already set; override it with {m.group(1)}=VALUE (no '+')",
    ),
)


def _one_line(exc: BaseException) -> str:
    """Turn a Hydra or OmegaConf exception into one line naming the key.

    Hydra composition errors are matched by pattern; OmegaConf errors carry the dotted
    ``full_key``; anything else falls back to the first line of its message.
    """
    from omegaconf.errors import OmegaConfBaseException

    for pattern, render in _HYDRA_PATTERNS:  # Hydra's own message names the key as written
        if hit := pattern.search(str(exc)):
            return render(hit)
    for err in _chain(exc):
        if isinstance(err, OmegaConfBaseException) and getattr(err, "full_key", None):
            return _omegaconf_line(err, str(err.full_key))
    return _first_line(str(exc)) or type(exc).__name__


def _omegaconf_line(err: Exception, key: str) -> str:
    """One line for an OmegaConf error about ``key``."""
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, MissingMandatoryValue

    first = _first_line(str(err))
    key = re.sub(r"\[\d+\]$", "", key)
    if isinstance(err, ConfigAttributeError | ConfigKeyError):
        return unknown_key(key)
    if isinstance(err, MissingMandatoryValue):
        return f"{key}: must be given ({key}=VALUE)"
    if hit := re.search(r"Value '(.*)' of type '\w+' could not be converted to (\w+)", first):
        return f"{key}: expected {_EXPECTED.get(hit[2], hit[2].lower())}, got '{hit[1]}'"
    if hit := re.search(r"Cannot convert '(\w+)' to string: '(.*)'", first):
        return f"{key}: expected one value, got {hit[1]} {hit[2]}"
    if "is not a subclass of" in first:
        return f"{key}: is a group of settings; set its keys, e.g. {key}.NAME=VALUE"
    if "ListConfig" in first:
        return f"{key}: expected a list such as [a,b]"
    return f"{key}: {first}"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, its cause, the cause's cause, ... (no repeats)."""
    out: list[BaseException] = []
    err: BaseException | None = exc
    while err is not None and err not in out:
        out.append(err)
        err = err.__cause__ or err.__context__
    return out


def _first_line(text: str) -> str:
    """First non-empty line of a message."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def compose_config(overrides: list[str] | None = None, *, check_region: bool = True) -> RunConfig:
    """Compose, type-check and validate a run configuration.

    Args:
        overrides: Hydra override strings, e.g. ``["region=kochi", "seed=7"]``.
        check_region: also load the region and the scenario once
            (:func:`load_configured_region`), so that an unknown prefecture, municipality or
            scenario, a bad region or scenario file, or a run too large for memory, is reported
            now rather than when the run starts.

    Returns:
        The validated configuration as typed dataclasses.

    Raises:
        ConfigError: one line naming the problem key, value or file.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    cleaned = [_prepare(o) for o in overrides or []]
    cleaned = calibrated_overrides(cleaned) + cleaned
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
            cfg = compose(config_name="config", overrides=cleaned)
        _reject_extra_keys(cfg, RunConfig)
        obj = OmegaConf.to_object(cfg)
    except ConfigError:
        raise
    except Exception as exc:  # Hydra and OmegaConf raise many types; all are user errors here
        raise ConfigError(_one_line(exc)) from None
    finally:
        GlobalHydra.instance().clear()
    check(obj)
    if check_region:
        load_configured_region(obj)
    return obj


def sets_dir() -> Traversable:
    """Folder of the calibrated parameter sets, ``sim/config/sets``.

    ``tsunagari calibrate`` writes ``NAME.yaml`` there; ``calibration=NAME`` reads it.
    """
    return files("sim.config") / "sets"


def calibrated_overrides(overrides: list[str], sets: Traversable | None = None) -> list[str]:
    """Overrides of the calibrated set named by ``calibration=NAME`` (default ``calibrated``).

    The set is ``NAME.yaml`` in the folder of sets; its overrides are applied before the
    user's, so a user override of the same key wins. ``calibration=none`` applies nothing; a
    missing default set (before any calibration) is skipped.

    Args:
        overrides: the user's overrides (only ``calibration=NAME`` is read).
        sets: folder of the sets (default :func:`sets_dir`).

    Raises:
        ConfigError: for a named set that does not exist or cannot be read.
    """
    name = "calibrated"
    for o in overrides:
        key, _, value = o.partition("=")
        if key.strip() == "calibration":
            name = value.strip().strip("'\"")
    if name == "none":
        return []
    path = (sets or sets_dir()) / f"{name}.yaml"
    if not SET_NAME.fullmatch(name) or not path.is_file():
        if name == "calibrated":
            return []
        raise ConfigError(f"calibration: no calibrated set '{name}' in sim/config/sets/ (or none)")
    from sim.core.yamlfile import load_yaml

    label = f"calibration: sim/config/sets/{name}.yaml"
    raw = load_yaml(str(path), label)
    sets_found = raw.get("overrides") if isinstance(raw, dict) else None
    if not isinstance(sets_found, dict):
        raise ConfigError(f"{label}: expected a mapping 'overrides: {{KEY: VALUE}}'")
    out = []
    for key, value in sets_found.items():
        text = "[" + ",".join(repr(v) for v in value) + "]" if isinstance(value, list) else value
        out.append(f"{key}={text}")
    return out


def _reject_extra_keys(node: DictConfig, schema: type, prefix: str = "") -> None:
    """Raise for keys added with ``+key=value`` that the schema does not declare."""
    declared = {f.name: f for f in dataclasses.fields(schema)}
    for key in node:
        name = f"{prefix}{key}"
        if key not in declared:
            raise ConfigError(unknown_key(name))
        ftype = _field_type(schema, declared[key])
        child = node._get_node(key)
        if dataclasses.is_dataclass(ftype) and isinstance(child, DictConfig):
            _reject_extra_keys(child, ftype, prefix=name + ".")
