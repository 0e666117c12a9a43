"""Policy levers: what a package may contain, with units, ranges, sources, costs and effects.

A scenario (``scenarios/<name>.yaml``) is a list of levers. Every lever has the common fields of
:class:`Lever` (where it applies, when, who pays) and the fields of its type. The types map one
to one onto the rows of MODEL.md's lever table; each lives in its own module of this package,
and :data:`LEVER_TYPES` (:mod:`sim.policy.levers.registry`) is the explicit registry.
"""

from sim.policy.levers.awareness import Awareness
from sim.policy.levers.base import CHANNELS, COST, DIGITAL_CHANNELS, FUNDERS, Lever
from sim.policy.levers.consultation import Consultation
from sim.policy.levers.continuity import Continuity
from sim.policy.levers.platform import Platform
from sim.policy.levers.prefecture_support import PrefectureSupport
from sim.policy.levers.registry import LEVER_TYPES
from sim.policy.levers.supporters import Supporters
from sim.policy.levers.venue import Venue
from sim.policy.levers.welfare_volunteers import WelfareVolunteers
from sim.policy.levers.wide_area import COST_SHARING, CUSTOMARY_AREAS, PARTITIONS, WideArea

__all__ = [
    "CHANNELS",
    "COST",
    "COST_SHARING",
    "CUSTOMARY_AREAS",
    "DIGITAL_CHANNELS",
    "FUNDERS",
    "LEVER_TYPES",
    "PARTITIONS",
    "Awareness",
    "Consultation",
    "Continuity",
    "Lever",
    "Platform",
    "PrefectureSupport",
    "Supporters",
    "Venue",
    "WelfareVolunteers",
    "WideArea",
]
