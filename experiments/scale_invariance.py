"""Scale invariance: the places_first package against the baseline at several population scales.

A run simulates ``population.scale`` of the residents; every per-resident quantity and every
full-scale total should then be the same in expectation at any scale, or results would depend
on a setting chosen for speed. This check runs the package and the baseline on the same seeds
(common random numbers) at each scale and reports, per scale:

* ``venue_members_per_resident``: the package arm's venue members per simulated resident, the
  mean over the monthly records (``venue_members`` at full scale / residents at full scale);
* ``lonely_person_years_averted_per_100k``: lonely person-years averted (baseline - package,
  :func:`sim.analysis.compare.person_years` through the ``py_lonely`` outcome, paired by
  :func:`experiments.compare.paired`) per 100,000 residents of the census region;

each as the mean over seeds with its standard error (``_se``) and its ratio to the mean over
scales (``_ratio``). Columns of ``scale_invariance.csv``: :data:`COLUMNS`.

``.venv/bin/python -m experiments.scale_invariance [out=DIR] [seeds=N] [scales=A,B,...]
[years=N] [workers=N] [KEY=VALUE ...]`` (other keys are model overrides, e.g.
``region=kochi``). Runs go through the experiments' one evaluator (a process pool with
``workers`` > 1); each run depends only on its scale and seed, so the table is the same for any
number of workers. See ``docs/scale_invariance.md``.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.params import ConfigError

PACKAGE = "places_first"
BASELINE = "baseline"
OPTIONS = {"out": "docs/scale_invariance", "seeds": "20", "scales": "0.01,0.03,0.1,0.3",
           "years": "2", "workers": str(min(2, os.cpu_count() or 1))}  # fmt: skip
"""The check's own keys and their defaults (every other ``KEY=VALUE`` is a model override)."""

NOT_HERE = {"seed": "seeds=N (runs use seeds 1..N)", "scenario": "nothing (the check runs "
            f"{PACKAGE} and {BASELINE})", "population.scale": "scales=A,B,..."}  # fmt: skip

MEMBERS = "venue_members_per_resident"
AVERTED = "lonely_person_years_averted_per_100k"
COLUMNS = ("scale", "seeds", "residents", MEMBERS, f"{MEMBERS}_se", f"{MEMBERS}_ratio",
           AVERTED, f"{AVERTED}_se", f"{AVERTED}_ratio")  # fmt: skip
"""Columns of ``scale_invariance.csv``: one row per scale (``residents``: simulated)."""

DECIMALS = {MEMBERS: 6, f"{MEMBERS}_se": 6, f"{MEMBERS}_ratio": 3, AVERTED: 1,
            f"{AVERTED}_se": 1, f"{AVERTED}_ratio": 3}  # fmt: skip


def parse(argv: list[str]) -> tuple[dict, list[str]]:
    """Split the check's own keys (checked) from the model overrides.

    Returns:
        ``(options, model overrides)``: ``seeds``, ``years`` and ``workers`` as int, ``scales``
        as a tuple of floats, ``out`` as a path.

    Raises:
        ConfigError: one line naming the key at fault.
    """
    opts, model = dict(OPTIONS), []
    for text in argv:
        key, sep, value = text.partition("=")
        bare = key.strip().lstrip("+~")
        if sep and key in opts:
            opts[key] = value
        elif bare in NOT_HERE:
            raise ConfigError(f"{bare}: set by the check; use {NOT_HERE[bare]}")
        else:
            model.append(text)
    out: dict = {k: _count(k, opts[k], high) for k, high in
                 (("seeds", 1000), ("years", 50), ("workers", 256))}  # fmt: skip
    out["scales"] = _scales(opts["scales"])
    if not opts["out"].strip():
        raise ConfigError("out: give a folder, e.g. out=docs/scale_invariance")
    out["out"] = Path(opts["out"])
    if out["out"].exists() and not out["out"].is_dir():
        raise ConfigError(f"out: '{out['out']}' exists and is not a folder")
    return out, [*model, f"years={out['years']}"]


def _count(key: str, value: str, high: int) -> int:
    """A whole number in 1..``high`` given as text, or a one-line error naming ``key``."""
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise ConfigError(f"{key}: expected a whole number from 1 to {high}, got {value!r}")
    return int(text)


