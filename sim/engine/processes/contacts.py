"""MODEL.md step 2: contacts realised this week, layer by layer; lonely residents withdraw."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
import scipy.sparse as sp

from sim.engine.component import Component
from sim.engine.processes._shared import poisson_from_uniform
from sim.engine.state import weekly

if TYPE_CHECKING:
    from sim.engine.dynamics import DynamicsParams
    from sim.engine.state import Residents
    from sim.world.friendship import FriendshipNetwork
    from sim.world.layers import Groups
    from sim.world.population import Population


class ContactsView(Protocol):
    """What :class:`Contacts` reads and writes on the model."""

    params: DynamicsParams
    pop: Population
    res: Residents
    groups: Groups
    nb_edges: np.ndarray
    friends: FriendshipNetwork
    met: np.ndarray
    lonely_ends: np.ndarray
    lonely_friends_met: np.ndarray
    alive: np.ndarray | None

    def stream(self, name: str) -> np.random.Generator:
        """Generator of the named stream for this step."""
        ...


class Contacts(Component):
    """Contacts realised this week, in person and remote; lonely residents withdraw.

    In person: the household, colleagues or classmates, neighbours, friends, relatives living
    apart and community activity. Remote: voice calls with friends and relatives, and messages
    for internet users; they count toward contact with weights below a meeting's. The lonely
    friends met are counted for contagion (step 4). Withdrawal lowers a lonely resident's
    participation and reaching out, in person and remote.
    """

    name = "contacts"
    reads = ("params.contacts", "params.ties", "pop.sex",
             "pop.digital", "nb_edges", "groups", "friends", "res.lonely", "res.limited",
             "res.group", "res.teleworker", "res.settled", "res.community", "res.cohabitants",
             "res.kin", "alive")  # fmt: skip
    writes = ("res.willing", "res.present", "res.friends_met", "res.weeks_no_friend",
              "res.kin_met", "res.calls", "res.messages", "res.weeks_no_call",
              "res.weeks_no_message", "res.weeks_no_kin", "res.talk_history", "res.contact",
              "friends (ties ended)", "met", "lonely_ends", "lonely_friends_met")  # fmt: skip

    def init(self, m: ContactsView) -> None:
        """Precompute the neighbourhood matrix and each resident's kin contact multiplier."""
        c = m.params.contacts
        self.p_end = float(weekly(m.params.ties.turnover))
        n = m.pop.n
        e = m.nb_edges
        w = np.float32(c.neighbour_meet * c.neighbour_weight)
        data = np.full(2 * e.shape[0], w, np.float32)
        rows = np.concatenate([e[:, 0], e[:, 1]])
        cols = np.concatenate([e[:, 1], e[:, 0]])
        self.nb = sp.csr_matrix((data, (rows, cols)), shape=(n, n), dtype=np.float32)
        female = m.pop.sex == 1
        self.kinship = np.where(female, np.float32(c.kinkeeping), np.float32(1)).astype(np.float32)
        self.digital = m.pop.digital.astype(np.float32)

    def refresh(self, m: ContactsView, who: np.ndarray) -> None:
        """Sex and digital access of residents who arrived or were born (demography)."""
        c = m.params.contacts
        female = m.pop.sex[who] == 1
        self.kinship[who] = np.where(female, np.float32(c.kinkeeping), np.float32(1))
        self.digital[who] = m.pop.digital[who]

    def step(self, m: ContactsView) -> None:
        """Realise presence, then work, neighbourhood, friend, kin, community and remote contact."""
        r, c = m.res, m.params.contacts
        rng = m.stream(self.name)
        u = rng.random((7, r.n), dtype=np.float32)  # all whole-population draws come first
        reach = 1 - np.float32(c.withdrawal) * r.lonely
        if m.alive is not None:  # inactive slots (demography) take part in nothing
            reach = reach * m.alive
        willing = np.float32(c.presence) * reach
        willing = np.where(r.limited, willing * np.float32(c.mobility_factor), willing)
        r.willing = willing.astype(np.float32)
        r.present = u[0] < r.willing
        at_work = r.present & (r.group >= 0) & ~(r.teleworker & (u[1] < c.telework_absence))
        g = np.where(at_work, r.group, m.groups.n)
        co = np.bincount(g, minlength=m.groups.n + 1)
        work = np.minimum(co[g] - 1, c.work_cap) * at_work
        pres = r.present.astype(np.float32)
        # neighbourhood contact of the present neighbours (one sparse product a week): a
        # conversation needs only theirs, contact needs the resident's own presence too
        near = r.settled * (self.nb @ pres)
        nb = near * pres
        f = m.friends
        u_ties = rng.random(f.n_edges, dtype=np.float32)
        m.met, m.lonely_ends, r.friends_met, m.lonely_friends_met = f.meet(
            r.willing, r.lonely, c.friend_meet, u_ties, self.p_end, c.meet_strength
        )
        kin = r.kin * self.kinship
        r.kin_met = poisson_from_uniform(u[3], np.float32(c.kin_meet) * kin * r.willing).astype(
            np.float32
        )
        kin_calls = poisson_from_uniform(u[4], np.float32(c.kin_call) * kin * reach)
        friend_calls = poisson_from_uniform(u[5], np.float32(c.call_rate) * f.degree * reach)
        r.calls = (kin_calls + friend_calls).astype(np.float32)
        lam = np.float32(c.message_rate) * (f.degree + kin) * reach * self.digital
        r.messages = poisson_from_uniform(u[6], lam).astype(np.float32)
        in_person = r.friends_met + r.kin_met
        r.weeks_no_friend = _weeks_without(r.weeks_no_friend, in_person > 0)
        r.weeks_no_call = _weeks_without(r.weeks_no_call, r.calls > 0)
        r.weeks_no_message = _weeks_without(r.weeks_no_message, r.messages > 0)
        r.weeks_no_kin = _weeks_without(r.weeks_no_kin, r.kin_met > 0)
        together = r.community & r.present
        chat = u[2] < -np.expm1(-np.float32(c.neighbour_chat) * self.kinship * near)
        talked = (r.cohabitants > 0) | (work > 0) | (in_person > 0) | (r.calls > 0) | together
        talked |= chat
        r.talk_history = ((r.talk_history << 1) | talked).astype(np.uint8) & np.uint8(0b1111)
        remote = np.float32(c.call_weight) * r.calls + np.float32(c.message_weight) * r.messages
        r.contact = (
            np.float32(c.household_weight) * np.minimum(r.cohabitants, c.household_cap)
            + np.float32(c.work_weight) * work.astype(np.float32)
            + nb
            + np.float32(c.friend_weight) * (r.friends_met + r.kin_met)
            + np.float32(c.community_weight) * together
            + np.minimum(remote, np.float32(c.remote_cap))
        ).astype(np.float32)


def _weeks_without(weeks: np.ndarray, happened: np.ndarray) -> np.ndarray:
    """Consecutive weeks without something: 0 if it happened this week, else one more."""
    return np.where(happened, 0, np.minimum(weeks + 1, 10_000)).astype(np.int16)
