"""Streaming result store: one Parquet file per finished run, plus a manifest of the design.

Layout of a store folder::

    manifest.json              the design: parameters, samples, packages, seeds, base config
    runs/<run_id>.parquet      one row per finished run: spec, values, outcomes, error
    series/<run_id>.parquet    the run's monthly whole-region survey series (if kept)

Every file is written to a hidden temporary name in the same folder and renamed into place
(atomic on POSIX), so a killed sweep leaves only whole files. The run file is written last and
marks the run finished: a rerun skips exactly those, so nothing is lost or repeated. A run file
(or its series) that cannot be read back whole, e.g. emptied or truncated by a full disk or a
copy, does not count as finished: :meth:`ResultStore.done` removes it and the run is run again.
Readers
(pandas, pyarrow, DuckDB) skip hidden files::

    pd.read_parquet("outputs/experiments/NAME/runs")
    duckdb.sql("SELECT package, avg(py_lonely) FROM 'outputs/experiments/NAME/runs/*.parquet' "
               "GROUP BY package")

The calibration keeps its evaluations in a different store (:mod:`calibration.store`, one
JSON-lines file): its records are nested, not flat rows, and many and short; its docstring says
why the two are not merged.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from experiments.evaluators import RunOutput
from sim.core.files import atomic_write, atomic_write_text
from sim.core.params import ConfigError

MANIFEST = "manifest.json"


class ResultStore:
    """A folder of finished runs.

    Args:
        path: the store folder (created if missing).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.runs = self.path / "runs"
        self.series_dir = self.path / "series"

    def open(self, design: dict) -> None:
        """Create the folder and manifest, or check an existing manifest holds the same design.

        Raises:
            ConfigError: the folder cannot be written, or holds a different design.
        """
        key = design_hash(design)
        manifest = self.path / MANIFEST
        try:
            self.runs.mkdir(parents=True, exist_ok=True)
            self.series_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"out: cannot write to '{self.path}': {exc.strerror or exc}"
            ) from None
        if manifest.exists():
            old = _read_manifest(manifest)
            if old.get("design_hash") != key:
                raise ConfigError(
                    f"out: '{self.path}' holds a different experiment (design changed); "
                    "use another out=FOLDER or remove it"
                )
            return
        body = json.dumps({"design_hash": key, **design}, ensure_ascii=False, indent=1)
        atomic_write_text(manifest, body)

    def manifest(self) -> dict:
        """The stored design.

        Raises:
            ConfigError: the manifest is unreadable or not a JSON object.
        """
        return _read_manifest(self.path / MANIFEST)

    def done(self) -> set[str]:
        """Run ids already finished: their run file (and series file, if any) reads back whole.

        A run file or series file that does not (empty, truncated, not Parquet, or not the row
        of its run) is removed, so the run counts as not done and is run again.
        """
        if not self.runs.is_dir():
            return set()
        out = set()
        for path in sorted(self.runs.glob("*.parquet")):
            if path.name.startswith("."):
                continue
            run_id = path.stem
            series = self.series_dir / path.name
            if _is_run_file(path, run_id) and (not series.exists() or _readable(series)):
                out.add(run_id)
            else:
                path.unlink(missing_ok=True)
                series.unlink(missing_ok=True)
        return out

    def write(self, out: RunOutput) -> None:
        """Write one finished run: its series first, then its row (which marks it finished)."""
        run_id = out.row["run_id"]
        if out.series is not None:
            series = out.series.assign(run_id=run_id)
            atomic_write_table(self.series_dir / f"{run_id}.parquet", series)
        atomic_write_table(self.runs / f"{run_id}.parquet", pd.DataFrame([out.row]))

    def outcomes(self) -> pd.DataFrame:
        """Every finished run as one table (one row per run, sorted by run id)."""
        return _read_folder(self.runs)

    def series(self) -> pd.DataFrame:
        """Monthly series of every finished run that kept one."""
        return _read_folder(self.series_dir)


def _read_manifest(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise ConfigError(
            f"out: cannot read the store manifest '{path}' ({reason}); use another "
            "out=FOLDER or remove it"
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(
            f"out: the store manifest '{path}' is not a JSON object; use another out=FOLDER "
            "or remove it"
        )
    return value


def _readable(path: Path) -> bool:
    """Whether a Parquet file reads back whole."""
    try:
        pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException):
        return False
    return True


def _is_run_file(path: Path, run_id: str) -> bool:
    """Whether a run file reads back whole as the one row of ``run_id``."""
    try:
        table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException):
        return False
    names = table.column_names
    return table.num_rows == 1 and "run_id" in names and table["run_id"][0].as_py() == run_id


def _read_table(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot read '{path}' ({reason}); rerun the command") from None


def _read_folder(folder: Path) -> pd.DataFrame:
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))
    if not files:
        return pd.DataFrame()
    table = pa.concat_tables([_read_table(p) for p in files], promote_options="default")
    df = table.to_pandas()
    return df.sort_values(
        [c for c in ("run_id", "week", "measure") if c in df], kind="stable"
    ).reset_index(drop=True)


def atomic_write_table(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as Parquet (one row group) to ``path`` atomically."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    atomic_write(path, lambda p: pq.write_table(table, p))


def design_hash(design: dict) -> str:
    """A short hash of the design (what decides the runs and their numbers)."""
    text = json.dumps(design, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
