"""The commit a run records when the package is installed without its git folder."""

from __future__ import annotations

from pathlib import Path


def test_git_commit_of_a_non_editable_install(tmp_path: Path) -> None:
    """Without .git beside the package, the commit ./bootstrap recorded is used; else None."""
    from sim.io.output import COMMIT_FILE, git_commit

    package = tmp_path / "site-packages" / "sim"
    package.mkdir(parents=True)
    assert git_commit(package) is None
    (package / COMMIT_FILE).write_text("0123456789abcdef0123456789abcdef01234567\n", "utf-8")
    assert git_commit(package) == "0123456789abcdef0123456789abcdef01234567"
    (package / COMMIT_FILE).write_text("not a commit\n", "utf-8")
    assert git_commit(package) is None
    bootstrap = (Path(__file__).resolve().parents[2] / "bootstrap").read_text("utf-8")
    assert f"sim/{COMMIT_FILE}" in bootstrap
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8")
    assert f'"{COMMIT_FILE}"' in pyproject
