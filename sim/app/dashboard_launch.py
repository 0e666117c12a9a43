"""Launching the dashboard server: ``tsunagari dashboard`` runs ``solara run`` as a child.

The child is :mod:`sim.app.dashboard_server` (the Host-header guard and the lifeline) serving
:mod:`sim.app.dashboard_app`; this module builds its command line and environment and runs it in
the foreground, passing stop signals on.
"""

from __future__ import annotations

from sim.core.params import ConfigError


def serve_command(host: str = "127.0.0.1", port: int = 8765) -> list[str]:
    """The server's command line: ``solara run`` through :mod:`sim.app.dashboard_server`.

    The wrapper adds the Host-header check and ends the server with this process; the
    arguments after the module are those of ``solara run`` (no browser, no version check).
    ``-P``: the working folder is not put on the module path, so a stray ``comm.py`` or
    ``solara.py`` there cannot replace a module the server imports.
    """
    import sys

    return [
        sys.executable, "-P", "-m", "sim.app.dashboard_server", "sim.app.dashboard_app",
        "--host", host, "--port", str(port),
        "--production", "--no-open", "--no-check-version",
    ]  # fmt: skip


def serve_env() -> dict[str, str]:
    """Environment for the server.

    Telemetry is off (the app works offline, nothing is sent), Solara's English banner ("This
    website runs on Solara") is hidden and the browser tab is titled ``tsunagari``, and the
    server is told this process's pid, which it watches so that it ends when this process does.
    """
    import os

    from sim.core.lifeline import PARENT_ENV

    return {
        **os.environ,
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        "SOLARA_THEME_SHOW_BANNER": "false",
        "SOLARA_THEME_TITLE": "tsunagari（つながり）",
        PARENT_ENV: str(os.getpid()),
    }


#: Signals passed on to the server, which then shuts down; the command waits for it.
FORWARDED = ("SIGTERM", "SIGINT", "SIGHUP")
#: Seconds the server gets to shut down after a forwarded signal before it is killed.
STOP_TIMEOUT_S = 10.0


def serve(host: str = "127.0.0.1", port: int = 8765) -> int:
    """Run the dashboard server in the foreground until it ends or this command is stopped.

    The server is a child process in its own process group. SIGTERM, SIGINT (Ctrl+C) and
    SIGHUP to this command are passed on to it, and the command waits until it has closed its
    port (killing it after :data:`STOP_TIMEOUT_S`). If this command is killed outright, the
    server ends by itself (see :mod:`sim.app.dashboard_server`).

    Args:
        host: address to bind (``127.0.0.1``: only this computer can connect).
        port: TCP port (0 picks a free one).

    Returns:
        The server's exit status, or 128 + the signal number if a signal stopped it.

    Raises:
        ConfigError: for a port outside 0-65535 or when Solara is not installed.
    """
    import importlib.util
    import signal
    import subprocess
    import time

    if not 0 <= port <= 65535:
        raise ConfigError(f"--port: {port} is outside 0-65535")
    if importlib.util.find_spec("solara") is None:
        raise ConfigError(
            "the dashboard needs Solara: .venv/bin/python -m pip install '.[dashboard,dask]' "
            "(or ./bootstrap --dev)"
        )
    print(f"tsunagari dashboard: http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    # its own process group: Ctrl+C reaches only this command, which passes it on once
    proc = subprocess.Popen(serve_command(host, port), env=serve_env(), process_group=0)
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        if proc.poll() is None:
            proc.send_signal(signum)

    signums = [getattr(signal, name) for name in FORWARDED if hasattr(signal, name)]
    previous = {s: signal.signal(s, forward) for s in signums}
    deadline = None
    try:
        while True:
            try:
                status = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if received and deadline is None:
                    deadline = time.monotonic() + STOP_TIMEOUT_S
                if deadline is not None and time.monotonic() > deadline:
                    proc.kill()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if proc.poll() is None:  # an unexpected error here: never leave the server behind
            proc.kill()
            proc.wait()
    return 128 + received[0] if received else status
