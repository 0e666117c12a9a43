"""Calibration evaluations go through the one evaluator: serial and process pool agree exactly."""

import json

from calibration.evaluation import CalibrationJob, Task
from calibration.fit import calibration_dir
from experiments.backends import ProcessPoolEvaluator, SerialEvaluator

TINY = ["region=tottori", "population.scale=0.004", "burn_in_weeks=4", "calibration=none"]
VALUES = [
    {"dynamics.loneliness.gap_effect": 1.0, "dynamics.loneliness.no_confidant": 0.5},
    {"dynamics.loneliness.gap_effect": 2.0, "dynamics.loneliness.no_confidant": 1.0},
    {"dynamics.loneliness.gap_effect": 3.0, "dynamics.loneliness.no_confidant": 1.5},
]


def _records(evaluator):
    job = CalibrationJob(TINY, str(calibration_dir() / "targets.csv"), seconds=5.0)
    tasks = [Task(f"g0:{i}", v, network=i == 0) for i, v in enumerate(VALUES)]
    with evaluator as ev:
        recs = list(ev.evaluate(job, tasks))
    return {r["key"]: json.dumps({**r, "seconds": 0}, sort_keys=True) for r in recs}


def test_serial_and_process_evaluators_give_identical_calibration_records():
    serial = _records(SerialEvaluator())
    pooled = _records(ProcessPoolEvaluator(2, batch_seconds=1.0))
    assert list(sorted(serial)) == ["g0:0", "g0:1", "g0:2"]
    assert serial == pooled


def test_a_job_builds_its_worker_state_once():
    calls = []

    class Counting(CalibrationJob):
        def prepare(self):
            calls.append(1)
            return "state"

        def run(self, state, task):
            return (state, task)

    job = Counting(TINY, "unused.csv")
    with SerialEvaluator() as ev:
        assert list(ev.evaluate(job, [1, 2, 3])) == [("state", 1), ("state", 2), ("state", 3)]
        assert list(ev.evaluate(job, [4])) == [("state", 4)]
    assert len(calls) == 1
    assert "_prepared_state" not in job.__getstate__()  # never pickled to a worker
