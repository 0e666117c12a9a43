"""The simulated survey: residents answer the way the national survey measures them.

The national survey (人々のつながりに関する基礎調査) asks residents aged 16+ in December; the
model asks the same questions every month (calibration reads the December answers). A
resident's answer is their latent loneliness plus a response error, cut at four thresholds into
the five answers of the direct question. The UCLA 3-item score (Japanese 4-point version, 3-12)
sums three items, each the latent level plus its own item error cut at three thresholds.
Prevalence is therefore measured, not read off the latent state.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from sim.core.params import param

SURVEY_MIN_AGE = 16


@dataclass
class SurveyParams:
    """Declared parameters of the measurement model."""

    thresholds: list[float] = param(
        [-1.05, 0.05, 0.6, 1.5],
        unit="latent",
        low=-3.0,
        high=4.0,
        uncertain=True,
        source="pre-calibration: normal quantiles of the 2023 survey's five answers; "
        "refitted by calibration",
        doc="cut points between never | hardly ever | occasionally | sometimes | often/always",
    )
    response_sd: float = param(
        0.3,
        unit="latent",
        low=0.0,
        high=1.0,
        source="assumption: test-retest error",
        doc="response error of the direct question",
    )
    ucla_cuts: list[float] = param(
        [-0.5, 0.55, 1.65],
        unit="latent",
        low=-3.0,
        high=4.0,
        source="pre-calibration: UCLA-3 10-12 band 7.1% in 2022 (令和5年版厚生労働白書)",
        doc="cut points of each UCLA item (hardly ever | some of the time | often | always)",
    )
    ucla_item_sd: float = param(
        0.5,
        unit="latent",
        low=0.0,
        high=1.5,
        source="assumption: item-level error",
    )
    isolation_weeks: int = param(
        26,
        unit="weeks",
        low=4,
        high=104,
        source="基礎調査: 'never meets family or friends living apart in person' read as no "
        "in-person meeting with any friend or relative living apart for half a year",
        doc="weeks without meeting any tie outside the household that count as no contact",
    )
    chronic_weeks: int = param(
        26,
        unit="weeks",
        low=4,
        high=104,
        source="MODEL.md: chronic loneliness is 6 months or more",
    )


def direct_question(
    latent: np.ndarray, params: SurveyParams, rng: np.random.Generator
) -> np.ndarray:
    """Answers to the direct question as :class:`sim.core.codes.Category` codes (0-4).

    One normal draw per resident, always for the whole population, so answers stay paired.
    """
    noise = rng.standard_normal(latent.size, dtype=np.float32) * np.float32(params.response_sd)
    return np.searchsorted(np.asarray(params.thresholds, np.float32), latent + noise).astype(
        np.int8
    )


def ucla3(latent: np.ndarray, params: SurveyParams, rng: np.random.Generator) -> np.ndarray:
    """UCLA 3-item score (3-12): three items on a 1-4 scale."""
    noise = rng.standard_normal((3, latent.size), dtype=np.float32) * np.float32(
        params.ucla_item_sd
    )
    cuts = np.asarray(params.ucla_cuts, np.float32)
    items = np.searchsorted(cuts, latent[None, :] + noise) + 1
    return items.sum(axis=0).astype(np.int8)


def check_thresholds(values: list[float], key: str) -> None:
    """Raise if cut points are not strictly increasing."""
    from sim.core.params import ConfigError

    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ConfigError(f"{key}: cut points must increase, got {list(values)}")
