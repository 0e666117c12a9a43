"""Child processes that end when their parent dies (no orphaned workers or servers).

A worker pool or a server started by a ``tsunagari`` command must not outlive the command: a
SIGKILLed ``compare`` used to leave its spawned workers idling forever (hundreds of MB each).
Two mechanisms, both installed by :func:`die_with_parent` in the child:

* on Linux, ``prctl(PR_SET_PDEATHSIG, signum)``: the kernel sends ``signum`` the moment the
  parent exits, even if the child is busy in C code (via ctypes; a no-op elsewhere);
* everywhere, a daemon thread that checks ``os.getppid()`` against the parent's pid about once a
  second and calls ``os._exit`` when the child has been re-parented.

:func:`worker_pool` is the one process pool of every command; its workers install the lifeline
first thing. This module uses only the standard library, so a worker or a server (the
dashboard's Solara process) imports nothing heavy before its own work.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal delivered when the parent (thread) exits (linux/prctl.h)."""

PARENT_ENV = "TSUNAGARI_PARENT_PID"
"""Environment variable naming the pid a child server should die with (see :func:`from_env`)."""

POLL_SECONDS = 1.0
"""How often the watchdog thread checks that the parent is still alive."""

EXIT_STATUS = 143
"""Exit status of a child that ends because its parent died (as if killed by SIGTERM)."""


def set_pdeathsig(signum: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent exits.

    Safe to call between ``fork`` and ``exec`` (e.g. as ``preexec_fn``): it only calls
    ``prctl``. The setting survives ``exec``.

    Args:
        signum: the signal to receive.

    Returns:
        True if set; False off Linux or if ``prctl`` is unavailable or fails.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int, poll: float) -> None:
    """Poll until this process is re-parented, then exit at once (no cleanup to wait for)."""
    while os.getppid() == parent_pid:
        time.sleep(poll)
    os._exit(EXIT_STATUS)


def die_with_parent(
    parent_pid: int,
    *,
    signum: int = signal.SIGKILL,
    pdeathsig: bool = True,
    poll: float = POLL_SECONDS,
) -> None:
    """Make this (child) process end when ``parent_pid`` is no longer its parent.

    Call it first thing in the child (a pool initializer, a server's startup). If the parent
    has already died by then, the child exits at once.

    Args:
        parent_pid: pid of the parent, recorded by the parent (``os.getpid()``) before starting
            the child.
        signum: the signal Linux sends when the parent dies (SIGKILL for pool workers, which
            hold nothing worth cleaning up; SIGTERM for a server that should shut down).
        pdeathsig: also use ``prctl`` (False when the child was started from a thread that may
            end before the parent process does: Linux sends the signal when that thread ends).
        poll: seconds between the watchdog's checks.
    """
    if pdeathsig:
        set_pdeathsig(signum)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(EXIT_STATUS)
    threading.Thread(
        target=_watch, args=(parent_pid, poll), name="tsunagari-lifeline", daemon=True
    ).start()


def from_env(signum: int = signal.SIGTERM) -> bool:
    """Die with the parent named by :data:`PARENT_ENV`, if it is set to this process's parent.

    For a child started through a command line (the dashboard's ``solara run``), where no
    initializer can be passed. The variable is removed so that grandchildren do not inherit it.

    Returns:
        True if the lifeline was installed.
    """
    text = os.environ.pop(PARENT_ENV, "")
    if not text.isdigit():
        return False
    die_with_parent(int(text), signum=signum, pdeathsig=True)
    return True


def _pool_worker_init(parent_pid: int, pdeathsig: bool, initializer, initargs: tuple) -> None:
    """Pool worker initializer: die with the parent, then run the pool's own initializer."""
    die_with_parent(parent_pid, pdeathsig=pdeathsig)
    if initializer is not None:
        initializer(*initargs)


def worker_pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()
) -> ProcessPoolExecutor:
    """A ``spawn`` process pool whose workers end when this process dies (every pool uses it).

    The experiments' process evaluator, calibration, the wide-area experiment and the
    benchmark's child processes all start their workers here.

    A SIGKILLed command cannot shut its pool down, so each worker watches its parent itself
    (:func:`die_with_parent`: Linux's parent-death signal and a polling thread)
    and exits at once when the parent is gone, instead of idling on with hundreds of MB.

    Args:
        workers: number of worker processes.
        initializer: run once in each worker after the lifeline is installed (optional).
        initargs: arguments of ``initializer``.

    Returns:
        The executor (workers start on the first submissions).
    """
    # Linux sends the parent-death signal when the *thread* that started a worker ends; workers
    # start on submit, so arm it only when the pool is driven from the main thread.
    main = threading.current_thread() is threading.main_thread()
    return ProcessPoolExecutor(
        max_workers=max(1, int(workers)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_pool_worker_init,
        initargs=(os.getpid(), main, initializer, tuple(initargs)),
    )
