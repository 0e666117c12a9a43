"""Local recalibration: a municipality's own survey results as calibration targets.

``tsunagari calibrate targets=my_results.csv region=tottori municipality=倉吉市`` reads the
results file of ``tsunagari survey-compare`` (item, group, share_pct, n; see
``docs/local_survey.md``) and refits the model's uncertain parameters to it, starting from the
national calibration:

* **Targets** (:func:`local_targets`): every row whose item and group the calibration's simulated
  survey knows becomes a 'fit' target (weight ``min(1, n / 500)``: a row from 50 respondents counts
  a tenth of one from 500). When the file gives all five answers of the direct question for
  ``all``, they become the 'threshold' targets (the survey thresholds are refitted to the
  municipality's answers; 'lonely' and 'any loneliness' for ``all``, their sums, are then
  reported but not fitted); likewise UCLA-3 10-12 for ``all``. Otherwise the national calibrated
  thresholds are kept as they are. Rows the calibration cannot measure (UCLA bands other than
  10-12, household types other than single) are listed and left out.
* **Prior** (:func:`narrowed_prior`): the national calibrated set (``sim/config/sets/
  calibrated.yaml``) is the centre, and each parameter's range in ``calibration/parameters.yaml``
  is narrowed to ``width`` (default 25%) of its width around it, clipped to the national range.
  This stands in for "the national posterior as the prior": the national ABC posterior is short
  and not converged (docs/calibration.md), so its own spread is not used as the prior.
* **Runs**: only the municipality is simulated (``region.municipalities=[...]``) at
  ``population.scale=1.0`` unless given, with the national calibrated set applied underneath
  (``calibration=calibrated``), surveyed in the first December like the national calibration.

Limits, said plainly: a municipal survey of about 1,000 respondents pins down a few shares to
±2-3 points, which says little about 13 parameters; the narrowed prior does most of the work, and
the result is a local adjustment of the national fit, not an independent calibration.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from sim.core.params import ConfigError

#: survey items (local results) -> calibration measures (calibration.survey.MEASURES)
ITEM_MEASURE = {
    "dq_often_always": "often_always",
    "dq_sometimes": "sometimes",
    "dq_occasionally": "occasionally",
    "dq_hardly_ever": "hardly_ever",
    "dq_never": "never",
    "lonely": "lonely_sometimes_plus",
    "any_loneliness": "any_loneliness",
    "ucla3_10_12": "ucla3_top",
    "never_meets_in_person": "never_meets_in_person",
    "never_phones": "never_phones",
    "never_messages": "never_messages",
    "talks_at_most_fortnightly": "talks_at_most_fortnightly",
    "no_social_activity": "no_social_activity",
    "no_close_friends": "no_close_friends",
    "has_someone_to_rely_on": "has_someone_to_rely_on",
}
#: result groups -> calibration groups (calibration.survey.GROUPS)
GROUP_GROUP = {
    "all": "all",
    "16-19": "age_16_19",
    "20-29": "age_20s",
    "30-39": "age_30s",
    "40-49": "age_40s",
    "50-59": "age_50s",
    "60-69": "age_60s",
    "70-79": "age_70s",
    "80+": "age_80plus",
    "male": "male",
    "female": "female",
    "single": "single_person_household",
}
DQ = ("dq_often_always", "dq_sometimes", "dq_occasionally", "dq_hardly_ever", "dq_never")


def is_local_results(path: str | Path) -> bool:
    """Whether a CSV has the results shape (``share_pct`` and ``n``) rather than targets.csv's."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            header = fh.readline()
    except OSError:
        return False
    cols = {c.strip() for c in header.strip().split(",")}
    return {"share_pct", "n"} <= cols and "value_pct" not in cols


