"""Declared parameters of weekly contacts: in person by layer, remote, relatives, withdrawal.

Part of :class:`sim.engine.dynamics.DynamicsParams` (``dynamics.contacts``).
"""

from __future__ import annotations

from dataclasses import dataclass

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
        doc="chance a friendship pair meets in person in a week when both take part, for a "
        "tie of full strength (see meet_strength)",
    )
    meet_strength: float = param(
        0.0,
        unit="-",
        low=0.0,
        high=3.0,
        uncertain=True,
        source="Roberts & Dunbar 2011 (Pers Relatsh 18:439) and Hill & Dunbar 2003 (Hum Nat "
        "14:53): contact frequency rises with emotional closeness, and ties seen less often "
        "lose closeness; exponent assumed, calibrated",
        doc="exponent k of the tie strength in the meeting chance friend_meet * s**k: 0 = every "
        "tie meets at one rate; larger = weak ties are met rarely",
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
    neighbour_chat: float = param(
        1.5,
        unit="1/contact",
        low=0.2,
        high=5.0,
        source="assumption: everyday conversations (greetings that turn into talk, shops, "
        "neighbours) per unit of neighbourhood contact; sets talks_at_most_fortnightly",
        doc="rate of a conversation in a week per unit of neighbourhood contact",
    )
    kinkeeping: float = param(
        1.5,
        unit="-",
        low=1.0,
        high=3.0,
        uncertain=True,
        source="Rosenthal 1985 (J Marriage Fam 47:965): women keep kin contact; IPSS 生活と支え"
        "合いに関する調査 2017: fewer older women than men living alone talk at most fortnightly "
        "(15.0% vs 5.2%)",
        doc="women's contact with relatives (meetings, calls, messages) and neighbourhood "
        "conversations, relative to men's",
    )
