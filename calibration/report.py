"""Fit report of a calibration: tables, figures and a Markdown summary.

Writes into the report folder: ``fit_table.csv`` (every target: survey against model, with role),
``posterior.csv`` (accepted particles of the last generation with weights and distances),
``posterior_summary.csv``, ``generations.csv``, ``network.csv`` (Cacioppo et al. 2009 checks),
``scale_check.csv`` (calibrated set at a larger scale and other seeds), ``fit.png``,
``posterior.png`` and ``fit_report.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from calibration.abc import ess
from calibration.evaluation import SurveyRunJob, evaluator_for
from calibration.network import PUBLISHED
from calibration.store import atomic_write
from sim.core.files import write_csv

ROLE_JA = {"threshold": "閾値", "fit": "適合", "holdout": "検証", "holdout_tottori": "検証(鳥取)"}


def _decimals(df: pd.DataFrame, digits: int) -> pd.DataFrame:
    """The table with every float column written with ``digits`` decimals by ``write_csv``."""
    out = df.copy()
    floats = [c for c in out.columns if pd.api.types.is_float_dtype(out[c].dtype)]
    out.attrs["decimals"] = dict.fromkeys(floats, digits)
    return out


def _base_without(base: list[str], keys: tuple[str, ...]) -> list[str]:
    return [o for o in base if o.partition("=")[0] not in keys]


def fit_table(result: dict, tottori: dict[str, float]) -> pd.DataFrame:
    """Every target with the calibrated model's value."""
    t = result["targets"].copy()
    vals = {**result["chosen"]["values"], **tottori}
    t["model_pct"] = [vals.get(k, np.nan) for k in t["target"]]
    t["error_pct"] = t["model_pct"] - t["value_pct"]
    n = result["chosen"].get("n", {})
    t["n_model"] = [n.get(k, np.nan) for k in t["target"]]
    cols = ["target", "role", "year", "measure", "group", "value_pct", "model_pct", "error_pct"]
    return t[[*cols, "n_model", "weight", "source"]]


