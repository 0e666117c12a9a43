"""Reading the folders the HTML report is made from, and the numbers computed from a run's table.

:func:`detect_kind` tells what an output folder holds; the ``_read*`` helpers check every file
against its recorded SHA-256 first (one line naming a missing, changed, empty or unreadable
file); the public functions compute small tables from a run's tidy time series.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import pandas as pd
import pyarrow as pa

from sim.core.measures import LONELY
from sim.core.measures import person_years as _person_years
from sim.core.params import ConfigError

FLOW_ORDER = ("noticed", "referred", "waiting_entered", "served", "dropped", "cases_broken")


# ---------------------------------------------------------------- detection and loading


def detect_kind(folder: Path) -> str:
    """What an output folder holds: ``run``, ``paired``, ``compare`` or ``sensitivity``.

    Raises:
        ConfigError: the folder is missing or holds none of these.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"report: folder not found: '{folder}'")
    manifest = folder / "manifest.json"
    if manifest.is_file() or manifest.is_symlink():
        man = _load_json(manifest)
        if man.get("tool") == "tsunagari" or (folder / "timeseries.parquet").is_file():
            sums = man.get("outputs_sha256")
            sums = sums if isinstance(sums, dict) else {}
            paired = (folder / "comparison.csv").is_file() or (folder / "baseline").is_dir()
            return "paired" if paired or "comparison_csv" in sums else "run"
        command = man.get("command")
        if command == "compare" and (
            (folder / "runs").is_dir() or (folder / "comparison.csv").is_file()
        ):
            return "compare"
        if command == "sensitivity":
            return "sensitivity"
    elif (folder / "timeseries.parquet").is_file():
        raise ConfigError(f"report: '{manifest}' is missing")
    raise ConfigError(
        f"report: '{folder}' is not a tsunagari output folder (no timeseries.parquet with "
        "manifest.json, nor an experiment store of tsunagari compare or sensitivity)"
    )


def _load_json(path: Path) -> dict:
    """A JSON object from a file; anything else is one line naming the file.

    Raises:
        ConfigError: the file is missing or unreadable, not JSON, or not a JSON object.
    """
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"report: '{path}' is missing") from None
    except OSError as exc:
        raise ConfigError(f"report: cannot read '{path}': {exc.strerror or exc}") from None
    except ValueError as exc:  # invalid JSON or not UTF-8
        raise ConfigError(f"report: '{path}' is not valid JSON ({_reason(exc)})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"report: '{path}' is not a JSON object (found a {type(value).__name__})")
    return value


def _reason(exc: BaseException) -> str:
    text = next((s.strip() for s in str(exc).splitlines() if s.strip()), type(exc).__name__)
    return text if len(text) <= 160 else text[:157] + "..."


def _verified(path: Path, expected: object, manifest: Path, rerun: str = "tsunagari run") -> Path:
    """``path``, after checking it exists and matches its SHA-256 recorded in ``manifest``.

    Raises:
        ConfigError: the file is missing, has no recorded checksum, or does not match it.
    """
    from sim.io.output import sha256

    if not path.is_file():
        raise ConfigError(f"report: '{path}' is missing (listed in '{manifest}')")
    if not isinstance(expected, str):
        raise ConfigError(
            f"report: '{path}' has no checksum in '{manifest}' (not written with this run, or "
            f"by an older tsunagari); rerun {rerun} into a new folder"
        )
    if sha256(path) != expected:
        raise ConfigError(
            f"report: '{path}' does not match its checksum in '{manifest}' (changed or "
            f"damaged after the run); rerun {rerun}"
        )
    return path


def _read(path: Path) -> pd.DataFrame:
    """A Parquet or CSV table; an empty, truncated or malformed file is one line naming it."""
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except FileNotFoundError:
        raise ConfigError(f"report: '{path}' is missing") from None
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ConfigError(f"report: cannot read '{path}': {_reason(exc)}") from None


def _run_files(folder: Path) -> tuple[dict, dict, pd.DataFrame]:
    """A run folder's manifest, its checksums and its verified time series."""
    path = folder / "manifest.json"
    man = _load_json(path)
    sums = man.get("outputs_sha256")
    if man.get("kind") == "national":
        raise ConfigError(
            f"report: '{folder}' holds a national run (tsunagari national); its results are in "
            "by_prefecture.csv and timeseries.csv (docs/national.md)"
        )
    if not isinstance(sums, dict):
        raise ConfigError(f"report: '{path}' has no outputs_sha256 (not a tsunagari run manifest)")
    table = _read(_verified(folder / "timeseries.parquet", sums.get("timeseries_parquet"), path))
    return man, sums, table


def _experiment_checksums(folder: Path) -> dict:
    """SHA-256 of an experiment's tables, from ``last_command.json`` (empty if not recorded)."""
    path = folder / "last_command.json"
    if not (path.is_file() or path.is_symlink()):
        return {}
    sums = _load_json(path).get("sha256", {})
    return sums if isinstance(sums, dict) else {}


def _read_experiment_csv(folder: Path, name: str, sums: dict) -> pd.DataFrame | None:
    """An experiment table (None if absent), checked against its recorded checksum if any."""
    path = folder / name
    if not path.is_file():
        return None
    if name in sums:
        _verified(path, sums[name], folder / "last_command.json", rerun="the command")
    return _read(path)


def _read_parquet_folder(folder: Path) -> pd.DataFrame:
    files_ = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))
    if not files_:
        return pd.DataFrame()
    return pd.concat([_read(p) for p in files_], ignore_index=True)


