"""Direct tests of the paired comparison (sim/analysis/compare.py) on hand-made result tables.

Two monthly records, 100 simulated residents aged 16+ at scale 0.1 (1,000 at full scale), over
2 years. Shares are binary fractions, so every person-year below is exact:

* baseline lonely (often/always + sometimes): 1/8 + 1/4 and 1/8 + 3/8, mean 7/16:
  7/16 * 1000 * 2 = 875 person-years;
* scenario: 1/8 + 1/8 and 1/16 + 1/4, mean 9/32: 562.5 person-years; averted 312.5.

Costs (yen): baseline municipality 1,000 + 2,000 and npo 500 (3,500 in all); scenario
municipality 4,000 + 4,000, npo 500 and national grant 1,000 (9,500): added 6,000, that is
19.2 yen per lonely person-year averted.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.analysis.compare import (
    PERSON_YEAR_OUTCOMES,
    comparison,
    person_years,
    quantity,
    signed,
    signed_rows,
    total_costs,
)
from sim.engine.model import Results
from sim.policy.levers import FUNDERS

BASE_SHARES = {"often_always": [1 / 8, 1 / 8], "sometimes": [1 / 4, 3 / 8]}
ARM_SHARES = {"often_always": [1 / 8, 1 / 16], "sometimes": [1 / 8, 1 / 4]}
BASE_COSTS = {"municipality": [1000.0, 2000.0], "npo": [500.0, 0.0]}
ARM_COSTS = {"municipality": [4000.0, 4000.0], "npo": [0.0, 500.0], "national_grant": [1000.0, 0]}


def _results(shares: dict, costs: dict, scenario: str) -> Results:
    """Results whose table holds the given shares (other measures 1/4) and costs by funder."""
    rows = []
    measures = {m for ms in PERSON_YEAR_OUTCOMES.values() for m in ms}
    for i, week in enumerate((4, 8)):
        for m in sorted(measures):
            value = shares.get(m, [0.25, 0.25])[i]
            rows.append((week, m, "all", "all", value, 100))
        for f in FUNDERS:
            rows.append((week, "cost_yen", "funder", f, costs.get(f, [0.0, 0.0])[i], 100))
    table = pd.DataFrame(rows, columns=["week", "measure", "dimension", "group", "value", "n"])
    cfg = SimpleNamespace(scenario=scenario, seed=7, years=2, population=SimpleNamespace(scale=0.1))
    return Results(table=table, config=cfg, region=None, n_residents=1000)


@pytest.fixture(scope="module")
def base() -> Results:
    """The baseline arm."""
    return _results(BASE_SHARES, BASE_COSTS, "baseline")


@pytest.fixture(scope="module")
def arm() -> Results:
    """The scenario arm."""
    return _results(ARM_SHARES, ARM_COSTS, "places_first")


def test_person_years_at_full_scale(base: Results, arm: Results) -> None:
    lonely = PERSON_YEAR_OUTCOMES["lonely"]
    assert person_years(base, lonely) == 875.0
    assert person_years(arm, lonely) == 562.5
    assert person_years(base, ("no_social_activity",)) == 500.0


def test_total_costs_by_funder(base: Results, arm: Results) -> None:
    assert total_costs(base) == {
        "national_grant": 0.0, "prefecture": 0.0, "municipality": 3000.0, "npo": 500.0,
        "total": 3500.0,
    }  # fmt: skip
    assert total_costs(arm)["total"] == 9500.0


def test_averted_is_baseline_minus_scenario(base: Results, arm: Results) -> None:
    row = comparison(base, arm).iloc[0]
    assert row["scenario"] == "places_first" and row["seed"] == 7 and row["years"] == 2
    assert row["lonely_person_years_baseline"] == 875.0
    assert row["lonely_person_years_scenario"] == 562.5
    assert row["lonely_person_years_averted"] == 312.5
    assert row["no_social_activity_person_years_averted"] == 0.0


def test_added_cost_is_scenario_minus_baseline(base: Results, arm: Results) -> None:
    row = comparison(base, arm).iloc[0]
    assert row["added_cost_total_yen"] == 6000.0
    assert row["added_cost_municipality_yen"] == 5000.0
    assert row["added_cost_national_grant_yen"] == 1000.0
    assert row["added_cost_npo_yen"] == 0.0
    assert row["cost_per_lonely_person_year_averted_yen"] == pytest.approx(6000 / 312.5)


def test_swapped_arms_flip_every_sign(base: Results, arm: Results) -> None:
    ab = comparison(base, arm).iloc[0]
    ba = comparison(arm, base).iloc[0]
    diffs = [c for c in ab.index if c.endswith("_averted") or c.startswith("added_")]
    assert len(diffs) == len(PERSON_YEAR_OUTCOMES) + len(FUNDERS) + 1
    for c in diffs:
        assert ba[c] == -ab[c]
    assert np.isnan(ba["cost_per_lonely_person_year_averted_yen"])  # nothing averted


def test_identical_arms_give_exactly_zero(base: Results) -> None:
    row = comparison(base, base).iloc[0]
    diffs = [c for c in row.index if c.endswith("_averted") or c.startswith("added_")]
    assert diffs and all(row[c] == 0.0 for c in diffs)
    assert np.isnan(row["cost_per_lonely_person_year_averted_yen"])


def test_decimals_by_unit(base: Results, arm: Results) -> None:
    decimals = comparison(base, arm).attrs["decimals"]
    assert decimals["lonely_person_years_averted"] == 1
    assert decimals["added_cost_total_yen"] == 0
    assert decimals["cost_per_lonely_person_year_averted_yen"] == 0


def test_sign_convention_helpers() -> None:
    assert signed("py_lonely", 10.0, 4.0) == 6.0  # averted: baseline - arm
    assert signed("cost_total", 10.0, 4.0) == -6.0  # added cost: arm - baseline
    assert quantity("py_lonely") == (
        "lonely_person_years", "lonely_person_years_averted", "person-years"
    )  # fmt: skip
    assert quantity("cost_total") == ("cost_total_yen", "added_cost_total_yen", "yen")
    assert quantity("final_lonely") == ("final_lonely_share", "final_lonely_share_averted", "share")


def test_signed_rows_one_line_per_outcome(base: Results, arm: Results) -> None:
    lines = signed_rows(comparison(base, arm)).set_index("outcome")
    assert lines.loc["lonely_person_years", "difference"] == 312.5
    assert lines.loc["lonely_person_years", "difference_name"] == "lonely_person_years_averted"
    assert lines.loc["cost_total_yen", "difference"] == 6000.0
    assert lines.loc["cost_total_yen", "unit"] == "yen"
    assert lines.index[-1] == "cost_per_lonely_person_year_averted_yen"
    assert np.isnan(lines.loc["cost_total_yen", "ci_low"])
