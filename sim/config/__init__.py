"""Typed, validated, read-only run configuration composed with Hydra.

The schema is a tree of dataclasses whose leaves are declared with :func:`sim.core.params.param`.
:func:`register_configs` stores it in Hydra's ConfigStore (explicitly, never on import), and
:func:`compose_config` composes ``sim/config/conf/config.yaml`` with command-line overrides such as
``region=kochi population.scale=1.0 years=10 seed=7``. Every user error (unknown key, wrong
type, out-of-range value, unknown region, bad region file) raises
:class:`sim.core.params.ConfigError`
with a one-line message naming the key or file: overrides are checked one by one before
composing, and Hydra's and OmegaConf's multi-line exceptions are mapped to such lines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import re
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import yaml
from omegaconf import DictConfig, OmegaConf

from sim.core.params import ConfigError, ParamInfo, describe, param, validate
from sim.engine.dynamics import DynamicsParams
from sim.engine.survey import SurveyParams, check_thresholds
from sim.policy.service_params import ServiceParams
from sim.world.layers import LayerParams
from sim.world.population import PopulationParams

if TYPE_CHECKING:
    from sim.world.region import Region

SCHEMA_NAME = "tsunagari_schema"
PREF_KEY = re.compile(r"pref-(\d{2})")
GROUPS = ("region",)  # config groups: folders of sim/conf


@dataclass
class RegionConfig:
    """Which region to simulate (choose with ``region=OPTION``; see ``sim/config/conf/region``)."""

    key: str = field(
        default="tottori",
        metadata={"doc": "tottori | kochi | prefecture | custom | pref-NN (prefecture code)"},
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
        104,
        unit="weeks",
        low=0,
        high=1040,
        source="assumption: long enough for ties and loneliness to settle from their set-up values",
        doc="weeks simulated before start_date (not recorded)",
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
        doc="calibrated parameter set applied before overrides (calibration/NAME.yaml) or none",
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


def calibrated_overrides(overrides: list[str]) -> list[str]:
    """Overrides of the calibrated set named by ``calibration=NAME`` (default ``calibrated``).

    The set is ``calibration/NAME.yaml`` (written by ``tsunagari calibrate``); its overrides are
    applied before the user's, so a user override of the same key wins. ``calibration=none``
    applies nothing; a missing default set (before any calibration) is skipped.

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
    path = files("calibration") / f"{name}.yaml"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not path.is_file():
        if name == "calibrated" and re.fullmatch(r"[A-Za-z0-9_-]+", name):
            return []
        raise ConfigError(f"calibration: no calibrated set '{name}' in calibration/ (or none)")
    from sim.core.yamlfile import load_yaml

    label = f"calibration: calibration/{name}.yaml"
    raw = load_yaml(str(path), label)
    sets = raw.get("overrides") if isinstance(raw, dict) else None
    if not isinstance(sets, dict):
        raise ConfigError(f"{label}: expected a mapping 'overrides: {{KEY: VALUE}}'")
    out = []
    for key, value in sets.items():
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


def check(cfg: RunConfig) -> None:
    """Validate ranges and cross-field rules of a composed configuration.

    Raises:
        ConfigError: naming the first key at fault.
    """
    infos = describe(RunConfig)
    validate(cfg, RunConfig)
    _check_finite(cfg, infos)
    check_thresholds(cfg.survey.thresholds, "survey.thresholds")
    check_thresholds(cfg.survey.ucla_cuts, "survey.ucla_cuts")
    if cfg.lang not in ("ja", "en"):
        raise ConfigError(f"lang: must be 'ja' or 'en', got '{cfg.lang}'")
    try:
        dt.date.fromisoformat(cfg.start_date)
    except ValueError:
        raise ConfigError(f"start_date: not a date (YYYY-MM-DD): '{cfg.start_date}'") from None
    if cfg.output_dir is not None and not str(cfg.output_dir).strip():
        raise ConfigError("output_dir: empty path (leave it out for the default folder)")
    check_region_keys(cfg.region)


def _check_finite(cfg: RunConfig, infos: list[ParamInfo]) -> None:
    """Raise for NaN in any declared numeric parameter (range checks let NaN through)."""
    for info in infos:
        value: Any = cfg
        for part in info.name.split("."):
            value = getattr(value, part)
        for v in value if isinstance(value, list | tuple) else [value]:
            if isinstance(v, float) and math.isnan(v):
                raise ConfigError(f"{info.name}: must be a number, got nan")


