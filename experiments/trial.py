"""Virtual randomised trials of one lever type inside the model (``tsunagari trial``).

A trial recruits lonely residents the way loneliness trials do (the survey's direct question
answered "sometimes" or more, ages as in the trials behind the evidence), randomises about 1,000
of them to the intervention and the rest to control, delivers the lever's support episode, venue
membership, role or visits to the intervention arm only, and measures both arms on the UCLA-3
score at randomisation, at the end of the intervention and at 6 months. The standardised mean
difference (SMD) is the difference of the arms' mean change from baseline divided by the pooled
SD of the recruited sample at baseline, as trials report it; it is compared with the
meta-analytic SMD and its CI in ``sim/data/intervention_evidence.csv``.

Everything runs in one world on common random numbers: the same seed, the same population and
the same weekly draws; the arms differ only in assignment (randomised on the stream
``trial:assign``). Survey answers of the trial use their own streams (``trial:screen``,
``trial:ucla``), so the model's own survey is untouched.

``calibrate=true`` finds the latent shift per SMD of the lever type (``services.latent_per_smd_*``)
by a secant search from burn-ins of ``seeds=`` worlds, so that the trial's SMD at the end of the
intervention equals the declared SMD; the factors found are the declared defaults
(docs/evidence.md).

Modules: :mod:`experiments.trial_design` (help, options, designs, targets, the trial's
scenario), :mod:`experiments.trial_arms` (burn-in, recruitment, delivery, measurement, the
paired effect); this module holds the calibration search and the command (:func:`main`) and
re-exports the names used as ``trial.NAME``.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.trial_arms import Arms as Arms
from experiments.trial_arms import _both as _both
from experiments.trial_arms import balance as balance
from experiments.trial_arms import deliver as deliver
from experiments.trial_arms import follow_up as follow_up
from experiments.trial_arms import paired_effect as paired_effect
from experiments.trial_arms import prepare as prepare
from experiments.trial_arms import recruit as recruit
from experiments.trial_arms import run_trial as run_trial
from experiments.trial_arms import smd as smd
from experiments.trial_arms import ucla as ucla
from experiments.trial_design import DEFAULT_MODEL as DEFAULT_MODEL
from experiments.trial_design import DESIGNS as DESIGNS
from experiments.trial_design import EVIDENCE as EVIDENCE
from experiments.trial_design import HELP as HELP
from experiments.trial_design import OPTIONS as OPTIONS
from experiments.trial_design import SIX_MONTHS as SIX_MONTHS
from experiments.trial_design import Design as Design
from experiments.trial_design import evidence as evidence
from experiments.trial_design import parse as parse
from experiments.trial_design import target as target
from experiments.trial_design import trial_scenario as trial_scenario
from sim.core.params import ConfigError, OutputError


def calibrate(models: list, lever: str, n: int, control: str, tol: float = 0.003, iters: int = 6):
    """Secant search of ``latent_per_smd_<lever>`` from burnt-in models (copies per evaluation).

    Each evaluation is the paired effect (:func:`paired_effect`) at the end of the intervention,
    averaged over ``models`` (one per seed: the effect differs by a few hundredths between
    worlds). The SMD is close to proportional to the factor, so the first step rescales it and
    the secant steps refine it. Returns the rows of the search and the factor whose SMD came
    closest to the declared one (a small effect such as a role's is not smooth in the factor,
    so the last step is not always the best).
    """
    m0 = models[0]
    design = DESIGNS[lever]
    goal = float(getattr(m0.cfg.services, design.smd_key))
    rows = []

    def at(k: float) -> float:
        values = []
        for base in models:
            m = copy.deepcopy(base)
            setattr(m.cfg.services, design.factor, k)
            m.services.p = m.cfg.services
            values.extend(paired_effect(m, design, [design.weeks], n, control))
        value = float(np.mean(values))
        rows.append({"lever": lever, "factor": design.factor, "value": k, "smd_paired": value,
                     "by_seed": " ".join(f"{v:.4f}" for v in values)})  # fmt: skip
        print(f"  {design.factor}={k:.4f}: SMD {value:+.4f} (target {goal:+.4f}; by seed "
              f"{rows[-1]['by_seed']})")  # fmt: skip
        return value

    k0 = float(getattr(m0.cfg.services, design.factor))
    s0 = at(k0)
    k1 = k0 * goal / s0 if s0 < 0 else k0 * 2
    s1 = at(k1)
    for _ in range(iters):
        if abs(s1 - goal) < tol or s1 == s0:
            break
        k0, s0, k1 = k1, s1, k1 + (goal - s1) * (k1 - k0) / (s1 - s0)
        k1 = float(np.clip(k1, 0.01, 5.0))
        s1 = at(k1)
    search = pd.DataFrame(rows)
    best = search.loc[(search["smd_paired"] - goal).abs().idxmin(), "value"]
    return search, float(best)


def _writable(out: Path) -> None:
    """Create the output folder or raise a one-line ``out:`` error."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"out: '{out}' exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"out: cannot write to '{out}': {exc.strerror or exc}") from None


def main(overrides: list[str]) -> int:
    """``tsunagari trial LEVER_TYPE [KEY=VALUE...]``: run (or calibrate) and write trial.csv."""
    lever, mine, model_overrides = parse(overrides)
    t0 = time.perf_counter()
    if mine["out"]:  # a bad folder is refused before the burn-in
        _writable(Path(mine["out"]))
    m, design = prepare(lever, model_overrides)
    out = Path(mine["out"] or f"outputs/trial-{lever}-seed{m.cfg.seed}")
    n, control = int(mine["n"]), mine["control"]
    _writable(out)
    print(f"trial {lever}: burn-in done in {time.perf_counter() - t0:.0f} s ({m.pop.n} residents)")
    search = None
    if mine["calibrate"] == "true":
        models = [m]
        for extra in range(1, int(mine["seeds"])):
            more, _ = prepare(lever, [*model_overrides, f"seed={m.cfg.seed + extra}"])
            models.append(more)
        search, k = calibrate(models, lever, n, control)
        del models[1:]
        setattr(m.cfg.services, design.factor, k)
        m.services.p = m.cfg.services
        print(f"  calibrated: services.{design.factor}={k:.4f}")
    paired = paired_effect(m, design, [design.weeks, SIX_MONTHS], n, control)
    results, arms, table = run_trial(m, design, n, control)
    goal, lo, hi = target(lever, m)
    rows = [
        {
            "lever": lever,
            "followup_weeks": w,
            "smd_model": round(value, 4),
            "smd_target": goal,
            "ci_low": lo,
            "ci_high": hi,
            "model_ci_low": round(value - 1.96 * se, 4),
            "model_ci_high": round(value + 1.96 * se, 4),
            "smd_paired": round(p, 4),
            "n_intervention": arms.intervention.size,
            "n_control": arms.control.size,
            "n_eligible": arms.eligible,
            "inside_target_ci": bool(lo <= value <= hi),
        }
        for (w, value, se), p in zip(results, paired, strict=True)
    ]
    frame = pd.DataFrame(rows)
    try:
        frame.to_csv(out / "trial.csv", index=False)
        table.to_csv(out / "balance.csv", index=False)
        if search is not None:
            search.to_csv(out / "calibration.csv", index=False)
    except OSError as exc:
        raise OutputError(f"cannot write '{exc.filename or out}': {exc.strerror or exc}") from None
    print(frame.to_string(index=False))
    print(f"output: {out}/trial.csv ({time.perf_counter() - t0:.0f} s)")
    return 0
