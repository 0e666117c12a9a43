"""Equal-budget comparison: scale each package's levers to the same added cost a year.

``tsunagari compare ... budget=equal`` (or ``budget=YEN/year``) multiplies the *size* of each
package's own levers (:data:`SIZE_FIELDS`: venues per district, supporters per 1,000,
prefecture staff per 100,000, consultation capacity per 10,000) by one factor per package,
found so that the package's added cost a year (package minus baseline, as the policy accounting
of :mod:`sim.policy.accounting` books it over the horizon, divided by the years) matches the
target within :data:`TOLERANCE`. Fixed costs (a 24-hour line's running cost, campaigns,
platforms, welfare-volunteer allowances) and the baseline's own levers are not scaled. A size
is held within its declared range.

The cost is *measured*, not modelled: cost-measuring runs of the experiment's own model (its
scale, region and years) in the comparison's first :data:`MEASURE_WORLDS` worlds (their seeds
and sampled parameters), the mean over those worlds, per package and iteration (the first step
proportional, then false position inside the bracket). Case costs follow demand and venue
counts are whole numbers drawn per seed, so cost is not exactly linear in the factor and
differs between worlds; the achieved match over all the comparison's worlds is measured again
from the comparison runs and reported (:func:`achieved`). The result is cached (folder
``.budget`` of the store's parent, or of ``out=``) by a hash of everything it depends on, so a
resumed comparison does not measure again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.config import BudgetSpec
from sim.core.params import ConfigError, describe
from sim.policy.levers import LEVER_TYPES
from sim.policy.scenario import Scenario

#: The field that sets the size of each lever type (its cost scales with it).
SIZE_FIELDS = {
    "venue": "per_zone",
    "supporters": "per_1000",
    "prefecture_support": "staff_per_100k",
    "consultation": "capacity_per_10k",
}
#: Stop when the measured added cost a year is within this share of the target.
TOLERANCE = 0.005
#: At most this many cost-measuring iterations after the first measurement.
MAX_STEPS = 6
#: Worlds the cost is measured in (the comparison's first ones).
MEASURE_WORLDS = 3


def _kind(lever: object) -> str:
    return next(k for k, c in LEVER_TYPES.items() if type(lever) is c)


def scalable(scenario: Scenario, baseline: Scenario) -> list[tuple[str, str]]:
    """The package's own levers whose size can be scaled: ``(lever id, size field)``."""
    own = {lv.id for lv in baseline.levers}
    out = []
    for lv in scenario.levers:
        field = SIZE_FIELDS.get(_kind(lv))
        if field and lv.id not in own and getattr(lv, field) > 0:
            out.append((lv.id, field))
    return out


def check_scalable(scenarios: dict[str, Scenario], baseline: str) -> None:
    """Refuse, before any run, a package with no lever whose size can be scaled.

    Raises:
        ConfigError: naming the package and the lever types that can be scaled.
    """
    for name, sc in scenarios.items():
        if name != baseline and not scalable(sc, scenarios[baseline]):
            raise ConfigError(
                f"budget: package '{name}' has no lever whose size can be scaled to a budget "
                f"(lever types: {', '.join(SIZE_FIELDS)}); drop budget= or add such a lever"
            )


def scaled(scenario: Scenario, baseline: Scenario, factor: float) -> Scenario:
    """A copy of the package with the size of each scalable lever times ``factor``.

    Each size is held within its declared range (``low``, ``high``).
    """
    fields = dict(scalable(scenario, baseline))
    levers = []
    for lv in scenario.levers:
        name = fields.get(lv.id)
        if name is None:
            levers.append(lv)
            continue
        info = next(p for p in describe(type(lv)) if p.name == name)
        value = float(np.clip(getattr(lv, name) * factor, info.low, info.high))
        levers.append(dataclasses.replace(lv, **{name: value}))
    return dataclasses.replace(scenario, levers=levers)


def sizes(scenario: Scenario, baseline: Scenario) -> dict[str, float]:
    """``{LEVER_ID.FIELD: size}`` of the scalable levers."""
    by_id = {lv.id: lv for lv in scenario.levers}
    return {f"{i}.{f}": float(getattr(by_id[i], f)) for i, f in scalable(scenario, baseline)}


