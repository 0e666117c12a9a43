"""Experiment configs composed with Hydra: a typed schema, two base files, and overlays.

The config folder is the ``experiments`` package itself (so the files ship in the wheel):

    experiments/compare.yaml, sensitivity.yaml   base config of each command
    experiments/executor/{serial,process,dask}.yaml
    experiments/experiment/*.yaml                 overlays (``# @package _global_``)

A new experiment is an overlay, not a copy: a file in ``experiments/experiment/`` that sets
only what differs, chosen with ``experiment=NAME`` (or a file path). Command-line overrides
whose first key is an experiment key (see :class:`ExperimentConfig`) go to the experiment;
every other override (``population.scale=0.01``, ``years=2``) goes to the model
configuration and is checked by :func:`sim.config.compose_config`. ``out=FOLDER`` is taken as
written (any character, Japanese included); other non-ASCII values are quoted for Hydra.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from sim.core.params import ConfigError
from sim.core.yamlfile import load_yaml

SCHEMA_NAME = "tsunagari_experiment_schema"
GROUPS = ("executor", "experiment")
#: Keys whose value is a path taken as written, outside Hydra's grammar (see _literal_values).
LITERAL_KEYS = ("out",)


@dataclass
class ExecutorConfig:
    """Where runs execute (choose with ``executor=serial|process|dask``)."""

    kind: str = "process"
    workers: int | None = None  # default: all cores (process) or 2 (dask LocalCluster)
    address: str | None = None  # dask: scheduler address; None starts a LocalCluster
    processes: bool = True  # dask LocalCluster: worker processes (True) or threads
    batch_seconds: float = 2.0  # target duration of one batch of runs (>= 1 s)
    memory: float | None = None  # national, dask LocalCluster: GiB per worker (default: share)


@dataclass
class ExperimentConfig:
    """An experiment: design, analysis and execution (model settings go in ``model``)."""

    name: str = "default"
    out: str | None = None  # default outputs/experiments/<command>-<name>-<design hash>
    seed: int = 20250406  # experiment seed: run seeds and samples derive from it
    seeds: int = 10  # replicates (seeds) per uncertainty sample
    samples: int = 0  # compare: uncertainty samples (Latin hypercube); 0 = declared defaults
    packages: list[str] = field(
        default_factory=lambda: ["places_first", "people_first", "digital_first"]
    )
    baseline: str = "baseline"
    package: str = "baseline"  # sensitivity: the package run at every sample
    # 'uncertain' (all declared uncertain scalars), 'effects' (the declared uncertain policy
    # effect parameters, services.*) or a list of keys
    params: Any = "uncertain"
    ranges: Any = field(default_factory=dict)  # KEY: [low, high], narrowing declared ranges
    levers: list[str] = field(default_factory=list)  # sensitivity: LEVER_ID.FIELD of package
    dummy: bool = True  # sensitivity: add the DUMMY parameter (noise floor)
    outcomes: list[str] = field(
        default_factory=lambda: [
            "py_lonely", "py_any_loneliness", "py_no_in_person_contact", "cost_total",
            "final_any_loneliness",
        ]
    )  # fmt: skip
    target: str = "py_lonely"  # primary outcome: cost-effectiveness, robustness, figures
    method: str = "morris"  # sensitivity: morris | sobol
    r: int = 10  # morris: trajectories
    num_levels: int = 4  # morris: grid levels
    n: int = 64  # sobol: base sample size (a power of 2)
    second_order: bool = False  # sobol: also second-order indices
    resamples: int = 1000  # bootstrap resamples for confidence intervals
    conf_level: float = 0.95
    # compare: 'equal' (scale every package to the same added cost a year), 'YEN/year' (scale
    # to that added cost a year), or a number: a cap on added cost over the whole horizon
    # (yen) for robustness, as before. See budget_spec().
    budget: Any = None
    uncertainty: str = "joint"  # compare: joint (posterior, effect priors, seeds) | seeds
    wtp_max: float | None = None  # compare: highest willingness to pay of the CEAC (yen/py)
    series: bool = True  # keep each run's monthly survey series (bands over time)
    model: list[str] = field(default_factory=list)  # model overrides, e.g. [years=2]
    lang: str = "ja"
    progress: str = "auto"  # auto/on: terminal line, or a log line every ~10 s | off
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)


def experiment_keys() -> set[str]:
    """Top-level keys that belong to the experiment rather than the model."""
    return {f.name for f in dataclasses.fields(ExperimentConfig)} | set(GROUPS)


def split_overrides(overrides: list[str]) -> tuple[list[str], list[str]]:
    """Split command-line overrides into (experiment, model) by their first key."""
    exp, model = [], []
    keys = experiment_keys()
    for text in overrides:
        key = text.split("=", 1)[0].lstrip("+~")
        head = key.split(".", 1)[0]
        if "=" in text and head in keys:
            exp.append(f"+{text}" if head == "ranges" and "." in key else text)
        else:
            model.append(text)
    return exp, model


def register_configs() -> None:
    """Store the schema in Hydra's ConfigStore (explicit; storing twice is a no-op)."""
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    if f"{SCHEMA_NAME}.yaml" not in store.list(""):
        store.store(name=SCHEMA_NAME, node=ExperimentConfig)


