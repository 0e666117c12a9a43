"""ABC-SMC (population Monte Carlo ABC) with a quantile threshold and fixed batches.

Priors are uniform on the ranges of ``calibration/parameters.yaml`` (each inside the declared
range of :func:`sim.core.params.describe`). Generation 0 draws from the prior and accepts
everything.
Generation ``t >= 1`` draws a fixed number of proposals: a parent is picked by importance weight
from the accepted particles of generation ``t-1`` and moved by a Gaussian kernel with twice their
weighted covariance (Beaumont et al. 2009), redrawn until it falls inside the prior box. A proposal
is accepted when its distance is at most ``eps_t``, the ``quantile`` (e.g. 30%) of the distances of
generation ``t-1``'s proposals (never above ``eps_{t-1}``). Accepted particles get weights
``prior(theta) / sum_j W_j K(theta | theta_j)``. Proposals depend only on the seed, the generation
and the previous generation, so an interrupted calibration resumes to identical results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: fewest particles kept in a generation (the best ones, if fewer pass the threshold)
MIN_ACCEPTED = 8


@dataclass
class Prior:
    """Uniform prior on a box of named parameters."""

    names: list[str]
    low: np.ndarray
    high: np.ndarray

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return len(self.names)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` draws, shape ``(n, dim)``."""
        return self.low + (self.high - self.low) * rng.random((n, self.dim))

    def inside(self, theta: np.ndarray) -> np.ndarray:
        """Whether each row lies inside the box."""
        return np.all((theta >= self.low) & (theta <= self.high), axis=-1)

    def sd(self) -> np.ndarray:
        """Prior standard deviation of each parameter."""
        return (self.high - self.low) / math.sqrt(12.0)


def load_prior(path: str | Path) -> Prior:
    """Read the parameter list and check each range lies inside the declared range.

    Raises:
        sim.core.params.ConfigError: for an unknown parameter or a range outside the declared one.
    """
    from sim.config import RunConfig
    from sim.core.params import ConfigError, describe

    declared = {p.name: p for p in describe(RunConfig)}
    from sim.core.yamlfile import load_yaml

    doc = load_yaml(path, f"parameters: '{path}'")
    entries = doc.get("parameters") if isinstance(doc, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and {"name", "low", "high"} <= set(e) for e in entries
    ):
        raise ConfigError(
            f"parameters: '{path}' must hold 'parameters:', a list of name/low/high entries"
        )
    names, low, high = [], [], []
    for e in entries:
        name = str(e["name"])
        base, _, index = name.partition("[")
        info = declared.get(base)
        if info is None:
            raise ConfigError(f"parameters: '{name}' is not a declared parameter")
        if index and not isinstance(info.default, list | tuple):
            raise ConfigError(f"parameters: '{base}' is not a list, so '{name}' has no element")
        try:
            lo, hi = float(e["low"]), float(e["high"])
        except (TypeError, ValueError):
            raise ConfigError(f"parameters: {name}: low and high must be numbers") from None
        if not (info.low <= lo < hi <= info.high):
            raise ConfigError(
                f"parameters: {name} range [{lo}, {hi}] not inside [{info.low}, {info.high}]"
            )
        names.append(name)
        low.append(lo)
        high.append(hi)
    return Prior(names, np.asarray(low), np.asarray(high))


def distance(values: dict[str, float], targets: pd.DataFrame) -> float:
    """Weighted root-mean-square standardised error over the 'fit' targets.

    Each error (percentage points) is divided by ``sqrt(p (100 - p)) / 10`` with ``p`` the
    survey value, i.e. by the binomial standard deviation of a survey of 100 people: a 2-point
    miss on a 5% target weighs about as much as a 5-point miss on a 50% target.
    """
    fit = targets[targets["role"] == "fit"]
    p = fit["value_pct"].to_numpy(float)
    m = np.asarray([values.get(t, np.nan) for t in fit["target"]], float)
    if not np.all(np.isfinite(m)):
        return math.inf
    s = np.sqrt(np.maximum(p * (100 - p), 1.0)) / 10
    w = fit["weight"].to_numpy(float)
    return float(np.sqrt(np.sum(w * ((m - p) / s) ** 2) / np.sum(w)))


