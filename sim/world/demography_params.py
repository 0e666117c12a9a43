"""Declared parameters of demographic change (``dynamics.demography.*``).

The rates they scale are built by :mod:`sim.world.demography_rates`; the process that applies
them is :mod:`sim.engine.processes.demography`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.core.params import param

_A = "assumption (A)"


@dataclass
class DemographyParams:
    """Declared parameters of demographic change (``demography.*``)."""

    mortality_scale: float = param(
        1.0, unit="-", low=0.8, high=1.2, uncertain=True,
        source=f"{_A}: sensitivity multiplier on the regional death hazards",
        doc="multiplier on the regional death hazards")  # fmt: skip
    fertility_scale: float = param(
        1.0, unit="-", low=0.7, high=1.3, uncertain=True,
        source=f"{_A}: sensitivity multiplier; TFR fell from 1.33 (2020) to 1.20 (2023)",
        doc="multiplier on regional fertility")  # fmt: skip
    migration_scale: float = param(
        1.0, unit="-", low=0.5, high=1.5, uncertain=True,
        source=f"{_A}: sensitivity multiplier on SSDSE 2021 gross moves",
        doc="multiplier on gross in- and out-migration")  # fmt: skip
    leave_home_rate: float = param(
        0.05, unit="1/year", low=0.01, high=0.15, uncertain=True,
        source=f"{_A}: bounded by 2020 census one-person household shares at 20-29 (~25-30 %, "
        "most reached by moving away, which migration covers)",
        doc="annual chance a never-married 18-29 living with parents sets up alone locally",
    )  # fmt: skip
    care_entry_80: float = param(
        0.04, unit="1/year", low=0.01, high=0.1, uncertain=True,
        source=f"{_A}: no institutional population by age in the shared data; bounded by "
        "institution shares of ~5 % at 80-84 and ~20 % at 85+ (HouseholdParams, M)",
        doc="annual chance a resident aged 80 living alone moves into care")  # fmt: skip
    care_entry_growth: float = param(
        1.10, unit="ratio per year of age", low=1.0, high=1.2, uncertain=True,
        source=f"{_A}: care need rises steeply with age",
        doc="care entry chance at age x+1 over that at x (from 65; capped at 0.5)")  # fmt: skip
    mortality_improvement: float = param(
        0.009, unit="1/year", low=0.0, high=0.02, uncertain=True,
        source="IPSS 2023 projection, medium mortality: life expectancy at birth rises from "
        "81.58 / 87.72 (2020) to 85.89 / 91.94 (2070), about 0.09 years a year, which a "
        "decline of all death hazards by about 0.9 % a year reproduces",
        doc="yearly relative decline of every death hazard from the policy start")  # fmt: skip
    family_share: float = param(
        0.3, unit="share", low=0.0, high=0.7, uncertain=True,
        source=f"{_A}: older people who give up living alone move in with a child's family or "
        "into care; the split is not published by age in the shared data",
        doc="share of those moves that go to a family household of the municipality")  # fmt: skip
    shock_friend_death: float = param(
        0.2, unit="latent", low=0.0, high=1.0, uncertain=True,
        source=f"{_A}: a friend's death raises loneliness for about a year (Liu et al. 2019, "
        "Social Science & Medicine, bereavement of a close friend); below the partner's "
        "(events.shock_bereavement)",
        doc="shock to each friend of a resident who dies")  # fmt: skip
    shock_household_death: float = param(
        0.4, unit="latent", low=0.0, high=1.5, uncertain=True,
        source=f"{_A}: between a friend's death and a partner's (events.shock_bereavement)",
        doc="shock to each other member of the household of a resident who dies")  # fmt: skip
    school_leaving: float = param(
        0.4, unit="1/year", low=0.2, high=0.8,
        source=f"{_A}: about 40 % of students leave school at each birthday from 19 (high "
        "school at 18, junior college at 20, university at 22); all by 25; bounded by the "
        "census student shares at 16-19 and 20-29",
        doc="chance a student aged 19+ leaves school at a birthday")  # fmt: skip
    school_leaver_employment: float = param(
        0.85, unit="share", low=0.6, high=1.0,
        source="2020 census: employed share of residents aged 20-24 not in school (about 0.85; "
        "employment_by_age_sex_2020.csv)",
        doc="share of school leavers who start work (the rest look for work)")  # fmt: skip