def posterior_tables(result: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Particles of the last generation, their summary against the prior, and generations."""
    prior, gens = result["prior"], result["generations"]
    last = gens[-1]
    post = pd.DataFrame(last.theta, columns=prior.names)
    post.insert(0, "distance", last.distances[last.accepted])
    post.insert(0, "weight", last.weights)
    chosen = result["chosen"]["params"]
    summary = pd.DataFrame(
        {
            "parameter": prior.names,
            "prior_low": prior.low,
            "prior_high": prior.high,
            "prior_sd": prior.sd(),
            "posterior_mean": last.mean(),
            "posterior_sd": last.sd(),
            "q05": last.quantile(0.05),
            "q95": last.quantile(0.95),
            "sd_ratio": last.sd() / prior.sd(),
            "calibrated": [chosen[k] for k in prior.names],
        }
    )
    if "generation_table" in result:  # the pyabc engine's (calibration/smc.py)
        return post, summary, result["generation_table"]
    gen = pd.DataFrame(
        [
            {
                "generation": g.index + 1,
                "eps": g.eps,
                "proposals": g.proposals.shape[0],
                "accepted": g.accepted.size,
                "ess": ess(g.weights),
                "best_distance": float(np.min(g.distances)),
                "median_accepted_distance": float(np.median(g.distances[g.accepted])),
            }
            for g in gens
        ]
    )
    return post, summary, gen


def network_table(net: dict) -> pd.DataFrame:
    """Model statistics next to the published pattern."""
    rows = []
    for d, pub in PUBLISHED.items():
        rows.append(
            {
                "statistic": f"excess P(lonely) with a lonely friend at distance {d}",
                "published": pub,
                "model_raw": net[f"excess_{d}"],
                "model_null_shuffled": net[f"null_excess_{d}"],
                "model_net_of_null": net[f"net_excess_{d}"],
            }
        )
    rows.append(
        {
            "statistic": "mean friends: lonely / not lonely",
            "published": np.nan,
            "model_raw": net["mean_degree_lonely"] / net["mean_degree_not_lonely"],
            "model_null_shuffled": 1.0,
            "model_net_of_null": np.nan,
        }
    )
    return pd.DataFrame(rows)


def figures(table: pd.DataFrame, post: pd.DataFrame, summary: pd.DataFrame, out: Path) -> None:
    """fit.png (model against survey, target by target) and posterior.png (marginals)."""
    from matplotlib.figure import Figure

    from sim.report.plots import use_japanese_font

    use_japanese_font()
    t = table.dropna(subset=["model_pct"]).iloc[::-1]
    fig = Figure(figsize=(9, 0.28 * len(t) + 1.5))
    ax = fig.add_subplot()
    y = np.arange(len(t))
    colors = {"threshold": "#999999", "fit": "#1f77b4", "holdout": "#d62728"}
    ax.barh(y, t["value_pct"], color="#dddddd", label="調査 (survey)")
    for role, c in colors.items():
        s = t["role"].str.startswith(role).to_numpy()
        ax.scatter(t["model_pct"][s], y[s], color=c, zorder=3, s=18,
                   label=f"モデル: {ROLE_JA[role]} ({role})")  # fmt: skip
    ax.set_yticks(y, [f"{a} [{ROLE_JA[r]}]" for a, r in zip(t["target"], t["role"], strict=True)])
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel("割合 (%)")
    ax.set_title("較正結果: 全国調査とモデル（12月、16歳以上）")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(out / "fit.png", dpi=110)
    k = len(summary)
    cols = 4
    fig = Figure(figsize=(12, 2.4 * ((k + cols - 1) // cols)))
    for i, row in summary.iterrows():
        ax = fig.add_subplot((k + cols - 1) // cols, cols, i + 1)
        ax.hist(post[row["parameter"]], bins=12, weights=post["weight"], color="#1f77b4")
        ax.axvline(row["calibrated"], color="#d62728")
        ax.set_xlim(row["prior_low"], row["prior_high"])
        ax.set_title(row["parameter"].replace("dynamics.", ""), fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("事後分布（最終世代、重み付き）; 横軸 = 事前分布の範囲, 赤 = 較正値")
    fig.tight_layout()
    fig.savefig(out / "posterior.png", dpi=100)


def _md_table(df: pd.DataFrame, floatfmt: str = "{:.2f}") -> str:
    def fmt(v):
        return floatfmt.format(v) if isinstance(v, float) and np.isfinite(v) else str(v)

    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    return head + "".join("| " + " | ".join(fmt(v) for v in r) + " |\n" for r in df.to_numpy())


def write_report(result: dict, opts: dict, out: Path, set_name: str) -> None:
    """Run the held-out and scale checks and write every table, figure and the summary."""
    out.mkdir(parents=True, exist_ok=True)
    targets = result["targets"]
    base = [*_base_without(result["base"], ("calibration",)), f"calibration={set_name}"]
    tt = targets[targets["role"] == "holdout_tottori"]
    national = targets[targets["role"] != "holdout_tottori"]
    scale = next(o for o in reversed(base) if o.startswith("population.scale=")).partition("=")[2]
    runs = [(f"seed_{s}", [*base, f"seed={s}"], national) for s in (43, 44)]
    if len(tt) and opts["tottori_scale"] != "none":
        ov = [*_base_without(base, ("region", "population.scale")), "region=tottori",
              f"population.scale={opts['tottori_scale']}"]  # fmt: skip
        runs.insert(0, ("tottori", ov, tt))
    if opts["check_scale"] != "none":
        ov = [
            *_base_without(base, ("population.scale",)),
            f"population.scale={opts['check_scale']}",
        ]
        runs.insert(0, (f"scale_{opts['check_scale']}", ov, national))
    with evaluator_for(opts) as ev:
        done = dict(ev.evaluate(SurveyRunJob(), runs))
    table = fit_table(result, done.pop("tottori", {}))
    write_csv(out / "fit_table.csv", _decimals(table, 3))
    post, summary, gens = posterior_tables(result)
    write_csv(out / "posterior.csv", post, float_format="%.6g")
    write_csv(out / "posterior_summary.csv", summary, float_format="%.4g")
    write_csv(out / "generations.csv", _decimals(gens, 4))
    net = network_table(result["chosen"]["network"])
    write_csv(out / "network.csv", _decimals(net, 4))
    checks = table[table["role"] != "holdout_tottori"][["target", "role", "value_pct", "model_pct"]]
    checks = checks.rename(columns={"model_pct": f"scale_{scale}"})
    for label, vals in sorted(done.items()):
        checks[label] = [vals.get(k, np.nan) for k in checks["target"]]
    write_csv(out / "scale_check.csv", _decimals(checks, 3))
    figures(table, post, summary, out)
    md = [
        f"# Calibration report: `{set_name}`\n",
        f"Base: `{' '.join(result['base'])}`; calibration scale {scale}. Targets: "
        f"`{Path(opts['targets']).name}`. ABC-SMC: {len(result['generations'])} generations x "
        f"{opts['particles']} particles, quantile {opts['quantile']}, seed {opts['abc_seed']}. "
        f"{result['evaluations']} evaluations, median {result['eval_seconds']:.1f} s each, "
        f"{result['seconds'] / 60:.1f} min in this session (resumed evaluations not timed).\n",
        f"Calibrated set: the {result['chosen_kind']} of the last generation, "
        f"loss {result['chosen']['distance']:.3f} (weighted RMS standardised error on the 'fit'"
        " targets; see docs/calibration.md).\n",
        "## Targets: survey against model\n",
        _md_table(table.drop(columns=["source", "weight"])),
        "\n## Generations\n",
        _md_table(gens, "{:.3f}"),
        "\n## Posterior (last generation, weighted) against the uniform prior\n",
        _md_table(summary, "{:.3f}"),
        "\n## Network checks (Cacioppo, Fowler & Christakis 2009)\n",
        "Lonely = survey answer sometimes or often/always (16+). 'raw' is P(lonely | a lonely "
        "friend at distance d) / prevalence - 1; 'null' the same with lonely labels shuffled; "
        "'net' the raw excess relative to the null.\n\n",
        _md_table(net, "{:.3f}"),
        "\n## Other seeds and a larger scale (calibrated thresholds, not refitted)\n",
        _md_table(checks, "{:.2f}"),
        "\n![fit](fit.png)\n\n![posterior](posterior.png)\n",
    ]
    atomic_write(out / "fit_report.md", "\n".join(md))
