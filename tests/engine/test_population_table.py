"""Population rows of the monthly table count living residents only, and add up."""

from __future__ import annotations

import dataclasses
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.config import compose_config
from sim.core.codes import AGE_GROUPS
from sim.engine.model import run
from sim.engine.population_table import AGE5_LABELS, COLUMNS, population_rows
from sim.engine.recorder import living_alone

SMALL = ["population.scale=0.005", "years=1", "burn_in_weeks=4", "seed=11"]


@pytest.fixture(scope="module")
def results():
    return run(compose_config(SMALL), keep_model=True)


@pytest.fixture(scope="module")
def model(results):
    return results.model


def _rows(t: pd.DataFrame, measure: str, dimension: str = "all") -> pd.Series:
    """Rows of one measure and dimension, as a Series indexed by group (the n column too)."""
    return t[(t["measure"] == measure) & (t["dimension"] == dimension)].set_index("group")


def _with_ages(model, age: np.ndarray):
    """A read-only stand-in of the model whose population has other ages (same households)."""
    pop = dataclasses.replace(model.pop, age=age)
    return SimpleNamespace(pop=pop, res=model.res, cfg=model.cfg, region=model.region)


def _direct_households(pop) -> pd.DataFrame:
    """General households with a living member, computed one household at a time with pandas."""
    people = pd.DataFrame({"hh": pop.household, "age": pop.age})
    people = people[people["age"] >= 0]
    per = people.groupby("hh")["age"].agg(["size", "min"])
    per = per[~pop.household_institutional[per.index]]
    per["type"] = pop.household_type[per.index]
    return per


def test_columns_are_the_recorders(results, model):
    t = population_rows(model, 4, "2025-05-04")
    assert list(t.columns) == list(COLUMNS) == list(results.table.columns)
    assert (t["week"] == 4).all() and (t["date"] == "2025-05-04").all()
    assert not t.duplicated(["measure", "dimension", "group"]).any()


def test_population_is_the_living_count_over_the_scale(model):
    t = population_rows(model, 0)
    living = int((model.pop.age >= 0).sum())
    scale = model.cfg.population.scale
    total = _rows(t, "population").loc["all"]
    assert total["n"] == living
    assert total["value"] == pytest.approx(round(living / scale, 1))
    ages = _rows(t, "population", "age_group")
    assert list(ages.index) == [g for g, _, _ in AGE_GROUPS]  # 0-15 included
    assert ages.loc["0-15", "n"] == int(((model.pop.age >= 0) & (model.pop.age < 16)).sum())


