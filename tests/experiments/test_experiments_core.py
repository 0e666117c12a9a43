"""Experiments: design, SALib mechanics (Ishigami + DUMMY), paired differences, CLI errors."""

import numpy as np
import pandas as pd
import pytest

from experiments import compare as cmp
from experiments import design
from experiments import sensitivity as sa
from experiments.config import compose_experiment, split_overrides
from sim.app.cli import main
from sim.core.params import ConfigError


def test_run_seed_depends_on_experiment_seed_and_replicate_only():
    assert design.run_seed(7, 0) == design.run_seed(7, 0)
    assert len({design.run_seed(7, r) for r in range(50)}) == 50
    assert design.run_seed(7, 1) != design.run_seed(8, 1)


def test_specs_are_paired_across_packages():
    params = design.uncertainties(["dynamics.loneliness.recovery", "DUMMY"])
    x = design.scale_unit(params, design.latin_hypercube(3, 2, seed=1))
    specs = design.run_specs(["baseline", "people_first"], params, x, seeds=2, experiment_seed=5)
    assert len(specs) == 12 and len({s.run_id for s in specs}) == 12
    by = {(s.package, s.sample, s.replicate): s for s in specs}
    for (_pkg, smp, rep), s in by.items():
        twin = by[("baseline", smp, rep)]
        assert (s.seed, s.values) == (twin.seed, twin.values)
    lo, hi = params[0].low, params[0].high
    assert all(lo <= s.values["dynamics.loneliness.recovery"] <= hi for s in specs)


def test_latin_hypercube_has_one_point_per_stratum():
    u = design.latin_hypercube(10, 3, seed=4)
    for col in u.T:
        assert sorted(np.floor(col * 10).astype(int)) == list(range(10))
    assert np.array_equal(u, design.latin_hypercube(10, 3, seed=4))


def test_apply_values_and_levers_copy_and_set():
    from sim.config import compose_config
    from sim.policy.scenario import load_scenario

    cfg = compose_config(["population.scale=0.005"], check_region=False)
    out = design.apply_values(cfg, {"dynamics.loneliness.recovery": 0.2, "DUMMY": 0.3}, seed=9)
    assert out.dynamics.loneliness.recovery == 0.2 and out.seed == 9
    assert cfg.dynamics.loneliness.recovery != 0.2
    sc = load_scenario("people_first")
    p = design.levers(sc, ["pp_supporters.per_1000"])[0]
    assert p.kind == "lever" and p.low <= 4.0 <= p.high
    sc2 = design.apply_levers(sc, {"pp_supporters.per_1000": 1.5})
    assert next(lv for lv in sc2.levers if lv.id == "pp_supporters").per_1000 == 1.5
    assert next(lv for lv in sc.levers if lv.id == "pp_supporters").per_1000 == 4.0


@pytest.mark.parametrize(
    ("names", "ranges", "message"),
    [
        (["dynamics.loneliness.nope"], None, "unknown or non-scalar parameter"),
        (["dynamics.loneliness.recovery"], {"dynamics.loneliness.recovery": [0.2, 0.1]}, "> high"),
        (["dynamics.loneliness.recovery"], {"dynamics.loneliness.recovery": [0.0, 9]}, "declared"),
        (["dynamics.loneliness.recovery"], {"layers.neighbour_ties": [1, 2]}, "not among"),
    ],
)
def test_bad_uncertainties_raise_one_line(names, ranges, message):
    with pytest.raises(ConfigError, match=message):
        design.uncertainties(names, ranges)


def test_overrides_split_between_experiment_and_model():
    exp, model = split_overrides(
        [
            "seeds=3",
            "executor=dask",
            "executor.address=tcp://h:1",
            "years=2",
            "population.scale=0.01",
            "ranges.dynamics.ties.decay=[0.01,0.02]",
        ]
    )
    assert exp == ["seeds=3", "executor=dask", "executor.address=tcp://h:1",
                   "+ranges.dynamics.ties.decay=[0.01,0.02]"]  # fmt: skip
    assert model == ["years=2", "population.scale=0.01"]


