"""The options and designs of ``tsunagari trial``: which lever types, who is recruited, targets.

Split from :mod:`experiments.trial`: the command's help and options (:func:`parse`), the design
of each lever type's trial (:data:`DESIGNS`), its target SMD and CI from the evidence table
(:func:`evidence`, :func:`target`) and the scenario a venue or role trial runs in.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from sim.core.params import ConfigError

HELP = """\
Run a randomised trial of one lever type inside the model and write trial.csv.

usage: tsunagari trial LEVER_TYPE [n=1000] [control=rest|equal] [calibrate=false]
                       [seeds=3] [out=DIR] [MODEL OVERRIDES...]

LEVER_TYPE   support (in-person consultation, adults 18+), remote (phone, SNS or AI chat,
             adults 60+), venue (membership of a salon with roles, adults 65+), role (a role
             at a venue against membership without one, adults 16+), visits (a befriending
             visit a week for 12 weeks, adults 65+)
n=N          residents randomised to the intervention (default 1000)
control=     rest (every other eligible resident, default) or equal (N residents)
calibrate=   true: search services.latent_per_smd_<type> so the trial at the end of the
             intervention hits the declared SMD (support, remote, role), averaged over
seeds=N      worlds (seeds seed, seed+1, ...; default 3)
out=DIR      output folder (default outputs/trial-<type>-seed<seed>)
Model overrides as for tsunagari run; defaults region=tottori population.scale=0.1 years=1.

Follow-ups: the end of the intervention and 26 weeks (6 months) after randomisation.
Writes trial.csv (lever, followup_weeks, smd_model, smd_target, ci_low, ci_high; then the
model's 95% interval, smd_paired = the intervention arm against its own counterfactual on the
same draws, arm sizes and whether smd_model lands in the target CI), balance.csv (baseline means
by arm) and, with calibrate=true, calibration.csv (the search). Targets and CIs come from
sim/data/intervention_evidence.csv; docs/evidence.md explains the design and the results.
"""

EVIDENCE = "sim/data/intervention_evidence.csv"
DEFAULT_MODEL = ("region=tottori", "population.scale=0.1", "years=1", "demography=static")
SIX_MONTHS = 26


@dataclass(frozen=True)
class Design:
    """How a trial of one lever type recruits, delivers and is judged.

    Attributes:
        kind: ``episode`` (a support episode), ``venue`` (membership), ``role`` (membership
            in both arms, a role in the intervention arm) or ``visits`` (weekly visits).
        min_age, max_age: recruitment ages (inclusive).
        weeks: length of the intervention (the first follow-up).
        remote: an episode delivered by phone, SNS or AI chat.
        factor: the calibrated ``services`` key, or "" when the effect is emergent.
        smd_key: the ``services`` key of the declared SMD, or "" to use the evidence row.
    """

    kind: str
    min_age: int
    max_age: int
    weeks: int
    remote: bool = False
    factor: str = ""
    smd_key: str = ""


DESIGNS: dict[str, Design] = {
    "support": Design("episode", 18, 120, 12, False, "latent_per_smd_support", "smd_support"),
    "remote": Design("episode", 60, 120, 8, True, "latent_per_smd_remote", "smd_remote"),
    "venue": Design("venue", 65, 120, 12),
    "role": Design("role", 16, 120, 12, False, "latent_per_smd_role", "smd_role"),
    "visits": Design("visits", 65, 120, 12),
}
OPTIONS = {"n": "1000", "control": "rest", "calibrate": "false", "seeds": "3", "out": ""}


def evidence(lever: str) -> pd.Series:
    """The target row of a lever type in the evidence table (SMD, CI, population, source)."""
    import io
    from importlib import resources

    raw = resources.files("sim").joinpath("data", "intervention_evidence.csv").read_bytes()
    table = pd.read_csv(io.BytesIO(raw))
    rows = table[(table["lever_type"] == lever) & (table["role"] == "target")]
    if len(rows) != 1:
        raise ConfigError(f"trial: {EVIDENCE} has {len(rows)} target rows for '{lever}'")
    return rows.iloc[0]


def parse(overrides: list[str]) -> tuple[str, dict[str, str], list[str]]:
    """Split the lever type, the trial's own keys and the model overrides.

    Raises:
        ConfigError: missing or unknown lever type, or a bad trial key.
    """
    if not overrides or "=" in overrides[0]:
        raise ConfigError(f"trial: give the lever type first ({', '.join(DESIGNS)})")
    lever, rest = overrides[0], overrides[1:]
    if lever not in DESIGNS:
        raise ConfigError(f"trial: unknown lever type '{lever}' (choose {', '.join(DESIGNS)})")
    mine, model = dict(OPTIONS), []
    for opt in rest:
        key, sep, value = opt.partition("=")
        if sep and key in mine:
            mine[key] = value.strip()
        else:
            model.append(opt)
    if not mine["n"].isdigit() or not 10 <= int(mine["n"]) <= 1_000_000:
        raise ConfigError(f"n: a whole number of residents from 10, got '{mine['n']}'")
    if mine["control"] not in ("rest", "equal"):
        raise ConfigError(f"control: 'rest' or 'equal', got '{mine['control']}'")
    if not mine["seeds"].isdigit() or not 1 <= int(mine["seeds"]) <= 20:
        raise ConfigError(f"seeds: a whole number from 1 to 20, got '{mine['seeds']}'")
    if mine["calibrate"] not in ("true", "false"):
        raise ConfigError(f"calibrate: 'true' or 'false', got '{mine['calibrate']}'")
    if mine["calibrate"] == "true" and not DESIGNS[lever].factor:
        raise ConfigError(f"calibrate: the {lever} effect is emergent; nothing to calibrate")
    return lever, mine, model


def trial_scenario(cfg, design: Design):
    """The configured scenario, plus an open salon for venue and role trials.

    The salon opens as the horizon starts (one per zone, weekly, seats for any arm; roles for
    40% of joiners in a venue trial as in the ibasho package, none in a role trial, where the
    trial gives them); it costs nothing (a trial is not a package).
    """
    from sim.policy.levers.venue import Venue
    from sim.policy.scenario import load_scenario

    scenario = load_scenario(cfg.scenario)
    if design.kind not in ("venue", "role"):
        return scenario
    salon = Venue(
        id="trial_salon", kind="salon", start=cfg.start_date, per_zone=1.0, capacity=500,
        sessions_per_week=1.0, min_age=16, role_share=0.4 if design.kind == "venue" else 0.0,
        cost_per_session=0.0,
    )  # fmt: skip
    return dataclasses.replace(scenario, levers=[*scenario.levers, salon], origins=[])


def target(lever: str, m) -> tuple[float, float, float]:
    """Target SMD and CI: the declared SMD (role: its prior range) or the evidence row."""
    row = evidence(lever)
    design = DESIGNS[lever]
    if design.smd_key:
        return float(getattr(m.cfg.services, design.smd_key)), float(row.ci_low), float(row.ci_high)
    return float(row.smd), float(row.ci_low), float(row.ci_high)
