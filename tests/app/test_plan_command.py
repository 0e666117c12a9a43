"""tsunagari plan prints the weekly step plan (sim.engine.plan.format_plan)."""

import pytest

from sim.app.cli import main


def test_plan_prints_the_step_plan(capsys: pytest.CaptureFixture[str]) -> None:
    plan = pytest.importorskip("sim.engine.plan")
    assert main(["plan", "lang=en"]) == 0
    assert capsys.readouterr().out == plan.format_plan("en") + "\n"
    assert main(["plan"]) == 0
    assert capsys.readouterr().out == plan.format_plan("ja") + "\n"


def test_plan_refuses_other_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "years=3"]) == 2
    assert "plan: unknown option 'years=3'" in capsys.readouterr().err
