"""The wide-area experiment's tables: per run (in the worker), then over arms and seeds.

:func:`summarise` reduces one run to small tables in its worker; :func:`analyse` turns every
run's tables into the per-municipality, equity and flow tables described in
:mod:`experiments.wide_area`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.wide_area_text import REFERENCE
from sim.core.measures import LONELY

SMALL_TOWN = 10_000


def summarise(res) -> dict[str, pd.DataFrame]:
    """Small tables of one run (computed in the worker)."""
    t = res.table
    last = t["week"] >= t["week"].max() - 52  # the last year of monthly records
    dims = t["dimension"].isin(["all", "municipality"])
    survey = t[last & dims & t["measure"].isin([*LONELY, "no_in_person_contact"])]
    share = survey.pivot_table(index="group", columns="measure", values="value", aggfunc="mean")
    share["lonely"] = share[list(LONELY)].sum(axis=1)
    years = res.config.years
    svc = t[(t["dimension"].isin(["all", "municipality"])) & (t["n"] == 0)]
    flows = svc[svc["measure"].isin(["served", "served_outside", "venue_joined",
                                     "venue_joined_outside", "venue_attendances",
                                     "venue_attendances_outside", "served_here",
                                     "capacity_offered", "dropped"])]  # fmt: skip
    per_year = flows.pivot_table(index="group", columns="measure", values="value", aggfunc="sum")
    per_year = per_year / years
    waiting = svc[svc["measure"] == "waiting"].groupby("group")["value"].mean()
    per_year["waiting"] = waiting
    bills = t[(t["measure"] == "cost_yen") & (t["dimension"] == "municipality_bill")]
    bill = bills.groupby("group")["value"].sum() / years
    total = t[(t["measure"] == "cost_yen") & (t["dimension"] == "all")]["value"].sum() / years
    bill["all"] = total
    cross = t[t["dimension"] == "flow"].groupby(["measure", "group"])["value"].sum() / years
    out = share[["lonely", "no_in_person_contact"]].join(per_year, how="outer")
    out["bill_yen_per_year"] = bill
    out.index.name = "municipality"
    return {"municipality": out.reset_index(), "flows": cross.rename("per_year").reset_index()}


def _interval(
    x, conf: float = 0.95, *, bootstrap: bool = False, resamples: int = 2000
) -> tuple[float, float, float]:
    """Mean and interval over seeds: a t-interval, or a percentile bootstrap (NaN with one seed).

    The bootstrap is seeded, so the same runs give the same table; its interval lies within the
    range of the per-seed values, so a quantity bounded by construction (a gap between
    municipalities: 0 to 1) keeps its interval inside its bounds, which a t-interval does not.
    """
    from scipy import stats

    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    m = float(x.mean())
    if x.size < 2:
        return m, np.nan, np.nan
    if bootstrap:
        rng = np.random.default_rng(x.size)
        means = x[rng.integers(0, x.size, size=(resamples, x.size))].mean(axis=1)
        lo, hi = np.quantile(means, [(1 - conf) / 2, (1 + conf) / 2])
        return m, float(lo), float(hi)
    h = float(stats.t.ppf(0.5 + conf / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - h, m + h


def analyse(mun: pd.DataFrame, flows: pd.DataFrame, region) -> dict[str, pd.DataFrame]:
    """Per-municipality, equity and flow tables (see the module docstring)."""
    info = region.municipalities[["name", "kind", "pop_total"]].rename(columns={"name": "group"})
    names = list(info["group"])
    small = set(info.loc[(info["kind"] != "city") | (info["pop_total"] < SMALL_TOWN), "group"])
    ref = mun[mun["arm"] == REFERENCE].set_index(["seed", "municipality"])
    rows, equity = [], []
    for arm in mun["arm"].unique():
        a = mun[mun["arm"] == arm].set_index(["seed", "municipality"])
        diff = a[["lonely", "no_in_person_contact"]] - ref[["lonely", "no_in_person_contact"]]
        for place in [*names, "all"]:
            sub = a.xs(place, level="municipality")
            d = diff.xs(place, level="municipality")
            row = {"arm": arm, "municipality": place if place != "all" else "(prefecture)"}
            for k in ("lonely", "no_in_person_contact"):
                row[k] = float(sub[k].mean())
                row[f"{k}_diff"], row[f"{k}_diff_lo"], row[f"{k}_diff_hi"] = _interval(d[k])
            for k in ("served", "served_outside", "venue_joined_outside", "capacity_offered",
                      "served_here", "waiting", "dropped", "bill_yen_per_year"):  # fmt: skip
                row[k] = float(sub[k].mean()) if k in sub else np.nan
            row["served_outside_share"] = row["served_outside"] / max(row["served"], 1e-9)
            row["capacity_use"] = row["served_here"] / max(row["capacity_offered"], 1e-9)
            if place != "all":
                row["small_town"] = place in small
                row["bill_per_resident_yen"] = row["bill_yen_per_year"] / float(
                    info.loc[info["group"] == place, "pop_total"].iloc[0]
                )
            rows.append(row)
        for seed in sorted(a.index.get_level_values("seed").unique()):
            s = a.xs(seed, level="seed").loc[names]
            ds = diff.xs(seed, level="seed").loc[names]
            is_small = np.array([n in small for n in names])
            equity.append({
                "arm": arm, "seed": seed,
                "gap_lonely": s["lonely"].max() - s["lonely"].min(),
                "gap_no_in_person_contact": s["no_in_person_contact"].max()
                - s["no_in_person_contact"].min(),
                "small_towns_lonely_diff": ds["lonely"][is_small].mean(),
                "cities_lonely_diff": ds["lonely"][~is_small].mean(),
                "small_towns_no_contact_diff": ds["no_in_person_contact"][is_small].mean(),
                "cities_no_contact_diff": ds["no_in_person_contact"][~is_small].mean(),
            })  # fmt: skip
    per_seed = pd.DataFrame(equity)
    eq = []
    for arm, g in per_seed.groupby("arm", sort=False):
        for col in per_seed.columns[2:]:
            # a gap lies in [0, 1]: a percentile bootstrap over seeds keeps its interval there
            bounded = col.startswith("gap_")
            m, lo, hi = _interval(g[col], bootstrap=bounded)
            eq.append({"arm": arm, "metric": col, "mean": m, "lo95": lo, "hi95": hi})
    fl = flows.groupby(["arm", "measure", "group"])["per_year"].mean().reset_index()
    # no cross-border flow at all (e.g. a horizon ending before the cooperation starts) leaves
    # an empty table: split into exactly two columns whatever the number of rows
    ends = fl["group"].str.split("→", n=1, expand=True).reindex(columns=[0, 1])
    fl["home"], fl["place"] = ends[0], ends[1]
    return {"municipalities": pd.DataFrame(rows), "equity": pd.DataFrame(eq),
            "equity_per_seed": per_seed, "flows": fl}  # fmt: skip
