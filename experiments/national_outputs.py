"""The output folder of a national run: merged tables, results by prefecture and a manifest.

Written from the store only, in plan order, so the files are byte-identical whatever back-end
ran the partitions and in whatever order they finished:

* ``timeseries.parquet`` / ``.csv``: the merged monthly table (:mod:`experiments.national_merge`);
  ``baseline/timeseries.*`` the paired baseline's, for a policy scenario;
* ``by_prefecture.csv``: one row for the whole run (code 00: 全国 for Japan, else the region's name,
  e.g. 鳥取県・島根県・高知県) and one per prefecture: population at the first
  and last record, the headline measures averaged over the last 12 records, the cost, and for a
  policy scenario the baseline's values, lonely person-years averted and the added cost;
* ``manifest.json``: the configuration, the partitions (prefectures, seeds, residents) and the
  checksums of the tables;
* ``timings.json``: seconds, peak memory and worker of each partition (machine-dependent, so
  outside the manifest's checksums).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from experiments.national_merge import merge_tables
from experiments.national_store import Store, _parquet
from sim.core.files import atomic_write_text, write_csv
from sim.core.measures import LONELY, person_years

HEADLINE = ("any_loneliness", "often_always", "ucla3_top", "no_in_person_contact")


def write_outputs(plan, store: Store) -> list[Path]:
    """Merge the stored partitions and write the run's folder; return the files written."""
    results = {t.key: store.load(t) for t in plan.tasks}
    out = plan.out
    table = merge_tables(plan, {k: r.table for k, r in results.items()})
    paths = [*_write_table(out, table)]
    base = None
    if plan.cfg.scenario != "baseline":
        base = merge_tables(plan, {k: r.baseline for k, r in results.items()})
        paths += _write_table(out / "baseline", base)
    by_pref = by_prefecture(plan, table, base)
    path = out / "by_prefecture.csv"
    write_csv(path, by_pref, float_format="%.6g")
    paths.append(path)
    paths.append(_manifest(plan, results, paths))
    timings = {k: results[k].timing for k in sorted(results)}
    atomic_write_text(out / "timings.json", json.dumps(timings, indent=1) + "\n")
    paths.append(out / "timings.json")
    print("\n".join(summary_lines(by_pref, plan.xcfg.lang)))
    return paths


def summary_lines(by_pref: pd.DataFrame, lang: str, shown: int = 10) -> list[str]:
    """Japan and the prefectures (all if at most ``shown``, else the first ``shown``)."""
    from sim.core.progress import table_lines

    ja = lang == "ja"
    paired = "lonely_person_years_averted" in by_pref
    head = (["", "人口（最終）", "孤独感あり", "しばしば・常に"] if ja
            else ["", "population (last)", "any loneliness", "often/always"])  # fmt: skip
    if paired:
        head += (["孤独な人年の減少", "追加費用（円）"] if ja
                 else ["lonely person-years averted", "added cost (yen)"])  # fmt: skip
    rows = []
    for r in by_pref.head(1 + shown).itertuples():
        name = r.prefecture if ja else r.prefecture_en
        cells = [str(name), f"{r.population_last:,.0f}", f"{r.any_loneliness:.1%}",
                 f"{r.often_always:.1%}"]  # fmt: skip
        if paired:
            cells += [f"{r.lonely_person_years_averted:,.0f}", f"{r.added_cost_yen:,.0f}"]
        rows.append(cells)
    lines = table_lines(head, rows, "<" + ">" * (len(head) - 1))
    if len(by_pref) > 1 + shown:
        rest = len(by_pref) - 1 - shown
        lines.append(f"  …ほか{rest}都道府県は by_prefecture.csv" if ja
                     else f"  ... {rest} more prefectures in by_prefecture.csv")  # fmt: skip
    return lines


def _write_table(folder: Path, table: pd.DataFrame) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    _parquet(folder / "timeseries.parquet", table)
    write_csv(folder / "timeseries.csv", table, float_format="%.6g")
    return [folder / "timeseries.parquet", folder / "timeseries.csv"]


