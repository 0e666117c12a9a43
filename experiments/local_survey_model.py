"""The register and the answers: the model's residents of a municipality, surveyed in December.

A run is stepped (:func:`sim.engine.model.iter_weeks`) to the first week of December of the
fiscal year asked for, like calibration does, and every resident aged 16+ of the municipality
answers the national survey's items the way the model measures them (:mod:`sim.engine.survey`):
the direct question (latent loneliness plus response error, cut at the calibrated thresholds),
the UCLA 3-item score and the isolation items of the recorder. The answers use their own random
stream (``local_survey_answers`` at the step of the survey), so a package and its baseline, run on
the same seed, give their residents the same response errors (common random numbers).

:class:`FrameJob` makes such frames for the experiments' evaluators (serial, process pool or
Dask): one task is one (scenario, seed) run, surveyed at one or more Decembers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np

from experiments.backends import Job
from experiments.local_survey_design import cell_of

#: survey items: code -> (Japanese label, English label); all are shares of residents 16+
ITEMS: dict[str, tuple[str, str]] = {
    "dq_often_always": ("孤独感：しばしばある・常にある", "lonely: often or always"),
    "dq_sometimes": ("孤独感：時々ある", "lonely: sometimes"),
    "dq_occasionally": ("孤独感：たまにある", "lonely: occasionally"),
    "dq_hardly_ever": ("孤独感：ほとんどない", "lonely: hardly ever"),
    "dq_never": ("孤独感：決してない", "lonely: never"),
    "lonely": ("孤独感：しばしば・常に＋時々", "lonely: often/always or sometimes"),
    "any_loneliness": ("孤独感がある（たまにある以上）", "any loneliness (occasionally or more)"),
    "ucla3_10_12": ("UCLA 3項目 10〜12点", "UCLA-3 score 10-12"),
    "ucla3_7_9": ("UCLA 3項目 7〜9点", "UCLA-3 score 7-9"),
    "ucla3_4_6": ("UCLA 3項目 4〜6点", "UCLA-3 score 4-6"),
    "ucla3_3": ("UCLA 3項目 3点", "UCLA-3 score 3"),
    "never_meets_in_person": (
        "同居していない家族や友人と直接会って話すことが全くない",
        "never meets family or friends living apart in person",
    ),
    "never_phones": (
        "同居していない家族や友人と電話で話すことが全くない",
        "never talks by phone with family or friends living apart",
    ),
    "never_messages": (
        "同居していない家族や友人とSNS等で連絡をとることが全くない",
        "never exchanges messages with family or friends living apart",
    ),
    "talks_at_most_fortnightly": (
        "人と直接会って話すのが2週間に1回以下",
        "talks with someone in person at most once a fortnight",
    ),
    "no_social_activity": (
        "社会活動に参加していない",
        "takes part in no social activity",
    ),
    "no_close_friends": ("親しい友人がいない", "has no close friend"),
    "has_someone_to_rely_on": ("頼れる人がいる", "has someone to rely on"),
}
ITEM_CODES = tuple(ITEMS)
#: the items a council would follow (see :func:`experiments.local_survey_power.detectable_changes`)
KPI_ITEMS = (
    "lonely",
    "any_loneliness",
    "ucla3_10_12",
    "never_meets_in_person",
    "no_social_activity",
    "has_someone_to_rely_on",
)
ANSWER_STREAM = "local_survey_answers"


@dataclass
class Frame:
    """The register of one municipality at one December, with every resident's answers.

    Attributes:
        age, sex, household_type: per resident aged 16+ of the municipality.
        cells: age group x sex cell (:func:`experiments.local_survey_design.cell_of`).
        answers: (residents, items) bool, columns in the order of :data:`ITEM_CODES`.
        week: the week surveyed (0 = policy start); date: its date.
        scale: ``population.scale`` of the run (1.0: one simulated resident per person).
    """

    age: np.ndarray
    sex: np.ndarray
    household_type: np.ndarray
    cells: np.ndarray
    answers: np.ndarray
    week: int
    date: str
    scale: float

    @property
    def size(self) -> int:
        """Residents 16+ in the register."""
        return int(self.age.size)

    def census(self) -> np.ndarray:
        """Share of each item among all residents 16+ (what a full count would find)."""
        return self.answers.mean(axis=0)


def december_week(start_date: str, year: int) -> int:
    """Week (0 = policy start) of the first December week of fiscal year ``year`` (0 = before).

    Year 1 is the first year of the horizon; year 0 the December before the policies start (in
    the burn-in, a negative week).
    """
    start = dt.date.fromisoformat(start_date)
    for w in range((year - 1) * 52, year * 52 + 6):
        day = start + dt.timedelta(weeks=w)
        if day.month == 12 and day.day <= 7:
            return w
    raise ValueError(f"no December week in year {year} from {start_date}")


def check_year(cfg, year: int, key: str = "year") -> int:
    """The survey week of ``year``, refusing one that falls before the burn-in starts.

    Raises:
        ConfigError: naming ``key``.
    """
    from sim.core.params import ConfigError

    week = december_week(cfg.start_date, year)
    if week < -cfg.burn_in_weeks:
        raise ConfigError(
            f"{key}: December of year {year} is week {week}, before the burn-in of "
            f"{cfg.burn_in_weeks} weeks starts; use burn_in_weeks={-week} or more, or a later year"
        )
    return week


def answers_now(model, keep: np.ndarray) -> np.ndarray:
    """Every item's answer for the residents ``keep`` (bool mask), in the model's state now."""
    r, sp = model.res, model.params_survey
    rng = model.streams.get(ANSWER_STREAM, model.step_index)
    n = model.pop.n
    latent = r.latent.astype(np.float32)
    noise = rng.standard_normal(n, dtype=np.float32) * np.float32(sp.response_sd)
    item_noise = rng.standard_normal((3, n), dtype=np.float32) * np.float32(sp.ucla_item_sd)
    cat = np.searchsorted(np.asarray(sp.thresholds, np.float32), latent + noise)
    items = np.searchsorted(np.asarray(sp.ucla_cuts, np.float32), latent[None, :] + item_noise)
    ucla = (items + 1).sum(axis=0)
    from sim.engine.recorder import talk_weeks

    cols = {
        "dq_often_always": cat == 4,
        "dq_sometimes": cat == 3,
        "dq_occasionally": cat == 2,
        "dq_hardly_ever": cat == 1,
        "dq_never": cat == 0,
        "lonely": cat >= 3,
        "any_loneliness": cat >= 2,
        "ucla3_10_12": ucla >= 10,
        "ucla3_7_9": (ucla >= 7) & (ucla <= 9),
        "ucla3_4_6": (ucla >= 4) & (ucla <= 6),
        "ucla3_3": ucla == 3,
        "never_meets_in_person": r.weeks_no_friend >= sp.isolation_weeks,
        "never_phones": r.weeks_no_call >= sp.isolation_weeks,
        "never_messages": r.weeks_no_message >= sp.isolation_weeks,
        "talks_at_most_fortnightly": talk_weeks(r.talk_history) <= 2,
        "no_social_activity": ~model.socially_active(),
        "no_close_friends": r.close_friends == 0,
        "has_someone_to_rely_on": np.asarray(r.rely_on, bool),
    }
    return np.stack([np.asarray(cols[c], bool)[keep] for c in ITEM_CODES], axis=1)


def frame_now(model, municipality: int | None, week: int) -> Frame:
    """The register and answers of a municipality (``None``: the whole region) at ``week``."""
    pop = model.pop
    keep = pop.age >= 16
    if municipality is not None:
        keep &= pop.municipality == municipality
    date = np.datetime64(model.cfg.start_date, "D") + np.timedelta64(7 * week, "D")
    return Frame(
        age=pop.age[keep].astype(np.int16),
        sex=pop.sex[keep].astype(np.int8),
        household_type=pop.resident_household_type()[keep].astype(np.int8),
        cells=cell_of(pop.age[keep], pop.sex[keep]).astype(np.int16),
        answers=answers_now(model, keep),
        week=int(week),
        date=str(date),
        scale=float(model.cfg.population.scale),
    )


def surveyed_frames(cfg, region, years: list[int], municipality: int | None) -> list[Frame]:
    """Run one configuration and survey it in the December of each year in ``years``."""
    from sim.engine.model import LonelinessModel, iter_weeks

    weeks = [december_week(cfg.start_date, y) for y in years]
    horizon = max(cfg.years, max(years))
    cfg = dataclasses.replace(cfg, years=horizon)
    model = LonelinessModel(cfg, region=region)
    out: dict[int, Frame] = {}
    for w in sorted(set(weeks)):
        for _ in iter_weeks(model, until=w + 1):  # the December week is simulated, then asked
            pass
        out[w] = frame_now(model, municipality, w)
    return [out[w] for w in weeks]


@dataclass
class FrameJob(Job):
    """Surveyed frames for the evaluators: a task is ``(scenario, seed)``.

    Attributes:
        overrides: model overrides (region, scale, calibration...).
        years: the Decembers surveyed in each run.
        municipality: index of the municipality in the region (None: the whole region).
        seconds: about how long one run takes.
    """

    overrides: list[str]
    years: list[int]
    municipality: int | None
    seconds: float = 10.0

    def prepare(self):
        """Compose the configuration and load the region once per worker."""
        from sim.config import compose_config, load_configured_region

        cfg = compose_config(self.overrides, check_region=False)
        return cfg, load_configured_region(cfg)

    def run(self, state, task: tuple[str, int]) -> tuple[str, int, list[Frame]]:
        """One run of ``scenario`` on ``seed``, surveyed in each December asked for."""
        cfg, region = state
        scenario, seed = task
        one = dataclasses.replace(cfg, scenario=scenario, seed=int(seed))
        return scenario, int(seed), surveyed_frames(one, region, self.years, self.municipality)

    def seconds_per_task(self) -> float:
        """Seconds per run (sizes the batches)."""
        return self.seconds
