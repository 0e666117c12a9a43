"""The demography process (issue 17): invariants, rates, common random numbers, bad input.

Runs are small (Tottori at 1-3 % of residents, no burn-in: the process starts at week 0) so the
default suite stays fast; the five-year statistical check is marked ``slow``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.app import cli
from sim.config import compose_config
from sim.core.codes import HouseholdType, Marital
from sim.core.params import ConfigError
from sim.engine.model import LonelinessModel, iter_weeks, record_weeks, run
from sim.engine.recorder import MEASURES
from sim.engine.state import weekly
from sim.policy.levers import Supporters, Venue
from sim.policy.scenario import Scenario, load_scenario

SMALL = ("population.scale=0.01", "years=2", "burn_in_weeks=0")
SURVEY_DIMS = ("all", "age_group", "sex", "household_type", "municipality")


def _cfg(*overrides: str):
    return compose_config([*SMALL, *overrides])


@pytest.fixture(scope="module")
def recorded():
    """A dynamic model (Tottori 0.03, 3 years) stopped right after its last record week.

    Every process of that week ran before the record row, and nothing after it changes who is
    alive or where they live, so the recorded table describes exactly this state.
    """
    cfg = compose_config(["population.scale=0.03", "years=3", "burn_in_weeks=0"])
    m = LonelinessModel(cfg)
    # note each week's arriving households (a spy on this instance; the draws are unchanged)
    newcomers = m.components["demography"].newcomers
    settle = newcomers._settle
    m.arrivals = []

    def spy(model, demo, mun, age, sex, d, couple, u):
        m.arrivals.append((couple.size, int(couple.sum()), newcomers.couples))
        return settle(model, demo, mun, age, sex, d, couple, u)

    newcomers._settle = spy
    last = int(record_weeks(cfg.start_date, cfg.years)[-1])
    for _ in iter_weeks(m, until=last + 1):
        pass
    return m, last


def _living(m):
    return np.flatnonzero(m.pop.age >= 0)


# -- invariants after a few years ----------------------------------------------------------


def test_household_counts_are_the_living_members(recorded):
    m, _ = recorded
    pop, hh = m.pop, m.components["demography"].households
    alive = pop.age >= 0
    count = np.bincount(pop.household[alive], minlength=hh.count.size)
    assert hh.count.size == pop.household_type.size
    assert hh.count[hh.holding] == 0  # inactive slots are no members
    np.testing.assert_array_equal(hh.count, count)
    assert (pop.household[~alive] == hh.holding).all()
    assert not (pop.household[alive] == hh.holding).any()
    # the run did change households: deaths, moves, births and new homes all happened
    c = m.counts["demography"]
    for key in ("deaths", "out_migrants", "births", "in_migrants", "marriages", "left_home"):
        assert c[key] > 0, key


def test_cohabitants_follow_household_counts_and_partners(recorded):
    """The exact relation the code keeps between ``cohabitants`` and the household count.

    ``cohabitants`` counts the other living members of the household, plus one for a partner
    who is not a resident (``partner_home`` with ``pop.partner < 0``: a life-event re-partnering),
    minus one for a resident partner who still lives there but is no longer "at home" for this
    resident (``partner_home`` False with ``pop.partner >= 0``; with demography a separation
    moves the partner out, so this term is now always zero).
    """
    m, _ = recorded
    pop, r = m.pop, m.res
    count = m.components["demography"].households.count
    liv = _living(m)
    abstract = r.partner_home[liv] & (pop.partner[liv] < 0)
    separated = ~r.partner_home[liv] & (pop.partner[liv] >= 0)
    expected = count[pop.household[liv]] - 1 + abstract - separated
    np.testing.assert_array_equal(r.cohabitants[liv], expected)
    assert (r.cohabitants >= 0).all()
    assert abstract.sum() > 0  # the relation is exercised


def test_resident_partners_live_at_home_with_each_other(recorded):
    """Without a non-resident partner, ``cohabitants == count[household] - 1`` exactly."""
    m, _ = recorded
    pop, r = m.pop, m.res
    count = m.components["demography"].households.count
    liv = _living(m)
    plain = ~(r.partner_home[liv] & (pop.partner[liv] < 0))
    who = liv[plain]
    # partner_home implies a resident partner for them, and a resident partner is at home
    np.testing.assert_array_equal(r.partner_home[who], pop.partner[who] >= 0)
    np.testing.assert_array_equal(r.cohabitants[who], count[pop.household[who]] - 1)


def test_death_of_a_separated_partner_is_counted_once():
    m = LonelinessModel(_cfg())
    pop, r = m.pop, m.res
    demo = m.components["demography"]
    count = demo.households.count
    liv = _living(m)
    p = pop.partner[liv]
    pair = (p >= 0) & (count[pop.household[liv]] == 2) & (pop.age[liv] < 60)
    pair &= pop.household[np.maximum(p, 0)] == pop.household[liv]
    i = int(liv[pair][0])
    j = int(pop.partner[i])
    m.components["life_events"]._apply(m, np.array([j]), np.array([0]))  # j separates
    assert r.marital[j] == Marital.WIDOWED_DIVORCED and not r.partner_home[j]
    demo._remove(m, np.array([i]), np.zeros(0, np.int64))  # then i dies
    demo.households.apply(pop, r, np.array([i]))
    assert demo.households.count[pop.household[j]] == 1
    assert r.cohabitants[j] == 0  # alone now: measured -1


def test_partners_are_symmetric_alive_and_together(recorded):
    m, _ = recorded
    pop = m.pop
    liv = _living(m)
    who = liv[pop.partner[liv] >= 0]
    assert who.size > 100
    partner = pop.partner[who]
    np.testing.assert_array_equal(pop.partner[partner], who)
    assert (pop.age[partner] >= 0).all()
    np.testing.assert_array_equal(pop.household[partner], pop.household[who])
    assert (pop.partner[pop.age < 0] == -1).all()


def test_inactive_slots_take_no_part(recorded):
    m, _ = recorded
    pop, r, svc = m.pop, m.res, m.svc
    gone = np.flatnonzero(pop.age < 0)
    assert gone.size > 0
    np.testing.assert_array_equal(m.alive, pop.age >= 0)
    f = m.friends
    inactive = pop.age < 0
    assert not inactive[f.src].any() and not inactive[f.dst].any()
    assert (m.groups.of_resident[gone] == -1).all()
    assert (r.group[gone] == -1).all()
    assert (svc.venue[gone] == -1).all()
    assert not r.lonely[gone].any()
    assert (r.cohabitants[gone] == 0).all()
    assert not r.partner_home[gone].any()


def test_survey_counts_living_residents_16_plus_at_the_record(recorded):
    m, last = recorded
    t = m.recorder.table(m.start_date)
    rows = t[(t["week"] == last) & (t["dimension"] == "all") & t["measure"].isin(MEASURES)]
    assert not rows.empty
    surveyed = int((m.pop.age >= 16).sum())
    assert surveyed < int((m.pop.age >= 0).sum())
    assert set(rows["n"]) == {surveyed}
    # the age groups partition the same residents
    ages = t[(t["week"] == last) & (t["dimension"] == "age_group") & (t["measure"] == "never")]
    assert ages["n"].sum() == surveyed


def test_one_person_households_made_by_demography_are_single(recorded):
    """Every household whose members changed is re-typed; one living member is SINGLE.

    Households of one member at the start that nobody joined or left keep the synthesised
    type, which can be OTHER (see the xfail test of the synthesis below), so this test looks
    at households that were not one-person households at the start (new, emptied and reused,
    or shrunk to one member).
    """
    m, _ = recorded
    pop = m.pop
    count = m.components["demography"].households.count
    start = pop.household_size  # the synthesised sizes (0 for spare and appended households)
    assert start.size == count.size
    one = np.flatnonzero((count == 1) & ~pop.household_institutional & (start != 1))
    assert one.size > 100
    assert (pop.household_type[one] == HouseholdType.SINGLE).all()
    # couples living alone together are typed as couples
    liv = _living(m)
    coupled = liv[pop.partner[liv] >= 0]
    two = coupled[count[pop.household[coupled]] == 2]
    hh = pop.household[two]
    hh = hh[~pop.household_institutional[hh]]
    assert (pop.household_type[hh] == HouseholdType.COUPLE).all()


def test_arriving_couples_come_at_the_assumed_share(recorded):
    m, _ = recorded
    a = np.array(m.arrivals, dtype=float)
    assert a[:, 0].sum() > 500
    realized = a[:, 1].sum() / a[:, 0].sum()
    assumed = float(np.average(a[:, 2], weights=a[:, 0]))
    assert realized == pytest.approx(assumed, rel=0.15)


# -- births: the weekly hazard -------------------------------------------------------------


def test_birth_hazard_gives_the_fertility_of_all_women():
    m = LonelinessModel(compose_config(["population.scale=0.03", "years=1", "burn_in_weeks=0"]))
    pop, r = m.pop, m.res
    demo, rates = m.components["demography"], m.demography_rates
    a = np.clip(pop.age, 0, rates.ages - 1)
    women = (pop.age >= 0) & (pop.sex == 1)
    expected = rates.fertility[pop.municipality[women], a[women]].sum()
    mothers = women & r.partner_home & (pop.age < 50)
    per_year = 52.0 * demo.birth[pop.municipality[mothers], a[mothers]].astype(float).sum()
    assert per_year == pytest.approx(expected, rel=0.03)


# -- rates over five years -----------------------------------------------------------------


@pytest.mark.slow
def test_five_years_of_deaths_births_and_migration_follow_the_rates():
    """Counts against the expectation of the declared rates applied to the living residents.

    Expectations are summed week by week over the residents then living (deaths and
    out-migration at the weekly hazard of their annual probability, with the declared mortality
    improvement; births at the annual fertility of all women / 52); in-migrants at the municipal
    rate times the census population (the process brings a fixed flow). About 1150 deaths,
    550 births, 2200 out- and 2100 in-migrants: the tolerances are 3-7 standard deviations of
    the counts. Before the birth hazard was taken as a rate (a 52nd a week) and donors were
    drawn at random within their cell, births ran about 9 % high and in-migrants 11 % low;
    both are fixed, and their own tests above check them.
    """
    cfg = compose_config(["population.scale=0.03", "years=5", "burn_in_weeks=0"])
    m = LonelinessModel(cfg)
    pop, rates = m.pop, m.demography_rates
    improve = 1.0 - cfg.dynamics.demography.mortality_improvement
    start = int((pop.age >= 0).sum())
    census = np.bincount(pop.municipality[pop.age >= 0], minlength=rates.in_migrants.size)
    exp = dict.fromkeys(("deaths", "births", "out_migrants"), 0.0)
    for week in range(cfg.years * 52):
        alive = pop.age >= 0
        a = np.clip(pop.age[alive], 0, rates.ages - 1)
        mun, sex = pop.municipality[alive], pop.sex[alive]
        q = -np.expm1(np.log1p(-rates.death[mun, a, sex]) * improve ** (week // 52))
        exp["deaths"] += weekly(q).astype(float).sum()
        exp["births"] += rates.fertility[mun, a][sex == 1].sum() / 52.0
        exp["out_migrants"] += weekly(rates.out_migration[mun, a, sex]).astype(float).sum()
        m.step()
    exp["in_migrants"] = float((rates.in_migrants * census).sum() * cfg.years)
    c = m.counts["demography"]
    assert c["deaths"] == pytest.approx(exp["deaths"], rel=0.10)
    assert c["births"] == pytest.approx(exp["births"], rel=0.15)
    assert c["out_migrants"] == pytest.approx(exp["out_migrants"], rel=0.15)
    assert c["in_migrants"] == pytest.approx(exp["in_migrants"], rel=0.15)
    assert c["births_without_slot"] == 0 and c["arrivals_without_slot"] == 0
    end = int((pop.age >= 0).sum())
    assert end == start - c["deaths"] - c["out_migrants"] + c["births"] + c["in_migrants"]
    assert 0.90 * start < end < start  # measured -4.8 % (seed 42)


# -- common random numbers and reproducibility ---------------------------------------------


@pytest.fixture(scope="module")
def baseline():
    return run(_cfg(), keep_model=True)


def _demographic_history(res):
    m = res.model
    return m.pop.age, m.alive, m.pop.household, m.pop.sex, m.pop.partner


def _survey(res) -> pd.DataFrame:
    t = res.table
    keep = t["dimension"].isin(SURVEY_DIMS) & t["measure"].isin([*MEASURES, "population"])
    return t[keep].reset_index(drop=True)


def test_policy_package_sees_the_same_demographic_history(baseline):
    package = run(_cfg(), scenario=load_scenario("people_first"), keep_model=True)
    for a, b in zip(_demographic_history(baseline), _demographic_history(package), strict=True):
        np.testing.assert_array_equal(a, b)
    assert baseline.counts["demography"] == package.counts["demography"]
    # the package did act: its services reached residents the baseline did not
    served = [
        r.table.loc[r.table["measure"] == "served", "value"].sum() for r in (baseline, package)
    ]
    assert served[1] > served[0]


def test_zero_coverage_package_reproduces_the_baseline_exactly(baseline):
    base = load_scenario("baseline")
    zero = Scenario(
        name="zero",
        levers=[
            *base.levers,
            Supporters(id="z_supporters", per_1000=0.0),
            Venue(id="z_venue", per_zone=0.0),
        ],
        source="<zero>",
    )
    arm = run(_cfg(), scenario=zero, keep_model=True)
    pd.testing.assert_frame_equal(_survey(baseline), _survey(arm), check_exact=True)
    for a, b in zip(_demographic_history(baseline), _demographic_history(arm), strict=True):
        np.testing.assert_array_equal(a, b)


def test_same_seed_same_numbers_bit_for_bit(baseline):
    again = run(_cfg(), keep_model=True)
    pd.testing.assert_frame_equal(baseline.table, again.table, check_exact=True)
    assert baseline.counts == again.counts
    for a, b in zip(_demographic_history(baseline), _demographic_history(again), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(baseline.model.res.latent, again.model.res.latent)


def test_static_population_neither_ages_nor_changes():
    cfg = _cfg("demography=static", "years=1")
    start = LonelinessModel(cfg).pop
    res = run(cfg, keep_model=True)
    m = res.model
    assert m.alive is None
    assert "demography" not in res.counts
    assert m.pop.n == start.n
    np.testing.assert_array_equal(m.pop.age, start.age)
    np.testing.assert_array_equal(m.pop.household, start.household)
    assert (m.pop.age >= 0).all()
    t = res.table
    n = t[(t["measure"] == "never") & (t["dimension"] == "all")]["n"]
    assert set(n) == {int((start.age >= 16).sum())}


# -- bad input -----------------------------------------------------------------------------


def test_unknown_demography_is_a_one_line_config_error():
    with pytest.raises(ConfigError) as err:
        compose_config(["demography=sometimes"])
    msg = str(err.value)
    assert "demography" in msg and "sometimes" in msg
    assert "\n" not in msg


def test_cli_refuses_unknown_demography_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    status = cli.main(["run", "demography=sometimes", f"output_dir={tmp_path / 'out'}"])
    _, err = capsys.readouterr()
    lines = err.splitlines()
    assert status != 0
    assert len(lines) == 1 and "demography" in lines[0], err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()
