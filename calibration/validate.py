"""Pattern-oriented validation of the calibrated baseline (``tsunagari validate``).

Following pattern-oriented modelling (Grimm et al. 2005), the model must reproduce several
independent patterns at once, at different levels: network structure (lonely residents' degree,
clustering of loneliness at distance 1-3), mechanisms (what switching withdrawal off does, how
isolation and loneliness go together), stationarity of the baseline over ten years, the age, sex
and living-alone gradients, and every survey target of ``calibration/targets.csv`` (fit and
holdout rows marked by their role).

Three runs on the same seed (common random numbers): the baseline to the first December (the
national survey's month) for the survey, network and mechanism patterns; the same with
``dynamics.contacts.withdrawal=0``; and a ten-year baseline for the drift. The survey uses the
configured (calibrated) thresholds: nothing is refitted here. Targets of the patterns, with their
sources, are in ``calibration/patterns.csv``; survey targets get a band of ±max(1 point, 15%)
around the published value.

Demography (issue 17 item 5; :mod:`calibration.validate_demography`): Tottori and Kochi are
projected from the 2020 census with ``demography=dynamic`` and compared with the IPSS projections
(totals as change since 2020 within 3 points, shares within 2 points). Their rows join
``patterns.csv`` (rows without a target keep an empty band and verdict) and get a page of their
own, ``demography.md``. ``check_demography=false`` skips them, ``only=demography`` runs only them
(and leaves ``patterns.csv`` and ``patterns.md`` alone).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.network import network_stats
from calibration.survey import group_masks, load_targets, measure, run_to_december, survey
from sim.core.params import ConfigError

#: default model of the validation: the calibration's base region, at a larger scale
BASE = [
    "region=japan", "population.scale=0.001", "demography=static",
    "layers.commuting_areas=prefecture",
]  # fmt: skip
#: columns of ``patterns.csv`` (the first seven are the contract; ``role`` and ``unit`` follow)
COLUMNS = [
    "pattern",
    "group",
    "model",
    "target_low",
    "target_high",
    "source",
    "pass",
    "role",
    "unit",
]
#: band of a survey target: the larger of this many points and this share of the value
SURVEY_BAND_POINTS, SURVEY_BAND_SHARE = 1.0, 0.15
#: degrees above this are pooled when estimating loneliness per extra friend
MAX_DEGREE = 15


def _here() -> Path:
    return Path(__file__).resolve().parent


def pattern_targets() -> pd.DataFrame:
    """The pattern targets with their sources (``calibration/patterns.csv``)."""
    return pd.read_csv(_here() / "patterns.csv")


def per_extra_friend(degree: np.ndarray, lonely: np.ndarray) -> float:
    """Relative change in the lonely share per extra friend (linear slope over the mean share).

    Args:
        degree: friends per surveyed resident.
        lonely: whether each answered 'sometimes' or more.

    Returns:
        The least-squares slope of ``lonely`` on ``min(degree, MAX_DEGREE)``, divided by the
        mean lonely share (so -0.05 means 5% less loneliness per friend).
    """
    x = np.minimum(degree, MAX_DEGREE).astype(float)
    y = lonely.astype(float)
    if y.mean() == 0 or x.std() == 0:
        return float("nan")
    slope = np.cov(x, y, bias=True)[0, 1] / x.var()
    return float(slope / y.mean())


def december_patterns(model, withdrawal_off_model) -> dict[str, float]:
    """Network, mechanism and gradient patterns of two models surveyed in December."""
    answers = survey(model, fit=False)
    masks = group_masks(model)
    adult = masks["all"]
    lonely = answers.per_measure["lonely_sometimes_plus"]
    net = network_stats(model, lonely)
    oa = answers.per_measure["often_always"]
    any_ = answers.per_measure["any_loneliness"]
    off = survey(withdrawal_off_model, fit=False).per_measure["often_always"]
    isolated = model.res.weeks_no_friend[adult] >= model.params_survey.isolation_weeks

    def pct(values: np.ndarray, group: str) -> float:
        return 100.0 * float(values[masks[group]].mean())

    corr = np.corrcoef(isolated.astype(float), model.res.latent[adult].astype(float))[0, 1]
    return {
        "lonely_degree_ratio": net["mean_degree_lonely"] / net["mean_degree_not_lonely"],
        "contagion_excess_d1": net["excess_1"],
        "contagion_excess_d2": net["excess_2"],
        "contagion_excess_d3": net["excess_3"],
        "loneliness_per_extra_friend": per_extra_friend(model.friends.degree[adult], lonely[adult]),
        "withdrawal_off_effect": pct(off, "all") - pct(oa, "all"),
        "isolation_loneliness_corr": float(corr),
        "age_gradient_often_always": pct(oa, "age_20s") - pct(oa, "age_70s"),
        "age_gradient_any_loneliness": pct(any_, "age_20s") - pct(any_, "age_50s"),
        "sex_gap_often_always": pct(oa, "male") - pct(oa, "female"),
        "living_alone_gap_often_always": pct(oa, "single_person_household") - pct(oa, "cohabiting"),
    }


def drift_patterns(table: pd.DataFrame) -> dict[str, float]:
    """Change from the first to the last year of a run's monthly table (mean friends, %).

    NaN (so the pattern fails) for a run shorter than two years of monthly records.
    """
    all_ = table[(table["dimension"] == "all") & (table["group"] == "all")]

    def yearly(measure: str) -> tuple[float, float]:
        v = all_[all_["measure"] == measure].sort_values("week")["value"].to_numpy(float)
        if v.size < 24:  # the first and last years would overlap: no drift is measured
            return float("nan"), float("nan")
        return float(v[:12].mean()), float(v[-12:].mean())

    f0, f1 = yearly("mean_friends")
    o0, o1 = yearly("often_always")
    return {"friends_drift_10y": f1 / f0 - 1.0, "often_always_drift_10y": 100.0 * (o1 - o0)}


def survey_rows(model) -> pd.DataFrame:
    """Every survey target of ``calibration/targets.csv`` against the model (fit=False)."""
    targets = load_targets(_here() / "targets.csv")
    targets = targets[targets["role"] != "holdout_tottori"]  # a region of its own
    values = measure(model, survey(model, targets, fit=False), targets)
    band = np.maximum(SURVEY_BAND_POINTS, SURVEY_BAND_SHARE * targets["value_pct"])
    return pd.DataFrame(
        {
            "pattern": "survey_" + targets["target"],
            "group": targets["group"],
            "model": [values[t] for t in targets["target"]],
            "target_low": targets["value_pct"] - band,
            "target_high": targets["value_pct"] + band,
            "source": targets["source"],
            "role": np.where(
                targets["role"] == "threshold", "fit (thresholds solved for it)", targets["role"]
            ),
            "unit": "% of residents 16+",
        }
    )


def pattern_table(values: dict[str, float], survey_table: pd.DataFrame) -> pd.DataFrame:
    """The validation table: one row per pattern, with its band, source and verdict."""
    t = pattern_targets()
    t["model"] = t["pattern"].map(values)
    out = pd.concat([t, survey_table], ignore_index=True)
    ok = (out["model"] >= out["target_low"]) & (out["model"] <= out["target_high"])
    out["pass"] = ok & out["model"].notna()
    return out[COLUMNS]


def run_validation(
    overrides: list[str], years: int = 10, log: Callable[[str], None] = print
) -> pd.DataFrame:
    """Run the three models and return the validation table.

    Args:
        overrides: config overrides on top of :data:`BASE` (user values win).
        years: length of the drift run.
        log: progress sink.
    """
    from sim.config import compose_config, load_configured_region
    from sim.core.rng import Streams
    from sim.engine.model import run
    from sim.world.population import synthesize

    cfg = compose_config([*BASE, *overrides], check_region=False)
    region = load_configured_region(cfg)
    t0 = time.perf_counter()
    pop = synthesize(region, cfg.population, Streams(cfg.seed))
    log(f"validate: {pop.n:,} residents; baseline to December")
    model = run_to_december(cfg, region, pop)
    off_cfg = compose_config(
        [*BASE, *overrides, "dynamics.contacts.withdrawal=0"], check_region=False
    )
    log("validate: withdrawal off to December")
    off = run_to_december(off_cfg, region, synthesize(region, cfg.population, Streams(cfg.seed)))
    values = december_patterns(model, off)
    rows = survey_rows(model)
    log(f"validate: {years}-year baseline for the drift")
    long_cfg = compose_config([*BASE, *overrides, f"years={years}"], check_region=False)
    values.update(drift_patterns(run(long_cfg, region=region).table))
    log(f"validate: done in {time.perf_counter() - t0:.0f} s")
    return pattern_table(values, rows)


#: options of the demography check (``tsunagari validate check_demography=false`` skips it)
DEMOGRAPHY_OPTIONS = {
    "check_demography": "true",
    "demography_scale": "0.03",
    "demography_years": "15",
    "demography_seeds": "3",
    "only": "all",
}


def parse_options(options: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split ``out=``, ``years=`` and the demography options from the model overrides."""
    mine = {"out": "validation", "years": "10", **DEMOGRAPHY_OPTIONS}
    rest = []
    for opt in options:
        key, sep, value = opt.partition("=")
        if sep and key in mine:
            mine[key] = value
        else:
            rest.append(opt)
    if not mine["years"].isdigit() or not 1 <= int(mine["years"]) <= 50:
        raise ConfigError(
            f"years: must be a whole number of years from 1 to 50, got '{mine['years']}'"
        )
    if not mine["out"].strip():
        raise ConfigError("out: empty path")
    _check_demography_options(mine)
    return mine, rest


