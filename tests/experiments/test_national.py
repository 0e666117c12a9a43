"""National runs in partitions: same bytes on every back-end and order, resume, merge rules."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from experiments import national
from experiments.national_exec import execute
from experiments.national_outputs import write_outputs
from experiments.national_store import Store
from experiments.national_tasks import PartitionTask, partition_seed, scenario_for
from sim.core.params import ConfigError

THREE = ["region=japan", "region.prefectures=[31,32,39]", "population.scale=0.002", "years=1",
         "burn_in_weeks=4", "lang=en", "start_date=2026-01-04"]  # fmt: skip
FILES = ("timeseries.parquet", "timeseries.csv", "by_prefecture.csv", "baseline/timeseries.csv",
         "manifest.json")  # fmt: skip


def _digest(folder) -> dict[str, str]:
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in FILES}


def _run(tmp, name, *extra, order=None):
    plan = national.prepare([*THREE, "scenario=awareness_campaign", f"out={tmp / name}", *extra])
    if order is not None:
        plan.tasks = order(plan.tasks)
    store = Store(plan.out)
    counts = execute(plan, store, say=lambda _: None)
    write_outputs(plan, store)
    return plan, counts


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("national")
    plan, counts = _run(tmp, "serial", "executor=serial")
    return tmp, plan, counts


def test_partition_seeds_are_distinct_and_stable():
    seeds = {partition_seed(42, f"pref-{c:02d}") for c in range(1, 48)}
    assert len(seeds) == 47
    assert partition_seed(42, "shutoken") == partition_seed(42, "shutoken")
    assert partition_seed(42, "shutoken") != partition_seed(43, "shutoken")
    assert all(0 <= s < 2**32 for s in seeds)


def test_plan_of_three_prefectures(serial):
    _, plan, counts = serial
    assert sorted(t.key for t in plan.tasks) == ["pref-31", "pref-32", "pref-39"]
    assert counts["ran"] == 3 and counts["kept"] == 0
    assert len({t.own_seed for t in plan.tasks}) == 3
    # the partition's config is the run's, with its region and seed
    t = next(t for t in plan.tasks if t.key == "pref-31")
    over = t.model_overrides()
    assert "region.prefectures=[31]" in over and f"seed={partition_seed(42, 'pref-31')}" in over


def test_same_bytes_in_reverse_order_and_in_a_process_pool(serial, tmp_path):
    _, plan, _ = serial
    want = _digest(plan.out)
    rev, _ = _run(tmp_path, "reversed", "executor=serial", order=lambda ts: ts[::-1])
    assert _digest(rev.out) == want
    pool, _ = _run(tmp_path, "pool", "executor=process", "executor.workers=2")
    assert _digest(pool.out) == want


def test_same_bytes_on_a_dask_local_cluster(serial, tmp_path):
    pytest.importorskip("distributed")
    _, plan, _ = serial
    dask, _ = _run(tmp_path, "dask", "executor=dask", "executor.workers=2")
    assert _digest(dask.out) == _digest(plan.out)


def test_a_rerun_resumes_from_the_store(serial, tmp_path):
    import shutil

    _, plan, _ = serial
    copy = tmp_path / "copy"
    shutil.copytree(plan.out, copy)
    (copy / "partitions" / "pref-32" / "result.json").unlink()  # as if killed before it finished
    (copy / "timeseries.csv").unlink()
    again = national.prepare([*THREE, "scenario=awareness_campaign", f"out={copy}",
                              "executor=serial"])  # fmt: skip
    counts = execute(again, Store(again.out), say=lambda _: None)
    write_outputs(again, Store(again.out))
    assert counts == {**counts, "ran": 1, "kept": 2}
    assert _digest(copy) == _digest(plan.out)
    # a stored result of other settings is not reused
    other = national.prepare([*THREE, "scenario=awareness_campaign", f"out={copy}",
                              "executor=serial", "years=2"])  # fmt: skip
    assert not any(Store(other.out).holds(t) for t in other.tasks)


def test_merge_rules(serial):
    _, plan, _ = serial
    t = pd.read_parquet(plan.out / "timeseries.parquet")
    parts = {k: pd.read_parquet(plan.out / "partitions" / k / "table.parquet")
             for k in ("pref-31", "pref-32", "pref-39")}  # fmt: skip
    last = t["week"].max()

    def pick(frame, measure, dim="all", group="all"):
        f = frame[(frame.week == last) & (frame.measure == measure) & (frame.dimension == dim)
                  & (frame.group == group)]  # fmt: skip
        assert len(f) == 1
        return f.iloc[0]

    # counts add up, means are weighted by n
    pop = pick(t, "population").value
    assert pop == sum(pick(p, "population").value for p in parts.values())
    pref = t[(t.week == last) & (t.measure == "population") & (t.dimension == "prefecture")]
    assert sorted(pref.group) == sorted(["島根県", "鳥取県", "高知県"])
    assert pref.value.sum() == pytest.approx(pop)
    rows = [pick(p, "any_loneliness") for p in parts.values()]
    want = sum(r.value * r.n for r in rows) / sum(r.n for r in rows)
    assert pick(t, "any_loneliness").value == pytest.approx(want, rel=1e-12)
    assert pick(t, "any_loneliness").n == sum(r.n for r in rows)
    # a prefecture's row equals its own partition's whole-region row
    own = pick(parts["pref-31"], "any_loneliness")
    assert pick(t, "any_loneliness", "prefecture", "鳥取県").value == pytest.approx(own.value)
    assert pick(t, "population_share").value == pytest.approx(1.0)
    # municipalities are named with their prefecture, once each
    mun = t[(t.week == last) & (t.measure == "population") & (t.dimension == "municipality")]
    assert mun.group.is_unique and len(mun) == 19 + 19 + 34
    assert mun.group.str.startswith(("鳥取県", "島根県", "高知県")).all()
    # costs: Japan's total is the sum of the prefectures' (bills plus shared bills)
    by = pd.read_csv(plan.out / "by_prefecture.csv", dtype={"code": str})
    assert by.loc[by.code == "00", "cost_yen"].item() == pytest.approx(
        by.loc[by.code != "00", "cost_yen"].sum(), rel=1e-9
    )
    assert np.isfinite(by["lonely_person_years_averted"]).all()
    man = json.loads((plan.out / "manifest.json").read_text(encoding="utf-8"))
    assert [p["key"] for p in man["partitions"]] == ["pref-31", "pref-32", "pref-39"]
    timings = json.loads((plan.out / "timings.json").read_text(encoding="utf-8"))
    assert all(50 * 2**20 < t["peak_rss_bytes"] < 4 * 2**30 for t in timings.values())
    assert all(t["seconds"] > 0 for t in timings.values())


def test_scenario_levers_follow_their_municipalities(monkeypatch):
    import sim.policy.scenario as sc
    from sim.config import compose_config
    from sim.policy.levers.base import Lever
    from sim.world.region import load_region

    cfg = compose_config(["region=japan", "region.prefectures=[39]"], check_region=False)
    kochi = load_region("japan", prefectures=["39"])
    levers = [Lever(id="a", municipalities=["鳥取市", "高知市"]),
              Lever(id="b", municipalities=["鳥取市"]),
              Lever(id="c")]  # fmt: skip
    monkeypatch.setattr(sc, "load_scenario", lambda name: sc.Scenario("x", levers=levers))
    got = scenario_for(cfg, kochi)
    assert [lv.id for lv in got.levers] == ["a", "c"]
    assert got.levers[0].municipalities == ["高知市"]
    assert got.levers[1].municipalities == []


def test_bad_input_is_one_line():
    with pytest.raises(ConfigError, match="region=japan"):
        national.prepare(["region=tottori"])
    with pytest.raises(ConfigError, match=r"executor\.memory"):
        national.prepare([*THREE, "executor.memory=-1"])


def test_a_partition_too_big_for_any_worker_is_refused(tmp_path):
    pytest.importorskip("distributed")
    plan = national.prepare([*THREE, f"out={tmp_path}", "executor=dask", "executor.workers=1",
                             "executor.memory=0.01"])  # fmt: skip
    with pytest.raises(ConfigError, match=r"executor.memory: partition pref-\d\d needs about"):
        execute(plan, Store(plan.out), say=lambda _: None)
    assert not (tmp_path / "partitions").exists()


def test_wall_time_and_useful_workers():
    tasks = [PartitionTask(k, ("01",), (), 1, 0, s) for k, s in
             (("a", 10.0), ("b", 6.0), ("c", 4.0), ("d", 3.0))]  # fmt: skip
    assert national.wall_seconds(tasks, 1) == 23.0
    assert national.wall_seconds(tasks, 2) == 13.0  # a+d | b+c
    assert national.wall_seconds(tasks, 8) == 10.0
    assert national.workers_useful(tasks) == 3


def test_plan_run_prints_every_partition(capsys):
    assert national.plan_main(["region=japan", "population.scale=1.0", "lang=en"]) == 0
    out = capsys.readouterr().out
    assert "37 partitions, 126,146,099 simulated residents" in out
    assert "shutoken" in out and "memory a worker needs" in out


def test_a_fixed_cost_is_paid_once_by_the_whole_run(serial):
    """The campaign's fixed weekly cost, split by population, sums to a single run's."""
    from sim.config import compose_config
    from sim.engine.model import run

    _, plan, _ = serial
    t = pd.read_parquet(plan.out / "timeseries.parquet")
    lever = t[(t.measure == "cost_yen") & (t.dimension == "lever") & (t.group == "campaign_fy2026")]
    one = run(compose_config([*THREE, "scenario=awareness_campaign"])).table
    want = one[(one.measure == "cost_yen") & (one.dimension == "lever")
               & (one.group == "campaign_fy2026")]  # fmt: skip
    assert want.value.sum() > 0
    assert lever.value.sum() == pytest.approx(want.value.sum(), rel=1e-5)  # float32 records
    shares = [t.shares for t in plan.tasks]
    assert all(len(s) == len(shares[0]) for s in shares)
    assert sum(s[-1] for s in shares) == pytest.approx(1.0)


def test_a_killed_worker_loses_only_its_task(serial, tmp_path):
    """SIGKILL the only worker of a cluster mid-task: the task reruns, the bytes are the same."""
    import os
    import signal
    import threading
    import time

    distributed = pytest.importorskip("distributed")
    _, plan, _ = serial
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  resources={"MEMORY": 2**33}, dashboard_address=None,
                                  memory_limit=0) as cluster:  # fmt: skip
        client = distributed.Client(cluster)
        pids = client.run(os.getpid)
        done = {}
        run = threading.Thread(
            target=lambda: done.update(
                out=_run(
                    tmp_path,
                    "killed",
                    "executor=dask",
                    f"executor.address={cluster.scheduler_address}",
                )
            )
        )
        run.start()
        killed = False
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            if any(client.processing().values()):
                time.sleep(0.5)  # inside the task
                for pid in pids.values():
                    os.kill(pid, signal.SIGKILL)
                killed = True
            time.sleep(0.05)
        run.join(timeout=300)
        restarted = set(client.run(os.getpid).values())
        client.close()
    assert killed and "out" in done
    assert restarted and not restarted & set(pids.values())  # the nanny started a new worker
    assert _digest(done["out"][0].out) == _digest(plan.out)
