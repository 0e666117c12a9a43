"""The step plan: every state change of a week is a row; one lifecycle; one loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.config import compose_config
from sim.engine.component import Component
from sim.engine.model import STEP_ORDER, LonelinessModel, iter_weeks, run
from sim.engine.plan import KINDS, PLAN, format_plan, plan_rows
from sim.engine.processes import (
    CompactTiesView,
    ContactsView,
    LifeEventsView,
    LonelinessView,
    TiesView,
)

TINY = ["population.scale=0.003", "years=1", "burn_in_weeks=4", "calibration=none", "seed=5"]
ROWS = (
    "reset_horizon", "levers", "demography", "life_events", "contacts", "ties", "compact_ties",
    "outreach", "support", "loneliness", "noticing", "help_seeking", "consultation", "costs",
    "record", "municipal_figures", "reset_period", "settling", "clock", "rebuild_groups",
)  # fmt: skip


@pytest.fixture(scope="module")
def cfg():
    return compose_config([*TINY, "scenario=places_first", "start_date=2026-03-01"])


def test_the_plan_lists_every_state_change_of_a_week_in_order():
    assert tuple(r.name for r in PLAN) == ROWS
    kinds = {r.name: r.kind for r in PLAN}
    assert kinds["compact_ties"] == kinds["rebuild_groups"] == kinds["clock"] == "housekeeping"
    assert kinds["reset_horizon"] == kinds["reset_period"] == "reset"
    assert kinds["record"] == "record" and kinds["levers"] == "service"
    assert set(kinds.values()) == set(KINDS)
    assert STEP_ORDER == tuple(r.name for r in PLAN if r.model_step and r.kind != "housekeeping")
    assert [r["name"] for r in plan_rows()] == list(ROWS)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_format_plan_prints_every_row_with_reads_and_writes(lang):
    text = format_plan(lang)
    for r in PLAN:
        assert r.name in text
        assert r.en in text if lang == "en" else r.ja in text
    label = {"en": "writes:", "ja": "書く:"}[lang]
    assert text.count(label) == len(PLAN)
    with pytest.raises(ValueError):
        format_plan("fr")


def test_every_component_has_the_three_lifecycle_methods_and_declares_its_data():
    for r in PLAN:
        assert issubclass(r.component, Component)
        c = r.component()
        assert c.name == r.name
        for method in ("init", "step", "finalize"):
            assert callable(getattr(c, method))
        assert r.writes, r.name  # every row changes something


@pytest.mark.parametrize(
    ("name", "view"),
    [("life_events", LifeEventsView), ("contacts", ContactsView), ("ties", TiesView),
     ("compact_ties", CompactTiesView), ("loneliness", LonelinessView)],
)  # fmt: skip
def test_a_process_view_lists_only_what_its_row_reads_or_writes(name, view):
    row = next(r for r in PLAN if r.name == name)
    declared = {n.split(".")[0].split(" ")[0] for n in (*row.reads, *row.writes)}
    members = set(view.__annotations__) | {
        k for k, v in vars(view).items() if callable(v) and not k.startswith("_")
    }
    assert members - {"stream", "new_workplace"} <= declared


def test_the_iterator_stops_where_asked(cfg):
    m = LonelinessModel(cfg)
    assert m.week == -4
    assert list(iter_weeks(m, until=-1)) == [-4, -3, -2]
    assert m.week == -1 and m.step_index == 3
    assert list(iter_weeks(m, weeks=3)) == [-1, 0, 1]
    assert list(iter_weeks(m, until=1)) == []  # already there
    rest = list(iter_weeks(m))
    assert rest[0] == 2 and rest[-1] == cfg.years * 52 - 1 and m.week == cfg.years * 52
    with pytest.raises(ValueError):
        next(iter_weeks(m, until=3, weeks=1))


def test_a_run_through_the_iterator_in_pieces_equals_run_bit_for_bit(cfg):
    expected = run(cfg)
    m = LonelinessModel(cfg)
    for until in (0, 10, 11, 30):
        for _ in iter_weeks(m, until=until):
            pass
    for _ in iter_weeks(m):
        pass
    m.finalize()
    table = m.recorder.table(m.start_date)
    pd.testing.assert_frame_equal(table, expected.table, check_exact=True)
    assert (table["measure"] == "cost_yen").any() and table["value"].notna().any()


def test_the_recorder_only_observes(cfg):
    m = LonelinessModel(cfg)
    for _ in iter_weeks(m, until=9):  # levers run from April: flows and costs accumulate
        pass
    sv = m.services
    before = [np.copy(a) for a in (sv.flows, sv.costs, sv.matrices, sv.bills)]
    assert sum(a.sum() for a in before) > 0
    m.recorder.record(m)
    for a, b in zip(before, (sv.flows, sv.costs, sv.matrices, sv.bills), strict=True):
        np.testing.assert_array_equal(a, b)


def test_municipality_agents_take_their_figures_at_each_record(cfg):
    m = LonelinessModel(cfg)
    agents = m.municipality_agents
    assert all(a.figures == {} for a in agents)
    for _ in iter_weeks(m, until=6):
        pass
    assert m.recorder.i > 0
    for a in agents:
        assert 0 <= a.figures["any_loneliness"] <= 1
        adults = (m.pop.municipality == a.index) & (m.pop.age >= 16)
        assert a.surveyed == int(adults.sum()) > 0
        assert a.residents == int(((m.pop.municipality == a.index) & (m.pop.age >= 0)).sum())
