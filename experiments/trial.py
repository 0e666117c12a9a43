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
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.params import ConfigError, OutputError

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
DEFAULT_MODEL = ("region=tottori", "population.scale=0.1", "years=1")
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


def target(lever: str, m) -> tuple[float, float, float]:
    """Target SMD and CI: the declared SMD (role: its prior range) or the evidence row."""
    row = evidence(lever)
    design = DESIGNS[lever]
    if design.smd_key:
        return float(getattr(m.cfg.services, design.smd_key)), float(row.ci_low), float(row.ci_high)
    return float(row.smd), float(row.ci_low), float(row.ci_high)


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
