"""Declared parameters of the synthetic population and its households, with the age bands.

:class:`PopulationParams` (``population.*`` keys of the run configuration) holds
:class:`HouseholdParams` (``population.households.*``); the per-band profiles are indexed by the
band edges defined here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.core.params import param

#: Lower edges of the adult 5-year age bands used by household and marital profiles (85+ last).
ADULT_BANDS: tuple[int, ...] = (15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85)
#: Lower edges of the 65+ bands used by the living-alone age profile (85+ last).
ELDER_BANDS: tuple[int, ...] = (65, 70, 75, 80, 85)


_W = "assumption: relative propensity by age (shape from 2020 census household tables; M)"
_NAT = "2020 census 人口等基本集計 結果の概要 (M: recalled; nuclear total 54.05 % verified)"


@dataclass
class HouseholdParams:
    """Declared parameters of household formation (profiles per ADULT_BANDS unless stated)."""

    institution_weight: list[float] = param(
        (0.02, 0.03, 0.01, 0.008, 0.008, 0.008, 0.009, 0.01, 0.012, 0.014, 0.016, 0.02, 0.035,
         0.07, 0.2), unit="-", low=0.0, high=1.0, source=_W,
        doc="relative chance of living in an institution (none under 15)")  # fmt: skip
    alone_65_share_male: float = param(
        0.150, unit="share", low=0.05, high=0.4, source="高齢社会白書 2024 (2020 census; V)",
        doc="national share of men 65+ living alone; splits the municipal 65+ single count",
    )  # fmt: skip
    alone_65_share_female: float = param(
        0.221, unit="share", low=0.05, high=0.5, source="高齢社会白書 2024 (2020 census; V)",
        doc="national share of women 65+ living alone; splits the municipal 65+ single count",
    )  # fmt: skip
    alone_65_weight_male: list[float] = param(
        (1.0, 1.0, 1.0, 1.0, 0.9), unit="-", low=0.0, high=5.0, source=_W,
        doc="relative chance of living alone for men by ELDER_BANDS")  # fmt: skip
    alone_65_weight_female: list[float] = param(
        (0.65, 0.85, 1.0, 1.2, 1.1), unit="-", low=0.0, high=5.0, source=_W,
        doc="relative chance of living alone for women by ELDER_BANDS")  # fmt: skip
    alone_under65_weight: list[float] = param(
        (0.03, 0.3, 0.27, 0.18, 0.14, 0.13, 0.13, 0.13, 0.13, 0.14, 0, 0, 0, 0, 0), unit="-",
        low=0.0, high=1.0, source=_W, doc="relative chance of living alone at 18-64")  # fmt: skip
    alone_under65_male_share: float = param(
        0.57, unit="share", low=0.45, high=0.7,
        source="2020 census: one-person households by sex minus the 65+ (approx.; M)",
        doc="share of men among people under 65 living alone")  # fmt: skip
    married_share_male: list[float] = param(
        (0.003, 0.05, 0.25, 0.5, 0.61, 0.64, 0.63, 0.64, 0.68, 0.73, 0.78, 0.81, 0.82, 0.79,
         0.68), unit="share", low=0.0, high=1.0,
        source="2020 census 配偶関係 有配偶率 of men (approx.; M)",
        doc="married share of men; sets the number of couples")  # fmt: skip
    couple_age_gap_mean: float = param(
        2.0, unit="years", low=0.0, high=6.0, source="人口動態統計: husband ~2 years older (M)",
        doc="mean of husband's age minus wife's age")  # fmt: skip
    couple_age_gap_sd: float = param(
        3.5, unit="years", low=1.0, high=8.0, source="assumption", doc="sd of the couple age gap"
    )
    couple_age_gap_tolerance: float = param(
        6.0, unit="years", low=1.0, high=20.0, source="assumption",
        doc="largest accepted distance from the drawn wife's age")  # fmt: skip
    couple_only_share: float = param(
        0.201, unit="share of general households", low=0.15, high=0.25, source=_NAT,
        doc="national couple-only share; splits municipal nuclear-family households")  # fmt: skip
    couple_children_share: float = param(
        0.250, unit="share of general households", low=0.2, high=0.3, source=_NAT,
        doc="national couple-with-children share")  # fmt: skip
    single_parent_share: float = param(
        0.090, unit="share of general households", low=0.06, high=0.12, source=_NAT,
        doc="national single-parent share")  # fmt: skip
    couple_only_weight: list[float] = param(
        (1, 1, 1, 0.5, 0.2, 0.1, 0.1, 0.2, 0.6, 1, 0.6, 0.5, 0.5, 0.5, 0.5), unit="-", low=0.0,
        high=5.0, source=_W, doc="chance a non-elderly couple lives alone, by husband's age",
    )  # fmt: skip
    couple_children_weight: list[float] = param(
        (0.1, 0.5, 1, 1, 1, 1, 1, 1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1), unit="-", low=0.0,
        high=5.0, source=_W, doc="relative chance a couple lives with children, by husband's age",
    )  # fmt: skip
    other_older_couple_share: float = param(
        0.5, unit="share", low=0.0, high=1.0, uncertain=True,
        source="assumption: half the couples in three-generation households are the older one",
        doc="share of couples left for 'other' households that are the older generation",
    )  # fmt: skip
    lone_elder_weight: list[float] = param(
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 0.5, 0.8, 1, 1.2, 1.3), unit="-", low=0.0, high=5.0,
        source=_W, doc="relative chance an unpartnered 60+ person heads an 'other' household",
    )  # fmt: skip
    lone_elder_female_ratio: float = param(
        2.5, unit="-", low=1.0, high=5.0, source="assumption: most are widows",
        doc="women's relative chance over men's of heading an 'other' household alone")  # fmt: skip
    single_parent_weight: list[float] = param(
        (0, 0.2, 0.5, 0.8, 1, 1, 1, 0.8, 0.5, 0.4, 0.5, 0.7, 0.9, 1, 0.8), unit="-", low=0.0,
        high=5.0, source=_W, doc="relative chance an unpartnered adult is a single parent",
    )  # fmt: skip
    single_parent_female_ratio: float = param(
        4.0, unit="-", low=1.0, high=10.0,
        source="2020 census: ~85 % of lone parents are mothers (M)",
        doc="women's relative chance over men's of being a single parent")  # fmt: skip
    parent_gap_mean: float = param(
        30.0, unit="years", low=25.0, high=35.0,
        source="人口動態統計: mean maternal age ~30-32 (M)",
        doc="mean age gap between parent and child (also between the generations)")  # fmt: skip
    parent_gap_sd: float = param(
        5.0, unit="years", low=2.0, high=8.0, source="assumption", doc="sd of the parent-child gap"
    )
    grandparent_gap_mean: float = param(
        58.0, unit="years", low=45.0, high=70.0, source="assumption: two generations of parent_gap",
        doc="gap sought when an older head of an 'other' household has no child of plausible age",
    )  # fmt: skip
    grandparent_gap_max: int = param(
        80, unit="years", low=60, high=90, source="assumption",
        doc="largest gap between the head of an 'other' household and the first relative",
    )  # fmt: skip
    parent_gap_tolerance: float = param(
        5.0, unit="years", low=1.0, high=15.0, source="assumption",
        doc="largest accepted distance from the drawn parent-child gap")  # fmt: skip
    parent_gap_min: int = param(
        20, unit="years", low=15, high=25, source="brief: plausible gap 20-45 years",
        doc="smallest parent-child age gap")  # fmt: skip
    parent_gap_max: int = param(
        45, unit="years", low=35, high=60, source="brief: plausible gap 20-45 years",
        doc="largest parent-child age gap")  # fmt: skip


#: Lower edges of the 21 census 5-year bands (0-4 ... 95-99, 100+).
AGE5_BANDS: tuple[int, ...] = tuple(range(0, 105, 5))
#: Lower edges of the student-share bands (15-17, 18-19, 20-21, 22-24); 25+ are not students.
STUDENT_BANDS: tuple[int, ...] = (15, 18, 20, 22, 25)
#: Lower edges of the internet-use bands of 通信利用動向調査 (0-5, 6-12, 13-19, 20s ... 80+).
DIGITAL_BANDS: tuple[int, ...] = (0, 6, 13, 20, 30, 40, 50, 60, 70, 80)

_NP = "sim/data/national_profiles.csv (M: recalled national figures, see its source column)"
_NEVER = "2020 census 配偶関係 (approx.); 45-49/50-54 set so never married at 50 = "
_CONSULT = "'no one to consult' ~10 % (人々のつながりに関する基礎調査 R4; assumption by age)"


@dataclass
class PopulationParams:
    """Declared parameters of population synthesis (profiles are per band of the named edges)."""

    scale: float = param(0.1, unit="share", low=1e-4, high=1.0, source="user choice",
                         doc="share of the census population simulated")  # fmt: skip
    households: HouseholdParams = field(default_factory=HouseholdParams)
    student_share: list[float] = param(
        (0.97, 0.62, 0.5, 0.14), unit="share", low=0.0, high=1.0,
        source="School Basic Survey 2020: upper-secondary 98.8 %, tertiary entry 58.6 % (D)",
        doc="share in education by STUDENT_BANDS (15-17, 18-19, 20-21, 22-24)")  # fmt: skip
    employment_rate_male: list[float] = param(
        (0.16, 0.67, 0.87, 0.9, 0.91, 0.91, 0.91, 0.9, 0.88, 0.79, 0.57, 0.39, 0.25, 0.15, 0.07),
        unit="share", low=0.0, high=1.0, source=_NP,
        doc="national employment rate of men by ADULT_BANDS; rescaled per municipality",
    )  # fmt: skip
    employment_rate_female: list[float] = param(
        (0.17, 0.69, 0.8, 0.72, 0.72, 0.75, 0.77, 0.76, 0.71, 0.57, 0.37, 0.23, 0.13, 0.07, 0.03),
        unit="share", low=0.0, high=1.0, source=_NP,
        doc="national employment rate of women by ADULT_BANDS; rescaled per municipality",
    )  # fmt: skip
    unemployment_rate: list[float] = param(
        (0.046, 0.046, 0.039, 0.039, 0.026, 0.026, 0.024, 0.024, 0.026, 0.026, 0.019, 0.019,
         0.019, 0.019, 0.019), unit="share of labour force", low=0.0, high=0.3, source=_NP,
        doc="unemployment rate by ADULT_BANDS; rescaled per municipality",
    )  # fmt: skip
    retired_share_60_64: float = param(
        0.5, unit="share", low=0.0, high=1.0, uncertain=True,
        source="assumption: half of non-working 60-64 year-olds count as retired",
        doc="share of non-working 60-64 year-olds coded RETIRED rather than HOMEMAKER",
    )  # fmt: skip
    never_married_male: list[float] = param(
        (0.997, 0.95, 0.73, 0.47, 0.35, 0.31, 0.3, 0.266, 0.21, 0.17, 0.12, 0.07, 0.04, 0.025,
         0.02), unit="share", low=0.0, high=1.0, source=_NEVER + "28.3 % (V)",
        doc="never-married share of men by ADULT_BANDS",
    )  # fmt: skip
    never_married_female: list[float] = param(
        (0.995, 0.93, 0.62, 0.38, 0.26, 0.21, 0.19, 0.168, 0.12, 0.09, 0.07, 0.05, 0.04, 0.04,
         0.04), unit="share", low=0.0, high=1.0, source=_NEVER + "17.9 % (V)",
        doc="never-married share of women by ADULT_BANDS",
    )  # fmt: skip
    married_share_female: list[float] = param(
        (0.005, 0.07, 0.33, 0.57, 0.66, 0.68, 0.67, 0.68, 0.7, 0.72, 0.71, 0.66, 0.57, 0.44, 0.2),
        unit="share", low=0.0, high=1.0, source="2020 census 配偶関係 有配偶率 (approx.; M)",
        doc="married share of women by ADULT_BANDS (splits the unpartnered into never/widowed)",
    )  # fmt: skip
    confidant_share_male: list[float] = param(
        (0.89, 0.87, 0.87, 0.86, 0.86, 0.84, 0.84, 0.83, 0.83, 0.84, 0.84, 0.85, 0.85, 0.85, 0.85),
        unit="share", low=0.6, high=1.0, uncertain=True, source=_NP + "; " + _CONSULT,
        doc="share of men with someone to consult by ADULT_BANDS (under 15: first band)",
    )  # fmt: skip
    confidant_share_female: list[float] = param(
        (0.96, 0.94, 0.94, 0.93, 0.93, 0.91, 0.91, 0.9, 0.9, 0.91, 0.91, 0.92, 0.92, 0.92, 0.92),
        unit="share", low=0.6, high=1.0, uncertain=True, source=_NP + "; " + _CONSULT,
        doc="share of women with someone to consult by ADULT_BANDS (under 15: first band)",
    )  # fmt: skip
    digital_share: list[float] = param(
        (0.4, 0.85, 0.98, 0.98, 0.98, 0.97, 0.95, 0.86, 0.63, 0.3),
        unit="share", low=0.0, high=1.0,
        source=_NP + " (internet_use, 通信利用動向調査; M); 0-5 assumed",
        doc="share using the internet by DIGITAL_BANDS",
    )  # fmt: skip
    min_zone_residents: int = param(
        30, unit="persons", low=1, high=1000,
        source="assumption: keeps zones meaningful at small scale",
        doc="fewest simulated residents per zone; caps the number of zones per municipality",
    )  # fmt: skip
    zone_size_concentration: float = param(
        2.0, unit="-", low=0.3, high=50.0, uncertain=True,
        source="assumption: school districts differ in size (Dirichlet concentration)",
        doc="Dirichlet concentration of zone sizes (large = equal zones)")  # fmt: skip
