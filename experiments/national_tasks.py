"""One partition of a national run: its configuration, its seed and what it sends back.

A partitioned run (``tsunagari national``) splits a multi-prefecture region into commuting areas
that share no ties (:func:`sim.world.partitions.plan_partitions`). Each partition is one task: it
builds its own population and runs its own simulation, with a seed derived from the run's seed
and the partition's key (:func:`partition_seed`), so what a partition computes depends only on
the run's configuration and the partition, never on the worker, the back-end or the order in
which partitions finish. Only aggregates come back (:class:`PartitionResult`): the monthly
table of the scenario and, for a policy scenario, of the paired baseline.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import socket
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.core.rng import stream_key

#: Overrides of the run that a partition sets itself (its region and its seed).
PARTITION_KEYS = ("region", "seed", "output_dir", "overwrite")


def partition_seed(seed: int, key: str) -> int:
    """The seed of partition ``key`` of a run seeded ``seed`` (32 bits, platform independent).

    Derived with a SeedSequence from the run's seed and the CRC-32 of ``partition:<key>``, so
    partitions draw independent streams and adding or removing another partition never changes
    a partition's numbers.

    Example:
        >>> partition_seed(42, "pref-31") == partition_seed(42, "pref-31")
        True
        >>> partition_seed(42, "pref-31") != partition_seed(42, "pref-32")
        True
    """
    ss = np.random.SeedSequence([int(seed), stream_key(f"partition:{key}")])
    return int(ss.generate_state(1, np.uint32)[0])


@dataclass(frozen=True)
class PartitionTask:
    """What one worker needs to run one partition.

    Attributes:
        key: the partition's key (``shutoken``, ``pref-31``).
        prefectures: its two-digit prefecture codes.
        overrides: the run's model overrides without region, seed and output keys.
        seed: the run's seed (the partition's own is :func:`partition_seed`).
        memory: estimated peak memory of the task, in bytes (declared to Dask).
        seconds: estimated seconds on one core.
        shares: per lever of the scenario, the partition's share of the real residents the
            lever covers (its fixed weekly costs are paid in that proportion, so a lever's
            fixed cost is paid once by the whole run, as in a single-process run).
        code: the tsunagari version and commit that prepared the task (a stored result of
            other code is not reused).
        residents: expected simulated residents (the plan's count; the run's own may differ
            by rounding).
    """

    key: str
    prefectures: tuple[str, ...]
    overrides: tuple[str, ...]
    seed: int
    memory: int = 0
    seconds: float = 0.0
    shares: tuple[float, ...] = ()
    code: str = ""
    residents: int = 0

    @property
    def own_seed(self) -> int:
        """The partition's seed."""
        return partition_seed(self.seed, self.key)

    def model_overrides(self) -> list[str]:
        """The overrides of the partition's run: the run's, its region and its seed."""
        codes = ",".join(self.prefectures)
        return [*self.overrides, "region=japan", f"region.prefectures=[{codes}]",
                f"seed={self.own_seed}"]  # fmt: skip

    def fingerprint(self) -> str:
        """What the partition's result depends on (the store keeps a result only if it matches)."""
        text = json.dumps(
            {"key": self.key, "prefectures": list(self.prefectures),
             "overrides": list(self.overrides), "seed": self.seed,
             "shares": [round(x, 12) for x in self.shares], "code": self.code},
            sort_keys=True, ensure_ascii=False,
        )  # fmt: skip
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class PartitionResult:
    """What one partition sends back: aggregates only.

    Attributes:
        key: the partition's key.
        seed: the partition's seed.
        residents: simulated residents at the start.
        table: the scenario's monthly table (``week, date, measure, dimension, group, value, n``).
        baseline: the paired baseline's table (None for the baseline scenario).
        counts: the scenario run's event counts (JSON-safe).
        timing: seconds, peak memory and where it ran (not part of the byte-identical outputs).
    """

    key: str
    seed: int
    residents: int
    table: pd.DataFrame
    baseline: pd.DataFrame | None
    counts: dict
    timing: dict = field(default_factory=dict)


def run_partition(task: PartitionTask) -> PartitionResult:
    """Run one partition (in whatever process a back-end gives it) and return its aggregates.

    The scenario is placed on the partition's municipalities only: a lever that names
    municipalities runs where they are and is left out of partitions holding none of them
    (:func:`scenario_for`); a lever naming none applies in every partition.
    """
    from sim.analysis.compare import baseline_config
    from sim.config import compose_config, load_configured_region
    from sim.engine.model import run

    t0 = time.perf_counter()
    _reset_peak()
    cfg = compose_config(task.model_overrides(), check_region=False)
    region = load_configured_region(cfg)
    scenario = scenario_for(cfg, region, task.shares)
    results = run(cfg, region=region, scenario=scenario)
    base = None
    if cfg.scenario != "baseline":
        base = run(baseline_config(cfg), region=region).table
    timing = {"seconds": time.perf_counter() - t0, "peak_rss_bytes": _peak(),
              "worker": f"{socket.gethostname()}:{os.getpid()}"}  # fmt: skip
    return PartitionResult(
        task.key, task.own_seed, int(results.n_residents), results.table, base,
        _json_safe(results.counts), timing,
    )  # fmt: skip


def _reset_peak() -> None:
    """Reset this process's peak resident memory (Linux ``clear_refs`` 5; else a no-op)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        pass


def _peak() -> int:
    """Peak resident memory since :func:`_reset_peak` (``VmHWM``), else of the process's life."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # Linux: KiB


#: Fields of a lever that are a fixed cost for everything it covers (yen/week).
FIXED_COSTS = ("cost_per_week", "cost_fixed_per_week")


def scenario_for(cfg, region, shares: tuple[float, ...] = ()):
    """The run's scenario restricted to the partition's municipalities (None: as configured).

    Levers that name municipalities keep the names found in this partition; a lever with none
    here is dropped. :func:`experiments.national.check_scenario_scope` checked beforehand that
    every named municipality is in some partition. A lever covering several partitions pays its
    fixed weekly costs (:data:`FIXED_COSTS`) in each in proportion to ``shares``.
    """
    import dataclasses

    from sim.policy.scenario import load_scenario, municipality_matches

    scenario = load_scenario(cfg.scenario)
    mun = region.municipalities
    origins = scenario.origins if len(scenario.origins) == len(scenario.levers) else []
    kept, kept_origins, changed = [], [], False
    for i, lever in enumerate(scenario.levers):
        here = [m for m in lever.municipalities if municipality_matches(m, mun).any()]
        changed |= len(here) != len(lever.municipalities)
        if here or not lever.municipalities:
            lever = dataclasses.replace(lever, municipalities=here) if here else lever
            share = shares[i] if i < len(shares) else 1.0
            fixed = {f: getattr(lever, f) * share for f in FIXED_COSTS if hasattr(lever, f)}
            if share != 1.0 and fixed:
                lever = dataclasses.replace(lever, **fixed)
                changed = True
            kept.append(lever)
            kept_origins.extend(origins[i : i + 1])
    if not changed:
        return None
    return dataclasses.replace(scenario, levers=kept, origins=kept_origins)


def _json_safe(value):
    """Counts as plain JSON types (numpy scalars and arrays converted)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value
