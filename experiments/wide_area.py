"""Wide-area cooperation (広域連携): arms over seeds -> per-municipality, equity and map outputs.

Three arms on the same seeds (common random numbers): each municipality alone
(``wide_area_alone``, the reference), a prefecture-led platform (``wide_area_prefecture``) and
clusters by customary area (``wide_area_clusters``). Each run is reduced in its worker to small
tables (the last year's survey shares by municipality, service flows, home -> place flows and
bills), so only a few kB travel back. :func:`analyse` turns them into

* ``municipalities.csv``: per arm and municipality (and the prefecture as a whole): lonely share
  (often/always + sometimes) and no in-person contact over the last year, the paired difference
  against "alone" (mean and 95% interval over seeds), cases served, share served outside the
  home municipality, venue joins outside, capacity offered and used, waiting, and the yearly
  bill under the arm's cost-sharing rule;
* ``equity.csv``: per arm, the gap between the best and worst municipality (max - min) of both
  shares, and the mean paired difference of small towns (town/village or < 10,000 residents)
  and of cities, each with a 95% interval over seeds;
* ``flows.csv``: cross-border home -> place flows per year (cases served, venue joins and
  attendances), mean over seeds;
* ``map_<arm>.png``: municipalities at their shipped coordinates coloured by the paired change
  in the lonely share, with cross-border flows drawn as lines.

``tsunagari wide-area region=tottori seeds=5`` runs it (see :func:`main`): it says how many runs
it will make and about how long they take, checks that ``workers`` runs fit in memory together,
and shows progress while the runs go through the one evaluator (:mod:`experiments.backends`).
The tables are computed in :mod:`experiments.wide_area_tables`, the maps drawn in
:mod:`experiments.wide_area_map` and the console text written in :mod:`experiments.wide_area_text`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pandas as pd

from experiments.wide_area_factorial import (
    decompose,
    decomposition_figure,
    decomposition_text,
    factorial_scenarios,
)
from experiments.wide_area_map import map_figure
from experiments.wide_area_tables import analyse, summarise
from experiments.wide_area_text import ARMS, REFERENCE, header_line, report, say
from sim.core.params import ConfigError

DEFAULT_MODEL = ("population.scale=0.03", "years=4", "burn_in_weeks=52")


def run_arms(
    cfg,
    region,
    seeds: int,
    workers: int = 1,
    arms: tuple[str, ...] = ARMS,
    evaluator=None,
    scenarios: dict | None = None,
    *,
    announce: Callable[[str], None] | None = None,
    lang: str = "en",
    stream: TextIO | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every arm on seeds 1..``seeds``; returns (municipality table, flow table).

    Runs go through the experiments' evaluator (:mod:`experiments.evaluators`): serial with one
    worker, else a process pool whose workers end if this process is killed. Each run is the
    base configuration with its seed set, so the numbers depend on neither the evaluator nor
    the worker.

    Args:
        cfg: the composed model configuration (its seed is replaced by 1..``seeds``).
        region: the loaded region.
        seeds: number of seeds.
        workers: worker processes (1: run here).
        arms: scenario names to run.
        evaluator: an :class:`~experiments.evaluators.Evaluator` to use instead.
        scenarios: scenarios built in code, by name (arms not in it are loaded from the
            library).
        announce: if given, called once before any run with the plan line (how many runs, about
            how long: :func:`sim.core.progress.plan_line`).
        lang: language of the plan and progress lines (``ja`` or ``en``).
        stream: where the progress lines go (default: standard error; one rewritten line on
            a terminal, a line every ~10 s in a log).

    Raises:
        RuntimeError: a run failed (its error names the exception and where it was raised).
    """
    from experiments.design import RunSpec
    from experiments.evaluators import Context, ProcessPoolEvaluator, SerialEvaluator
    from sim.core.progress import Progress
    from sim.policy.scenario import load_scenario

    built = scenarios or {}
    chosen = {arm: built[arm] if arm in built else load_scenario(arm) for arm in arms}
    ctx = Context(base=cfg, region=region, scenarios=chosen,
                  outcomes=[], series=False, summarise=summarise)  # fmt: skip
    specs = [RunSpec(run_id=f"{arm}-seed{seed}", package=arm, sample=0, replicate=seed - 1,
                     seed=seed) for seed in range(1, seeds + 1) for arm in arms]  # fmt: skip
    if evaluator is None:
        evaluator = ProcessPoolEvaluator(workers) if workers > 1 else SerialEvaluator()
    if announce is not None:
        announce(plan(ctx, len(specs), evaluator.workers, lang))
    progress = Progress(len(specs), stream=stream, label="wide-area:", lang=lang)
    done = {}
    with evaluator:
        for out in evaluator.evaluate(ctx, specs):
            done[out.row["run_id"]] = out
            progress.tick()
    progress.close()
    mun, flows = [], []
    for spec in specs:  # in (seed, arm) order, whatever the order the runs finished in
        out = done[spec.run_id]
        if out.row["error"]:
            raise RuntimeError(f"wide-area: run {spec.run_id} failed: {out.row['error']}")
        mun.append(out.summary["municipality"].assign(arm=spec.package, seed=spec.seed))
        flows.append(out.summary["flows"].assign(arm=spec.package, seed=spec.seed))
    return pd.concat(mun, ignore_index=True), pd.concat(flows, ignore_index=True)


