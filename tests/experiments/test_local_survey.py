"""Local surveys (issue 18): sampling, non-response, intervals and power.

Results files and the commands: ``test_local_survey_commands.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.local_survey_design import (
    N_CELLS,
    allocate,
    cell_of,
    draw_sample,
    estimate,
    respond,
    response_rates,
)
from experiments.local_survey_model import ITEM_CODES, Frame
from experiments.local_survey_power import (
    analytic_power,
    detectable_changes,
    detectable_text,
    mdd,
    power_table,
    simulate_estimates,
)
from sim.core.params import ConfigError

TINY = ["region=tottori", "population.scale=0.003", "years=1", "burn_in_weeks=8"]


def synthetic_frame(size: int, seed: int, shift: float = 0.0) -> Frame:
    """A register with answers that depend on age (so unweighted shares are biased)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(16, 95, size)
    sex = rng.integers(0, 2, size).astype(np.int8)
    hh = rng.integers(0, 5, size).astype(np.int8)
    p = np.clip(0.35 - 0.003 * (age - 16) + 0.05 * sex + shift, 0.01, 0.99)
    y = rng.random(size) < p
    answers = np.zeros((size, len(ITEM_CODES)), bool)
    answers[:, ITEM_CODES.index("lonely")] = y
    answers[:, ITEM_CODES.index("any_loneliness")] = y | (rng.random(size) < 0.3)
    return Frame(age, sex, hh, cell_of(age, sex), answers, 0, "2025-12-07", 1.0)


# ---------------------------------------------------------------- sampling


@pytest.mark.parametrize("design", ["simple", "stratified"])
def test_sample_size_and_strata(design):
    f = synthetic_frame(20000, 1)
    cells = f.cells.astype(np.int64)
    s = draw_sample(cells, 1500, design, np.random.default_rng(3))
    assert s.size == 1500 and np.unique(s).size == 1500
    if design == "stratified":
        want = np.bincount(cells, minlength=N_CELLS) * 1500 / cells.size
        got = np.bincount(cells[s], minlength=N_CELLS)
        assert np.all(np.abs(got - want) < 1.0)  # proportional, largest remainder


def test_allocate_adds_up_and_refuses_too_many():
    counts = np.array([10, 0, 33, 7, 50])
    a = allocate(counts, 41)
    assert a.sum() == 41 and np.all(a <= counts)
    with pytest.raises(ConfigError, match=r"^n: "):
        allocate(counts, 101)


def test_register_is_the_municipality_16plus():
    from experiments.local_survey_model import surveyed_frames
    from sim.config import compose_config, load_configured_region

    # population held fixed, so the register is the synthesised one (with demography it is the
    # living residents 16+ at the survey date)
    cfg = compose_config([*TINY, "demography=static"], check_region=False)
    region = load_configured_region(cfg)
    (frame,) = surveyed_frames(cfg, region, [1], 2)
    from sim.core.rng import Streams
    from sim.world.population import synthesize

    pop = synthesize(region, cfg.population, Streams(cfg.seed))  # the run's population
    assert frame.age.min() >= 16
    assert frame.size == int(((pop.municipality == 2) & (pop.age >= 16)).sum())
    assert frame.answers.shape == (frame.size, len(ITEM_CODES))
    assert frame.date.endswith(
        ("-12-01", "-12-02", "-12-03", "-12-04", "-12-05", "-12-06", "-12-07")
    )


def test_non_response_rates_recovered():
    f = synthetic_frame(60000, 2)
    cells = f.cells.astype(np.int64)
    rates = response_rates("national", cells)
    rng = np.random.default_rng(5)
    sampled = draw_sample(cells, 30000, "simple", rng)
    resp = respond(cells, sampled, rates, rng)
    m = np.bincount(cells[sampled], minlength=N_CELLS)
    r = np.bincount(cells[resp], minlength=N_CELLS)
    se = np.sqrt(rates * (1 - rates) / m)
    assert np.all(np.abs(r / m - rates) < 4 * se)
    # the young answer less often than people in their seventies (the national pattern)
    assert rates[0] < 0.45 < 0.65 < rates[12]


def test_response_percent_rescales_the_overall_rate():
    f = synthetic_frame(20000, 4)
    cells = f.cells.astype(np.int64)
    rates = response_rates("40", cells)
    counts = np.bincount(cells, minlength=N_CELLS)
    assert (rates * counts).sum() / counts.sum() == pytest.approx(0.40, abs=1e-6)
    with pytest.raises(ConfigError, match=r"^response: "):
        response_rates("abc", cells)


