"""Running pyabc's ABC-SMC generation by generation, and reading its history back.

Split from :mod:`calibration.smc`: :func:`abc_smc` (new or resumed run until the history holds
the generations asked for), the option checks, the live status line, and the history read as
the report's tables (:func:`generation_table`) and generations (:func:`to_generation`).
"""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pandas as pd

from calibration.abc import Generation, Prior, ess
from calibration.smc_engine import FIRST_RATE, Engine, _floored, _pyabc, _sampler_class, pyabc_name
from calibration.store import EvaluationStore
from sim.core.params import ConfigError
from sim.core.progress import Progress, duration


def generation_table(history) -> pd.DataFrame:
    """``generation, epsilon, ess, particles, evaluations, acceptance`` of each generation."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    rows = []
    for r in pops.itertuples():
        wd = history.get_weighted_distances(t=int(r.t))
        w = wd["w"].to_numpy(float)
        w = w / w.sum()
        rows.append(
            {
                "generation": int(r.t) + 1,
                "epsilon": float(r.epsilon),
                "ess": ess(w),
                "particles": int(r.particles),
                "evaluations": int(r.samples),
                "acceptance": int(r.particles) / max(int(r.samples), 1),
                "best_distance": float(wd["distance"].min()),
                "median_distance": float(wd["distance"].median()),
            }
        )
    return pd.DataFrame(rows)


def to_generation(history, t: int, prior: Prior) -> Generation:
    """Generation ``t`` of the pyabc history as the report's :class:`Generation`."""
    df, w = history.get_distribution(m=0, t=t)
    theta = df[[pyabc_name(n) for n in prior.names]].to_numpy(float)
    wd = history.get_weighted_distances(t=t)
    eps = float(history.get_all_populations().set_index("t").loc[t, "epsilon"])
    w = np.asarray(w, float)
    return Generation(
        t,
        eps,
        theta,
        wd["distance"].to_numpy(float),
        accepted=np.arange(theta.shape[0]),
        weights=w / w.sum(),
    )


def check_options(opts: dict) -> None:
    """Refuse bad pyabc options in one line, before any work starts."""
    r = opts.get("replicates", "1")
    if not r.isdigit() or not 1 <= int(r) <= 20:
        raise ConfigError(f"replicates: expected an integer from 1 to 20, got '{r}'")
    floor = opts.get("eps_floor", "auto")
    if floor not in ("auto", "none"):
        try:
            ok = float(floor) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise ConfigError(f"eps_floor: expected auto, none or a number >= 0, got '{floor}'")
    if opts.get("distance", "standardised") not in ("standardised", "adaptive"):
        raise ConfigError(
            f"distance: unknown distance '{opts['distance']}' (choose: standardised, adaptive)"
        )


class _Status:
    """Live line (terminal) and log lines of the sampler: generation, epsilon, acceptance."""

    def __init__(self, n_gen: int, n: int, per_eval: float, workers: int, log) -> None:
        self.n_gen, self.n, self.per_eval, self.workers, self.log = n_gen, n, per_eval, workers, log
        self.eps = math.inf
        self.rate = FIRST_RATE
        self.progress = Progress(1, label="calibrate:")
        self.t0 = time.monotonic()

    def left(self, t: int, accepted: int, rate: float) -> float:
        """Seconds left: this generation's missing particles, then the later generations."""
        rate = max(rate, 0.01)
        evals = (self.n - accepted) / rate + (self.n_gen - t - 1) * self.n / rate
        return evals * self.per_eval / max(1, min(self.workers, os.cpu_count() or 1))

    def __call__(self, t: int, n: int, accepted: int, n_sim: int) -> None:
        rate = accepted / n_sim if t > 0 and n_sim >= 10 else self.rate
        p = self.progress
        if not (p.show and p.tty):
            return
        eps = "inf" if not math.isfinite(self.eps) else f"{self.eps:.4f}"
        text = (
            f"calibrate: generation {t + 1}/{self.n_gen}, epsilon {eps}, accepted {accepted}/{n} "
            f"of {n_sim} ({100 * accepted / max(n_sim, 1):.0f}%), "
            f"about {duration(self.left(t, accepted, rate))} left"
        )
        p.stream.write("\r" + text + "   ")
        p.stream.flush()
        p._open = True

    def generation(self, row: dict, t: int) -> None:
        """One line per finished generation."""
        self.progress.close()
        self.rate = row["acceptance"] if t > 0 else self.rate
        self.log(
            f"generation {int(row['generation'])}/{self.n_gen}: epsilon {row['epsilon']:.4f}, "
            f"accepted {int(row['particles'])}/{int(row['evaluations'])} "
            f"({100 * row['acceptance']:.1f}%), ESS {row['ess']:.1f}, "
            f"best distance {row['best_distance']:.3f}; "
            f"{duration(time.monotonic() - self.t0)} so far, "
            f"about {duration(self.left(t, self.n, self.rate))} left"
        )


