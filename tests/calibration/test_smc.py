"""The pyabc calibration engine: deterministic batches, resumption after SIGKILL, replicates,
posterior draws in the calibrated set, and parameter recovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from calibration.abc import Prior
from calibration.smc import check_options, generation_table, to_generation
from sim.core.params import ConfigError

# A toy model for the engine's machinery: three targets linear in two parameters, with fixed
# (common-random-number) noise, optionally slow. Written to a module file so that a killed
# subprocess and the test import the same job.
TOY = """
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration.abc import distance
from experiments.backends import Job

TARGETS = pd.DataFrame({
    "target": ["t1", "t2", "t3"], "role": ["fit"] * 3, "value_pct": [24.0, 38.0, 51.0],
    "weight": [1.0] * 3, "measure": ["x"] * 3, "group": ["all"] * 3,
})


@dataclass
class ToyJob(Job):
    sleep: float = 0.0

    def run(self, state, task):
        a, b = task.values["a"], task.values["b"]
        e = np.random.default_rng(7).normal(0, 0.5, 3)
        v = {"t1": 10 + 20 * a + e[0], "t2": 30 + 10 * b + e[1], "t3": 50 + 4 * (a - b) + e[2]}
        time.sleep(self.sleep)
        return {"key": task.key, "params": task.values, "values": v,
                "distance": distance(v, TARGETS), "thresholds": [0.0], "ucla_cuts": [0.0],
                "seconds": self.sleep}


def run(folder, n_gen, workers=1, sleep=0.0, seed=3):
    from calibration.abc import Prior
    from calibration.smc import abc_smc
    from calibration.store import EvaluationStore
    from experiments.backends import make_evaluator

    prior = Prior(["a", "b"], np.zeros(2), np.ones(2))
    store = EvaluationStore(folder, {"toy": 1})
    with make_evaluator("serial") as ev:
        return abc_smc(ToyJob(sleep), prior, TARGETS, store, ev, n_gen=n_gen, n=20,
                       quantile=0.5, seed=seed, workers=workers, log=lambda *_: None)
