"""MODEL.md step 2: contacts realised this week, layer by layer; lonely residents withdraw."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
import scipy.sparse as sp

from sim.engine.component import Component
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

    def stream(self, name: str) -> np.random.Generator:
        """Generator of the named stream for this step."""
        ...


class Contacts(Component):
    """Contacts realised this week, layer by layer; lonely residents withdraw."""

    name = "contacts"
    reads = ("params.contacts", "params.ties", "pop.household", "nb_edges", "groups", "friends",
             "res.lonely", "res.limited", "res.group", "res.teleworker", "res.settled",
             "res.community")  # fmt: skip
    writes = ("res.willing", "res.present", "res.friends_met", "res.weeks_no_friend",
              "res.contact", "friends (ties ended)", "met", "lonely_ends",
              "lonely_friends_met")  # fmt: skip

    def init(self, m: ContactsView) -> None:
        """Precompute the household contact, which is fixed because households are fixed."""
        c = m.params.contacts
        size = m.pop.household_size[m.pop.household].astype(np.float32)
        self.household = np.minimum(size - 1, c.household_cap).astype(np.float32) * np.float32(
            c.household_weight
        )
        self.p_end = float(weekly(m.params.ties.turnover))
        n = m.pop.n
        e = m.nb_edges
        w = np.float32(c.neighbour_meet * c.neighbour_weight)
        data = np.full(2 * e.shape[0], w, np.float32)
        rows = np.concatenate([e[:, 0], e[:, 1]])
        cols = np.concatenate([e[:, 1], e[:, 0]])
        self.nb = sp.csr_matrix((data, (rows, cols)), shape=(n, n), dtype=np.float32)

    def step(self, m: ContactsView) -> None:
        """Realise presence, then work, neighbourhood, friend and community contact."""
        r, c = m.res, m.params.contacts
        rng = m.stream(self.name)
        u = rng.random((2, r.n), dtype=np.float32)
        willing = np.float32(c.presence) * (1 - np.float32(c.withdrawal) * r.lonely)
        willing = np.where(r.limited, willing * np.float32(c.mobility_factor), willing)
        r.willing = willing.astype(np.float32)
        r.present = u[0] < r.willing
        at_work = r.present & (r.group >= 0) & ~(r.teleworker & (u[1] < c.telework_absence))
        g = np.where(at_work, r.group, m.groups.n)
        co = np.bincount(g, minlength=m.groups.n + 1)
        work = np.minimum(co[g] - 1, c.work_cap) * at_work
        pres = r.present.astype(np.float32)
        nb = self.nb @ pres
        f = m.friends
        u_ties = rng.random(f.n_edges, dtype=np.float32)
        m.met, m.lonely_ends, r.friends_met, m.lonely_friends_met = f.meet(
            r.willing, r.lonely, c.friend_meet, u_ties, self.p_end
        )
        r.weeks_no_friend = np.where(
            r.friends_met > 0, 0, np.minimum(r.weeks_no_friend + 1, 10_000)
        ).astype(np.int16)
        r.contact = (
            self.household
            + np.float32(c.work_weight) * work.astype(np.float32)
            + r.settled * pres * nb
            + np.float32(c.friend_weight) * r.friends_met
            + np.float32(c.community_weight) * (r.community & r.present)
        ).astype(np.float32)
