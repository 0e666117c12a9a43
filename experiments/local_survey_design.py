"""A municipality's own survey of the model's residents: sample, non-response and estimates.

The sampling frame is the register (住民基本台帳) of the simulated municipality: its residents aged
16+ with age, sex and household type, and each resident's answers to the survey items
(:mod:`experiments.local_survey_model`). A survey mails ``n`` questionnaires:

* ``simple``: a simple random sample without replacement from the whole frame;
* ``stratified``: the frame cut into strata of age group x sex, each sampled without replacement
  in proportion to its size (largest-remainder rounding, so the sizes add up to ``n``).

Each sampled resident answers with the response rate of their age group and sex
(``sim/data/local_survey_response.csv``, derived from the national survey's respondents; see its
source column), scaled when the planner expects a different overall rate (``response=PCT``).

Estimates are weighted by age x sex cell: each respondent stands for ``N_h / r_h`` residents of
their cell (``N_h`` residents in the register, ``r_h`` respondents). For the stratified design
these are the design weights corrected for non-response within strata; for the simple design the
same weights are post-stratification to the register. With ``weighting=none`` every respondent
counts once (what many municipal reports print). Sampling variances are by linearisation within
the cells with the finite population correction, and 95% intervals are Wilson intervals at the
effective number of respondents (``p(1-p)/variance``), so they stay inside 0-100% for small
groups and rare answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

import numpy as np
import pandas as pd

from sim.core.codes import AGE_GROUPS
from sim.core.params import ConfigError, param


@dataclass(frozen=True)
class LocalSurveyParams:
    """Declared settings of the local survey tools (defaults used by the commands)."""

    kpi_deff: float = param(
        1.1,
        unit="-",
        low=1.0,
        high=2.0,
        source="measured: design effects 0.99-1.13 of the direct question and UCLA items for "
        "all respondents in the worked example (stratified, 2,000 questionnaires, 倉吉市; "
        "tabulation.csv of docs/local_survey.md's first command)",
        doc="design effect assumed by the KPI minimum detectable changes",
    )
    few_respondents: int = param(
        30,
        unit="persons",
        low=10,
        high=100,
        source="assumption: usual rule of thumb for reporting a survey share",
        doc="groups with fewer respondents are marked in the tabulations",
    )
    full_weight_n: int = param(
        500,
        unit="persons",
        low=50,
        high=5000,
        source="assumption: a local row from 500 respondents (SE about 2 points at 20%) counts "
        "as much as a national target",
        doc="respondents at which a local calibration target gets weight 1 (weight n / this)",
    )
    local_width: float = param(
        0.25,
        unit="share",
        low=0.05,
        high=1.0,
        source="assumption: local recalibration stays near the national fit",
        doc="width of the narrowed local prior as a share of each national prior range",
    )


SETTINGS = LocalSurveyParams()

#: the survey's age groups (16+), as in the national survey's tables
SURVEY_AGE_GROUPS: tuple[tuple[str, int, int], ...] = tuple(g for g in AGE_GROUPS if g[1] >= 16)
AGE_LABELS = tuple(g for g, _, _ in SURVEY_AGE_GROUPS)
N_CELLS = 2 * len(SURVEY_AGE_GROUPS)  # age group x sex
#: Japanese names of the age groups, as the national survey's tables print them
AGE_JA = {
    "16-19": "16〜19歳",
    **{f"{d}-{d + 9}": f"{d}歳代" for d in range(20, 80, 10)},
    "80+": "80歳以上",
}


def age_aliases() -> dict[str, str]:
    """Ways a results file may name an age group (20-29, 20歳代, 20代, 20〜29歳...) -> code."""
    out = {}
    for code, ja in AGE_JA.items():
        out[code] = out[ja] = code
        if code == "80+":
            out["80+歳"] = out["80代以上"] = code
            continue
        lo, hi = code.split("-")
        for dash in ("-", "〜", "～", "~"):
            out[f"{lo}{dash}{hi}歳"] = code
        out[f"{lo}代"] = code
    return out


Z95 = 1.959963984540054
RESPONSE_FILE = "local_survey_response.csv"


def age_index(age: np.ndarray) -> np.ndarray:
    """Index of each age in :data:`SURVEY_AGE_GROUPS` (ages under 16 get -1)."""
    bounds = np.asarray([lo for _, lo, _ in SURVEY_AGE_GROUPS])
    return np.searchsorted(bounds, np.asarray(age), side="right") - 1


def cell_of(age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    """Age-group x sex cell (0 .. N_CELLS-1) of each resident aged 16+."""
    return age_index(age) * 2 + np.asarray(sex, np.int64)


def load_response(path=None) -> pd.DataFrame:
    """The declared response rates by age group and sex (with their source and range)."""
    path = path or files("sim").joinpath("data", RESPONSE_FILE)
    df = pd.read_csv(path)
    need = {"age_group", "sex", "response_pct", "low_pct", "high_pct", "source"}
    if not need <= set(df.columns):
        raise ConfigError(f"response: '{path}' lacks columns {sorted(need - set(df.columns))}")
    return df


def response_rates(response: str | float, frame_cells: np.ndarray | None = None) -> np.ndarray:
    """Response probability of each age x sex cell.

    Args:
        response: ``national`` (the national survey's pattern, about 56% overall), ``low`` or
            ``high`` (the declared range), ``full`` (everyone answers), or an overall rate in
            percent (the national pattern rescaled so that the frame's expected rate is that).
        frame_cells: the cell of each resident in the frame (needed for a percent).

    Returns:
        Array of :data:`N_CELLS` probabilities.
    """
    if response == "full":
        return np.ones(N_CELLS)
    df = load_response()
    column = {"national": "response_pct", "low": "low_pct", "high": "high_pct"}
    col = column.get(str(response), "response_pct")
    rates = np.zeros(N_CELLS)
    for row in df.itertuples():
        a = AGE_LABELS.index(str(row.age_group))
        rates[a * 2 + int(row.sex)] = float(getattr(row, col)) / 100.0
    if str(response) in column:
        return rates
    try:
        target = float(response) / 100.0
    except (TypeError, ValueError):
        raise ConfigError(
            f"response: expected national, low, high, full or a percent, got '{response}'"
        ) from None
    if not 0.0 < target <= 1.0:
        raise ConfigError(f"response: a percent in (0, 100], got '{response}'")
    if frame_cells is None:
        raise ValueError("a response percent needs the frame's cells")
    counts = np.bincount(frame_cells, minlength=N_CELLS)
    lo, hi = 0.0, 10.0
    for _ in range(60):  # rescale, capped at 1, so the expected overall rate is the target
        mid = 0.5 * (lo + hi)
        expected = (np.minimum(rates * mid, 1.0) * counts).sum() / counts.sum()
        lo, hi = (mid, hi) if expected < target else (lo, mid)
    return np.minimum(rates * 0.5 * (lo + hi), 1.0)


def allocate(counts: np.ndarray, n: int) -> np.ndarray:
    """Proportional allocation of ``n`` over strata of ``counts`` (largest remainder, capped)."""
    counts = np.asarray(counts, np.int64)
    total = counts.sum()
    if n > total:
        raise ConfigError(f"n: {n} questionnaires but the register holds {total} residents 16+")
    exact = counts * n / total
    alloc = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - alloc), kind="stable")
    alloc[order[: n - alloc.sum()]] += 1
    return np.minimum(alloc, counts)


def draw_sample(cells: np.ndarray, n: int, design: str, rng: np.random.Generator) -> np.ndarray:
    """Indices (into the frame) of the ``n`` residents who receive a questionnaire."""
    size = cells.size
    if n > size:
        raise ConfigError(f"n: {n} questionnaires but the register holds {size} residents 16+")
    if design == "simple":
        return np.sort(rng.choice(size, n, replace=False))
    alloc = allocate(np.bincount(cells, minlength=N_CELLS), n)
    order = np.argsort(cells, kind="stable")
    start = np.concatenate([[0], np.cumsum(np.bincount(cells, minlength=N_CELLS))])
    picks = [
        order[start[h] + rng.choice(start[h + 1] - start[h], alloc[h], replace=False)]
        for h in range(N_CELLS)
        if alloc[h]
    ]
    return np.sort(np.concatenate(picks)) if picks else np.zeros(0, np.int64)


def respond(
    cells: np.ndarray, sampled: np.ndarray, rates: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """The sampled residents who answer (a Bernoulli draw at their cell's response rate)."""
    u = rng.random(sampled.size)
    return sampled[u < rates[cells[sampled]]]


@dataclass
class Estimate:
    """Estimated shares of several items in one group, with their sampling error."""

    respondents: int
    share: np.ndarray  # per item, 0-1
    se: np.ndarray
    low: np.ndarray  # 95% Wilson interval at the effective number of respondents
    high: np.ndarray
    deff: np.ndarray  # design effect against simple random sampling of the same respondents


def wilson(p: np.ndarray, n_eff: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a share ``p`` from ``n_eff`` effective observations."""
    p = np.asarray(p, float)
    n = np.maximum(np.asarray(n_eff, float), 1e-9)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def estimate(
    y: np.ndarray,
    cells: np.ndarray,
    domain: np.ndarray,
    frame_counts: np.ndarray,
    weighting: str = "age_sex",
) -> Estimate:
    """Weighted shares of items among the respondents of a domain, with linearised variances.

    Args:
        y: (respondents, items) answers, 0/1.
        cells: age x sex cell of each respondent.
        domain: bool per respondent, membership of the group tabulated.
        frame_counts: residents of each cell in the register (``N_h``).
        weighting: ``age_sex`` (cell weights ``N_h / r_h``) or ``none`` (unweighted).
    """
    y = np.asarray(y, float)
    if y.ndim == 1:
        y = y[:, None]
    r_h = np.bincount(cells, minlength=N_CELLS).astype(float)
    if weighting == "none":
        w = np.full(cells.size, frame_counts.sum() / max(cells.size, 1))
        strata = np.zeros(cells.size, np.int64)
        n_str = np.array([cells.size], float)
        f = np.array([cells.size / max(frame_counts.sum(), 1)])
    else:
        w = frame_counts[cells] / np.maximum(r_h[cells], 1)
        strata = cells
        n_str = r_h
        f = np.divide(r_h, frame_counts, out=np.zeros(N_CELLS), where=frame_counts > 0)
    d = np.asarray(domain, bool)
    r_d = int(d.sum())
    k = y.shape[1]
    if r_d == 0:
        nan = np.full(k, np.nan)
        return Estimate(0, nan, nan, nan, nan, nan)
    wd = w * d
    total = wd.sum()
    p = (wd[:, None] * y).sum(axis=0) / total
    u = wd[:, None] * (y - p[None, :]) / total  # linearised ratio estimator
    var = np.zeros(k)
    for j in range(k):
        s1 = np.bincount(strata, weights=u[:, j], minlength=n_str.size)
        s2 = np.bincount(strata, weights=u[:, j] ** 2, minlength=n_str.size)
        m = n_str > 1
        var[j] = np.sum(
            ((1 - f) * n_str / np.maximum(n_str - 1, 1) * (s2 - s1**2 / np.maximum(n_str, 1)))[m]
        )
    var = np.maximum(var, 0.0)
    se = np.sqrt(var)
    pq = p * (1 - p)
    n_eff = np.where((var > 0) & (pq > 0), pq / np.where(var > 0, var, 1), r_d)
    n_eff = np.minimum(n_eff, 50 * r_d)  # guard against a vanishing variance estimate
    lo, hi = wilson(p, n_eff)
    deff = np.where(pq > 0, var / np.where(pq > 0, pq / max(r_d, 1), 1), np.nan)
    return Estimate(r_d, p, se, lo, hi, deff)


def cell_counts(cells: np.ndarray) -> np.ndarray:
    """Residents of each age x sex cell."""
    return np.bincount(cells, minlength=N_CELLS).astype(float)
