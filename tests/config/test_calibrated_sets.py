"""Calibrated parameter sets are data of sim.config (sim/config/sets), not files of calibration/."""

from pathlib import Path

import pytest

from sim.config import calibrated_overrides, sets_dir
from sim.core.params import ConfigError


def test_the_default_set_is_in_the_config_package() -> None:
    assert (sets_dir() / "calibrated.yaml").is_file()
    assert calibrated_overrides([])  # the committed set has overrides


def test_a_set_is_read_from_the_folder_given(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("overrides:\n  seed: 5\n  survey.thresholds: [1, 2]\n")
    assert calibrated_overrides(["calibration=mine"], tmp_path) == [
        "seed=5",
        "survey.thresholds=[1,2]",
    ]
    assert calibrated_overrides(["calibration=none"], tmp_path) == []
    assert calibrated_overrides([], tmp_path) == []  # no default set yet: nothing applied
    with pytest.raises(ConfigError, match="no calibrated set 'other'"):
        calibrated_overrides(["calibration=other"], tmp_path)


def test_config_does_not_read_the_calibration_package() -> None:
    root = Path(__file__).resolve().parents[2] / "sim" / "config"
    for path in root.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert 'files("calibration")' not in text and "import calibration" not in text, path