# ---------------------------------------------------------------- intervals


@pytest.mark.parametrize("design", ["simple", "stratified"])
def test_interval_coverage(design):
    """95% intervals of weighted estimates cover the register's share about 95% of the time."""
    f = synthetic_frame(15000, 6)
    cells = f.cells.astype(np.int64)
    counts = np.bincount(cells, minlength=N_CELLS).astype(float)
    rates = response_rates("national", cells)
    j = ITEM_CODES.index("lonely")
    truth_all = f.answers[:, j].mean()
    single = f.household_type == 0
    truth_dom = f.answers[single, j].mean()
    rng = np.random.default_rng(11)
    cover_all = cover_dom = 0
    reps = 400
    for _ in range(reps):
        s = draw_sample(cells, 1200, design, rng)
        r = respond(cells, s, rates, rng)
        y = f.answers[r][:, [j]]
        e = estimate(y, cells[r], np.ones(r.size, bool), counts)
        cover_all += e.low[0] <= truth_all <= e.high[0]
        d = estimate(y, cells[r], single[r], counts)
        cover_dom += d.low[0] <= truth_dom <= d.high[0]
    # binomial SE of a coverage share at 400 samples is 1.1 points
    assert 0.915 <= cover_all / reps <= 0.985
    assert 0.915 <= cover_dom / reps <= 0.985


def test_unweighted_estimate_shows_non_response_bias():
    """Older residents answer more and are less lonely here: plain shares are too low."""
    f = synthetic_frame(40000, 7)
    j = ITEM_CODES.index("lonely")
    f.answers[:, j] = np.random.default_rng(1).random(f.size) < 0.6 - 0.006 * (f.age - 16)
    cells = f.cells.astype(np.int64)
    counts = np.bincount(cells, minlength=N_CELLS).astype(float)
    rates = response_rates("national", cells)
    rng = np.random.default_rng(8)
    s = draw_sample(cells, 20000, "simple", rng)
    r = respond(cells, s, rates, rng)
    y = f.answers[r][:, [j]]
    w = estimate(y, cells[r], np.ones(r.size, bool), counts, "age_sex")
    u = estimate(y, cells[r], np.ones(r.size, bool), counts, "none")
    truth = f.answers[:, j].mean()
    p_h = np.bincount(cells, weights=f.answers[:, j], minlength=N_CELLS) / counts
    biased = (rates * counts * p_h).sum() / (rates * counts).sum()  # what plain shares estimate
    assert biased < truth - 0.015
    assert abs(w.share[0] - truth) < 4 * w.se[0]
    assert abs(u.share[0] - biased) < 4 * u.se[0]


# ---------------------------------------------------------------- power


def _pair(p_base: float, p_pkg: float, size: int = 30000):
    fb = synthetic_frame(size, 9)
    fp = synthetic_frame(size, 9)
    j = ITEM_CODES.index("lonely")
    rng = np.random.default_rng(10)
    fb.answers[:, j] = rng.random(size) < p_base
    fp.answers[:, j] = rng.random(size) < p_pkg
    return fb, fp


def test_power_monotone_and_close_to_analytic():
    fb, fp = _pair(0.20, 0.24)
    pairs = [(1, {"base_after": fb, "pkg_after": fp, "base_before": fb, "pkg_before": fb})]
    rates = np.ones(N_CELLS)
    sizes = [200, 800, 2000]
    table = power_table(
        pairs,
        sizes,
        ("lonely",),
        "simple",
        rates,
        600,
        lambda s, label: np.random.default_rng(abs(hash(label)) % 2**32),
        "none",
    )
    t = table[table["comparison"] == "two_arm"].sort_values("questionnaires")
    power = t["power"].to_numpy()
    assert power[0] < power[1] < power[2]
    # against the textbook power of the realised difference (tolerance ~3 Monte Carlo SE)
    assert np.all(np.abs(power - t["analytic_power"].to_numpy()) < 0.06)
    # the comparison of a world with itself detects at about alpha
    null = table[table["comparison"] == "before_after_baseline"]["power"].to_numpy()
    assert np.all(null < 0.1)


