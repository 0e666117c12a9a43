"""Commuting between municipalities (gravity model) is what work and school ties are built on.

Tottori at 5% of residents: the simulated share of workers whose workplace is outside their home
municipality is near the declared 40.2% (2015 census), and municipalities whose day/night
population ratio is above 100 gain workers (more workplaces' members than employed residents).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from sim.codes import Activity
from sim.commuting import commuting_flows
from sim.config import compose_config, load_configured_region
from sim.model import LonelinessModel


@cache
def _model() -> LonelinessModel:
    cfg = compose_config(["region=tottori", "population.scale=0.05", "years=1", "seed=3"])
    return LonelinessModel(cfg)


def _workers(m):
    g = m.groups
    worker = (m.pop.activity == Activity.EMPLOYED) & (g.of_resident >= 0)
    home = m.pop.municipality[worker].astype(np.int64)
    work = g.municipality[g.of_resident[worker]].astype(np.int64)
    return home, work


def test_simulated_share_commuting_outside_home_is_near_the_declared_40_percent():
    m = _model()
    home, work = _workers(m)
    share = float((home != work).mean())
    declared = m.params_layers.outside_commute_share
    assert abs(share - declared) < 0.03, share  # sampling noise at ~10,000 workers is < 0.01


def test_work_groups_sit_in_their_destination_municipality():
    m = _model()
    # ties at work link residents of different municipalities
    mixed = 0
    g = m.groups
    for k in np.flatnonzero(~g.is_school)[:2000]:
        members = g.members[g.start[k] : g.start[k] + g.size()[k]]
        mixed += np.unique(m.pop.municipality[members]).size > 1
    assert mixed > 100


def test_day_night_ratio_above_100_gains_workers():
    m = _model()
    home, work = _workers(m)
    mun = m.region.municipalities
    n = len(mun)
    net = np.bincount(work, minlength=n) - np.bincount(home, minlength=n)
    ratio = mun["day_night_ratio"].to_numpy(float)
    flows = commuting_flows(load_configured_region(m.cfg), 0.402, 15.0)
    expected_net = flows.sum(axis=0) - flows.sum(axis=1)
    big = mun["pop_total"].to_numpy() > 20000
    for i in np.flatnonzero(np.isfinite(ratio)):
        # the gravity model: exactly the sign of (ratio - 100) for every municipality with a ratio
        assert np.sign(expected_net[i]) == np.sign(ratio[i] - 100), mun["name"][i]
        if big[i]:  # simulated workers: large enough to beat sampling noise
            assert np.sign(net[i]) == np.sign(ratio[i] - 100), (mun["name"][i], net[i])
    # 鳥取市, 米子市 and 倉吉市 (ratios 103-112) draw workers from the towns
    gain = {mun["name"][i]: int(net[i]) for i in range(n)}
    assert gain["倉吉市"] > 0 and gain["米子市"] > 0 and gain["鳥取市"] > 0
