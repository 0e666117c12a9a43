"""Resumable evaluations: one append-only JSON-lines file per calibration run.

Every finished evaluation is appended as one line and flushed to disk (``fsync``) before the
next one is recorded, so an interruption loses at most the evaluations still running. A torn
last line (interrupted mid-write) is dropped when the file is reopened. The run's settings are
written atomically (temporary file, then rename) to ``run.json``; rerunning the same command
checks them and skips every evaluation already in the file.

Why this is not the experiments' :class:`experiments.store.ResultStore` (one Parquet file per
run and a manifest): a calibration evaluation is a nested record (parameters, target values,
thresholds, UCLA cuts, network statistics), not a flat row of outcomes, and a calibration makes
hundreds of short evaluations, for which one appended, fsynced line each is cheaper than one file
each. The two share what makes them safe: settings (a manifest) checked on reopening, a record
counted only once it is whole on disk, and the one atomic-write helper of :mod:`sim.core.files`.
Merging them would change the files a resumed calibration reads (``evaluations.jsonl``) without
changing a number, so they stay two formats of one idea.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from sim.core.files import atomic_write_text as atomic_write


class EvaluationStore:
    """Evaluations of one calibration run, keyed by ``"g<generation>:<index>"``.

    Args:
        folder: the run's folder (created if needed).
        settings: what defines the run (targets, parameters, seed, sizes); must match the
            settings stored by an earlier, interrupted run of the same name.

    Raises:
        sim.core.params.ConfigError: if the folder holds a run with different settings.
    """

    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        from sim.core.params import ConfigError

        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "evaluations.jsonl"
        meta = self.folder / "run.json"
        if meta.exists():
            old = json.loads(meta.read_text(encoding="utf-8"))
            if old != json.loads(json.dumps(settings)):
                diff = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
                raise ConfigError(
                    f"calibrate: '{self.folder}' holds a run with other settings "
                    f"({', '.join(diff)}); choose another name=NAME or delete that folder"
                )
        else:
            atomic_write(meta, json.dumps(settings, indent=1, ensure_ascii=False))
        self.records: dict[str, dict] = self._load()

    def _load(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        out: dict[str, dict] = {}
        good: list[str] = []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for line in lines:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn line from an interrupted write
            out[rec["key"]] = rec
            good.append(line)
        if len(good) != len(lines) or (lines and not self.path.read_bytes().endswith(b"\n")):
            atomic_write(self.path, "".join(g + "\n" for g in good))
        return out

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def get(self, key: str) -> dict | None:
        """The stored record of ``key``, if any."""
        return self.records.get(key)

    def append(self, record: dict) -> None:
        """Append one finished evaluation and flush it to disk."""
        line = json.dumps(record, ensure_ascii=False, allow_nan=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.records[record["key"]] = record