def by_prefecture(plan, table: pd.DataFrame, base: pd.DataFrame | None) -> pd.DataFrame:
    """Japan and each prefecture: population, headline measures, cost (and the paired change)."""
    cfg = plan.cfg
    mun = plan.region.municipalities
    codes = sorted(mun["prefecture_code"].unique())
    from experiments.national_merge import _prefecture_names

    names, names_en = _prefecture_names(), _prefecture_names("name_en")
    part_of = {c: p.key for p in plan.partitions for c in p.prefectures}
    whole = ("all", "all", "00", plan.region.name_ja, plan.region.name_en, "")
    groups = [whole] + [
        ("prefecture", names[c], c, names[c], names_en[c], part_of[c]) for c in codes
    ]
    rows = []
    for dim, group, code, name, name_en, part in groups:
        row = {"code": code, "prefecture": name, "prefecture_en": name_en, "partition": part}
        row |= _levels(table, dim, group, "", cfg)
        if base is not None:
            row |= _levels(base, dim, group, "baseline_", cfg)
            row["lonely_person_years_averted"] = (
                row["baseline_lonely_person_years"] - row["lonely_person_years"]
            )
            row["added_cost_yen"] = row["cost_yen"] - row["baseline_cost_yen"]
        rows.append(row)
    out = pd.DataFrame(rows)
    counted = [c for c in out.columns if "cost" in c or "population_" in c or "person_years" in c]
    out.attrs["decimals"] = {c: (1 if "person_years" in c else 0) for c in counted}
    return out


def _levels(t: pd.DataFrame, dim: str, group: str, prefix: str, cfg) -> dict:
    """Population, last-year headline shares, lonely person-years and cost of one group."""
    g = t[(t["dimension"] == dim) & (t["group"] == group)]
    weeks = sorted(g["week"].unique())
    last = g[g["week"].isin(weeks[-12:])]
    pop = g[g["measure"] == "population"].set_index("week")["value"]
    nan = float("nan")
    out = {f"{prefix}population_first": float(pop.iloc[0]) if len(pop) else nan,
           f"{prefix}population_last": float(pop.iloc[-1]) if len(pop) else nan}  # fmt: skip
    for m in HEADLINE:
        out[f"{prefix}{m}"] = float(last.loc[last["measure"] == m, "value"].mean())
    py = person_years(g.assign(dimension="all", group="all"), LONELY, cfg.population.scale,
                      cfg.years)  # fmt: skip
    out[f"{prefix}lonely_person_years"] = float(py.iloc[0]) if len(py) else float("nan")
    if dim == "all":
        cost = t[(t["measure"] == "cost_yen") & (t["dimension"] == "funder")]["value"].sum()
    else:
        cost = g.loc[g["measure"] == "cost_yen", "value"].sum()
    out[f"{prefix}cost_yen"] = float(cost)
    return out


def _manifest(plan, results: dict, paths: list[Path]) -> Path:
    import sim
    from sim.config import to_dict
    from sim.io.output import git_commit, machine

    parts = []
    for p in plan.partitions:
        task = next(t for t in plan.tasks if t.key == p.key)
        r = results[p.key]
        parts.append({"key": p.key, "name_ja": p.name_ja, "name_en": p.name_en,
                      "prefectures": list(p.prefectures), "seed": r.seed,
                      "residents": r.residents, "fingerprint": task.fingerprint()})  # fmt: skip
    hashes = {str(p.relative_to(plan.out)): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in paths}  # fmt: skip
    man = {"tool": "tsunagari", "kind": "national", "version": sim.__version__,
           "commit": git_commit(), "machine": machine(), "config": to_dict(plan.cfg),
           "partitions": parts, "files": hashes}  # fmt: skip
    path = plan.out / "manifest.json"
    atomic_write_text(path, json.dumps(man, ensure_ascii=False, indent=2, default=str) + "\n")
    return path
