"""Local surveys (issue 18): municipalities' results files and the survey commands end to end."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.core.params import ConfigError

TINY = ["region=tottori", "population.scale=0.003", "years=1", "burn_in_weeks=8"]


# ---------------------------------------------------------------- results files


def _write(tmp_path, text: str, name: str = "r.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_results_file_read(tmp_path):
    from experiments.local_survey_compare import read_results

    p = _write(
        tmp_path,
        "item,group,share_pct,n,note\nlonely,all,19.5,1050,x\n"
        "孤独感がある（たまにある以上）,70歳代,33%,210,\nlonely,男性,18,470,\n\n",
    )
    rows = read_results(p)
    assert [(r.item, r.group, r.n, r.line) for r in rows] == [
        ("lonely", "all", 1050, 2),
        ("any_loneliness", "70-79", 210, 3),
        ("lonely", "male", 470, 4),
    ]
    sjis = tmp_path / "sjis.csv"
    sjis.write_bytes("item,group,share_pct,n\nlonely,女性,20.1,575\n".encode("cp932"))
    assert read_results(sjis)[0].group == "female"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("item,group,share\nlonely,all,19\n", "row 1: missing column 'share_pct'"),
        ("item,group,share_pct,n,colour\nlonely,all,19,10,red\n", "row 1, column 'colour'"),
        ("item,group,share_pct,n\nlonely,all,abc,1050\n", "row 2, column share_pct"),
        (
            "item,group,share_pct,n\nlonely,all,19,1050\nlonely,all,120,5\n",
            "row 3, column share_pct",
        ),
        ("item,group,share_pct,n\nlonely,all,19,-3\n", "row 2, column n"),
        ("item,group,share_pct,n\nlonliness,all,19,10\n", "row 2, column item"),
        ("item,group,share_pct,n\nlonely,teens,19,10\n", "row 2, column group"),
        ("item,group,share_pct,n\nlonely,all,19,10\nlonely,全体,20,10\n", "row 3, column group"),
        ("item,group,share_pct,n\nlonely,all,19\n", "row 2: 3 fields"),
        ("", "empty"),
    ],
)
def test_results_file_errors_name_file_row_and_column(tmp_path, text, where):
    from experiments.local_survey_compare import read_results

    p = _write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        read_results(p)
    msg = str(err.value)
    assert "\n" not in msg and str(p) in msg and where in msg


# ---------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["n=abc"], "n: "),
        (["sampling=cluster"], "sampling: "),
        (["response=150"], "response: "),
        (["power=true"], "package: "),
        (["power=true", "package=places_first", "year=1", "before=1"], "before: "),
        (["municipality=どこか市"], "municipality: "),
        (["n=100000"], "n: "),
        (["year=0"], "year: "),  # December 2024 is before a burn-in of 8 weeks
    ],
)
def test_survey_bad_input_one_line(args, key, tmp_path):
    from experiments.local_survey import main

    with pytest.raises(ConfigError) as err:
        main([*TINY, f"out={tmp_path / 'x'}", *args])
    assert str(err.value).startswith(key) and "\n" not in str(err.value)


def test_power_and_compare_commands_end_to_end(tmp_path):
    from experiments.local_survey import compare_main, main

    out = tmp_path / "p"
    tiny = [a for a in TINY if not a.startswith("burn_in_weeks=")]
    args = [
        *tiny,
        "burn_in_weeks=20",  # the before survey (December 2024) lies in the burn-in
        "power=true",
        "package=places_first",
        "year=1",
        "seeds=1",
        "reps=20",
        "sizes=[40,80]",
        "workers=1",
        f"out={out}",
    ]
    assert main(args) == 0
    power = pd.read_csv(out / "power.csv")
    assert set(power["comparison"]) == {"two_arm", "before_after", "before_after_baseline"}
    assert power["power"].between(0, 1).all()
    assert (out / "power_ja.png").stat().st_size > 0
    assert len(pd.read_csv(out / "kpi.csv")) == 6
    res = _write(tmp_path, "item,group,share_pct,n\nlonely,all,19,300\nlonely,80+,25,40\n")
    cmp_out = tmp_path / "c"
    assert compare_main([str(res), *TINY, "seeds=1", "workers=1", f"out={cmp_out}"]) == 0
    df = pd.read_csv(cmp_out / "compare.csv")
    assert list(df["group"]) == ["all", "80+"]
    assert (df["expected_low_pct"] <= df["model_pct"]).all()


@pytest.mark.slow
def test_worked_example_kurayoshi(tmp_path):
    """The guide's worked example: 倉吉市, 2,000 questionnaires, year 3."""
    from experiments.local_survey import main

    out = tmp_path / "k"
    assert main(["region=tottori", "municipality=倉吉市", "n=2000", "year=3", f"out={out}"]) == 0
    tab = pd.read_csv(out / "tabulation.csv")
    row = tab[(tab["item"] == "lonely") & (tab["group"] == "all")].iloc[0]
    assert 900 < row["respondents"] < 1400
    assert (
        row["ci_low_pct"] < row["register_pct"] + 3 and row["ci_high_pct"] > row["register_pct"] - 3
    )


def test_kpi_block_from_paired_run_tables():
    from experiments.local_survey_power import KPI_FROM_RECORDER, kpi_block

    measures = sorted({m for ms in KPI_FROM_RECORDER.values() for m in ms})

    def table(shift):
        return pd.DataFrame(
            [
                {
                    "date": "2026-12-06",
                    "measure": m,
                    "dimension": "all",
                    "group": "all",
                    "value": 0.2 + shift,
                }
                for m in measures
            ]
        )

    text = kpi_block(table(0.0), table(-0.05), questionnaires=1000, lang="en")
    assert "560 respondents" in text
    # 'lonely' sums two measures: a 10-point fall, visible at 560 respondents (MDD about 9)
    assert "-10.00 points | yes |" in text
    # the other indicators fall 5 points: below their MDD of about 7
    assert "-5.00 points | no |" in text
    assert "ポイント" in kpi_block(table(0.0), lang="ja")


@pytest.mark.slow
def test_power_tables_do_not_depend_on_workers(tmp_path):
    from experiments.local_survey import main

    tiny = [a for a in TINY if not a.startswith("burn_in_weeks=")]
    args = [
        *tiny,
        "burn_in_weeks=20",
        "power=true",
        "package=places_first",
        "year=1",
        "seeds=2",
        "reps=30",
        "sizes=[40,80]",
    ]
    main([*args, "workers=1", f"out={tmp_path / 'a'}"])
    main([*args, "workers=2", "executor=process", f"out={tmp_path / 'b'}"])
    for name in ("power.csv", "kpi.csv", "power_n80.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