def _check_demography_options(mine: dict[str, str]) -> None:
    if mine["check_demography"] not in ("true", "false"):
        raise ConfigError(f"check_demography: true or false, got '{mine['check_demography']}'")
    if mine["only"] not in ("all", "patterns", "demography"):
        raise ConfigError(f"only: all, patterns or demography, got '{mine['only']}'")
    try:
        scale = float(mine["demography_scale"])
    except ValueError:
        scale = float("nan")
    if not 0.0001 <= scale <= 1.0:
        raise ConfigError(
            "demography_scale: a population scale from 0.0001 to 1, "
            f"got '{mine['demography_scale']}'"
        )
    for key, high in (("demography_years", 30), ("demography_seeds", 20)):
        if not mine[key].isdigit() or not 1 <= int(mine[key]) <= high:
            raise ConfigError(f"{key}: a whole number from 1 to {high}, got '{mine[key]}'")


def run_demography(
    mine: dict[str, str], overrides: list[str], log: Callable[[str], None] = print
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Project Tottori and Kochi from 2020 and compare them with the IPSS projections.

    Only ``dynamics.demography.*`` and ``calibration=`` overrides reach these runs (their region,
    scale, horizon and start are the check's own). Returns the rows of
    :func:`calibration.validate_demography.demography_patterns` and the projections.
    """
    from calibration import validate_demography as vd

    keep = [o for o in overrides if o.startswith(("dynamics.demography.", "calibration="))]
    seeds = list(range(1, int(mine["demography_seeds"]) + 1))
    t0 = time.perf_counter()
    projections = [
        vd.project(
            key, float(mine["demography_scale"]), int(mine["demography_years"]), seeds, keep, log
        )
        for key in vd.REGIONS
    ]
    flows = [f for p in projections for f in p.attrs["flows"]]
    both = pd.concat(projections, ignore_index=True)
    both.attrs["flows"] = flows
    log(f"validate: demography done in {time.perf_counter() - t0:.0f} s")
    return vd.demography_patterns(both), both


def write_demography(
    demo: pd.DataFrame, projections: pd.DataFrame, out: Path, mine: dict[str, str]
) -> list[Path]:
    """Write ``demography.csv``, ``demography.png`` and ``demography.md`` into ``out``."""
    from calibration import validate_demography as vd
    from sim.core.files import write_csv

    out.mkdir(parents=True, exist_ok=True)
    csv, png, md = out / "demography.csv", out / "demography.png", out / "demography.md"
    write_csv(csv, demo, float_format="%.6g")
    vd.write_figure(projections, vd.load_targets(), png)
    opts = [f"{k}={mine[k]}" for k in ("demography_scale", "demography_years", "demography_seeds")]
    command = " ".join(["tsunagari validate", "only=demography", *opts])
    scored = demo[demo["target_low"].notna()]
    gaps = vd.gaps(demo)
    text = (
        "# Demographic validation (Tottori, Kochi)\n\n"
        f"Made by `{command}`: seeds 1 to {mine['demography_seeds']}, start {vd.START_DATE}, "
        f"burn-in {vd.BURN_IN_WEEKS} weeks (the population is fixed during it). "
        f"{int(scored['pass'].astype(bool).sum())} of {len(scored)} rows with a target pass; "
        f"{len(gaps)} rows have no target.\n\n![demography](demography.png)\n\n"
        + vd.markdown(demo, projections.attrs.get("flows"))
        + "\nNo target (gaps): "
        + "; ".join(gaps)
        + "\n"
    )
    md.write_text(text, encoding="utf-8")
    return [csv, png, md]


def main(options: list[str]) -> int:
    """``tsunagari validate [out=DIR] [years=N] [only=...] [OVERRIDES...]``: write the tables."""
    mine, overrides = parse_options(options)
    out = Path(mine["out"])
    patterns = mine["only"] != "demography"
    demography = mine["only"] == "demography" or (
        mine["only"] == "all" and mine["check_demography"] == "true"
    )
    table = run_validation(overrides, years=int(mine["years"])) if patterns else None
    paths: list[Path] = []
    demo = None
    if demography:
        demo, projections = run_demography(mine, overrides)
        paths += write_demography(demo, projections, out, mine)
    if patterns:
        from calibration.validate_page import write_page
        from sim.core.files import write_csv

        scored = table if demo is None else pd.concat([table, demo[demo["pass"].notna()][COLUMNS]])
        scored = scored.astype({"pass": bool}).reset_index(drop=True)
        paths = write_page(scored, out, overrides, int(mine["years"])) + paths
        if demo is not None:  # every row, gaps too (empty band and verdict), in patterns.csv
            write_csv(out / "patterns.csv", pd.concat([table, demo[COLUMNS]]), float_format="%.6g")
            with (out / "patterns.md").open("a", encoding="utf-8") as f:
                f.write("\n## Demography\n\nSee [demography.md](demography.md).\n")
        table = scored
    else:
        table = demo[demo["pass"].notna()].astype({"pass": bool})
    n_pass = int(table["pass"].sum())
    print(f"{n_pass} of {len(table)} patterns within their target band")
    for row in table[~table["pass"]].itertuples():
        print(
            f"  miss: {row.pattern:<40} {row.group:<16} model {row.model:>9.3f}  "
            f"target [{row.target_low:.3f}, {row.target_high:.3f}]"
        )
    if demo is not None:
        print(f"demography: {int(demo['pass'].isna().sum())} rows without a target (gaps)")
    print(f"output: {out}/ ({', '.join(p.name for p in paths)})")
    return 0
