"""The layout is the architecture: one-way dependencies between the packages of ``sim``, and
no file over 400 lines.

Layers, lowest first: core, config, world, engine, policy, analysis, io, report, app. A module may
import its own layer and the layers below; only ``sim.report`` and ``sim.app`` may import the
``experiments`` and ``calibration`` packages. The imports that still point upwards are listed in
:data:`KNOWN_UPWARD` (docs/architecture.md says why); a new one fails this test, and so does a
listed one that has gone (so the list only shrinks).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("core", "config", "world", "engine", "policy", "analysis", "io", "report", "app")
RANK = {name: i for i, name in enumerate(LAYERS)}
MAX_LINES = 400

#: (module file, imported module) pairs that still point upwards, with the reason
KNOWN_UPWARD = {
    # the run schema gathers the parameter declarations that live beside their mechanisms
    ("sim/config/schema.py", "sim.engine.dynamics"),
    ("sim/config/schema.py", "sim.engine.survey"),
    ("sim/config/schema.py", "sim.policy.service_params"),
    ("sim/config/schema.py", "sim.world.layers"),
    ("sim/config/schema.py", "sim.world.params"),
    # the checks before any work load the region, size the population and read the scenario
    ("sim/config/checks.py", "sim.engine.survey"),
    ("sim/config/checks.py", "sim.world.region"),
    ("sim/config/checks.py", "sim.world.population"),
    ("sim/config/checks.py", "sim.policy.scenario"),
    ("sim/config/compose.py", "sim.world.region"),
    # the model is the composition root: it builds the scenario and the service pipeline
    ("sim/engine/model.py", "sim.policy.scenario"),
    ("sim/engine/model.py", "sim.policy.services"),
}
#: files allowed over MAX_LINES, with the reason (the list only shrinks)
KNOWN_LONG: set[str] = set()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def _upward() -> set[tuple[str, str]]:
    found = set()
    for path in sorted((ROOT / "sim").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        layer = rel.split("/")[1]
        if layer not in RANK:
            continue
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] in ("experiments", "calibration") and layer not in ("report", "app"):
                found.add((rel, module))
            elif parts[0] == "sim" and len(parts) > 1 and RANK.get(parts[1], -1) > RANK[layer]:
                found.add((rel, module))
    return found


def test_every_module_of_sim_sits_in_a_layer():
    loose = [p.name for p in (ROOT / "sim").glob("*.py") if p.name != "__init__.py"]
    assert loose == []
    assert {p.name for p in (ROOT / "sim").iterdir() if p.is_dir()} - {"__pycache__"} == {
        *LAYERS,
        "data",
    }


def test_dependencies_point_downwards():
    found = _upward()
    assert found - KNOWN_UPWARD == set(), "new upward imports"
    assert KNOWN_UPWARD - found == set(), "fixed: remove them from KNOWN_UPWARD"


def test_no_file_over_400_lines():
    long = set()
    for folder in ("sim", "experiments", "calibration"):
        for path in (ROOT / folder).rglob("*.py"):
            if sum(1 for _ in path.open(encoding="utf-8")) > MAX_LINES:
                long.add(path.relative_to(ROOT).as_posix())
    assert long - KNOWN_LONG == set()
    assert KNOWN_LONG - long == set()
