"""Scenarios: policy packages written as YAML files in ``scenarios/``, validated into levers.

A scenario file has a name, one-line ja/en titles, a ja/en description, the section of the
2025 request it comes from, an optional ``extends`` (another scenario whose levers come first)
and a list of ``levers``. Every problem raises :class:`sim.core.params.ConfigError` with one line
naming the file and the key, e.g. ``scenarios/x.yaml: levers[1].capacity=-5 is below ...``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sim.core.params import ConfigError, validate
from sim.core.yamlfile import load_yaml
from sim.policy.levers import CHANNELS, FUNDERS, LEVER_TYPES, Lever

if TYPE_CHECKING:
    import pandas as pd

TOP_KEYS = ("name", "title", "description", "request_section", "extends", "levers")


@dataclass
class Scenario:
    """A validated policy package.

    Attributes:
        name: file stem.
        title: one-line description, ``{"ja": ..., "en": ...}``.
        description: longer description, ``{"ja": ..., "en": ...}``.
        request_section: the part of the 2025 request it comes from, ``{"ja": ..., "en": ...}``.
        levers: the levers, inherited ones first.
        source: the file it was read from.
        origins: for each lever, the file that declared it and its index in that file's
            ``levers`` (inherited levers name their own file). Messages name a lever this way.
    """

    name: str
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    request_section: dict[str, str] = field(default_factory=dict)
    levers: list[Lever] = field(default_factory=list)
    source: str = ""
    origins: list[tuple[str, int]] = field(default_factory=list)

    def where(self, i: int) -> str:
        """``<file>: levers[<k>]``: lever ``i`` counted within the file that declared it.

        Scenarios built in code (no origins, or levers added since) count in :attr:`levers`.
        """
        if len(self.origins) == len(self.levers):
            source, k = self.origins[i]
            return f"{source}: levers[{k}]"
        return f"{self.source}: levers[{i}]"


def scenario_dir() -> Path:
    """Folder of the packaged scenario library (works from a non-editable install)."""
    return Path(str(files("scenarios")))


def scenario_path(name: str) -> Path:
    """Path of a scenario given by library name or by file path."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml"):
        if not p.is_file():
            raise ConfigError(f"scenario file not found: {name}")
        return p
    lib = scenario_dir() / f"{name}.yaml"
    if not lib.is_file():
        names = [q.stem for q in sorted(scenario_dir().glob("*.yaml"))]
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(f"scenario: unknown scenario '{name}'{hint}; see `tsunagari scenarios`")
    return lib


def list_scenarios() -> list[Scenario]:
    """Every scenario of the library, validated (without region checks)."""
    return [load_scenario(p.stem) for p in sorted(scenario_dir().glob("*.yaml"))]


def load_scenario(name: str, _seen: tuple[str, ...] = ()) -> Scenario:
    """Read and validate a scenario by library name or path (region checks come later).

    Raises:
        ConfigError: one line naming the file and the key.
    """
    path = scenario_path(name)
    label = _label(path)
    if path.stem in _seen:
        raise ConfigError(f"{label}: extends: circular ({' -> '.join((*_seen, path.stem))})")
    raw = load_yaml(path, label)
    if not isinstance(raw, dict):
        raise ConfigError(f"{label}: expected a mapping with 'levers'")
    for key in raw:
        if key not in TOP_KEYS:
            raise ConfigError(f"{label}: unknown key {_show(key)} (allowed: {', '.join(TOP_KEYS)})")
    inherited: list[Lever] = []
    origins: list[tuple[str, int]] = []
    if raw.get("extends"):
        parent = raw["extends"]
        if not isinstance(parent, str):
            raise ConfigError(f"{label}: extends: expected a scenario name, got {_show(parent)}")
        try:
            scenario_path(parent)
        except ConfigError as exc:
            raise ConfigError(f"{label}: extends: {str(exc).removeprefix('scenario: ')}") from None
        base = load_scenario(parent, (*_seen, path.stem))
        inherited, origins = base.levers, base.origins
    items = raw.get("levers")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ConfigError(f"{label}: levers: expected a list of levers, got {_show(items)}")
    levers = [_lever(item, i, label) for i, item in enumerate(items)]
    ids = [lv.id for lv in inherited + levers]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{label}: levers: duplicate id '{dupes[0]}'")
    return Scenario(
        name=path.stem,
        title=_text(raw, "title", label),
        description=_text(raw, "description", label),
        request_section=_text(raw, "request_section", label),
        levers=inherited + levers,
        source=label,
        origins=origins + [(label, i) for i in range(len(levers))],
    )


