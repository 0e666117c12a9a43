"""Experiments on the real model (tiny): executors agree bit for bit, resume after SIGKILL,
identical arms give exactly zero differences, a crashing run is recorded and the sweep goes on."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from experiments import commands
from experiments.evaluators import DaskEvaluator, ProcessPoolEvaluator, SerialEvaluator
from experiments.sweep import execute

TINY = ["population.scale=0.004", "years=1", "burn_in_weeks=26", "progress=off"]
META = ["elapsed_s"]


def _sweep(tmp_path, name, extra=()):
    over = [*TINY, "packages=[people_first]", "seeds=2", "samples=2",
            "params=[dynamics.loneliness.recovery,dynamics.ties.decay]", "series=true",
            f"out={tmp_path / name}", *extra]  # fmt: skip
    return commands.compare_sweep(over)


def _outcomes(sweep):
    return sweep.store.outcomes().drop(columns=META)


def test_executors_give_identical_results(tmp_path):
    results = {}
    evaluators = {
        "serial": SerialEvaluator(),
        "process": ProcessPoolEvaluator(2, batch_seconds=1.0),
        "dask_threads": DaskEvaluator(processes=False, workers=2, batch_seconds=1.0),
        "dask_processes": DaskEvaluator(processes=True, workers=2, batch_seconds=1.0),
    }
    for name, ev in evaluators.items():
        sweep = _sweep(tmp_path, name)
        counts = execute(sweep, ev)
        assert counts["failed"] == 0 and counts["ran"] == 8
        results[name] = (_outcomes(sweep), sweep.store.series())
    ref_rows, ref_series = results["serial"]
    assert len(ref_rows) == 8 and ref_rows["py_lonely"].notna().all()
    for name, (rows, series) in results.items():
        pd.testing.assert_frame_equal(rows, ref_rows, check_exact=True, obj=name)
        pd.testing.assert_frame_equal(series, ref_series, check_exact=True, obj=name)


def test_identical_arms_have_exactly_zero_paired_differences(tmp_path, capsys):
    twin = tmp_path / "twin.yaml"
    twin.write_text("name: twin\nextends: baseline\nlevers: []\n")
    over = [*TINY, f"packages=[{twin}]", "seeds=3", "executor=serial",
            f"out={tmp_path / 'twin_out'}", "budget=0"]  # fmt: skip
    assert commands.run_compare(over) == 0
    table = pd.read_csv(tmp_path / "twin_out" / "comparison.csv")  # one row per package
    assert list(table["package"]) == ["twin"] and (table["pairs"] == 3).all()
    signed = [c for c in table.columns if not c.startswith("cost_per_")
              and ("_averted" in c or c.startswith("added_cost_"))]  # fmt: skip
    assert len(signed) == 5 * 3  # five outcomes: difference, ci_low, ci_high
    assert (table[signed] == 0).all().all()
    for name in ("cost_effectiveness.png", "bands_any_loneliness.png", "robustness.csv",
                 "ceac.png", "ceac_en.png", "cost_effectiveness_en.png"):  # fmt: skip
        assert (tmp_path / "twin_out" / name).stat().st_size > 0
    # identical arms: a tie in every world, so P(best) is split evenly and the cost per
    # person-year averted is not determined
    decision = pd.read_csv(tmp_path / "twin_out" / "decision.csv").set_index("package")
    assert decision["p_best"].to_dict() == {"baseline": 0.5, "twin": 0.5}
    assert decision.loc["twin", "cost_per_py_status"] == "not_determined"
    assert "世界が3通りしかないため" in capsys.readouterr().out  # too few worlds to call any
    unc = pd.read_csv(tmp_path / "twin_out" / "uncertainty.csv").set_index("source")
    assert set(unc.index) == {"seeds", "calibrated_posterior", "effect_priors"}


def test_crash_in_one_run_is_recorded_and_sweep_goes_on(tmp_path, monkeypatch):
    import experiments.evaluators as ev

    real = ev.run
    bad = {"seed": None}

    def flaky(cfg, **kw):
        if cfg.seed == bad["seed"] and kw["scenario"].name == "people_first":
            raise RuntimeError("boom in one run")
        return real(cfg, **kw)

    sweep = _sweep(tmp_path, "crash", ["seeds=1", "samples=0"])
    bad["seed"] = sweep.specs[0].seed
    monkeypatch.setattr(ev, "run", flaky)
    counts = execute(sweep, SerialEvaluator())
    df = sweep.store.outcomes()
    assert counts["failed"] == 1 and len(df) == 2
    failed = df[df["error"] != ""]
    assert failed["package"].tolist() == ["people_first"]
    assert "boom in one run" in failed["error"].iloc[0] and np.isnan(failed["py_lonely"].iloc[0])
    assert execute(sweep, SerialEvaluator())["ran"] == 0  # finished (with its error): not rerun


SCRIPT = """
import sys
from experiments import commands
from experiments.evaluators import SerialEvaluator
from experiments.sweep import execute
sweep = commands.compare_sweep(sys.argv[1:])
execute(sweep, SerialEvaluator())
"""


def test_resume_after_sigkill_loses_and_duplicates_nothing(tmp_path):
    out = tmp_path / "killed"
    over = [*TINY, "packages=[people_first]", "seeds=5", "series=true", f"out={out}"]
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, *over], stderr=subprocess.PIPE)
    runs = out / "runs"
    deadline = time.time() + 120
    while time.time() < deadline:
        done = list(runs.glob("*.parquet")) if runs.is_dir() else []
        if len(done) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.name for p in runs.glob("*.parquet")}
    assert 3 <= len(before) < 10, "kill should land mid-sweep"
    sweep = commands.compare_sweep(over)
    counts = execute(sweep, ProcessPoolEvaluator(2, batch_seconds=1.0))
    assert counts["skipped"] == len(before) and counts["ran"] == 10 - len(before)
    df = sweep.store.outcomes()
    assert len(df) == 10 and df["run_id"].is_unique and (df["error"] == "").all()
    assert sorted(df["run_id"]) == sorted(s.run_id for s in sweep.specs)
    series = sweep.store.series()
    assert series.groupby("run_id").size().nunique() == 1 and series["run_id"].nunique() == 10
    fresh = commands.compare_sweep([*over[:-1], f"out={tmp_path / 'fresh'}"])
    execute(fresh, SerialEvaluator())
    pd.testing.assert_frame_equal(_outcomes(fresh), df.drop(columns=META), check_exact=True)


@pytest.mark.slow
def test_real_model_morris_dummy_is_near_zero(tmp_path, capsys):
    over = [*TINY, "experiment=smoke", "method=morris", "r=6", "seeds=1", "years=2",
            "params=[dynamics.loneliness.recovery,dynamics.loneliness.gap_effect,"
            "dynamics.ties.decay,services.smd_support,DUMMY]", f"out={tmp_path / 'm'}"]  # fmt: skip
    assert commands.run_sensitivity(over) == 0
    idx = pd.read_csv(tmp_path / "m" / "morris_indices.csv")
    py = idx[idx["outcome"] == "py_lonely"].set_index("parameter")
    assert py.loc["DUMMY", "mu_star"] <= 0.05 * py["mu_star"].max()
    assert py.loc["dynamics.loneliness.gap_effect", "mu_star"] > py.loc["DUMMY", "mu_star"]


def test_japanese_out_folders_and_progress_in_a_log(tmp_path, monkeypatch, capsys):
    """Walkthrough step 4 as written (out=結果/3案比較), tiny; progress reaches a log too."""
    from sim.app.cli import main

    monkeypatch.chdir(tmp_path)
    small = ["population.scale=0.004", "years=1", "burn_in_weeks=4", "executor=serial"]
    argv = ["compare", "packages=[places_first,people_first]", "seeds=1", "resamples=20",
            "out=結果/3案比較", *small]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    out, err = capsys.readouterr()
    store = tmp_path / "結果" / "3案比較"
    assert (store / "comparison.csv").is_file() and len(list((store / "runs").glob("*"))) == 3
    assert out.splitlines()[0].startswith("compare: 3回の実行、残り3回を1並列で")
    # the console tables: Japanese headers naming the sign, numbers equal to comparison.csv
    assert "回避（ベースライン－施策）" in out and "追加費用（施策－ベースライン）" in out
    assert "nan" not in out.lower() and "ci_low" not in out
    csv = pd.read_csv(store / "comparison.csv").set_index("package")
    for package in ("places_first", "people_first"):
        line = next(
            s
            for s in out.splitlines()
            if s.split()[:2] == [package, "孤独（しばしば・時々）の延べ人年"]
        )
        assert line.split()[3] == f"{csv.loc[package, 'lonely_person_years_averted']:,.1f}"
        cost = next(s for s in out.splitlines() if s.split()[:2] == [package, "合計"])
        assert cost.split()[3] == f"{csv.loc[package, 'added_cost_total_yen']:,.0f}"
    assert "3/3回" in err and "完了" in err  # capsys is not a terminal: a full line, no \r
    assert "\r" not in err
    assert main(argv) == 0  # rerun: nothing left, said so
    assert (
        capsys.readouterr().out.splitlines()[0]
        == "compare: 3回の実行（うち3回は実行済み）、すべて実行済み"
    )
    argv = ["sensitivity", "params=[dynamics.loneliness.recovery]", "r=2", "out=結果/感度 分析",
            "lang=en", *small]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    out, _ = capsys.readouterr()
    assert out.startswith("sensitivity: 6 runs; 6 to run on 1 worker, ")
    conv = [line for line in out.splitlines() if line.startswith("  convergence:")]
    assert conv and all("not checked" in c and "nan" not in c for c in conv)  # r=2: too few
    assert (tmp_path / "結果" / "感度 分析" / "morris_indices.csv").is_file()
