"""Per-row timing of the benchmark (`benchmark.py --rows`); no timing is asserted."""

from __future__ import annotations

from experiments.bench_measure import measure_plan_rows
from experiments.benchmark import in_child, render_rows

OVERRIDES = ["population.scale=0.003", "years=1", "burn_in_weeks=1"]


def test_plan_rows_cover_the_step_and_profile_demography():
    dyn = in_child(measure_plan_rows, [*OVERRIDES, "demography=dynamic"], 1, 2)
    sta = in_child(measure_plan_rows, [*OVERRIDES, "demography=static"], 1, 2, "")
    assert "demography" in dyn["rows"] and "demography" not in sta["rows"]
    for r in (dyn, sta):
        wall = sum(v["wall_s"] for v in r["rows"].values())
        assert abs(wall - r["total_wall_s"]) < 1e-9  # "other" closes the sum
        assert r["alive"] <= r["slots"]
    assert dyn["slots"] > dyn["alive"]  # reserved slots for births and arrivals
    assert "demography.py" in dyn["profile"] and sta["profile"] == ""
    dyn["load"] = sta["load"] = [1.0, 1.0]
    text = render_rows({"overrides": OVERRIDES, "weeks": 2, "dynamic": dyn, "static": sta})
    assert "| demography |" in text and "| total |" in text and "dynamic / static" in text
