"""Headline of a compare report: a ranking is claimed only when some effect is told from zero."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.report.experiment_findings import compare_findings


def _table(rows):
    cols = [
        "package", "pairs", "lonely_person_years_averted", "lonely_person_years_averted_ci_low",
        "lonely_person_years_averted_ci_high", "added_cost_total_yen",
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_all_zero_differences_are_not_ranked(lang):
    t = _table([("a", 2, 0.0, 0.0, 0.0, 0.0), ("b", 2, 0.0, 0.0, 0.0, 0.0)])
    out = compare_findings(t, None, titles={}, years=1, lang=lang)
    assert ("順位は付けられません" if lang == "ja" else "not ranked") in out[0]
    assert "支持" not in out[0] and "favours" not in out[0]
    assert all(("差は0" if lang == "ja" else "was 0 in every pair") in s for s in out[1:])


def test_intervals_across_zero_are_not_ranked_and_a_clear_effect_is():
    crossing = _table([("a", 6, 120.0, -30.0, 270.0, 1e8), ("b", 6, 40.0, -90.0, 170.0, 1e8)])
    assert "not ranked" in compare_findings(crossing, None, titles={}, years=5, lang="en")[0]
    clear = _table([("a", 6, 120.0, 30.0, 210.0, 1e8), ("b", 6, 40.0, -90.0, 170.0, 1e8)])
    head = compare_findings(clear, None, titles={"a": "Places"}, years=5, lang="en")[0]
    assert head.startswith("The model favours “Places”")
