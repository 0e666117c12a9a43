"""Policy levers: what a package may contain, with units, ranges and sources.

A scenario (``scenarios/<name>.yaml``) is a list of levers. Every lever has the common fields of
:class:`Lever` (where it applies, when, who pays) and the fields of its type. The types map one
to one onto the rows of MODEL.md's lever table, and :data:`LEVER_TYPES` is the explicit registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.core.params import param

FUNDERS = ("national_grant", "prefecture", "municipality", "npo")
CHANNELS = ("office", "phone24", "sns", "ai_chat")
DIGITAL_CHANNELS = ("sns", "ai_chat")
COST = "assumption: planning figure for sensitivity analysis; replace with local budgets"


@dataclass
class Lever:
    """Fields every lever has.

    Attributes:
        id: unique name inside the package.
        municipalities: names or codes where it applies; empty means the whole region.
        zones: zone indices where it applies (optional, inside ``municipalities``).
        start: first date it runs (ISO date); omitted means the service already exists, so it
            also runs during burn-in (the status quo of the baseline).
        end: last date it runs, or None for the whole horizon. A grant ending stops the lever.
        funder: who pays: national_grant, prefecture, municipality or npo.
    """

    id: str = ""
    municipalities: list[str] = field(default_factory=list)
    zones: list[int] = field(default_factory=list)
    start: str | None = None
    end: str | None = None
    funder: str = "municipality"


@dataclass
class Venue(Lever):
    """Places to belong (居場所, 通いの場, salons, community cafés, children's cafeterias, online).

    Online places have no location: members need digital access.
    """

    kind: str = "salon"
    per_zone: float = param(
        1.0,
        unit="venues/zone",
        low=0.0,
        high=20.0,
        source="choice of the package",
        doc="venues opened per zone (fractions: that share of zones get one)",
    )
    capacity: int = param(
        20,
        unit="persons",
        low=0,
        high=500,
        source="通いの場 survey FY2022: 81.6% of sites have 1-20 participants",
    )
    sessions_per_week: float = param(
        1.0,
        unit="1/week",
        low=0.0,
        high=7.0,
        source="通いの場 survey FY2022: 38.9% meet weekly or more",
    )
    min_age: int = param(16, unit="years", low=0, high=100, source="choice of the package")
    max_age: int = param(120, unit="years", low=0, high=120, source="choice of the package")
    role_share: float = param(
        0.2,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package (役割・出番)",
        doc="share of members given a role",
    )
    online: bool = False
    cost_per_session: float = param(
        15000.0,
        unit="yen/session",
        low=0.0,
        high=500000.0,
        source=COST,
        doc="room, coordinator and materials per session",
    )


@dataclass
class Supporters(Lever):
    """Connection supporters (つながりサポーター)."""

    per_1000: float = param(
        2.0,
        unit="supporters/1000 residents",
        low=0.0,
        high=50.0,
        source="choice of the package; national training since FY2023, no headcount published",
    )
    training: float = param(
        0.6,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package",
        doc="training quality: scales noticing and follow-up visits of pending referrals",
    )
    cost_per_supporter_year: float = param(
        40000.0,
        unit="yen/year",
        low=0.0,
        high=500000.0,
        source=COST,
        doc="training course and activity costs per supporter",
    )


@dataclass
class WelfareVolunteers(Lever):
    """Welfare volunteers (民生委員・児童委員) visiting older residents living alone."""

    households_per_volunteer_city: float = param(
        330.0,
        unit="households",
        low=220.0,
        high=440.0,
        source="MHLW standard: 220-440 households per volunteer in cities",
    )
    households_per_volunteer_town: float = param(
        135.0,
        unit="households",
        low=70.0,
        high=200.0,
        source="MHLW standard: 70-200 households per volunteer in towns and villages",
    )
    fill_rate: float = param(
        0.917,
        unit="share",
        low=0.0,
        high=1.0,
        source="MHLW 2025-12: quota 240,971, filled 220,880 (91.7%)",
    )
    visits_per_month: float = param(
        1.0,
        unit="1/month",
        low=0.0,
        high=8.0,
        source="assumption: monthly 見守り visit",
    )
    caseload: int = param(
        30,
        unit="residents",
        low=1,
        high=200,
        source="assumption: residents one volunteer can visit regularly",
    )
    allowance_per_year: float = param(
        100000.0,
        unit="yen/year",
        low=0.0,
        high=300000.0,
        source="MHLW: unpaid, activity allowance about 100,000 yen a year",
    )


@dataclass
class Consultation(Lever):
    """Consultation channels (office hours, 24-hour phone, SNS/chat, AI chat)."""

    channel: str = "office"
    capacity_per_10k: float = param(
        2.0,
        unit="new cases/week/10k residents",
        low=0.0,
        high=100.0,
        source="choice of the package",
    )
    episode_weeks: int = param(
        12, unit="weeks", low=1, high=52, source="assumption: a support plan of about 3 months"
    )
    transfer_rate: float = param(
        0.25,
        unit="1/year",
        low=0.0,
        high=0.6,
        source="assumption: municipal staff rotate every 3-4 years (人事異動, each April)",
    )
    info_sharing: float = param(
        0.3,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package (全庁横断・情報共有)",
        doc="share of cases kept open when the caseworker is transferred",
    )
    cost_per_case: float = param(
        60000.0,
        unit="yen/case",
        low=0.0,
        high=1000000.0,
        source=COST,
    )
    cost_fixed_per_week: float = param(
        0.0,
        unit="yen/week",
        low=0.0,
        high=1e8,
        source=COST,
        doc="fixed running cost (e.g. a 24-hour line) per week for the whole area",
    )


@dataclass
class Continuity(Lever):
    """Cross-departmental organisation and information sharing (全庁横断・情報共有).

    While active, every consultation case in its municipalities survives a caseworker's
    transfer with at least this probability, whichever channel serves it.
    """

    info_sharing: float = param(
        0.9,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package",
        doc="share of cases kept open when the caseworker is transferred",
    )
    cost_per_week: float = param(50000.0, unit="yen/week", low=0.0, high=1e8, source=COST)


@dataclass
class Awareness(Lever):
    """Awareness campaigns (周知・啓発)."""

    reach: float = param(
        0.3,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package",
        doc="share of residents reached over the campaign",
    )
    memory_weeks: float = param(
        26.0,
        unit="weeks",
        low=1.0,
        high=260.0,
        source="assumption: awareness fades",
    )
    cost_per_week: float = param(300000.0, unit="yen/week", low=0.0, high=1e8, source=COST)


@dataclass
class Platform(Lever):
    """Local public-private platform (地方版官民連携プラットフォーム)."""

    members: int = param(
        20,
        unit="organisations",
        low=0,
        high=200,
        source="Cabinet Office: Nagasaki platform had 61 members (2024-09)",
    )
    cost_per_week: float = param(100000.0, unit="yen/week", low=0.0, high=1e8, source=COST)


@dataclass
class PrefectureSupport(Lever):
    """Prefecture staff dispatch (伴走支援) and training (人材育成)."""

    staff_per_100k: float = param(
        1.0,
        unit="staff/100k residents",
        low=0.0,
        high=20.0,
        source="choice of the package",
    )
    cases_per_staff_week: float = param(
        3.0,
        unit="cases/week",
        low=0.5,
        high=20.0,
        source="assumption",
    )
    training_boost: float = param(
        0.2,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package",
        doc="added to supporter training quality and to consultation effect (relative)",
    )
    cost_per_staff_week: float = param(
        150000.0,
        unit="yen/week",
        low=0.0,
        high=1e7,
        source=COST,
    )


#: Customary areas of a prefecture (圏域) for ``partition: customary``: the clusters a
#: partial wide-area platform usually follows. Tottori: 東部・中部・西部; Kochi: the four
#: health-and-welfare areas 安芸・中央・高幡・幡多 (中央 joins 中央東, 高知市 and 中央西).
CUSTOMARY_AREAS: dict[str, list[str]] = {
    "東部": ["鳥取市", "岩美町", "若桜町", "智頭町", "八頭町"],
    "中部": ["倉吉市", "三朝町", "湯梨浜町", "琴浦町", "北栄町"],
    "西部": ["米子市", "境港市", "日吉津村", "大山町", "南部町", "伯耆町", "日南町", "日野町",
             "江府町"],
    "安芸": ["室戸市", "安芸市", "東洋町", "奈半利町", "田野町", "安田町", "北川村", "馬路村",
             "芸西村"],
    "中央": ["高知市", "南国市", "香南市", "香美市", "本山町", "大豊町", "土佐町", "大川村",
             "土佐市", "いの町", "仁淀川町", "佐川町", "越知町", "日高村"],
    "高幡": ["須崎市", "中土佐町", "檮原町", "津野町", "四万十町"],
    "幡多": ["宿毛市", "土佐清水市", "四万十市", "大月町", "三原村", "黒潮町"],
}  # fmt: skip

COST_SHARING = ("per_capita", "per_use", "prefecture")
PARTITIONS = ("one", "customary")


@dataclass
class WideArea(Lever):
    """Wide-area platform (広域的な地方版プラットフォーム) across member municipalities.

    ``municipalities`` are the members (empty: the whole region). While active, residents of a
    member may use consultation and venues of the other members of their cluster: consultation
    capacity is pooled per channel over the cluster (one queue), a case is served in a member
    chosen in proportion to its capacity weighted by distance decay from home or workplace;
    venues across the border and near the workplace or school become candidates. Costs of the
    members' municipality-funded consultation and venue levers, and of this lever when its
    funder is the municipality, are pooled per cluster: the prefecture pays
    ``prefecture_share`` (役割分担; all of it with ``cost_sharing: prefecture``) and the members
    share the rest per capita or per use.
    """

    funder: str = "municipality"
    partition: str = "one"  # one cluster of all members, or the prefecture's customary areas
    consultation: bool = True  # pool consultation capacity across the cluster
    venues: bool = True  # venues across borders and near the workplace or school
    venue_access_km: float = param(
        1.0,
        unit="km",
        low=0.1,
        high=20.0,
        source="assumption: a wide-area platform shares information and transport so a venue "
        "outside the own zone can be reached; join chance exp(-d / venue_access_km)",
        doc="distance scale for joining a venue across the border or near the workplace",
    )
    consult_access_km: float = param(
        15.0,
        unit="km",
        low=1.0,
        high=100.0,
        source="assumption: residents prefer an office near home or work",
        doc="distance scale weighting which member's office serves a pooled case (remote "
        "channels ignore distance)",
    )
    cost_sharing: str = "per_capita"
    prefecture_share: float = param(
        0.0,
        unit="share",
        low=0.0,
        high=1.0,
        source="choice of the package (役割分担)",
        doc="share of the pooled running costs paid by the prefecture",
    )
    cost_per_week: float = param(
        200000.0,
        unit="yen/week",
        low=0.0,
        high=1e8,
        source=COST,
        doc="coordination (secretariat, shared booking, transport arrangements) per week",
    )

    def __post_init__(self) -> None:
        # TypeError: the scenario loader reports it as one line naming the file and lever
        if self.cost_sharing not in COST_SHARING:
            raise TypeError(
                f"cost_sharing: '{self.cost_sharing}' is not one of {', '.join(COST_SHARING)}"
            )
        if self.partition not in PARTITIONS:
            raise TypeError(f"partition: '{self.partition}' is not one of {', '.join(PARTITIONS)}")


LEVER_TYPES: dict[str, type[Lever]] = {
    "venue": Venue,
    "supporters": Supporters,
    "welfare_volunteers": WelfareVolunteers,
    "consultation": Consultation,
    "continuity": Continuity,
    "awareness": Awareness,
    "platform": Platform,
    "prefecture_support": PrefectureSupport,
    "wide_area": WideArea,
}
