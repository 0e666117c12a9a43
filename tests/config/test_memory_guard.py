"""The memory guard: estimates of a run's peak memory, and runs refused before any work."""

from __future__ import annotations

import pytest

from sim.config import compose_config, load_configured_region
from sim.config.checks import BYTES_PER_RESIDENT, available_memory, check_size, estimate_memory
from sim.core.params import ConfigError

GIB = 2**30


def test_memory_estimate_covers_the_measured_peaks() -> None:
    # peak RSS measured for the constants (see sim/config.py): residents, municipalities,
    # years, MiB. The estimate must cover each, by no more than 60 %.
    measured = [
        (27_670, 19, 5, 247.8),
        (110_681, 19, 5, 286.5),
        (126_146, 1741, 1, 540.1),
        (504_584, 1741, 1, 711.0),
        (25_229, 1741, 4, 1007.9),
        (1_000_000, 39, 10, 756.0),
    ]
    for residents, municipalities, years, mib in measured:
        got = estimate_memory(residents, municipalities, years) / 2**20
        assert mib <= got <= 1.6 * mib, (residents, municipalities, years, got, mib)
    assert estimate_memory(2_000_000, 19, 5) - estimate_memory(1_000_000, 19, 5) == (
        1_000_000 * BYTES_PER_RESIDENT
    )
    assert estimate_memory(100, 19, 10) > estimate_memory(100, 19, 1)


def test_memory_guard_refuses_what_does_not_fit() -> None:
    cfg = compose_config(["population.scale=0.2", "calibration=none"], check_region=False)
    region = load_configured_region(cfg)  # 110,681 residents: about 0.33 GiB
    check_size(cfg, region, available=1 * GIB)
    check_size(cfg, region, available=None)  # memory unknown: no check
    with pytest.raises(ConfigError) as err:
        check_size(cfg, region, available=300 * 2**20)
    message = str(err.value)
    assert message.startswith("population.scale=0.2: a run of 110,681 residents needs about")
    need = estimate_memory(110_681, 19, 5, dynamic=True) / 2**20  # runs are dynamic by default
    assert f"about {need:,.0f} MiB of memory, more than the 300 MiB available" in message
    assert "\n" not in message
    # the largest scale it suggests does fit
    fit = float(message.rsplit("at most ", 1)[1].split()[0])
    cfg.population.scale = fit
    check_size(cfg, region, available=300 * 2**20)


def test_available_memory_is_a_positive_number() -> None:
    got = available_memory()
    assert got is None or got > 0
