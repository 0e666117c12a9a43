"""Declared parameters of the weekly dynamics: life events, contacts, ties and loneliness.

Per-age profiles have one value per band of :data:`sim.core.codes.AGE_GROUPS`
(0-15, 16-19, 20-29, 30-39, 40-49, 50-59, 60-69, 70-79, 80+). Annual probabilities are
converted to weekly hazards by the engine (``1 - (1 - p) ** (1 / 52)``). The latent loneliness
scale is dimensionless ("latent units"); the survey module maps it to the survey's answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.core.params import param
from sim.engine.contact_params import ContactParams
from sim.world.demography_rates import DemographyParams

ASSUMPTION = "assumption (pre-calibration; wide range for sensitivity analysis)"


@dataclass
class TieParams:
    """Friendship formation and decay."""

    gain: float = param(0.15, unit="strength/meeting", low=0.02, high=0.5, source=ASSUMPTION)
    decay: float = param(
        0.02,
        unit="1/week",
        low=0.005,
        high=0.08,
        uncertain=True,
        source=ASSUMPTION,
        doc="relative loss of tie strength per week without contact",
    )
    lonely_decay_factor: float = param(
        0.0,
        unit="-",
        low=0.0,
        high=3.0,
        source="Cacioppo et al. 2009: lonely people lose ties and drift to the periphery; 0 by "
        "default because withdrawal already thins a lonely resident's ties (fewer meetings) and "
        "an extra decay made the baseline drift for decades (tsunagari validate, L9)",
        doc="extra decay per lonely endpoint (multiplies decay)",
    )
    turnover: float = param(
        0.1,
        unit="1/year",
        low=0.0,
        high=0.3,
        uncertain=True,
        source="Mollenhorst, Volker & Flap 2014 (Social Networks): about half of personal "
        "network members replaced within 7 years; friendship ties assumed steadier",
        doc="annual chance a friendship ends for reasons outside the model (drifting apart)",
    )
    floor: float = param(
        0.05,
        unit="strength",
        low=0.01,
        high=0.2,
        source=ASSUMPTION,
        doc="ties weaker than this are dropped",
    )
    form_group: float = param(
        0.15,
        unit="1/week",
        low=0.0,
        high=0.5,
        uncertain=True,
        source="assumption; people replace lost friends towards a personal network size "
        "(homeostasis: Wrzus et al. 2013; Mollenhorst et al. 2014 turnover at stable size)",
        doc="chance a present worker or student with no friends befriends a co-present group "
        "member (scaled by the resident's friendship deficit, 1 - friends / desired friends)",
    )
    form_zone: float = param(
        0.15,
        unit="1/week",
        low=0.0,
        high=0.5,
        uncertain=True,
        source="assumption; as form_group",
        doc="chance a present resident with no friends befriends an age-similar resident of the "
        "zone (scaled by the friendship deficit)",
    )
    new_strength: float = param(0.3, unit="strength", low=0.1, high=0.8, source=ASSUMPTION)
    close_strength: float = param(
        0.7,
        unit="strength",
        low=0.3,
        high=0.95,
        source="assumption: a tie at this strength is a close friend (親しい友人), someone to "
        "rely on",
        doc="tie strength from which a friendship counts as close",
    )
    max_friends: int = param(
        15,
        unit="ties",
        low=5,
        high=50,
        source=ASSUMPTION,
        doc="friend count at which no new friendship is accepted",
    )


@dataclass
class LifeEventParams:
    """Life events from age-specific hazards, and the shocks they give."""

    bereavement: list[float] = param(
        [0.0, 0.0, 0.0005, 0.001, 0.002, 0.004, 0.01, 0.03, 0.08],
        unit="1/year",
        low=0.0,
        high=0.2,
        source="assumption from life tables: annual death risk of a spouse by age",
        doc="annual chance a married man is bereaved (his wife dies), by age band",
    )
    bereavement_female_factor: float = param(
        2.0,
        unit="-",
        low=1.0,
        high=4.0,
        source="第23回生命表 2020: life expectancy 87.7 (women) vs 81.6 (men) years, and husbands "
        "are older: wives are widowed about twice as often; 2020 census widowed shares",
        doc="a married woman's bereavement hazard relative to a man's of the same age",
    )
    job_loss: float = param(
        0.02,
        unit="1/year",
        low=0.005,
        high=0.06,
        source="Labour Force Survey: ~2-3% unemployment; annual job loss assumed",
    )
    retirement: float = param(
        0.12,
        unit="1/year",
        low=0.03,
        high=0.3,
        source="assumption: employed residents aged 60+",
    )
    moving: list[float] = param(
        [0.03, 0.06, 0.12, 0.08, 0.045, 0.03, 0.025, 0.02, 0.025],
        unit="1/year",
        low=0.0,
        high=0.3,
        source="住民基本台帳人口移動報告 2020 and 2020 census 5-year mover rates: moves peak in "
        "the 20s; about 4% of residents a year overall; banded (assumption)",
        doc="annual chance of moving house, by age band",
    )
    health_decline: list[float] = param(
        [0.0, 0.0, 0.0, 0.0, 0.001, 0.002, 0.01, 0.03, 0.08],
        unit="1/year",
        low=0.0,
        high=0.3,
        source="assumption from care-need certification rates by age (介護保険事業状況報告)",
        doc="annual chance of losing mobility",
    )
    mobility_limited: list[float] = param(
        [0.0, 0.0, 0.0, 0.0, 0.01, 0.02, 0.04, 0.12, 0.35],
        unit="share",
        low=0.0,
        high=0.8,
        source="介護保険事業状況報告 2020: certified share about 4% at 65-74, 19% at 75-84, "
        "57% at 85+; banded",
        doc="share with limited mobility at set-up, kept stationary",
    )
    shock_bereavement: float = param(
        1.2, unit="latent", low=0.2, high=2.5, uncertain=True, source=ASSUMPTION
    )
    shock_job_loss: float = param(0.8, unit="latent", low=0.1, high=2.0, source=ASSUMPTION)
    shock_retirement: float = param(0.3, unit="latent", low=0.0, high=1.5, source=ASSUMPTION)
    shock_moving: float = param(0.3, unit="latent", low=0.0, high=1.5, source=ASSUMPTION)
    moving_tie_loss: float = param(
        0.5,
        unit="share",
        low=0.0,
        high=1.0,
        source=ASSUMPTION,
        doc="share of friendship strength lost when moving house",
    )
    retirement_tie_loss: list[float] = param(
        [0.4, 0.15],
        unit="share",
        low=0.0,
        high=1.0,
        uncertain=True,
        source="assumption: men's friendships in Japan are mostly made at work and fade at "
        "retirement (JAGES: men's social participation falls after retirement); [men, women]",
        doc="share of friendship strength lost at retirement, for men and women",
    )
    settle_weeks: float = param(
        52.0,
        unit="weeks",
        low=4.0,
        high=156.0,
        source=ASSUMPTION,
        doc="time to rebuild neighbourhood contact after moving",
    )


@dataclass
class LonelinessParams:
    """Latent loneliness: contact gap, SISa contagion, recovery and shocks (Hill et al. 2010)."""

    baseline: float = param(
        -0.7,
        unit="latent",
        low=-2.0,
        high=1.0,
        uncertain=True,
        source=ASSUMPTION,
        doc="mean latent level with no contact gap",
    )
    trait_sd: float = param(
        0.6,
        unit="latent",
        low=0.2,
        high=1.2,
        uncertain=True,
        source=ASSUMPTION,
        doc="spread of individual propensity",
    )
    no_confidant: float = param(
        0.8,
        unit="latent",
        low=0.0,
        high=2.0,
        uncertain=True,
        source="基礎調査 R4: often/always 19.5% without someone to consult vs 3.2% with; Weiss "
        "1973 emotional loneliness (no intimate attachment)",
        doc="latent target added while a resident has no one to rely on (no partner at home, no "
        "close friend, no relative living apart in contact)",
    )
    unemployed_effect: float = param(
        0.5,
        unit="latent",
        low=0.0,
        high=1.5,
        uncertain=True,
        source="基礎調査 R3/R4: often/always 12.5%/9.9% among the unemployed vs 4.5%/4.9% overall "
        "(financial strain and stigma beyond lost work contact)",
        doc="propensity added while unemployed",
    )
    gap_effect: float = param(
        1.8,
        unit="latent",
        low=0.3,
        high=4.0,
        uncertain=True,
        source=ASSUMPTION,
        doc="level added by a full gap between desired and realised contact",
    )
    recovery: float = param(
        0.08,
        unit="1/week",
        low=0.01,
        high=0.3,
        uncertain=True,
        source="assumption; SISa recovery (Hill et al. 2010)",
        doc="weekly pull of the latent level back to its target",
    )
    noise_sd: float = param(0.15, unit="latent/week", low=0.0, high=0.5, source=ASSUMPTION)
    contagion: float = param(
        0.3,
        unit="latent",
        low=0.0,
        high=1.0,
        uncertain=True,
        source="Cacioppo, Fowler & Christakis 2009 (+52% if a friend is lonely); Hill et al. 2010 "
        "SISa; bounded by the engine below the benefit of one meeting (gap_effect * "
        "friend_weight / need) so that contact protects on balance",
        doc="latent target added when every friend met this week is lonely (scaled by the "
        "share of friends met who are lonely)",
    )
    onset_rate: float = param(
        0.15,
        unit="1/year",
        low=0.0,
        high=0.5,
        uncertain=True,
        source="Hill et al. 2010 SISa spontaneous onset; rate assumed",
    )
    onset_size: float = param(0.8, unit="latent", low=0.1, high=2.0, source=ASSUMPTION)
    lonely_threshold: float = param(
        0.65,
        unit="latent",
        low=0.0,
        high=2.0,
        source=ASSUMPTION,
        doc="latent level above which a resident counts as lonely for withdrawal and contagion",
    )


@dataclass
class DynamicsParams:
    """All parameters of the weekly dynamics."""

    contacts: ContactParams = field(default_factory=ContactParams)
    ties: TieParams = field(default_factory=TieParams)
    events: LifeEventParams = field(default_factory=LifeEventParams)
    loneliness: LonelinessParams = field(default_factory=LonelinessParams)
    demography: DemographyParams = field(default_factory=DemographyParams)
