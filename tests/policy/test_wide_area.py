"""Wide-area cooperation (広域連携): pooled consultation, cross-border venues, shared costs.

Small Tottori runs (2% of residents, 26 weeks of burn-in, 2 years from 2025-04-06; the
wide-area levers start on 2026-04-01 = week 51) on fixed seeds.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import numpy as np
import pandas as pd
import pytest

from sim.config import compose_config
from sim.core.params import ConfigError
from sim.engine.model import LonelinessModel, Results, run
from sim.engine.recorder import MEASURES
from sim.policy.levers import CUSTOMARY_AREAS, WideArea
from sim.policy.scenario import Scenario, load_scenario
from sim.policy.services import SERVED

ARMS = ("wide_area_alone", "wide_area_prefecture", "wide_area_clusters")
DIMS = ("all", "age_group", "sex", "household_type", "municipality")


def _cfg(seed: int = 1, region: str = "tottori"):
    return compose_config([f"region={region}", "population.scale=0.02", "years=2",
                           "burn_in_weeks=26", f"seed={seed}"])  # fmt: skip


@cache
def _run(name: str, seed: int = 1) -> Results:
    return run(_cfg(seed), scenario=load_scenario(name), keep_model=True)


def _with(base: str, *levers, name: str = "test") -> Scenario:
    b = load_scenario(base)
    return Scenario(name=name, levers=[*b.levers, *levers], source=f"<{name}>")


def _survey(res: Results) -> pd.DataFrame:
    t = res.table
    return t[t["dimension"].isin(DIMS) & t["measure"].isin(MEASURES)].reset_index(drop=True)


def _total(res: Results, measure: str) -> float:
    t = res.table
    return float(t[(t["measure"] == measure) & (t["dimension"] == "all")]["value"].sum())


def test_wide_area_lever_that_pools_nothing_reproduces_the_reference_exactly():
    idle = WideArea(id="idle", start="2026-04-01", consultation=False, venues=False,
                    cost_per_week=0.0)  # fmt: skip
    arm = run(_cfg(), scenario=_with("wide_area_alone", idle))
    base = _run("wide_area_alone")
    pd.testing.assert_frame_equal(_survey(base), _survey(arm), check_exact=True)
    for m in ("served", "venue_joined", "waiting", "cases_broken"):
        assert _total(arm, m) == _total(base, m)


def test_arms_identical_before_the_wide_area_start():
    k = 51  # week of 2026-04-01
    a, b = _survey(_run("wide_area_alone")), _survey(_run("wide_area_prefecture"))
    pd.testing.assert_frame_equal(
        a[a["week"] < k].reset_index(drop=True),
        b[b["week"] < k].reset_index(drop=True),
        check_exact=True,
    )


def test_without_wide_area_access_nobody_is_served_outside_their_municipality():
    for name in ("baseline", "wide_area_alone"):
        res = _run(name)
        assert _total(res, "served") > 0
        for m in ("served_outside", "venue_joined_outside", "venue_attendances_outside"):
            assert _total(res, m) == 0, (name, m)
        assert (res.table["dimension"] == "flow").sum() == 0
        model = res.model
        served = model.svc.stage == SERVED
        assert np.array_equal(model.svc.served_in[served], model.pop.municipality[served])
        venue = model.svc.venue >= 0
        v_mun = model.services.venues.municipality[model.svc.venue[venue]]
        assert np.array_equal(v_mun, model.pop.municipality[venue])


def test_wide_area_residents_use_services_across_borders_only_inside_their_cluster():
    res = _run("wide_area_clusters")
    assert _total(res, "served_outside") > 0
    assert _total(res, "venue_joined_outside") > 0
    area = {name: a for a, names in CUSTOMARY_AREAS.items() for name in names}
    flows = res.table[res.table["dimension"] == "flow"]
    assert len(flows) > 0
    for group in flows["group"].unique():
        home, place = group.split("→")
        assert area[home] == area[place], group
    model = res.model
    names = model.region.municipalities["name"].to_numpy()
    served = np.flatnonzero(model.svc.stage == SERVED)
    home = [area[x] for x in names[model.pop.municipality[served]]]
    place = [area[x] for x in names[model.svc.served_in[served]]]
    assert home == place


def test_pooled_capacity_never_exceeds_the_members_capacity():
    cfg = _cfg(2)
    model = LonelinessModel(cfg, scenario=load_scenario("wide_area_prefecture"))
    svc = model.services
    rt = svc.rt
    original = svc._serve
    checked = {"weeks": 0, "pooled_weeks": 0}

    def serve(m, u, u_lever):
        cap = rt.capacity(m)
        pooled = rt.pooled_capacity(m)
        carry = np.zeros_like(svc.capacity_carry)
        np.add.at(carry, rt.pool_of, svc.capacity_carry)
        carry = np.mod(carry, 1.0) if rt.pooling else carry
        # the pool's capacity is the sum of its members' capacities, nothing more
        members = np.zeros_like(cap)
        np.add.at(members, rt.pool_of, cap)
        np.testing.assert_allclose(pooled, members, rtol=1e-12)
        assert (carry < 1 + 1e-9).all()
        before = m.svc.stage.copy()
        original(m, u, u_lever)
        new = np.flatnonzero((m.svc.stage == SERVED) & (before != SERVED))
        key = rt.pool_of[m.pop.municipality[new]] * 4 + m.svc.channel[new]
        started = np.bincount(key, minlength=cap.size).reshape(cap.shape)
        assert (started <= np.floor(members + carry)).all()
        checked["weeks"] += 1
        checked["pooled_weeks"] += int(rt.pooling)

    svc._serve = serve
    for _ in range(cfg.burn_in_weeks + 52 * cfg.years):
        model.step()
    assert checked["pooled_weeks"] > 40


@pytest.mark.parametrize("sharing", ["per_capita", "per_use", "prefecture"])
def test_cost_shares_add_up_to_the_total(sharing):
    sc = load_scenario("wide_area_clusters")
    levers = [dataclasses.replace(lv, cost_sharing=sharing, prefecture_share=0.3)
              if isinstance(lv, WideArea) else lv for lv in sc.levers]  # fmt: skip
    res = run(_cfg(), scenario=dataclasses.replace(sc, levers=levers))
    t = res.table
    cost = t[t["measure"] == "cost_yen"]
    total = cost[cost["dimension"] == "all"].set_index("week")["value"]
    bills = cost[cost["dimension"] == "municipality_bill"].groupby("week")["value"].sum()
    funder = cost[cost["dimension"] == "funder"].groupby("week")["value"].sum()
    np.testing.assert_allclose(bills.to_numpy(), total.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(funder.to_numpy(), total.to_numpy(), rtol=1e-9)
    names = list(res.region.municipalities["name"])
    bill = cost[cost["dimension"] == "municipality_bill"].groupby("group")["value"].sum()
    assert (bill[names] > 0).all()
    if sharing == "prefecture":  # the prefecture pays every pooled cost
        ref = _run("wide_area_clusters").table
        rc = ref[(ref["measure"] == "cost_yen") & (ref["dimension"] == "municipality_bill")]
        assert bill["prefecture"] > rc.groupby("group")["value"].sum()["prefecture"]


def test_prefecture_share_moves_costs_from_municipalities_to_the_prefecture():
    res = _run("wide_area_prefecture")
    t = res.table
    c = t[(t["measure"] == "cost_yen") & (t["week"] > 56)]  # months wholly after the start
    bill = c[c["dimension"] == "municipality_bill"].groupby("group")["value"].sum()
    by_lever = c[c["dimension"] == "lever"].groupby("group")["value"].sum()
    # half of the pooled municipal costs (venues, counters, coordination) go to the prefecture
    pooled = by_lever[["kayoi_no_ba_existing", "welfare_counter_existing", "ibasho_municipal",
                       "wide_area_prefecture"]].sum()  # fmt: skip
    pref_levers = by_lever[["minsei_existing", "sns_prefecture", "prefecture_dispatch"]].sum()
    np.testing.assert_allclose(bill["prefecture"], pref_levers + 0.5 * pooled, rtol=1e-6)
    names = list(res.region.municipalities["name"])
    np.testing.assert_allclose(bill[names].sum(), 0.5 * pooled, rtol=1e-6)


def test_customary_areas_cover_every_municipality_of_both_prefectures():
    from sim.config import load_configured_region

    for region, k in (("tottori", 3), ("kochi", 4)):
        names = set(load_configured_region(_cfg(region=region)).municipalities["name"])
        areas = [set(v) & names for v in CUSTOMARY_AREAS.values()]
        areas = [a for a in areas if a]
        assert len(areas) == k
        assert set().union(*areas) == names
        assert sum(map(len, areas)) == len(names)


def test_kochi_clusters_written_out_match_the_customary_partition():
    written = load_scenario("wide_area_clusters_kochi")
    from sim.config import load_configured_region

    names = load_configured_region(_cfg(region="kochi")).municipalities["name"]
    listed = [n for lv in written.levers if isinstance(lv, WideArea) for n in lv.municipalities]
    assert sorted(listed) == sorted(names)


def test_bad_cost_sharing_is_one_line_naming_the_lever(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: bad\nlevers:\n  - type: wide_area\n    cost_sharing: by_mood\n")
    with pytest.raises(ConfigError, match=r"levers\[0\].*cost_sharing"):
        load_scenario(str(p))


# -- the wide-area command: every key checked before any run; short horizons run ------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["seeds=abc"], r"^seeds: expected a whole number from 1 to 1000, got 'abc'$"),
        (["seeds=0"], r"^seeds: expected a whole number from 1 to 1000, got '0'$"),
        (["seeds=-2"], r"^seeds: expected a whole number"),
        (["seeds=1e3"], r"^seeds: expected a whole number"),
        (["seeds=5000"], r"^seeds: .* got '5000'$"),
        (["workers=0"], r"^workers: expected a whole number from 1 to 256"),
        (["workers=two"], r"^workers: "),
        (["lang=fr"], r"^lang: must be 'ja' or 'en'"),
        (["region=japan"], r"^region: wide-area compares the municipalities of one prefecture"),
        (["seed=7"], r"^seed: not a wide-area key; use seeds=N"),
        (["+seed=7"], r"^seed: not a wide-area key"),
        (["scenario=baseline"], r"^scenario: not a wide-area key"),
        (["out="], r"^out: give a folder"),
        (["seeds=\x1b[2J"], r"^seeds: .*got '\\x1b\[2J'$"),  # control characters escaped
    ],
)
def test_wide_area_bad_key_is_one_line_naming_it(args, message):
    from experiments.wide_area import parse

    with pytest.raises(ConfigError, match=message) as info:
        parse(args)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("args", [["seeds=abc"], ["seeds=0"], ["region=japan"], ["workers=0"]])
def test_wide_area_cli_refuses_at_once_with_exit_2(args, capsys, tmp_path):
    from sim.app.cli import main

    assert main(["wide-area", *args, f"out={tmp_path / 'w'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tsunagari: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert not (tmp_path / "w").exists()


def test_wide_area_refuses_a_region_of_several_prefectures_or_one_municipality():
    from types import SimpleNamespace

    from experiments.wide_area import check_region

    two = pd.DataFrame({"name": ["a", "b"], "prefecture_code": ["31", "39"]})
    with pytest.raises(ConfigError, match=r"^region: 'x' spans 2 prefectures"):
        check_region(SimpleNamespace(key="x", municipalities=two))
    one = pd.DataFrame({"name": ["a"]})
    with pytest.raises(ConfigError, match=r"^region: 'x' has 1 municipality"):
        check_region(SimpleNamespace(key="x", municipalities=one))
    check_region(SimpleNamespace(key="x", municipalities=two.assign(prefecture_code="31")))


def test_wide_area_out_that_is_a_file_and_levers_outside_the_horizon_are_refused(tmp_path):
    from experiments.wide_area import main

    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ConfigError, match=r"^out: '.*file' exists and is not a folder$"):
        main([f"out={f}", "population.scale=0.002"])
    with pytest.raises(ConfigError, match=r"wide_area_alone.*start: 2026-04-01 is outside"):
        main([f"out={tmp_path / 'w'}", "start_date=2027-01-06", "population.scale=0.002"])
    assert not (tmp_path / "w").exists()


def test_wide_area_years_1_runs_and_notes_the_short_cooperation(tmp_path, capsys):
    """years=1 ends before the cooperation has run (no cross-border flow): it used to crash."""
    from experiments.wide_area import main

    out = tmp_path / "w"
    args = ["years=1", "seeds=1", "workers=1", "population.scale=0.002", "burn_in_weeks=2"]
    assert main([*args, f"out={out}"]) == 0
    captured = capsys.readouterr()
    assert "連携の開始は 2026-04-01。years=1 では測定する最後の52週のうち0週" in captured.err
    # the console follows lang= (ja by default), like `run`
    assert captured.out.startswith("広域連携の比較：鳥取県（1シード、住民の0.2%、1年）")
    assert "単独（基準）：孤独（しばしば＋時々）" in captured.out
    assert "書き出し先 " in captured.out and "written to" not in captured.out
    flows = pd.read_csv(out / "flows.csv")
    assert list(flows.columns[-2:]) == ["home", "place"]
    mun = pd.read_csv(out / "municipalities.csv")
    assert set(mun["arm"]) == set(ARMS)
    assert len(mun) == 3 * 20  # 19 municipalities and the prefecture, per arm
    # nothing was active yet: every arm has exactly the reference's shares
    np.testing.assert_array_equal(mun["lonely_diff"].to_numpy(), 0.0)


def test_wide_area_runs_through_the_evaluator_give_the_per_run_numbers():
    """run_arms (the experiments evaluator) = composing and running each (arm, seed) alone."""
    from experiments.wide_area import run_arms, summarise
    from sim.config import load_configured_region

    model = ["region=tottori", "population.scale=0.002", "years=2", "burn_in_weeks=2"]
    cfg = compose_config(model)
    arms = ("wide_area_alone", "wide_area_clusters")
    mun, flows = run_arms(cfg, load_configured_region(cfg), 2, workers=1, arms=arms)
    assert sorted(set(zip(mun["arm"], mun["seed"], strict=True))) == [
        (a, s) for a in arms for s in (1, 2)
    ]
    for arm in arms:
        for seed in (1, 2):
            ref = summarise(
                run(compose_config([*model, f"seed={seed}"]), scenario=load_scenario(arm))
            )
            got = mun[(mun["arm"] == arm) & (mun["seed"] == seed)]
            pd.testing.assert_frame_equal(
                ref["municipality"],
                got.drop(columns=["arm", "seed"]).reset_index(drop=True),
                check_exact=True,
            )
            got = flows[(flows["arm"] == arm) & (flows["seed"] == seed)]
            pd.testing.assert_frame_equal(
                ref["flows"],
                got.drop(columns=["arm", "seed"]).reset_index(drop=True),
                check_exact=True,
            )
    assert len(flows[flows["arm"] == "wide_area_clusters"]) > 0


def test_horizon_note_in_english_with_lang_en():
    from experiments.wide_area import check_horizon

    cfg = compose_config(["region=tottori", "years=1", "population.scale=0.002"])
    assert check_horizon(cfg, lang="en") == (
        "wide-area: note: the cooperation starts on 2026-04-01; with years=1 it runs for 0 of "
        "the 52 weeks measured (years=3 or more shows its effect)"
    )
    assert check_horizon(compose_config(["region=tottori", "population.scale=0.002"])) is None


def _tables() -> dict[str, pd.DataFrame]:
    """Hand-made analyse() tables: the prefecture rows and equity of the three arms."""
    rows = []
    for arm, diff, lo, hi in (
        ("wide_area_alone", 0.0, 0.0, 0.0),
        ("wide_area_prefecture", -0.0010, -0.0024, 0.0003),  # crosses zero
        ("wide_area_clusters", -0.0012, -0.0020, -0.0004),  # does not
    ):
        rows.append({"arm": arm, "municipality": "(prefecture)", "lonely": 0.183 + diff,
                     "lonely_diff": diff, "lonely_diff_lo": lo, "lonely_diff_hi": hi,
                     "no_in_person_contact_diff": 0.0, "no_in_person_contact_diff_lo": 0.0,
                     "no_in_person_contact_diff_hi": 0.0, "served_outside_share": 0.5,
                     "bill_yen_per_year": 4.46e8})  # fmt: skip
    equity = [{"arm": arm, "metric": metric, "mean": 0.1, "lo95": 0.07, "hi95": 0.13}
              for arm in ARMS for metric in ("gap_lonely", "small_towns_lonely_diff")]  # fmt: skip
    return {"municipalities": pd.DataFrame(rows), "equity": pd.DataFrame(equity)}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "ja",
            [
                "単独（基準）：孤独（しばしば＋時々）18.30%、他市町村で支援 50.0%、総費用 "
                "4.46億円/年",
                "   市町村間の格差（孤独、最良と最悪の差）: 10.00pt [7.00, 13.00]",
                "県主導の全県連携：孤独 18.20%、単独との差 -0.10pt [-0.24, +0.03]（区間が0を"
                "またぐ）、孤立（直接会う機会なし）の差 +0.00pt [+0.00, +0.00]、他市町村で支援 "
                "50.0%、総費用 4.46億円/年",
                "   市町村間の格差（孤独、最良と最悪の差）: 10.00pt [7.00, 13.00]",
                "   小規模町村の変化（孤独）: +10.00pt [+7.00, +13.00]",
                "圏域ごとの連携：孤独 18.18%、単独との差 -0.12pt [-0.20, -0.04]、孤立（直接会う"
                "機会なし）の差 +0.00pt [+0.00, +0.00]、他市町村で支援 50.0%、総費用 "
                "4.46億円/年",
            ],
        ),
        (
            "en",
            [
                "alone (reference): lonely (often/always + sometimes) 18.30%, served outside the "
                "home municipality 50.0%, total cost 446M yen/year",
                "   gap best-worst municipality (lonely): 10.00 pp [7.00, 13.00]",
                "prefecture-led platform: lonely 18.20%, vs alone -0.10 pp [-0.24, +0.03] "
                "(interval crosses 0); no in-person contact vs alone +0.00 pp [+0.00, +0.00]; "
                "served outside 50.0%; total cost 446M yen/year",
                "   gap best-worst municipality (lonely): 10.00 pp [7.00, 13.00]",
                "   small towns, change in lonely: +10.00 pp [+7.00, +13.00]",
                "customary-area clusters: lonely 18.18%, vs alone -0.12 pp [-0.20, -0.04]; no "
                "in-person contact vs alone +0.00 pp [+0.00, +0.00]; served outside 50.0%; total "
                "cost 446M yen/year",
            ],
        ),
    ],
)
def test_console_report_follows_lang_and_says_when_an_interval_crosses_zero(lang, expected):
    from experiments.wide_area import report

    lines = report(_tables(), lang).splitlines()
    assert lines[:6] == expected
    # the reference against itself is not reported as a change
    assert len(lines) == 8


def _map_tables(region, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Random per-municipality changes and flows between neighbours, for drawing a map."""
    rng = np.random.default_rng(seed)
    names = list(region.municipalities["name"])
    mun = pd.DataFrame({"arm": "wide_area_prefecture", "municipality": names,
                        "lonely_diff": rng.normal(0, 0.003, len(names))})  # fmt: skip
    pairs = [(a, b) for a, b in zip(names, names[1:] + names[:1], strict=True)]
    flows = pd.DataFrame({"arm": "wide_area_prefecture", "measure": "served",
                          "home": [a for a, _ in pairs], "place": [b for _, b in pairs],
                          "per_year": rng.uniform(1, 50, len(pairs))})  # fmt: skip
    return {"municipalities": mun, "flows": flows}


