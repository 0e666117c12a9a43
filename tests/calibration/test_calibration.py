"""Calibration: the calibrated default matches the survey; the fitting recovers known values."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from calibration.abc import Prior, accept, propose
from calibration.fit import calibration_dir, run_abc
from calibration.store import EvaluationStore
from calibration.survey import (
    CATEGORIES,
    fit_thresholds,
    load_targets,
    measure,
    run_to_december,
    survey,
    with_values,
)
from sim.config import compose_config, load_configured_region, sets_dir
from sim.core.rng import Streams
from sim.world.population import synthesize

#: five-category tolerance of the calibrated default (percentage points, 2023 survey)
CATEGORY_TOLERANCE = 1.5


def _december(overrides, targets, **kw):
    cfg = compose_config(overrides, check_region=False)
    region = load_configured_region(cfg)
    pop = synthesize(region, cfg.population, Streams(cfg.seed))
    model = run_to_december(cfg, region, pop)
    return model, measure(model, survey(model, targets, **kw), targets)


@pytest.mark.skipif(not (sets_dir() / "calibrated.yaml").is_file(), reason="no calibrated set yet")
def test_calibrated_default_reproduces_survey_categories():
    targets = load_targets(calibration_dir() / "targets.csv")
    _, v = _december(["region=japan", "population.scale=0.0002"], targets, fit=False)
    for row in targets[targets["role"] == "threshold"].itertuples():
        if row.measure in CATEGORIES:
            assert abs(v[row.target] - row.value_pct) <= CATEGORY_TOLERANCE, row.target
    assert v["age_20s_2021"] > v["age_70s_2021"]  # younger adults lonelier (survey: 7.7 vs 1.8)
    assert v["single_household_2022"] > v["cat_often_always_2023"]  # living alone: lonelier


def test_thresholds_reproduce_shares_exactly():
    x = np.random.default_rng(0).standard_normal(100_000)
    shares = [18.17, 42.03, 20.0, 15.03, 4.87]
    cuts = fit_thresholds(x, shares)
    got = np.bincount(np.searchsorted(cuts, x), minlength=5) / x.size * 100
    assert np.allclose(got, 100 * np.asarray(shares) / sum(shares), atol=0.01)


def test_proposals_are_deterministic():
    prior = Prior(["a", "b"], np.zeros(2), np.ones(2))
    g0 = propose(0, None, prior, 20, seed=3)
    gen = accept(0, g0, np.linspace(1, 2, 20), None, prior, 0.3)
    assert np.array_equal(propose(1, gen, prior, 20, 3), propose(1, gen, prior, 20, 3))
    assert prior.inside(propose(1, gen, prior, 20, 3)).all()


def test_store_drops_torn_line_and_checks_settings(tmp_path):
    s = EvaluationStore(tmp_path, {"x": 1})
    s.append({"key": "g0:0", "distance": 1.0})
    with open(s.path, "a") as fh:
        fh.write('{"key": "g0:1", "dist')  # interrupted mid-write
    s2 = EvaluationStore(tmp_path, {"x": 1})
    assert list(s2.records) == ["g0:0"]
    s2.append({"key": "g0:1", "distance": 2.0})
    assert [json.loads(line)["key"] for line in s2.path.read_text().splitlines()] == [
        "g0:0",
        "g0:1",
    ]
    with pytest.raises(ValueError, match="other settings"):
        EvaluationStore(tmp_path, {"x": 2})


TRUTH = {"dynamics.loneliness.gap_effect": 2.6, "dynamics.loneliness.no_confidant": 1.1}
PRIOR = {
    "dynamics.loneliness.gap_effect": (0.5, 3.5),
    "dynamics.loneliness.no_confidant": (0.2, 1.6),
}
TINY = ["region=tottori", "population.scale=0.01", "burn_in_weeks=26", "calibration=none"]


@pytest.mark.slow  # a long statistical check: 144 model runs (about 45 s of the default suite)
def test_fit_recovers_known_parameters(tmp_path):
    """Targets generated with known values of two parameters; ABC recovers them.

    Statistical, not knife-edge: 48 particles and quantile 0.25 keep 12 per generation, so the
    posterior sd is estimated to about +-20%. Since someone to rely on became a dynamic state
    (partner at home, close friend, relative met), the group with no one is about 2% of
    residents, so no_confidant is identified less sharply at this scale: measured with AVX-512
    off (abc_seed 1) sd over prior sd 0.58 for gap_effect and 0.67 for no_confidant, means
    within 0.2 of the prior width; the joint shrinkage (product 0.39) is the firm check.
    """
    rows = [(f"c_{c}", c, "all", "threshold") for c in CATEGORIES] + [
        ("oa_20s", "often_always", "age_20s", "fit"),
        ("oa_70s", "often_always", "age_70s", "fit"),
        ("oa_alone", "often_always", "single_person_household", "fit"),
        ("oa_noconf", "often_always", "no_one_to_consult", "fit"),
        ("oa_conf", "often_always", "has_someone_to_consult", "fit"),
        ("any_noconf", "any_loneliness", "no_one_to_consult", "fit"),
    ]
    t = pd.DataFrame(rows, columns=["target", "measure", "group", "role"])
    t["year"], t["weight"], t["source"], t["value_pct"] = 2023, 1.0, "synthetic", 0.0
    cfg = compose_config(TINY, check_region=False)
    region = load_configured_region(cfg)
    pop = synthesize(region, cfg.population, Streams(cfg.seed))
    model = run_to_december(with_values(cfg, TRUTH), region, pop)
    t["value_pct"] = t["target"].map(measure(model, survey(model, t, fit=False), t))
    t.to_csv(tmp_path / "targets.csv", index=False)
    entries = [{"name": k, "low": lo, "high": hi} for k, (lo, hi) in PRIOR.items()]
    (tmp_path / "p.yaml").write_text(json.dumps({"parameters": entries}))
    opts = {
        "targets": str(tmp_path / "targets.csv"),
        "parameters": str(tmp_path / "p.yaml"),
        "workers": "2",  # a process pool: the same evaluation records as one worker
        "generations": "3",
        "particles": "48",
        "quantile": "0.25",
        "abc_seed": "1",
    }
    res = run_abc(opts, TINY[:3], out=tmp_path / "run", log=lambda *_: None)
    last, prior = res["generations"][-1], res["prior"]
    width = prior.high - prior.low
    truth = np.array([TRUTH[k] for k in prior.names])
    # gap_effect within 0.2 of the prior width; no_confidant, identified less sharply (above),
    # within 0.3: on the population of 770e561 it came out 0.78 for the truth 1.1 (AVX-512 on)
    tol = np.where(np.array(prior.names) == "dynamics.loneliness.no_confidant", 0.3, 0.2)
    assert np.all(np.abs(last.mean() - truth) < tol * width), (last.mean(), truth)
    shrink = last.sd() / prior.sd()
    assert shrink[prior.names.index("dynamics.loneliness.no_confidant")] < 0.85, shrink
    assert np.all(shrink < 1.0) and np.prod(shrink) < 0.5, shrink  # jointly, spread shrank
    # rerunning the same calibration resumes: nothing is re-evaluated, results are identical
    again = run_abc(opts, TINY[:3], out=tmp_path / "run", log=lambda *_: None)
    assert again["evaluations"] == res["evaluations"]
    assert np.array_equal(again["generations"][-1].mean(), last.mean())


@pytest.mark.skipif(not (sets_dir() / "calibrated.yaml").is_file(), reason="no calibrated set yet")
def test_calibrated_set_is_default_and_user_overrides_win():
    import yaml

    sets = yaml.safe_load((sets_dir() / "calibrated.yaml").read_text())["overrides"]
    cfg = compose_config([], check_region=False)
    assert cfg.calibration == "calibrated"
    assert cfg.survey.thresholds == pytest.approx(sets["survey.thresholds"])
    mine = compose_config(["dynamics.loneliness.gap_effect=0.9"], check_region=False)
    assert mine.dynamics.loneliness.gap_effect == 0.9
    assert mine.survey.thresholds == pytest.approx(sets["survey.thresholds"])
    none = compose_config(["calibration=none"], check_region=False)
    assert none.survey.thresholds == [-1.05, 0.05, 0.6, 1.5]
    with pytest.raises(ValueError, match="no calibrated set 'nosuch'"):
        compose_config(["calibration=nosuch"], check_region=False)
