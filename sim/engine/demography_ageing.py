"""Ageing for the demography process: birthdays, school, and census-derived rates.

:func:`birthdays` ages the residents whose birthday week it is (school starts at 6 and ends
between 19 and 24; relatives living apart are drawn at 16); :func:`_first_marriage` derives the
first-marriage probability by age from the census never-married shares.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.core.codes import Activity
from sim.engine.processes._shared import poisson_from_uniform


def birthdays(m: Any, demo: Any, rng: np.random.Generator) -> None:
    """Residents whose birthday week it is age one year; school starts and ends."""
    pop, r = m.pop, m.res
    who = np.flatnonzero((demo.birthday == m.week % 52) & (pop.age >= 0))
    if m.week == 0 or who.size == 0:
        return
    pop.age[who] = np.minimum(pop.age[who] + 1, 120)
    age = pop.age[who]
    u = rng.random((2, who.size), dtype=np.float32)
    start = who[(age == 6) & (r.activity[who] == Activity.CHILD)]
    r.activity[start] = Activity.STUDENT
    d = m.params.demography
    study = (r.activity[who] == Activity.STUDENT) & (age >= 19)
    leaving = study & ((u[0] < d.school_leaving) | (age >= 25))
    done = who[leaving]
    hired = done[u[1][leaving] < d.school_leaver_employment]
    r.activity[done] = Activity.UNEMPLOYED
    r.activity[hired] = Activity.EMPLOYED
    r.group[done] = -1
    r.group[hired] = m.new_workplace(hired)
    at16 = age == 16
    sixteen = who[at16]
    c = m.params.contacts
    kin = poisson_from_uniform(u[1][at16], np.float32(c.kin_mean))
    r.kin[sixteen] = kin.astype(np.int8)
    demo.refresh(m, who)


def _smooth(num: np.ndarray, den: np.ndarray, width: int = 2) -> np.ndarray:
    """Share ``num / den`` by single year, pooled over ``± width`` years (small populations)."""
    k = np.ones(2 * width + 1)
    a = np.convolve(num, k, mode="same")
    b = np.convolve(den, k, mode="same")
    return np.where(b > 0, a / np.maximum(b, 1), 0.0)


def _first_marriage(never: np.ndarray, women: np.ndarray) -> np.ndarray:
    """Annual first-marriage probability of never-married women by age, from the census.

    The fall of the never-married share between ages (pooled over five years), read as the
    cohort's first marriages (a synthetic-cohort estimate; 0 outside 18-49).
    """
    share = _smooth(never.astype(float), women.astype(float))
    nxt = np.append(share[1:], share[-1])
    rate = np.where(share > 0, 1 - nxt / np.maximum(share, 1e-9), 0.0)
    ages = np.arange(rate.size)
    return np.clip(np.where((ages >= 18) & (ages < 50), rate, 0.0), 0.0, 0.3)
