"""No orphans: worker processes end when the command that started them is killed.

Each test starts a command in its own session, waits until its workers exist (found through
``/proc``), SIGKILLs the command (which cannot clean up) and checks that every process it had
started is gone within a few seconds. Linux only (``/proc``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

REPO = Path(__file__).resolve().parents[2]
GONE_WITHIN_S = 10.0


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, or None if it no longer exists."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (an exited process nobody reaped yet)."""
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def _descendants(root: int) -> set[int]:
    """Every live process below ``root`` in the process tree."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))) and st[0] not in ("Z", "X"):
            children.setdefault(st[1], []).append(int(entry.name))
    out, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _workers(root: int) -> set[int]:
    """Descendants of ``root`` that are multiprocessing ``spawn`` workers."""
    return {p for p in _descendants(root) if "spawn_main" in _cmdline(p)}


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own group, so a failure below can clean it all up
    )


def _wait_for(proc: subprocess.Popen, ready, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-2000:]
            raise AssertionError(f"command ended (status {proc.returncode}) before {what}: {err}")
        if ready():
            return
        time.sleep(0.1)
    raise AssertionError(f"no {what} within {timeout:.0f} s")


def _kill_and_check(proc: subprocess.Popen, min_workers: int) -> None:
    """SIGKILL the command; assert everything it started is gone within GONE_WITHIN_S."""
    started = _descendants(proc.pid)
    workers = _workers(proc.pid)
    assert len(workers) >= min_workers, (workers, started)
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        end = time.monotonic() + GONE_WITHIN_S
        left = {p for p in started if _alive(p)}
        while left and time.monotonic() < end:
            time.sleep(0.1)
            left = {p for p in left if _alive(p)}
        assert not left, {p: _cmdline(p)[:120] for p in left}
    finally:
        for pid in started:  # never leave anything behind, even when the test fails
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_pool_workers_exit_when_their_parent_is_killed(tmp_path):
    """The one pool every command uses (sim.core.lifeline.worker_pool)."""
    script = textwrap.dedent(
        """
        import time
        from sim.core.lifeline import worker_pool

        if __name__ == "__main__":
            pool = worker_pool(2)
            futures = [pool.submit(time.sleep, 60) for _ in range(4)]
            time.sleep(600)
        """
    )
    (tmp_path / "pool.py").write_text(script)
    proc = _start([sys.executable, "pool.py"], tmp_path)
    # wait until both workers have imported the project and armed their lifeline
    _wait_for(proc, lambda: len(_workers(proc.pid)) >= 2, 60, "two pool workers")
    time.sleep(3.0)
    _kill_and_check(proc, 2)


def test_watchdog_alone_ends_a_child_whose_parent_died(tmp_path):
    """The portable fallback (no PR_SET_PDEATHSIG): a thread polling the parent pid."""
    child = (
        "import os, sys, time; from sim.core.lifeline import die_with_parent; "
        "die_with_parent(int(sys.argv[1]), pdeathsig=False, poll=0.2); "
        "print('armed', flush=True); time.sleep(600)"
    )
    parent = textwrap.dedent(
        f"""
        import os, subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", {child!r}, str(os.getpid())])
        time.sleep(600)
        """
    )
    proc = _start([sys.executable, "-c", parent], tmp_path)

    def armed() -> bool:
        kids = _descendants(proc.pid)
        return any("die_with_parent" in _cmdline(p) for p in kids)

    _wait_for(proc, armed, 30, "the child")
    time.sleep(1.5)  # the child has imported sim.core.lifeline and started its watchdog
    started = _descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    end = time.monotonic() + GONE_WITHIN_S
    while any(_alive(p) for p in started) and time.monotonic() < end:
        time.sleep(0.1)
    left = [p for p in started if _alive(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left


def test_compare_workers_exit_when_compare_is_killed(tmp_path):
    """``tsunagari compare executor=process``: SIGKILL mid-sweep leaves no worker idling."""
    out = tmp_path / "store"
    args = [
        sys.executable, "-m", "sim.app.cli", "compare", "packages=[places_first]", "seeds=20",
        "executor=process", "executor.workers=2", "executor.batch_seconds=1", "progress=off",
        f"out={out}", "population.scale=0.003", "years=1", "burn_in_weeks=2",
    ]  # fmt: skip
    proc = _start(args, tmp_path)

    def busy() -> bool:  # workers exist and have finished a run (so they are mid-sweep)
        return len(_workers(proc.pid)) >= 2 and any((out / "runs").glob("*.parquet"))

    _wait_for(proc, busy, 120, "two compare workers with a finished run")
    _kill_and_check(proc, 2)


def test_calibrate_workers_exit_when_calibrate_is_killed(tmp_path):
    """``tsunagari calibrate workers=2``: SIGKILL while the workers build their population."""
    name = f"orphan_test_{os.getpid()}"
    args = [
        sys.executable, "-m", "sim.app.cli", "calibrate", "--quick", "workers=2", f"name={name}",
        "particles=8", "generations=1",
    ]  # fmt: skip
    proc = _start(args, tmp_path)
    try:
        _wait_for(proc, lambda: len(_workers(proc.pid)) >= 2, 120, "two calibration workers")
        time.sleep(3.0)
        _kill_and_check(proc, 2)
    finally:
        import shutil

        from calibration.fit import calibration_dir

        shutil.rmtree(calibration_dir() / "runs" / name, ignore_errors=True)
