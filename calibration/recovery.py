"""Parameter recovery of the pyabc calibration: synthetic truths drawn from the prior.

For each of ``truths`` parameter sets drawn from the prior (stream ``calibration_recovery`` of
``seed``), the model is run with the truth on the *data seed* and surveyed: those values are the
synthetic targets. The calibration (:func:`calibration.smc.abc_smc`, the same engine, distance
and sampler as ``tsunagari calibrate``) then fits them with its evaluations on the *evaluation
seed* (common random numbers, as in a real calibration), so the data carry seed noise the model
runs do not share, as a real survey does. The 90% credible interval of each parameter (weighted
5-95% quantiles of the last generation) is checked against the truth.

Usage::

    python -m calibration.recovery [truths=20] [particles=40] [generations=3] [out=DIR] ...

Writes ``recovery.csv`` (one row per truth and parameter) and ``recovery_summary.csv`` (coverage
by parameter and overall) in ``out`` (default ``calibration/recovery/``); the runs (shared
evaluations, one pyabc history per truth) go to ``calibration/runs/recovery/``, so rerunning the
same command resumes.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.abc import Prior, load_prior
from calibration.evaluation import CalibrationJob, Task
from calibration.smc import ReplicateJob, abc_smc, noise_floor, to_generation
from calibration.store import EvaluationStore
from sim.core.params import ConfigError

#: the cheap configuration of the recovery runs (Tottori, tiny scale, short burn-in)
BASE = [
    "region=tottori", "population.scale=0.01", "burn_in_weeks=8", "calibration=none",
    "demography=static", "layers.commuting_areas=prefecture",
]  # fmt: skip
#: the fitted parameters of the recovery runs
PARAMETERS = {
    "dynamics.loneliness.gap_effect": (0.5, 3.5),
    "dynamics.loneliness.no_confidant": (0.2, 1.6),
}
#: targets of the recovery runs: (target, measure, group, role)
ROWS = [
    ("c_never", "never", "all", "threshold", 18.17),
    ("c_hardly_ever", "hardly_ever", "all", "threshold", 42.03),
    ("c_occasionally", "occasionally", "all", "threshold", 20.0),
    ("c_sometimes", "sometimes", "all", "threshold", 15.03),
    ("c_often_always", "often_always", "all", "threshold", 4.87),
    ("oa_20s", "often_always", "age_20s", "fit", 0.0),
    ("oa_70s", "often_always", "age_70s", "fit", 0.0),
    ("oa_alone", "often_always", "single_person_household", "fit", 0.0),
    ("oa_noconf", "often_always", "no_one_to_consult", "fit", 0.0),
    ("oa_conf", "often_always", "has_someone_to_consult", "fit", 0.0),
    ("any_noconf", "any_loneliness", "no_one_to_consult", "fit", 0.0),
    ("any_20s", "any_loneliness", "age_20s", "fit", 0.0),
]
OPTIONS = {
    "truths": "20",
    "particles": "40",
    "generations": "3",
    "quantile": "0.5",
    "abc_seed": "1",
    "seed": "1",
    "data_seed": "7",
    "eval_seed": "42",
    "floor_level": "0.95",
    "floor_draws": "20",
    "scale": "0.01",
    "out": "",
}


def targets_frame(values: dict[str, float] | None = None) -> pd.DataFrame:
    """The recovery targets, with ``values`` for the fit rows (else 0).

    The thresholds are the national 2023 answer shares, matched exactly by every evaluation as
    in the calibration.
    """
    t = pd.DataFrame(ROWS, columns=["target", "measure", "group", "role", "value_pct"])
    t["year"], t["weight"], t["source"] = 2023, 1.0, "synthetic"
    fit = t["role"] == "fit"
    t.loc[fit, "value_pct"] = [float((values or {}).get(k, 0.0)) for k in t.loc[fit, "target"]]
    return t


def prior_of(parameters: dict[str, tuple[float, float]]) -> Prior:
    """The uniform prior of ``parameters``."""
    names = list(parameters)
    return Prior(names, np.array([parameters[k][0] for k in names]),
                 np.array([parameters[k][1] for k in names]))  # fmt: skip


def draw_truths(prior: Prior, k: int, seed: int) -> np.ndarray:
    """``k`` truths from the prior (stream ``calibration_recovery``)."""
    from sim.core.rng import Streams

    return prior.sample(k, Streams(seed).get("calibration_recovery"))


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """Weighted quantile (inverse of the weighted empirical distribution)."""
    order = np.argsort(x)
    cw = np.cumsum(w[order]) / np.sum(w)
    return float(x[order][min(np.searchsorted(cw, q), x.size - 1)])


def recover(
    truths: np.ndarray,
    prior: Prior,
    folder: Path,
    *,
    base: list[str] = BASE,
    particles: int = 40,
    generations: int = 3,
    quantile: float = 0.5,
    abc_seed: int = 1,
    data_seed: int = 7,
    eval_seed: int = 42,
    floor_draws: int = 20,
    floor_level: float = 0.95,
    log=print,
) -> pd.DataFrame:
    """Fit each truth's synthetic targets; one row per truth and parameter.

    Evaluations are shared between truths (a store keyed by parameter values: a particle's
    survey values do not depend on the targets), and every truth's fit starts from the same
    prior draws (one ABC seed), so generation 1 is run once for all truths.
    """
    from calibration.evaluation import evaluator_for

    targets_path = folder / "targets.csv"
    folder.mkdir(parents=True, exist_ok=True)
    targets_frame().to_csv(targets_path, index=False)
    data_job = CalibrationJob([*base, f"seed={data_seed}"], str(targets_path))
    job = ReplicateJob(base, str(targets_path), seeds=(eval_seed,))
    settings = {"base": base, "eval_seed": eval_seed, "parameters": prior.names,
                "low": prior.low.tolist(), "high": prior.high.tolist()}  # fmt: skip
    shared = EvaluationStore(folder / "evaluations", settings)
    rows = []
    with evaluator_for({"workers": "1"}) as ev:
        floor, _ = noise_floor(
            job, ReplicateJob(base, str(targets_path), seeds=(data_seed + 1,)), prior,
            targets_frame(), ev, shared, draws=floor_draws, level=floor_level, seed=abc_seed,
        )  # fmt: skip
        log(f"recovery: threshold floor (seed noise, level {floor_level}) {floor:.3f}")
        for i, th in enumerate(truths):
            t0 = time.perf_counter()
            truth = dict(zip(prior.names, map(float, th), strict=True))
            (rec,) = ev.evaluate(data_job, [Task(f"truth{i}", truth)])
            targets = targets_frame(rec["values"])
            run = folder / f"truth_{i:02d}"
            run.mkdir(exist_ok=True)
            store = _SharedStore(shared, run)
            history = abc_smc(
                job, prior, targets, store, ev, n_gen=generations, n=particles,
                quantile=quantile, seed=abc_seed, eps_floor=floor, log=lambda *_: None,
            )  # fmt: skip
            last = to_generation(history, history.max_t, prior)
            for k, name in enumerate(prior.names):
                x = last.theta[:, k]
                lo, hi = (weighted_quantile(x, last.weights, q) for q in (0.05, 0.95))
                rows.append(
                    {
                        "truth_id": i,
                        "parameter": name,
                        "truth": th[k],
                        "posterior_mean": float(last.weights @ x),
                        "q05": lo,
                        "q95": hi,
                        "covered": bool(lo <= th[k] <= hi),
                        "sd_ratio": float(last.sd()[k] / prior.sd()[k]),
                        "epsilon": last.eps,
                        "eps_floor": floor,
                    }
                )
            log(
                f"recovery: truth {i + 1}/{len(truths)} "
                + ", ".join(
                    f"{r['parameter'].rsplit('.', 1)[-1]} {r['truth']:.2f} in "
                    f"[{r['q05']:.2f}, {r['q95']:.2f}]"
                    for r in rows[-prior.dim :]
                )
                + f" ({time.perf_counter() - t0:.0f} s)"
            )
    return pd.DataFrame(rows)


class _SharedStore:
    """A run folder (for ``history.db``) whose evaluations live in a shared store."""

    def __init__(self, shared: EvaluationStore, folder: Path) -> None:
        self.shared, self.folder = shared, folder

    def __contains__(self, key: str) -> bool:
        return key in self.shared

    def get(self, key: str):
        """The shared record of ``key``."""
        return self.shared.get(key)

    def append(self, record: dict) -> None:
        """Store one evaluation in the shared store."""
        self.shared.append(record)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the 90% intervals by parameter and overall, with mean sd ratio."""
    rows = []
    for name, g in [*table.groupby("parameter", sort=False), ("all", table)]:
        rows.append(
            {
                "parameter": name,
                "intervals": len(g),
                "covered": int(g["covered"].sum()),
                "coverage": float(g["covered"].mean()),
                "mean_sd_ratio": float(g["sd_ratio"].mean()),
                "mean_abs_error": float((g["posterior_mean"] - g["truth"]).abs().mean()),
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m calibration.recovery KEY=VALUE...``."""
    from calibration.fit import calibration_dir
    from sim.core.files import write_csv

    opts = dict(OPTIONS)
    for a in sys.argv[1:] if argv is None else argv:
        key, eq, value = a.partition("=")
        if not eq or key not in OPTIONS:
            print(f"recovery: error: {key}: unknown option ({', '.join(OPTIONS)})", file=sys.stderr)
            return 2
        opts[key] = value
    try:
        ints = {
            k: int(opts[k]) for k in OPTIONS if k not in ("quantile", "out", "floor_level", "scale")
        }
        level, scale = float(opts["floor_level"]), float(opts["scale"])
    except ValueError as e:
        print(f"recovery: error: {e}", file=sys.stderr)
        return 2
    out = Path(opts["out"] or calibration_dir() / "recovery")
    runs = out / "runs" if opts["out"] else calibration_dir() / "runs" / "recovery"
    prior = prior_of(PARAMETERS)
    truths = draw_truths(prior, ints["truths"], ints["seed"])
    t0 = time.perf_counter()
    try:
        table = recover(
            truths, prior, runs, base=[*BASE[:1], f"population.scale={scale}", *BASE[2:]],
            particles=ints["particles"], floor_draws=ints["floor_draws"], floor_level=level,
            generations=ints["generations"], quantile=float(opts["quantile"]),
            abc_seed=ints["abc_seed"], data_seed=ints["data_seed"], eval_seed=ints["eval_seed"],
        )  # fmt: skip
    except ConfigError as e:
        print(f"recovery: error: {e}", file=sys.stderr)
        return 2
    summary = summarise(table)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "recovery.csv", table, float_format="%.4g")
    write_csv(out / "recovery_summary.csv", summary, float_format="%.4g")
    (out / "recovery_options.json").write_text(json.dumps(opts, indent=1))
    print(summary.to_string(index=False))
    print(f"recovery: {len(truths)} truths in {time.perf_counter() - t0:.0f} s; {out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["draw_truths", "load_prior", "recover", "summarise"]