def _manifest(folder: Path) -> dict:
    return _load_json(folder / "manifest.json")


def _survey_targets() -> pd.DataFrame:
    """Age rows of calibration/targets.csv with the model's age group names."""
    path = files("calibration") / "targets.csv"
    t = pd.read_csv(str(path))
    t = t[t["group"].astype(str).str.match(r"age_\d0s$")].copy()
    decade = t["group"].str.extract(r"age_(\d)0s")[0].astype(int)
    t["age_group"] = [f"{d}0-{d}9" for d in decade]
    return t[["target", "year", "measure", "group", "age_group", "value_pct", "role", "source"]]


def _scenario_title(name: str, lang: str, *, short: bool = True) -> str:
    """The scenario's title from the library (its name when unknown); short: before 「（」/':'."""
    try:
        from sim.policy.scenario import load_scenario

        title = load_scenario(name).title.get(lang) or name
    except Exception:  # a scenario file moved or renamed: the name still identifies it
        return name
    if short:
        for sep in ("（", ":", "("):
            title = title.split(sep)[0]
    return title.strip() or name


# ---------------------------------------------------------------- computations on a run table


def _fiscal_year(dates: pd.Series) -> pd.Series:
    d = pd.to_datetime(dates)
    return (d.dt.year - (d.dt.month < 4)).astype(int)


def lonely_share(table: pd.DataFrame, dimension: str = "all") -> pd.DataFrame:
    """Share lonely (often/always + sometimes) by record and group: week, date, group, value, n."""
    rows = table[(table["dimension"] == dimension) & table["measure"].isin(LONELY)]
    return (
        rows.groupby(["week", "date", "group"], sort=False)
        .agg(value=("value", "sum"), n=("n", "first"))
        .reset_index()
    )


def person_years_by(table: pd.DataFrame, dimension: str, scale: float, years: int) -> pd.Series:
    """Person-years lonely by group over the horizon at full scale (as in the paired comparison)."""
    return _person_years(table, LONELY, scale, years, dimension)


def last_year_mean(table: pd.DataFrame, dimension: str, measures) -> pd.DataFrame:
    """Mean of the last 12 records by group (wide by measure)."""
    weeks = sorted(table["week"].unique())[-12:]
    rows = table[(table["dimension"] == dimension) & table["week"].isin(weeks)]
    rows = rows[rows["measure"].isin(measures)]
    return rows.pivot_table(index="group", columns="measure", values="value", sort=False)