def test_overlay_composes_over_base_and_cli_wins():
    xcfg, model = compose_experiment("sensitivity", ["experiment=smoke", "r=3", "years=1"])
    assert (xcfg.name, xcfg.r, xcfg.seeds, xcfg.series) == ("smoke", 3, 2, False)
    assert model[-1] == "years=1" and "population.scale=0.005" in model
    xcfg, _ = compose_experiment("compare", ["executor=dask", "executor.processes=false"])
    assert (xcfg.executor.kind, xcfg.executor.workers, xcfg.executor.processes) == (
        "dask",
        2,
        False,
    )


def test_overlay_from_a_user_folder(tmp_path):
    folder = tmp_path / "experiment"
    folder.mkdir()
    (folder / "mine.yaml").write_text("# @package _global_\nname: mine\nseeds: 4\n")
    xcfg, _ = compose_experiment("compare", [f"experiment={folder / 'mine.yaml'}"])
    assert (xcfg.name, xcfg.seeds) == ("mine", 4)


def _ishigami_problem():
    pi = np.pi
    params = [design.Parameter(f"x{i}", -pi, pi) for i in (1, 2, 3)]
    return [*params, design.Parameter("DUMMY", 0.0, 1.0, kind="dummy")]


def test_sobol_ishigami_with_dummy():
    prob = sa.problem(_ishigami_problem())
    X = sa.sample("sobol", prob, 1024, second_order=True, seed=3)
    Y = sa.ishigami(X)
    first, s2 = sa.analyze("sobol", prob, X, Y, second_order=True, resamples=200, seed=3)
    s = first.set_index("parameter")
    # analytic values: S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244
    assert s.loc["x1", "S1"] == pytest.approx(0.314, abs=0.05)
    assert s.loc["x2", "S1"] == pytest.approx(0.442, abs=0.05)
    assert s.loc["x3", "ST"] == pytest.approx(0.244, abs=0.05)
    assert abs(s.loc["DUMMY", "S1"]) < 0.03 and abs(s.loc["DUMMY", "ST"]) < 0.01
    assert (first["S1_conf"].iloc[:3] > 0).all()
    pair = s2.set_index(["parameter_1", "parameter_2"]).loc[("x1", "x3"), "S2"]
    assert pair == pytest.approx(0.244, abs=0.1)
    conv = sa.convergence("sobol", prob, X, Y, first, second_order=True, resamples=100, seed=3)
    assert conv["runs_half"] * 2 == conv["runs_full"] and conv["converged"]


def test_morris_ishigami_with_dummy():
    prob = sa.problem(_ishigami_problem())
    X = sa.sample("morris", prob, 40, seed=1)
    Y = sa.ishigami(X)
    first, _ = sa.analyze("morris", prob, X, Y, resamples=200, seed=1)
    mu = first.set_index("parameter")["mu_star"]
    assert mu["DUMMY"] == 0 and mu.drop("DUMMY").min() > 1
    assert "0.0%" in sa.dummy_check("morris", first)
    assert not sa.convergence("morris", prob, X[:8], Y[:8], first)["converged"]


def test_sobol_size_must_be_power_of_two():
    with pytest.raises(ConfigError, match="power of 2"):
        sa.sample("sobol", sa.problem(_ishigami_problem()), 100)


def _frame(values_base, values_arm):
    rows = []
    for pkg, vals in (("baseline", values_base), ("arm", values_arm)):
        for r, (py, cost) in enumerate(vals):
            rows.append({"run_id": f"{pkg}-{r}", "package": pkg, "sample": 0, "replicate": r,
                         "py_lonely": py, "cost_total": cost, "error": ""})  # fmt: skip
    return pd.DataFrame(rows)


