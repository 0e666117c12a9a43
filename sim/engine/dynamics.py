"""Declared parameters of the weekly dynamics: life events, contacts, ties and loneliness.

Per-age profiles have one value per band of :data:`sim.core.codes.AGE_GROUPS`
(0-15, 16-19, 20-29, 30-39, 40-49, 50-59, 60-69, 70-79, 80+). Annual probabilities are
converted to weekly hazards by the engine (``1 - (1 - p) ** (1 / 52)``). The latent loneliness
scale is dimensionless ("latent units"); the survey module maps it to the survey's answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.core.params import param

ASSUMPTION = "assumption (pre-calibration; wide range for sensitivity analysis)"


@dataclass
class ContactParams:
    """Weekly contacts by layer and how lonely residents withdraw."""

    presence: float = param(
        0.9,
        unit="share",
        low=0.5,
        high=1.0,
        source=ASSUMPTION,
        doc="chance a resident takes part in out-of-home life in a given week",
    )
    withdrawal: float = param(
        0.35,
        unit="share",
        low=0.0,
        high=0.8,
        uncertain=True,
        source="Cacioppo et al. 2009 (lonely people withdraw, move to the periphery); size assumed",
        doc="fall in participation while lonely",
    )
    mobility_factor: float = param(
        0.5,
        unit="share",
        low=0.2,
        high=0.9,
        source=ASSUMPTION,
        doc="participation of residents with limited mobility, relative to others",
    )
    household_weight: float = param(
        1.0,
        unit="contact/person",
        low=0.3,
        high=1.5,
        uncertain=True,
        source=ASSUMPTION,
        doc="contact value of each co-resident per week",
    )
    household_cap: int = param(3, unit="persons", low=1, high=6, source=ASSUMPTION)
    work_weight: float = param(
        0.5,
        unit="contact/person",
        low=0.1,
        high=1.0,
        uncertain=True,
        source=ASSUMPTION,
        doc="contact value of each co-present colleague or classmate",
    )
    work_cap: int = param(5, unit="persons", low=1, high=15, source=ASSUMPTION)
    telework_share: float = param(
        0.17,
        unit="share",
        low=0.05,
        high=0.4,
        source="NIRA 2022: 17% of workers teleworked (Jan 2022)",
        doc="share of workers who telework",
    )
    telework_absence: float = param(
        0.6,
        unit="share",
        low=0.2,
        high=1.0,
        source="Persol 2020: loneliness rises with telework days; share assumed",
        doc="share of weeks a teleworker has no in-person work contact",
    )
    neighbour_meet: float = param(
        0.3,
        unit="1/week",
        low=0.05,
        high=0.8,
        source=ASSUMPTION,
        doc="chance of meeting a given neighbour in a week when both take part",
    )
    neighbour_weight: float = param(
        0.5,
        unit="contact/meeting",
        low=0.1,
        high=1.0,
        uncertain=True,
        source=ASSUMPTION,
    )
    friend_meet: float = param(
        0.45,
        unit="1/week",
        low=0.1,
        high=0.9,
        uncertain=True,
        source=ASSUMPTION,
        doc="chance a friendship pair meets in person in a week when both take part",
    )
    friend_weight: float = param(
        1.0,
        unit="contact/meeting",
        low=0.3,
        high=2.0,
        uncertain=True,
        source=ASSUMPTION,
    )
    community_weight: float = param(
        1.0,
        unit="contact/week",
        low=0.2,
        high=2.0,
        uncertain=True,
        source=ASSUMPTION,
        doc="contact value of a week with a community activity",
    )
    community_share: list[float] = param(
        [0.45, 0.45, 0.4, 0.45, 0.5, 0.5, 0.55, 0.55, 0.4],
        unit="share",
        low=0.0,
        high=1.0,
        source="人々のつながりに関する基礎調査 2023: 51.8% take part in no social activity; "
        "age profile assumed",
        doc="share in a social activity (neighbourhood association, club, volunteering)",
    )
    community_turnover: float = param(
        0.5,
        unit="1/year",
        low=0.1,
        high=1.0,
        source=ASSUMPTION,
        doc="rate at which participants leave a community activity (balanced by joining)",
    )
    need: list[float] = param(
        [4.0, 6.0, 6.5, 6.0, 5.5, 4.5, 3.0, 2.2, 1.6],
        unit="contact/week",
        low=1.0,
        high=12.0,
        uncertain=True,
        source="assumption: needs differ by age (MODEL.md); younger adults want more contact",
        doc="desired weekly contact by age band",
    )


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
        1.0,
        unit="-",
        low=0.0,
        high=3.0,
        source="Cacioppo et al. 2009: lonely people lose ties and drift to the periphery",
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
        0.01,
        unit="1/week",
        low=0.0,
        high=0.05,
        uncertain=True,
        source=ASSUMPTION,
        doc="chance a present worker or student befriends a co-present group member",
    )
    form_zone: float = param(
        0.006,
        unit="1/week",
        low=0.0,
        high=0.05,
        uncertain=True,
        source=ASSUMPTION,
        doc="chance a present resident befriends an age-similar resident of the zone",
    )
    new_strength: float = param(0.3, unit="strength", low=0.1, high=0.8, source=ASSUMPTION)
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
        doc="annual chance a married resident is bereaved",
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
    moving: float = param(
        0.04,
        unit="1/year",
        low=0.01,
        high=0.1,
        source="住民基本台帳人口移動報告 and intra-municipal moves: about 4% of residents a year",
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
        source="基礎調査 R4: often/always 19.5% without someone to consult vs 3.2% with",
        doc="propensity added when a resident has no one to consult",
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
        0.04,
        unit="latent/contact",
        low=0.0,
        high=0.2,
        uncertain=True,
        source="Cacioppo et al. 2009 (+52% if a friend is lonely); Hill et al. 2010 SISa",
        doc="rise per lonely friend met this week",
    )
    contagion_cap: int = param(3, unit="contacts", low=1, high=10, source=ASSUMPTION)
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
