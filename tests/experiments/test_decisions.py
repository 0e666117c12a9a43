"""Decisions under uncertainty: P(best), the CEAC, "not determined", headline bands, posterior
draws, and the budget= keys (fixed tables; no simulation)."""

import numpy as np
import pandas as pd
import pytest

from experiments import compare as cmp
from experiments import design
from experiments.config import budget_spec, compose_experiment
from sim.core.params import ConfigError

# Person-years averted and added cost (yen) of three options in five worlds.
AVERTED = pd.DataFrame(
    {"baseline": [0.0] * 5, "a": [10, 30, 5, 20, 12], "b": [12, 25, 8, 18, 12]},
    index=pd.RangeIndex(5, name="sample"),
)
ADDED = pd.DataFrame(
    {"baseline": [0.0] * 5, "a": [100.0] * 5, "b": [60.0, 70, 50, 60, 60]},
    index=AVERTED.index,
)


def test_p_best_sums_to_one_and_matches_a_hand_count():
    p = cmp.prob_best(AVERTED)
    # a best in worlds 1 and 3; b in 0 and 2; world 4 a tie of a and b (half each)
    assert p["a"] == pytest.approx(2.5 / 5)
    assert p["b"] == pytest.approx(2.5 / 5)
    assert p["baseline"] == 0
    assert p.sum() == pytest.approx(1.0)


def test_p_best_counts_doing_nothing_when_packages_harm():
    averted = pd.DataFrame({"baseline": [0.0, 0.0], "a": [-1.0, 3.0]})
    p = cmp.prob_best(averted)
    assert p["baseline"] == 0.5 and p["a"] == 0.5


def test_ceac_limits_and_shares():
    curve = cmp.ceac(AVERTED, ADDED, wtp_max=1e6, points=51)
    options = ["baseline", "a", "b"]
    assert np.allclose(curve[options].sum(axis=1), 1.0)
    # at zero willingness to pay the option adding least cost (doing nothing) wins everywhere
    assert curve.loc[0, "baseline"] == 1.0
    # at a very high willingness to pay the curve is P(best) on person-years averted (a tie on
    # person-years is broken by cost at any finite willingness to pay, so none here)
    untied = AVERTED.assign(b=[12, 25, 8, 18, 11])
    high = cmp.net_benefit_best(untied, ADDED, 1e12)
    pd.testing.assert_series_equal(high, cmp.prob_best(untied), check_names=False)
    assert cmp.net_benefit_best(AVERTED, ADDED, 1e12)["b"] == pytest.approx(3 / 5)
    # the baseline's share never rises with the willingness to pay
    assert (np.diff(curve["baseline"].to_numpy()) <= 1e-12).all()


def test_ceac_hand_value_at_one_wtp():
    # at 6 yen per person-year: net benefit = 6 x averted - added cost; count the winners
    nb_a = 6 * AVERTED["a"] - ADDED["a"]
    nb_b = 6 * AVERTED["b"] - ADDED["b"]
    nb = pd.DataFrame({"baseline": 0.0, "a": nb_a, "b": nb_b})
    expected = nb.eq(nb.max(axis=1), axis=0).astype(float)
    expected = expected.div(expected.sum(axis=1), axis=0).mean()
    got = cmp.net_benefit_best(AVERTED, ADDED, 6.0)
    pd.testing.assert_series_equal(got, expected, check_names=False)


def test_cost_per_averted_not_determined_when_the_effect_interval_includes_zero():
    value, lo, hi, status = cmp.cost_per_world(np.array([-5.0, 2, 4, 6, 8]), np.full(5, 10.0))
    assert status == cmp.NOT_DETERMINED and np.isnan([value, lo, hi]).all()
    a = np.array([4.0, 5, 6, 5, 5])
    value, lo, hi, status = cmp.cost_per_world(a, np.full(5, 10.0))
    assert status == cmp.DETERMINED
    assert value == pytest.approx(10.0 / 5.0)
    assert lo <= value <= hi and np.isfinite([lo, hi]).all()


