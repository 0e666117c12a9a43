"""Writing a run's output folder: tidy tables, a manifest, a summary and a figure.

Every file is a pure function of the configuration, the seed and the machine class: no clock
times, no host names, so the same seed twice on the same machine gives byte-identical files.
The manifest records the CPU model and numpy's SIMD level (:func:`machine`): numbers are
byte-identical on the same machine class and statistically equivalent across CPUs, since numpy
may use different vector instructions (e.g. AVX-512) for the same operation.

Files are written through :mod:`sim.core.files` (atomic; spreadsheet cells escaped); the command
line writes the whole folder into a staged sibling and renames it into place when complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.config import to_dict
from sim.core.codes import LABELS
from sim.core.files import atomic_write, atomic_write_text, write_csv
from sim.core.measures import CATEGORIES
from sim.engine.model import Results

#: Writes the figure of a run to a path: ``figure(results, path)``.
FigureWriter = Callable[[Results, Path], None]

SUMMARY_MEASURES = (
    *reversed(CATEGORIES),
    "any_loneliness",
    "ucla3_top",
    "no_in_person_contact",
    "no_social_activity",
    "chronic_loneliness",
)


#: File inside the package holding the commit of a non-editable install (written by
#: ``./bootstrap`` before ``pip install .``, installed as package data, ignored by git).
COMMIT_FILE = "_commit.txt"


def git_commit(package: Path | None = None) -> str | None:
    """Commit of the installed source: the git checkout's, else the one recorded at install.

    An editable install (or a run from the source tree) asks git (``-dirty`` when tracked files
    changed). A plain ``./bootstrap`` installs a copy without ``.git``: the commit then comes
    from :data:`COMMIT_FILE`, which ``./bootstrap`` writes before installing. None if neither.

    Args:
        package: the installed ``sim`` package folder (default: this one).
    """
    package = Path(package) if package is not None else Path(sim.__file__).resolve().parent
    here = package.parent
    if (here / ".git").exists():
        live = _git_head(here)
        if live:
            return live
    try:
        text = (package / COMMIT_FILE).read_text(encoding="utf-8")
    except OSError:
        return None
    text = text.strip()
    return text if re.fullmatch(r"[0-9a-f]{7,40}(-dirty)?", text) else None


def _git_head(root: Path) -> str | None:
    """``git rev-parse HEAD`` of a checkout (with ``-dirty``), or None if git cannot say."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
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


#: Dimensions whose groups the time series stores as integer codes, written as English labels.
LABELLED = ("sex", "household_type")


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Last recorded value of the headline measures, overall and by group (wide by measure).

    Columns ``dimension, group, n`` and one share (0-1) per measure of
    :data:`SUMMARY_MEASURES`. Sex and household type are labels (``male``/``female``,
    ``single-person``, ``couple only``, ``couple with children``, ``single parent``,
    ``other``: :data:`sim.core.codes.LABELS`), not codes; shares are written with 6 decimals.
    """
    last = table[table["week"] == table["week"].max()]
    last = last[last["measure"].isin(SUMMARY_MEASURES)]
    wide = last.pivot_table(
        index=["dimension", "group"], columns="measure", values="value", sort=False
    )
    n = last.drop_duplicates(["dimension", "group"]).set_index(["dimension", "group"])["n"]
    wide = wide[[m for m in SUMMARY_MEASURES if m in wide.columns]]
    wide.insert(0, "n", n)
    out = wide.reset_index()
    for dim in LABELLED:
        names = {str(k): v for k, v in LABELS[dim]["en"].items()}
        rows = out["dimension"] == dim
        out.loc[rows, "group"] = out.loc[rows, "group"].astype(str).replace(names)
    out.attrs["decimals"] = dict.fromkeys(wide.columns.drop("n"), 6)
    return out


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
        "demography": demography(results),
        "counts": results.counts,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": machine(),
    }


def demography(results: Results) -> dict:
    """The manifest's demography: mode, living population at the first and last record, events.

    Returns:
        ``mode`` (``dynamic`` or ``static``), ``population`` (``start`` and ``end``: date and
        real-population equivalent of the living residents, from the table's ``population``
        rows; absent when the table has none) and ``events`` (the run's demographic counts:
        deaths, births, migrants, ...: simulated residents, not scaled to the real population;
        absent for static runs), with ``events_unit`` saying so.
    """
    out: dict = {"mode": getattr(results.config, "demography", "static")}
    t = results.table
    rows = t[(t["measure"] == "population") & (t["dimension"] == "all")]
    if len(rows):
        first, last = rows.loc[rows["week"].idxmin()], rows.loc[rows["week"].idxmax()]
        out["population"] = {
            k: {"date": str(r["date"]), "week": int(r["week"]), "value": float(r["value"])}
            for k, r in (("start", first), ("end", last))
        }
    if "demography" in results.counts:
        out["events"] = dict(results.counts["demography"])
        out["events_unit"] = "simulated residents (divide by population.scale for real equivalent)"
    return out


#: SIMD features named in the manifest, by architecture (``platform.machine()``).
SIMD_FEATURES = {
    "x86": ("X86_V2", "X86_V3", "X86_V4", "AVX2", "AVX512F", "AVX512_SKX", "AVX512_ICL",
            "AVX512_SPR"),
    "arm": ("NEON", "ASIMD", "ASIMDHP", "ASIMDDP", "SVE"),
    "ppc": ("VSX", "VSX2", "VSX3", "VSX4"),
    "s390": ("VX", "VXE", "VXE2"),
}  # fmt: skip


def machine() -> dict:
    """The machine class a run's numbers are byte-identical on: CPU model and numpy SIMD level.

    Deterministic on one machine (no host name, no clock); not part of a run's identity.
    """
    return {"cpu": cpu_model(), "arch": platform.machine(), "numpy_simd": numpy_simd()}


def cpu_model() -> str | None:
    """CPU model name from ``/proc/cpuinfo`` (Linux), else :func:`platform.processor`."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, sep, value = line.partition(":")
                if sep and key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def numpy_simd() -> dict:
    """The SIMD level of numpy as ``np.show_runtime()`` reports it, after NPY_DISABLE_CPU_FEATURES.

    Returns:
        ``baseline`` (compiled in), ``found`` and ``not_found`` (dispatched levels the CPU and
        environment allow or not), ``active`` (the main features, true or false) and the
        ``NPY_DISABLE_CPU_FEATURES``/``NPY_ENABLE_CPU_FEATURES`` settings if any.
    """
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy < 2
        from numpy.core import _multiarray_umath as umath  # type: ignore[no-redef]
    features = dict(getattr(umath, "__cpu_features__", {}))
    dispatch = list(getattr(umath, "__cpu_dispatch__", []))
    arch = platform.machine().lower()
    family = next((k for k in SIMD_FEATURES if arch.startswith(k)), None)
    if family is None and arch in ("amd64", "i386", "i686"):
        family = "x86"
    if family is None and arch == "aarch64":
        family = "arm"
    named = SIMD_FEATURES.get(family, ())
    out = {
        "baseline": list(getattr(umath, "__cpu_baseline__", [])),
        "found": [f for f in dispatch if features.get(f)],
        "not_found": [f for f in dispatch if not features.get(f)],
        "active": {f: bool(features[f]) for f in named if f in features},
    }
    for var in ("NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES"):
        if os.environ.get(var):
            out[var] = os.environ[var]
    return out


