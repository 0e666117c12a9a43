"""The default model gives a plausible picture, and the recorder's tables are consistent."""

import numpy as np
import pytest

from sim.config import compose_config
from sim.core.codes import HouseholdType
from sim.core.params import ConfigError
from sim.engine.model import STEP_ORDER, record_weeks, run

# pre-calibration settings: the plausibility checks are about the uncalibrated engine
BASE = ["population.scale=0.03", "years=1", "burn_in_weeks=104", "seed=11"]


def _uncalibrated(extra=()):
    overrides = [*BASE, *extra]
    try:
        return compose_config([*overrides, "calibration=none"])
    except ConfigError:  # before calibration exists the key is unknown
        return compose_config(overrides)


@pytest.fixture(scope="module")
def results():
    return run(_uncalibrated(), keep_model=True)


def _value(t, measure, dimension="all", group="all"):
    rows = t[(t["measure"] == measure) & (t["dimension"] == dimension) & (t["group"] == group)]
    return rows.sort_values("week")["value"].to_numpy()


def test_between_a_quarter_and_a_half_report_some_loneliness(results):
    any_ = _value(results.table, "any_loneliness")
    assert 0.25 <= any_.mean() <= 0.5


def test_younger_adults_and_people_living_alone_are_lonelier(results):
    t = results.table
    young = np.mean([_value(t, "often_always", "age_group", g).mean() for g in ("20-29", "30-39")])
    old = _value(t, "often_always", "age_group", "70-79").mean()
    alone = _value(t, "often_always", "household_type", str(int(HouseholdType.SINGLE))).mean()
    family = _value(
        t, "often_always", "household_type", str(int(HouseholdType.COUPLE_CHILDREN))
    ).mean()
    assert young > 1.3 * old
    assert alone > 1.5 * family


def test_five_categories_sum_to_one_for_every_group(results):
    t = results.table
    cats = t[
        t["measure"].isin(["never", "hardly_ever", "occasionally", "sometimes", "often_always"])
    ]
    sums = cats[cats["n"] > 0].groupby(["week", "dimension", "group"])["value"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-6)


def test_group_counts_add_up_to_the_surveyed_population(results):
    t = results.table
    never = t[t["measure"] == "never"]
    for week in (t["week"].min(), t["week"].max()):
        rows = never[never["week"] == week]
        adults = int(rows.loc[rows["dimension"] == "all", "n"].iloc[0])
        pop = t[
            (t["week"] == week) & (t["measure"] == "population") & (t["dimension"] == "age_group")
        ]
        # the survey counts living residents aged 16+: every age group but 0-15
        assert pop.loc[pop["group"] != "0-15", "n"].sum() == adults
        for dim in ("age_group", "sex", "household_type", "municipality"):
            assert rows.loc[rows["dimension"] == dim, "n"].sum() == adults, (week, dim)
    m = results.model
    if results.config.demography == "static":
        assert adults == int((m.pop.age >= 16).sum())


def test_records_are_monthly_and_dated(results):
    t = results.table
    weeks = np.sort(t["week"].unique())
    assert np.array_equal(weeks, record_weeks(results.config.start_date, results.config.years))
    days = t.drop_duplicates("week")["date"].str[-2:].astype(int)
    assert (days <= 7).all()


def test_step_order_is_the_documented_one():
    assert STEP_ORDER == (
        "demography", "life_events", "contacts", "ties", "outreach", "loneliness",
        "noticing", "help_seeking", "consultation", "costs", "record",
    )  # fmt: skip


def test_life_events_keep_the_age_profile_of_states_stationary():
    cfg = _uncalibrated(["years=3", "burn_in_weeks=0"])
    r = run(cfg, keep_model=True)
    m = r.model
    start = m.pop  # static census attributes
    old = start.age >= 80
    limited_share = m.res.limited[old].mean()
    declared = cfg.dynamics.events.mobility_limited[-1]
    assert abs(limited_share - declared) < 0.06
    employed_75 = (m.res.activity[start.age >= 75] == 2).mean()
    initial_75 = (start.activity[start.age >= 75] == 2).mean()
    assert abs(employed_75 - initial_75) < 0.02
