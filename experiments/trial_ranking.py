"""Which effect assumptions move the ranking of the library packages (Morris screening).

``python -m experiments.trial_ranking [r=8] [population.scale=0.0181] [workers=2]`` runs
``tsunagari sensitivity method=morris`` once per package (places_first, people_first,
digital_first) over the effect priors and behavioural assumptions of docs/evidence.md, with the
same Morris design and seeds for every package (so each design point is one world in which the
three packages are compared), then screens the *differences* between packages' lonely
person-years: a parameter with a large mu* on a difference moves the ranking of that pair. It
writes ``ranking_indices.csv`` (mu*, its interval and sigma for every pair and parameter) and
``ranking_points.csv`` (the best package at every design point) into ``out=`` (default
outputs/morris-ranking).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd

PACKAGES = ("places_first", "people_first", "digital_first")
PARAMS = (
    "services.smd_support",
    "services.smd_remote",
    "services.smd_role",
    "services.support_halflife_weeks",
    "services.visit_contact",
    "services.supporter_followup",
    "services.venue_weight",
)
OUTCOME = "py_lonely"


def main(argv: list[str]) -> int:
    """Run the three screenings (resumable) and analyse the differences between packages."""
    from experiments import commands
    from experiments import sensitivity as sa

    opts = {"r": "8", "out": "outputs/morris-ranking", "population.scale": "0.0181"}
    rest = []
    for a in argv:
        k, sep, v = a.partition("=")
        if sep and k in opts:
            opts[k] = v
        else:
            rest.append(a)
    out = Path(opts["out"])
    outcomes, X, prob = {}, None, None
    for package in PACKAGES:
        over = ["method=morris", f"r={opts['r']}", f"package={package}", "seeds=1", "seed=1",
                f"params=[{','.join(PARAMS)}]", f"outcomes=[{OUTCOME}]", "dummy=true",
                f"population.scale={opts['population.scale']}", "years=5",
                f"out={out / package}", *rest]  # fmt: skip
        sweep, prob_p, X_p = commands.sensitivity_sweep(over)
        commands._execute(sweep)
        commands.require_complete(sweep)
        df = sweep.store.outcomes()
        outcomes[package] = df.groupby("sample")[OUTCOME].mean().sort_index().to_numpy(float)
        if X is not None and not np.array_equal(X, X_p):
            raise RuntimeError("the Morris designs of the packages differ")
        X, prob = X_p, prob_p
    tables = []
    for a, b in itertools.combinations(PACKAGES, 2):
        first, _ = sa.analyze("morris", prob, X, outcomes[a] - outcomes[b], seed=1)
        tables.append(first.assign(pair=f"{a} - {b}"))
    indices = pd.concat(tables, ignore_index=True)
    Y = np.vstack([outcomes[p] for p in PACKAGES])
    points = pd.DataFrame(X, columns=prob["names"]).assign(
        **{p: outcomes[p] for p in PACKAGES}, best=[PACKAGES[i] for i in Y.argmin(axis=0)]
    )
    out.mkdir(parents=True, exist_ok=True)
    indices.to_csv(out / "ranking_indices.csv", index=False, float_format="%.6g")
    points.to_csv(out / "ranking_points.csv", index=False, float_format="%.6g")
    print(indices.to_string(index=False))
    print("\nbest package at the design points:")
    print(points["best"].value_counts().to_string())
    print(f"output: {out}/ranking_indices.csv, ranking_points.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
