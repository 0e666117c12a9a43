"""Experiments as data: uncertainties, levers and outcomes, and the runs they make.

Following EMA Workbench, an experiment is declared, not scripted:

- an :class:`Parameter` is a model parameter with a range. *Uncertainties* are read from the
  declarations in ``sim/`` (``tsunagari params --uncertain``); *levers* are fields of a policy
  package's levers, named ``LEVER_ID.FIELD`` (e.g. ``pp_supporters.per_1000``), with ranges
  from the lever declarations in :mod:`sim.policy.levers`. ``DUMMY`` is a parameter the model never
  reads: its sensitivity indices measure the noise floor of the method.
- the *outcomes* are named reducers over :class:`sim.engine.model.Results`
(:mod:`experiments.outcomes`).
- a :class:`RunSpec` is one run: (package, uncertainty sample, replicate) with its seed and
  parameter values. Seeds come from the experiment seed and the replicate index only, and the
  uncertainty sample is drawn once and shared by every package, so packages are paired and the
  results do not depend on which executor ran them.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.config import RunConfig
from sim.core.params import ConfigError, ParamInfo, describe
from sim.policy.levers import LEVER_TYPES
from sim.policy.scenario import Scenario

DUMMY = "DUMMY"
#: Prefixes of the policy-effect parameters (``params: effects``): the declared uncertain
#: parameters of the services (effect sizes, uptake, follow-up, drop-out).
EFFECT_PREFIXES = ("services.",)
#: The value recorded in every run of a joint sample: the index of its posterior draw (-1: the
#: calibrated point); the model never reads it.
POSTERIOR_DRAW = "posterior_draw"


@dataclass(frozen=True)
class Parameter:
    """A varied parameter: a model parameter, a lever field (``LEVER_ID.FIELD``) or ``DUMMY``.

    Attributes:
        name: dotted config key, lever key or ``DUMMY``.
        low: lowest value sampled.
        high: highest value sampled.
        integer: round sampled values to integers (integer parameters).
        kind: ``uncertainty``, ``lever`` or ``dummy``.
    """

    name: str
    low: float
    high: float
    integer: bool = False
    kind: str = "uncertainty"


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment.

    Attributes:
        run_id: stable name, ``<package>-s<sample>-r<replicate>``; the store's primary key.
        package: scenario name (or the baseline).
        sample: index of the uncertainty sample (row of the design matrix).
        replicate: replicate index (0..seeds-1).
        seed: the model seed, from the experiment seed and the replicate.
        values: parameter name -> value (model keys, lever keys and DUMMY).
    """

    run_id: str
    package: str
    sample: int
    replicate: int
    seed: int
    values: dict[str, float] = field(default_factory=dict)


def run_seed(experiment_seed: int, replicate: int) -> int:
    """The model seed of a replicate: a hash of (experiment seed, replicate), never of a worker."""
    state = np.random.SeedSequence([int(experiment_seed), int(replicate)]).generate_state(1)
    return int(state[0])


def world_seed(experiment_seed: int, sample: int, replicate: int) -> int:
    """The model seed of a replicate of a joint sample: each world has its own seeds.

    A hash of (experiment seed, sample, replicate); the packages of one world share it (paired).
    """
    ss = np.random.SeedSequence([int(experiment_seed), 0x574F524C, int(sample), int(replicate)])
    return int(ss.generate_state(1)[0])


def posterior_draws(calibration: str | None, sets: Any = None) -> tuple[str, list[dict]]:
    """Draws of the calibrated posterior in the set ``sim/config/sets/NAME.yaml``, flattened.

    The set may hold, beside its point (``overrides:``), a section ``posterior:`` with a list of
    draws, each a mapping of the same keys to values (a list-valued key such as
    ``survey.thresholds`` gives its elements as ``KEY[i]``). ``calibration=none`` or a set
    without draws gives no draws (the comparison then uses the calibrated point only).

    Args:
        calibration: the set's name (the model's ``calibration`` key); None or ``none``.
        sets: folder of the sets (default :func:`sim.config.compose.sets_dir`).

    Returns:
        (the set's label for reports, the draws as ``{KEY or KEY[i]: value}``).

    Raises:
        ConfigError: a malformed ``posterior:`` section, naming the set file and the draw.
    """
    from sim.config import compose as cc
    from sim.core.yamlfile import load_yaml

    if not calibration or calibration == "none":
        return "calibration=none", []
    label = f"sim/config/sets/{calibration}.yaml"
    path = (sets or cc.sets_dir()) / f"{calibration}.yaml"
    if not path.is_file():
        return label, []
    raw = load_yaml(str(path), f"calibration: {label}")
    section = raw.get("posterior") if isinstance(raw, dict) else None
    if section is None:
        return label, []
    if not isinstance(section, list) or not section:
        raise ConfigError(f"{label}: posterior: expected a list of draws (KEY: VALUE mappings)")
    table = declared()
    lists = {p.name for p in describe(RunConfig) if isinstance(p.default, list | tuple)}
    keys = None
    draws = []
    for i, draw in enumerate(section):
        if not isinstance(draw, dict) or not draw:
            raise ConfigError(f"{label}: posterior[{i}]: expected a mapping KEY: VALUE")
        if keys is None:
            keys = set(draw)
        elif set(draw) != keys:
            raise ConfigError(f"{label}: posterior[{i}]: keys differ from posterior[0]'s")
        flat: dict[str, float] = {}
        for key, value in draw.items():
            items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            if key not in (lists if isinstance(value, list) else table):
                raise ConfigError(
                    f"{label}: posterior[{i}].{key}: not a declared "
                    f"{'scalar' if not isinstance(value, list) else 'list'} parameter"
                )
            for j, v in items:
                try:
                    x = float(v)
                except (TypeError, ValueError):
                    x = math.nan
                if not math.isfinite(x) or isinstance(v, bool):
                    raise ConfigError(f"{label}: posterior[{i}].{key}: not a number: {v!r}")
                flat[key if j is None else f"{key}[{j}]"] = x
        draws.append(flat)
    return label, draws


