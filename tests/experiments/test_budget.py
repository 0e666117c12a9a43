"""Equal-budget scaling: lever sizes scale and stay in range, a package that cannot be scaled is
refused before any run, and a tiny cost-measuring run meets a yearly target within 2%."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from experiments import budget as bd
from experiments.config import BudgetSpec
from sim.core.params import ConfigError
from sim.policy.scenario import load_scenario

TINY = ["population.scale=0.002", "years=2", "burn_in_weeks=4"]


def test_scaled_multiplies_the_package_sizes_only_and_keeps_declared_ranges():
    base, pp = load_scenario("baseline"), load_scenario("people_first")
    assert set(bd.sizes(pp, base)) == {"pp_supporters.per_1000",
                                       "pp_prefecture_dispatch.staff_per_100k"}  # fmt: skip
    half = bd.sizes(bd.scaled(pp, base, 0.5), base)
    assert half["pp_supporters.per_1000"] == pytest.approx(2.0)
    assert half["pp_prefecture_dispatch.staff_per_100k"] == pytest.approx(0.5)
    big = bd.sizes(bd.scaled(pp, base, 1000.0), base)  # held at the declared highs
    assert big["pp_supporters.per_1000"] == pytest.approx(50.0)
    assert big["pp_prefecture_dispatch.staff_per_100k"] == pytest.approx(20.0)
    # the baseline's own levers and fixed-cost levers are untouched
    scaled = {lv.id: lv for lv in bd.scaled(pp, base, 0.5).levers}
    for lv in pp.levers:
        if f"{lv.id}." not in " ".join(half):
            assert scaled[lv.id] == lv


def test_a_package_without_scalable_levers_is_refused(tmp_path):
    base = load_scenario("baseline")
    only_campaign = dataclasses.replace(
        load_scenario("digital_first"),
        name="campaign",
        levers=[lv for lv in load_scenario("digital_first").levers if lv.id.endswith("campaign")],
    )
    with pytest.raises(ConfigError, match="budget: package 'campaign'"):
        bd.check_scalable({"baseline": base, "campaign": only_campaign}, "baseline")


def test_next_factor_brackets_and_stops():
    assert bd._next_factor([(1.0, 200.0)], 100.0) == pytest.approx(0.5)
    k = bd._next_factor([(1.0, 200.0), (0.5, 80.0)], 100.0)
    assert 0.5 < k < 1.0 and k == pytest.approx(0.5 + 20 / 120 * 0.5)
    assert bd._next_factor([(50.0, 10.0)], 100.0) is None  # at the bound


class _CostModel:
    """A stand-in evaluator: a run's total cost is a fixed part plus a step-wise, slightly
    convex cost of the package's sizes (venues come in whole numbers), no simulation."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def evaluate(self, job, specs):
        from experiments.evaluators import RunOutput

        base = load_scenario("baseline")
        for spec in specs:
            sc = job.scenarios[spec.package]
            size = sum(bd.sizes(sc, base).values()) if spec.package != "baseline" else 0.0
            cost = 1e9 + 5e8 + 3e8 * np.floor(40 * size) / 40 + 2e7 * size**2 + 1e6 * spec.sample
            yield RunOutput({"package": spec.package, "cost_total": cost, "error": ""})


def test_equal_budget_converges_on_a_cost_model(tmp_path):
    from types import SimpleNamespace

    base = load_scenario("baseline")
    scenarios = {"baseline": base, "places_first": load_scenario("places_first"),
                 "people_first": load_scenario("people_first")}  # fmt: skip
    ctx = SimpleNamespace(base=SimpleNamespace(years=5), region=None, scenarios=scenarios)
    worlds = [(1, {}), (2, {})]
    result = bd.equalise(ctx, "baseline", BudgetSpec(scale="equal"), worlds, _CostModel())
    for info in result["packages"].values():
        assert abs(info["match"]) <= bd.TOLERANCE * 2 and info["reached"]
    t = result["target_per_year"]
    before = [v["per_year_before"] for v in result["packages"].values()]
    assert t == pytest.approx(np.mean(before))


@pytest.mark.slow
def test_equal_budget_meets_a_yearly_target_within_two_percent(tmp_path):
    from experiments.commands import compare_sweep

    sweep = compare_sweep([*TINY, "packages=[people_first]", "seeds=1", "uncertainty=seeds",
                           f"out={tmp_path / 'o'}"])  # fmt: skip
    worlds = [(s.seed, s.values) for s in sweep.specs if s.package == "baseline"]
    spec = BudgetSpec(scale="per_year", per_year=4.0e7)
    result = bd.equalise(sweep.ctx, "baseline", spec, worlds, cache=tmp_path / "cache")
    info = result["packages"]["people_first"]
    assert abs(info["match"]) <= 0.02 and info["reached"]
    assert info["factor"] < 1  # people_first costs more than 40 M yen a year at defaults
    # cached: the same question is answered without running
    again = bd.equalise(sweep.ctx, "baseline", spec, worlds, cache=tmp_path / "cache")
    assert again == result
    added = pd.DataFrame({"baseline": [0.0], "people_first": [info["per_year"] * 2]})
    row = bd.achieved(added, "baseline", result).iloc[0]
    assert row["match_mean"] == pytest.approx(info["match"], abs=1e-9)
