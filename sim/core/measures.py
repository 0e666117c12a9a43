"""The measure vocabulary: which survey measures make "lonely", the headline, and person-years.

Every layer that names measures (the recorder, the paired comparison, the experiments'
outcomes, the reports, the dashboard and the console) takes them from here, so a measure set is
defined once. :func:`person_years` is the one computation of person-years from a result table.
"""

from __future__ import annotations

import pandas as pd

#: The five answers to the direct question 「孤独感をどの程度感じるか」, least lonely first.
CATEGORIES: tuple[str, ...] = ("never", "hardly_ever", "occasionally", "sometimes", "often_always")

#: "Lonely": often/always or sometimes (the national survey's usual summary).
LONELY: tuple[str, ...] = ("often_always", "sometimes")

#: The four headline measures: loneliness (three ways) and isolation.
HEADLINE: tuple[str, ...] = ("any_loneliness", "often_always", "ucla3_top", "no_in_person_contact")

#: Summary loneliness measures and isolation indicators (shares of residents 16+).
INDICATORS: tuple[str, ...] = (
    "any_loneliness",
    "ucla3_top",
    "chronic_loneliness",
    "no_in_person_contact",
    "no_social_activity",
)

#: Outcomes counted in person-years: outcome stem -> the share measures whose union it counts.
PERSON_YEAR_OUTCOMES: dict[str, tuple[str, ...]] = {
    "lonely": LONELY,
    "any_loneliness": ("any_loneliness",),
    "ucla3_top": ("ucla3_top",),
    "no_in_person_contact": ("no_in_person_contact",),
    "no_social_activity": ("no_social_activity",),
    "chronic_loneliness": ("chronic_loneliness",),
}


def person_years(
    table: pd.DataFrame,
    measures: tuple[str, ...],
    scale: float,
    years: int,
    dimension: str = "all",
) -> pd.Series:
    """Person-years spent in the union of ``measures`` over the horizon, at full scale, by group.

    For each group: the mean over records of the summed shares, times the mean number of
    residents surveyed scaled to the full population, times the horizon in years.

    Args:
        table: a tidy result table (``week``, ``measure``, ``dimension``, ``group``, ``value``,
            ``n``).
        measures: share measures whose union is counted (e.g. :data:`LONELY`).
        scale: ``population.scale`` of the run.
        years: the horizon in years.
        dimension: ``all`` (one group) or a breakdown such as ``age_group``.

    Returns:
        Person-years by group, in the table's order of groups.
    """
    rows = table[(table["dimension"] == dimension) & (table["measure"].isin(measures))]
    out = {}
    for group, g in rows.groupby("group", sort=False):
        share = g.groupby("week")["value"].sum()
        adults = g.groupby("week")["n"].first().mean() / scale
        out[group] = float(share.mean() * adults * years)
    return pd.Series(out, dtype=float).rename_axis("group")