@pytest.mark.parametrize("region_key", ["tottori", "kochi"])
@pytest.mark.parametrize("lang", ["ja", "en"])
def test_map_names_do_not_overlap_and_the_colour_bar_label_fits(region_key, lang, tmp_path):
    """米子市 and 日吉津村 (about 5 km apart) used to print on top of each other."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from experiments.wide_area import map_figure
    from sim.config import load_configured_region

    region = load_configured_region(
        compose_config([f"region={region_key}", "population.scale=0.002"])
    )
    fig = map_figure(_map_tables(region), region, "wide_area_prefecture", lang)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    names = set(region.municipalities["name"])
    labels = [t for t in ax.texts if t.get_text() in names]
    assert sorted(t.get_text() for t in labels) == sorted(names)
    boxes = [Text.get_window_extent(t, renderer) for t in labels]  # the name, not its line
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            assert not a.overlaps(b), (labels[i].get_text(), labels[j].get_text())
        assert fig.bbox.contains(a.x0, a.y0) and fig.bbox.contains(a.x1, a.y1)
    # no name covers another municipality's marker centre
    centres = ax.transData.transform(region.municipalities[["x_km", "y_km"]].to_numpy(float))
    for t, box in zip(labels, boxes, strict=True):
        for name, (x, y) in zip(region.municipalities["name"], centres, strict=True):
            if name != t.get_text():
                assert not box.contains(x, y), (t.get_text(), name)
    # the colour bar's label is drawn whole inside the figure
    bar = fig.axes[1]
    label = bar.xaxis.label
    assert label.get_text().startswith("孤独" if lang == "ja" else "change in lonely share")
    extent = label.get_window_extent(renderer)
    assert fig.bbox.x0 <= extent.x0 and extent.x1 <= fig.bbox.x1
    assert fig.bbox.y0 <= extent.y0 and extent.y1 <= fig.bbox.y1
