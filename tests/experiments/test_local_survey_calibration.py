"""Local recalibration (calibration/local.py) and its dispatch from ``tsunagari calibrate``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from calibration.local import is_local_results, local_targets, narrowed_prior
from sim.core.params import ConfigError

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "local_survey_results.csv"
ROOT = Path(__file__).parents[2]


def test_example_results_become_targets():
    t, skipped = local_targets(EXAMPLE)
    from calibration.survey import GROUPS, MEASURES, TARGET_COLUMNS

    assert set(TARGET_COLUMNS) - {"year"} <= set(t.columns)
    assert set(t["measure"]) <= set(MEASURES) and set(t["group"]) <= set(GROUPS)
    # all five answers for 'all' are given: they fit the thresholds; UCLA 10-12 its cut points
    thr = t[t["role"] == "threshold"]
    assert set(thr["measure"]) == {
        "often_always",
        "sometimes",
        "occasionally",
        "hardly_ever",
        "never",
        "ucla3_top",
    }
    fit = t[t["role"] == "fit"]
    assert len(fit) >= 8 and fit["weight"].between(0, 1).all()
    # a row from 73 respondents weighs less than one from 1,050
    w = dict(zip(fit["target"], fit["weight"], strict=True))
    assert w["local_lonely_20_29"] < w["local_lonely_male"] < 1.0
    assert w["local_no_social_activity_all"] == 1.0
    # 'lonely' for all is the sum of two threshold answers: reported, not fitted
    assert set(t[t["role"] == "holdout"]["measure"]) == {"lonely_sometimes_plus", "any_loneliness"}
    assert skipped == []


def test_rows_the_calibration_cannot_measure_are_listed(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text(
        "item,group,share_pct,n\nlonely,all,19,1000\nucla3_7_9,all,25,1000\nlonely,couple,17,300\n",
        encoding="utf-8",
    )
    t, skipped = local_targets(p)
    assert list(t["role"]) == ["fit"]  # without all five answers the national thresholds stay
    assert len(skipped) == 2 and "row 3" in skipped[0] and "row 4" in skipped[1]


def test_no_fit_row_is_an_error(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("item,group,share_pct,n\nucla3_3,all,20,1000\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no row the calibration can fit"):
        local_targets(p)


def test_narrowed_prior_centres_on_the_national_set():
    params = ROOT / "calibration" / "parameters.yaml"
    sets = ROOT / "sim" / "config" / "sets" / "calibrated.yaml"
    doc = narrowed_prior(params, sets, width=0.25)
    national = {p["name"]: p for p in yaml.safe_load(params.read_text())["parameters"]}
    for p in doc["parameters"]:
        lo, hi = national[p["name"]]["low"], national[p["name"]]["high"]
        assert lo <= p["low"] <= p["centre"] <= p["high"] <= hi
        assert p["high"] - p["low"] <= 0.25 * (hi - lo) + 1e-9


def test_results_shape_is_told_from_targets_shape():
    assert is_local_results(EXAMPLE)
    assert not is_local_results(ROOT / "calibration" / "targets.csv")


def test_calibrate_parse_dispatches_and_scopes(tmp_path, monkeypatch):
    from calibration import fit

    monkeypatch.setattr(fit, "calibration_dir", lambda: tmp_path)
    opts, overrides = fit.parse(
        [
            f"targets={EXAMPLE}",
            f"parameters={ROOT / 'calibration' / 'parameters.yaml'}",
            "region=tottori",
            "municipality=倉吉市",
        ],
        quick=True,
    )
    assert opts["name"] == "local"
    assert Path(opts["targets"]).name == "local_targets.csv"
    assert Path(opts["parameters"]).name == "local_parameters.yaml"
    assert opts["check_scale"] == "none"
    assert "region.municipalities=[倉吉市]" in overrides
    assert "calibration=calibrated" in overrides and "population.scale=1.0" in overrides
    with pytest.raises(ConfigError, match=r"^region: "):
        fit.parse([f"targets={EXAMPLE}"], quick=True)
    with pytest.raises(ConfigError, match=r"^municipality: "):
        fit.parse(["municipality=倉吉市"], quick=True)
    # the national calibration is parsed as before
    opts, overrides = fit.parse(["workers=1"], quick=False)
    assert opts["name"] == "calibrated" and Path(opts["targets"]).name == "targets.csv"
    assert overrides == []
