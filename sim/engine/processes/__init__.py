"""The weekly processes of the core dynamics (MODEL.md steps 1-4), one module each.

Every process is a :class:`sim.engine.component.Component` (``init``, ``step``, ``finalize``)
that receives a typed view of the model (a Protocol listing what it reads and writes), runs
where its row of the step plan (:mod:`sim.engine.plan`) says, and draws only from its own
named stream; per-resident draws are made for the whole population in one call, so processes
never shift each other's numbers.
"""

from sim.engine.processes._shared import N_BANDS
from sim.engine.processes.contacts import Contacts, ContactsView
from sim.engine.processes.life_events import LifeEvents, LifeEventsView
from sim.engine.processes.loneliness import Loneliness, LonelinessView
from sim.engine.processes.ties import CompactTies, CompactTiesView, Ties, TiesView

__all__ = [
    "N_BANDS",
    "CompactTies",
    "CompactTiesView",
    "Contacts",
    "ContactsView",
    "LifeEvents",
    "LifeEventsView",
    "Loneliness",
    "LonelinessView",
    "Ties",
    "TiesView",
]
