"""The dashboard's model wrapper: controls checked, levers built, weekly steps, shared figures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from sim.app.dashboard import (
    BURN_IN_WEEKS,
    DashboardModel,
    DashboardSettings,
    build_scenario,
    check_settings,
    serve_command,
    slider_levers,
)
from sim.app.dashboard_plots import FLOW_MEASURES, plot_headline, plot_service_flows
from sim.core.params import ConfigError
from sim.policy.levers import Consultation, Supporters, Venue

START = "2025-04-06"


@pytest.fixture(scope="module")
def run_model() -> DashboardModel:
    model = DashboardModel(supporters_per_1000=3.0, venues_per_zone=1.0, digital_channel="sns")
    for _ in range(9):
        model.step()
    return model


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"supporters_per_1000": -1.0}, "supporters_per_1000=-1.0 is below"),
        ({"supporters_per_1000": 21.0}, "supporters_per_1000=21.0 is above"),
        ({"venues_per_zone": math.nan}, "venues_per_zone: must be a finite number"),
        ({"venue_capacity": 2.5}, "venue_capacity: expected a whole number"),
        ({"venue_capacity": "many"}, "venue_capacity: expected a number"),
        ({"scale": 0.5}, "scale=0.5 is above"),
        ({"seed": "abc"}, "seed: expected a number"),
        ({"seed": True}, "seed: expected a number"),
        ({"region": "hokkaido"}, "region: 'hokkaido' is not one of"),
        ({"package": "no_such"}, "package: unknown scenario 'no_such'"),
        ({"digital_channel": "fax"}, "digital_channel: 'fax' is not one of"),
        ({"wide_area": "yes"}, "wide_area: expected true or false"),
        ({"lang": "fr"}, "lang: must be 'ja' or 'en'"),
    ],
)
def test_bad_control_is_one_line_error(changes, message):
    import dataclasses

    with pytest.raises(ConfigError, match=message) as info:
        check_settings(dataclasses.replace(DashboardSettings(), **changes))
    assert "\n" not in str(info.value)


def test_text_controls_are_converted():
    s = check_settings(DashboardSettings(seed=" 7 ", venue_capacity=30.0, supporters_per_1000=2))
    assert (s.seed, s.venue_capacity, s.supporters_per_1000) == (7, 30, 2.0)
    assert isinstance(s.seed, int) and isinstance(s.supporters_per_1000, float)


def test_bad_control_leaves_model_stopped_with_message():
    model = DashboardModel(supporters_per_1000=-1, lang="en")
    assert model.sim is None and not model.running
    assert model.error.startswith("supporters_per_1000=-1")
    model.step()  # does nothing, raises nothing
    assert model.table().empty and model.n_residents == 0


def test_sliders_add_levers_at_week_zero():
    s = check_settings(
        DashboardSettings(
            supporters_per_1000=3, venues_per_zone=1.5, venue_capacity=25, digital_channel="ai_chat"
        )
    )
    levers = slider_levers(s, START)
    assert [type(lv) for lv in levers] == [Supporters, Venue, Consultation]
    assert all(lv.start == START for lv in levers)
    assert levers[0].per_1000 == 3.0
    assert (levers[1].per_zone, levers[1].capacity) == (1.5, 25)
    assert levers[2].channel == "ai_chat"
    assert slider_levers(DashboardSettings(), START) == []


def test_package_levers_start_at_week_zero_and_keep_their_length():
    scenario = build_scenario(check_settings(DashboardSettings(package="digital_first")), START)
    dated = [lv for lv in scenario.levers if lv.start is not None]
    assert dated and all(lv.start == START for lv in dated)
    campaign = next(lv for lv in scenario.levers if lv.id == "df_online_campaign")
    assert campaign.end == "2027-04-06"  # 2026-04-01..2028-03-31 is 730 days
    undated = [lv for lv in scenario.levers if lv.start is None]
    assert {lv.id for lv in undated} == {
        "minsei_existing",
        "kayoi_no_ba_existing",
        "welfare_counter_existing",
    }


def test_model_runs_weekly_and_records_monthly(run_model):
    m = run_model
    assert m.error is None and m.running
    assert m.week == 9 and m.sim.week == 9
    assert 4_000 < m.n_residents < 8_000  # Tottori at 1%
    assert m.date == "2025-06-08"
    assert {lv.id for lv in m.added_levers} == {
        "dashboard_supporters",
        "dashboard_venue",
        "dashboard_sns",
    }
    table = m.table()
    weeks = sorted(table["week"].unique())
    assert weeks == [0, 4, 8]
    inner = m.sim.datacollector.get_model_vars_dataframe()
    assert len(inner) == 3 and inner["any_loneliness"].between(0.05, 0.9).all()


def test_burn_in_is_short_and_not_recorded():
    m = DashboardModel()
    assert m.sim.step_index == BURN_IN_WEEKS and m.week == 0
    assert m.table().empty


def test_same_controls_same_numbers(run_model):
    other = DashboardModel(supporters_per_1000=3.0, venues_per_zone=1.0, digital_channel="sns")
    for _ in range(9):
        other.step()
    a = run_model.table().sort_values(["week", "measure", "dimension", "group"])
    b = other.table().sort_values(["week", "measure", "dimension", "group"])
    np.testing.assert_array_equal(a["value"].to_numpy(), b["value"].to_numpy())


def test_figures_from_the_table(run_model):
    table = run_model.table()
    for draw in (plot_headline, plot_service_flows):
        for lang in ("ja", "en"):
            fig = draw(table, lang=lang)
            assert isinstance(fig, Figure) and len(fig.axes) == 2
    flows = plot_service_flows(table, lang="en")
    labels = [t.get_text() for t in flows.axes[0].get_legend().get_texts()]
    assert labels == ["Noticed", "Referred", "Served", "Dropped"]
    noticed = flows.axes[0].get_lines()[FLOW_MEASURES.index("noticed")].get_ydata()
    assert noticed[-1] > 0  # supporters notice lonely residents
    with pytest.raises(ValueError, match="no service-flow"):
        plot_service_flows(table[table["measure"] == "any_loneliness"])


def test_japanese_text_has_glyphs(run_model):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = plot_headline(run_model.table(), lang="ja")
    FigureCanvasAgg(fig).draw()
    title = fig.texts[0] if fig.texts else fig._suptitle
    font = title.get_fontproperties().get_name()
    assert font == "IPAexGothic"


def test_server_binds_localhost_by_default():
    cmd = serve_command()
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert "--no-open" in cmd and "--no-check-version" in cmd


def test_every_page_text_is_in_both_languages_and_slider_values_are_formatted():
    pytest.importorskip("solara")
    from sim.app.dashboard_app import SLIDERS, UI, label, model_params, option_labels, shown_value

    assert all(set(texts) == {"ja", "en"} and all(texts.values()) for texts in UI.values())
    for name in SLIDERS:
        assert label(name, "ja") != label(name, "en")
        assert name in model_params()
    assert label("scale", "ja") == "縮尺（国勢調査人口に対する割合）"  # not the status text
    assert shown_value("supporters_per_1000", 3, "ja") == "3.0 人"
    assert shown_value("venues_per_zone", 0.25, "en") == "0.25"
    assert shown_value("venue_capacity", 25.0, "ja") == "25 人"
    assert shown_value("scale", 0.006000000000000001, "ja") == "0.6%"
    assert option_labels("region", "ja") == {"tottori": "鳥取県", "kochi": "高知県"}
    assert option_labels("digital_channel", "en")["ai_chat"] == "AI chat"


def test_added_levers_are_named_in_the_page_language(run_model):
    pytest.importorskip("solara")
    from sim.app.dashboard_app import _describe

    ja = [_describe(lv, "ja") for lv in run_model.added_levers]
    en = [_describe(lv, "en") for lv in run_model.added_levers]
    assert ja == [
        "つながりサポーター（千人あたり 3.0 人）",
        "居場所（校区あたり 1.00 か所、定員 20 人）",
        "SNS相談",
    ]
    assert en == [
        "connection supporters (3.0 per 1,000)",
        "places to belong (1.00 per zone, 20 members)",
        "SNS consultation",
    ]


def test_solara_cookie_warning_alone_is_silenced():
    import warnings

    from sim.app.dashboard_server import quiet_cookie_warning

    cookie = "Cookies with samesite=none require https, but according to the asgi framework"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        quiet_cookie_warning()
        for _ in range(3):  # as Solara's page handler issues it, once per page served
            warnings.warn_explicit(cookie, UserWarning, "starlette.py", 578,
                                   module="solara.server.starlette")  # fmt: skip
        warnings.warn_explicit("another warning", UserWarning, "starlette.py", 600,
                               module="solara.server.starlette")  # fmt: skip
        warnings.warn_explicit(cookie, UserWarning, "elsewhere.py", 1, module="other")
    assert [str(w.message) for w in caught] == ["another warning", cookie]
