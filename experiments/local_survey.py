"""``tsunagari survey`` and ``tsunagari survey-compare``: a municipality's own survey in the model.

``survey`` runs the model for one municipality to the December of a fiscal year, mails ``n``
questionnaires to a simple or stratified random sample of its register (residents 16+), lets each
answer at the response rate of their age and sex, and writes the national survey's tabulations
(by age group, sex and household type) with 95% sampling intervals as CSV, XLSX and a ja/en page.
With ``power=true package=NAME`` it instead estimates how likely a survey of each size is to
detect the package's effect (paired runs on common random numbers; two designs), the size needed
for 80% power, a figure, and the KPI list with the smallest change each can show.

``survey-compare`` places a municipality's tabulated results against the model
(:mod:`experiments.local_survey_compare`). The sampling, response and estimators are in
:mod:`experiments.local_survey_design`, the register and answers in
:mod:`experiments.local_survey_model`, power in :mod:`experiments.local_survey_power` and the
KPI list in :mod:`experiments.local_survey_kpi`. Guide: ``docs/local_survey.md``.

This module holds the help texts and the commands (:func:`main`, :func:`run_survey`,
:func:`compare_main`). The keys, their checks and the configuration are in
:mod:`experiments.local_survey_options`; one sample and its tabulations (:func:`draw`,
:func:`tabulate`, :func:`response_table`) in :mod:`experiments.local_survey_tables`. Both are
re-exported here.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from experiments.local_survey_options import HOUSEHOLD_CODES as HOUSEHOLD_CODES
from experiments.local_survey_options import SURVEY_KEYS as SURVEY_KEYS
from experiments.local_survey_options import _default_out as _default_out
from experiments.local_survey_options import _int as _int
from experiments.local_survey_options import _int_list as _int_list
from experiments.local_survey_options import _place as _place
from experiments.local_survey_options import check_survey_options as check_survey_options
from experiments.local_survey_options import compose as compose
from experiments.local_survey_options import model_overrides as model_overrides
from experiments.local_survey_options import split_options as split_options
from experiments.local_survey_tables import draw as draw
from experiments.local_survey_tables import response_table as response_table
from experiments.local_survey_tables import tabulate as tabulate
from sim.core.params import ConfigError

HELP = """
Plan a municipality's own loneliness survey with the model (guide: docs/local_survey.md).

  tsunagari survey region=tottori municipality=倉吉市 n=2000 year=3 sampling=stratified
  tsunagari survey region=tottori municipality=倉吉市 power=true package=places_first

