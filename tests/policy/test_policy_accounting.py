"""Accounting: lever costs add up by lever, municipality and funder; bills share pooled costs."""

from types import SimpleNamespace

import numpy as np
import pytest

from sim.policy import accounting
from sim.policy.accounting import BILL_OTHERS, CostBook
from sim.policy.levers import FUNDERS, Awareness, Consultation, Supporters, Venue, WideArea
from sim.policy.scope import Scope

POP = np.array([1000.0, 2000.0, 7000.0])


def _scope(masks) -> Scope:
    masks = np.array(masks, bool)
    return Scope(
        n_mun=3, scale=0.1, muni_mask=masks, zone_mask=[], sim_res=POP * 0.1, real_pop=POP,
        households=POP / 2, is_city=np.array([True, False, False]),
        names=np.array(["a", "b", "c"]), dist_km=np.zeros((3, 3)),
    )  # fmt: skip


VENUES = SimpleNamespace(lever=np.array([0, 0, 0]), municipality=np.array([0, 2, 2]), n=3)


def _levers():
    return [
        Venue(id="v", sessions_per_week=2.0, cost_per_session=100.0),
        Supporters(id="s", per_1000=2.0, cost_per_supporter_year=52.0, funder="npo"),
        Awareness(id="a", cost_per_week=700.0, funder="prefecture"),
        Consultation(id="c", cost_fixed_per_week=300.0, cost_per_case=50.0),
    ]


def test_weekly_costs_follow_each_lever_type_rule_and_rows_add_up():
    levers = _levers()
    scope = _scope([[1, 1, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1]])
    active = np.array([True, True, True, True])
    total = accounting.weekly_costs(levers, active, scope, VENUES)
    np.testing.assert_allclose(total, [3 * 2 * 100.0, 2 * 3000 / 1000 * 1.0, 700.0, 300.0])
    by_m = accounting.weekly_costs_by_municipality(levers, active, scope, VENUES)
    np.testing.assert_allclose(by_m.sum(axis=1), total)
    np.testing.assert_allclose(by_m[0], [200.0, 0.0, 400.0])  # where the venues are
    np.testing.assert_allclose(by_m[2], [0.0, 700 * 2 / 9, 700 * 7 / 9])  # by population
    inactive = accounting.weekly_costs(levers, ~active, scope, VENUES)
    assert not inactive.any()


def test_bills_add_up_to_the_cost_and_go_to_each_funder():
    levers = _levers()
    scope = _scope([[1, 1, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1]])
    active = np.ones(4, bool)
    lm = accounting.weekly_costs_by_municipality(levers, active, scope, VENUES)
    bill = accounting.bills(levers, [], POP, lm, np.zeros(3))
    assert bill.size == 3 + len(BILL_OTHERS)
    assert bill.sum() == pytest.approx(lm.sum())
    assert bill[3 + BILL_OTHERS.index("npo")] == pytest.approx(lm[1].sum())
    assert bill[3 + BILL_OTHERS.index("prefecture")] == pytest.approx(lm[2].sum())
    np.testing.assert_allclose(bill[:3], lm[0] + lm[3])  # municipalities pay where it runs
    costs = accounting.weekly_costs(levers, active, scope, VENUES)
    funder = accounting.costs_by_funder(levers, costs, bill)
    assert funder.sum() == pytest.approx(costs.sum())
    assert funder[FUNDERS.index("npo")] == pytest.approx(costs[1])


@pytest.mark.parametrize(("sharing", "share"), [("per_capita", 0.0), ("prefecture", 1.0)])
def test_a_cluster_pools_municipal_costs_and_the_prefecture_pays_its_share(sharing, share):
    levers = [*_levers(), WideArea(id="w", cost_sharing=sharing, cost_per_week=90.0)]
    scope = _scope([[1, 1, 1], [1, 1, 0], [0, 1, 1], [1, 1, 1], [1, 1, 0]])
    lm = accounting.weekly_costs_by_municipality(levers, np.ones(5, bool), scope, VENUES)
    clusters = [(4, np.array([True, True, False]))]
    bill = accounting.bills(levers, clusters, POP, lm, np.zeros(3))
    assert bill.sum() == pytest.approx(lm.sum())
    pooled = (lm[0] + lm[3] + lm[4])[:2].sum()
    pref = bill[3 + BILL_OTHERS.index("prefecture")] - lm[2].sum()
    assert pref == pytest.approx(pooled * share)
    np.testing.assert_allclose(bill[:2], pooled * (1 - share) * POP[:2] / POP[:2].sum())
    assert bill[2] == pytest.approx((lm[0] + lm[3] + lm[4])[2])  # outside the cluster
    funder = accounting.costs_by_funder(levers, lm.sum(axis=1), bill)
    assert funder[FUNDERS.index("municipality")] == pytest.approx(bill[:3].sum())


def test_per_use_sharing_follows_the_use():
    levers = [Venue(id="v", sessions_per_week=1.0, cost_per_session=100.0),
              WideArea(id="w", cost_sharing="per_use", cost_per_week=0.0)]  # fmt: skip
    scope = _scope([[1, 1, 1], [1, 1, 1]])
    lm = accounting.weekly_costs_by_municipality(levers, np.ones(2, bool), scope, VENUES)
    bill = accounting.bills(levers, [(1, np.ones(3, bool))], POP, lm, np.array([0.0, 1.0, 3.0]))
    np.testing.assert_allclose(bill[:3], [0.0, 75.0, 225.0])


def test_cost_book_adds_cases_and_running_costs_by_lever_and_place():
    levers = _levers()
    book = CostBook(len(levers), 3)
    per_case = accounting.case_costs(levers, np.array([3, 3]), scale=0.1)
    np.testing.assert_allclose(per_case, [500.0, 500.0])
    book.add_cases(per_case, np.array([3, 3]), np.array([0, 2]))
    book.add_use(np.array([0, 2, 2]))
    seen = {}

    def bill(week_lm, use):
        seen["lm"], seen["use"] = week_lm.copy(), use.copy()
        return np.ones(3 + len(BILL_OTHERS))

    book.close_week(np.full(4, 1.0), np.zeros((4, 3)), bill)
    np.testing.assert_allclose(book.costs, [1.0, 1.0, 1.0, 1001.0])
    np.testing.assert_allclose(seen["lm"][3], [500.0, 0.0, 500.0])
    np.testing.assert_allclose(seen["use"], [1, 0, 2])
    assert not book.case_cost_lm.any() and not book.use_week.any()
    np.testing.assert_allclose(book.cost_lm.sum(), 1000.0)
    book.reset()
    assert not book.costs.any() and not book.bills.any()