def plan(ctx, runs: int, workers: int, lang: str = "en") -> str:
    """The line said before the runs start: how many runs and about how long they take.

    Args:
        ctx: the runs' :class:`~experiments.evaluators.Context` (population, region, weeks).
        runs: runs to make.
        workers: workers running them (at most as many at once as this computer has cores).
        lang: ``ja`` or ``en``.
    """
    from experiments.evaluators import estimate_run_seconds
    from sim.core.progress import plan_line

    return plan_line("wide-area", todo=runs, total=runs, seconds_per_run=estimate_run_seconds(ctx),
                     workers=workers, cores=os.cpu_count(), lang=lang)  # fmt: skip


def write(out: Path, tables: dict[str, pd.DataFrame], region, lang: str = "ja") -> list[Path]:
    """Write the tables (CSV), one map per wide-area arm and the decomposition (PNG)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables.items():
        p = out / f"{name}.csv"
        df.to_csv(p, index=False, float_format="%.6g", encoding="utf-8")
        paths.append(p)
    for arm in tables["municipalities"]["arm"].unique():
        if arm == REFERENCE or arm not in ARMS:
            continue
        p = out / f"map_{arm}.png"
        map_figure(tables, region, arm, lang).savefig(p, dpi=120, bbox_inches="tight")
        paths.append(p)
    if "decomposition" in tables:
        p = out / "decomposition.png"
        decomposition_figure(tables["decomposition"], lang).savefig(p, dpi=120, bbox_inches="tight")
        paths.append(p)
    return paths


OPTIONS = {"seeds": "5", "workers": "2", "out": None, "lang": "ja", "region": "tottori",
           "factorial": "true"}  # fmt: skip
"""The wide-area command's own keys and their defaults (every other key is a model override)."""

MAX_SEEDS = 1000
MAX_WORKERS = 256
NOT_HERE = {
    "seed": "seeds=N (the arms run on seeds 1..N)",
    "scenario": "nothing: the command runs its three arms (wide_area_alone, _prefecture, "
    "_clusters)",
}
"""Model keys the command sets itself, with what to use instead."""


def _count(key: str, value: str, high: int) -> int:
    """A whole number in 1..``high`` given as text, or a one-line error naming ``key``."""
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise ConfigError(f"{key}: expected a whole number from 1 to {high}, got {value!r}")
    return int(text)


def parse(overrides: list[str]) -> tuple[dict, list[str]]:
    """Split the command's own keys (checked) from model overrides.

    Returns:
        ``(options, model overrides)``: ``seeds`` and ``workers`` as int, ``region`` appended to
        the model overrides after :data:`DEFAULT_MODEL`.

    Raises:
        ConfigError: one line naming the key at fault.
    """
    opts: dict = dict(OPTIONS)
    model = list(DEFAULT_MODEL)
    for text in overrides:
        key, _, value = text.partition("=")
        bare = key.strip().lstrip("+~")
        if key in opts:
            opts[key] = value
        elif bare in NOT_HERE:
            raise ConfigError(f"{bare}: not a wide-area key; use {NOT_HERE[bare]}")
        else:
            model.append(text)
    opts["seeds"] = _count("seeds", opts["seeds"], MAX_SEEDS)
    opts["workers"] = _count("workers", opts["workers"], MAX_WORKERS)
    if opts["factorial"] not in ("true", "false"):
        raise ConfigError(f"factorial: must be 'true' or 'false', got {opts['factorial']!r}")
    opts["factorial"] = opts["factorial"] == "true"
    if opts["lang"] not in ("ja", "en"):
        raise ConfigError(f"lang: must be 'ja' or 'en', got {opts['lang']!r}")
    if opts["region"].strip() == "japan":
        raise ConfigError(
            "region: wide-area compares the municipalities of one prefecture, not all of Japan; "
            "use region=tottori, region=kochi or region=prefecture region.prefecture=NAME"
        )
    if opts["out"] is not None and not opts["out"].strip():
        raise ConfigError("out: give a folder, e.g. out=outputs/wide_area-tottori")
    model.append(f"region={opts['region']}")
    return opts, model


def check_region(region) -> None:
    """Refuse a region the comparison makes no sense for.

    A region spanning several prefectures, or with fewer than two municipalities, is refused.

    Raises:
        ConfigError: naming ``region``.
    """
    mun = region.municipalities
    if "prefecture_code" in mun and mun["prefecture_code"].nunique() > 1:
        raise ConfigError(
            f"region: '{region.key}' spans {mun['prefecture_code'].nunique()} prefectures; "
            "wide-area compares the municipalities of one prefecture"
        )
    if len(mun) < 2:
        raise ConfigError(
            f"region: '{region.key}' has {len(mun)} municipality; wide-area cooperation needs "
            "at least two"
        )