"""


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "toyjob.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    import toyjob

    return importlib.reload(toyjob)


def _last(history):
    df, w = history.get_distribution(m=0, t=history.max_t)
    return df.sort_index(axis=1).to_numpy(), np.asarray(w)


def test_batches_and_continuation_do_not_change_results(toy, tmp_path):
    """Same seed: same generations whatever the batch size (workers) and when continued."""
    a = toy.run(tmp_path / "a", 3, workers=1)
    toy.run(tmp_path / "b", 2, workers=5)
    b = toy.run(tmp_path / "b", 3, workers=5)  # continues the stored history
    ta, tb = generation_table(a), generation_table(b)
    assert list(ta.columns[:6]) == [
        "generation", "epsilon", "ess", "particles", "evaluations", "acceptance",
    ]  # fmt: skip
    pd.testing.assert_frame_equal(ta, tb)
    assert np.array_equal(_last(a)[0], _last(b)[0]) and np.array_equal(_last(a)[1], _last(b)[1])
    # the threshold falls and the posterior concentrates around the toy's solution
    assert ta["epsilon"].iloc[0] == np.inf and ta["epsilon"].iloc[2] < ta["epsilon"].iloc[1]
    prior = Prior(["a", "b"], np.zeros(2), np.ones(2))
    last = to_generation(a, a.max_t, prior)
    assert np.all(last.sd() < 0.6 * prior.sd())
    assert np.allclose(last.mean(), [0.7, 0.8], atol=0.15)  # 10 + 20a = 24, 30 + 10b = 38


def test_sigkill_resumes_with_nothing_lost(toy, tmp_path):
    """Kill -9 mid-generation; the same call finishes without re-running any evaluation and
    gives the generations of an uninterrupted run."""
    run = tmp_path / "killed"
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import toyjob; " \
           f"toyjob.run({str(run)!r}, 4, workers=2, sleep=0.03)"  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=os.getcwd())
    jsonl = run / "evaluations.jsonl"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 300:  # into the second generation (20 particles in the first)
        if jsonl.exists() and len(jsonl.read_text().splitlines()) >= 30:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = [json.loads(x)["key"] for x in jsonl.read_text().splitlines() if x.endswith("}")]
    assert 30 <= len(before) < 100, len(before)
    resumed = toy.run(run, 4, workers=2)
    after = [json.loads(x)["key"] for x in jsonl.read_text().splitlines()]
    assert len(after) == len(set(after))  # nothing evaluated twice
    assert after[: len(before)] == before  # nothing lost
    fresh = toy.run(tmp_path / "fresh", 4, workers=2)
    pd.testing.assert_frame_equal(generation_table(resumed), generation_table(fresh))
    assert np.array_equal(_last(resumed)[0], _last(fresh)[0])


def test_options_are_checked_in_one_line():
    with pytest.raises(ConfigError, match="replicates"):
        check_options({"replicates": "0"})
    with pytest.raises(ConfigError, match="distance"):
        check_options({"distance": "euclid"})
    check_options({"replicates": "3", "distance": "adaptive"})


TINY = ["region=tottori", "population.scale=0.003", "burn_in_weeks=8", "demography=static"]


def test_replicates_average_fixed_seeds(tmp_path):
    from calibration.evaluation import CalibrationJob, Task
    from calibration.fit import calibration_dir
    from calibration.smc import ReplicateJob, replicate_seeds

    targets = str(calibration_dir() / "targets.csv")
    ov = [*TINY, "calibration=none"]
    seeds = replicate_seeds(42, 2)
    assert seeds == [42, 1042]
    task = Task("x", {"dynamics.loneliness.gap_effect": 2.0})
    rep = ReplicateJob(ov, targets, seeds=tuple(seeds))
    rec = rep.run(rep.state(), task)
    one = [CalibrationJob([*ov, f"seed={s}"], targets) for s in seeds]
    recs = [j.run(j.state(), task) for j in one]
    for k in ("age_20s_2021", "isolation_never_meets_2023"):
        assert rec["values"][k] == pytest.approx((recs[0]["values"][k] + recs[1]["values"][k]) / 2)
    assert rec["replicate_distances"] == pytest.approx([r["distance"] for r in recs])


def _synthetic_targets(tmp_path, truth):
    """Targets of a run with known parameters (same seed as the calibration's evaluations)."""
    from calibration.recovery import targets_frame
    from calibration.survey import measure, run_to_december, survey, with_values
    from sim.config import compose_config, load_configured_region
    from sim.core.rng import Streams
    from sim.world.population import synthesize

    t = targets_frame()
    cfg = compose_config([*TINY, "calibration=none"], check_region=False)
    region = load_configured_region(cfg)
    pop = synthesize(region, cfg.population, Streams(cfg.seed))
    model = run_to_december(with_values(cfg, truth), region, pop)
    vals = measure(model, survey(model, t), t)
    fit = t["role"] == "fit"
    t.loc[fit, "value_pct"] = [vals[k] for k in t.loc[fit, "target"]]
    t.to_csv(tmp_path / "targets.csv", index=False)
    return tmp_path / "targets.csv"


def test_small_recovery_and_posterior_draws_in_the_set(tmp_path):
    """One parameter, targets from a known value: the posterior concentrates near it; the set
    holds the point and the posterior draws, and the set loader reads it."""
    from calibration.fit import calibrated_set, parse
    from calibration.smc import posterior_draws, run_pyabc, write_set
    from sim.config import compose_config
    from sim.config.compose import calibrated_overrides

    name, truth = "dynamics.loneliness.gap_effect", 2.6
    targets = _synthetic_targets(tmp_path, {name: truth})
    (tmp_path / "p.yaml").write_text(json.dumps({"parameters": [
        {"name": name, "low": 0.5, "high": 3.5}]}))  # fmt: skip
    opts, ov = parse([f"targets={targets}", f"parameters={tmp_path / 'p.yaml'}", "workers=1",
                      "generations=3", "particles=20", "quantile=0.5", *TINY], False)  # fmt: skip
    opts.update(replicates="1", distance="standardised", eps_floor="none")
    res = run_pyabc(opts, ov, out=tmp_path / "run", log=lambda *_: None)
    last, prior = res["generations"][-1], res["prior"]
    # 20 particles: mean 2.55, sd 0.45 of the prior's 0.87 (10 were too few on the population
    # of 770e561: mean 1.87, sd 0.54)
    assert abs(last.mean()[0] - truth) < 0.2 * 3.0, last.mean()
    assert last.sd()[0] < 0.6 * prior.sd()[0], last.sd()
    table = res["generation_table"]
    assert table["epsilon"].iloc[-1] < table["epsilon"].iloc[1] < np.inf
    sets = calibrated_set(res)
    draws = posterior_draws(res, compose_config(res["base"], check_region=False), k=50)
    assert len(draws) == 50 and all(set(d) == set(sets) for d in draws)
    lo, hi = min(d[name] for d in draws), max(d[name] for d in draws)
    assert 0.5 <= lo <= hi <= 3.5 and hi > lo
    write_set(tmp_path / "x.yaml", sets, draws, res, opts)
    doc = yaml.safe_load((tmp_path / "x.yaml").read_text())
    assert isinstance(doc["posterior"], list) and doc["posterior"][0] == draws[0]
    got = calibrated_overrides(["calibration=x"], sets=tmp_path)
    assert any(o.startswith(f"{name}=") for o in got)


@pytest.mark.slow  # about 2,000 evaluations at 0.5 s of CPU: 20-30 min on one core
def test_recovery_coverage_over_twenty_truths(tmp_path):
    """90% credible intervals cover the truth 80-98% of the time (the issue's criterion).

    Measured with ``python -m calibration.recovery`` (the same settings and seeds): 33 of 40
    intervals (82.5%); the 7 misses are truths near a prior bound whose threshold had not come
    down to the seed-noise floor in 3 generations. Close to the lower bound: more generations
    (and particles) are the remedy, at about 40% more evaluations per generation.
    """
    from calibration.recovery import PARAMETERS, draw_truths, prior_of, recover, summarise

    prior = prior_of(PARAMETERS)
    table = recover(draw_truths(prior, 20, 1), prior, tmp_path / "runs", log=lambda *_: None)
    cov = summarise(table).set_index("parameter").loc["all", "coverage"]
    assert 0.80 <= cov <= 0.98, summarise(table)
    assert Path(tmp_path / "runs" / "evaluations" / "evaluations.jsonl").exists()
