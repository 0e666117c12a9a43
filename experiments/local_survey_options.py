"""Options of ``tsunagari survey`` and ``survey-compare``: keys, checks, the model's configuration.

Separates the commands' keys from the model overrides, checks them before any work, composes the
configuration with the municipality as the region's only one, and names the place and the
default output folder. Used by :mod:`experiments.local_survey`,
:mod:`experiments.local_survey_compare` and :mod:`experiments.local_survey_power_run`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.core.params import ConfigError

SURVEY_KEYS = {
    "municipality": None,
    "n": "2000",
    "year": "3",
    "sampling": "simple",
    "response": "national",
    "weighting": "age_sex",
    "out": None,
    "power": "false",
    "package": None,
    "seeds": "4",
    "sizes": None,
    "reps": "200",
    "before": "0",
    "workers": "2",
    "executor": "process",
    "executor.address": "",
}
HOUSEHOLD_CODES = ("single", "couple", "couple_children", "single_parent", "other")


# ---------------------------------------------------------------- options


def split_options(args: list[str], keys: dict) -> tuple[dict[str, str | None], list[str]]:
    """Separate this command's keys from the model overrides."""
    opts = dict(keys)
    overrides = []
    for a in args:
        key, eq, value = a.partition("=")
        if not eq:
            raise ConfigError(f"{a}: expected KEY=VALUE")
        if key in keys:
            opts[key] = value
        else:
            overrides.append(a)
    return opts, overrides


def _int(opts: dict, key: str, low: int, high: int | None = None) -> int:
    text = str(opts[key])
    try:
        v = int(text)
    except ValueError:
        raise ConfigError(f"{key}: expected a whole number, got '{text}'") from None
    if v < low or (high is not None and v > high):
        rng = f"{low}-{high}" if high is not None else f">= {low}"
        raise ConfigError(f"{key}: expected a whole number {rng}, got '{text}'")
    return v


def _int_list(opts: dict, key: str) -> list[int] | None:
    text = opts[key]
    if text is None:
        return None
    parts = [p.strip() for p in str(text).strip("[]").split(",") if p.strip()]
    try:
        vals = sorted({int(p) for p in parts})
    except ValueError:
        raise ConfigError(
            f"{key}: expected a list of whole numbers like [500,1000], got '{text}'"
        ) from None
    if not vals or vals[0] < 1:
        raise ConfigError(f"{key}: expected positive whole numbers, got '{text}'")
    return vals


def model_overrides(opts: dict, overrides: list[str]) -> list[str]:
    """Model overrides with the municipality as the region's only municipality."""
    out = list(overrides)
    muni = opts.get("municipality")
    if muni:
        out.append(f"region.municipalities=[{muni}]")
        if not any(o.startswith("population.scale=") for o in overrides):
            out.append("population.scale=1.0")
    return out


def compose(overrides: list[str]):
    """Compose the configuration and load the region, naming ``municipality`` in errors."""
    from sim.config import compose_config, load_configured_region

    try:
        cfg = compose_config(overrides, check_region=False)
        region = load_configured_region(cfg)
    except ConfigError as exc:
        text = str(exc)
        if text.startswith("region.municipalities"):
            raise ConfigError("municipality" + text[len("region.municipalities") :]) from None
        raise
    return cfg, region


def check_survey_options(opts: dict) -> dict:
    """Validate the keys of ``survey`` (before any work)."""
    from experiments.local_survey_design import response_rates

    out = {
        "n": _int(opts, "n", 1),
        "year": _int(opts, "year", 0, 50),
        "seeds": _int(opts, "seeds", 1, 1000),
        "reps": _int(opts, "reps", 10, 100000),
        "before": _int(opts, "before", 0, 50),
        "workers": _int(opts, "workers", 1, 256),
        "sizes": _int_list(opts, "sizes"),
    }
    if opts["sampling"] not in ("simple", "stratified"):
        raise ConfigError(f"sampling: simple or stratified, got '{opts['sampling']}'")
    if opts["weighting"] not in ("age_sex", "none"):
        raise ConfigError(f"weighting: age_sex or none, got '{opts['weighting']}'")
    if opts["power"] not in ("true", "false"):
        raise ConfigError(f"power: true or false, got '{opts['power']}'")
    if opts["executor"] not in ("serial", "process", "dask"):
        raise ConfigError(f"executor: serial, process or dask, got '{opts['executor']}'")
    if str(opts["response"]) not in ("national", "low", "high", "full"):
        response_rates(opts["response"], np.zeros(1, np.int64))  # raises on a bad percent
    out["power"] = opts["power"] == "true"
    if out["power"]:
        if not opts["package"]:
            raise ConfigError("package: power=true needs package=NAME (a scenario to compare)")
        if opts["package"] == "baseline":
            raise ConfigError("package: compare a package with the baseline, not the baseline")
        if out["before"] >= out["year"]:
            raise ConfigError(
                f"before: the before survey (year {out['before']}) must come "
                f"before year={out['year']}"
            )
    return out


def _default_out(kind: str, cfg, region, opts: dict) -> str:
    name = opts.get("municipality") or region.key.replace(":", "-")
    tail = f"-{opts['package']}" if kind == "power" else f"-{Path(cfg.scenario).stem}"
    return f"outputs/{kind}-{name}{tail}-seed{cfg.seed}"


def _place(region, opts: dict) -> str:
    mun = region.municipalities
    if opts.get("municipality"):
        return f"{mun['name'].iloc[0]} ({mun['code'].iloc[0]})"
    return region.key