def check_region_keys(region: RegionConfig) -> None:
    """Check the region key and that the keys it needs (and only those) are given.

    Raises:
        ConfigError: naming ``region.key``, ``region.prefecture``, ``region.csv`` or
            ``region.municipalities``.
    """
    key = str(region.key).strip().lower()
    options = sorted(group_options("region"))
    hit = PREF_KEY.fullmatch(key)
    if key not in options and not hit:
        raise ConfigError(
            f"region.key: unknown region '{region.key}' (choose from: {', '.join(options)}, "
            "or pref-NN with a two-digit prefecture code)"
        )
    if hit and not 1 <= int(hit.group(1)) <= 47:
        raise ConfigError(f"region.key: no prefecture code {hit.group(1)} in '{key}' (01-47)")
    if key == "prefecture" and region.prefecture in (None, ""):
        raise ConfigError(
            "region.prefecture: region=prefecture needs region.prefecture=NAME (e.g. kochi, 39)"
        )
    if key != "prefecture" and region.prefecture is not None:
        raise ConfigError(f"region.prefecture: only used with region=prefecture (region is {key})")
    if key == "custom" and region.csv in (None, ""):
        raise ConfigError("region.csv: region=custom needs region.csv=PATH")
    if key != "custom" and region.csv is not None:
        raise ConfigError(f"region.csv: only used with region=custom (region is {key})")
    if region.municipalities is not None:
        items = region.municipalities
        if not items or any(not str(m).strip() or isinstance(m, list) for m in items):
            raise ConfigError(
                "region.municipalities: give a non-empty list of codes or names (e.g. [31201])"
            )


def load_configured_region(cfg: RunConfig) -> Region:
    """Load the region the configuration names and check the run against it.

    Every command that builds a population loads its region here (run, config, compare,
    sensitivity, calibrate, wide-area, dashboard), so each refuses, before any work starts, an
    empty or oversized run (:func:`check_size`) and a scenario whose levers name municipalities
    or zones the region lacks, or start outside the horizon (:func:`check_scenario`).

    Raises:
        ConfigError: naming the key or file at fault, or ``population.scale``.
    """
    from sim.world.region import load_region

    r = cfg.region
    region = load_region(r.key, prefecture=r.prefecture, csv=r.csv, municipalities=r.municipalities)
    check_size(cfg, region)
    check_scenario(cfg, region)
    return region


# Peak memory of a run (ru_maxrss of a child process that only composes and runs; measured
# with `python -c "...run(compose_config(sys.argv[1:]))" OVERRIDES` under
# resource.getrusage(RUSAGE_CHILDREN), this machine class, 2025):
#   region=tottori population.scale=0.05 (27,670 residents, 5 years): 247.8 MiB
#   region=tottori population.scale=0.2 (110,681 residents, 5 years): 286.5 MiB -> 489 B/resident
#   region=japan population.scale=0.001 / 0.004 years=1 burn_in_weeks=4 (126,146 / 504,584
#     residents): 540.1 / 711.0 MiB -> 474 B/resident; the ~250 MiB above Tottori's base is
#     per-municipality state of 1,741 municipalities (~0.15 MiB each)
#   region=japan population.scale=0.0002 years=1 / years=4: 635.6 / 1007.9 MiB -> the result
#     table (54,207 rows a month for Japan) costs ~200 B a row while built and written
#   docs/benchmarks.md: 1,000,000 residents (Nara), 10 years: 756 MiB
# The constants below round these up (by 15-25 % on every measured run), so the estimate errs
# on the generous side of memory and refuses only runs that could not fit.
BASE_BYTES = 250 * 2**20
BYTES_PER_RESIDENT = 600
BYTES_PER_MUNICIPALITY = 200 * 2**10
BYTES_PER_TABLE_ROW = 250


def estimate_memory(residents: int, municipalities: int, years: int) -> int:
    """Estimated peak memory of one run, in bytes (constants measured: see above).

    Args:
        residents: simulated residents.
        municipalities: municipalities of the region.
        years: horizon in years (the monthly result table grows with it).

    Returns:
        Bytes: interpreter and libraries, plus per resident, per municipality and per row of
        the monthly table (about 31 measures per municipality plus 250 for the other groups).
    """
    rows = (12 * years + 1) * (31 * municipalities + 250)
    return int(
        BASE_BYTES
        + BYTES_PER_RESIDENT * residents
        + BYTES_PER_MUNICIPALITY * municipalities
        + BYTES_PER_TABLE_ROW * rows
    )


