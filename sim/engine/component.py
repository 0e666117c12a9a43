"""The one lifecycle of every row of the step plan: ``init``, ``step``, ``finalize``.

A component is one state change of the week (a process, a service call, housekeeping, a reset
or recording). The model calls ``init(model)`` once after it is built, ``step(model)`` whenever
the row's cadence is due (:mod:`sim.engine.plan`), and ``finalize(model)`` once after the last
week of a whole run. Each component names what it reads and writes on the model, and receives
the model through a typed view (a :class:`typing.Protocol` listing exactly those attributes).
"""

from __future__ import annotations

from typing import Any, ClassVar


class Component:
    """Base of every step component; the three lifecycle methods do nothing by default.

    Attributes:
        name: the plan row's name.
        reads: model attributes the component reads (``res.latent`` names a field).
        writes: model attributes the component changes.
    """

    name: ClassVar[str] = ""
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()

    def init(self, model: Any) -> None:
        """Prepare once the model's population, layers and services exist."""

    def step(self, model: Any) -> None:
        """Apply this week's state change."""

    def finalize(self, model: Any) -> None:
        """Finish after the last week of a whole run."""
