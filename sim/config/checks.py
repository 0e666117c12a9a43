"""Checks of a composed configuration: ranges, region keys, scenario, and the memory guard.

:func:`load_configured_region` is where every command that builds a population loads its
region, so an empty or oversized run, or a scenario that does not fit the region, is refused
before any work starts.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from sim.config.schema import PREF_KEY, RegionConfig, RunConfig, group_options
from sim.core.params import ConfigError, ParamInfo, describe, validate
from sim.engine.survey import check_thresholds

if TYPE_CHECKING:
    from sim.world.region import Region


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
    if cfg.demography not in ("dynamic", "static"):
        raise ConfigError(f"demography: must be 'dynamic' or 'static', got '{cfg.demography}'")
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
    if key != "japan" and getattr(region, "prefectures", None) is not None:
        raise ConfigError(f"region.prefectures: only used with region=japan (region is {key})")
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
    from sim.world.region import load_configured

    region = load_configured(cfg.region)
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
# demography=dynamic (docs/benchmarks.md, "Demography: time and memory"; measured with
# `python experiments/benchmark.py --memory-of OVERRIDES demography=dynamic`):
#   1,000,000 residents (Nara), 10 years: 1,066 MiB (static run: 823 MiB; estimate 872 MiB)
#   region=kochi population.scale=1.0 (691,527 residents), 10 years: 798 MiB (static: 633 MiB;
#     estimate 690 MiB): ~250 B a resident more than static in both
#   region=japan population.scale=0.008 years=1 burn_in_weeks=4, 38 weeks, no result table:
#     1,123-1,132 MiB dynamic against 980-1,004 MiB static (+128 to +143 MiB a million)
# RSS rises by ~170-230 MiB in the first year after week 0, when demography starts: 1 % more
# slots (reserve_size), per-slot arrays (birthday, free_since, household bookkeeping), weekly
# hazard tables, and the step's temporaries over every slot (three random floats, hazard
# lookups, masks). BYTES_PER_RESIDENT_DYNAMIC is added per resident to cover the two 10-year
# runs by 18-20 %.
BASE_BYTES = 250 * 2**20
BYTES_PER_RESIDENT = 600
BYTES_PER_RESIDENT_DYNAMIC = 400
BYTES_PER_MUNICIPALITY = 200 * 2**10
BYTES_PER_TABLE_ROW = 250


def estimate_memory(residents: int, municipalities: int, years: int, dynamic: bool = False) -> int:
    """Estimated peak memory of one run, in bytes (constants measured: see above).

    Args:
        residents: simulated residents.
        municipalities: municipalities of the region.
        years: horizon in years (the monthly result table grows with it).
        dynamic: ``demography=dynamic`` (adds :data:`BYTES_PER_RESIDENT_DYNAMIC` a resident).

    Returns:
        Bytes: interpreter and libraries, plus per resident, per municipality and per row of
        the monthly table (about 31 measures per municipality plus 250 for the other groups).
    """
    rows = (12 * years + 1) * (31 * municipalities + 250)
    return int(
        BASE_BYTES
        + (BYTES_PER_RESIDENT + (BYTES_PER_RESIDENT_DYNAMIC if dynamic else 0)) * residents
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
    from sim.world.age_profiles import municipal_age_sex
    from sim.world.population import band_sex_counts

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
    dynamic = cfg.demography == "dynamic"
    need = estimate_memory(residents, m, cfg.years, dynamic)
    if need <= available:
        return
    room = available - estimate_memory(0, m, cfg.years, dynamic)
    per = BYTES_PER_RESIDENT + (BYTES_PER_RESIDENT_DYNAMIC if dynamic else 0)
    most = room / per / census
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
