"""Packaging: a built wheel carries the configs, data, scenarios and every package, and a
non-editable install run from another folder finds them."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA_SUFFIXES = {".yaml", ".yml", ".csv", ".json"}
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".*")


def top_packages() -> list[str]:
    """Top-level packages named in pyproject.toml (sim, scenarios, calibration, experiments)."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = meta["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({p.rstrip("*").split(".")[0] for p in include})


def source_files(predicate: Callable[[Path], bool]) -> set[str]:
    """Files of the top-level packages in the work tree, as wheel paths, kept by ``predicate``."""
    out = set()
    for top in top_packages():
        for path in (ROOT / top).rglob("*"):
            rel = path.relative_to(ROOT)
            local = "__pycache__" in rel.parts or rel.parts[:2] == ("calibration", "runs")
            if path.is_file() and not local and predicate(path):  # runs/: git-ignored stores
                out.add(rel.as_posix())
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build a wheel from a copy of the work tree (so no build/ folder lands in the repo)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    for top in top_packages():
        shutil.copytree(ROOT / top, src / top, ignore=IGNORE)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(src), "-w", str(tmp)]
    if importlib.util.find_spec("setuptools") is not None:  # offline build when possible
        cmd.append("--no-build-isolation")
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp)
    assert result.returncode == 0, result.stderr[-2000:]
    (built,) = tmp.glob("tsunagari-*.whl")
    return built


@pytest.fixture(scope="module")
def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_wheel_has_configs_and_data(names: set[str]) -> None:
    assert "sim/config/conf/config.yaml" in names
    regions = {
        f"sim/config/conf/region/{p.name}" for p in (ROOT / "sim/config/conf/region").glob("*.yaml")
    }
    assert regions >= {"sim/config/conf/region/tottori.yaml", "sim/config/conf/region/kochi.yaml"}
    assert regions <= names
    data = {f"sim/data/{p.name}" for p in (ROOT / "sim/data").glob("*.csv")}
    assert "sim/data/municipalities_2020.csv" in data
    assert data <= names


def test_wheel_has_every_package_and_data_file(names: set[str]) -> None:
    for top in ("sim", "scenarios", "calibration", "experiments"):
        assert f"{top}/__init__.py" in names
    packages = source_files(lambda p: p.name == "__init__.py")
    assert packages - names == set(), "packages missing from the wheel (pyproject packages)"
    data = source_files(lambda p: p.suffix in DATA_SUFFIXES)
    assert data - names == set(), "data files missing from the wheel (pyproject package-data)"


def test_wheel_declares_the_console_script(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        entry = next(n for n in z.namelist() if n.endswith("entry_points.txt"))
        text = z.read(entry).decode()
    assert "tsunagari = sim.app.cli:main" in text


INSTALLED_CHECK = """
import json, sys
from collections.abc import Callable
from pathlib import Path
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(sys.argv[2]).resolve()]
import calibration, experiments, scenarios, sim
from importlib.resources import files
from sim.app.cli import main
from sim.config import compose_config
from sim.world.region import load_region
site = Path(sys.argv[1]).resolve()
modules = [calibration, experiments, scenarios, sim]
outside = [m.__name__ for m in modules if not Path(m.__file__).resolve().is_relative_to(site)]
cfg = compose_config(["region=kochi", "region.municipalities=[高知市,室戸市]", "seed=7"])
region = load_region("kochi")
scen = sorted(p.name for p in files("scenarios").iterdir() if p.name.endswith(".yaml"))
status = main(["config", "region=prefecture", "region.prefecture=北海道"])
print(json.dumps({"outside": outside, "key": cfg.region.key, "seed": cfg.seed,
                  "kochi": len(region.municipalities), "scenarios": scen, "status": status}))
"""


def test_installed_wheel_works_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site)]
    result = subprocess.run([*pip, str(wheel)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "-c", INSTALLED_CHECK, str(site), str(ROOT)],
        capture_output=True, text=True, timeout=300, cwd=elsewhere, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    report = json.loads(lines[-1])
    assert report["outside"] == [], "imported from the work tree, not the installed wheel"
    assert (report["key"], report["seed"], report["kochi"]) == ("kochi", 7, 34)
    assert report["scenarios"] == sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    assert report["status"] == 0
    assert "key: prefecture" in run.stdout and "prefecture: 北海道" in run.stdout
