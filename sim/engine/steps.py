"""Plan rows that are not core processes: services, resets, recording and housekeeping.

The service rows are thin: the service pipeline is policy code (:mod:`sim.policy.services`),
held by the model as ``model.services``; each row calls one of its methods, so the order in
which policy runs is written in the plan (:mod:`sim.engine.plan`), not inside the policy code.
The engine does not import the policy package here: the pipeline is typed by
:class:`ServicePipeline`, the part of its interface the plan calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from sim.engine.component import Component

if TYPE_CHECKING:
    from sim.engine.recorder import Recorder
    from sim.world.layers import Groups


class ServicePipeline(Protocol):
    """The service pipeline as the plan calls it (implemented by ``sim.policy.services``)."""

    rt: Any  # the lever runtime: ``rt.update(week)`` refreshes the active levers

    def outreach(self, m: Any) -> None:
        """Venue sessions and volunteer visits."""
        ...

    def noticing(self, m: Any) -> None:
        """Noticing and referral."""
        ...

    def help_seeking(self, m: Any) -> None:
        """Help-seeking and awareness campaigns."""
        ...

    def consultation(self, m: Any) -> None:
        """Queues served up to capacity."""
        ...

    def accrue_costs(self, m: Any) -> None:
        """Weekly running costs and bills."""
        ...

    def role_support(self, m: Any) -> np.ndarray:
        """Latent target shift from roles at venues."""
        ...

    def reset_counters(self, m: Any) -> None:
        """Discard flows, costs and bills accumulated so far."""
        ...

    def reset_period(self) -> None:
        """Start the next recording period's flows, costs and bills from zero."""
        ...

    def period_rows(self, m: Any, week: int) -> Any:
        """The period's service figures as rows of the monthly table (read only)."""
        ...


class ServiceView(Protocol):
    """What the service rows read and write on the model."""

    week: int
    services: ServicePipeline
    svc: Any  # sim.policy.services.ServiceState: per-resident service arrays
    target_shift: np.ndarray


class _ServiceCall(Component):
    """A row that calls one method of the service pipeline with the model."""

    method = ""

    def step(self, m: ServiceView) -> None:
        """Call the pipeline."""
        getattr(m.services, self.method)(m)


class UpdateLevers(Component):
    """Refresh which levers are active this week (their calendars), before any service runs."""

    name = "levers"
    reads = ("week", "scenario (lever calendars)")
    writes = ("services.rt (active levers, per-active-set cache)",)

    def step(self, m: ServiceView) -> None:
        """Update the active set."""
        m.services.rt.update(m.week)
        m.services.rt.refresh_pool(m)


class Outreach(_ServiceCall):
    """Venue sessions, co-attendance ties, volunteer visits (contact this week)."""

    name, method = "outreach", "outreach"
    reads = ("services", "svc", "res.present", "res.lonely", "pop", "friends")
    writes = ("svc.venue", "svc.role", "svc.visited", "svc.attended", "res.contact",
              "friends", "counts.ties_formed", "services (flows)")  # fmt: skip


class SupportShift(Component):
    """The latent target shift from support received and venue roles, for the loneliness step."""

    name = "support"
    reads = ("svc.support", "svc.role", "services")
    writes = ("target_shift",)

    def init(self, m: Any) -> None:
        """Start with no shift (a model without this row's step leaves loneliness as is)."""
        m.target_shift = np.zeros(m.pop.n, np.float32)

    def step(self, m: ServiceView) -> None:
        """Sum support from services and roles at open venues."""
        m.target_shift = m.svc.support + m.services.role_support(m)


class Noticing(_ServiceCall):
    """Supporters, volunteers, neighbours and venue staff notice; referrals follow."""

    name, method = "noticing", "noticing"
    reads = ("services", "svc", "res.lonely", "res.weeks_no_friend", "pop")
    writes = ("svc.stage", "svc.stage_weeks", "services (flows)")


class HelpSeeking(_ServiceCall):
    """Lonely residents who know of the services seek help; campaigns raise awareness."""

    name, method = "help_seeking", "help_seeking"
    reads = ("services", "svc", "res.lonely", "pop")
    writes = ("svc.aware", "svc.stage", "svc.channel", "services (flows)")


class Consultation(_ServiceCall):
    """Referrals arrive, queues are served up to capacity, waiting residents may give up."""

    name, method = "consultation", "consultation"
    reads = ("services", "svc", "res.latent", "res.group", "pop", "groups")
    writes = ("svc.stage", "svc.support", "svc.case_lever", "svc.served_in", "svc.venue",
              "services (flows, costs, capacity carry)")  # fmt: skip


class Costs(_ServiceCall):
    """Weekly running costs of every active lever, bills under cost sharing."""

    name, method = "costs", "accrue_costs"
    reads = ("services", "week")
    writes = ("services (costs, bills, capacity offered)",)


class ResetHorizon(Component):
    """As week 0 starts, discard the flows and costs of the burn-in."""

    name = "reset_horizon"
    reads = ("week",)
    writes = ("services (flows, costs, bills, latent SD)",)

    def step(self, m: ServiceView) -> None:
        """Reset the service counters."""
        m.services.reset_counters(m)


class ResetPeriod(Component):
    """After a record, start the next period's service flows, costs and bills from zero."""

    name = "reset_period"
    reads = ()
    writes = ("services (flows, costs, matrices, bills)",)

    def step(self, m: ServiceView) -> None:
        """Reset the service accumulators of the period just recorded."""
        m.services.reset_period()


class RecordView(Protocol):
    """What :class:`Record` reads and writes on the model."""

    recorder: Recorder
    datacollector: Any


class Record(Component):
    """The monthly simulated survey and service figures (the recorder only observes)."""

    name = "record"
    reads = ("res", "svc", "services", "friends", "pop")
    writes = ("recorder", "datacollector")

    def step(self, m: RecordView) -> None:
        """Record this week's measures."""
        m.recorder.record(m)
        m.datacollector.collect(m)


class MunicipalFigures(Component):
    """Each municipality agent takes its figures from the latest record."""

    name = "municipal_figures"
    reads = ("recorder",)
    writes = ("agents (Municipality figures)",)

    def step(self, m: Any) -> None:
        """Update every municipality agent (living residents counted once for all)."""
        pop = m.pop
        living = np.bincount(pop.municipality[pop.age >= 0], minlength=len(m.municipality_agents))
        for agent in m.municipality_agents:
            agent.update(m.recorder, int(living[agent.index]))


class ClockView(Protocol):
    """What :class:`Clock` reads and writes on the model."""

    step_index: int
    week: int


class Clock(Component):
    """Advance the step index and the week."""

    name = "clock"
    reads = ()
    writes = ("step_index", "week")

    def step(self, m: ClockView) -> None:
        """Count one more week."""
        m.step_index += 1
        m.week += 1


class GroupsView(Protocol):
    """What :class:`RebuildGroups` reads and writes on the model."""

    groups: Groups


class RebuildGroups(Component):
    """Rebuild the member index of work and school groups after joins and departures."""

    name = "rebuild_groups"
    reads = ("groups.of_resident",)
    writes = ("groups.members", "groups.start")

    def step(self, m: GroupsView) -> None:
        """Recompute the member index."""
        m.groups.rebuild_members()
