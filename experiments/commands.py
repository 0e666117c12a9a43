"""The ``tsunagari compare`` and ``tsunagari sensitivity`` commands.

Each composes an experiment config, prepares the sweep, runs what the store does not hold yet
(so rerunning a killed command resumes it), analyses the store and writes tables and figures
into the store folder. User errors raise :class:`sim.core.params.ConfigError` (one line).

This module holds the sweeps and the two commands; :mod:`experiments.commands_text` the console
lines (:func:`compare_lines`, :func:`decision_lines`, :func:`budget_lines`,
:func:`robustness_lines`) and :mod:`experiments.commands_exec` the execution, memory check and
footer (:func:`check_memory`, :func:`_execute`, :func:`_footer`); both are re-exported here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments import compare as cmp
from experiments import design, figures
from experiments import sensitivity as sa
from experiments.commands_exec import _csv, _execute, _footer, _print_indices
from experiments.commands_exec import _size as _size
from experiments.commands_exec import check_memory as check_memory
from experiments.commands_text import ROBUSTNESS_HEADERS as ROBUSTNESS_HEADERS
from experiments.commands_text import budget_lines, compare_lines, decision_lines, robustness_lines
from experiments.config import compose_experiment
from experiments.sweep import Sweep, evaluator_for, prepare, require_complete
from sim.core.files import write_csv
from sim.core.params import ConfigError as ConfigError


def compare_sweep(overrides: list[str]) -> Sweep:
    """The sweep of ``tsunagari compare``: baseline and packages on shared worlds and seeds.

    With ``uncertainty=joint`` (the default) every world draws one posterior draw of the
    calibrated set (when it has a ``posterior:`` section; else the calibrated point), the
    parameters of ``params`` (``effects``: the policy-effect parameters) within their declared
    ranges by Latin hypercube, and its own seeds (:func:`experiments.design.world_seed`);
    ``samples=0`` makes one world per seed. ``uncertainty=seeds`` runs the declared defaults
    on ``seeds`` seeds. Nothing runs here (``budget=equal`` measures costs in
    :func:`run_compare`).
    """
    import dataclasses

    from experiments import budget as bd
    from experiments.config import budget_spec

    xcfg, model = compose_experiment("compare", overrides)
    packages = [xcfg.baseline, *[p for p in dict.fromkeys(xcfg.packages) if p != xcfg.baseline]]
    spec = budget_spec(xcfg.budget)
    if xcfg.uncertainty == "seeds":
        params: list[design.Parameter] = []
        sweep = prepare("compare", xcfg, model, params, np.zeros((1, 0)), packages)
        info = {"mode": "seeds", "posterior": "-", "draws": 0, "effects": [],
                "seeds_per_world": xcfg.seeds, "worlds": xcfg.seeds}  # fmt: skip
    else:
        n = xcfg.samples or xcfg.seeds
        reps = xcfg.seeds if xcfg.samples else 1
        label, draws = design.posterior_draws(_calibration(model))
        drawn = {k.partition("[")[0] for k in (draws[0] if draws else {})}
        params = [p for p in design.uncertainties(xcfg.params, xcfg.ranges) if p.name not in drawn]
        unit = design.latin_hypercube(n, len(params), xcfg.seed)
        values = design.scale_unit(params, unit) if params else np.zeros((n, 0))
        effects = [p.name for p in params]
        if draws:
            pick = design.pick_draws(n, len(draws), xcfg.seed)
            keys = list(draws[0])
            post = np.array([[draws[i][k] for k in keys] for i in pick], float)
            params = params + [
                design.Parameter(k, float(post[:, j].min()), float(post[:, j].max()),
                                 kind="posterior")
                for j, k in enumerate(keys)
            ]  # fmt: skip
            params.append(design.Parameter(design.POSTERIOR_DRAW, 0, len(draws) - 1,
                                           integer=True, kind="label"))  # fmt: skip
            values = np.hstack([values, post, pick[:, None].astype(float)])
        if not params:  # nothing to draw: the worlds differ by their seeds only
            n, reps = 1, n
        run_cfg = dataclasses.replace(xcfg, samples=n, seeds=reps)
        sweep = prepare("compare", run_cfg, model, params, values, packages)
        sweep.specs = design.run_specs(sweep.design["packages"], params, values, reps,
                                       xcfg.seed, seed_by_sample=True)  # fmt: skip
        sweep.design["n_runs"] = len(sweep.specs)
        info = {"mode": "joint", "posterior": label, "draws": len(draws), "effects": effects,
                "seeds_per_world": reps, "worlds": n if n > 1 else reps}  # fmt: skip
    sweep.design["uncertainty"] = info
    sweep.design["budget"] = dataclasses.asdict(spec)
    if spec.scale:
        bd.check_scalable(sweep.ctx.scenarios, sweep.design["packages"][0])
    _rekey(sweep)
    return sweep


def _calibration(model: list[str]) -> str:
    """The calibrated set the model overrides name (``calibration=NAME``; default calibrated)."""
    name = "calibrated"
    for o in model:
        key, _, value = o.partition("=")
        if key.strip().lstrip("+") == "calibration":
            name = value.strip().strip("'\"")
    return name


def _rekey(sweep: Sweep) -> None:
    """Name the default store folder by the design as completed here (out= is kept as given)."""
    from experiments.store import ResultStore, design_hash

    if not sweep.xcfg.out:
        name = sweep.xcfg.name
        sweep.store = ResultStore(
            f"outputs/experiments/compare-{name}-{design_hash(sweep.design)[:8]}"
        )


def _equal_budget(sweep: Sweep) -> dict | None:
    """``budget=equal`` or ``YEN/year``: measure, scale the packages, record it in the design."""
    from experiments import budget as bd
    from experiments.config import budget_spec

    x = sweep.xcfg
    spec = budget_spec(x.budget)
    if not spec.scale:
        return None
    baseline = sweep.design["packages"][0]
    cache = Path(x.out) / ".budget" if x.out else Path("outputs/experiments/.budget")
    first = [s for s in sweep.specs if s.package == baseline and s.replicate == 0]
    worlds = [(s.seed, s.values) for s in first[: bd.MEASURE_WORLDS]]
    result = bd.equalise(sweep.ctx, baseline, spec, worlds, evaluator_for(x),
                         cache=cache, say=lambda line: print(line, flush=True))  # fmt: skip
    bd.apply(sweep.ctx, baseline, result)
    sweep.design["budget"] |= {
        "target_per_year": result["target_per_year"],
        "factors": {p: v["factor"] for p, v in result["packages"].items()},
    }
    _rekey(sweep)
    return result


def run_compare(overrides: list[str]) -> int:
    """Run (or resume) a comparison, then print and save its tables and figures."""
    from experiments.config import budget_spec

    sweep = compare_sweep(overrides)
    scaling = _equal_budget(sweep)
    counts = _execute(sweep)
    x = sweep.xcfg
    df = sweep.store.outcomes()
    baseline = sweep.design["packages"][0]
    packages = sweep.design["packages"][1:]
    cap = budget_spec(x.budget).cap
    table = cmp.comparison_table(df, baseline, packages, x.outcomes, target=x.target,
                                 conf=x.conf_level, resamples=x.resamples, seed=x.seed)  # fmt: skip
    robust = cmp.robustness(df, baseline, x.target, cap)
    out = sweep.store.path
    paths = cmp.write_tables(out, table, robust)
    years = float(sweep.ctx.base.years)
    averted, added = cmp.world_effects(df, baseline, x.target)
    order = [baseline, *[p for p in packages if p in averted.columns]]
    averted, added = averted[order], added[order]
    decision = cmp.decision_table(averted, added, years, x.conf_level)
    curve = cmp.ceac(averted, added, x.wtp_max)
    info = sweep.design["uncertainty"]
    info_rows = cmp.uncertainty_rows(info)
    paths += cmp.write_decision(out, decision, curve, averted, added, info_rows)
    if scaling is not None:
        from experiments import budget as bd

        match = bd.achieved(added, baseline, scaling)
        paths.append(write_csv(out / "budget.csv", match, float_format="%.6g"))
    other = "en" if x.lang == "ja" else "ja"
    for lang, suffix in ((x.lang, ""), (other, f"_{other}")):
        paths.append(figures.save(
            figures.cost_effectiveness_plane(averted, added, x.target, cap, lang),
            out / f"cost_effectiveness{suffix}.png"))  # fmt: skip
        paths.append(figures.save(figures.ceac_figure(curve, baseline, lang),
                                  out / f"ceac{suffix}.png"))  # fmt: skip
    series = sweep.store.series()
    if len(series):
        measure = "any_loneliness"
        fig = figures.outcome_bands(series, df, baseline, measure, x.lang)
        paths.append(figures.save(fig, out / f"bands_{measure}.png"))
    print("\n".join(compare_lines(table, x.conf_level, x.lang)))
    from sim.analysis.compare import quantity
    from sim.report.console_labels import outcome_label

    target = outcome_label(quantity(x.target)[0], x.lang)
    print("\n".join(decision_lines(decision, baseline, info, x.conf_level, x.lang, target)))
    if scaling is not None:
        print("\n".join(budget_lines(match, x.lang)))
    if x.lang == "ja":
        print(f"\n頑健性（各世界で最善だった割合。後悔＝最善の案との差、{target}の回避）:")
    else:
        print(f"\nrobustness (share of worlds best; regret in {target} averted):")
    print("\n".join(robustness_lines(robust, x.lang)))
    _footer(counts, out, paths, x.lang)
    return 0


def sensitivity_sweep(overrides: list[str]) -> tuple[Sweep, dict, np.ndarray]:
    """The sweep of ``tsunagari sensitivity``: one package at every SALib sample."""
    from sim.policy.scenario import load_scenario

    xcfg, model = compose_experiment("sensitivity", overrides)
    lever_ranges = {k: v for k, v in xcfg.ranges.items() if k in xcfg.levers}
    other = {k: v for k, v in xcfg.ranges.items() if k not in xcfg.levers}
    names = xcfg.params if xcfg.params == "uncertain" else list(xcfg.params)
    params = design.uncertainties(names, other)
    params += design.levers(load_scenario(xcfg.package), list(xcfg.levers), lever_ranges)
    if xcfg.dummy and design.DUMMY not in [p.name for p in params]:
        params.append(design.Parameter(design.DUMMY, 0.0, 1.0, kind="dummy"))
    prob = sa.problem(params)
    size = xcfg.r if xcfg.method == "morris" else xcfg.n
    X = sa.sample(xcfg.method, prob, size, num_levels=xcfg.num_levels,
                  second_order=xcfg.second_order, seed=xcfg.seed)  # fmt: skip
    sweep = prepare("sensitivity", xcfg, model, params, X, [xcfg.package])
    xcfg.package = sweep.design["packages"][0]
    return sweep, prob, X


def run_sensitivity(overrides: list[str]) -> int:
    """Run (or resume) a Morris or Sobol analysis; save indices, convergence and figures."""
    sweep, prob, X = sensitivity_sweep(overrides)
    counts = _execute(sweep)
    require_complete(sweep)
    x = sweep.xcfg
    df = sweep.store.outcomes()
    out = sweep.store.path
    kw = {"num_levels": x.num_levels, "second_order": x.second_order,
          "resamples": x.resamples, "conf_level": x.conf_level, "seed": x.seed}  # fmt: skip
    tables, seconds, conv, paths = [], [], [], []
    for outcome in x.outcomes:
        Y = df.groupby("sample")[outcome].mean().sort_index().to_numpy(float)
        first, s2 = sa.analyze(x.method, prob, X, Y, **kw)
        tables.append(first.assign(outcome=outcome))
        if s2 is not None:
            seconds.append(s2.assign(outcome=outcome))
        conv.append({"outcome": outcome, **sa.convergence(x.method, prob, X, Y, first, **kw)})
        draw = figures.morris_figure if x.method == "morris" else figures.sobol_figure
        fig = draw(first, outcome, x.lang)
        paths.append(figures.save(fig, out / f"{x.method}_{outcome}.png"))
        _print_indices(x.method, outcome, first, conv[-1], x.lang)
    indices = pd.concat(tables, ignore_index=True)
    paths.append(_csv(out / f"{x.method}_indices.csv", indices))
    if seconds:
        paths.append(_csv(out / "sobol_second_order.csv", pd.concat(seconds, ignore_index=True)))
    paths.append(_csv(out / "convergence.csv", pd.DataFrame(conv)))
    _footer(counts, out, paths, x.lang)
    return 0
