"""Network checks against Cacioppo, Fowler & Christakis (2009), from the friendship network.

Cacioppo et al. (Framingham Heart Study) found that a person is more likely to be lonely when a
friend at distance 1, 2 or 3 is lonely: about +52%, +25% and +15% above baseline, and that
lonely people have fewer ties (they sit at the network's edge). Here ``lonely`` is the simulated
survey answer 'often/always' or 'sometimes' (16+), and distance is in the friendship network
(``model.friends.src/dst``). The excess risk is reported raw (relative to prevalence) and against
a null with lonely labels shuffled among the surveyed residents, which removes the part due
only to how many people are reachable at each distance.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.engine.survey import SURVEY_MIN_AGE

#: published excess risk of loneliness given a lonely alter at distance 1, 2, 3
PUBLISHED = {1: 0.52, 2: 0.25, 3: 0.15}


def _exact_distance_sets(adj: sp.csr_matrix, max_d: int) -> list[sp.csr_matrix]:
    """Boolean matrices of pairs at exactly distance 1..max_d."""
    n = adj.shape[0]
    seen = (sp.identity(n, format="csr", dtype=bool) + adj).astype(bool)
    frontier = adj.astype(bool)
    out = [frontier]
    for _ in range(max_d - 1):
        nxt = (frontier.astype(np.float32) @ adj.astype(np.float32)).astype(bool)
        nxt = nxt - nxt.multiply(seen)
        nxt.eliminate_zeros()
        nxt = nxt.astype(bool)
        seen = (seen + nxt).astype(bool)
        out.append(nxt)
        frontier = nxt
    return out


def _ratio(a: float, b: float) -> float:
    """``a / b``, NaN when ``b`` is zero or either is NaN."""
    return a / b if b and np.isfinite(a) and np.isfinite(b) else float("nan")


def network_stats(model, lonely: np.ndarray, seed: int = 0, max_d: int = 3) -> dict:
    """Excess loneliness risk by distance to a lonely friend, and degree by loneliness.

    Args:
        model: a model surveyed in December.
        lonely: bool per resident (survey answer sometimes or more; only 16+ are counted).
        seed: seed of the label shuffle for the null.
        max_d: largest distance.

    Returns:
        Dict with ``prevalence``, per distance ``d``: ``p_lonely_given_d``, ``excess_d``
        (relative to prevalence), ``null_excess_d`` (shuffled labels) and ``net_excess_d``
        (``(1 + excess) / (1 + null_excess) - 1``), and mean degrees.
    """
    f = model.friends
    n = model.pop.n
    adult = model.pop.age >= SURVEY_MIN_AGE
    data = np.ones(2 * f.n_edges, np.float32)
    rows = np.concatenate([f.src, f.dst])
    cols = np.concatenate([f.dst, f.src])
    adj = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    adj.data[:] = 1.0
    sets = _exact_distance_sets(adj, max_d)
    lon = lonely & adult
    prev = float(lon[adult].mean())
    rng = np.random.default_rng(seed)
    shuffled = np.zeros(n, bool)
    shuffled[adult] = rng.permutation(lon[adult])
    out: dict = {"prevalence": prev, "n_surveyed": int(adult.sum())}
    for d, mat in enumerate(sets, start=1):
        m = mat.astype(np.float32)
        has = (m @ lon.astype(np.float32)) > 0
        has_null = (m @ shuffled.astype(np.float32)) > 0
        ego = adult & has
        p = float(lon[ego].mean()) if ego.any() else np.nan
        p_null = float(shuffled[adult & has_null].mean()) if (adult & has_null).any() else np.nan
        out[f"p_lonely_given_{d}"] = p
        out[f"excess_{d}"] = _ratio(p, prev) - 1
        out[f"null_excess_{d}"] = _ratio(p_null, prev) - 1
        # NaN when the shuffled labels leave no lonely resident at this distance
        out[f"net_excess_{d}"] = _ratio(_ratio(p, prev), _ratio(p_null, prev)) - 1
        out[f"n_egos_{d}"] = int(ego.sum())
    deg = f.degree
    out["mean_degree_lonely"] = float(deg[lon].mean())
    out["mean_degree_not_lonely"] = float(deg[adult & ~lon].mean())
    out["share_isolates_lonely"] = float((deg[lon] == 0).mean())
    out["share_isolates_not_lonely"] = float((deg[adult & ~lon] == 0).mean())
    return out
