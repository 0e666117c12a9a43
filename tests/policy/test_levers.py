"""Levers move the outcomes they should, on common random numbers against the paired baseline.

Small Tottori runs (3% of residents, 52 weeks of burn-in, 4 years from 2025-04-06; the library's
levers start on 2026-04-01 = week 51) on fixed seeds. Service flows are at full population
scale (persons per month); shares are of residents aged 16+. Where one seed is too noisy, the
mean paired difference over two seeds is used. Tolerances are stated next to each assertion.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pandas as pd

from sim.config import compose_config
from sim.engine.model import Results, run
from sim.engine.recorder import MEASURES
from sim.policy.levers import (
    Awareness,
    Consultation,
    Lever,
    Platform,
    PrefectureSupport,
    Supporters,
    Venue,
    WelfareVolunteers,
)
from sim.policy.scenario import Scenario, load_scenario, week_of

START = "2026-04-01"
SEEDS = (1, 2)
YEARS = 4
SURVEY_DIMS = ("all", "age_group", "sex", "household_type", "municipality")
LONELY = ("often_always", "sometimes")


def _cfg(seed: int):
    # the calibrated default (the pre-calibration defaults left supporters' effect on loneliness
    # and isolation within seed noise after the mechanism changes)
    return compose_config(
        [
            "population.scale=0.03",
            f"years={YEARS}",
            "burn_in_weeks=52",
            f"seed={seed}",
        ]
    )


K = week_of(START, _cfg(1).start_date, 0)  # first intervention week (51)


@cache
def _run(name: str, seed: int) -> Results:
    return run(_cfg(seed), scenario=load_scenario(name))


def _with(*levers: Lever, name: str = "test", base: str = "baseline") -> Scenario:
    """The baseline plus ``levers`` (a package built in the test)."""
    b = load_scenario(base)
    return Scenario(name=name, levers=[*b.levers, *levers], source=f"<{name}>")


def _survey(results: Results) -> pd.DataFrame:
    t = results.table
    rows = t[t["dimension"].isin(SURVEY_DIMS) & t["measure"].isin(MEASURES)]
    return rows.reset_index(drop=True)


def _series(results: Results, measure: str, dimension: str = "all", group: str = "all"):
    t = results.table
    rows = t[(t["measure"] == measure) & (t["dimension"] == dimension) & (t["group"] == group)]
    return rows.set_index("week")["value"]


def _lonely(results: Results, dimension: str = "all", groups: tuple[str, ...] = ("all",)):
    """Share often/always or sometimes lonely per week (n-weighted over ``groups``)."""
    t = results.table
    rows = t[(t["dimension"] == dimension) & t["group"].isin(groups) & t["measure"].isin(LONELY)]
    num = (rows["value"] * rows["n"]).groupby(rows["week"]).sum()
    den = rows[rows["measure"] == LONELY[0]].groupby("week")["n"].sum()
    return num / den


def _mean_diff(name: str, get, weeks=lambda w: w >= K) -> float:
    """Mean over seeds of the mean paired difference scenario - baseline over ``weeks``."""
    out = []
    for seed in SEEDS:
        d = get(_run(name, seed)) - get(_run("baseline", seed))
        out.append(float(d[weeks(d.index)].mean()))
    return float(np.mean(out))


# -- common random numbers ------------------------------------------------------------------


def test_zero_coverage_reproduces_the_baseline_exactly():
    zero = _with(
        Supporters(id="z_supporters", per_1000=0.0),
        Venue(id="z_venue", per_zone=0.0),
        Consultation(id="z_sns", channel="sns", capacity_per_10k=0.0),
        Consultation(id="z_office", channel="office", capacity_per_10k=0.0, info_sharing=1.0),
        WelfareVolunteers(id="z_minsei", fill_rate=0.0, allowance_per_year=0.0),
        Platform(id="z_platform", members=0, cost_per_week=0.0),
        PrefectureSupport(id="z_pref", staff_per_100k=0.0, training_boost=0.0),
        name="zero",
    )
    base, arm = _run("baseline", 1), run(_cfg(1), scenario=zero)
    pd.testing.assert_frame_equal(_survey(base), _survey(arm), check_exact=True)
    flows = ("noticed", "referred", "served", "venue_members", "visits", "cases_broken")
    for m in flows:
        pd.testing.assert_series_equal(_series(base, m), _series(arm, m), check_exact=True)


def test_awareness_at_zero_reach_reproduces_the_baseline():
    zero = _with(Awareness(id="z_campaign", reach=0.0, cost_per_week=0.0), name="zero_campaign")
    pd.testing.assert_frame_equal(
        _survey(_run("baseline", 1)), _survey(run(_cfg(1), scenario=zero)), check_exact=True
    )


def _every_lever_package() -> Scenario:
    common = {"start": START, "funder": "national_grant"}
    return _with(
        Venue(id="p_salon", per_zone=2.0, capacity=60, role_share=0.5, **common),
        Venue(id="p_online", online=True, per_zone=0.5, capacity=60, **common),
        Supporters(id="p_supporters", per_1000=5.0, **common),
        WelfareVolunteers(id="p_minsei", fill_rate=1.0, visits_per_month=2.0, **common),
        Consultation(id="p_sns", channel="sns", capacity_per_10k=2.0, **common),
        Awareness(id="p_campaign", reach=0.5, **common),
        Platform(id="p_platform", members=30, **common),
        PrefectureSupport(id="p_pref", staff_per_100k=2.0, **common),
        name="every_lever",
    )


@cache
def _package(seed: int) -> Results:
    return run(_cfg(seed), scenario=_every_lever_package())


def test_arms_identical_up_to_the_first_intervention_date():
    base, arm = _survey(_run("baseline", 1)), _survey(_package(1))
    assert K == 51
    before_b, before_a = base[base["week"] < K], arm[arm["week"] < K]
    assert len(before_b) > 0
    pd.testing.assert_frame_equal(
        before_b.reset_index(drop=True), before_a.reset_index(drop=True), check_exact=True
    )
    after_b, after_a = base[base["week"] >= K], arm[arm["week"] >= K]
    changed = ~np.isclose(after_b["value"].to_numpy(), after_a["value"].to_numpy(), equal_nan=True)
    assert changed.mean() > 0.5  # most survey rows differ once the levers run
    # service flows are identical before too (the new levers have not run)
    for m in ("noticed", "referred", "waiting_entered", "served", "visits", "venue_members"):
        b, a = _series(_run("baseline", 1), m), _series(_package(1), m)
        pd.testing.assert_series_equal(b[b.index < K], a[a.index < K], check_exact=True)
        assert (b[b.index >= K] != a[a.index >= K]).any(), m


# -- directions of single-lever scenarios ---------------------------------------------------


def test_supporters_notice_and_refer_more():
    # baseline noticing is about 3,900 residents a month; supporters at 5/1000 more than double it
    noticed = _mean_diff("supporters", lambda r: _series(r, "noticed"))
    referred = _mean_diff("supporters", lambda r: _series(r, "referred"))
    base = np.mean([_series(_run("baseline", s), "noticed").loc[K:].mean() for s in SEEDS])
    assert noticed > 0.5 * base
    assert referred > 0.25 * base
    # before the start date nothing differs
    assert _mean_diff("supporters", lambda r: _series(r, "noticed"), lambda w: w < K) == 0.0


def test_supporters_lower_loneliness_and_leave_isolation_unchanged():
    # measured (4 years, mean of 2 seeds): lonely -0.067 points (AVX-512 on) and -0.020 (off).
    # Isolation (never meeting a friend or relative in person) is about 0.2% of residents, and a
    # supporter's visit is not such a meeting: its change is seed noise (-0.007 and +0.009
    # points; +0.06 on the prefecture age profiles of 770e561), so it is held within 0.1 points
    # rather than to a sign
    lonely = _mean_diff("supporters", _lonely)
    isolated = _mean_diff("supporters", lambda r: _series(r, "no_in_person_contact"))
    assert abs(isolated) < 0.001
    assert lonely < 0


def test_supporters_connect_noticed_residents_to_places_and_visits():
    # consultation capacity is the bottleneck, so supporters' referrals also go to venues,
    # and supporters visit residents whose referral is pending
    joined = _mean_diff("supporters", lambda r: _series(r, "venue_joined"))
    visits = _mean_diff("supporters", lambda r: _series(r, "visits"))
    assert joined > 0
    assert visits > 0


def test_salons_more_members_less_inactivity_more_contact_less_loneliness():
    members = _mean_diff("ibasho_salons", lambda r: _series(r, "venue_members"))
    attendances = _mean_diff("ibasho_salons", lambda r: _series(r, "venue_attendances"))
    inactive = _mean_diff("ibasho_salons", lambda r: _series(r, "no_social_activity"))
    contact = _mean_diff("ibasho_salons", lambda r: _series(r, "mean_contact"))
    everyone = _mean_diff("ibasho_salons", _lonely)
    assert members > 1000  # residents (full scale); 118 salons open
    assert attendances > 1000
    assert inactive < -0.002  # at least 0.2 points fewer residents without social activity
    assert contact > 0  # more weekly contact on average
    # the salons are open to every adult; among residents 70+, who already have the status-quo
    # salons (通いの場), the extra effect on loneliness is within seed noise at this scale
    assert everyone < 0


def test_grant_that_ends_closes_its_venues_and_the_effect_fades():
    end = week_of("2028-03-31", _cfg(1).start_date, 0)
    during = lambda w: (w >= K + 26) & (w <= end)  # noqa: E731
    after = lambda w: w > end + 4  # noqa: E731
    gap = lambda r: _series(r, "venue_members")  # noqa: E731
    members_during = _mean_diff("ibasho_grant_ends", gap, during)
    members_after = _mean_diff("ibasho_grant_ends", gap, after)
    assert members_during > 1000
    assert abs(members_after) < 0.1 * members_during  # the grant's salons are closed
    for seed in SEEDS:
        cost = _series(_run("ibasho_grant_ends", seed), "cost_yen", "lever", "ibasho_salon_grant")
        assert (cost[(cost.index > K) & (cost.index <= end)] > 0).all()
        assert (cost[cost.index > end + 4] == 0).all()
        assert (cost[cost.index < K] == 0).all()
    # the gap in inactivity and in loneliness shrinks after the grant ends
    inactive = lambda r: _series(r, "no_social_activity")  # noqa: E731
    inactive_during = _mean_diff("ibasho_grant_ends", inactive, during)
    inactive_after = _mean_diff("ibasho_grant_ends", inactive, after)
    assert inactive_during < -0.002
    assert abs(inactive_after) < 0.5 * abs(inactive_during)
    late = lambda w: (w > end - 26) & (w <= end)  # noqa: E731
    lonely_late = _mean_diff("ibasho_grant_ends", _lonely, late)
    lonely_after = _mean_diff("ibasho_grant_ends", _lonely, lambda w: w > end + 26)
    assert lonely_late < 0
    # friendships made at the salons outlast them, so the loneliness benefit does not simply
    # vanish: measured -0.061 points in the grant's last half year and -0.067 in the half year
    # after (2 seeds); it must stay within 0.2 points of the late effect, not grow beyond it
    assert abs(lonely_after - lonely_late) < 0.002


def test_24h_digital_consultation_serves_more_residents():
    served = _mean_diff("consultation_24h_digital", lambda r: _series(r, "served"))
    base = np.mean([_series(_run("baseline", s), "served").loc[K:].mean() for s in SEEDS])
    assert served > 0.3 * base  # the SNS line adds as much capacity as the counter
    waiting = _mean_diff("consultation_24h_digital", lambda r: _series(r, "waiting"))
    assert waiting < 0


def _counter(info_sharing: float) -> Scenario:
    base = load_scenario("baseline")
    levers = [
        dataclasses.replace(lv, info_sharing=info_sharing, transfer_rate=0.6, capacity_per_10k=4.0)
        if lv.id == "welfare_counter_existing"
        else lv
        for lv in base.levers
    ]
    return Scenario(name=f"counter_{info_sharing}", levers=levers, source="<test>")


def test_information_sharing_keeps_cases_open_across_transfers():
    broken = {}
    for share in (0.0, 1.0):
        r = run(_cfg(1), scenario=_counter(share))
        broken[share] = _series(r, "cases_broken").sum()
    assert broken[0.0] > 0  # April transfers break cases without information sharing
    assert broken[1.0] < broken[0.0]
    assert broken[1.0] == 0


def test_continuity_scenario_breaks_fewer_cases_than_baseline():
    broken = _mean_diff("consultation_continuity", lambda r: _series(r, "cases_broken"))
    assert broken < 0


def test_awareness_campaign_brings_more_residents_to_ask_for_help():
    entered = _mean_diff("awareness_campaign", lambda r: _series(r, "waiting_entered"))
    base = np.mean([_series(_run("baseline", s), "waiting_entered").loc[K:].mean() for s in SEEDS])
    assert entered > 0.05 * base


def test_costs_by_lever_and_funder():
    for results in (_run("supporters", 1), _run("ibasho_grant_ends", 1), _package(1)):
        t = results.table
        cost = t[t["measure"] == "cost_yen"]
        by_funder = cost[cost["dimension"] == "funder"].groupby("week")["value"].sum()
        by_lever = cost[cost["dimension"] == "lever"].groupby("week")["value"].sum()
        total = cost[cost["dimension"] == "all"].set_index("week")["value"]
        np.testing.assert_allclose(by_funder.to_numpy(), total.to_numpy(), rtol=1e-9)
        np.testing.assert_allclose(by_lever.to_numpy(), total.to_numpy(), rtol=1e-9)
    # a lever costs nothing before its start and something every month after
    sup = _series(_run("supporters", 1), "cost_yen", "lever", "tsunagari_supporters")
    assert (sup[sup.index < K] == 0).all() and (sup[sup.index > K] > 0).all()
    for lever in _every_lever_package().levers[3:]:
        c = _series(_package(1), "cost_yen", "lever", lever.id)
        assert (c[c.index < K] == 0).all(), lever.id
        assert c[c.index > K].sum() > 0, lever.id
    # the paired difference in cost is the new lever's cost plus the per-case cost of any
    # extra cases it brings to the existing counter; the fixed running costs do not change
    arm, base = _run("supporters", 1), _run("baseline", 1)
    for lever in ("minsei_existing", "kayoi_no_ba_existing"):
        pd.testing.assert_series_equal(
            _series(arm, "cost_yen", "lever", lever), _series(base, "cost_yen", "lever", lever)
        )
    counter = [
        _series(r, "cost_yen", "lever", "welfare_counter_existing").sum() for r in (arm, base)
    ]
    difference = _series(arm, "cost_yen").sum() - _series(base, "cost_yen").sum()
    np.testing.assert_allclose(difference, sup.sum() + counter[0] - counter[1], rtol=1e-9)
