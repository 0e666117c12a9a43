"""Venues: opened per zone with scaled capacity; the nearest open one with room is chosen.

How capacity and venue counts keep their expectation at any scale: test_venue_scale.py.
"""

from types import SimpleNamespace

import numpy as np

from sim.policy.levers import Venue
from sim.policy.venues import build_venues, candidate_venue


def _model(ages, zone, digital=None, venue=None):
    n = len(ages)
    zones = SimpleNamespace(
        n=2, radius_km=np.zeros(2, np.float32), x_km=np.array([0.0, 10.0], np.float32),
        y_km=np.zeros(2, np.float32), municipality=np.array([0, 1], np.int16),
    )  # fmt: skip
    pop = SimpleNamespace(
        n=n, age=np.asarray(ages), zone=np.asarray(zone), zones=zones,
        municipality=zones.municipality[np.asarray(zone)],
        digital=np.ones(n, bool) if digital is None else np.asarray(digital),
    )  # fmt: skip
    svc = SimpleNamespace(
        venue=np.full(n, -1, np.int32) if venue is None else np.asarray(venue, np.int32),
        home_x=zones.x_km[pop.zone] + np.arange(n, dtype=np.float32) * 0.1,
        home_y=np.zeros(n, np.float32),
    )  # fmt: skip
    streams = SimpleNamespace(get=lambda name, step=-1: np.random.default_rng(1))
    return SimpleNamespace(pop=pop, svc=svc, streams=streams)


def test_build_venues_opens_per_zone_with_scaled_capacity():
    m = _model([70, 70], [0, 1])
    levers = [(0, Venue(id="a", per_zone=2.0, capacity=20, min_age=65), np.array([True, True])),
              (1, Venue(id="b", online=True, capacity=40), np.array([False, True]))]  # fmt: skip
    v = build_venues(m, levers, scale=0.05)
    assert v.n == 5
    assert v.lever.tolist() == [0, 0, 0, 0, 1]
    assert v.municipality.tolist() == [0, 0, 1, 1, 1]
    assert v.capacity.tolist() == [1, 1, 1, 1, 2]  # 20 * 0.05 and 40 * 0.05 seats
    assert np.allclose(v.places, [1, 1, 1, 1, 2])
    assert v.seat_pool.tolist() == [0, 0, 1, 1, 2]  # a lever's venues in one municipality
    assert v.zone.tolist() == [0, 0, 1, 1, -1]  # online venues have no zone
    assert v.min_age.tolist()[:4] == [65] * 4


def test_candidate_venue_nearest_open_with_room_and_matching_age():
    m = _model([70, 70, 30, 70], [0, 0, 0, 1], venue=[-1, -1, -1, -1])
    levers = [(0, Venue(id="a", per_zone=1.0, capacity=40, min_age=65), np.array([True, True]))]
    v = build_venues(m, levers, scale=0.05)
    who = np.arange(4)
    best, dist = candidate_venue(m, v, np.ones(v.n, bool), who)
    assert best.tolist() == [0, 0, -1, 1]  # own zone; the 30-year-old is too young
    assert np.isfinite(dist[[0, 1, 3]]).all() and np.isinf(dist[2])
    closed = candidate_venue(m, v, np.array([False, True]), who)[0]
    assert closed.tolist() == [-1, -1, -1, 1]
    m.svc.venue[:] = [-1, -1, -1, -1]
    m.svc.venue[[1, 2]] = 0  # venue 0 is full (capacity 2)
    full = candidate_venue(m, v, np.ones(v.n, bool), who)[0]
    assert full.tolist() == [-1, -1, -1, 1]


def test_online_venues_need_digital_access_in_their_municipality():
    m = _model([40, 40, 40], [1, 1, 0], digital=[True, False, True])
    levers = [(0, Venue(id="o", online=True, capacity=40), np.array([False, True]))]
    v = build_venues(m, levers, scale=0.1)
    best, dist = candidate_venue(m, v, np.ones(v.n, bool), np.arange(3))
    assert best.tolist() == [0, -1, -1]
    assert dist[0] == 0.0
