"""All of Japan in 37 partitions at a small scale (slow: run with -m slow)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from experiments import national
from experiments.national_exec import execute
from experiments.national_outputs import write_outputs
from experiments.national_store import Store

pytestmark = pytest.mark.slow


def test_all_of_japan_in_partitions(tmp_path):
    plan = national.prepare(["region=japan", "population.scale=0.001", "years=1",
                             "burn_in_weeks=4", "lang=en", "executor=process",
                             f"out={tmp_path / 'japan'}"])  # fmt: skip
    assert len(plan.tasks) == 37
    covered = sorted(c for t in plan.tasks for c in t.prefectures)
    assert covered == [f"{c:02d}" for c in range(1, 48)]
    store = Store(plan.out)
    counts = execute(plan, store, say=lambda _: None)
    assert counts["ran"] == 37
    write_outputs(plan, store)
    by = pd.read_csv(plan.out / "by_prefecture.csv", dtype={"code": str})
    assert len(by) == 48 and by["code"].iloc[0] == "00"
    japan = by.iloc[0]
    # populations add up; the real-equivalent start is the 2020 census within rounding
    assert japan.population_first == pytest.approx(by.population_first.iloc[1:].sum())
    assert japan.population_first == pytest.approx(126_146_099, rel=0.01)
    assert japan.cost_yen == pytest.approx(by.cost_yen.iloc[1:].sum(), rel=1e-9)
    # every prefecture's loneliness is a share, and Japan's lies within theirs
    assert by.any_loneliness.between(0, 1).all()
    assert by.any_loneliness.iloc[1:].min() <= japan.any_loneliness
    assert japan.any_loneliness <= by.any_loneliness.iloc[1:].max()
    t = pd.read_parquet(plan.out / "timeseries.parquet")
    mun = t[(t.measure == "population") & (t.dimension == "municipality")]
    assert mun.groupby("week").group.nunique().eq(1741).all()  # 太子町 twice, named apart
    man = json.loads((plan.out / "manifest.json").read_text(encoding="utf-8"))
    assert len({p["seed"] for p in man["partitions"]}) == 37
