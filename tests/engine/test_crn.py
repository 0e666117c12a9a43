"""Common random numbers: one extra event in one stream changes no other stream's draws."""

import hashlib

import numpy as np
import pytest

from sim.config import compose_config
from sim.core.rng import Streams
from sim.engine.model import LonelinessModel
from sim.engine.processes import LifeEvents

# Streams whose first draw each week is one number per resident (or per resident and item).
WHOLE_POPULATION = {
    "life_events",
    "contacts",
    "ties",
    "outreach",
    "loneliness",
    "noticing",
    "help_seeking",
    "consultation",
    "survey",
}


def _whole(log):
    return {k: v[0] for k, v in log.items() if k[0] in WHOLE_POPULATION}


class _Logged:
    """Generator proxy that logs a hash of every array it returns."""

    def __init__(self, gen, log, name, step):
        self._gen, self._log, self._key = gen, log, (name, step)

    def __getattr__(self, attr):
        fn = getattr(self._gen, attr)

        def wrapped(*args, **kwargs):
            out = fn(*args, **kwargs)
            digest = hashlib.sha1(np.asarray(out).tobytes()).hexdigest()
            self._log.setdefault(self._key, []).append(digest)
            return out

        return wrapped


class LoggingStreams(Streams):
    def __init__(self, seed, log):
        super().__init__(seed)
        self.log = log

    def get(self, name, step=-1):
        return _Logged(super().get(name, step), self.log, name, step)


def _run_logged(overrides, weeks, patch=None):
    cfg = compose_config(["population.scale=0.01", "burn_in_weeks=0", "years=1", *overrides])
    m = LonelinessModel(cfg)
    log = {}
    m.streams = LoggingStreams(cfg.seed, log)
    if patch:
        patch(m)
    for _ in range(weeks):
        m.step()
    return m, log


@pytest.fixture(scope="module")
def baseline():
    return _run_logged([], 12)


def test_extra_draw_in_one_stream_shifts_no_other_draw(baseline):
    _, log_a = baseline

    def patch(m):
        process = m.processes["life_events"].__self__

        def step_with_extra_event(model):
            if model.step_index == 5:
                model.stream("life_events").random(1)  # one extra event's draw, before the others
            LifeEvents.step(process, model)

        m.processes["life_events"] = step_with_extra_event

    _, log_b = _run_logged([], 12, patch)
    a, b = _whole(log_a), _whole(log_b)
    assert a.keys() == b.keys()
    assert len(a) > 40
    changed = [k for k in a if a[k] != b[k]]
    # only the life-events stream at step 5 sees different numbers
    assert changed == [("life_events", 5)]


def test_different_state_does_not_shift_whole_population_draws(baseline):
    m_a, log_a = baseline
    # many more life events: the state diverges, yet every whole-population draw is identical
    moving = "dynamics.events.moving=[" + ",".join(["0.1"] * 9) + "]"
    m_b, log_b = _run_logged(["dynamics.events.job_loss=0.06", moving], 12)
    assert m_b.counts["events"][2] > m_a.counts["events"][2]
    assert not np.array_equal(m_a.res.latent, m_b.res.latent)
    a, b = _whole(log_a), _whole(log_b)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == b[key], key


def test_same_seed_identical_state_and_different_seed_differs():
    a, _ = _run_logged([], 8)
    b, _ = _run_logged([], 8)
    c, _ = _run_logged(["seed=43"], 8)
    assert np.array_equal(a.res.latent, b.res.latent)
    assert np.array_equal(a.friends.key, b.friends.key)
    assert not np.array_equal(a.res.latent[: c.res.n], c.res.latent[: a.res.n])
