"""The safe YAML loader for user files (sim/core/yamlfile.py): same result as yaml.safe_load on
the scenario library; aliases, deep nesting, oversized, unreadable and invalid files refused
with one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.core.params import ConfigError
from sim.core.yamlfile import MAX_YAML_DEPTH, load_yaml


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_yaml_matches_safe_load_on_the_library() -> None:
    from sim.policy.scenario import scenario_dir

    files = sorted(scenario_dir().glob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        assert load_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8"))


def test_load_yaml_refusals(tmp_path: Path) -> None:
    alias = _write(tmp_path, "alias.yaml", "a: &x [1, 2]\nb: *x\n")
    with pytest.raises(ConfigError, match=r"alias.yaml: uses an alias \(\*x\).*\(line 2\)"):
        load_yaml(alias)
    deep = _write(tmp_path, "deep.yaml", "[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1))
    with pytest.raises(ConfigError, match="nested more than"):
        load_yaml(deep)
    ok = _write(tmp_path, "ok.yaml", "[" * (MAX_YAML_DEPTH - 1) + "]" * (MAX_YAML_DEPTH - 1))
    assert load_yaml(ok) is not None
    with pytest.raises(ConfigError, match=r"big.yaml: file too large \(101 bytes"):
        load_yaml(_write(tmp_path, "big.yaml", "x" * 101), max_bytes=100)
    with pytest.raises(ConfigError, match="cannot read file"):
        load_yaml(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match=r"bad.yaml: not valid YAML \(line \d+\)"):
        load_yaml(_write(tmp_path, "bad.yaml", "a: 1\nb: [\n"))
