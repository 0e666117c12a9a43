"""Per-resident service state: where each resident is in the service pipeline.

The pipeline is one path: noticed -> referred (``REFERRED``) -> waiting (``WAITING``) -> served
(``SERVED``), or dropped back to ``NONE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

NONE, REFERRED, WAITING, SERVED = 0, 1, 2, 3


@dataclass
class ServiceState:
    """Per-resident service arrays."""

    home_x: np.ndarray
    home_y: np.ndarray
    venue: np.ndarray  # int32, -1 none
    role: np.ndarray  # bool
    stage: np.ndarray  # int8: NONE, REFERRED, WAITING, SERVED
    stage_weeks: np.ndarray  # int16
    channel: np.ndarray  # int8 index into CHANNELS
    case_lever: np.ndarray  # int16, consultation lever serving the current case (-1 none)
    served_in: np.ndarray  # int16, municipality whose service serves the current case (-1 none)
    support: np.ndarray  # float32, latent target shift while supported
    aware: np.ndarray  # int8: 0 no, 1 baseline, 2 from a campaign
    visited: np.ndarray  # bool, this week
    attended: np.ndarray  # bool, this week


def initial_service_state(m: Any) -> ServiceState:
    """Homes inside zones, baseline awareness, and empty service states."""
    n, zones = m.pop.n, m.pop.zones
    u = m.streams.get("homes").random((3, n), dtype=np.float32)
    r = zones.radius_km[m.pop.zone] * np.sqrt(u[0])
    a = u[1] * np.float32(2 * np.pi)
    aware = (u[2] < m.cfg.services.aware_share).astype(np.int8)
    return ServiceState(
        home_x=(zones.x_km[m.pop.zone] + r * np.cos(a)).astype(np.float32),
        home_y=(zones.y_km[m.pop.zone] + r * np.sin(a)).astype(np.float32),
        venue=np.full(n, -1, np.int32), role=np.zeros(n, bool),
        stage=np.zeros(n, np.int8), stage_weeks=np.zeros(n, np.int16),
        channel=np.zeros(n, np.int8), case_lever=np.full(n, -1, np.int16),
        served_in=np.full(n, -1, np.int16),
        support=np.zeros(n, np.float32),
        aware=aware, visited=np.zeros(n, bool), attended=np.zeros(n, bool),
    )  # fmt: skip
