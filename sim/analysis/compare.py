"""A scenario against its paired baseline: same seed, same population, same random streams.

Person-years are counted at full population scale: the share of residents aged 16+ in a state,
averaged over the monthly records, times the number of such residents in the census region,
times the horizon in years. Costs are the totals by funder over the horizon.

One sign convention for every difference, in every output (this table, the tables of
``tsunagari compare`` and the reports), stated in the column name:

* ``*_averted`` = baseline - scenario: person-years (or shares) of a state averted, positive
  when the package helps (``lonely_person_years_averted``);
* ``added_*`` = scenario - baseline: added cost in yen, positive when the package costs more
  (``added_cost_total_yen``);
* ``cost_per_lonely_person_year_averted_yen`` = added cost / person-years averted (empty when
  nothing is averted).

:func:`comparison` (``comparison.csv`` of ``tsunagari run scenario=...``) is one row: ``scenario``,
``seed``, ``years``, then for each person-year outcome ``X`` of :data:`PERSON_YEAR_OUTCOMES`
(``lonely``, ``any_loneliness``, ...) the columns ``X_person_years_baseline``,
``X_person_years_scenario``, ``X_person_years_averted``, for each funder ``F`` of
:data:`sim.policy.levers.FUNDERS` and ``total`` the columns ``cost_F_yen_baseline``,
``cost_F_yen_scenario``, ``added_cost_F_yen``, and last
``cost_per_lonely_person_year_averted_yen``. :func:`signed_rows` turns such a row (or a row of
the comparison of ``tsunagari compare``) into one line per outcome for display. CSV decimals by
unit (:data:`DECIMALS`: person-years 1, yen 0, shares 6) travel in ``table.attrs["decimals"]``
(:func:`sim.core.files.write_csv` applies them).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from sim.core.measures import PERSON_YEAR_OUTCOMES
from sim.core.measures import person_years as person_years_by_group
from sim.engine.model import Results
from sim.policy.levers import FUNDERS


def person_years(results: Results, measures: tuple[str, ...]) -> float:
    """Person-years spent in the union of ``measures`` over the horizon, at full scale.

    The whole region (``dimension == "all"``) of :func:`sim.core.measures.person_years`; NaN
    when the table has none of the measures.
    """
    cfg = results.config
    py = person_years_by_group(results.table, measures, cfg.population.scale, cfg.years)
    return float(py.iloc[0]) if len(py) else math.nan


def total_costs(results: Results) -> dict[str, float]:
    """Total cost by funder over the horizon (yen) and the overall total."""
    t = results.table
    c = t[(t["measure"] == "cost_yen") & (t["dimension"] == "funder")]
    out = {f: float(c.loc[c["group"] == f, "value"].sum()) for f in FUNDERS}
    out["total"] = float(sum(out.values()))
    return out


#: Digits after the decimal point in CSV tables, by unit.
DECIMALS = {"person-years": 1, "yen": 0, "share": 6, "yen/person-year": 0}


def quantity(outcome: str) -> tuple[str, str, str]:
    """Names of an outcome: (level column stem, signed difference column, unit).

    Args:
        outcome: ``py_X`` (person-years), ``cost_F`` (yen) or ``final_M`` (share in the last
            year), as in :data:`experiments.outcomes.OUTCOMES`.

    Returns:
        E.g. ``("lonely_person_years", "lonely_person_years_averted", "person-years")`` or
        ``("cost_total_yen", "added_cost_total_yen", "yen")``.
    """
    if outcome.startswith("py_"):
        stem = f"{outcome.removeprefix('py_')}_person_years"
        return stem, f"{stem}_averted", "person-years"
    if outcome.startswith("cost_"):
        stem = f"{outcome}_yen"
        return stem, f"added_{stem}", "yen"
    if outcome.startswith("final_"):
        stem = f"{outcome}_share"
        return stem, f"{stem}_averted", "share"
    return outcome, f"{outcome}_averted", ""


def signed(outcome: str, baseline: float, arm: float) -> float:
    """The difference in the one sign convention: averted (baseline - arm) or added cost."""
    return arm - baseline if outcome.startswith("cost_") else baseline - arm


def cost_per_name(target: str = "py_lonely") -> str:
    """Column of the cost per person-year of ``target`` averted (yen)."""
    stem = quantity(target)[0].removesuffix("_person_years")
    return f"cost_per_{stem}_person_year_averted_yen"


def comparison(base: Results, arm: Results) -> pd.DataFrame:
    """Paired comparison, one row (columns in the module docstring; signs in their names)."""
    cfg = arm.config
    row: dict[str, object] = {"scenario": cfg.scenario, "seed": cfg.seed, "years": cfg.years}
    decimals = {}
    outcomes = {f"py_{k}": (person_years(base, m), person_years(arm, m))
                for k, m in PERSON_YEAR_OUTCOMES.items()}  # fmt: skip
    cb, ca = total_costs(base), total_costs(arm)
    outcomes |= {f"cost_{f}": (cb[f], ca[f]) for f in (*FUNDERS, "total")}
    for outcome, (b, a) in outcomes.items():
        stem, diff, unit = quantity(outcome)
        row |= {f"{stem}_baseline": b, f"{stem}_scenario": a, diff: signed(outcome, b, a)}
        decimals |= dict.fromkeys((f"{stem}_baseline", f"{stem}_scenario", diff), DECIMALS[unit])
    averted = row["lonely_person_years_averted"]
    extra = row["added_cost_total_yen"]
    per = cost_per_name()
    row[per] = extra / averted if averted > 0 else np.nan
    decimals[per] = DECIMALS["yen/person-year"]
    table = pd.DataFrame([row])
    table.attrs["decimals"] = decimals
    return table


def signed_rows(table: pd.DataFrame, arm: str = "scenario") -> pd.DataFrame:
    """One line per outcome of a comparison row, for display.

    Args:
        table: one row of :func:`comparison` (``arm="scenario"``) or of the comparison of
            ``tsunagari compare`` (``arm="package"``, with ``_ci_low``/``_ci_high`` columns).
        arm: the suffix of the package's level columns.

    Returns:
        Columns ``outcome`` (``lonely_person_years``...), ``unit``, ``baseline``, ``arm``
        (levels), ``difference`` (the signed value), ``difference_name`` (its column:
        ``..._averted`` or ``added_...``), ``ci_low`` and ``ci_high`` (NaN if none); the cost
        per person-year averted last, with NaN levels.
    """
    row = table.iloc[0]
    out = []
    for col in table.columns:
        if not col.endswith("_baseline"):
            continue
        stem = col.removesuffix("_baseline")
        unit = "yen" if stem.endswith("_yen") else (
            "share" if stem.endswith("_share") else "person-years")  # fmt: skip
        diff = f"added_{stem}" if unit == "yen" else f"{stem}_averted"
        out.append(_row(stem, unit, row.get(col), row.get(f"{stem}_{arm}"), diff, row))
    for col in table.columns:
        if col.startswith("cost_per_") and col.endswith("_averted_yen"):
            out.append(_row(col, "yen/person-year", np.nan, np.nan, col, row))
    return pd.DataFrame(out)


def _row(stem: str, unit: str, base, arm, diff: str, row: pd.Series) -> dict:
    """One display line: levels, the signed difference and its interval (NaN when absent)."""
    return {
        "outcome": stem,
        "unit": unit,
        "baseline": base,
        "arm": arm,
        "difference": row.get(diff, np.nan),
        "difference_name": diff,
        "ci_low": row.get(f"{diff}_ci_low", np.nan),
        "ci_high": row.get(f"{diff}_ci_high", np.nan),
    }


def baseline_config(cfg):
    """The same configuration with the baseline scenario."""
    return dataclasses.replace(cfg, scenario="baseline")