def config_dir() -> str:
    """Folder of the experiment configs (the installed ``experiments`` package)."""
    return str(files("experiments"))


def compose_experiment(command: str, overrides: list[str]) -> tuple[ExperimentConfig, list[str]]:
    """Compose an experiment config for ``command`` (compare | sensitivity).

    Args:
        command: base config name.
        overrides: command-line overrides (experiment and model keys mixed).

    Returns:
        The typed experiment config, and the model overrides (the experiment's ``model`` list
        followed by the command line's).

    Raises:
        ConfigError: one line naming the key at fault.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    exp, model = split_overrides(overrides)
    literal, exp = _literal_values(exp)
    exp = [_quote_non_ascii(text) for text in _overlay_paths(exp)]
    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
            cfg = compose(config_name=command, overrides=exp)
        obj = OmegaConf.to_object(cfg)
    except Exception as exc:  # Hydra/OmegaConf errors are user errors here
        raise ConfigError(_one_line(exc)) from None
    finally:
        GlobalHydra.instance().clear()
    obj.ranges = _flatten(obj.ranges)
    for key, value in literal.items():
        setattr(obj, key, value)
    check(obj)
    return obj, [*obj.model, *model]


def _literal_values(overrides: list[str]) -> tuple[dict[str, str], list[str]]:
    """Take the path keys (:data:`LITERAL_KEYS`) out of the overrides Hydra will parse.

    A folder name may hold any character (``out=結果/3案比較``, spaces, brackets, commas, ``$``),
    and Hydra's override grammar would refuse or reinterpret many of them, so ``out=VALUE``
    is taken as written and set on the composed config (the last one given wins).

    Returns:
        ``({key: value}, the other overrides)``.

    Raises:
        ConfigError: an empty path.
    """
    literal: dict[str, str] = {}
    rest = []
    for text in overrides:
        key, eq, value = text.partition("=")
        name = key.strip().lstrip("+")
        if eq and name in LITERAL_KEYS:
            if not value.strip():
                raise ConfigError(f"{name}: empty path; give a folder, e.g. {name}=outputs/mine")
            literal[name] = value
        else:
            rest.append(text)
    return literal, rest


def _quote_non_ascii(override: str) -> str:
    """Quote a non-ASCII value, or the non-ASCII items of a list, for Hydra's grammar.

    Hydra's override grammar has no unquoted non-ASCII characters, so
    ``packages=[シナリオ/案.yaml]`` and ``hydra.searchpath=[file:///データ]`` are quoted here (a
    value already quoted, or a list with quotes or nested brackets, is left as it is).
    """
    key, eq, value = override.partition("=")
    if not eq or value.isascii():
        return override
    if value.startswith("[") and value.endswith("]"):
        inner = value[1:-1]
        if any(c in inner for c in "'\"[]"):
            return override
        return f"{key}=[{','.join(_quote(v.strip()) for v in inner.split(','))}]"
    return f"{key}={_quote(value)}"


def _quote(value: str) -> str:
    """Quote a non-ASCII value with a quote character it does not contain."""
    if value.isascii() or value[:1] in "'\"":
        return value
    return f"'{value}'" if "'" not in value else f'"{value}"'


def _overlay_paths(overrides: list[str]) -> list[str]:
    """``experiment=DIR/experiment/NAME.yaml``: add DIR to Hydra's search path, select NAME.

    Raises:
        ConfigError: the file is missing or not inside a folder named ``experiment``.
    """
    out = []
    for text in overrides:
        key, _, value = text.partition("=")
        if key != "experiment" or not value.endswith(".yaml"):
            out.append(text)
            continue
        path = Path(value).resolve()
        if not path.is_file():
            raise ConfigError(f"experiment: file not found: {value}")
        if path.parent.name != "experiment":
            raise ConfigError(f"experiment: put '{path.name}' in a folder named experiment/")
        load_yaml(path, f"experiment: {value}")  # size, UTF-8, no aliases, before Hydra reads it
        where = f"file://{path.parent.parent}"
        where = f"'{where}'" if "'" not in where else f'"{where}"'  # any folder name
        out += [f"hydra.searchpath=[{where}]", f"experiment={path.stem}"]
    return out


def _flatten(node: Any, prefix: str = "") -> dict[str, list[float]]:
    """Nested ``ranges`` (from dotted CLI keys) -> ``{dotted.key: [low, high]}``."""
    if not isinstance(node, dict):
        raise ConfigError(f"ranges{'.' + prefix if prefix else ''}: expected KEY: [low, high]")
    out: dict[str, list[float]] = {}
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = list(value) if isinstance(value, list | tuple) else value
    return out


def check(cfg: ExperimentConfig) -> None:
    """Cross-field checks of an experiment config.

    Raises:
        ConfigError: naming the key at fault.
    """
    positive = {"seeds": cfg.seeds, "r": cfg.r, "n": cfg.n, "num_levels": cfg.num_levels,
                "resamples": cfg.resamples}  # fmt: skip
    for key, value in positive.items():
        if value < 1:
            raise ConfigError(f"{key}: must be at least 1, got {value}")
    if cfg.samples < 0:
        raise ConfigError(f"samples: must be 0 (defaults) or more, got {cfg.samples}")
    if cfg.method not in ("morris", "sobol"):
        raise ConfigError(f"method: unknown method '{cfg.method}' (choose from: morris, sobol)")
    if not 0 < cfg.conf_level < 1:
        raise ConfigError(f"conf_level: must be between 0 and 1, got {cfg.conf_level}")
    if cfg.progress not in ("auto", "on", "off"):
        raise ConfigError(f"progress: must be auto, on or off, got '{cfg.progress}'")
    if cfg.lang not in ("ja", "en"):
        raise ConfigError(f"lang: must be 'ja' or 'en', got '{cfg.lang}'")
    if cfg.executor.kind not in ("serial", "process", "dask"):
        raise ConfigError(
            f"executor.kind: unknown executor '{cfg.executor.kind}' (serial, process, dask)"
        )
    if cfg.executor.workers is not None and cfg.executor.workers < 1:
        raise ConfigError(f"executor.workers: must be at least 1, got {cfg.executor.workers}")
    if cfg.executor.memory is not None and not (
        math.isfinite(cfg.executor.memory) and cfg.executor.memory > 0
    ):
        raise ConfigError(
            f"executor.memory: must be a positive number of GiB, got {cfg.executor.memory}"
        )
    if not (math.isfinite(cfg.executor.batch_seconds) and cfg.executor.batch_seconds > 0):
        raise ConfigError(
            f"executor.batch_seconds: must be a positive number of seconds, "
            f"got {cfg.executor.batch_seconds}"
        )
    budget_spec(cfg.budget)
    if cfg.uncertainty not in ("joint", "seeds"):
        raise ConfigError(
            f"uncertainty: must be 'joint' (posterior draws, effect priors and seeds) or "
            f"'seeds' (declared defaults, seeds only), got '{cfg.uncertainty}'"
        )
    if cfg.uncertainty == "seeds" and cfg.samples:
        raise ConfigError(
            "samples: uncertainty=seeds runs the declared defaults only; use samples=0, or "
            "uncertainty=joint to sample parameters"
        )
    if cfg.wtp_max is not None and not (math.isfinite(cfg.wtp_max) and cfg.wtp_max > 0):
        raise ConfigError(f"wtp_max: must be a positive amount in yen, got {cfg.wtp_max}")
    if not cfg.packages:
        raise ConfigError("packages: give at least one package, e.g. packages=[places_first]")
    if cfg.target not in cfg.outcomes:
        raise ConfigError(
            f"target: '{cfg.target}' is not among outcomes ({', '.join(cfg.outcomes)})"
        )


@dataclass(frozen=True)
class BudgetSpec:
    """What ``budget=`` asks for.

    Attributes:
        scale: ``None`` (packages as written), ``"equal"`` (every package scaled to the mean
            of their added costs a year) or ``"per_year"`` (scaled to ``per_year``).
        per_year: the target added cost a year (yen), for ``scale == "per_year"``.
        cap: a cap on added cost over the whole horizon (yen): options above it are not
            eligible in the robustness table (the meaning of a bare ``budget=NUMBER``).
    """

    scale: str | None = None
    per_year: float | None = None
    cap: float | None = None


def budget_spec(value: Any) -> BudgetSpec:
    """Read ``budget=``: ``equal``, ``YEN/year`` (e.g. ``1.7e8/year``) or a horizon cap in yen.

    Raises:
        ConfigError: one line saying what to write.
    """
    what = (
        "write budget=equal (same added cost a year for every package), budget=YEN/year "
        "(e.g. budget=1.7e8/year: every package scaled to that added cost a year) or "
        "budget=YEN (a cap on added cost over the whole horizon, robustness only)"
    )
    if value is None:
        return BudgetSpec()
    if isinstance(value, bool):
        raise ConfigError(f"budget: got {value}; {what}")
    if isinstance(value, int | float):
        if not (math.isfinite(value) and value >= 0):
            raise ConfigError(f"budget: must be a non-negative amount in yen, got {value}")
        return BudgetSpec(cap=float(value))
    text = str(value).strip().lower().replace("_", "").replace(",", "")
    if text == "equal":
        return BudgetSpec(scale="equal")
    for suffix in ("/year", "/yr", "peryear"):
        if text.endswith(suffix):
            try:
                amount = float(text[: -len(suffix)])
            except ValueError:
                break
            if not (math.isfinite(amount) and amount > 0):
                raise ConfigError(f"budget: a yearly amount must be positive yen, got {value}")
            return BudgetSpec(scale="per_year", per_year=amount)
    try:
        amount = float(text)
    except ValueError:
        raise ConfigError(f"budget: cannot read '{value}'; {what}") from None
    return budget_spec(amount)


def _one_line(exc: BaseException) -> str:
    """One line for a Hydra or OmegaConf error, naming the key where one is known."""
    import re

    from omegaconf.errors import OmegaConfBaseException

    text = str(exc)
    if hit := re.search(r"Could not find '([^/']+)/([^']*)'", text):
        group, option = hit.groups()
        folder = files("experiments") / group
        options = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
        return f"{group}: unknown option '{option}' (choose from: {', '.join(options)})"
    if hit := re.search(r"Could not override '([^']+)'", text):
        return f"unknown experiment key '{hit.group(1)}'"
    err: BaseException | None = exc
    while err is not None:
        if isinstance(err, OmegaConfBaseException) and getattr(err, "full_key", None):
            first = str(err).splitlines()[0]
            return f"{err.full_key}: {first}"
        err = err.__cause__ or err.__context__
    return next((s.strip() for s in text.splitlines() if s.strip()), type(exc).__name__)