def _label(path: Path) -> str:
    try:
        return f"scenarios/{path.relative_to(scenario_dir())}"
    except ValueError:
        return str(path)


def _text(raw: dict, key: str, label: str) -> dict[str, str]:
    value = raw.get(key) or {}
    if isinstance(value, str):
        return {"ja": value, "en": value}
    if not isinstance(value, dict) or not set(value) <= {"ja", "en"}:
        raise ConfigError(f"{label}: {key}: expected {{ja: ..., en: ...}}")
    return {k: str(v) for k, v in value.items()}


def _show(value: object, width: int = 60) -> str:
    """A user value as it appears in a message: its repr, cut to ``width`` characters."""
    text = repr(value)
    return text if len(text) <= width else f"{text[: width - 3]}..."


def _lever(item: object, i: int, label: str) -> Lever:
    where = f"{label}: levers[{i}]"
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with 'type', got {_show(item)}")
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in LEVER_TYPES:
        close = difflib.get_close_matches(str(kind), LEVER_TYPES, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(
            f"{where}.type: unknown lever {_show(kind)}{hint}; choose from {', '.join(LEVER_TYPES)}"
        )
    cls = LEVER_TYPES[kind]
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in item.items() if k != "type"}
    for key in values:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ConfigError(f"{where}.{key}: unknown key for a {kind} lever{hint}")
    values.setdefault("id", f"{kind}_{i}")
    try:
        lever = cls(**values)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    _check_types(lever, where)
    try:
        validate(lever, cls, prefix="")
    except ConfigError as exc:
        raise ConfigError(f"{where}.{exc}") from None
    _check_common(lever, where)
    return lever


def _check_types(lever: Lever, where: str) -> None:
    """Raise for a lever field whose value is not of the field's kind (text, list, number)."""
    for f in dataclasses.fields(lever):
        v = getattr(lever, f.name)
        default = f.default if f.default is not dataclasses.MISSING else None
        if isinstance(default, bool) and not isinstance(v, bool):
            raise ConfigError(f"{where}.{f.name}: expected true or false, got {_show(v)}")
        if isinstance(default, int | float) and not isinstance(default, bool):
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise ConfigError(f"{where}.{f.name}: expected a number, got {_show(v)}")
            if isinstance(v, float) and not math.isfinite(v):
                raise ConfigError(f"{where}.{f.name}: must be a finite number, got {v}")
        if isinstance(default, str) and not isinstance(v, str):
            raise ConfigError(f"{where}.{f.name}: expected text, got {_show(v)}")
        if f.name in ("start", "end") and not isinstance(v, str | dt.date | None):
            raise ConfigError(f"{where}.{f.name}: expected a date (YYYY-MM-DD), got {_show(v)}")
    if not isinstance(lever.municipalities, list) or any(
        isinstance(m, bool) or not isinstance(m, str | int) for m in lever.municipalities
    ):
        raise ConfigError(
            f"{where}.municipalities: expected a list of names or codes, "
            f"got {_show(lever.municipalities)}"
        )
    if not isinstance(lever.zones, list) or any(
        isinstance(z, bool) or not isinstance(z, int) for z in lever.zones
    ):
        raise ConfigError(
            f"{where}.zones: expected a list of zone numbers, got {_show(lever.zones)}"
        )


def _check_common(lever: Lever, where: str) -> None:
    try:
        validate_dates(lever)
    except ValueError as exc:
        raise ConfigError(f"{where}.{exc}") from None
    if lever.funder not in FUNDERS:
        raise ConfigError(f"{where}.funder: '{lever.funder}' is not one of {', '.join(FUNDERS)}")
    if getattr(lever, "channel", "office") not in CHANNELS:
        raise ConfigError(f"{where}.channel: '{lever.channel}' is not one of {', '.join(CHANNELS)}")
    if not isinstance(lever.municipalities, list) or not isinstance(lever.zones, list):
        raise ConfigError(f"{where}: municipalities and zones must be lists")


def validate_dates(lever: Lever) -> None:
    """Check the lever's dates parse and end is not before start."""
    for key in ("start", "end"):
        value = getattr(lever, key)
        if value is None:
            continue
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"{key}: not a date (YYYY-MM-DD): {value!r}") from None
    if lever.end is not None and lever.start is not None and str(lever.end) < str(lever.start):
        raise ValueError(f"end: {lever.end} is before start {lever.start}")


