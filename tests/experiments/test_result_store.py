"""The experiments' result store: write, done, a damaged run file is run again, manifest checked."""

import pandas as pd
import pytest

from experiments.evaluators import RunOutput
from experiments.store import ResultStore
from sim.core.params import ConfigError

DESIGN = {"command": "compare", "seed": 1, "n_runs": 2}


def _out(run_id, value=1.5, series=True):
    row = {"run_id": run_id, "package": "baseline", "py_lonely": value, "error": ""}
    s = pd.DataFrame({"week": [4, 8], "measure": ["m", "m"], "value": [0.1, 0.2]})
    return RunOutput(row, s if series else None)


def test_written_runs_are_done_and_read_back(tmp_path):
    store = ResultStore(tmp_path / "s")
    store.open(DESIGN)
    assert store.done() == set()
    store.write(_out("a"))
    store.write(_out("b", 2.5, series=False))
    assert store.done() == {"a", "b"}
    df = store.outcomes()
    assert list(df["run_id"]) == ["a", "b"] and list(df["py_lonely"]) == [1.5, 2.5]
    assert list(store.series()["run_id"]) == ["a", "a"]
    assert store.manifest()["design_hash"]


@pytest.mark.parametrize("damage", ["empty", "truncated", "series"])
def test_a_damaged_run_file_is_removed_and_counts_as_not_done(tmp_path, damage):
    store = ResultStore(tmp_path / "s")
    store.open(DESIGN)
    store.write(_out("a"))
    store.write(_out("b"))
    if damage == "series":
        (store.series_dir / "a.parquet").write_bytes(b"PAR1 not really")
    else:
        path = store.runs / "a.parquet"
        path.write_bytes(b"" if damage == "empty" else path.read_bytes()[:20])
    assert store.done() == {"b"}
    assert not (store.runs / "a.parquet").exists()
    assert not (store.series_dir / "a.parquet").exists()
    store.write(_out("a"))  # the rerun
    assert store.done() == {"a", "b"}


def test_a_run_file_of_another_run_is_not_done(tmp_path):
    store = ResultStore(tmp_path / "s")
    store.open(DESIGN)
    store.write(_out("a"))
    (store.runs / "a.parquet").rename(store.runs / "c.parquet")
    assert store.done() == set()


def test_a_store_of_another_design_is_refused(tmp_path):
    ResultStore(tmp_path / "s").open(DESIGN)
    ResultStore(tmp_path / "s").open(dict(DESIGN))  # the same design reopens
    with pytest.raises(ConfigError, match="different experiment"):
        ResultStore(tmp_path / "s").open({**DESIGN, "seed": 2})
    for text in ("{not json", "[]", ""):  # invalid, not an object, empty
        (tmp_path / "s" / "manifest.json").write_text(text)
        with pytest.raises(ConfigError, match=r"manifest"):
            ResultStore(tmp_path / "s").open(DESIGN)
