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
        0.2,
        unit="1/week",
        low=0.02,
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
    need_base: float = param(
        6.0,
        unit="contact/week",
        low=2.0,
        high=12.0,
        uncertain=True,
        source="assumption (calibrated); desired weekly contact of a young adult",
        doc="desired weekly contact at age 20 (the need falls smoothly with age after 20)",
    )
    need_decline: float = param(
        0.15,
        unit="1/decade",
        low=0.0,
        high=0.4,
        uncertain=True,
        source="Wrzus et al. 2013 (Psychol Bull 139:53): personal networks shrink after young "
        "adulthood; Carstensen 1992 socioemotional selectivity: older adults prefer fewer, closer "
        "contacts; rate calibrated",
        doc="relative fall of the desired contact per decade of age after 20",
    )
    call_rate: float = param(
        0.05,
        unit="1/tie/week",
        low=0.02,
        high=0.5,
        uncertain=True,
        source="assumption (calibrated to 基礎調査 令和5年: 'never voice-calls family or friends "
        "living apart' is a minority)",
        doc="voice calls per week with each friend",
    )
    kin_call: float = param(
        0.15,
        unit="1/relative/week",
        low=0.05,
        high=1.0,
        source="assumption: a relative living apart is called about once a month to weekly",
        doc="voice calls per week with each close relative living apart",
    )
    message_rate: float = param(
        0.3,
        unit="1/tie/week",
        low=0.05,
        high=1.0,
        source="assumption: internet users text or message friends and relatives living apart "
        "more often than they call them (通信利用動向調査: SNS use by age)",
        doc="messages per week with each friend or relative, for internet users",
    )
    call_weight: float = param(
        0.3,
        unit="contact/call",
        low=0.05,
        high=0.8,
        uncertain=True,
        source="assumption, below in-person contact (friend_weight): remote contact protects "
        "less than meeting in person (e.g. Teo et al. 2015, J Am Geriatr Soc 63:2014)",
        doc="contact value of a voice call",
    )
    message_weight: float = param(
        0.1,
        unit="contact/message",
        low=0.0,
        high=0.5,
        uncertain=True,
        source="assumption, below a call (Teo et al. 2015: written contact did not protect)",
        doc="contact value of a message exchange (text, e-mail, SNS)",
    )
    remote_cap: float = param(
        3.0,
        unit="contact/week",
        low=0.5,
        high=10.0,
        source=ASSUMPTION,
        doc="most contact that calls and messages add in a week",
    )
    kin_mean: float = param(
        1.5,
        unit="relatives/person",
        low=0.3,
        high=4.0,
        uncertain=True,
        source="assumption: close relatives living apart in regular contact (parents, adult "
        "children, siblings; 全国家庭動向調査 shows most older parents have a child living apart); "
        "Poisson mean, calibrated",
        doc="mean number of close relatives living apart, per resident 16+",
    )
    kin_never_married: float = param(
        0.4,
        unit="-",
        low=0.0,
        high=1.0,
        uncertain=True,
        source="assumption: never-married residents aged 50+ have no children, and their "
        "parents are mostly gone (2020 census: never-married shares of older men are rising)",
        doc="relatives living apart of a never-married resident aged 50+, relative to others",
    )
    kin_meet: float = param(
        0.05,
        unit="1/relative/week",
        low=0.01,
        high=0.3,
        source="assumption: a relative living apart is met in person about monthly or less",
        doc="chance of meeting a given relative living apart in person in a week",
    )
    kinkeeping: float = param(
        1.5,
        unit="-",
        low=1.0,
        high=3.0,
        uncertain=True,
        source="Rosenthal 1985 (J Marriage Fam 47:965): women keep kin contact; IPSS 生活と支え"
        "合いに関する調査 2017: fewer older women than men living alone talk at most fortnightly",
        doc="women's kin contact (calls and meetings) relative to men's",
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
