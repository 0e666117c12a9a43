"""Venues keep their expectations at any population scale (sim.policy.venues).

Seats per venue are ``capacity * scale`` stochastically rounded, venues per zone are ``per_zone``
times the school districts the zone stands for, stochastically rounded; statistical checks
assert the mean over many venues within four binomial standard deviations, never one draw.
A venue with 0 seats is never joined: joiners who chose it sit at a venue of the same pool
(lever and municipality) with a seat.
"""

import zlib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.policy.levers import Venue
from sim.policy.venues import (
    build_venues,
    candidate_venue,
    districts_per_zone,
    free_seats,
    seat_joiners,
)


def _model(n_zones: int, n_res: int = 0, n_mun: int = 1, seed: int = 1):
    """A model stand-in: ``n_zones`` zones 10 km apart, residents aged 40 in zone 0."""
    zones = SimpleNamespace(
        n=n_zones, radius_km=np.full(n_zones, 0.5, np.float32),
        x_km=np.arange(n_zones, dtype=np.float32) * 10, y_km=np.zeros(n_zones, np.float32),
        municipality=(np.arange(n_zones) % n_mun).astype(np.int16),
    )  # fmt: skip
    zone = np.zeros(n_res, np.int32)
    pop = SimpleNamespace(n=n_res, age=np.full(n_res, 40), zone=zone, zones=zones,
                          municipality=zones.municipality[zone],
                          digital=np.ones(n_res, bool))  # fmt: skip
    svc = SimpleNamespace(venue=np.full(n_res, -1, np.int32),
                          home_x=np.linspace(-0.5, 0.5, n_res).astype(np.float32),
                          home_y=np.zeros(n_res, np.float32))  # fmt: skip
    streams = SimpleNamespace(
        get=lambda name, step=-1: np.random.default_rng([seed, zlib.crc32(name.encode())])
    )
    return SimpleNamespace(pop=pop, svc=svc, streams=streams)


def _within(values: np.ndarray, expected: float) -> bool:
    """Mean of Bernoulli-rounded values within 4 binomial SDs of ``expected``."""
    frac = expected - np.floor(expected)
    sd = np.sqrt(frac * (1 - frac) / values.size)
    return abs(values.mean() - expected) <= 4 * sd + 1e-12


@pytest.mark.parametrize("capacity,scale", [(20, 0.013), (15, 0.3), (25, 0.03), (30, 0.01)])
def test_seats_are_capacity_times_scale_in_expectation(capacity, scale):
    m = _model(5000)
    lever = Venue(id="v", per_zone=1.0, capacity=capacity)
    v = build_venues(m, [(0, lever, np.ones(5000, bool))], scale)
    expected = capacity * scale
    assert v.n == 5000
    assert set(np.unique(v.capacity)) <= {int(np.floor(expected)), int(np.ceil(expected))}
    assert _within(v.capacity.astype(float), expected), (v.capacity.mean(), expected)
    assert np.allclose(v.places, expected)


def test_whole_seats_are_exact_and_zero_capacity_stays_zero():
    m = _model(100)
    levers = [(0, Venue(id="a", capacity=20), np.ones(100, bool)),
              (1, Venue(id="b", capacity=0), np.ones(100, bool))]  # fmt: skip
    v = build_venues(m, levers, scale=0.05)
    assert (v.capacity[v.lever == 0] == 1).all()  # 20 * 0.05 = 1 exactly, never 0 or 2
    assert (v.capacity[v.lever == 1] == 0).all()


def test_venues_per_zone_follow_the_districts_each_zone_stands_for():
    m = _model(5000)
    lever = Venue(id="v", per_zone=0.5, capacity=20)
    v = build_venues(m, [(0, lever, np.ones(5000, bool))], 0.1, districts=np.full(5000, 1.5))
    per_zone = np.bincount(v.zone, minlength=5000)
    assert set(np.unique(per_zone)) <= {0, 1}
    assert _within(per_zone.astype(float), 0.75), per_zone.mean()


