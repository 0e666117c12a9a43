"""Wide-area lever: a platform across municipalities that pools queues, venues and costs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.core.params import param
from sim.policy.levers.base import COST, FixedWeeklyCost, Lever

if TYPE_CHECKING:
    from sim.policy.scope import Scope

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
class WideArea(FixedWeeklyCost, Lever):
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
        uncertain=True,
        source="assumption: a wide-area platform shares information and transport so a venue "
        "outside the own zone can be reached; join chance exp(-d / venue_access_km)",
        doc="distance scale for joining a venue across the border or near the workplace",
    )
    consult_access_km: float = param(
        15.0,
        unit="km",
        low=1.0,
        high=100.0,
        uncertain=True,
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

    pooled_cost: ClassVar[bool] = True
    shares_costs: ClassVar[bool] = True

    def __post_init__(self) -> None:
        # TypeError: the scenario loader reports it as one line naming the file and lever
        if self.cost_sharing not in COST_SHARING:
            raise TypeError(
                f"cost_sharing: '{self.cost_sharing}' is not one of {', '.join(COST_SHARING)}"
            )
        if self.partition not in PARTITIONS:
            raise TypeError(f"partition: '{self.partition}' is not one of {', '.join(PARTITIONS)}")

    def clusters(self, scope: Scope, i: int) -> list[np.ndarray]:
        """Its members as one cluster, or split by the customary areas (the rest: one more)."""
        members = scope.muni_mask[i]
        if self.partition != "customary":
            return [members]
        listed = np.isin(scope.names, [n for v in CUSTOMARY_AREAS.values() for n in v])
        parts = [members & np.isin(scope.names, v) for v in CUSTOMARY_AREAS.values()]
        parts.append(members & ~listed)
        return parts

    def prefecture_part(self) -> float:
        """Share of the pooled costs the prefecture pays."""
        return 1.0 if self.cost_sharing == "prefecture" else self.prefecture_share
