"""Declared parameters: every model parameter carries a unit, a plausible range and a source.

A parameter is a dataclass field built with :func:`param`. The metadata travels with the field, so
the same declaration serves the config schema (Hydra ConfigStore), range validation, the ODD
tables in ``docs/`` and the uncertainty space of sensitivity analysis.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Demo:
    ...     rate: float = param(0.1, unit="1/week", low=0.0, high=1.0, source="assumption")
    >>> describe(Demo)[0].unit
    '1/week'
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import Any


class ConfigError(ValueError):
    """A user-facing configuration problem; the message is one line naming the key or file."""


class OutputError(Exception):
    """Writing the output folder failed after the run; the message is one line naming the path."""


@dataclass(frozen=True)
class ParamInfo:
    """What a declared parameter means.

    Attributes:
        name: dotted path of the parameter inside the config (filled in by :func:`describe`).
        default: default value.
        unit: unit of measure ("1/week", "share", "persons", "yen/week", "-" for dimensionless).
        low: lowest plausible value (inclusive); used for validation and sensitivity analysis.
        high: highest plausible value (inclusive).
        source: where the default and range come from.
        doc: one-line meaning.
        uncertain: True if the value is uncertain enough to vary in sensitivity analysis.
    """

    name: str
    default: Any
    unit: str
    low: float | None
    high: float | None
    source: str
    doc: str
    uncertain: bool


def param(
    default: Any,
    *,
    unit: str,
    low: float | None = None,
    high: float | None = None,
    source: str,
    doc: str = "",
    uncertain: bool = False,
) -> Any:
    """Declare a parameter field with its unit, range and source.

    Args:
        default: default value (a scalar, or a tuple for per-band profiles).
        unit: unit of measure.
        low: lowest plausible value; for tuples it bounds every element.
        high: highest plausible value; for tuples it bounds every element.
        source: where the value comes from (publication, data file, or "assumption: ...").
        doc: one-line meaning.
        uncertain: include in the default uncertainty space for sensitivity analysis.

    Returns:
        A ``dataclasses.field`` carrying the declaration in its metadata.
    """
    if low is not None and high is not None and low > high:
        raise ValueError(f"declared range low={low} > high={high}")
    meta = {
        "unit": unit,
        "low": low,
        "high": high,
        "source": source,
        "doc": doc,
        "uncertain": uncertain,
    }
    if isinstance(default, list | tuple):
        return field(default_factory=lambda d=tuple(default): list(d), metadata=meta)
    return field(default=default, metadata=meta)


def describe(schema: type, prefix: str = "") -> list[ParamInfo]:
    """List every declared parameter of a dataclass schema, recursing into nested schemas.

    Args:
        schema: a dataclass type whose fields were built with :func:`param` or are dataclasses.
        prefix: dotted prefix for the names.

    Returns:
        One :class:`ParamInfo` per declared leaf parameter.
    """
    out: list[ParamInfo] = []
    for f in dataclasses.fields(schema):
        name = f"{prefix}{f.name}"
        ftype = _field_type(schema, f)
        if dataclasses.is_dataclass(ftype):
            out.extend(describe(ftype, prefix=name + "."))
            continue
        if "unit" not in f.metadata:
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        m = f.metadata
        out.append(
            ParamInfo(
                name=name,
                default=default,
                unit=m["unit"],
                low=m["low"],
                high=m["high"],
                source=m["source"],
                doc=m["doc"],
                uncertain=m["uncertain"],
            )
        )
    return out


def _field_type(schema: type, f: dataclasses.Field) -> Any:
    """Resolve a field's type, which is a string under ``from __future__ import annotations``."""
    return _type_hints(schema).get(f.name, f.type)


@functools.cache
def _type_hints(schema: type) -> dict[str, Any]:
    import typing

    return typing.get_type_hints(schema)


def validate(cfg: Any, schema: type, prefix: str = "") -> None:
    """Check every declared parameter of ``cfg`` lies inside its declared range.

    Args:
        cfg: a mapping or attribute object (OmegaConf DictConfig or dataclass instance).
        schema: the dataclass type that declares the parameters.
        prefix: dotted prefix used in error messages.

    Raises:
        ConfigError: naming the first key whose value is out of range or of the wrong kind.
    """
    for info in describe(schema, prefix=prefix):
        value = _lookup(cfg, info.name[len(prefix) :] if prefix else info.name)
        values = value if isinstance(value, list | tuple) else [value]
        if isinstance(info.default, list | tuple):
            if not isinstance(value, list | tuple) and not hasattr(value, "__len__"):
                raise ConfigError(f"{info.name}: expected a list, got {value!r}")
            if len(list(values)) != len(info.default):
                raise ConfigError(
                    f"{info.name}: expected {len(info.default)} values, got {len(list(values))}"
                )
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int | float):
                if isinstance(info.default, bool | str) or info.low is None:
                    continue
                raise ConfigError(f"{info.name}: expected a number, got {v!r}")
            if isinstance(v, float) and not math.isfinite(v):  # NaN passes range comparisons
                raise ConfigError(f"{info.name}: must be a finite number, got {v}")
            if info.low is not None and v < info.low:
                raise ConfigError(
                    f"{info.name}={v} is below its range [{info.low}, {info.high}] ({info.unit})"
                )
            if info.high is not None and v > info.high:
                raise ConfigError(
                    f"{info.name}={v} is above its range [{info.low}, {info.high}] ({info.unit})"
                )


def _lookup(cfg: Any, dotted: str) -> Any:
    node = cfg
    for part in dotted.split("."):
        node = node[part] if isinstance(node, dict) else getattr(node, part)
    return node