def test_decision_table_columns_and_reference_row():
    t = cmp.decision_table(AVERTED, ADDED, years=5).set_index("package")
    assert t["p_best"].sum() == pytest.approx(1.0)
    assert t.loc["baseline", "cost_per_py_status"] == cmp.REFERENCE
    assert t.loc["a", "averted_mean"] == pytest.approx(AVERTED["a"].mean())
    assert t.loc["b", "added_cost_per_year_mean"] == pytest.approx(ADDED["b"].mean() / 5)
    assert t.loc["a", "averted_low"] <= t.loc["a", "averted_mean"] <= t.loc["a", "averted_high"]
    # regret: best minus own, per world
    assert t.loc["a", "max_regret"] == pytest.approx(3.0)


def test_comparison_table_says_not_determined_when_the_interval_includes_zero():
    rows = []
    for pkg, vals in {"baseline": [10, 10, 10, 10], "arm": [9, 11, 8, 12]}.items():
        for r, py in enumerate(vals):
            rows.append({"package": pkg, "sample": 0, "replicate": r, "py_lonely": float(py),
                         "cost_total": 100.0 * (pkg == "arm"), "error": ""})  # fmt: skip
    t = cmp.comparison_table(pd.DataFrame(rows), "baseline", ["arm"], ["py_lonely", "cost_total"])
    wide = cmp.signed_table(t)
    per = "cost_per_lonely_person_year_averted_yen"
    assert np.isnan(wide[per].iloc[0]) and wide[f"{per}_status"].iloc[0] == cmp.NOT_DETERMINED


@pytest.mark.parametrize(
    ("shares", "band", "ja_words", "en_words"),
    [
        ({"a": 0.97, "b": 0.03}, "clear", "はっきり最善", "clearly best"),
        ({"a": 0.85, "b": 0.15}, "probable", "おそらく最善", "probably best"),
        ({"a": 0.5, "b": 0.5}, "none", "区別できません", "not distinguishable"),
        ({"a": 0.79, "b": 0.21}, "none", "区別できません", "not distinguishable"),
    ],
)
def test_headline_follows_the_probability_bands(shares, band, ja_words, en_words):
    p = pd.Series({"baseline": 0.0, **shares})
    assert cmp.confidence_band(max(shares.values())) == band
    ja = cmp.headline(p, "baseline", lang="ja")
    en = cmp.headline(p, "baseline", lang="en")
    assert ja_words in ja and en_words in en
    assert "favour" not in en and "支持" not in ja


def test_headline_calls_no_option_best_with_too_few_worlds():
    p = pd.Series({"baseline": 0.0, "a": 1.0})
    few = cmp.headline(p, "baseline", lang="en", worlds=cmp.MIN_WORLDS - 1)
    assert "no option can be called best" in few and "clearly" not in few
    assert "判断できません" in cmp.headline(p, "baseline", lang="ja", worlds=4)
    assert "clearly best" in cmp.headline(p, "baseline", lang="en", worlds=cmp.MIN_WORLDS)


def test_uncertainty_statement_names_the_calibrated_point_when_there_are_no_draws():
    info = {"mode": "joint", "posterior": "sim/config/sets/calibrated.yaml", "draws": 0,
            "effects": ["services.smd_support"], "seeds_per_world": 1, "worlds": 8}  # fmt: skip
    rows = cmp.uncertainty_rows(info).set_index("source")
    assert rows.loc["calibrated_posterior", "included"] == "no"
    assert "calibrated point only" in rows.loc["calibrated_posterior", "detail"]
    assert "較正の点推定のみ" in cmp.uncertainty_line(info, "ja")
    assert "5 draws" in cmp.uncertainty_line({**info, "draws": 5}, "en")