def local_targets(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Calibration targets (the columns of ``calibration/targets.csv``) from a results file.

    Returns:
        The targets and the list of rows left out (``row N: item/group``, with the reason).

    Raises:
        ConfigError: a bad file (one line naming file, row and column) or no usable row.
    """
    from experiments.local_survey_compare import read_results
    from experiments.local_survey_design import SETTINGS

    rows = read_results(path)
    given = {(r.item, r.group): r for r in rows}
    thresholds = all((i, "all") in given for i in DQ)
    out, skipped = [], []
    for r in rows:
        measure, group = ITEM_MEASURE.get(r.item), GROUP_GROUP.get(r.group)
        if measure is None or group is None:
            what = "item" if measure is None else "group"
            skipped.append(f"row {r.line}: {r.item}/{r.group} ({what} not measured by calibration)")
            continue
        role = "fit"
        if r.group == "all" and ((thresholds and r.item in DQ) or r.item == "ucla3_10_12"):
            role = "threshold"
        elif r.group == "all" and thresholds and r.item in ("lonely", "any_loneliness"):
            role = "holdout"  # sums of the threshold answers: matched exactly, nothing to fit
        out.append(
            {
                "target": f"local_{r.item}_{r.group}".replace("+", "plus").replace("-", "_"),
                "year": 0,
                "measure": measure,
                "group": group,
                "value_pct": r.share_pct,
                "role": role,
                "weight": 1.0
                if role != "fit"
                else round(min(1.0, r.n / SETTINGS.full_weight_n), 4),
                "source": f"{Path(path).name} row {r.line} (n={r.n})",
            }
        )
    df = pd.DataFrame(out, columns=["target", "year", "measure", "group", "value_pct", "role",
                                    "weight", "source"])  # fmt: skip
    if df.empty or not (df["role"] == "fit").any():
        raise ConfigError(f"targets: {path}: no row the calibration can fit (items and groups: "
                          "see docs/local_survey.md, 'Local recalibration')")  # fmt: skip
    return df, skipped


def narrowed_prior(parameters: str | Path, calibrated: str | Path, width: float = 0.25) -> dict:
    """The parameter list with each range narrowed around the national calibrated value.

    Args:
        parameters: ``calibration/parameters.yaml`` (names and national prior ranges).
        calibrated: the national calibrated set (``sim/config/sets/calibrated.yaml``).
        width: the new range's width as a share of the national range's (0-1].

    Returns:
        A document for ``parameters=`` (``{"parameters": [{name, low, high}, ...]}``).
    """
    if not 0 < width <= 1:
        raise ConfigError(f"local_width: expected a share in (0, 1], got {width}")
    prior = yaml.safe_load(Path(parameters).read_text(encoding="utf-8"))["parameters"]
    sets = yaml.safe_load(Path(calibrated).read_text(encoding="utf-8"))["overrides"]
    out = []
    for p in prior:
        lo, hi = float(p["low"]), float(p["high"])
        centre = float(sets.get(p["name"], (lo + hi) / 2))
        half = width * (hi - lo) / 2
        a, b = max(lo, centre - half), min(hi, centre + half)
        out.append({"name": p["name"], "low": round(a, 6), "high": round(b, 6), "centre": centre})
    return {"parameters": out}


def prepare(opts: dict, overrides: list[str], name_given: bool) -> tuple[dict, list[str]]:
    """Turn a calibrate call with a results file into a local calibration.

    Writes the local targets and the narrowed prior into ``calibration/runs/NAME/`` and points
    ``targets``/``parameters`` at them; adds the municipality scoping and the national set.

    Raises:
        ConfigError: no ``region=``, or a bad file.
    """
    from calibration.fit import calibration_dir
    from calibration.store import atomic_write
    from sim.config import sets_dir

    if not any(o.startswith("region=") for o in overrides):
        raise ConfigError("region: a municipality's results need region=... (and municipality=...)")
    muni = opts.get("municipality") or ""
    if not name_given:
        opts["name"] = "local"
    targets, skipped = local_targets(opts["targets"])
    folder = calibration_dir() / "runs" / opts["name"]
    folder.mkdir(parents=True, exist_ok=True)
    tpath = folder / "local_targets.csv"
    atomic_write(tpath, targets.to_csv(index=False))
    calibrated = Path(str(sets_dir())) / "calibrated.yaml"
    if not calibrated.is_file():
        raise ConfigError(
            "calibration: the national set sim/config/sets/calibrated.yaml is missing"
        )
    from experiments.local_survey_design import SETTINGS

    try:
        width = float(opts.get("local_width") or SETTINGS.local_width)
    except ValueError:
        raise ConfigError(
            f"local_width: expected a share in (0, 1], got '{opts['local_width']}'"
        ) from None
    prior = narrowed_prior(opts["parameters"], calibrated, width)
    ppath = folder / "local_parameters.yaml"
    doc = {
        "parameters": [{k: v for k, v in p.items() if k != "centre"} for p in prior["parameters"]]
    }
    head = "# narrowed around sim/config/sets/calibrated.yaml by calibration/local.py\n"
    atomic_write(ppath, head + yaml.safe_dump(doc, sort_keys=False))
    opts["targets"], opts["parameters"] = str(tpath), str(ppath)
    opts["check_scale"], opts["tottori_scale"] = "none", "none"
    extra = ["calibration=calibrated"]
    if muni:
        extra.append(f"region.municipalities=[{muni}]")
    if not any(o.startswith("population.scale=") for o in overrides):
        extra.append(f"population.scale={1.0 if muni else 0.1}")
    for line in skipped:
        print(f"calibrate: left out {line}")
    return opts, [*overrides, *extra]