def test_simulated_estimates_unbiased_with_honest_variance():
    f = synthetic_frame(20000, 12)
    j = ITEM_CODES.index("lonely")
    big_n = np.bincount(f.cells, minlength=N_CELLS)
    yes = np.bincount(f.cells, weights=f.answers[:, j].astype(float), minlength=N_CELLS)
    rates = response_rates("national", f.cells.astype(np.int64))
    for design in ("simple", "stratified"):
        p, v, _ = simulate_estimates(
            big_n, yes.astype(np.int64), 1500, design, rates, 2000, np.random.default_rng(13)
        )
        truth = yes.sum() / big_n.sum()
        assert abs(p.mean() - truth) < 4 * p.std() / np.sqrt(p.size)
        assert np.sqrt(v.mean()) == pytest.approx(p.std(), rel=0.1)


def test_analytic_power_and_mdd_agree():
    d = mdd(0.2, 1000)
    assert analytic_power(0.2 - d / 2, 0.2 + d / 2, 1000) == pytest.approx(0.8, abs=0.02)
    assert mdd(0.2, 1000, population=2000) < d  # finite population correction


def test_detectable_changes_table_and_text():
    t = detectable_changes(
        {"lonely": 18.0, "any_loneliness": 37.0},
        1100,
        effects={"lonely": -0.3, "any_loneliness": -6.5},
        lang="en",
    )
    assert list(t["item"]) == ["lonely", "any_loneliness"]
    assert 4.0 < t["mdd_pp"].iloc[0] < 5.0
    assert list(t["visible"]) == [False, True]
    text = detectable_text(t, "en")
    assert "1,100 respondents" in text and "| no |" in text
    assert "見えない" in detectable_text(
        detectable_changes({"lonely": 18.0}, 1100, effects={"lonely": 0.1}), "ja"
    )


def test_kpi_shares_from_a_run_table():
    from experiments.local_survey_power import kpi_shares

    rows = []
    for date in ("2025-11-02", "2025-12-07"):
        for m, v in (
            ("often_always", 0.05),
            ("sometimes", 0.14),
            ("any_loneliness", 0.38),
            ("ucla3_top", 0.06),
        ):
            rows.append(
                {
                    "date": date,
                    "measure": m,
                    "dimension": "municipality",
                    "group": "倉吉市",
                    "value": v + (date == "2025-12-07") * 0.01,
                }
            )
    s = kpi_shares(pd.DataFrame(rows), dimension="municipality", group="倉吉市")
    assert s["lonely"] == pytest.approx(21.0)
    assert s["ucla3_10_12"] == pytest.approx(7.0)


# ---------------------------------------------------------------- placing and drawing


def test_place_interval_contains_model_and_flags_far_rows():
    from experiments.local_survey_compare import ResultRow, place

    frames = [synthetic_frame(20000, s) for s in (1, 2, 3)]
    truth = np.mean([f.answers[:, ITEM_CODES.index("lonely")].mean() for f in frames])
    rows = [
        ResultRow(2, "lonely", "all", 100 * truth, 1000),
        ResultRow(3, "lonely", "all", 100 * truth + 15, 1000),
    ]
    df = place(rows, frames)
    assert list(df["verdict"]) == ["within", "above"]
    assert (df["expected_low_pct"] < df["model_pct"]).all()
    wide = place(rows, frames, deff=2.0)
    assert (wide["expected_high_pct"] > df["expected_high_pct"]).all()


def test_survey_command_end_to_end(tmp_path):
    from experiments.local_survey import main

    out = tmp_path / "s"
    assert main([*TINY, "n=150", "year=1", "sampling=stratified", "seed=3", f"out={out}"]) == 0
    tab = pd.read_csv(out / "tabulation.csv")
    assert set(tab["dimension"]) == {"all", "age_group", "sex", "household_type"}
    resp = pd.read_csv(out / "response.csv")
    assert resp.iloc[-1]["questionnaires"] == 150
    assert (out / "survey.xlsx").stat().st_size > 0
    assert (out / "survey_ja.png").stat().st_size > 0 and (out / "survey_en.png").exists()
    assert "95%" in (out / "survey_ja.md").read_text(encoding="utf-8")
    # same seed, same sample
    from experiments.local_survey import draw

    f = synthetic_frame(5000, 3)
    a, b = draw(f, 300, "stratified", "national", 7), draw(f, 300, "stratified", "national", 7)
    assert (a[0] == b[0]).all() and (a[1] == b[1]).all()
    assert not np.array_equal(a[0], draw(f, 300, "stratified", "national", 8)[0])
