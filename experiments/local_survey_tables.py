"""Survey mode of ``tsunagari survey``: one sample of the register and its tabulations.

:func:`draw` mails the questionnaires and lets residents answer, :func:`tabulate` gives the
national survey's tabulations with 95% intervals and :func:`response_table` the response by age
group and sex.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.local_survey_options import HOUSEHOLD_CODES


def tabulate(frame, resp: np.ndarray, weighting: str, lang_labels: bool = True) -> pd.DataFrame:
    """The national survey's tabulations of the respondents ``resp`` (indices into the frame)."""
    from experiments.local_survey_design import (
        AGE_JA,
        AGE_LABELS,
        SETTINGS,
        age_index,
        cell_counts,
        estimate,
    )
    from experiments.local_survey_model import ITEM_CODES, ITEMS
    from sim.core.codes import LABELS

    counts = cell_counts(frame.cells) / frame.scale
    y = frame.answers[resp].astype(float)
    cells = frame.cells[resp].astype(np.int64)
    age = age_index(frame.age)
    hh = frame.household_type.astype(int)
    domains = [("all", "all", "全体", "all", np.ones(frame.size, bool))]
    for i, a in enumerate(AGE_LABELS):
        domains.append(("age_group", a, AGE_JA[a], a, age == i))
    for s in (0, 1):
        code = ("male", "female")[s]
        domains.append(
            ("sex", code, LABELS["sex"]["ja"][s], LABELS["sex"]["en"][s], frame.sex == s)
        )
    for k, code in enumerate(HOUSEHOLD_CODES):
        domains.append(
            (
                "household_type",
                code,
                LABELS["household_type"]["ja"][k],
                LABELS["household_type"]["en"][k],
                hh == k,
            )
        )
    rows = []
    for dim, code, ja, en, mask in domains:
        est = estimate(y, cells, mask[resp], cell_counts(frame.cells) / frame.scale, weighting)
        register = (
            frame.answers[mask].mean(axis=0) if mask.any() else np.full(len(ITEM_CODES), np.nan)
        )
        for j, item in enumerate(ITEM_CODES):
            rows.append(
                {
                    "item": item,
                    "item_ja": ITEMS[item][0],
                    "item_en": ITEMS[item][1],
                    "dimension": dim,
                    "group": code,
                    "group_ja": ja,
                    "group_en": en,
                    "respondents": est.respondents,
                    "share_pct": 100 * est.share[j],
                    "se_pct": 100 * est.se[j],
                    "ci_low_pct": 100 * est.low[j],
                    "ci_high_pct": 100 * est.high[j],
                    "deff": est.deff[j],
                    "register_pct": 100 * register[j],
                    "register_n": int(mask.sum() / frame.scale),
                    "few": est.respondents < SETTINGS.few_respondents,
                }
            )
    del counts
    out = pd.DataFrame(rows)
    out.attrs["decimals"] = {
        c: 2 for c in ("share_pct", "se_pct", "ci_low_pct", "ci_high_pct", "register_pct")
    } | {"deff": 3}
    return out


def response_table(frame, sampled: np.ndarray, resp: np.ndarray, rates: np.ndarray) -> pd.DataFrame:
    """Register, questionnaires, respondents and response rate by age group and sex."""
    from experiments.local_survey_design import AGE_LABELS, N_CELLS

    reg = np.bincount(frame.cells, minlength=N_CELLS)
    smp = np.bincount(frame.cells[sampled], minlength=N_CELLS)
    rsp = np.bincount(frame.cells[resp], minlength=N_CELLS)
    rows = []
    for h in range(N_CELLS):
        rows.append(
            {
                "age_group": AGE_LABELS[h // 2],
                "sex": ("male", "female")[h % 2],
                "register": round(reg[h] / frame.scale),
                "questionnaires": int(smp[h]),
                "respondents": int(rsp[h]),
                "response_pct": 100 * rsp[h] / smp[h] if smp[h] else np.nan,
                "declared_response_pct": 100 * rates[h],
            }
        )
    rows.append(
        {
            "age_group": "all",
            "sex": "all",
            "register": round(reg.sum() / frame.scale),
            "questionnaires": int(smp.sum()),
            "respondents": int(rsp.sum()),
            "response_pct": 100 * rsp.sum() / max(smp.sum(), 1),
            "declared_response_pct": 100 * float((rates * reg).sum() / max(reg.sum(), 1)),
        }
    )
    out = pd.DataFrame(rows)
    out.attrs["decimals"] = {"response_pct": 1, "declared_response_pct": 1}
    return out


def draw(frame, n: int, sampling: str, response: str, seed: int, rep: int = 0):
    """Questionnaires and respondents of one survey of the frame (indices), and the rates."""
    from experiments.local_survey_design import draw_sample, respond, response_rates
    from sim.core.rng import Streams

    cells = frame.cells.astype(np.int64)
    rates = response_rates(response, cells)
    streams = Streams(seed)
    sampled = draw_sample(cells, n, sampling, streams.get("local_survey_sample", rep))
    resp = respond(cells, sampled, rates, streams.get("local_survey_response", rep))
    return sampled, resp, rates