def _scales(text: str) -> tuple[float, ...]:
    """Distinct population scales in (0, 1], comma-separated, in increasing order."""
    try:
        values = [float(x) for x in text.strip().strip("[]").split(",")]
    except ValueError:
        values = []
    if not values or not all(math.isfinite(x) and 0 < x <= 1 for x in values):
        raise ConfigError(
            f"scales: expected population scales in (0, 1] separated by commas, got {text!r}"
        )
    if len(set(values)) < len(values):
        raise ConfigError(f"scales: a scale is given twice in {text!r}")
    return tuple(sorted(values))


def members_per_resident(res) -> float:
    """Venue members per resident, mean over the monthly records (run in the worker)."""
    t = res.table
    members = t.loc[(t["measure"] == "venue_members") & (t["dimension"] == "all"), "value"]
    residents = res.n_residents / res.config.population.scale  # both at full scale
    return float(members.mean() / residents)


def configs(model: list[str], scales: tuple[float, ...]):
    """The base configuration (largest scale) after checking every scale's own configuration.

    Raises:
        ConfigError: a bad override or a scale the model refuses (one line naming the key).
    """
    from sim.config import compose_config

    for s in scales[:-1]:
        compose_config([*model, f"population.scale={s!r}"])
    return compose_config([*model, f"population.scale={scales[-1]!r}"])


def run_scales(cfg, region, scales, seeds: int, workers: int = 1, announce=None) -> pd.DataFrame:
    """Every (scale, seed, arm) run; one row each, in a fixed order whatever the worker count.

    Args:
        cfg: the composed base configuration (scale and seed are set per run).
        region: the loaded region.
        scales: population scales.
        seeds: runs use seeds 1..``seeds`` (the same seed for both arms).
        workers: worker processes (1: run here).
        announce: if given, called once with the plan line before any run.

    Returns:
        Columns ``package``, ``sample`` (index of the scale), ``replicate``, ``seed``,
        ``scale``, ``py_lonely``, ``members``, ``n_residents``, ``error``, ``elapsed_s``.

    Raises:
        RuntimeError: a run failed (naming the run and its error).
    """
    from experiments.design import RunSpec
    from experiments.evaluators import Context, ProcessPoolEvaluator, SerialEvaluator
    from sim.core.progress import Progress, plan_line
    from sim.policy.scenario import load_scenario

    arms = (BASELINE, PACKAGE)
    ctx = Context(base=cfg, region=region, scenarios={a: load_scenario(a) for a in arms},
                  outcomes=["py_lonely"], series=False, summarise=members_per_resident)  # fmt: skip
    specs = [RunSpec(run_id=f"{arm}-x{scale:g}-seed{seed}", package=arm, sample=i,
                     replicate=seed - 1, seed=seed, values={"population.scale": scale})
             for i, scale in enumerate(scales) for seed in range(1, seeds + 1)
             for arm in arms]  # fmt: skip
    specs.sort(key=lambda s: -s.values["population.scale"])  # largest runs first
    evaluator = ProcessPoolEvaluator(workers) if workers > 1 else SerialEvaluator()
    if announce is not None:
        mean_s = float(np.mean([_seconds(ctx, s) for s in scales]))
        announce(plan_line("scale-invariance", todo=len(specs), total=len(specs),
                           seconds_per_run=mean_s, workers=evaluator.workers,
                           cores=os.cpu_count()))  # fmt: skip
    progress = Progress(len(specs), label="scale-invariance:")
    done = {}
    with evaluator:
        for out in evaluator.evaluate(ctx, specs):
            done[out.row["run_id"]] = out
            progress.tick()
    progress.close()
    rows = []
    for spec in sorted(specs, key=lambda s: (s.sample, s.replicate, s.package)):
        out = done[spec.run_id]
        if out.row["error"]:
            raise RuntimeError(f"scale-invariance: run {spec.run_id} failed: {out.row['error']}")
        rows.append({**out.row, "scale": spec.values["population.scale"], "members": out.summary})
    return pd.DataFrame(rows).drop(columns=["x.population.scale", "run_id"])


def _seconds(ctx, scale: float) -> float:
    """Seconds one run at ``scale`` takes (estimated from its residents and weeks)."""
    from experiments.evaluators import estimate_seconds

    residents = float(ctx.region.municipalities["pop_total"].sum()) * scale
    weeks = ctx.base.burn_in_weeks + 52 * ctx.base.years
    return estimate_seconds(residents, len(ctx.region.municipalities), weeks)