def pick_draws(n: int, n_draws: int, seed: int) -> np.ndarray:
    """Which posterior draw each of ``n`` samples takes, from the experiment's seed.

    Without replacement while there are enough draws (so that ``n`` samples use ``n``
    different draws), with replacement beyond.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x504F5354]))
    return rng.choice(n_draws, size=n, replace=n > n_draws).astype(int)


def declared(schema: type = RunConfig) -> dict[str, ParamInfo]:
    """Declared scalar numeric parameters of the run configuration, by dotted name."""
    return {
        p.name: p
        for p in describe(schema)
        if p.low is not None
        and p.high is not None
        and isinstance(p.default, int | float)
        and not isinstance(p.default, bool)
    }


def uncertainties(
    names: list[str] | str = "uncertain", ranges: dict[str, list[float]] | None = None
) -> list[Parameter]:
    """Uncertainties from the declarations.

    Args:
        names: ``"uncertain"`` for every declared uncertain scalar, ``"effects"`` for those
            of the policy effects (:data:`EFFECT_PREFIXES`), or a list of dotted keys (may
            include ``DUMMY``).
        ranges: optional ``{name: [low, high]}`` narrowing or replacing a declared range.

    Raises:
        ConfigError: unknown or non-scalar parameter, or a range with low > high.
    """
    table = declared()
    ranges = dict(ranges or {})
    if names == "uncertain":
        names = [n for n, p in table.items() if p.uncertain]
    elif names == "effects":
        names = [n for n, p in table.items() if p.uncertain and n.startswith(EFFECT_PREFIXES)]
    elif isinstance(names, str):
        raise ConfigError(
            f"params: expected 'uncertain', 'effects' or a list of keys, got '{names}'"
        )
    out = []
    for name in names:
        if name == DUMMY:
            out.append(Parameter(DUMMY, 0.0, 1.0, kind="dummy"))
            continue
        if name not in table:
            raise ConfigError(_unknown(name, table))
        info = table[name]
        low, high = _range(name, ranges.pop(name, None), info)
        out.append(Parameter(name, low, high, integer=isinstance(info.default, int)))
    _no_leftover(ranges, names)
    return out


def levers(scenario: Scenario, names: list[str], ranges: dict | None = None) -> list[Parameter]:
    """Lever parameters ``LEVER_ID.FIELD`` of a package, with ranges from the lever declarations.

    Raises:
        ConfigError: unknown lever id or field, or a range with low > high.
    """
    by_id = {lv.id: lv for lv in scenario.levers}
    out = []
    for name in names:
        lever_id, _, fname = name.partition(".")
        if lever_id not in by_id:
            raise ConfigError(
                f"levers: '{name}': package '{scenario.name}' has no lever '{lever_id}' "
                f"(its levers: {', '.join(by_id)})"
            )
        kind = next(k for k, c in LEVER_TYPES.items() if type(by_id[lever_id]) is c)
        infos = {p.name: p for p in describe(type(by_id[lever_id])) if p.low is not None}
        if fname not in infos:
            raise ConfigError(
                f"levers: '{name}': a {kind} lever has no numeric field '{fname}' "
                f"(fields: {', '.join(infos)})"
            )
        low, high = _range(name, (ranges or {}).get(name), infos[fname])
        integer = isinstance(infos[fname].default, int)
        out.append(Parameter(name, low, high, integer=integer, kind="lever"))
    return out


def _range(name: str, given: list[float] | None, info: ParamInfo) -> tuple[float, float]:
    """The sampled range of a parameter: the declared one, or ``given`` inside it."""
    if given is not None and (not isinstance(given, list | tuple) or len(given) != 2):
        raise ConfigError(f"ranges.{name}: expected [low, high], got {given!r}")
    low, high = (info.low, info.high) if given is None else tuple(given)
    try:
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        raise ConfigError(
            f"ranges.{name}: expected two numbers [low, high], got {given!r}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ConfigError(f"ranges.{name}: bounds must be finite numbers, got [{low}, {high}]")
    if low > high:
        raise ConfigError(f"ranges.{name}: low {low:g} > high {high:g}")
    if given is not None and (low < info.low or high > info.high):
        raise ConfigError(
            f"ranges.{name}: [{low:g}, {high:g}] leaves the declared range "
            f"[{info.low:g}, {info.high:g}] ({info.unit})"
        )
    return low, high


def _unknown(name: str, table: dict[str, ParamInfo]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(table), n=1, cutoff=0.7)
    hint = f" (did you mean '{close[0]}'?)" if close else " (see tsunagari params --uncertain)"
    return f"params: unknown or non-scalar parameter '{name}'{hint}"


def _no_leftover(ranges: dict, names: list[str]) -> None:
    for name in ranges:
        if name not in names:
            raise ConfigError(f"ranges.{name}: not among the varied parameters")


def latin_hypercube(n: int, k: int, seed: int) -> np.ndarray:
    """``n`` points of a Latin hypercube in ``[0, 1)^k``, drawn from ``seed`` (shared by arms)."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 0x4C48]))
    u = (rng.random((k, n)) + np.arange(n)) / n
    return rng.permuted(u, axis=1).T if n else np.zeros((0, k))


