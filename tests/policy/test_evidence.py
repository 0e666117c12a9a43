"""The evidence table by lever type and the declarations that cite it."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from sim.config import RunConfig
from sim.core.params import describe
from sim.policy.levers import LEVER_TYPES
from sim.policy.service_params import PRIORS, ServiceParams

FLAGS = {"V", "S", "M", "A"}  # verified, secondary copy, secondary summary, assumption


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    raw = resources.files("sim").joinpath("data", "intervention_evidence.csv").read_bytes()
    return pd.read_csv(io.BytesIO(raw))


def _declared() -> dict:
    return {p.name: p for p in describe(ServiceParams)}


def test_every_row_has_population_outcome_source_and_flag(table):
    assert set(table["flag"]) <= FLAGS
    for col in ("lever_type", "role", "population", "outcome", "design", "source"):
        assert table[col].notna().all(), col


def test_each_effect_parameter_has_one_target_row_with_its_prior(table):
    declared = _declared()
    for name, (prior, lever) in PRIORS.items():
        info = declared[name]
        assert info.uncertain, name
        rows = table[(table["lever_type"] == lever) & table["prior"].notna()]
        assert len(rows) == 1, name
        row = rows.iloc[0]
        assert row.parameter == f"services.{name}"
        assert row.prior == prior
        kind, a, b = re.fullmatch(r"(normal|uniform)\(([-\d.]+), ([-\d.]+)\)", prior).groups()
        a, b = float(a), float(b)
        if kind == "normal":  # the default is the prior mean, inside the declared range
            assert info.default == pytest.approx(a)
            assert info.low - 0.01 <= a - 1.96 * b and a + 1.96 * b <= info.high + 0.01
        else:
            assert (info.low, info.high) == (a, b)
            assert a <= info.default <= b
        if row.role == "target":  # the SMD target and CI a virtual trial is judged against
            assert row.smd == pytest.approx(info.default)
            assert row.ci_low <= row.smd <= row.ci_high
            assert info.low <= row.ci_low and row.ci_high <= info.high
        assert str(row.followup) != "nan"


def test_role_does_not_rest_on_depressive_onset(table):
    role = table[table["parameter"] == "services.smd_role"]
    assert not role["outcome"].str.contains("depress").any()
    source = _declared()["smd_role"].source
    assert "assumption" in source and "not used for the size" in source


def test_venue_has_a_loneliness_anchor(table):
    target = table[(table["lever_type"] == "venue") & (table["role"] == "target")].iloc[0]
    assert target.outcome == "loneliness"
    assert target.ci_low < target.smd < target.ci_high < 0
    japan = table[(table["lever_type"] == "venue") & table["source"].str.contains("JAGES")]
    assert len(japan) >= 1 and "not loneliness" in japan.iloc[0].outcome


def test_persistence_matches_the_evidence():
    """Effects at 1-6 months are similar to the end (Lasgaard et al. 2025): at 14 weeks after a
    12-week episode, at least 75% of the effect is left at the declared half-life."""
    h = ServiceParams().support_halflife_weeks
    assert 0.5 ** (14 / h) > 0.75


BEHAVIOURAL = [
    "services.visit_contact", "services.supporter_followup", "services.wait_dropout",
    "services.venue_join", "services.venue_leave", "services.venue_attend",
    "services.referral_success", "services.help_seeking", "services.notice_neighbour",
    "services.notice_visit", "services.notice_venue", "services.unaware_factor",
    "services.digital_preference", "services.platform_boost", "services.referral_delay_weeks",
    "services.support_halflife_weeks",
]  # fmt: skip


def test_behavioural_assumptions_are_uncertain_and_listed():
    from sim.app.cli import main

    infos = {p.name: p for p in describe(RunConfig)}
    for name in BEHAVIOURAL:
        assert infos[name].uncertain, name
        assert infos[name].low is not None and infos[name].high is not None
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["params", "--uncertain", "services."]) == 0
    listed = set(re.findall(r"^(services\.\w+) =", out.getvalue(), re.M))
    assert set(BEHAVIOURAL) <= listed


def test_lever_assumptions_are_uncertain():
    """Every behavioural lever field resting on an assumption (training boost too) is uncertain."""
    for kind, cls in LEVER_TYPES.items():
        for p in describe(cls):
            if p.source.startswith("assumption") and not p.unit.startswith("yen"):
                assert p.uncertain, f"{kind}.{p.name}"
    boost = {p.name: p for p in describe(LEVER_TYPES["prefecture_support"])}["training_boost"]
    assert boost.uncertain and (boost.low, boost.high) == (0.0, 1.0)


def test_latent_factors_come_from_the_trial():
    p = ServiceParams()
    for lever in ("support", "remote", "role"):
        info = _declared()[f"latent_per_smd_{lever}"]
        assert f"tsunagari trial {lever} calibrate=true" in info.source
        assert 0.05 < getattr(p, f"latent_per_smd_{lever}") < 3.0
    assert not hasattr(p, "latent_sd")  # the whole-population SD conversion is gone
    assert np.isfinite(p.smd_support * p.latent_per_smd_support)
