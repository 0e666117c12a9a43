"""Session-scoped fixtures shared by the test folders.

Only builds whose configuration is exactly the same in several test modules are shared here, so
sharing changes no test's meaning. Shared folders are read-only: a test that changes files
copies the folder first (``shutil.copytree``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: The tiniest Tottori run of the suite: 0.3% of residents, one year, 4 weeks of burn-in, the
#: pre-calibration parameters (the CLI and output-folder tests only need a valid run folder).
TINY_RUN = ("population.scale=0.003", "years=1", "burn_in_weeks=4", "calibration=none")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output folder of ``tsunagari run`` with :data:`TINY_RUN` (seed 0, baseline), made once.

    Read-only: copy it before changing or damaging anything in it.
    """
    from sim.app.cli import main

    out = tmp_path_factory.mktemp("shared") / "tiny-run"
    assert main(["run", *TINY_RUN, f"output_dir={out}"]) == 0
    return out
