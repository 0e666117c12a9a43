"""Writing a run's output folder: tidy tables, a manifest, a summary and a figure.

Every file is a pure function of the configuration and the seed: no clock times, no host names,
so the same seed twice gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.config import to_dict
from sim.model import Results

SUMMARY_MEASURES = (
    "often_always",
    "sometimes",
    "occasionally",
    "hardly_ever",
    "never",
    "any_loneliness",
    "ucla3_top",
    "no_in_person_contact",
    "no_social_activity",
    "chronic_loneliness",
)


def git_commit() -> str | None:
    """Commit of the installed source tree, if it is a git checkout."""
    here = Path(sim.__file__).resolve().parent.parent
    if not (here / ".git").exists():
        return None
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def sha256(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Last recorded value of the headline measures, overall and by group (wide by measure)."""
    last = table[table["week"] == table["week"].max()]
    last = last[last["measure"].isin(SUMMARY_MEASURES)]
    wide = last.pivot_table(
        index=["dimension", "group"], columns="measure", values="value", sort=False
    )
    n = last.drop_duplicates(["dimension", "group"]).set_index(["dimension", "group"])["n"]
    wide = wide[[m for m in SUMMARY_MEASURES if m in wide.columns]]
    wide.insert(0, "n", n)
    return wide.reset_index()


def manifest(results: Results, files: dict[str, str]) -> dict:
    """Run manifest: resolved config, seed, versions, git commit and data checksums."""
    return {
        "tool": "tsunagari",
        "version": sim.__version__,
        "git_commit": git_commit(),
        "seed": results.config.seed,
        "region": {
            "key": results.region.key,
            "name_ja": results.region.name_ja,
            "name_en": results.region.name_en,
            "municipalities": len(results.region.municipalities),
        },
        "residents": results.n_residents,
        "config": to_dict(results.config),
        "data_files_sha256": dict(sorted(results.region.data_files.items())),
        "outputs_sha256": files,
        "counts": results.counts,
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def write_run(results: Results, out_dir: Path) -> dict[str, Path]:
    """Write the output folder of one run and return the paths written.

    Files are written to temporary names and renamed, so an interrupted write never leaves a
    half-written file under a final name.
    """
    from sim.plots import plot_prevalence, save_figure

    out_dir.mkdir(parents=True, exist_ok=True)
    table = results.table
    paths = {
        "timeseries_parquet": out_dir / "timeseries.parquet",
        "timeseries_csv": out_dir / "timeseries.csv",
        "summary_csv": out_dir / "summary.csv",
        "figure": out_dir / "prevalence.png",
        "manifest": out_dir / "manifest.json",
    }
    _atomic(
        paths["timeseries_parquet"],
        lambda p: pq.write_table(
            pa.Table.from_pandas(table, preserve_index=False), p, compression="zstd"
        ),
    )
    _atomic(paths["timeseries_csv"], lambda p: table.to_csv(p, index=False, float_format="%.6g"))
    _atomic(
        paths["summary_csv"], lambda p: summary(table).to_csv(p, index=False, float_format="%.6g")
    )
    hashes = {k: sha256(v) for k, v in paths.items() if k not in ("manifest", "figure")}
    _write_manifest(results, hashes, paths["manifest"])  # tables are safe before plotting
    try:
        fig = plot_prevalence(table, lang=results.config.lang, title=_title(results))
        _atomic(paths["figure"], lambda p: save_figure(fig, p))
        hashes["figure"] = sha256(paths["figure"])
    except (ValueError, RuntimeError) as exc:  # a plotting failure must not lose the tables
        hashes["figure_error"] = f"{type(exc).__name__}: {exc}"
        del paths["figure"]
    _write_manifest(results, hashes, paths["manifest"])
    return paths


def _write_manifest(results: Results, hashes: dict[str, str], path: Path) -> None:
    text = json.dumps(manifest(results, hashes), ensure_ascii=False, indent=2)
    _atomic(path, lambda p: p.write_text(text + "\n", encoding="utf-8"))


def _title(results: Results) -> str:
    r = results.region
    if results.config.lang == "ja":
        return f"{r.name_ja}（{results.n_residents:,}人、シード{results.config.seed}）"
    return f"{r.name_en} ({results.n_residents:,} residents, seed {results.config.seed})"


def _atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix in (".png", ".parquet"):
        tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    write(tmp)
    os.replace(tmp, path)
