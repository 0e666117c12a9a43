"""Demographic validation of ``tsunagari validate`` (issue 17 item 5): projected populations.

:func:`project` runs the baseline with ``demography=dynamic`` from the 2020 census (start
2020-10-01, the census day) for a region and several seeds, and keeps the population rows of the
monthly table. The burn-in (:data:`BURN_IN_WEEKS`) only settles the social network: demography
acts from week 0, so the population of the first record is the 2020 census population.
:func:`demography_patterns` compares the record nearest 1 October of each target year with
``sim/data/demography_targets.csv`` (IPSS 2023 regional projection, IPSS 2024 household
projection, 2020 census) and returns rows in the shape of ``patterns.csv``:

- ``population_change_<year>``: relative change since 2020 in %, against the IPSS change; the
  band is ±3 points (3% of the 2020 population). The model starts from the census (equal to the
  IPSS 2020 total), so totals are compared as changes (docs/demography_targets.md, caveats);
- ``share_65plus_<year>``, ``share_75plus_<year>``, ``share_one_person_65plus_households_<year>``
  and ``share_65plus_living_alone_<year>`` (total, and by sex with no target anywhere) in %,
  within ±2 points of the IPSS level (or the census level for 2020).

The model value is the mean over seeds (``model_min`` and ``model_max`` give the range). Rows
without a target keep an empty band and an empty verdict; :func:`gaps` lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.core.params import ConfigError

#: regions checked: config key -> name in ``demography_targets.csv``
REGIONS = {"tottori": "Tottori", "kochi": "Kochi"}
#: census day of the 2020 base; records nearest 1 October of a target year are compared
START_DATE = "2020-10-01"
BASE_YEAR = 2020
TARGET_YEARS = (2025, 2030, 2035, 2050)
#: weeks before the start: they settle friendships only (the population is fixed until week 0)
BURN_IN_WEEKS = 52
#: a target year counts as reached only if a record lies within this many days of 1 October
MAX_GAP_DAYS = 62
#: band of a total (points of change since 2020, i.e. % of the 2020 population) and of a share
TOTAL_BAND, SHARE_BAND = 3.0, 2.0
#: (measure of the monthly table, dimension, groups) kept by :func:`project`
MEASURES = (
    ("population", "all", ("all",)),
    ("share_65plus", "all", ("all",)),
    ("share_75plus", "all", ("all",)),
    ("share_one_person_65plus_households", "all", ("all",)),
    ("one_person_65plus_households", "all", ("all",)),
    ("share_65plus_living_alone", "sex", ("0", "1")),
)
SEX_NAMES = {"0": "male", "1": "female", "all": "total"}
#: share patterns: name -> unit
SHARES = {
    "share_65plus": "% of residents",
    "share_75plus": "% of residents",
    "share_one_person_65plus_households": "% of general households",
    "share_65plus_living_alone": "% of residents 65+",
}
EXTRA = ["model_min", "model_max", "model_2020", "target_2020", "seeds"]
COLUMNS = ["pattern", "group", "model", "target_low", "target_high", "source", "pass", "role"]
COLUMNS += ["unit", *EXTRA]


def load_targets(path: Path | None = None) -> pd.DataFrame:
    """``sim/data/demography_targets.csv`` (every row has a value, a source and a flag)."""
    path = path or Path(__file__).resolve().parents[1] / "sim" / "data" / "demography_targets.csv"
    try:
        return pd.read_csv(path)
    except OSError as exc:
        raise ConfigError(f"demography targets: cannot read '{path}': {exc}") from None


def project(
    region_key: str,
    scale: float,
    years: int,
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Run the dynamic baseline from the 2020 census and keep its population rows.

    Args:
        region_key: ``tottori`` or ``kochi``.
        scale: ``population.scale`` of the runs.
        years: horizon after 2020-10-01 (1 to 30).
        seeds: one run per seed.
        overrides: further config overrides (e.g. ``dynamics.demography.*``).
        log: progress sink.

    Returns:
        Rows ``region, seed, date, year, measure, sex, value, n`` for every monthly record of
        :data:`MEASURES` (shares as fractions; ``year`` is the target year whose 1 October the
        record is nearest, NaN otherwise). ``attrs["flows"]`` lists the demography counts of
        each run (dicts).
    """
    from sim.config.compose import compose_config
    from sim.engine.model import run

    if region_key not in REGIONS:
        raise ConfigError(
            f"region: demography check has targets for {sorted(REGIONS)}, got '{region_key}'"
        )
    if not seeds:
        raise ConfigError("seeds: at least one seed is needed")
    frames, flows = [], []
    for seed in seeds:
        cfg = compose_config(
            [
                *overrides,
                f"region={region_key}",
                f"population.scale={scale}",
                f"years={years}",
                f"start_date={START_DATE}",
                f"burn_in_weeks={BURN_IN_WEEKS}",
                "demography=dynamic",
                f"seed={seed}",
            ]
        )
        res = run(cfg)
        log(f"validate: demography {region_key} seed {seed}: {res.n_residents:,} residents")
        t = res.table
        keep = np.zeros(len(t), bool)
        for measure, dim, groups in MEASURES:
            keep |= (t["measure"] == measure) & (t["dimension"] == dim) & t["group"].isin(groups)
        t = t[keep]
        frames.append(
            pd.DataFrame(
                {
                    "region": REGIONS[region_key],
                    "seed": seed,
                    "date": pd.to_datetime(t["date"]),
                    "measure": t["measure"],
                    "sex": t["group"],
                    "value": t["value"].astype(float),
                    "n": t["n"].astype(float),
                }
            )
        )
        flows.append(
            {"region": REGIONS[region_key], "seed": seed, **res.counts.get("demography", {})}
        )
    out = pd.concat(frames, ignore_index=True)
    out["year"] = _nearest_years(out["date"])
    out.attrs["flows"] = flows
    return out


