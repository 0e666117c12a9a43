"""Wide-area console text: one seed gives no interval, and the text says so (never 'nan')."""

import numpy as np
import pytest

from experiments.wide_area import check_memory
from experiments.wide_area_text import interval_text
from sim.core.params import ConfigError


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("signed", [True, False])
def test_one_seed_says_no_interval(lang, signed):
    text = interval_text(-0.0012, np.nan, np.nan, lang, signed=signed)
    assert "nan" not in text and ("1シード" in text if lang == "ja" else "one seed" in text)
    assert text.startswith("-0.12")


def test_interval_crossing_zero_is_said():
    assert "crosses 0" in interval_text(-0.001, -0.002, 0.001, "en")
    assert "[-0.20, -0.10]" in interval_text(-0.0015, -0.002, -0.001, "en")


def test_memory_check_counts_every_worker():
    from sim.config import compose_config, load_configured_region

    cfg = compose_config(["region=tottori", "population.scale=0.01", "years=1"])
    region = load_configured_region(cfg)
    check_memory(cfg, region, 4, available=None)  # unknown memory: no check
    check_memory(cfg, region, 1, available=1)  # one run: the per-run check already ran
    with pytest.raises(ConfigError, match=r"workers=4: 4 runs at once.*lower population.scale"):
        check_memory(cfg, region, 4, available=1)
