"""What the pyabc calibration writes: the calibrated set with its posterior draws, the convergence.

Split from :mod:`calibration.smc`: :func:`convergence` (the criteria and verdicts),
:func:`posterior_draws` and :func:`write_set` (the calibrated set's ``posterior:``), and
:func:`write_outputs` (``generations.csv``, ``convergence.png`` and the report's lines).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibration.smc_engine import POSTERIOR_DRAWS, task_key
from calibration.store import atomic_write


def convergence(gens: pd.DataFrame, summary: pd.DataFrame | None = None) -> list[str]:
    """The issue's convergence criteria, each with its measured value and a verdict."""
    out = []
    last = gens.iloc[-1]
    ok = last["ess"] >= 200 or last["ess"] >= 0.5 * last["particles"]
    out.append(
        f"ESS of the last generation {last['ess']:.1f} of {int(last['particles'])} "
        f"(needs >= 200 or >= 50%): {'met' if ok else 'NOT met'}"
    )
    if len(gens) >= 3 and np.isfinite(gens["epsilon"].iloc[-3]):
        e = gens["epsilon"].to_numpy(float)
        change = abs(e[-1] - e[-3]) / e[-3]
        out.append(
            f"epsilon over the last two generations {e[-3]:.4f} -> {e[-1]:.4f} "
            f"({100 * change:.1f}%, needs < 5%): {'met' if change < 0.05 else 'NOT met'}"
        )
    else:
        out.append("epsilon change over the last two generations: fewer than 3 finite epsilons")
    if summary is not None:
        bad = summary[summary["sd_ratio"] >= 0.5]["parameter"].tolist()
        out.append(
            "posterior sd under 0.5 of the prior sd for "
            f"{len(summary) - len(bad)} of {len(summary)} parameters"
            + (f" (not: {', '.join(b.rsplit('.', 1)[-1] for b in bad)})" if bad else "")
        )
    return out


def posterior_draws(result: dict, cfg, k: int = POSTERIOR_DRAWS, seed: int = 1) -> list[dict]:
    """Up to ``k`` draws of the last generation, resampled by weight (seeded).

    Each draw is a mapping of the calibrated set's override keys to values: the fitted
    parameters and the survey thresholds and UCLA cuts of that particle's evaluation.
    """
    from calibration.survey import as_overrides
    from sim.core.rng import Streams

    last, prior, store = result["generations"][-1], result["prior"], result["store"]
    rng = Streams(seed).get("calibration_posterior")
    idx = rng.choice(last.theta.shape[0], size=k, replace=True, p=last.weights)
    out = []
    for i in idx:
        values = dict(zip(prior.names, map(float, last.theta[i]), strict=True))
        rec = store.get(task_key(values))
        d = {k2: _plain(v) for k2, v in as_overrides(cfg, values).items()}
        if rec is not None:
            d["survey.thresholds"] = [round(float(v), 6) for v in rec["thresholds"]]
            d["survey.ucla_cuts"] = [round(float(v), 6) for v in rec["ucla_cuts"]]
        out.append(d)
    return out


def _plain(v):
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return round(float(v), 6) if isinstance(v, float | np.floating) else v


def write_set(path: Path, sets: dict, draws: list[dict], result: dict, opts: dict) -> None:
    """Write the calibrated set: the point (``overrides:``) and the ``posterior:`` draws."""
    import yaml

    head = (
        "# Calibrated parameter set written by `tsunagari calibrate` (do not edit by hand).\n"
        f"# targets: {Path(opts['targets']).name}; base: {' '.join(result['base'])}\n"
        f"# engine: {result['engine']}\n"
        f"# overrides: the {result['chosen_kind']} of the last ABC-SMC generation; "
        f"loss {result['chosen']['distance']:.4f}\n"
        f"# posterior: {len(draws)} draws of the last generation resampled by weight; each is a "
        "complete set of the same keys (compare samples=N can draw from them)\n"
        "# Applied before user overrides unless calibration=none (see docs/calibration.md).\n"
    )
    body = yaml.safe_dump({"overrides": sets}, allow_unicode=True, sort_keys=False, width=1000)
    body += "posterior:\n" + "".join(  # one draw a line
        "- " + yaml.safe_dump(d, default_flow_style=True, sort_keys=False, width=100_000).strip()
        + "\n"
        for d in draws
    )  # fmt: skip
    atomic_write(path, head + body)


def convergence_figure(table: pd.DataFrame, path: Path) -> None:
    """convergence.png: epsilon, acceptance and ESS share by generation (ja/en labels)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from sim.report.plots import use_japanese_font

    use_japanese_font()
    fig = Figure(figsize=(10, 3))
    g = table["generation"]
    panels = [
        ("epsilon", "閾値 ε (epsilon)", table["epsilon"].replace(np.inf, np.nan)),
        ("acceptance", "受理率 (acceptance)", table["acceptance"]),
        ("ess", "有効標本数/粒子数 (ESS share)", table["ess"] / table["particles"]),
    ]
    for i, (_, title, y) in enumerate(panels):
        ax = fig.add_subplot(1, 3, i + 1)
        ax.plot(g, y, marker="o")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("世代 (generation)", fontsize=8)
        if i == 2:
            ax.axhline(0.5, color="#d62728", lw=0.8, ls="--")
    fig.suptitle("ABC-SMC の収束 (convergence)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_outputs(result: dict, opts: dict, report: Path) -> list[str]:
    """generations.csv with the issue's columns and the convergence lines in the report.

    Returns:
        The convergence lines (:func:`convergence`).
    """
    from calibration.report import posterior_tables
    from sim.core.files import write_csv

    table = result["generation_table"].copy()
    table.attrs["decimals"] = {c: 4 for c in ("epsilon", "ess", "acceptance", "best_distance",
                                              "median_distance")}  # fmt: skip
    write_csv(report / "generations.csv", table)
    _, summary, _ = posterior_tables(result)
    lines = convergence(table, summary)
    convergence_figure(table, report / "convergence.png")
    md = report / "fit_report.md"
    text = md.read_text(encoding="utf-8") if md.exists() else ""
    text += (
        f"\n## Convergence ({result['engine']})\n\n"
        + "".join(f"- {x}\n" for x in lines)
        + "\nThe generations are in the table above (`generations.csv`).\n"
        + "\n![convergence](convergence.png)\n"
    )
    atomic_write(md, text)
    return lines
