"""Outcomes: named reducers from one run's :class:`sim.engine.model.Results` to a number.

Every outcome is a plain function ``Results -> float`` registered by name in :data:`OUTCOMES`
(an explicit table, not discovered). Person-years and costs reuse :mod:`sim.analysis.compare`, so an
experiment reports the same figures as ``tsunagari run scenario=...``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.analysis.compare import person_years, total_costs
from sim.core.measures import HEADLINE, PERSON_YEAR_OUTCOMES
from sim.core.params import ConfigError
from sim.engine.model import Results
from sim.policy.levers import FUNDERS

Reducer = Callable[[Results], float]


def _person_years(measures: tuple[str, ...]) -> Reducer:
    return lambda res: person_years(res, measures)


def _cost(funder: str) -> Reducer:
    return lambda res: total_costs(res)[funder]


def _final_year(measure: str) -> Reducer:
    """Mean share of residents (16+) in ``measure`` over the last 12 monthly records."""

    def reduce(res: Results) -> float:
        t = res.table
        rows = t[(t["dimension"] == "all") & (t["measure"] == measure)].sort_values("week")
        return float(rows["value"].tail(12).mean())

    return reduce


OUTCOMES: dict[str, Reducer] = {
    **{f"py_{k}": _person_years(v) for k, v in PERSON_YEAR_OUTCOMES.items()},
    **{f"cost_{f}": _cost(f) for f in (*FUNDERS, "total")},
    **{f"final_{m}": _final_year(m) for m in HEADLINE},
}
"""Every named outcome. ``py_*`` are person-years at full scale (lower is better), ``cost_*``
yen over the horizon, ``final_*`` shares of residents 16+ in the last year."""

#: Survey measures stored monthly per run (``dimension == 'all'``) for bands over time.
SERIES_MEASURES = (
    "often_always",
    "sometimes",
    "any_loneliness",
    "ucla3_top",
    "no_in_person_contact",
    "no_social_activity",
    "chronic_loneliness",
    "mean_friends",
    "population",  # real-equivalent living residents (changes with demography=dynamic)
)


def check_outcomes(names: list[str]) -> list[str]:
    """Check outcome names are known.

    Raises:
        ConfigError: naming the first unknown outcome and listing the known ones.
    """
    for name in names:
        if name not in OUTCOMES:
            raise ConfigError(
                f"outcomes: unknown outcome '{name}' (choose from: {', '.join(OUTCOMES)})"
            )
    return list(names)


def reduce(res: Results, names: list[str]) -> dict[str, float]:
    """The named outcomes of one run."""
    return {name: float(OUTCOMES[name](res)) for name in names}


def survey_series(res: Results) -> pd.DataFrame:
    """Monthly whole-region survey measures of one run: week, date, measure, value."""
    t = res.table
    rows = t[(t["dimension"] == "all") & t["measure"].isin(SERIES_MEASURES)]
    out = rows[["week", "date", "measure", "value"]].reset_index(drop=True)
    out["week"] = out["week"].astype(np.int32)
    out["date"] = out["date"].astype(str)
    out["measure"] = out["measure"].astype(str)
    return out