Keys (default):
  municipality=NAME|CODE   the municipality surveyed (default: the whole region). Only it is
                           simulated, at population.scale=1.0 unless given (one simulated
                           resident per person: the register has its real size)
  n=2000                   questionnaires mailed (residents 16+ of the register)
  year=3                   fiscal year of the horizon surveyed in December (0: the December
                           before the policies start)
  scenario=baseline        the package in force (any run scenario)
  sampling=simple          simple | stratified (age group x sex strata, proportional)
  response=national        national (the national survey's rates by age and sex, ~56%) | low
                           (~42%) | high (~59%) | full | an overall percent, e.g. 45
  weighting=age_sex        age_sex (cell weights N_h/r_h) | none (unweighted shares)
  seed=42                  model seed; the sample is drawn from the same seed
  out=DIR                  output folder (default outputs/survey-<place>-<scenario>-seed<seed>)
  lang=ja                  ja | en (pages and figures are written in both; console in this one)
Power (power=true):
  package=NAME             the package compared with the baseline (required)
  seeds=4                  paired model runs (common random numbers)
  sizes=[250,...]          questionnaires to try (default 250-16000 and the whole register)
  reps=200                 repeated samples per seed and size
  before=0                 year of the 'before' survey of the before-after design
  workers=2  executor=process|serial|dask
Any other KEY=VALUE is a model override (see tsunagari run --help), e.g. population.scale=0.5.

Writes: tabulation.csv, response.csv, survey.xlsx, survey_ja.md, survey_en.md, survey_ja.png,
survey_en.png (survey mode); power.csv, power_n80.csv, kpi.csv, power.xlsx, power_ja.png,
power_en.png, power_ja.md, power_en.md (power mode); manifest.json.
Cost: one run of a municipality of 50,000 at full scale to December of year 3 takes about 10 s
on a free core (burn-in included); power makes 2 x seeds runs plus about 25 s of sampling (the
defaults took 5 min on 2 cores shared with other jobs).
Guide: docs/local_survey.md (日本語: docs/local_survey_ja.md)
Questionnaire template: docs/questionnaire_ja.md
"""

COMPARE_HELP = """
Place a municipality's own survey results against the model (guide: docs/local_survey.md).

  tsunagari survey-compare my_results.csv region=tottori municipality=倉吉市

The CSV (UTF-8, header line; example: docs/examples/local_survey_results.csv):
  item,group,share_pct,n
  lonely,all,17.5,1012
  any_loneliness,70-79,33.0,210
item: the survey item (dq_often_always, dq_sometimes, dq_occasionally, dq_hardly_ever, dq_never,
  lonely, any_loneliness, ucla3_10_12, ucla3_7_9, ucla3_4_6, ucla3_3, never_meets_in_person,
  never_phones, never_messages, talks_at_most_fortnightly, no_social_activity,
  no_close_friends, has_someone_to_rely_on);
group: all, 16-19, 20-29, ..., 80+, male, female, or a household type (single, couple,
  couple_children, single_parent, other); share_pct: percent answering so (0-100);
n: respondents in the group who answered the item. Optional columns (ignored): year, note.

Keys (default): municipality=NAME|CODE, year=1 (the model's December compared), seeds=4 (model
runs), deff=1.0 (design effect of your estimates, about 1.1 when weighted), scenario=baseline,
out=DIR (default outputs/survey-compare-<municipality>), lang=ja, workers=2,
executor=process|serial|dask; other KEY=VALUE are model overrides.
Writes: compare.csv, compare.xlsx, compare_ja.md, compare_en.md. Each row: the model's share
(mean over seeds), the interval where a survey of that n would land if the model were right
(seed spread + sampling error), and the municipality's own 95% interval.
A bad file gets one line naming the file, row and column.
Guide: docs/local_survey.md
"""


def main(overrides: list[str]) -> int:
    """The ``tsunagari survey`` command."""
    opts, model = split_options(overrides, SURVEY_KEYS)
    checked = check_survey_options(opts)
    cfg, region = compose(model_overrides(opts, model))
    if checked["power"]:
        from experiments.local_survey_power_run import run_power

        return run_power(cfg, region, opts, checked, model_overrides(opts, model))
    return run_survey(cfg, region, opts, checked)


def run_survey(cfg, region, opts: dict, checked: dict) -> int:
    """Survey mode: one run, one sample, the tabulations."""
    from experiments.local_survey_model import check_year, surveyed_frames

    ja = cfg.lang == "ja"
    year = checked["year"]
    week = check_year(cfg, year)
    n_res = int(region.municipalities["pop_total"].sum() * cfg.population.scale)
    if checked["n"] > n_res:  # refused before the run (the exact register is known after it)
        raise ConfigError(
            f"n: {checked['n']} questionnaires but {_place(region, opts)} has about "
            f"{n_res} simulated residents of all ages (population.scale="
            f"{cfg.population.scale})"
        )
    print(
        f"survey: {_place(region, opts)}: 1回の実行（約{n_res:,}人、12月まで）"
        if ja
        else f"survey: {_place(region, opts)}: one run (about {n_res:,} residents) to December"
    )
    t0 = time.perf_counter()
    muni = 0 if opts.get("municipality") else None
    (frame,) = surveyed_frames(cfg, region, [year], muni)
    run_seconds = time.perf_counter() - t0
    if checked["n"] > frame.size:
        raise ConfigError(
            f"n: {checked['n']} questionnaires but the register holds "
            f"{frame.size} residents 16+ (simulated)"
        )
    sampled, resp, rates = draw(frame, checked["n"], opts["sampling"], opts["response"], cfg.seed)
    tab = tabulate(frame, resp, opts["weighting"])
    rtab = response_table(frame, sampled, resp, rates)
    out = Path(opts["out"] or _default_out("survey", cfg, region, opts))
    meta = {
        "command": "survey",
        "place": _place(region, opts),
        "scenario": cfg.scenario,
        "seed": cfg.seed,
        "year": year,
        "survey_week": week,
        "survey_date": frame.date,
        "questionnaires": int(sampled.size),
        "respondents": int(resp.size),
        "register_16plus": round(frame.size / frame.scale),
        "sampling": opts["sampling"],
        "response": opts["response"],
        "weighting": opts["weighting"],
        "population_scale": cfg.population.scale,
        "run_seconds": round(run_seconds, 1),
    }
    from experiments.local_survey_report import write_survey

    paths = write_survey(out, tab, rtab, meta)
    row = tab[(tab["item"] == "lonely") & (tab["group"] == "all")].iloc[0]
    rate = 100 * resp.size / max(sampled.size, 1)
    if ja:
        print(
            f"回答 {resp.size:,} / 配布 {sampled.size:,}（{100 * resp.size / sampled.size:.1f}%）;"
            f" 孤独感（しばしば・常に＋時々） {row.share_pct:.1f}%"
            f" [{row.ci_low_pct:.1f}, {row.ci_high_pct:.1f}]（住民全体 {row.register_pct:.1f}%）"
        )
        print(f"出力: {out}/（{', '.join(p.name for p in paths)}）")
    else:
        print(
            f"respondents {resp.size:,} of {sampled.size:,} ({rate:.1f}%);"
            f" lonely (often/always or sometimes) {row.share_pct:.1f}%"
            f" [{row.ci_low_pct:.1f}, {row.ci_high_pct:.1f}]"
            f" (all residents {row.register_pct:.1f}%)"
        )
        print(f"output: {out}/ ({', '.join(p.name for p in paths)})")
    return 0


def compare_main(overrides: list[str]) -> int:
    """The ``tsunagari survey-compare`` command (the CSV path comes first)."""
    from experiments.local_survey_compare import run_compare

    return run_compare(overrides)


def workers_line(checked: dict) -> int:
    """Workers actually used (never more than the cores)."""
    return max(1, min(checked["workers"], os.cpu_count() or 1))


def write_manifest(out: Path, meta: dict) -> Path:
    """``manifest.json`` with the command's settings and results summary."""
    from sim.core.files import atomic_write_text

    return atomic_write_text(out / "manifest.json", json.dumps(meta, ensure_ascii=False, indent=1))