def check_horizon(cfg, arms: tuple[str, ...] = ARMS, lang: str = "ja") -> str | None:
    """Check every arm's levers start inside the horizon; note a short cooperation period.

    Args:
        cfg: the composed model configuration.
        arms: scenario names to check.
        lang: language of the note (``ja`` or ``en``).

    Returns:
        A note if the wide-area levers run for less than the last year (the year measured),
        else None.

    Raises:
        ConfigError: a lever starts outside the horizon (naming the scenario and lever).
    """
    import datetime as dt

    from sim.policy.levers import WideArea
    from sim.policy.scenario import check_horizon as check
    from sim.policy.scenario import load_scenario

    end = dt.date.fromisoformat(cfg.start_date) + dt.timedelta(weeks=52 * cfg.years)
    measured = end - dt.timedelta(weeks=52)
    late = None
    for arm in arms:
        scenario = load_scenario(arm)
        check(scenario, cfg.start_date, cfg.years)
        for lv in scenario.levers:
            if isinstance(lv, WideArea) and lv.start is not None:
                start = dt.date.fromisoformat(str(lv.start))
                if start > measured and (late is None or start > late):
                    late = start
    if late is None:
        return None
    weeks = (end - late).days // 7
    return say("note_short", lang, start=late.isoformat(), years=cfg.years, weeks=weeks)


def check_memory(cfg, region, workers: int, available: int | None = -1) -> None:
    """Refuse, before any run, runs that together cannot fit in memory.

    The configuration's own check (:func:`sim.config.check_size`) is for one run; ``workers``
    processes each hold a run at once, so together they need ``workers`` times its estimate
    (as :func:`experiments.commands.check_memory` does for ``compare``).

    Args:
        cfg: the composed model configuration.
        region: the loaded region.
        workers: runs held in memory at once.
        available: bytes available (default: :func:`sim.config.available_memory`; None skips
            the check).

    Raises:
        ConfigError: naming ``workers`` and ``population.scale``.
    """
    from sim import config as sc
    from sim.world.population import simulated_residents

    if workers <= 1:
        return  # one run at a time: the per-run check already ran
    available = sc.available_memory() if available == -1 else available
    if available is None:
        return
    residents = int(simulated_residents(region.municipalities, cfg.population).sum())
    dynamic = cfg.demography == "dynamic"
    one = sc.estimate_memory(residents, len(region.municipalities), cfg.years, dynamic)
    if workers * one <= available:
        return
    fit = available // one
    hint = f"use workers={fit} or fewer, or lower population.scale" if fit >= 1 else (
        "lower population.scale")  # fmt: skip
    raise ConfigError(
        f"workers={workers}: {workers} runs at once at population.scale="
        f"{cfg.population.scale:g} need about {workers * one / 2**20:,.0f} MiB of memory "
        f"({one / 2**20:,.0f} MiB each), more than the {available / 2**20:,.0f} MiB available; "
        f"{hint}"
    )


def main(overrides: list[str]) -> int:
    """``tsunagari wide-area [region=tottori] [seeds=N] [workers=N] [out=DIR] [lang=ja] [KEY=V]``.

    Other ``KEY=VALUE`` overrides go to the model configuration (defaults:
    ``population.scale=0.03 years=4 burn_in_weeks=52``). Every key is checked before any run.

    Raises:
        ConfigError: bad input (one line naming the key).
        OutputError: the output folder could not be written.
    """
    import sys

    from sim.config import compose_config, load_configured_region
    from sim.core.params import OutputError

    opts, model = parse(overrides)
    cfg = compose_config(model)  # validates the overrides before any run
    region = load_configured_region(cfg)
    check_region(region)
    note = check_horizon(cfg, lang=opts["lang"])
    default = "wide_area-" + region.key.replace(":", "-").replace("/", "-")
    out = Path(opts["out"] or Path("outputs") / default)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out: '{out}' exists and is not a folder")
    if note:
        print(note, file=sys.stderr)
    check_memory(cfg, region, opts["workers"])
    t0 = time.perf_counter()
    announce = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    inner = factorial_scenarios() if opts["factorial"] else {}
    arms = (*ARMS, *inner)
    mun, flows = run_arms(cfg, region, opts["seeds"], opts["workers"], arms=arms,
                          lang=opts["lang"], announce=announce, scenarios=inner)  # fmt: skip
    tables = analyse(mun, flows, region)
    if inner:
        tables["decomposition"] = decompose(mun)
    manifest = {"command": "wide-area", "overrides": model, "seeds": opts["seeds"],
                "arms": list(arms), "seconds": round(time.perf_counter() - t0, 1),
                "config": dataclasses.asdict(cfg)}  # fmt: skip
    try:
        paths = write(out, tables, region, opts["lang"])
        (out / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
    except OSError as exc:
        raise OutputError(f"out: cannot write '{out}': {exc.strerror or exc}") from None
    lang = opts["lang"]
    print(report(tables, lang, header_line(region, cfg, opts["seeds"], lang)))
    if inner:
        print("\n".join(decomposition_text(tables["decomposition"], lang)))
    files = ", ".join([*(p.name for p in paths), "manifest.json"])
    print("\n" + say("written", lang, out=out, files=files, seconds=manifest["seconds"]))
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