def _nearest_years(dates: pd.Series) -> pd.Series:
    """The target year (2020 included) whose 1 October each date is the record nearest to."""
    year = pd.Series(np.nan, index=dates.index)
    unique = pd.Series(dates.unique())
    for y in (BASE_YEAR, *TARGET_YEARS):
        day = pd.Timestamp(f"{y}-10-01")
        gap = (unique - day).abs()
        if gap.min() <= pd.Timedelta(days=MAX_GAP_DAYS):
            year[dates == unique[gap.idxmin()]] = y
    return year


def _level(proj: pd.DataFrame, measure: str, sex: str) -> pd.DataFrame:
    """Value per seed and year for one series; living alone ``total`` pools the sexes."""
    rows = proj[(proj["measure"] == measure) & proj["year"].notna()]
    if sex == "total" and measure == "share_65plus_living_alone":
        rows = rows.assign(w=rows["value"] * rows["n"])
        g = rows.groupby(["seed", "year"])[["w", "n"]].sum()
        return (g["w"] / g["n"]).rename("value").reset_index()
    if sex != "total":
        rows = rows[rows["sex"] == {"male": "0", "female": "1"}[sex]]
    return rows[["seed", "year", "value"]]


def _target(targets: pd.DataFrame, quantity: str, region: str, year: int, sex: str):
    row = targets[
        (targets["quantity"] == quantity)
        & (targets["region"] == region)
        & (targets["year"] == year)
        & (targets["sex"] == sex)
    ]
    return (None, "") if row.empty else (float(row["value"].iloc[0]), str(row["source"].iloc[0]))