def test_paired_difference_interval_and_cost_per_averted():
    base = [(100.0, 0.0), (110.0, 0.0), (90.0, 0.0), (105.0, 0.0)]
    arm = [(90.0, 1000.0), (99.0, 1100.0), (81.0, 900.0), (94.0, 1000.0)]
    t = cmp.comparison_table(_frame(base, arm), "baseline", ["arm"], ["py_lonely", "cost_total"])
    t = t.set_index("outcome")
    assert t.loc["py_lonely", "difference"] == pytest.approx(-10.25)
    assert t.loc["py_lonely", "ci_low"] < -10.25 < t.loc["py_lonely", "ci_high"] < 0
    ratio = t.loc["cost_per_py_averted"]
    assert ratio["difference"] == pytest.approx(1000 / 10.25)
    assert ratio["ci_low"] <= ratio["difference"] <= ratio["ci_high"]


def test_robustness_share_best_and_regret_with_budget():
    rows = []
    table = {"baseline": [(10, 0), (10, 0)], "a": [(5, 50), (9, 50)], "b": [(7, 10), (6, 10)]}
    for pkg, vals in table.items():
        for s, (py, cost) in enumerate(vals):
            rows.append({"package": pkg, "sample": s, "replicate": 0, "py_lonely": py,
                         "cost_total": cost, "error": ""})  # fmt: skip
    df = pd.DataFrame(rows)
    r = cmp.robustness(df, "baseline").set_index("package")
    assert r.loc["a", "share_best"] == 0.5 and r.loc["b", "share_best"] == 0.5
    assert r.loc["a", "max_regret"] == 3 and r.loc["baseline", "max_regret"] == 5
    r = cmp.robustness(df, "baseline", budget=20).set_index("package")
    assert r.loc["b", "share_best"] == 1.0 and r.loc["a", "eligible_share"] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "packages=[nope]"], "unknown scenario 'nope'"),
        (["sensitivity", "params=[dynamics.loneliness.nope,DUMMY]"], "unknown or non-scalar"),
        (
            ["sensitivity", "experiment=smoke", "ranges.dynamics.loneliness.recovery=[0.2,0.1]"],
            "low 0.2 > high 0.1",
        ),
        (["compare", "experiment=nope"], "unknown option 'nope'"),
        (["compare", "seeds=0"], "seeds: must be at least 1"),
        (["sensitivity", "method=fast"], "unknown method 'fast'"),
        (["compare", "population.sclae=1"], "did you mean 'population.scale'"),
    ],
)
def test_cli_bad_input_one_line_exit_2(argv, message, capsys, tmp_path):
    assert main([*argv, f"out={tmp_path / 'x'}"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("tsunagari: error:")


def test_cli_unreachable_dask_address(capsys, tmp_path, monkeypatch):
    from experiments.backends import DaskEvaluator

    # nothing listens on port 9: refused at once, then retried until the timeout (10 s)
    monkeypatch.setitem(DaskEvaluator.__init__.__kwdefaults__, "timeout", 1.0)
    argv = ["compare", "experiment=smoke", "executor=dask", "executor.address=tcp://127.0.0.1:9",
            f"out={tmp_path / 'x'}"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler" in err and err.count("\n") == 1


# --- paths, memory guard and run-time estimate (issue 16) ------------------------------------


@pytest.mark.parametrize(
    "out", ["結果/3案比較", "results (v2)/a,b", "データ/$HOME/{x}", "out=with=equals"]
)
def test_out_is_taken_as_written(out):
    xcfg, model = compose_experiment("compare", [f"out={out}", "seeds=2", "years=1"])
    assert (xcfg.out, xcfg.seeds, model[-1]) == (out, 2, "years=1")


def test_empty_out_is_refused():
    with pytest.raises(ConfigError, match=r"^out: empty path"):
        compose_experiment("compare", ["out= "])


def test_overlay_and_package_file_in_japanese_folders(tmp_path):
    folder = tmp_path / "設定 (v2)" / "experiment"
    folder.mkdir(parents=True)
    (folder / "三案.yaml").write_text("# @package _global_\nname: sanan\nseeds: 3\n", "utf-8")
    package = tmp_path / "施策" / "案A.yaml"
    xcfg, _ = compose_experiment(
        "compare", [f"experiment={folder / '三案.yaml'}", f"packages=[places_first,{package}]"]
    )
    assert (xcfg.name, xcfg.seeds) == ("sanan", 3)
    assert xcfg.packages == ["places_first", str(package)]


def _tiny_sweep(tmp_path, *extra):
    from experiments.commands import compare_sweep

    over = ["packages=[places_first]", "seeds=1", "population.scale=0.004", "years=1",
            "burn_in_weeks=4", f"out={tmp_path / 'store'}", *extra]  # fmt: skip
    return compare_sweep(over)


def test_memory_guard_counts_every_worker(tmp_path):
    from experiments.commands import check_memory
    from sim.config import estimate_memory

    sweep = _tiny_sweep(tmp_path)
    mun = sweep.ctx.region.municipalities
    one = estimate_memory(int(mun["pop_total"].sum() * 0.004), len(mun), 1)
    available = int(2.5 * one)
    check_memory(sweep, 2, available=available)  # two fit
    check_memory(sweep, 1, available=one // 2)  # one at a time: the per-run guard's business
    check_memory(sweep, 64, available=None)  # memory unknown: no check
    with pytest.raises(ConfigError) as err:
        check_memory(sweep, 4, available=available)
    msg = str(err.value)
    assert msg.startswith("executor.workers=4: 4 runs at once at population.scale=0.004")
    assert "use executor.workers=2 or fewer, or lower population.scale" in msg
    assert not sweep.store.path.exists()  # refused before the store is opened


def test_memory_guard_on_the_command_line(tmp_path, monkeypatch, capsys):
    import sim.config

    monkeypatch.setattr(sim.config, "available_memory", lambda: 400 * 2**20)
    argv = ["compare", "packages=[places_first]", "seeds=1", "executor=process",
            "executor.workers=8", "population.scale=0.004", "years=1",
            f"out={tmp_path / 'store'}"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tsunagari: error: executor.workers=8")
    assert "population.scale" in err and not (tmp_path / "store").exists()


def test_run_time_estimate_matches_the_measured_runs():
    from experiments.evaluators import estimate_seconds

    # (residents, municipalities, weeks, measured seconds): the runs quoted in evaluators.py
    measured = [(5_534, 19, 56, 0.99), (27_670, 19, 208, 4.75), (63_073, 1_741, 156, 19.5)]
    for residents, municipalities, weeks, seconds in measured:
        assert estimate_seconds(residents, municipalities, weeks) == pytest.approx(seconds, rel=0.1)
    # docs/benchmarks.md: 1,000,000 residents of Nara (39 municipalities), 0.53 s a week
    week = estimate_seconds(1e6, 39, 101) - estimate_seconds(1e6, 39, 100)
    assert week == pytest.approx(0.53, rel=0.1)


def test_plan_uses_the_stored_runs_when_resuming(tmp_path):
    from experiments.sweep import execute, plan, seconds_per_run

    sweep = _tiny_sweep(tmp_path, "executor=serial", "progress=off", "lang=en")
    estimate, measured = seconds_per_run(sweep)
    assert not measured and estimate > 0
    said = []
    counts = execute(sweep, say=said.append)
    assert said[0].startswith("compare: 2 runs; 2 to run on 1 worker, ")
    assert counts["ran"] == 2
    median, measured = seconds_per_run(sweep)
    stored = sweep.store.outcomes()["elapsed_s"]
    assert measured and median == pytest.approx(float(stored.median()))
    assert plan(sweep, 0, 1) == "compare: 2 runs (2 already done), nothing left to run"