def abc_smc(
    job,
    prior: Prior,
    targets: pd.DataFrame,
    store: EvaluationStore,
    ev,
    *,
    n_gen: int,
    n: int,
    quantile: float,
    seed: int,
    kind: str = "standardised",
    workers: int = 1,
    per_eval: float = 1.0,
    eps_floor: float = 0.0,
    log=print,
):
    """Run (or continue) pyabc's ABC-SMC until the history holds ``n_gen`` generations.

    Args:
        job: the evaluation job (:class:`ReplicateJob`, or any job whose records hold
            ``values`` of the targets).
        prior: parameters and uniform ranges.
        targets: the targets table (``fit`` rows are fitted).
        store: the run's evaluations; its folder holds ``history.db``.
        ev: a started evaluator.
        n_gen: generations the history should hold when done.
        n: particles per generation.
        quantile: alpha of :class:`pyabc.QuantileEpsilon`.
        seed: the ABC seed (proposals depend on it and the generation only).
        kind: ``standardised`` or ``adaptive`` distance.
        workers: parallel evaluations (batch sizes are multiples of it).
        per_eval: seconds per evaluation on one worker (time left).
        eps_floor: the threshold never goes below this (the seed-noise level,
            :func:`noise_floor`; 0: no floor).
        log: where generation lines go.

    Returns:
        The pyabc history.
    """
    pyabc = _pyabc()
    status = _Status(n_gen, n, per_eval, workers, log)
    db = "sqlite:///" + str((store.folder / "history.db").resolve())
    engine = Engine(prior, targets, job, store, ev)
    sampler = _sampler_class()(engine, seed, workers, status)
    prior_pyabc = pyabc.Distribution(
        **{
            pyabc_name(k): pyabc.RV("uniform", lo, hi - lo)
            for k, lo, hi in zip(prior.names, prior.low, prior.high, strict=True)
        }
    )
    fit = targets[targets["role"] == "fit"]
    if kind == "adaptive":
        dist = pyabc.AdaptivePNormDistance(
            p=2,
            fixed_weights=dict(zip(fit["target"], fit["weight"].astype(float), strict=True)),
        )
        eps = _floored(pyabc)(eps_floor, alpha=quantile, weighted=True)
    else:
        dist = engine.distance
        eps = _floored(pyabc)(eps_floor, initial_epsilon=math.inf, alpha=quantile, weighted=True)
    abc = pyabc.ABCSMC(
        engine,
        prior_pyabc,
        dist,
        population_size=n,
        sampler=sampler,
        eps=eps,
        transitions=pyabc.MultivariateNormalTransition(),
    )
    x_0 = dict(zip(fit["target"], fit["value_pct"].astype(float), strict=True))
    if (store.folder / "history.db").exists() and _has_run(db):
        history = abc.load(db, 1)
        done = history.max_t + 1
        if done:
            log(f"calibrate: resuming after {done} stored generation(s)")
    else:
        history = abc.new(db, x_0)
        done = 0
    while done < n_gen:
        history = abc.run(max_nr_populations=1)
        done = history.max_t + 1
        status.generation(generation_table(history).iloc[-1].to_dict(), history.max_t)
    return history


def _has_run(db: str) -> bool:
    """Whether the SQLite history holds a started ABC-SMC run with at least its settings."""
    from pyabc import History

    try:
        h = History(db, create=False)
        return len(h.all_runs()) > 0
    except Exception:  # a file torn before pyabc wrote its tables
        return False
