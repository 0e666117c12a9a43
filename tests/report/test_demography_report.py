"""Demography in the reports (sim.report.demography): sentences, counts and tables from numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.report import demography as rd


def _table(start: float = 1000.0, end: float = 900.0, lonely: float = 0.2) -> pd.DataFrame:
    """A small monthly table: population (all, age groups), 65+ share and two survey shares."""
    rows = []
    for week, date, pop in ((0, "2025-04-06", start), (52, "2026-04-05", end)):
        rows += [
            (week, date, "population", "all", "all", pop),
            (week, date, "population", "age_group", "0-15", 0.1 * pop),
            (week, date, "population", "age_group", "16-19", 0.4 * pop),
            (week, date, "population", "age_group", "80+", 0.5 * pop),
            (week, date, "share_65plus", "all", "all", 0.3),
            (week, date, "often_always", "all", "all", lonely / 4),
            (week, date, "sometimes", "all", "all", 3 * lonely / 4),
        ]
    return pd.DataFrame(rows, columns=["week", "date", "measure", "dimension", "group", "value"])


def test_population_change_reads_the_first_and_last_record() -> None:
    change = rd.population_change(_table())
    assert change == ("2025-04-06", 1000.0, "2026-04-05", 900.0)
    assert change.change == pytest.approx(-0.1)
    assert rd.population_change(_table().query("measure != 'population'")) is None


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_changing_baseline_sentence(lang: str) -> None:
    text = rd.changing_baseline_sentence(rd.population_change(_table()), lang)
    assert rd.CHANGING_BASELINE[lang] in text
    assert "1,000" in text and "900" in text and "-10.0%" in text
    assert "16" in text and "demography=static" in text
    bare = rd.changing_baseline_sentence(None, lang)
    assert rd.CHANGING_BASELINE[lang] in bare and "1,000" not in bare


def test_headline_as_share_and_count() -> None:
    t = _table(lonely=0.2)
    assert rd.adults_last_year(t) == pytest.approx(0.9 * 900)  # last 52 weeks: week 52 only
    assert rd.share_last_year(t) == pytest.approx(0.2)
    ja = rd.headline_count_sentence(t, "ja")
    assert "約810人" in ja and "約162人" in ja and "5.0%" in ja  # 0.2 x 810; often/always 0.05
    en = rd.headline_count_sentence(t, "en")
    assert "about 162 of the about 810 residents aged 16+" in en


def test_paired_count_sentence_in_points_and_residents() -> None:
    base, arm = _table(lonely=0.2), _table(lonely=0.15)
    ja = rd.paired_count_sentence(base, arm, "ja")
    assert "-5.00ポイント" in ja and "約40人少なく" in ja  # 0.05 x 810 = 40.5 -> 3 figures
    en = rd.paired_count_sentence(arm, base, "en")
    assert "about 40 more lonely residents" in en


def test_about_rounds_to_three_figures() -> None:
    assert [rd.about(x) for x in (478_483, 69_449.2, 14.3, 0.0, -4_140)] == [
        "478,000", "69,400", "14", "0", "-4,140"
    ]  # fmt: skip
    assert rd.about(math.nan) == "-"


def test_indicator_table_has_start_end_and_change() -> None:
    tab = rd.indicator_table(_table(), "en")
    assert list(tab.iloc[:, 0]) == ["Start", "End", "Change"]
    assert list(tab["Population"]) == [1000.0, 900.0, -100.0]
    assert list(tab["Population aged 16+"]) == pytest.approx([900.0, 810.0, -90.0])
    assert list(tab["Share aged 65+ (%)"]) == pytest.approx([30.0, 30.0, 0.0])
    assert tab.attrs["decimals"]["Share aged 65+ (%)"] == 1


def test_compare_sentence_only_when_dynamic() -> None:
    series = _table().query("dimension == 'all'").drop(columns=["dimension", "group"])
    series = pd.concat([series.assign(run_id="baseline-s1"), series.assign(run_id="p-s1")])
    runs = pd.DataFrame({"run_id": ["baseline-s1", "p-s1"], "package": ["baseline", "p"]})
    assert rd.compare_sentence({"demography": "static"}, series, runs, "baseline", "en") is None
    text = rd.compare_sentence({"demography": "dynamic"}, series, runs, "baseline", "en")
    assert "changing baseline" in text and "1,000" in text
    bare = rd.compare_sentence({"demography": "dynamic"}, series.iloc[:0], runs, "baseline", "ja")
    assert rd.CHANGING_BASELINE["ja"] in bare


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_population_line(lang: str) -> None:
    line = rd.population_line(_table(), lang)
    assert (
        "1,000" in line
        and "900" in line
        and "(-10.0%)" in line.replace("（", "(").replace("）", ")")
    )
    assert rd.population_line(_table().query("measure != 'population'"), lang) is None