def flows_total(table: pd.DataFrame) -> pd.Series:
    """Service flows summed over the horizon (persons at full scale), in funnel order."""
    rows = table[(table["dimension"] == "all") & table["measure"].isin(FLOW_ORDER)]
    total = rows.groupby("measure")["value"].sum()
    return total.reindex([f for f in FLOW_ORDER if f in total.index])


def costs_by_fy(table: pd.DataFrame) -> pd.DataFrame:
    """Cost by fiscal year (April-March) and funder: fiscal_year, funder, value (yen)."""
    rows = table[(table["measure"] == "cost_yen") & (table["dimension"] == "funder")]
    rows = rows.assign(fiscal_year=_fiscal_year(rows["date"]))
    out = rows.groupby(["fiscal_year", "group"], sort=True)["value"].sum().reset_index()
    return out.rename(columns={"group": "funder"})


def december_by_age(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """December values by age group (over every December and run): measure, group, mid, lo, hi."""
    parts = []
    for t in tables:
        rows = t[
            (t["dimension"] == "age_group") & t["measure"].isin(["often_always", "any_loneliness"])
        ]
        rows = rows[pd.to_datetime(rows["date"]).dt.month == 12]
        parts.append(rows[["measure", "group", "value"]])
    rows = pd.concat(parts, ignore_index=True)
    if rows.empty:
        return pd.DataFrame(columns=["measure", "group", "mid", "lo", "hi"])
    g = rows.groupby(["measure", "group"], sort=False)["value"]
    return pd.DataFrame({"mid": g.mean(), "lo": g.min(), "hi": g.max()}).reset_index()


def comparison_row(table: pd.DataFrame) -> pd.DataFrame:
    """A paired run's ``comparison.csv`` as one row, in the sign convention of the comparison.

    A table in the long layout of earlier versions (``metric, unit, baseline, scenario,
    difference``, whose differences were already averted and added) is turned into that row.
    """
    if "metric" not in table:
        return table
    row: dict[str, object] = {}
    for r in table.itertuples(index=False):
        metric = str(r.metric)
        if metric.startswith("person_years_"):
            stem = f"{metric.removeprefix('person_years_')}_person_years"
            diff = f"{stem}_averted"
        elif metric.startswith("cost_per_"):
            row["cost_per_lonely_person_year_averted_yen"] = r.difference
            continue
        else:
            stem = f"{metric}_yen"
            diff = f"added_{stem}"
        row |= {f"{stem}_baseline": r.baseline, f"{stem}_scenario": r.scenario, diff: r.difference}
    return pd.DataFrame([row])


def region_name(region: dict, lang: str) -> str:
    """The name of an experiment's region (``model.region`` of its manifest) in ``lang``.

    ``tottori`` is 「鳥取県」 (Tottori), a prefecture by name or code its census name, ``japan``
    「全国」, a custom CSV its file name; a municipality subset lists the municipalities.
    """
    from sim.world.region import NAMED_REGIONS, prefecture_code, prefectures

    key = str(region.get("key") or "").strip().lower()
    name = key or "-"
    try:
        code = None
        if key in NAMED_REGIONS:
            code = NAMED_REGIONS[key][0]
        elif key == "prefecture" and region.get("prefecture"):
            code = prefecture_code(str(region["prefecture"]))
        elif key.startswith("pref-"):
            code = prefecture_code(key[5:])
        if code is not None:
            row = prefectures().set_index("code").loc[code]
            name = str(row["name_ja"] if lang == "ja" else str(row["name_en"]).capitalize())
        elif key == "japan":
            name = "全国" if lang == "ja" else "Japan"
        elif key == "custom" and region.get("csv"):
            name = Path(str(region["csv"])).stem
    except Exception:  # an unknown key still names the region
        name = key or "-"
    subset = region.get("municipalities")
    if isinstance(subset, list) and subset:
        name += (
            f"（{'、'.join(map(str, subset))}）"
            if lang == "ja"
            else f" ({', '.join(map(str, subset))})"
        )
    return name
