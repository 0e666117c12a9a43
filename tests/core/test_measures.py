"""The one measure vocabulary (sim.core.measures) and its person-years computation."""

import pandas as pd
import pytest

from sim.core.measures import (
    CATEGORIES,
    HEADLINE,
    INDICATORS,
    LONELY,
    PERSON_YEAR_OUTCOMES,
    person_years,
)


def _table() -> pd.DataFrame:
    rows = []
    for week, shares in ((4, (0.1, 0.2)), (8, (0.2, 0.3))):
        for m, v in zip(LONELY, shares, strict=True):
            rows.append((week, m, "all", "all", v, 100))
            rows.append((week, m, "age_group", "16-29", v / 2, 40))
            rows.append((week, m, "age_group", "70-79", v, 60))
        rows.append((week, "ucla3_top", "all", "all", 0.5, 100))
    return pd.DataFrame(rows, columns=["week", "measure", "dimension", "group", "value", "n"])


def test_vocabulary_is_consistent() -> None:
    assert set(LONELY) <= set(CATEGORIES)
    assert PERSON_YEAR_OUTCOMES["lonely"] == LONELY
    assert set(HEADLINE) <= {*CATEGORIES, *INDICATORS}


def test_person_years_of_the_whole_region() -> None:
    py = person_years(_table(), LONELY, scale=0.1, years=2)
    # mean share (0.3 + 0.5) / 2 = 0.4, 100 / 0.1 = 1000 adults, 2 years
    assert list(py.index) == ["all"]
    assert py["all"] == pytest.approx(800.0)


def test_person_years_by_group_keep_the_table_order() -> None:
    py = person_years(_table(), LONELY, scale=0.1, years=2, dimension="age_group")
    assert list(py.index) == ["16-29", "70-79"]
    assert py["16-29"] == pytest.approx(0.2 * 400 * 2)
    assert py["70-79"] == pytest.approx(0.4 * 600 * 2)


def test_person_years_of_absent_measures_are_empty() -> None:
    assert person_years(_table(), ("no_such",), scale=0.1, years=2).empty