def scale_unit(params: list[Parameter], unit: np.ndarray) -> np.ndarray:
    """Parameter values from unit-cube coordinates (one column per parameter)."""
    if not params:
        return np.zeros((1, 0))
    lows = np.array([p.low for p in params], float)
    highs = np.array([p.high for p in params], float)
    return lows + (highs - lows) * np.asarray(unit, float).reshape(-1, len(params))


def run_specs(
    packages: list[str],
    params: list[Parameter],
    samples: np.ndarray,
    seeds: int,
    experiment_seed: int,
    seed_by_sample: bool = False,
) -> list[RunSpec]:
    """Every run: each package x each sample (row of values) x each replicate (paired).

    Integer parameters are rounded; a design with no parameters has one sample of defaults.
    Seeds depend on the replicate only (the same seeds in every sample: common random numbers
    for sensitivity analysis), or with ``seed_by_sample`` on the sample too
    (:func:`world_seed`: each world of a joint comparison has its own seeds).
    """
    specs = []
    samples = np.asarray(samples, float).reshape(-1, len(params)) if params else np.zeros((1, 0))
    for package in packages:
        for s, row in enumerate(samples):
            values = {
                p.name: (round(float(x)) if p.integer else float(x))
                for p, x in zip(params, row, strict=True)
            }
            for r in range(seeds):
                specs.append(
                    RunSpec(
                        run_id=f"{package}-s{s:05d}-r{r:03d}",
                        package=package,
                        sample=s,
                        replicate=r,
                        seed=world_seed(experiment_seed, s, r)
                        if seed_by_sample
                        else run_seed(experiment_seed, r),
                        values=values,
                    )
                )
    return specs


def apply_values(cfg: RunConfig, values: dict[str, float], seed: int) -> RunConfig:
    """A copy of ``cfg`` with model parameter values and the seed set.

    ``KEY`` sets a declared scalar, ``KEY[i]`` element ``i`` of a declared list (a posterior
    draw's thresholds); lever keys and labels (:data:`POSTERIOR_DRAW`) are ignored.
    """
    out = copy.deepcopy(cfg)
    out.seed = int(seed)
    table = declared()
    for name, value in values.items():
        key, index = name, None
        if name.endswith("]") and "[" in name:
            key, _, rest = name.partition("[")
            index = int(rest[:-1])
        elif name not in table:
            continue
        *path, leaf = key.split(".")
        node = out
        try:
            for part in path:
                node = getattr(node, part)
            current = getattr(node, leaf)
        except AttributeError:
            continue
        if index is None:
            setattr(node, leaf, value)
        elif isinstance(current, list | tuple) and 0 <= index < len(current):
            items = list(current)
            items[index] = float(value)
            setattr(node, leaf, type(current)(items) if isinstance(current, tuple) else items)
    return out


def apply_levers(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """A copy of a package with lever fields ``LEVER_ID.FIELD`` set (other keys ignored)."""
    changes: dict[str, dict[str, float]] = {}
    ids = {lv.id for lv in scenario.levers}
    for name, value in values.items():
        lever_id, _, fname = name.partition(".")
        if lever_id in ids and fname:
            changes.setdefault(lever_id, {})[fname] = value
    if not changes:
        return scenario
    levers_ = [dataclasses.replace(lv, **changes.get(lv.id, {})) for lv in scenario.levers]
    return dataclasses.replace(scenario, levers=levers_)