def _set_with_draws(folder, n=5):
    lines = ["overrides:", "  dynamics.loneliness.gap_effect: 1.35", "posterior:"]
    for i in range(n):
        lines += [f"  - dynamics.loneliness.gap_effect: {1.0 + 0.1 * i}",
                  f"    survey.thresholds: [-1.0, {-0.1 + 0.01 * i}, 0.5, 1.3]"]  # fmt: skip
    (folder / "calibrated.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_posterior_draws_are_read_flattened_and_picked_reproducibly(tmp_path):
    label, draws = design.posterior_draws("calibrated", _set_with_draws(tmp_path))
    assert label.endswith("calibrated.yaml") and len(draws) == 5
    assert draws[2]["dynamics.loneliness.gap_effect"] == pytest.approx(1.2)
    assert draws[3]["survey.thresholds[1]"] == pytest.approx(-0.07)
    a, b = design.pick_draws(4, 5, 7), design.pick_draws(4, 5, 7)
    assert (a == b).all() and len(set(a)) == 4  # without replacement while enough draws
    assert len(design.pick_draws(12, 5, 7)) == 12


def test_a_draw_is_applied_to_the_run_configuration(tmp_path):
    from sim.config import compose_config

    _, draws = design.posterior_draws("calibrated", _set_with_draws(tmp_path))
    cfg = design.apply_values(compose_config(["calibration=none"], check_region=False),
                              {**draws[4], design.POSTERIOR_DRAW: 4.0}, seed=3)  # fmt: skip
    assert cfg.dynamics.loneliness.gap_effect == pytest.approx(1.4)
    assert list(cfg.survey.thresholds)[1] == pytest.approx(-0.06)
    assert cfg.seed == 3


def test_sets_without_a_posterior_give_no_draws(tmp_path):
    (tmp_path / "calibrated.yaml").write_text("overrides:\n  dynamics.ties.decay: 0.02\n")
    assert design.posterior_draws("calibrated", tmp_path)[1] == []
    assert design.posterior_draws("none", tmp_path)[1] == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("posterior: 3\n", "expected a list of draws"),
        ("posterior:\n  - nope.key: 1\n", "not a declared scalar"),
        ("posterior:\n  - dynamics.ties.decay: x\n", "not a number"),
        (
            "posterior:\n  - dynamics.ties.decay: 0.1\n  - dynamics.ties.turnover: 0.1\n",
            "keys differ",
        ),
    ],
)
def test_bad_posterior_sections_raise_one_line(tmp_path, body, message):
    (tmp_path / "calibrated.yaml").write_text("overrides:\n  dynamics.ties.decay: 0.02\n" + body)
    with pytest.raises(ConfigError, match=message):
        design.posterior_draws("calibrated", tmp_path)


def test_compare_design_takes_one_draw_per_world_reproducibly(tmp_path, monkeypatch):
    from experiments.commands import compare_sweep
    from sim.config import compose as cc

    _set_with_draws(tmp_path)
    monkeypatch.setattr(cc, "sets_dir", lambda: tmp_path)
    over = ["population.scale=0.003", "years=2", "burn_in_weeks=8", "packages=[people_first]",
            "seeds=4", "params=[services.smd_support]", f"out={tmp_path / 'o'}"]  # fmt: skip
    a, b = compare_sweep(over), compare_sweep(over)
    info = a.design["uncertainty"]
    assert (
        info["draws"] == 5 and info["worlds"] == 4 and info["effects"] == ["services.smd_support"]
    )
    specs = [s for s in a.specs if s.package == "people_first"]
    picked = [s.values[design.POSTERIOR_DRAW] for s in specs]
    assert len(set(picked)) == 4 and picked == [
        s.values[design.POSTERIOR_DRAW] for s in b.specs if s.package == "people_first"
    ]
    # each world its own seed, shared by the baseline (paired)
    assert len({s.seed for s in specs}) == 4
    base = {s.sample: s.seed for s in a.specs if s.package == "baseline"}
    assert all(base[s.sample] == s.seed for s in specs)


def test_budget_keys():
    assert budget_spec("equal").scale == "equal"
    spec = budget_spec("1.7e8/year")
    assert spec.scale == "per_year" and spec.per_year == pytest.approx(1.7e8)
    assert budget_spec(2e8).cap == 2e8 and budget_spec(None).scale is None
    for bad, words in (("lots", "budget=equal"), ("-5/year", "positive"), (float("nan"), "yen")):
        with pytest.raises(ConfigError, match=words):
            budget_spec(bad)
    cfg, _ = compose_experiment("compare", ["budget=equal"])
    assert cfg.budget == "equal"
    cfg, _ = compose_experiment("compare", ["budget=1.7e8/year"])
    assert budget_spec(cfg.budget).per_year == pytest.approx(1.7e8)


def test_uncertainty_key_is_checked():
    with pytest.raises(ConfigError, match="uncertainty"):
        compose_experiment("compare", ["uncertainty=all"])
    with pytest.raises(ConfigError, match="samples"):
        compose_experiment("compare", ["uncertainty=seeds", "samples=4"])