def test_districts_per_zone_counts_full_scale_zones_over_simulated_ones():
    mun = pd.DataFrame({"pop_total": [100_000, 3_000], "elementary_schools": [10, 2]})
    zones = SimpleNamespace(municipality=np.array([0, 0, 0, 0, 1], np.int16))
    population = SimpleNamespace(min_zone_residents=30)
    m = SimpleNamespace(region=SimpleNamespace(municipalities=mun),
                        pop=SimpleNamespace(zones=zones),
                        cfg=SimpleNamespace(population=population))  # fmt: skip
    assert districts_per_zone(m).tolist() == [2.5, 2.5, 2.5, 2.5, 2.0]


def test_zero_seat_venues_are_never_joined():
    # 200 venues of 20 places at 2% scale: 0.4 seats each, so most have none; 1,000 residents
    # want to join week after week until the pool's seats are all taken
    m = _model(1, n_res=1000)
    lever = Venue(id="v", per_zone=200.0, capacity=20)
    v = build_venues(m, [(0, lever, np.ones(1, bool))], 0.02)
    assert (v.capacity == 0).any() and (v.capacity == 1).any()
    rng = np.random.default_rng(3)
    for _ in range(30):
        who = np.flatnonzero(m.svc.venue < 0)
        best, _ = candidate_venue(m, v, np.ones(v.n, bool), who)
        members = np.bincount(m.svc.venue[m.svc.venue >= 0], minlength=v.n)
        order, seat = seat_joiners(v, members, best[best >= 0], rng.random(int((best >= 0).sum())))
        m.svc.venue[who[best >= 0][order][seat >= 0]] = seat[seat >= 0]
    members = np.bincount(m.svc.venue[m.svc.venue >= 0], minlength=v.n)
    assert members[v.capacity == 0].sum() == 0
    assert (members <= v.capacity).all()
    assert members.sum() == v.capacity.sum()  # every seat taken, demand being far larger
    assert free_seats(v, members).tolist() == [0]
    no_room = candidate_venue(m, v, np.ones(v.n, bool), np.flatnonzero(m.svc.venue < 0))[0]
    assert (no_room == -1).all()


def test_a_venue_lever_of_capacity_zero_is_never_chosen():
    m = _model(1, n_res=50)
    v = build_venues(m, [(0, Venue(id="v", per_zone=5.0, capacity=0), np.ones(1, bool))], 0.3)
    best, dist = candidate_venue(m, v, np.ones(v.n, bool), np.arange(50))
    assert (best == -1).all() and np.isinf(dist).all()


def test_joiners_of_a_seatless_venue_sit_at_the_next_venue_of_its_pool():
    m = _model(1)
    v = build_venues(m, [(0, Venue(id="v", per_zone=4.0, capacity=10), np.ones(1, bool))], 0.05)
    v.capacity[:] = [0, 1, 1, 0]  # 0.5 places each; two seats in the pool
    members = np.zeros(4, np.int64)
    order, seat = seat_joiners(v, members, np.array([0, 0, 0, 3]), np.array([0.3, 0.1, 0.2, 0.5]))
    # one joiner per real venue (ceil(0.5 - 0) = 1), the first in random order: u=0.1 at venue 0
    assert order.tolist() == [1, 2, 0, 3]
    assert seat.tolist() == [1, -1, -1, 2]


def test_at_full_scale_every_joiner_sits_where_it_chose():
    m = _model(2)
    v = build_venues(m, [(0, Venue(id="v", per_zone=2.0, capacity=3), np.ones(2, bool))], 1.0)
    members = np.array([1, 0, 0, 0])
    chosen = np.array([0, 0, 0, 0, 2, 2])
    order, seat = seat_joiners(v, members, chosen, np.linspace(0, 1, 6))
    assert ((seat == chosen[order]) | (seat == -1)).all()
    assert (seat == 0).sum() == 2 and (seat == 2).sum() == 2  # places left: 3 - 1 and 3
