"""The ``tsunagari compare`` and ``tsunagari sensitivity`` commands.

Each composes an experiment config, prepares the sweep, runs what the store does not hold yet
(so rerunning a killed command resumes it), analyses the store and writes tables and figures
into the store folder. User errors raise :class:`sim.core.params.ConfigError` (one line).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import compare as cmp
from experiments import design, figures
from experiments import sensitivity as sa
from experiments.config import compose_experiment
from experiments.sweep import Sweep, evaluator_for, execute, prepare, require_complete
from sim.core.files import atomic_write_text, write_csv
from sim.core.params import ConfigError


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


def decision_lines(
    decision: pd.DataFrame, baseline: str, info: dict, conf: float, lang: str, target: str = ""
) -> list[str]:
    """The decision under uncertainty as console lines.

    What the intervals include, the headline worded by P(best), then one aligned row per option
    (P(best), expected person-years averted with the central ``conf`` share of worlds, added
    cost a year, cost per person-year averted or "not determined").
    """
    from sim.core.progress import table_lines

    ja = lang == "ja"
    pb = decision.set_index("package")["p_best"]
    pct = f"{round(conf * 100)}%"
    worlds = int(decision["worlds"].max()) if len(decision) else None
    lines = ["", cmp.uncertainty_line(info, lang),
             cmp.headline(pb, baseline, lang=lang, worlds=worlds)]  # fmt: skip
    if ja:
        headers = ["施策パッケージ", "最善の確率", f"回避人年の期待値（{target}）",
                   f"世界の{pct}範囲", "追加費用/年（円）", "回避1人年あたり（円）"]  # fmt: skip
    else:
        headers = ["package", "P(best)", f"expected py averted ({target})",
                   f"{pct} of worlds", "added cost/year (yen)", "yen per py averted"]  # fmt: skip
    body = []
    for r in decision.to_dict("records"):
        per = (
            f"{r['cost_per_py_averted']:,.0f} [{r['cost_per_py_averted_low']:,.0f}, "
            f"{r['cost_per_py_averted_high']:,.0f}]"
            if r["cost_per_py_status"] == cmp.DETERMINED
            else ("判定できない" if ja else "not determined")
        )
        if r["package"] == baseline:
            per = "-"
        body.append([
            str(r["package"]), f"{r['p_best']:.2f}", f"{r['averted_mean'] + 0.0:,.0f}",
            f"[{r['averted_low'] + 0.0:,.0f}, {r['averted_high'] + 0.0:,.0f}]",
            f"{r.get('added_cost_per_year_mean', float('nan')):,.0f}", per,
        ])  # fmt: skip
    lines += table_lines(headers, body, "<>>>>>")
    lines.append(
        f"  （最善の確率：{cmp.P_CLEAR:.2f}以上で「はっきり」、{cmp.P_PROBABLE:.2f}以上で"
        "「おそらく」、それ未満は区別できない。効果の区間が0を含むと1人年あたり費用は判定できない）"
        if ja
        else f"  (P(best) >= {cmp.P_CLEAR:.2f}: clearly best; >= {cmp.P_PROBABLE:.2f}: probably; "
        "below: not distinguishable. Cost per py averted is not determined when the effect's "
        "interval includes zero.)"
    )
    return lines


def budget_lines(match: pd.DataFrame, lang: str) -> list[str]:
    """The equal-budget scaling as console lines: factor and added cost a year per package."""
    from sim.core.progress import table_lines

    ja = lang == "ja"
    if match.empty:
        return []
    target = float(match["target_per_year_yen"].iloc[0])
    if ja:
        lines = ["", f"予算をそろえた比較：目標の追加費用 年{target / 1e6:,.1f}百万円"]
        headers = ["施策パッケージ", "倍率", "調整前/年", "調整後/年（全世界平均）", "目標との差"]
    else:
        lines = ["", f"equal budget: target added cost {target / 1e6:,.1f} M yen a year"]
        headers = ["package", "factor", "before/year", "after/year (mean of worlds)", "vs target"]
    body = [
        [str(r["package"]), f"{r['factor']:.3f}", f"{r['per_year_before_yen'] / 1e6:,.1f}M",
         f"{r['per_year_mean_yen'] / 1e6:,.1f}M", f"{100 * r['match_mean']:+.1f}%"]
        for r in match.to_dict("records")
    ]  # fmt: skip
    lines += table_lines(headers, body, "<>>>>")
    spread = float(match["spread_mean"].iloc[0])
    lines.append(
        f"  パッケージ間の差（最大−最小、平均比）: {100 * spread:.1f}%"
        if ja
        else f"  spread between packages (max - min over mean): {100 * spread:.1f}%"
    )
    return lines


def compare_lines(table: pd.DataFrame, conf: float, lang: str) -> list[str]:
    """The comparison of ``tsunagari compare`` as console lines, in the experiment's language.

    Reads the table as written (:func:`experiments.compare.signed_table`, one display line per
    outcome by :func:`sim.analysis.compare.signed_rows`): one aligned table per unit, the difference
    column named by its sign (averted = baseline - package; added cost = package - baseline),
    then the cost per person-year averted of each package with its interval, or why there is
    none. Missing values show ``-``.
    """
    from sim.analysis.compare import signed_rows
    from sim.core.progress import table_lines
    from sim.report.console_labels import head, number, outcome_label, short_label

    ja = lang == "ja"
    wide = cmp.signed_table(table)
    lines: list[str] = []
    shown = []
    for i in range(len(wide)):
        one = wide.iloc[[i]]
        for r in signed_rows(one, arm="package").itertuples():
            shown.append((str(one["package"].iloc[0]), int(one["pairs"].iloc[0]), r))
    interval = f"{round(conf * 100)}%区間" if ja else f"{round(conf * 100)}% interval"
    units = dict.fromkeys(r.unit for *_, r in shown if r.unit != "yen/person-year")
    for unit in units:
        what = head("funder" if unit == "yen" else "outcome", lang)
        what = f"{what}（{head(unit, lang)}）" if ja else f"{what} ({head(unit, lang)})"
        diff = head("added" if unit == "yen" else "averted", lang)
        headers = [head("package", lang), what, head("pairs", lang), diff, interval]
        body = [
            [pkg, outcome_label(r.outcome, lang), str(pairs), number(r.difference, unit),
             f"[{number(r.ci_low, unit)}, {number(r.ci_high, unit)}]"]
            for pkg, pairs, r in shown
            if r.unit == unit
        ]  # fmt: skip
        lines += ["", *table_lines(headers, body, "<<>>>")]
    lines.append("")
    for pkg, _, r in shown:
        if r.unit != "yen/person-year":
            continue
        what = r.outcome.removeprefix("cost_per_").removesuffix("_person_year_averted_yen")
        value = number(r.difference, "yen")
        band = f" [{number(r.ci_low, 'yen')}, {number(r.ci_high, 'yen')}]"
        name = short_label(what, lang)
        if ja:
            text = f"{value}円{band}" if value != "-" else "判定できない（効果の区間が0を含む）"
            lines.append(f"  回避1人年あたりの追加費用 — {name} — {pkg}: {text}")
        else:
            text = (
                f"{value} yen{band}"
                if value != "-"
                else "not determined (the effect's interval includes zero)"
            )
            lines.append(f"  Added cost per person-year averted — {name} — {pkg}: {text}")
    return lines


#: Console headers of the robustness table (key -> {"ja": ..., "en": ...});
#: other columns keep their names.
ROBUSTNESS_HEADERS: dict[str, dict[str, str]] = {
    "package": {"ja": "施策パッケージ", "en": "package"},
    "share_best": {"ja": "最善の割合", "en": "share best"},
    "mean_regret": {"ja": "平均後悔", "en": "mean regret"},
    "max_regret": {"ja": "最大後悔", "en": "max regret"},
    "eligible_share": {"ja": "予算内の割合", "en": "within budget"},
    "worlds": {"ja": "世界の数", "en": "worlds"},
}


def robustness_lines(robust: pd.DataFrame, lang: str) -> list[str]:
    """The robustness table as aligned console lines with headers in ``lang``."""
    from sim.core.progress import table_lines

    cols = list(robust.columns)
    headers = [
        ROBUSTNESS_HEADERS.get(c, {"ja": c, "en": c})["ja" if lang == "ja" else "en"] for c in cols
    ]

    def cell(v: object) -> str:
        if isinstance(v, float):
            return "-" if v != v else f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
        return str(v)

    body = [[cell(v) for v in row] for row in robust.itertuples(index=False)]
    align = "".join("<" if c == "package" else ">" for c in cols)
    return table_lines(headers, body, align)


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


def check_memory(sweep: Sweep, workers: int, available: int | None = -1) -> None:
    """Refuse, before any run, a job whose parallel runs together cannot fit in memory.

    :func:`sim.config.check_size` checks one run; ``workers`` processes each hold a run at
    once, so together they need ``workers`` times its estimate.

    Args:
        sweep: the prepared sweep.
        workers: runs held in memory at once (1 for the serial executor).
        available: bytes available (default: :func:`sim.config.available_memory`; None
            skips the check).

    Raises:
        ConfigError: naming ``executor.workers`` and ``population.scale``.
    """
    from sim import config as sc
    from sim.world.population import simulated_residents

    if workers <= 1:
        return  # one run at a time: the per-run check already ran
    if available == -1:
        available = sc.available_memory()
    if available is None:
        return
    base, region = sweep.ctx.base, sweep.ctx.region
    residents = int(simulated_residents(region.municipalities, base.population).sum())
    one = sc.estimate_memory(residents, len(region.municipalities), base.years)
    if workers * one <= available:
        return
    fit = available // one
    hint = (
        f"use executor.workers={fit} or fewer, or lower population.scale"
        if fit >= 1
        else "lower population.scale"
    )
    raise ConfigError(
        f"executor.workers={workers}: {workers} runs at once at population.scale="
        f"{base.population.scale:g} need about {_size(workers * one)} of memory "
        f"({_size(one)} each), more than the {_size(available)} available; {hint}"
    )


def _size(nbytes: float) -> str:
    """A memory size for messages: MiB below 1 GiB, else GiB with one decimal."""
    return f"{nbytes / 2**20:,.0f} MiB" if nbytes < 2**30 else f"{nbytes / 2**30:,.1f} GiB"


def _execute(sweep: Sweep) -> dict:
    evaluator = evaluator_for(sweep.xcfg)
    remote = sweep.xcfg.executor.kind == "dask" and sweep.xcfg.executor.address
    if not remote:  # a remote cluster's memory is its own
        check_memory(sweep, evaluator.workers)
    counts = execute(sweep, evaluator, say=lambda line: print(line, flush=True))
    done = counts["total"] - counts["ran"]
    kind = sweep.xcfg.executor.kind
    if sweep.xcfg.lang == "ja":
        print(
            f"{sweep.command}: 全{counts['total']:,}回（ストアにあった{done:,}回、今回"
            f"{counts['ran']:,}回を{counts['seconds']:.1f}秒で実行、失敗{counts['failed']:,}回）"
            f" [{kind}]"
        )
    else:
        print(
            f"{sweep.command}: {counts['total']:,} runs ({done:,} already in the store, "
            f"{counts['ran']:,} run now in {counts['seconds']:.1f} s, {counts['failed']:,} "
            f"failed) [{kind}]"
        )
    return counts


def _print_indices(
    method: str, outcome: str, first: pd.DataFrame, conv: dict, lang: str = "en"
) -> None:
    key = "mu_star" if method == "morris" else "ST"
    top = first.sort_values(key, ascending=False)
    print(f"\n{method} {outcome}:")
    print(top.to_string(index=False, float_format="%.4g"))
    print(f"  {sa.dummy_check(method, first)}")
    print(f"  {sa.convergence_line(conv, lang)}")  # never 'nan': says why when not checked


def _csv(path: Path, df: pd.DataFrame) -> Path:
    return write_csv(path, df, float_format="%.6g")


def _footer(counts: dict, out: Path, paths: list[Path], lang: str = "en") -> None:
    """Write ``last_command.json``: counts, files written and their SHA-256 (for the report)."""
    from sim.io.output import sha256

    summary = {**counts, "files": [p.name for p in paths]}
    summary["sha256"] = {p.name: sha256(p) for p in paths}
    atomic_write_text(out / "last_command.json", json.dumps(summary, indent=1))
    names = ", ".join(p.name for p in paths)
    if lang == "ja":
        print(f"\nストア: {out}/（runs/、series/、manifest.json）; 書き出し: {names}")
    else:
        print(f"\nstore: {out}/ (runs/, series/, manifest.json); written: {names}")
