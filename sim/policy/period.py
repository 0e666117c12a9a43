"""The service figures of one recording period, as rows of the monthly table.

The recorder (:mod:`sim.engine.recorder`) observes the service pipeline through
``model.services.period_rows(model, week)``, which builds these rows: flows since the last record
and stocks by municipality, costs by lever and by funder (after cost sharing), bills by
municipality and other funders, and home -> place flows across municipal borders. Everything is
read only; the plan's ``reset_period`` row starts the next period from zero afterwards.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.policy.accounting import BILL_OTHERS, costs_by_funder
from sim.policy.flows import FLOW_MATRICES, FLOWS, STOCKS
from sim.policy.levers import FUNDERS


def period_rows(model, week: int) -> pd.DataFrame:
    """Service flows (since the last record), stocks and costs, at full population scale.

    Args:
        model: the model (its ``services``, ``scenario``, ``region`` and population scale).
        week: the record week, written in the ``week`` column.

    Returns:
        Rows ``week, measure, dimension, group, value, n`` (``n`` is 0: not survey shares).
    """
    matrices, bills, flows, stocks, costs = model.services.period(model)
    scale = model.cfg.population.scale
    counts = np.vstack([flows, stocks]) / scale
    names = list(FLOWS) + list(STOCKS)
    munis = list(model.region.municipalities["name"])
    levers = model.scenario.levers
    funder = costs_by_funder(levers, costs, bills)
    # home -> place flows across borders (wide-area use), nonzero cells only
    across = matrices.sum(axis=0)
    np.fill_diagonal(across, 0.0)
    h, d = np.nonzero(across)
    flow_names = np.repeat(FLOW_MATRICES, h.size)
    flow_groups = [f"{munis[a]}→{munis[b]}" for a, b in zip(h, d, strict=True)]
    parts = [
        (np.repeat(names, 1), "all", ["all"] * len(names), counts.sum(axis=1)),
        (np.repeat(names, len(munis)), "municipality", munis * len(names), counts.ravel()),
        (["cost_yen"] * len(levers), "lever", [lv.id for lv in levers], costs),
        (["cost_yen"] * len(FUNDERS), "funder", list(FUNDERS), funder),
        (["cost_yen"], "all", ["all"], np.array([costs.sum()])),
        (["cost_yen"] * bills.size, "municipality_bill", munis + list(BILL_OTHERS), bills),
        (flow_names, "flow", flow_groups * len(FLOW_MATRICES),
         matrices[:, h, d].ravel() / scale),
    ]  # fmt: skip
    frames = [
        pd.DataFrame({"measure": m, "dimension": d, "group": g, "value": v})
        for m, d, g, v in parts
        if len(v)
    ]
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "week", week)
    out["n"] = 0
    return out