def demography_patterns(
    projections: pd.DataFrame, targets: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Compare projections (of :func:`project`, one or more regions) with the targets.

    Returns:
        One row per pattern, region (and sex) and year reached, with :data:`COLUMNS`: the first
        nine are those of ``patterns.csv``; ``pass`` is empty (None) where no target exists.
    """
    targets = load_targets() if targets is None else targets
    rows = []
    for region, proj in projections.groupby("region", sort=False):
        years = sorted(int(y) for y in proj["year"].dropna().unique() if y != BASE_YEAR)
        pop = _level(proj, "population", "total").pivot(
            index="seed", columns="year", values="value"
        )
        t0, _ = _target(targets, "population", region, BASE_YEAR, "total")
        for y in years:
            change = 100.0 * (pop[y] / pop[BASE_YEAR] - 1.0)
            ty, src = _target(targets, "population", region, y, "total")
            target = None if ty is None or t0 is None else 100.0 * (ty / t0 - 1.0)
            rows.append(
                _row(f"population_change_{y}", region, change, target, TOTAL_BAND, src,
                     "% change since 2020", model_2020=pop[BASE_YEAR].mean(), target_2020=t0)
            )  # fmt: skip
        for measure, unit in SHARES.items():
            sexes = (
                ("total", "male", "female")
                if measure == "share_65plus_living_alone"
                else ("total",)
            )
            for sex in sexes:
                level = _level(proj, measure, sex).pivot(
                    index="seed", columns="year", values="value"
                )
                base, _ = _target(targets, measure, region, BASE_YEAR, sex)
                group = region if sex == "total" else f"{region}, {sex}"
                for y in (BASE_YEAR, *years):
                    ty, src = _target(targets, measure, region, y, sex)
                    rows.append(
                        _row(f"{measure}_{y}", group, 100.0 * level[y], ty, SHARE_BAND,
                             src, unit, 100.0 * level[BASE_YEAR].mean(), base)
                    )  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(pattern, group, values, target, band, source, unit, model_2020, target_2020) -> dict:
    """A patterns row: mean over seeds, the band around the target (if any) and the verdict."""
    model = float(np.mean(values))
    low = None if target is None else target - band
    high = None if target is None else target + band
    return {
        "pattern": pattern,
        "group": group,
        "model": model,
        "target_low": low,
        "target_high": high,
        "source": source or "no target in sim/data/demography_targets.csv (a gap)",
        "pass": None if target is None else bool(low <= model <= high),
        "role": "demography (dynamic, 2020 census start)",
        "unit": unit,
        "model_min": float(np.min(values)),
        "model_max": float(np.max(values)),
        "model_2020": model_2020,
        "target_2020": target_2020,
        "seeds": len(values),
    }


def gaps(table: pd.DataFrame) -> list[str]:
    """Patterns of a :func:`demography_patterns` table that have no target."""
    miss = table[table["target_low"].isna()]
    return [f"{r.pattern} ({r.group})" for r in miss.itertuples()]


def write_figure(projections: pd.DataFrame, targets: pd.DataFrame, path: Path) -> Path:
    """Population (2020 = 100) and 65+ share over time per region: model range, IPSS points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    colours = dict(zip(REGIONS.values(), ("#1f77b4", "#d62728"), strict=True))
    for region, proj in projections.groupby("region", sort=False):
        c = colours.get(region, "k")
        for ax, measure in zip(axes, ("population", "share_65plus"), strict=True):
            s = proj[proj["measure"] == measure].pivot_table(
                index="date", columns="seed", values="value"
            )
            if measure == "population":
                s = 100.0 * s / s.iloc[0]
                t = targets[(targets["quantity"] == "population") & (targets["region"] == region)]
                tv = 100.0 * t["value"] / t.loc[t["year"] == BASE_YEAR, "value"].iloc[0]
            else:
                s = 100.0 * s
                t = targets[(targets["quantity"] == "share_65plus") & (targets["region"] == region)]
                tv = t["value"]
            ax.fill_between(s.index, s.min(axis=1), s.max(axis=1), color=c, alpha=0.25, lw=0)
            ax.plot(s.index, s.mean(axis=1), color=c, label=f"{region} model")
            when = pd.to_datetime(t["year"].astype(str) + "-10-01")
            ax.plot(when, tv, "o", color=c, mfc="white", label=f"{region} IPSS / census")
    axes[0].set_ylabel("population, 2020 = 100")
    axes[1].set_ylabel("share aged 65+ (%)")
    for ax in axes:
        ax.set_xlim(pd.Timestamp("2020-01-01"), projections["date"].max() + pd.Timedelta(days=120))
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Demography: model (line: mean, band: seed range) against IPSS 2023 (circles)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def markdown(table: pd.DataFrame, flows: list[dict] | None = None) -> str:
    """The demography rows as a Markdown table, the gaps and (optionally) the flows per run."""

    def num(x, fmt=".2f") -> str:
        return "" if x is None or pd.isna(x) else format(x, fmt)

    head = (
        "| pattern | group | model (min-max) | target band | model 2020 | target 2020 | pass |\n"
        "|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in table.rename(columns={"pass": "verdict"}).itertuples():
        ok = r.verdict
        verdict = "" if ok is None or pd.isna(ok) else ("yes" if ok else "**no**")
        band = f"[{num(r.target_low)}, {num(r.target_high)}]" if pd.notna(r.target_low) else "—"
        base_fmt = ",.0f" if r.pattern.startswith("population") else ".2f"
        spread = f"{num(r.model)} ({num(r.model_min)} to {num(r.model_max)})"
        bases = f"{num(r.model_2020, base_fmt)} | {num(r.target_2020, base_fmt)}"
        lines.append(f"| {r.pattern} | {r.group} | {spread} | {band} | {bases} | {verdict} |")
    text = head + "\n".join(lines) + "\n"
    if flows:
        flows = pd.DataFrame(flows)
        cols = list(flows.columns)
        text += "\nDemographic events per run (simulated residents):\n\n"
        text += "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
        text += "".join(
            "| " + " | ".join(str(v) for v in row) + " |\n" for row in flows.itertuples(index=False)
        )
    return text


def cohort_projection(region_key: str, years: int = 15, scale: float = 0.1, seed: int = 42) -> dict:
    """Share aged 65+ after ``years`` by cohort-component arithmetic, without the agents.

    The simulated 2020 population (seed, scale) is aged year by year with the same death
    rates (and mortality improvement) and births as the demography process, and no migration.
    If this share is as low as the agent-based projection, the miss lies in the starting age
    structure or the rates, not in the simulated processes.

    Returns:
        ``{"start": share, "end": share, "population": end / start}`` (shares in %).
    """
    from sim.config import compose_config
    from sim.engine.model import LonelinessModel

    cfg = compose_config([f"region={region_key}", f"population.scale={scale}", f"seed={seed}"])
    m = LonelinessModel(cfg)
    pop, rates = m.pop, m.demography_rates
    live = pop.age >= 0
    a = np.clip(pop.age[live], 0, rates.ages - 1)
    mun, sex = pop.municipality[live], pop.sex[live]
    n = np.zeros((rates.ages, 2))
    np.add.at(n, (a, sex), 1.0)
    q = np.zeros((rates.ages, 2))
    np.add.at(q, (a, sex), rates.death[mun, a, sex])
    q /= np.maximum(n, 1.0)
    women = sex == 1
    f = np.zeros(rates.ages)
    np.add.at(f, a[women], rates.fertility[mun[women], a[women]])
    f /= np.maximum(n[:, 1], 1.0)
    start, total0 = n[65:].sum() / n.sum() * 100, n.sum()
    improve = 1.0 - cfg.dynamics.demography.mortality_improvement
    for year in range(years):
        qy = -np.expm1(np.log1p(-q) * improve**year)
        births = (n[:, 1] * f).sum()
        survivors = n * (1 - qy)
        n = np.vstack([[births * 1.05 / 2.05, births / 2.05], survivors[:-1]])
        n[-1] += survivors[-1]
    return {"start": start, "end": n[65:].sum() / n.sum() * 100, "population": n.sum() / total0}
