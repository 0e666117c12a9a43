"""``tsunagari validate``: the pattern table's shape, and its statistics on known inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calibration.validate import (
    COLUMNS,
    drift_patterns,
    main,
    parse_options,
    pattern_targets,
    per_extra_friend,
)
from sim.core.params import ConfigError


def test_per_extra_friend_recovers_a_known_linear_slope():
    rng = np.random.default_rng(0)
    degree = rng.integers(0, 10, 200_000)
    p = 0.3 * (1 - 0.05 * degree)  # 5% of the zero-friend share less per friend
    lonely = rng.random(degree.size) < p
    got = per_extra_friend(degree, lonely)
    expected = -0.015 / p.mean()
    assert got == pytest.approx(expected, rel=0.05)
    assert np.isnan(per_extra_friend(degree, np.zeros(degree.size, bool)))


def test_drift_compares_the_first_and_last_year():
    weeks = np.arange(120) * 4
    rows = []
    for measure, first, last in (("mean_friends", 3.0, 2.7), ("often_always", 0.05, 0.047)):
        values = np.r_[np.full(12, first), np.linspace(first, last, 96), np.full(12, last)]
        rows.append(pd.DataFrame({"week": weeks, "measure": measure, "value": values}))
    t = pd.concat(rows).assign(dimension="all", group="all")
    d = drift_patterns(t)
    assert d["friends_drift_10y"] == pytest.approx(-0.1)
    assert d["often_always_drift_10y"] == pytest.approx(-0.3)
    one_year = drift_patterns(t[t["week"] < 48])  # 12 records: first and last year coincide
    assert np.isnan(one_year["friends_drift_10y"]) and np.isnan(one_year["often_always_drift_10y"])


def test_every_pattern_target_has_a_band_and_a_source():
    t = pattern_targets()
    assert (t["target_low"] < t["target_high"]).all()
    assert t["source"].str.len().min() > 20
    required = {
        "lonely_degree_ratio", "contagion_excess_d1", "contagion_excess_d2",
        "contagion_excess_d3", "loneliness_per_extra_friend", "withdrawal_off_effect",
        "isolation_loneliness_corr", "friends_drift_10y", "often_always_drift_10y",
    }  # fmt: skip
    assert required <= set(t["pattern"])


@pytest.mark.parametrize("opt", ["years=0", "years=abc", "years=99", "out= "])
def test_bad_options_name_the_key(opt):
    with pytest.raises(ConfigError, match=opt.split("=")[0]):
        parse_options([opt])


def test_command_writes_the_table_and_page(tmp_path, capsys):
    out = tmp_path / "v"
    status = main(
        [f"out={out}", "years=1", "population.scale=0.0001", "burn_in_weeks=26", "only=patterns"]
    )
    assert status == 0
    table = pd.read_csv(out / "patterns.csv")
    assert list(table.columns) == COLUMNS
    assert {"pattern", "survey_age_20s_2021"} & set(table["pattern"])
    assert len(table) >= 40
    core = table.set_index("pattern").loc[["lonely_degree_ratio", "isolation_loneliness_corr"]]
    assert np.isfinite(core["model"]).all()
    # the verdict is the band check, row by row
    inside = (table["model"] >= table["target_low"]) & (table["model"] <= table["target_high"])
    assert (table["pass"] == inside).all()
    assert (out / "patterns.png").stat().st_size > 10_000
    assert "patterns within their target band" in capsys.readouterr().out