def summarise(runs: pd.DataFrame, population: float) -> pd.DataFrame:
    """One row per scale (:data:`COLUMNS`): means over seeds, standard errors, ratios.

    Args:
        runs: :func:`run_scales`.
        population: residents of the census region (for the per-100,000 figure).
    """
    from experiments.compare import paired

    rows = []
    for _, g in runs.groupby("sample", sort=True):
        pairs = paired(g, BASELINE, PACKAGE, "py_lonely")  # diff = package - baseline
        averted = -pairs["diff"].to_numpy() / population * 1e5
        members = g.loc[g["package"] == PACKAGE, "members"].to_numpy(float)
        rows.append({"scale": float(g["scale"].iloc[0]), "seeds": len(pairs),
                     "residents": round(g["n_residents"].mean()),
                     MEMBERS: members.mean(), f"{MEMBERS}_se": _se(members),
                     AVERTED: averted.mean(), f"{AVERTED}_se": _se(averted)})  # fmt: skip
    return with_ratios(pd.DataFrame(rows))


def with_ratios(table: pd.DataFrame) -> pd.DataFrame:
    """The table (rows of scales) with each quantity's ratio to its mean over the scales.

    Also joins tables of separate runs (other scales, other seed counts) into one.
    """
    table = table.sort_values("scale").reset_index(drop=True)
    for name in (MEMBERS, AVERTED):
        table[f"{name}_ratio"] = table[name] / table[name].mean()
    table = table[list(COLUMNS)]
    table.attrs["decimals"] = dict(DECIMALS)
    return table


def _se(x: np.ndarray) -> float:
    """Standard error of the mean over seeds (NaN with fewer than two)."""
    return float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan


def table_text(table: pd.DataFrame) -> str:
    """The table as printed: one line per scale."""
    from sim.core.progress import table_lines

    headers = ["scale", "seeds", "residents", "members/resident", "± SE", "ratio",
               "averted /100k", "± SE", "ratio"]  # fmt: skip
    rows = [[f"{r.scale:g}", str(int(r.seeds)), f"{int(r.residents):,}", f"{r[MEMBERS]:.5f}",
             f"{r[MEMBERS + '_se']:.5f}", f"{r[MEMBERS + '_ratio']:.3f}", f"{r[AVERTED]:.1f}",
             f"{r[AVERTED + '_se']:.1f}", f"{r[AVERTED + '_ratio']:.3f}"]
            for _, r in table.iterrows()]  # fmt: skip
    return "\n".join(table_lines(headers, rows, "<>>>>>>>>"))


def check(argv: list[str]) -> tuple[pd.DataFrame, dict, float]:
    """Parse, run and summarise; returns (table, options, seconds). Writes nothing."""
    from sim.config import load_configured_region
    from sim.policy.scenario import check_horizon, load_scenario, unrecorded_levers

    opts, model = parse(argv)
    cfg = configs(model, opts["scales"])
    region = load_configured_region(cfg)
    package = load_scenario(PACKAGE)
    check_horizon(package, cfg.start_date, cfg.years)
    for line in unrecorded_levers(package, cfg.start_date, cfg.years):
        print(f"note: {line} (no effect can show)", file=sys.stderr)
    t0 = time.perf_counter()
    announce = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    runs = run_scales(cfg, region, opts["scales"], opts["seeds"], opts["workers"], announce)
    population = float(region.municipalities["pop_total"].sum())
    return summarise(runs, population), opts, time.perf_counter() - t0


def main(argv: list[str]) -> int:
    """``python -m experiments.scale_invariance [out=DIR] [seeds=N] [scales=...] [years=N]``.

    Raises:
        ConfigError: bad input (one line naming the key).
        OutputError: the table could not be written.
    """
    from sim.core.files import write_csv
    from sim.core.params import OutputError

    table, opts, seconds = check(argv)
    path = opts["out"] / "scale_invariance.csv"
    try:
        opts["out"].mkdir(parents=True, exist_ok=True)
        write_csv(path, table)
    except OSError as exc:
        raise OutputError(f"out: cannot write '{path}': {exc.strerror or exc}") from None
    print(f"{PACKAGE} vs {BASELINE}, years={opts['years']}, seeds 1..{opts['seeds']} "
          f"(same seed for both arms); mean ± standard error over seeds")  # fmt: skip
    print(table_text(table))
    print(f"written: {path} ({seconds:.0f} s)")
    return 0


def _cli(argv: list[str]) -> int:
    """Run :func:`main`, turning bad input into one line on stderr and exit status 2."""
    from sim.core.params import OutputError

    try:
        return main(argv)
    except ConfigError as exc:
        print(f"scale_invariance: error: {exc}", file=sys.stderr)
        return 2
    except OutputError as exc:
        print(f"scale_invariance: error: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(_cli(sys.argv[1:]))
