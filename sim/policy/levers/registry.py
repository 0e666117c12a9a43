"""The registry of lever types: the ``type:`` of a scenario's lever -> its class.

Adding a lever type is one new module in this package (the dataclass with its parameters, its
cost rule and the hooks of its effects, see :class:`sim.policy.levers.base.Lever`) and one line
here.
"""

from __future__ import annotations

from sim.policy.levers.awareness import Awareness
from sim.policy.levers.base import Lever
from sim.policy.levers.consultation import Consultation
from sim.policy.levers.continuity import Continuity
from sim.policy.levers.platform import Platform
from sim.policy.levers.prefecture_support import PrefectureSupport
from sim.policy.levers.supporters import Supporters
from sim.policy.levers.venue import Venue
from sim.policy.levers.welfare_volunteers import WelfareVolunteers
from sim.policy.levers.wide_area import WideArea

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
