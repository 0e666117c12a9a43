"""The result store of a partitioned run: one folder per finished partition.

``OUT/partitions/KEY/`` holds ``table.parquet`` (the scenario's monthly table),
``baseline.parquet`` (the paired baseline's, for a policy scenario), ``result.json`` (seed,
residents, counts and the fingerprint of what the result depends on) and ``timing.json``
(seconds, peak memory and worker; not part of the byte-identical outputs). ``result.json`` is
written last, atomically: a partition counts as finished only when it is there and its
fingerprint matches the task, so a killed run keeps every partition that finished and a rerun
of the same command runs only the others.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.national_tasks import PartitionResult, PartitionTask
from sim.core.files import atomic_write, atomic_write_text


class Store:
    """Finished partitions of one output folder.

    Args:
        out: the run's output folder (the store is ``out/partitions``).
    """

    def __init__(self, out: Path) -> None:
        self.root = Path(out) / "partitions"

    def folder(self, key: str) -> Path:
        """Where partition ``key`` is kept."""
        return self.root / key

    def holds(self, task: PartitionTask) -> bool:
        """Whether the store has a finished result of exactly this task."""
        try:
            meta = json.loads((self.folder(task.key) / "result.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(meta, dict) and meta.get("fingerprint") == task.fingerprint()

    def save(self, task: PartitionTask, result: PartitionResult) -> None:
        """Keep a finished partition (tables first, ``result.json`` last)."""
        folder = self.folder(task.key)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "result.json").unlink(missing_ok=True)
        _parquet(folder / "table.parquet", result.table)
        if result.baseline is not None:
            _parquet(folder / "baseline.parquet", result.baseline)
        atomic_write_text(folder / "timing.json", json.dumps(result.timing, indent=1) + "\n")
        meta = {"key": result.key, "prefectures": list(task.prefectures), "seed": result.seed,
                "residents": result.residents, "fingerprint": task.fingerprint(),
                "paired": result.baseline is not None, "counts": result.counts}  # fmt: skip
        text = json.dumps(meta, indent=1, sort_keys=True, ensure_ascii=False, default=str)
        atomic_write_text(folder / "result.json", text + "\n")

    def load(self, task: PartitionTask) -> PartitionResult:
        """The stored result of ``task`` (call :meth:`holds` first)."""
        folder = self.folder(task.key)
        meta = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        base = pd.read_parquet(folder / "baseline.parquet") if meta["paired"] else None
        try:
            timing = json.loads((folder / "timing.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            timing = {}
        return PartitionResult(
            meta["key"], int(meta["seed"]), int(meta["residents"]),
            pd.read_parquet(folder / "table.parquet"), base, meta["counts"], timing,
        )  # fmt: skip


def _parquet(path: Path, table: pd.DataFrame) -> None:
    atomic_write(
        path,
        lambda p: pq.write_table(
            pa.Table.from_pandas(table, preserve_index=False), p, compression="zstd"
        ),
    )
