"""The simulated national survey for calibration: December, residents aged 16+, survey categories.

A calibration evaluation runs the burn-in, steps to the first week of December of the first
horizon year and surveys the residents there, the way 人々のつながりに関する基礎調査 does: each
resident aged 16+ answers the direct question (latent level plus response error, cut at four
thresholds) and the UCLA 3-item scale (three items, each the latent level plus item error, cut at
three cut points). Prevalence is measured, never read off the latent state.

The survey thresholds and UCLA cut points affect only measurement, not the dynamics, so they are
fitted analytically for every parameter set: the four thresholds are the quantiles of the reported
values that reproduce the 'threshold'-role five-category targets exactly, and the UCLA cut points
are shifted by one common offset (spacing kept), found by bisection, so that the share scoring
10-12 matches its target. The response errors come from a dedicated random stream, so they are
identical across parameter sets (common random numbers).
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.core.codes import Activity, Marital, Sex
from sim.engine.recorder import (
    CATEGORY_MEASURES,
    CROSS_GROUPS,
    cross_group_masks,
    living_alone,
    talk_weeks,
)
from sim.engine.survey import SURVEY_MIN_AGE

#: stream used for the calibration survey's response errors (never used by the dynamics)
SURVEY_STREAM = "calibration_survey"
#: the five answers, in the order of :class:`sim.core.codes.Category`
CATEGORIES = CATEGORY_MEASURES
ROLES = ("threshold", "fit", "holdout", "holdout_tottori")
TARGET_COLUMNS = ("target", "year", "measure", "group", "value_pct", "role", "weight", "source")
MEASURES = (
    *CATEGORIES,
    "any_loneliness",
    "lonely_sometimes_plus",
    "ucla3_top",
    "no_in_person_contact",
    "no_social_activity",
    "never_meets_in_person",
    "never_phones",
    "never_messages",
    "talks_at_most_fortnightly",
    "no_close_friends",
    "has_someone_to_rely_on",
)
AGE_GROUP_BOUNDS = {
    "age_16_19": (16, 20),
    "age_20s": (20, 30),
    "age_30s": (30, 40),
    "age_40s": (40, 50),
    "age_50s": (50, 60),
    "age_60s": (60, 70),
    "age_70s": (70, 80),
    "age_80plus": (80, 200),
}
GROUPS = (
    "all",
    *AGE_GROUP_BOUNDS,
    "male",
    "female",
    "single_person_household",
    "single_male",
    "single_female",
    "cohabiting",
    "male_living_alone",
    "female_living_alone",
    "unemployed",
    "married",
    "never_married",
    "has_someone_to_consult",
    "no_one_to_consult",
    *CROSS_GROUPS,
)


def load_targets(path) -> pd.DataFrame:
    """Read and check a targets CSV (columns as in ``calibration/targets.csv``).

    Raises:
        sim.core.params.ConfigError: naming the file and the problem.
    """
    from sim.core.params import ConfigError

    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ConfigError(f"targets: '{path}' is empty") from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ConfigError(f"targets: cannot read '{path}': {exc}") from None
    missing = [c for c in TARGET_COLUMNS if c not in df.columns]
    if missing:
        raise ConfigError(f"targets: '{path}' lacks columns {missing}")
    for col, allowed in (("measure", MEASURES), ("group", GROUPS), ("role", ROLES)):
        bad = sorted(set(df[col]) - set(allowed))
        if bad:
            raise ConfigError(f"targets: '{path}': unknown {col} {bad} (known: {list(allowed)})")
    if df["target"].duplicated().any():
        raise ConfigError(f"targets: '{path}': duplicate target names")
    v = pd.to_numeric(df["value_pct"], errors="coerce")
    if v.isna().any() or (v < 0).any() or (v > 100).any():
        raise ConfigError(f"targets: '{path}': value_pct must be numbers in 0-100")
    if not (df["role"] == "fit").any():
        raise ConfigError(f"targets: '{path}' has no target with role 'fit'")
    df["weight"] = pd.to_numeric(df["weight"], errors="coerce").fillna(1.0)
    return df.reset_index(drop=True)


def december_week(start_date: str) -> int:
    """Week index (0 = start) of the first week of December in the first horizon year."""
    start = dt.date.fromisoformat(start_date)
    for w in range(60):
        day = start + dt.timedelta(weeks=w)
        if day.month == 12 and day.day <= 7:
            return w
    raise ValueError(f"no December week within a year of {start_date}")


def run_to_december(cfg, region, population):
    """Build the model and step it through the first December week; return the model."""
    from sim.engine.model import LonelinessModel, iter_weeks

    model = LonelinessModel(cfg, region=region, population=population)
    for _ in iter_weeks(model, until=december_week(cfg.start_date) + 1):
        pass
    return model


def group_masks(model) -> dict[str, np.ndarray]:
    """Boolean mask over residents for each group of the target vocabulary (16+ only)."""
    pop, res = model.pop, model.res
    adult = pop.age >= SURVEY_MIN_AGE
    # living alone and having someone to rely on change during a run (bereavement, ties)
    alone = living_alone(model)
    male, female = pop.sex == Sex.MALE, pop.sex == Sex.FEMALE
    masks = {
        "all": adult,
        **{g: adult & (pop.age >= lo) & (pop.age < hi) for g, (lo, hi) in AGE_GROUP_BOUNDS.items()},
        "male": adult & male,
        "female": adult & female,
        "single_person_household": adult & alone,
        "single_male": adult & alone & male,
        "single_female": adult & alone & female,
        "male_living_alone": adult & alone & male,
        "female_living_alone": adult & alone & female,
        "cohabiting": adult & ~alone,
        "unemployed": adult & (res.activity == Activity.UNEMPLOYED),
        "married": adult & (res.marital == Marital.MARRIED),
        "never_married": adult & (res.marital == Marital.NEVER),
        "has_someone_to_consult": adult & res.rely_on,
        "no_one_to_consult": adult & ~res.rely_on,
        **dict(zip(CROSS_GROUPS, cross_group_masks(model), strict=True)),
    }
    return masks


@dataclass
class SurveyAnswers:
    """One simulated December survey: answers per resident and the fitted measurement."""

    category: np.ndarray  # int8 0-4 (Category), every resident (only 16+ are counted)
    ucla: np.ndarray  # int8 3-12
    per_measure: dict[str, np.ndarray]  # measure -> bool per resident
    thresholds: list[float]
    ucla_cuts: list[float]


def fit_thresholds(reported: np.ndarray, shares_pct: list[float]) -> list[float]:
    """Four cut points giving the five category shares (never ... often/always, in %) exactly."""
    p = np.asarray(shares_pct, float)
    cum = np.cumsum(p / p.sum())[:-1]
    cuts = np.quantile(reported.astype(np.float64), cum)
    cuts = np.maximum.accumulate(cuts + np.arange(4) * 1e-6)  # strictly increasing
    return [float(c) for c in cuts]


def fit_ucla_offset(
    latent: np.ndarray, noise: np.ndarray, cuts: list[float], target_pct: float
) -> list[float]:
    """Shift all UCLA cut points by one offset so the 10-12 share matches ``target_pct``."""
    base = np.asarray(cuts, np.float64)

    def share(offset: float) -> float:
        items = np.searchsorted(base + offset, latent[None, :] + noise) + 1
        return 100.0 * float((items.sum(axis=0) >= 10).mean())

    lo, hi = -6.0, 6.0  # share falls as the offset rises
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if share(mid) > target_pct:
            lo = mid
        else:
            hi = mid
    return [float(c) for c in base + 0.5 * (lo + hi)]


def survey(model, targets: pd.DataFrame | None = None, *, fit: bool = True) -> SurveyAnswers:
    """Survey the model's residents now, fitting thresholds and UCLA cuts to ``targets``.

    Thresholds are fitted only when the targets hold all five 'threshold'-role categories for
    group 'all'; the UCLA offset only when they hold a 'threshold'-role ``ucla3_top`` for 'all'.
    Otherwise the configured values are used.
    """
    sp = model.params_survey
    adult = model.pop.age >= SURVEY_MIN_AGE
    rng = model.streams.get(SURVEY_STREAM)
    latent = model.res.latent.astype(np.float32)
    noise = rng.standard_normal(latent.size, dtype=np.float32) * np.float32(sp.response_sd)
    item_noise = rng.standard_normal((3, latent.size), dtype=np.float32) * np.float32(
        sp.ucla_item_sd
    )
    reported = latent + noise
    thresholds, cuts = list(sp.thresholds), list(sp.ucla_cuts)
    if fit and targets is not None:
        t = targets[(targets["role"] == "threshold") & (targets["group"] == "all")]
        by = dict(zip(t["measure"], t["value_pct"], strict=True))
        if all(c in by for c in CATEGORIES):
            thresholds = fit_thresholds(reported[adult], [by[c] for c in CATEGORIES])
        if "ucla3_top" in by:
            cuts = fit_ucla_offset(latent[adult], item_noise[:, adult], cuts, by["ucla3_top"])
    cat = np.searchsorted(np.asarray(thresholds, np.float32), reported).astype(np.int8)
    items = np.searchsorted(np.asarray(cuts, np.float32), latent[None, :] + item_noise) + 1
    ucla = items.sum(axis=0).astype(np.int8)
    r, svp = model.res, sp
    per = {c: cat == k for k, c in enumerate(CATEGORIES)}
    per["any_loneliness"] = cat >= 2
    per["lonely_sometimes_plus"] = cat >= 3
    per["ucla3_top"] = ucla >= 10
    per["no_in_person_contact"] = r.weeks_no_friend >= svp.isolation_weeks
    per["no_social_activity"] = ~model.socially_active()
    per["never_meets_in_person"] = per["no_in_person_contact"]
    per["never_phones"] = r.weeks_no_call >= svp.isolation_weeks
    per["never_messages"] = r.weeks_no_message >= svp.isolation_weeks
    per["talks_at_most_fortnightly"] = talk_weeks(r.talk_history) <= 2
    per["no_close_friends"] = r.close_friends == 0
    per["has_someone_to_rely_on"] = r.rely_on.copy()
    return SurveyAnswers(cat, ucla, per, thresholds, cuts)


def measure(model, answers: SurveyAnswers, targets: pd.DataFrame) -> dict[str, float]:
    """Model value (%) of each target: the share answering so in the target's group."""
    masks = group_masks(model)
    out: dict[str, float] = {}
    for row in targets.itertuples():
        m = masks[row.group]
        n = int(m.sum())
        out[row.target] = 100.0 * float(answers.per_measure[row.measure][m].mean()) if n else np.nan
    return out


def group_sizes(model, targets: pd.DataFrame) -> dict[str, int]:
    """Number of surveyed residents behind each target."""
    masks = group_masks(model)
    return {row.target: int(masks[row.group].sum()) for row in targets.itertuples()}


def with_values(cfg, values: dict[str, float]):
    """A copy of ``cfg`` with calibration parameters set (``name`` or ``name[i]`` for lists)."""
    out = copy.deepcopy(cfg)
    for key, value in values.items():
        path, _, index = key.partition("[")
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            node = getattr(node, part)
        if index:
            lst = list(getattr(node, leaf))
            lst[int(index.rstrip("]"))] = float(value)
            setattr(node, leaf, lst)
        else:
            setattr(node, leaf, type(getattr(node, leaf))(value))
    return out


def as_overrides(cfg, values: dict[str, float]) -> dict[str, object]:
    """Calibrated values as whole-key settings (lists written in full) for a YAML set."""
    full = with_values(cfg, values)
    out: dict[str, object] = {}
    for key in values:
        path = key.partition("[")[0]
        node = full
        for part in path.split("."):
            node = getattr(node, part)
        out[path] = [round(float(v), 6) for v in node] if isinstance(node, list) else node
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in out.items()}
