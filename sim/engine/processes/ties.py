"""MODEL.md step 3: friendships strengthen, decay and form; every fourth week, compaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from sim.engine.component import Component
from sim.world.layers import age_similar_partner, random_group_member

if TYPE_CHECKING:
    from sim.engine.dynamics import DynamicsParams
    from sim.engine.state import Residents
    from sim.engine.survey import SurveyParams
    from sim.world.friendship import FriendshipNetwork
    from sim.world.layers import Groups, LayerParams
    from sim.world.population import Population


class TiesView(Protocol):
    """What :class:`Ties` reads and writes on the model."""

    params: DynamicsParams
    params_layers: LayerParams
    params_survey: SurveyParams
    pop: Population
    res: Residents
    groups: Groups
    friends: FriendshipNetwork
    met: np.ndarray
    lonely_ends: np.ndarray
    sociability: np.ndarray
    zone_order: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    zone_spread: float
    counts: dict[str, np.ndarray | int]

    def stream(self, name: str) -> np.random.Generator:
        """Generator of the named stream for this step."""
        ...


class CompactTiesView(Protocol):
    """What :class:`CompactTies` reads and writes on the model."""

    params: DynamicsParams
    friends: FriendshipNetwork
    moved: list[tuple[np.ndarray, float]]
    counts: dict[str, np.ndarray | int]


class Ties(Component):
    """Friendships strengthen with contact, decay without it, and form through co-presence.

    Formation is homeostatic: a resident seeks new friends at a rate scaled by their friendship
    deficit, ``max(0, 1 - friends / desired)``, where the desired number is
    ``initial_friends * sociability``; so the network keeps its size while ties turn over.
    Afterwards each resident's close friends and whether they have someone to rely on are
    updated.
    """

    name = "ties"
    reads = ("params.ties", "params_layers", "pop.age", "pop.zone", "res.present", "res.group",
             "res.willing", "res.partner_home", "res.kin", "res.weeks_no_kin", "groups", "met",
             "lonely_ends", "sociability", "zone_order", "zone_spread",
             "params_survey.isolation_weeks")  # fmt: skip
    writes = ("friends", "counts.ties_formed", "res.close_friends", "res.rely_on")

    def init(self, m: TiesView) -> None:
        """Each resident's desired number of friends."""
        self.desired = (np.float32(m.params_layers.initial_friends) * m.sociability).astype(
            np.float32
        )

    def step(self, m: TiesView) -> None:
        """Update strengths, form new ties at work, school and in the zone, then support."""
        r, p, f = m.res, m.params.ties, m.friends
        f.update_strength(m.met, m.lonely_ends, p.gain, p.decay, p.lonely_decay_factor)
        rng = m.stream(self.name)
        u = rng.random((2, r.n), dtype=np.float32)
        deficit = np.maximum(np.float32(0), 1 - f.degree / np.maximum(self.desired, 1e-6))
        in_group = np.flatnonzero((u[0] < p.form_group * deficit) & r.present & (r.group >= 0))
        partner_g = random_group_member(in_group, m.groups, rng)
        partner_g = np.where(r.group[partner_g] == r.group[in_group], partner_g, -1)
        zoners = np.flatnonzero((u[1] < p.form_zone * deficit) & r.present & (m.pop.age >= 16))
        order, pos, start, counts = m.zone_order
        partner_z = age_similar_partner(
            zoners, m.pop.zone, order, pos, start, counts, m.zone_spread, rng
        )
        src = np.concatenate([in_group, zoners]).astype(np.int32)
        dst = np.concatenate([partner_g, partner_z]).astype(np.int32)
        ok = dst >= 0
        src, dst = src[ok], dst[ok]
        gap = np.abs(m.pop.age[src].astype(np.float32) - m.pop.age[dst])
        accept = np.exp(-gap / np.float32(m.params_layers.age_homophily_years)) * r.willing[dst]
        room = (f.degree[src] < p.max_friends) & (f.degree[dst] < p.max_friends)
        keep = room & (rng.random(src.size, dtype=np.float32) < accept)
        m.counts["ties_formed"] += f.add(src[keep], dst[keep], p.new_strength)
        r.close_friends = f.per_resident(f.strength >= np.float32(p.close_strength)).astype(
            np.int16
        )
        kin_in_touch = (r.kin > 0) & (r.weeks_no_kin < m.params_survey.isolation_weeks)
        r.rely_on = r.partner_home | (r.close_friends > 0) | kin_in_touch


class CompactTies(Component):
    """Housekeeping of the friendship network: movers' and retirees' ties weaken, weak ties go.

    Runs every fourth week (its cadence is in the plan): the ties of residents who moved or
    retired since the last compaction are weakened once (each by its own share), then ties
    below the floor are removed and the edge arrays are compacted.
    """

    name = "compact_ties"
    reads = ("params.ties.floor", "moved")
    writes = ("friends", "moved", "counts.ties_lost")

    def step(self, m: CompactTiesView) -> None:
        """Weaken the movers' ties, drop ties below the floor."""
        f = m.friends
        for residents, kept in m.moved:
            f.weaken(residents, kept)
        m.moved.clear()
        m.counts["ties_lost"] += f.compact(m.params.ties.floor)