def test_every_dimension_adds_up_and_shares_sum_to_one(model):
    t = population_rows(model, 0)
    living = int((model.pop.age >= 0).sum())
    for dim in ("all", "age_group", "sex", "household_type", "municipality", "age5_sex"):
        assert _rows(t, "population", dim)["n"].sum() == living, dim
    for dim in ("all", "age_group", "sex", "household_type", "municipality"):
        shares = _rows(t, "population_share", dim)
        assert shares["value"].sum() == pytest.approx(1.0, abs=1e-9), dim
        assert shares["n"].sum() == living, dim
    pyramid = _rows(t, "population", "age5_sex")
    assert len(pyramid) == 2 * len(AGE5_LABELS) == 42
    assert pyramid.index[0] == "0-4|0" and pyramid.index[-1] == "100+|1"
    assert pyramid.loc["65-69|1", "n"] == int(
        ((model.pop.age // 5 == 13) & (model.pop.sex == 1)).sum()
    )


def test_inactive_residents_drop_out_exactly(model):
    before = population_rows(model, 0)
    age = model.pop.age.copy()
    living = np.flatnonzero(age >= 0)
    idx = np.random.default_rng(3).choice(living, 7, replace=False)
    age[idx] = -1
    after = population_rows(_with_ages(model, age), 0)
    pop = model.pop
    for dim, key, groups in (
        ("all", np.zeros(pop.n, int), ["all"]),
        ("sex", pop.sex, ["0", "1"]),
        ("municipality", pop.municipality, list(model.region.municipalities["name"])),
    ):
        drop = np.bincount(key[idx], minlength=len(groups))
        b, a = _rows(before, "population", dim)["n"], _rows(after, "population", dim)["n"]
        np.testing.assert_array_equal((b - a).loc[groups].to_numpy(), drop, err_msg=dim)
    b, a = _rows(before, "population", "age5_sex")["n"], _rows(after, "population", "age5_sex")["n"]
    assert b.sum() - a.sum() == 7
    assert _rows(before, "population_share", "sex")["n"].sum() - 7 == (
        _rows(after, "population_share", "sex")["n"].sum()
    )


def test_a_household_whose_members_all_left_is_no_longer_counted(model):
    pop = model.pop
    sizes = np.bincount(pop.household[pop.age >= 0], minlength=len(pop.household_type))
    general = np.flatnonzero((sizes >= 2) & ~pop.household_institutional)
    h = general[0]
    age = pop.age.copy()
    age[pop.household == h] = -1
    before, after = population_rows(model, 0), population_rows(_with_ages(model, age), 0)
    kind = str(int(pop.household_type[h]))
    assert _rows(before, "households")["n"]["all"] - _rows(after, "households")["n"]["all"] == 1
    drop = (
        _rows(before, "households", "household_type")["n"]
        - (_rows(after, "households", "household_type")["n"])
    )
    assert drop[kind] == 1 and drop.drop(kind).eq(0).all()


def test_households_match_a_direct_computation(model):
    age = model.pop.age.copy()
    age[np.random.default_rng(5).choice(model.pop.n, 40, replace=False)] = -1
    m = _with_ages(model, age)
    t = population_rows(m, 0)
    per = _direct_households(m.pop)
    scale = model.cfg.population.scale
    households = _rows(t, "households")
    assert households.loc["all", "n"] == len(per)
    assert households.loc["all", "value"] == pytest.approx(round(len(per) / scale, 1))
    by_type = _rows(t, "households", "household_type")["n"]
    want = per["type"].value_counts().reindex(range(5), fill_value=0)
    np.testing.assert_array_equal(by_type.to_numpy(), want.to_numpy())
    one65 = int(((per["size"] == 1) & (per["min"] >= 65)).sum())
    assert _rows(t, "one_person_65plus_households").loc["all", "n"] == one65
    share = _rows(t, "share_one_person_65plus_households").loc["all"]
    assert share["value"] == pytest.approx(one65 / len(per)) and share["n"] == len(per)


def test_ageing_shares_match_a_direct_computation(model):
    t = population_rows(model, 0)
    pop = model.pop
    living = pop.age >= 0
    assert _rows(t, "share_65plus").loc["all", "value"] == pytest.approx(
        (pop.age >= 65).sum() / living.sum()
    )
    assert _rows(t, "share_75plus").loc["all", "value"] == pytest.approx(
        (pop.age >= 75).sum() / living.sum()
    )
    names = list(model.region.municipalities["name"])
    by_muni = _rows(t, "share_65plus", "municipality")["value"]
    for i in (0, len(names) - 1):
        here = living & (pop.municipality == i)
        assert by_muni[names[i]] == pytest.approx((here & (pop.age >= 65)).sum() / here.sum())
    alone = living_alone(model)
    for s in (0, 1):
        old = (pop.age >= 65) & (pop.sex == s)
        row = _rows(t, "share_65plus_living_alone", "sex").loc[str(s)]
        assert row["value"] == pytest.approx((old & alone).sum() / old.sum())
        assert row["n"] == old.sum()


def _synthetic(n: int, n_hh: int, n_m: int, seed: int = 0):
    """A model-shaped stand-in with random residents, 5% of slots inactive."""
    rng = np.random.default_rng(seed)
    hh = np.sort(rng.integers(0, n_hh, n)).astype(np.int32)
    age = rng.integers(0, 105, n).astype(np.int16)
    age[rng.random(n) < 0.05] = -1
    pop = SimpleNamespace(
        n=n, age=age, sex=rng.integers(0, 2, n).astype(np.int8),
        municipality=rng.integers(0, n_m, n).astype(np.int16), household=hh,
        household_type=rng.integers(0, 5, n_hh).astype(np.int8),
        household_institutional=rng.random(n_hh) < 0.02,
    )  # fmt: skip
    size = np.bincount(hh, minlength=n_hh)
    return SimpleNamespace(
        pop=pop,
        res=SimpleNamespace(cohabitants=(size[hh] - 1).astype(np.int16)),
        cfg=SimpleNamespace(population=SimpleNamespace(scale=1.0)),
        region=SimpleNamespace(
            municipalities=pd.DataFrame({"name": [f"m{i}" for i in range(n_m)]})
        ),
    )


def test_synthetic_arrays_match_pandas():
    m = _synthetic(20_000, 9_000, 5)
    t = population_rows(m, 0)
    pop = m.pop
    people = pd.DataFrame({"age": pop.age, "sex": pop.sex, "m": pop.municipality})
    people = people[people["age"] >= 0]
    band = np.minimum(people["age"] // 5, 20)
    want = people.groupby([band, "sex"]).size().to_numpy()
    np.testing.assert_array_equal(_rows(t, "population", "age5_sex")["n"].to_numpy(), want)
    per = _direct_households(pop)
    assert _rows(t, "households").loc["all", "n"] == len(per)
    kind = np.where(pop.household_institutional, 5, pop.household_type)[pop.household]
    by_kind = np.bincount(kind[pop.age >= 0], minlength=6)
    np.testing.assert_array_equal(_rows(t, "population", "household_type")["n"], by_kind)


@pytest.mark.slow
def test_a_million_residents_take_under_30_ms():
    """CPU time of one call (median of 15) on synthetic arrays: 1M slots, 450k households."""
    m = _synthetic(1_000_000, 450_000, 19)
    population_rows(m, 0)
    times = []
    for _ in range(15):
        start = time.thread_time()
        population_rows(m, 0)
        times.append(time.thread_time() - start)
    assert np.median(times) < 0.030