@dataclass
class Generation:
    """Accepted particles of one generation, with what produced them."""

    index: int
    eps: float
    proposals: np.ndarray  # (n, dim) every proposal
    distances: np.ndarray  # (n,) distance of every proposal
    accepted: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # indices
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))  # normalised

    @property
    def theta(self) -> np.ndarray:
        """Accepted parameter sets."""
        return self.proposals[self.accepted]

    def mean(self) -> np.ndarray:
        """Weighted posterior mean."""
        return self.weights @ self.theta

    def cov(self) -> np.ndarray:
        """Weighted covariance of the accepted particles."""
        x = self.theta - self.mean()
        return (self.weights[:, None] * x).T @ x / max(1e-12, 1 - np.sum(self.weights**2))

    def sd(self) -> np.ndarray:
        """Weighted posterior standard deviation of each parameter."""
        return np.sqrt(np.clip(np.diag(self.cov()), 0, None))

    def quantile(self, q: float) -> np.ndarray:
        """Weighted quantile ``q`` of each parameter."""
        out = []
        for k in range(self.theta.shape[1]):
            order = np.argsort(self.theta[:, k])
            cw = np.cumsum(self.weights[order])
            out.append(self.theta[order[min(np.searchsorted(cw, q), order.size - 1)], k])
        return np.asarray(out)


def kernel_cov(prev: Generation, prior: Prior) -> np.ndarray:
    """Twice the weighted covariance of the previous generation (regularised)."""
    cov = 2.0 * prev.cov()
    return cov + np.diag((1e-6 * (prior.high - prior.low)) ** 2)


def propose(gen: int, prev: Generation | None, prior: Prior, n: int, seed: int) -> np.ndarray:
    """The ``n`` proposals of generation ``gen`` (deterministic from seed and ``prev``)."""
    rng = np.random.default_rng([seed, gen, 20240])
    if prev is None:
        return prior.sample(n, rng)
    chol = np.linalg.cholesky(kernel_cov(prev, prior))
    theta = prev.theta
    out = np.empty((n, prior.dim))
    for i in range(n):
        for _ in range(10_000):
            parent = theta[rng.choice(theta.shape[0], p=prev.weights)]
            cand = parent + chol @ rng.standard_normal(prior.dim)
            if prior.inside(cand):
                break
        else:  # pragma: no cover - a kernel that never lands inside the box
            cand = np.clip(cand, prior.low, prior.high)
        out[i] = cand
    return out


def accept(
    gen: int,
    proposals: np.ndarray,
    distances: np.ndarray,
    prev: Generation | None,
    prior: Prior,
    quantile: float,
) -> Generation:
    """Accept the proposals within the threshold and give them importance weights."""
    d = np.where(np.isfinite(distances), distances, np.inf)
    if prev is None:
        eps = math.inf
    else:
        finite = prev.distances[np.isfinite(prev.distances)]
        eps = min(prev.eps, float(np.quantile(finite, quantile)))
    ok = np.flatnonzero(d <= eps)
    if ok.size < MIN_ACCEPTED:
        ok = np.sort(np.argsort(d, kind="stable")[:MIN_ACCEPTED])
        eps = float(d[ok].max())
    g = Generation(gen, eps, proposals, d, accepted=ok)
    if prev is None:
        g.weights = np.full(ok.size, 1.0 / ok.size)
        return g
    cov = kernel_cov(prev, prior)
    inv = np.linalg.inv(cov)
    diff = proposals[ok][:, None, :] - prev.theta[None, :, :]
    logk = -0.5 * np.einsum("ijk,kl,ijl->ij", diff, inv, diff)
    mx = logk.max(axis=1, keepdims=True)
    denom = np.log(np.exp(logk - mx) @ prev.weights) + mx[:, 0]
    logw = -denom  # uniform prior: constant inside the box
    w = np.exp(logw - logw.max())
    g.weights = w / w.sum()
    return g


def ess(weights: np.ndarray) -> float:
    """Effective sample size of normalised weights."""
    return float(1.0 / np.sum(weights**2)) if weights.size else 0.0


def choose_point(mean: dict, best: dict, log) -> tuple[dict, str]:
    """The calibrated set's point: the better-fitting of the posterior mean and best particle.

    With a wide posterior the mean of the cloud can fit worse than its best particle. Both are
    evaluation records (with ``distance``); says which was chosen through ``log``.

    Returns:
        ``(record, kind)`` with kind ``"posterior mean"`` or ``"best particle"``.
    """
    chosen, kind = (mean, "posterior mean") if mean["distance"] <= best["distance"] else (
        best, "best particle")  # fmt: skip
    log(
        f"posterior mean distance {mean['distance']:.3f}, best particle {best['distance']:.3f}: "
        f"calibrated set = {kind}"
    )
    return chosen, kind