#: Config keys that say where and how to write, not what to simulate.
NOT_IDENTITY = ("output_dir", "overwrite")


def run_identity(config: dict) -> str:
    """What makes two runs the same run: the resolved config without where it is written.

    Args:
        config: ``to_dict(cfg)``, or the ``config`` of a run's manifest.

    Returns:
        A canonical JSON text (equal for the same run; the machine is not part of it).
    """
    same = {k: v for k, v in config.items() if k not in NOT_IDENTITY}
    return json.dumps(same, sort_keys=True, ensure_ascii=False, default=str)


def add_outputs(out_dir: Path, files: dict[str, Path]) -> None:
    """Add the SHA-256 of more files (e.g. a paired baseline) to a run's manifest.

    Args:
        out_dir: the run folder holding ``manifest.json``.
        files: manifest key -> file.
    """
    path = out_dir / "manifest.json"
    man = json.loads(path.read_text(encoding="utf-8"))
    man["outputs_sha256"].update({k: sha256(p) for k, p in files.items()})
    atomic_write_text(path, json.dumps(man, ensure_ascii=False, indent=2) + "\n")


def write_run(
    results: Results,
    out_dir: Path,
    figure: FigureWriter | None = None,
    pyramid: FigureWriter | None = None,
) -> dict[str, Path]:
    """Write the output folder of one run and return the paths written.

    Files are written to temporary names and renamed, so an interrupted write never leaves a
    half-written file under a final name. Text cells of the CSV files that a spreadsheet would
    run as formulas (e.g. a custom municipality named ``=...``) are escaped.

    Args:
        results: the run.
        out_dir: the output folder.
        figure: writes ``prevalence.png`` (the app passes
            :func:`sim.report.plots.write_prevalence_figure`); None writes no figure. A figure
            that fails with ValueError or RuntimeError is recorded in the manifest as
            ``figure_error`` and the tables are kept.
        pyramid: writes ``pyramid.png``, the age pyramid at the start and the end (the app
            passes one for ``demography=dynamic`` runs only); None writes none. A failure is
            recorded as ``pyramid_error``, like the figure's.

    Returns:
        Output name -> path of every file written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    table = results.table
    paths = {
        "timeseries_parquet": out_dir / "timeseries.parquet",
        "timeseries_csv": out_dir / "timeseries.csv",
        "summary_csv": out_dir / "summary.csv",
        "figure": out_dir / "prevalence.png",
        "pyramid": out_dir / "pyramid.png",
        "manifest": out_dir / "manifest.json",
    }
    atomic_write(
        paths["timeseries_parquet"],
        lambda p: pq.write_table(
            pa.Table.from_pandas(table, preserve_index=False), p, compression="zstd"
        ),
    )
    write_csv(paths["timeseries_csv"], table, float_format="%.6g")
    write_csv(paths["summary_csv"], summary(table), float_format="%.6g")
    drawn = {"figure": figure, "pyramid": pyramid}
    hashes = {k: sha256(v) for k, v in paths.items() if k != "manifest" and k not in drawn}
    _write_manifest(results, hashes, paths["manifest"])  # tables are safe before plotting
    for key, writer in drawn.items():
        if writer is None:
            del paths[key]
            continue
        try:
            atomic_write(paths[key], lambda p, w=writer: w(results, p))
            hashes[key] = sha256(paths[key])
        except (ValueError, RuntimeError) as exc:  # a plotting failure must not lose the tables
            hashes[f"{key}_error"] = f"{type(exc).__name__}: {exc}"
            del paths[key]
    if figure is not None or pyramid is not None:
        _write_manifest(results, hashes, paths["manifest"])
    return paths


def _write_manifest(results: Results, hashes: dict[str, str], path: Path) -> None:
    text = json.dumps(manifest(results, hashes), ensure_ascii=False, indent=2)
    atomic_write_text(path, text + "\n")