def available_memory() -> int | None:
    """Memory this process may still use, in bytes, or None if it cannot be told.

    The smaller of the system's ``MemAvailable`` (``/proc/meminfo``; else free physical pages
    from ``os.sysconf``) and the room left under a cgroup (container) memory limit.
    """
    import os

    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    if not found:
        try:
            found.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (OSError, ValueError, AttributeError):
            pass
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_file, encoding="ascii") as fh:
                limit = fh.read().strip()
            with open(usage_file, encoding="ascii") as fh:
                usage = int(fh.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:  # "max" or a huge number: no limit
            found.append(max(int(limit) - usage, 0))
    return min(found) if found else None


def check_size(cfg: RunConfig, region: Region, available: int | None = -1) -> None:
    """Refuse, before any work, a run with no residents or one that cannot fit in memory.

    The memory check is skipped in worker processes (their parent checked the same run before
    starting them, and the workers' own populations already take memory).

    Args:
        cfg: the configuration (``population.scale`` and ``years``).
        region: its loaded region.
        available: bytes available (default: :func:`available_memory`; None skips the check).

    Raises:
        ConfigError: naming ``population.scale``.
    """
    import multiprocessing

    from sim.world.population import simulated_residents

    scale = cfg.population.scale
    census = int(region.municipalities["pop_total"].sum())
    residents = int(simulated_residents(region.municipalities, cfg.population).sum())
    if residents == 0:
        least = 1 / max(census, 1)
        raise ConfigError(
            f"population.scale={scale:g} simulates no resident of {region.name_en} "
            f"({census:,} in the census); raise population.scale to at least {least:.2g}"
        )
    from sim.world.population import band_sex_counts
    from sim.world.region import municipal_age_sex

    n_m = simulated_residents(region.municipalities, cfg.population)
    over_15 = int(band_sex_counts(n_m, municipal_age_sex(region))[:, 6:].sum())  # bands 15-19+
    if over_15 == 0:
        raise ConfigError(
            f"population.scale={scale:g}: the {residents:,} simulated residents of "
            f"{region.name_en} are all children (the survey is of residents aged 16+); raise "
            "population.scale"
        )
    if available == -1:
        if multiprocessing.parent_process() is not None:
            return
        available = available_memory()
    if available is None:
        return
    m = len(region.municipalities)
    need = estimate_memory(residents, m, cfg.years)
    if need <= available:
        return
    room = available - estimate_memory(0, m, cfg.years)
    most = room / BYTES_PER_RESIDENT / census
    digits = 1 - math.floor(math.log10(most)) if most > 0 else 0
    most = math.floor(most * 10**digits) / 10**digits  # two significant digits, rounded down
    hint = (
        f"lower population.scale (at most {most:g} fits)"
        if most > 0
        else "lower years or choose a smaller region"
    )
    raise ConfigError(
        f"population.scale={scale:g}: a run of {residents:,} residents needs about "
        f"{_size(need)} of memory, more than the {_size(available)} available; {hint}"
    )


def _size(nbytes: float) -> str:
    """A memory size for messages: MiB below 1 GiB, else GiB with one decimal."""
    return f"{nbytes / 2**20:,.0f} MiB" if nbytes < 2**30 else f"{nbytes / 2**30:,.1f} GiB"


def check_scenario(cfg: RunConfig, region: Region | None = None) -> None:
    """Load the configured scenario and check its levers against the horizon and the region.

    Args:
        cfg: the configuration.
        region: its loaded region; if given, every lever's municipalities and zones must exist
            in it (the same rule a run applies when it builds the levers).

    Raises:
        ConfigError: naming ``scenario`` or the scenario file and key at fault.
    """
    from sim.policy.scenario import check_horizon, check_region, load_scenario

    scenario = load_scenario(cfg.scenario)
    check_horizon(scenario, cfg.start_date, cfg.years)
    if region is not None:
        from sim.world.population import simulated_residents, zones_per_municipality

        mun = region.municipalities
        n_m = simulated_residents(mun, cfg.population)
        n_zones = int(zones_per_municipality(mun, n_m, cfg.population).sum())
        check_region(scenario, mun, n_zones)


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
