"""The layout is the architecture: one-way dependencies between the packages of ``sim``, and
no file over 400 lines.

Layers, lowest first: core, world, policy, engine, config, analysis, io, report, app (see
docs/architecture.md for why config sits above the mechanisms whose parameters it assembles, and
policy below the engine that drives it). A module may import its own layer and the layers below
(imports under ``if TYPE_CHECKING:`` are type hints, not dependencies); only ``sim.report`` and
``sim.app`` may import the ``experiments`` and ``calibration`` packages, and nothing in
``experiments`` or ``calibration`` imports ``sim.app``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("core", "world", "policy", "engine", "config", "analysis", "io", "report", "app")
RANK = {name: i for i, name in enumerate(LAYERS)}
MAX_LINES = 400

#: files allowed over MAX_LINES, with the reason (the list only shrinks)
KNOWN_LONG: set[str] = set()


def _type_only(tree: ast.Module) -> set[int]:
    """Ids of the import nodes inside ``if TYPE_CHECKING:`` blocks."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_only(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
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
    assert _upward() == set()


def test_experiments_and_calibration_never_import_the_applications():
    found = set()
    for folder in ("experiments", "calibration"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found |= {(path.name, m) for m in _imports(path) if m.startswith("sim.app")}
    assert found == set()


def test_no_file_over_400_lines():
    long = set()
    for folder in ("sim", "experiments", "calibration"):
        for path in (ROOT / folder).rglob("*.py"):
            if sum(1 for _ in path.open(encoding="utf-8")) > MAX_LINES:
                long.add(path.relative_to(ROOT).as_posix())
    assert long - KNOWN_LONG == set()
    assert KNOWN_LONG - long == set()
