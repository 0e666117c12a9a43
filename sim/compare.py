"""A scenario against its paired baseline: same seed, same population, same random streams.

Person-years are counted at full population scale: the share of residents aged 16+ in a state,
averaged over the monthly records, times the number of such residents in the census region,
times the horizon in years. Costs are the totals by funder over the horizon.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from sim.levers import FUNDERS
from sim.model import Results

#: Outcomes counted in person-years (share measures of the survey).
PERSON_YEAR_OUTCOMES = {
    "lonely": ("often_always", "sometimes"),  # often/always or sometimes lonely
    "any_loneliness": ("any_loneliness",),
    "ucla3_top": ("ucla3_top",),
    "no_in_person_contact": ("no_in_person_contact",),
    "no_social_activity": ("no_social_activity",),
    "chronic_loneliness": ("chronic_loneliness",),
}


def person_years(results: Results, measures: tuple[str, ...]) -> float:
    """Person-years spent in the union of ``measures`` over the horizon, at full scale."""
    t = results.table
    rows = t[(t["dimension"] == "all") & (t["measure"].isin(measures))]
    share = rows.groupby("week")["value"].sum()
    adults = rows.groupby("week")["n"].first().mean() / results.config.population.scale
    return float(share.mean() * adults * results.config.years)


def total_costs(results: Results) -> dict[str, float]:
    """Total cost by funder over the horizon (yen) and the overall total."""
    t = results.table
    c = t[(t["measure"] == "cost_yen") & (t["dimension"] == "funder")]
    out = {f: float(c.loc[c["group"] == f, "value"].sum()) for f in FUNDERS}
    out["total"] = float(sum(out.values()))
    return out


def comparison(base: Results, arm: Results) -> pd.DataFrame:
    """Paired comparison table: outcome person-years, averted, costs and cost-effectiveness."""
    rows = []
    for name, measures in PERSON_YEAR_OUTCOMES.items():
        b, a = person_years(base, measures), person_years(arm, measures)
        rows.append((f"person_years_{name}", "person-years", b, a, b - a))
    cb, ca = total_costs(base), total_costs(arm)
    for f in (*FUNDERS, "total"):
        rows.append((f"cost_{f}", "yen", cb[f], ca[f], ca[f] - cb[f]))
    averted = rows[0][4]
    extra = ca["total"] - cb["total"]
    per = extra / averted if averted > 0 else np.nan
    rows.append(("cost_per_person_year_lonely_averted", "yen/person-year", np.nan, np.nan, per))
    return pd.DataFrame(rows, columns=["metric", "unit", "baseline", "scenario", "difference"])


def baseline_config(cfg):
    """The same configuration with the baseline scenario."""
    return dataclasses.replace(cfg, scenario="baseline")
