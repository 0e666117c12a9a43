"""One virtual trial in a burnt-in model: recruit, randomise, deliver, follow up, measure.

Split from :mod:`experiments.trial`: the burn-in (:func:`prepare`), the arms
(:func:`recruit`, :func:`deliver`), the UCLA-3 measurements and the SMD (:func:`ucla`,
:func:`smd`, :func:`follow_up`, :func:`balance`), the randomised trial (:func:`run_trial`) and
the paired effect on common random numbers (:func:`paired_effect`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.trial_design import DEFAULT_MODEL, DESIGNS, SIX_MONTHS, Design, trial_scenario
from sim.core.params import ConfigError


@dataclass
class Arms:
    """The recruited residents and their assignment."""

    intervention: np.ndarray
    control: np.ndarray
    eligible: int


def recruit(m, design: Design, n: int, control: str) -> Arms:
    """Screen and randomise at the start of the horizon (week 0).

    Eligible: ages of the design, the direct question answered "sometimes" or more on the
    screening survey, no open support episode or queue, and (venue and role trials) no venue
    membership yet.
    """
    from sim.core.codes import Category
    from sim.engine.survey import direct_question

    answer = direct_question(m.res.latent, m.cfg.survey, m.streams.get("trial:screen"))
    age = m.pop.age
    ok = (age >= design.min_age) & (age <= design.max_age) & (answer >= Category.SOMETIMES)
    ok &= m.svc.stage == 0
    if design.kind in ("venue", "role"):
        ok &= m.svc.venue < 0
    eligible = np.flatnonzero(ok)
    if eligible.size < 20:
        raise ConfigError(
            f"population.scale: only {eligible.size} eligible residents; use a larger scale"
        )
    order = m.streams.get("trial:assign").permutation(eligible)
    k = min(n, eligible.size // 2)
    rest = order[k:] if control == "rest" else order[k : 2 * k]
    return Arms(np.sort(order[:k]), np.sort(rest), int(eligible.size))


def deliver(m, design: Design, arms: Arms) -> None:
    """Give the intervention arm its episode, membership or role (the control arm nothing).

    In a role trial both arms join a salon; only the intervention arm gets a role.
    """
    sv = m.services
    if design.kind == "episode":
        sv.deliver_episodes(m, arms.intervention, design.remote, design.weeks)
        return
    if design.kind == "visits":
        sv.deliver_visits(m, arms.intervention, design.weeks)
        return
    from sim.policy.venues import candidate_venue

    sv.rt.update(m.week)  # the salon opens this week: make it open for joining now
    who = arms.intervention if design.kind == "venue" else np.union1d(*_both(arms))
    v = sv.venues
    best, _ = candidate_venue(m, v, sv.rt.active[v.lever], who)
    sv._join(m, who[best >= 0], best[best >= 0], m.streams.get("trial:join"))
    if design.kind == "role":
        member = arms.intervention[m.svc.venue[arms.intervention] >= 0]
        m.svc.role[member] = True


def _both(arms: Arms) -> tuple[np.ndarray, np.ndarray]:
    return arms.intervention, arms.control


def ucla(m, occasion: int) -> np.ndarray:
    """UCLA-3 scores (3-12) of every resident on one trial measurement occasion."""
    from sim.engine.survey import ucla3

    return ucla3(m.res.latent, m.cfg.survey, m.streams.get("trial:ucla", occasion)).astype(
        np.float64
    )


def smd(base: np.ndarray, follow: np.ndarray, arms: Arms) -> tuple[float, float]:
    """SMD of the change from baseline (intervention - control) over the pooled baseline SD.

    Returns:
        (SMD, its standard error).
    """
    i, c = arms.intervention, arms.control
    sd = np.sqrt(
        ((i.size - 1) * base[i].var(ddof=1) + (c.size - 1) * base[c].var(ddof=1))
        / (i.size + c.size - 2)
    )
    di, dc = follow[i] - base[i], follow[c] - base[c]
    diff = di.mean() - dc.mean()
    se = np.sqrt(di.var(ddof=1) / i.size + dc.var(ddof=1) / c.size)
    return float(diff / sd), float(se / sd)


def follow_up(m, design: Design, arms: Arms, base: np.ndarray, weeks: list[int]) -> list[tuple]:
    """Step the model and measure at each follow-up week: (week, SMD, SE)."""
    from sim.engine.model import iter_weeks

    out = []
    start = m.week
    for w in sorted(weeks):
        for _ in iter_weeks(m, until=start + w):
            pass
        out.append((w, *smd(base, ucla(m, w), arms)))
    return out


def balance(m, base: np.ndarray, arms: Arms) -> pd.DataFrame:
    """Baseline means by arm: age, UCLA-3, latent loneliness, living alone, female."""
    from sim.engine.recorder import living_alone

    rows = []
    alone = living_alone(m)
    for arm, who in (("intervention", arms.intervention), ("control", arms.control)):
        rows.append(
            {
                "arm": arm,
                "n": who.size,
                "age": m.pop.age[who].mean(),
                "ucla3": base[who].mean(),
                "ucla3_sd": base[who].std(ddof=1),
                "latent": float(m.res.latent[who].mean()),
                "living_alone": alone[who].mean(),
                "sex_code_mean": m.pop.sex[who].mean(),
            }
        )
    return pd.DataFrame(rows)


def prepare(lever: str, model_overrides: list[str]):
    """Compose the configuration, build the model and run its burn-in.

    Returns:
        (model at week 0, design).
    """
    from sim.config import compose_config
    from sim.config.checks import load_configured_region
    from sim.engine.model import LonelinessModel, iter_weeks

    cfg = compose_config([*DEFAULT_MODEL, *model_overrides])
    design = DESIGNS[lever]
    if cfg.years * 52 < SIX_MONTHS + 1:
        raise ConfigError("years: a trial needs at least 1 year of horizon (6-month follow-up)")
    region = load_configured_region(cfg)
    m = LonelinessModel(cfg, region, trial_scenario(cfg, design))
    for _ in iter_weeks(m, until=0):
        pass
    return m, design


def run_trial(m, design: Design, n: int, control: str) -> tuple[list[tuple], Arms, pd.DataFrame]:
    """Recruit, randomise, deliver and follow up a model standing at week 0 (changes it)."""
    arms = recruit(m, design, n, control)
    base = ucla(m, 0)
    table = balance(m, base, arms)
    deliver(m, design, arms)
    return follow_up(m, design, arms, base, [design.weeks, SIX_MONTHS]), arms, table


def paired_effect(m0, design: Design, weeks: list[int], n: int, control: str) -> list[float]:
    """The intervention arm's effect against its own counterfactual, as an SMD per follow-up.

    Two copies of the model at week 0 run the same weeks on the same draws (common random
    numbers); only one delivers the intervention. The mean difference of the intervention arm's
    UCLA-3 scores between the copies, over the pooled baseline SD of the recruited sample, is
    the SMD a trial estimates, without the sampling noise of comparing two different groups.
    """
    values = []
    scores = {}
    for treated in (False, True):
        m = copy.deepcopy(m0)
        arms = recruit(m, design, n, control)
        base = ucla(m, 0)
        if treated:
            deliver(m, design, arms)
        elif design.kind == "role":  # both arms are members in a role trial, no one has a role
            deliver(m, design, arms)
            m.svc.role[arms.intervention] = False
        start = m.week
        from sim.engine.model import iter_weeks

        for w in sorted(weeks):
            for _ in iter_weeks(m, until=start + w):
                pass
            scores[treated, w] = ucla(m, w)
    i, c = arms.intervention, arms.control
    sd = np.sqrt(
        ((i.size - 1) * base[i].var(ddof=1) + (c.size - 1) * base[c].var(ddof=1))
        / (i.size + c.size - 2)
    )
    for w in sorted(weeks):
        values.append(float((scores[True, w][i] - scores[False, w][i]).mean() / sd))
    return values