def municipality_matches(name: object, municipalities: pd.DataFrame) -> np.ndarray:
    """Which municipalities a name in a scenario means (mask over ``municipalities``).

    A name matches a municipality's Japanese name, its code or (ignoring case) its romanised name.
    """
    mun = municipalities
    return ((mun["name"] == name) | (mun["code"].astype(str) == str(name))
            | (mun["name_en"].str.lower() == str(name).lower())).to_numpy()  # fmt: skip


def lever_municipalities(lever: Lever, municipalities: pd.DataFrame, where: str) -> np.ndarray:
    """Which municipalities of a region a lever applies to (all if it names none).

    A name matches a municipality's Japanese name, its code or (ignoring case) its romanised
    name. ``tsunagari config`` and the lever runtime of a run use this same rule.

    Args:
        lever: the lever.
        municipalities: the region's municipality table (``Region.municipalities``).
        where: the lever in messages, ``<file>: levers[<k>]`` (:meth:`Scenario.where`).

    Returns:
        Boolean mask over the region's municipalities.

    Raises:
        ConfigError: naming the file, the lever and the first unknown municipality.
    """
    mun = municipalities
    if not lever.municipalities:
        return np.ones(len(mun), bool)
    mask = np.zeros(len(mun), bool)
    names = list(mun["name"]) + list(mun["code"].astype(str)) + list(mun["name_en"])
    for name in lever.municipalities:
        hit = municipality_matches(name, mun)
        if not hit.any():
            close = difflib.get_close_matches(str(name), names, n=2)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ConfigError(f"{where}.municipalities: unknown municipality '{name}'{hint}")
        mask |= hit
    return mask


def check_region(scenario: Scenario, municipalities: pd.DataFrame, n_zones: int) -> None:
    """Check every lever's municipalities and zones exist in the region.

    Args:
        scenario: the validated scenario.
        municipalities: the region's municipality table.
        n_zones: number of zones the population will have (zones are numbered from 0).

    Raises:
        ConfigError: naming the file, the lever and the unknown municipality or zone.
    """
    for i, lv in enumerate(scenario.levers):
        lever_municipalities(lv, municipalities, scenario.where(i))
        bad = [q for q in lv.zones if not 0 <= q < n_zones]
        if bad:
            raise ConfigError(
                f"{scenario.where(i)}.zones: no zone {bad[0]} "
                f"(this region has zones 0-{n_zones - 1})"
            )


def check_horizon(scenario: Scenario, start: str, years: int) -> None:
    """Raise if a lever starts outside the simulated horizon."""
    first = dt.date.fromisoformat(start)
    last = first + dt.timedelta(weeks=52 * years)
    for i, lv in enumerate(scenario.levers):
        if lv.start is None:
            continue
        s = dt.date.fromisoformat(str(lv.start))
        if not first <= s < last:
            raise ConfigError(
                f"{scenario.where(i)} ({lv.id}).start: {lv.start} is outside the "
                f"horizon {first}..{last}"
            )


def unrecorded_levers(scenario: Scenario, start: str, years: int) -> list[str]:
    """Levers that start after the last monthly record, so a run cannot show their effect.

    Records fall in the first week of each month (:func:`sim.engine.model.record_weeks`); a lever
    whose start is after the last of them is valid but invisible in every output.

    Returns:
        One line per such lever (``file: levers[i] (id).start: DATE is after the last record
        DATE``).
    """
    first = dt.date.fromisoformat(start)
    last = first
    for w in range(52 * years):  # the last week of the horizon that starts a month
        day = first + dt.timedelta(weeks=w)
        if day.day <= 7:
            last = day
    out = []
    for i, lv in enumerate(scenario.levers):
        if lv.start is not None and dt.date.fromisoformat(str(lv.start)) > last:
            out.append(
                f"{scenario.where(i)} ({lv.id}).start: {lv.start} is after the last monthly "
                f"record {last}, so no output can show its effect (raise years)"
            )
    return out


def week_of(date: str | None, start: str, default: int) -> int:
    """Week index of a date relative to the start date (``default`` for None)."""
    if date is None:
        return default
    delta = dt.date.fromisoformat(str(date)) - dt.date.fromisoformat(start)
    return delta.days // 7
