"""The wide-area command (tsunagari wide-area): refusals, short horizons, the evaluator path,
the console report in both languages and the map.

The lever's own behaviour (pooling, cross-border use, cost sharing) is tested in
tests/policy/test_wide_area.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.wide_area_text import ARMS
from sim.config import compose_config
from sim.core.params import ConfigError
from sim.engine.model import run
from sim.policy.scenario import load_scenario


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
    inner = {f"wide_area_f{c}" for c in ("001", "010", "011", "100", "101", "110")}
    assert set(mun["arm"]) == set(ARMS) | inner  # the three arms and the factorial's inner cells
    assert len(mun) == 9 * 20  # 19 municipalities and the prefecture, per arm
    dec = pd.read_csv(out / "decomposition.csv")
    assert len(dec) == 2 * 20 * 3  # two measures, 20 places, three factors
    assert dec["share"].isna().all()  # one seed: no interval, so no share is determined
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