def _key(ctx, baseline: str, spec: BudgetSpec, worlds: list) -> str:
    from sim.config import to_dict

    parts = {
        "model": to_dict(ctx.base),
        "region": sorted(map(str, ctx.region.municipalities.get("code", []))),
        "scenarios": {k: repr(v.levers) for k, v in sorted(ctx.scenarios.items())},
        "baseline": baseline,
        "spec": dataclasses.asdict(spec),
        "worlds": worlds,
        "tolerance": TOLERANCE,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def equalise(
    ctx,
    baseline: str,
    spec: BudgetSpec,
    worlds: list[tuple[int, dict]],
    evaluator=None,
    cache: Path | None = None,
    say: Callable[[str], None] | None = None,
) -> dict:
    """Find each package's factor so that its expected added cost a year meets the target.

    Args:
        ctx: the comparison's :class:`experiments.evaluators.Context` (base config, region,
            packages by name, the baseline included).
        baseline: the baseline's name.
        spec: ``budget=`` (:func:`experiments.config.budget_spec`) with a ``scale``.
        worlds: ``(seed, values)`` of the worlds the cost is measured in (the comparison's
            first worlds); the cost is their mean, since demand for consultation, and so its
            case costs, differ between worlds.
        evaluator: runs the cost-measuring runs (default: serial).
        cache: folder of cached results (none: measure every time).
        say: called with a line per iteration.

    Returns:
        ``{"mode", "target_per_year", "years", "worlds", "packages": {name: {"factor",
        "per_year_before", "per_year", "match", "reached", "sizes_before", "sizes",
        "steps"}}}``; ``per_year`` and ``match`` (per_year / target - 1) are over the
        measuring worlds.
    """
    from experiments.design import RunSpec
    from experiments.evaluators import Context, SerialEvaluator

    path = None
    if cache is not None:
        path = cache / f"budget-{_key(ctx, baseline, spec, worlds)[:16]}.json"
    if path is not None and path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    years = float(ctx.base.years)
    base_sc = ctx.scenarios[baseline]
    packages = [p for p in ctx.scenarios if p != baseline]
    evaluator = evaluator or SerialEvaluator()

    def measure(todo: dict[str, float]) -> dict[str, float]:
        """Mean total cost over the horizon and the worlds of each (package -> factor)."""
        scenarios = {
            label: base_sc if label == baseline else scaled(ctx.scenarios[label], base_sc, f)
            for label, f in todo.items()
        }
        job = Context(ctx.base, ctx.region, scenarios, ["cost_total"], series=False)
        specs = [
            RunSpec(f"budget-{label}-{w}", label, w, 0, seed, dict(values))
            for label in todo
            for w, (seed, values) in enumerate(worlds)
        ]
        sums = dict.fromkeys(todo, 0.0)
        with evaluator:
            for res in evaluator.evaluate(job, specs):
                if res.row["error"]:
                    raise ConfigError(f"budget: the cost-measuring run failed: {res.row['error']}")
                sums[res.row["package"]] += float(res.row["cost_total"])
        return {label: v / len(worlds) for label, v in sums.items()}

    first = measure({baseline: 1.0, **dict.fromkeys(packages, 1.0)})
    base_cost = first.pop(baseline)
    added = {p: (first[p] - base_cost) / years for p in packages}
    target = float(np.mean(list(added.values()))) if spec.scale == "equal" else spec.per_year
    if say:
        say(_line(0, added, target))
    history = {p: [(1.0, added[p])] for p in packages}
    done = {p: abs(added[p] / target - 1) <= TOLERANCE for p in packages}
    for step in range(1, MAX_STEPS + 1):
        todo = {}
        for p in packages:
            if not done[p]:
                k = _next_factor(history[p], target)
                if k is None:
                    done[p] = True  # no further change possible (a bound or a flat cost)
                else:
                    todo[p] = k
        if not todo:
            break
        costs = measure(todo)
        for p, k in todo.items():
            c = (costs[p] - base_cost) / years
            history[p].append((k, c))
            done[p] = abs(c / target - 1) <= TOLERANCE
        if say:
            say(_line(step, {p: history[p][-1][1] for p in todo}, target))
    result = {"mode": spec.scale, "target_per_year": target, "years": years,
              "worlds": len(worlds), "packages": {}}  # fmt: skip
    for p in packages:
        k, c = min(history[p], key=lambda kc: abs(kc[1] / target - 1))
        sc = ctx.scenarios[p]
        result["packages"][p] = {
            "factor": k,
            "per_year_before": history[p][0][1],
            "per_year": c,
            "match": c / target - 1,
            "reached": abs(c / target - 1) <= 0.02,
            "sizes_before": sizes(sc, base_sc),
            "sizes": sizes(scaled(sc, base_sc, k), base_sc),
            "steps": len(history[p]),
        }
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        from sim.core.files import atomic_write_text

        atomic_write_text(path, json.dumps(result, indent=1))
    return result


def _next_factor(history: list[tuple[float, float]], target: float) -> float | None:
    """The next factor to measure: false position inside the bracket, else proportional.

    Returns None when the step would repeat a factor already measured (a bound reached, or
    a cost that no longer changes).
    """
    below = [kc for kc in history if kc[1] < target]
    above = [kc for kc in history if kc[1] > target]
    k1, c1 = history[-1]
    if below and above:
        (ka, ca), (kb, cb) = max(below), min(above)
        k = ka + (target - ca) * (kb - ka) / (cb - ca) if cb != ca else (ka + kb) / 2
        if not min(ka, kb) < k < max(ka, kb):
            k = (ka + kb) / 2
    else:
        k = k1 * target / c1 if c1 > 0 else 2 * k1
    k = float(np.clip(k, 0.0, 50.0))
    if any(abs(k - kk) < 1e-6 for kk, _ in history):
        return None
    return k


def _line(step: int, added: dict[str, float], target: float) -> str:
    parts = ", ".join(f"{p} {v / 1e6:,.1f}M ({100 * (v / target - 1):+.1f}%)"
                      for p, v in added.items())  # fmt: skip
    return f"budget: step {step}: added cost a year {parts}; target {target / 1e6:,.1f}M yen"


def apply(ctx, baseline: str, result: dict) -> None:
    """Replace the packages in ``ctx`` by their scaled copies (factors of :func:`equalise`)."""
    base_sc = ctx.scenarios[baseline]
    for p, info in result["packages"].items():
        ctx.scenarios[p] = scaled(ctx.scenarios[p], base_sc, float(info["factor"]))


def achieved(added: pd.DataFrame, baseline: str, result: dict) -> pd.DataFrame:
    """The match achieved over the comparison's worlds, one row per package (``budget.csv``).

    Args:
        added: added cost over the horizon by world and option
            (:func:`experiments.compare.world_effects`).
        baseline: the baseline's name.
        result: :func:`equalise`'s result.

    Returns:
        ``package``, ``factor``, ``target_per_year_yen``, ``per_year_before_yen`` (unscaled, at
        the measuring worlds), ``per_year_measuring_worlds_yen``, ``per_year_mean_yen`` (mean over
        the comparison's worlds), ``match_mean`` (its relative difference from the target),
        ``spread_mean`` (largest minus smallest package mean over their average), then each
        scaled size before and after.
    """
    years = float(result["years"])
    target = float(result["target_per_year"])
    rows = []
    for p, info in result["packages"].items():
        mean = float(added[p].mean()) / years if p in added else float("nan")
        row = {
            "package": p,
            "factor": info["factor"],
            "target_per_year_yen": target,
            "per_year_before_yen": info["per_year_before"],
            "per_year_measuring_worlds_yen": info["per_year"],
            "per_year_mean_yen": mean,
            "match_mean": mean / target - 1,
        }
        for k, v in info["sizes_before"].items():
            row[f"{k}_before"] = v
            row[k] = info["sizes"][k]
        rows.append(row)
    out = pd.DataFrame(rows)
    means = out["per_year_mean_yen"]
    out["spread_mean"] = float((means.max() - means.min()) / means.mean()) if len(out) else np.nan
    return out
