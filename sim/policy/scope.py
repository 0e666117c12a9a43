"""Where levers apply: each lever resolved to masks over municipalities and zones.

:class:`Scope` also keeps the static municipal figures lever hooks read (simulated and real
residents, households, city or town, names, distances).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.core.params import ConfigError
from sim.policy.scenario import Scenario, lever_municipalities


@dataclass
class Scope:
    """The levers of one scenario placed on one region and population.

    Attributes:
        n_mun: number of municipalities.
        scale: simulated share of the population.
        muni_mask: (levers x municipalities) where each lever applies.
        zone_mask: per lever, a mask over zones (inside its municipalities).
        sim_res: simulated residents per municipality.
        real_pop: real residents per municipality.
        households: general households per municipality.
        is_city: whether each municipality is a city (else a town or village).
        names: Japanese names of the municipalities.
        dist_km: (municipalities x municipalities) distance between centres.
    """

    n_mun: int
    scale: float
    muni_mask: np.ndarray
    zone_mask: list[np.ndarray]
    sim_res: np.ndarray
    real_pop: np.ndarray
    households: np.ndarray
    is_city: np.ndarray
    names: np.ndarray
    dist_km: np.ndarray


def municipality_masks(scenario: Scenario, municipalities: Any) -> np.ndarray:
    """(levers x municipalities) mask of where each lever applies.

    Raises:
        ConfigError: naming the lever (counted within its file) and the unknown municipality.
    """
    masks = [
        lever_municipalities(lv, municipalities, scenario.where(i))
        for i, lv in enumerate(scenario.levers)
    ]
    return np.array(masks, bool).reshape(-1, len(municipalities))


def zone_masks(scenario: Scenario, muni_mask: np.ndarray, zone_municipality: np.ndarray) -> list:
    """Per lever, the zones of its municipalities (only its ``zones`` if it lists some).

    Raises:
        ConfigError: naming the lever (counted within its file) and the missing zone.
    """
    out = []
    for i, lv in enumerate(scenario.levers):
        z = muni_mask[i][zone_municipality]
        if lv.zones:
            bad = [q for q in lv.zones if not 0 <= q < z.size]
            if bad:
                raise ConfigError(f"{scenario.where(i)}.zones: no zone {bad[0]}")
            keep = np.zeros(z.size, bool)
            keep[lv.zones] = True
            z &= keep
        out.append(z)
    return out


def build_scope(m: Any, scenario: Scenario) -> Scope:
    """Resolve a scenario's levers on the model's region and population.

    Args:
        m: the model (``region``, ``pop``, ``cfg``).
        scenario: the validated scenario.
    """
    mun = m.region.municipalities
    muni_mask = municipality_masks(scenario, mun)
    xy = mun[["x_km", "y_km"]].to_numpy(float)
    return Scope(
        n_mun=len(mun),
        scale=m.cfg.population.scale,
        muni_mask=muni_mask,
        zone_mask=zone_masks(scenario, muni_mask, m.pop.zones.municipality),
        sim_res=np.bincount(m.pop.municipality, minlength=len(mun)).astype(np.float64),
        real_pop=mun["pop_total"].to_numpy(float),
        households=mun["general_households"].to_numpy(float),
        is_city=(mun["kind"] == "city").to_numpy(),
        names=mun["name"].to_numpy(str),
        dist_km=np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)),
    )
