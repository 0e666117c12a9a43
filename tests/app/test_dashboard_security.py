"""Dashboard server: Host-header check (DNS rebinding) and no server left behind by its command.

The unit tests drive :class:`sim.app.dashboard_server.HostGuard` directly; the server tests start
``tsunagari dashboard`` on a free port of 127.0.0.1 (and only ever connect there), send raw HTTP
requests with chosen ``Host`` headers, then stop the command and check that the port is closed
and no process of it remains.
"""

from __future__ import annotations

import asyncio
import http.client
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.app.dashboard_server import HostGuard, allowed_names

REPO = Path(__file__).resolve().parents[2]


# -- the Host-header check, unit level -----------------------------------------------------


@pytest.mark.parametrize(
    ("bound", "header", "ok"),
    [
        ("127.0.0.1", "127.0.0.1:8765", True),
        ("127.0.0.1", "localhost:8765", True),
        ("127.0.0.1", "LOCALHOST:8765", True),
        ("127.0.0.1", "[::1]:8765", True),
        ("localhost", "127.0.0.1:8765", True),
        ("::1", "[::1]:8765", True),
        ("127.0.0.1", "evil.example", False),
        ("127.0.0.1", "evil.example:8765", False),
        ("127.0.0.1", "127.0.0.1:8766", False),  # another port
        ("127.0.0.1", "127.0.0.1", False),  # no port: only on port 80
        ("127.0.0.1", "127.0.0.1:8765.evil.example", False),
        ("127.0.0.1", "localhost.:8765", False),
        ("127.0.0.1", "::1:8765", False),  # IPv6 must be in brackets
        ("127.0.0.1", "[::1]8765", False),
        ("127.0.0.1", "", False),
        ("127.0.0.1", None, False),
        ("192.168.1.5", "192.168.1.5:8765", True),
        ("192.168.1.5", "127.0.0.1:8765", False),  # not reachable there: not bound to it
        ("192.168.1.5", "localhost:8765", False),
        ("0.0.0.0", "127.0.0.1:8765", True),
        ("0.0.0.0", "evil.example:8765", False),
    ],
)
def test_host_guard_accepts_only_the_bound_address(bound, header, ok):
    guard = HostGuard(None, bound, 8765, extra=[])
    assert guard.allowed(header, 8765) is ok


def test_host_guard_port_80_bare_name_and_extra_names():
    guard = HostGuard(None, "127.0.0.1", 80, extra=["Dash.Example.org", " "])
    assert guard.allowed("localhost", 80) and guard.allowed("localhost:80", 80)
    assert guard.allowed("dash.example.org:80", 80)
    assert not guard.allowed("evil.example", 80)
    assert allowed_names("127.0.0.1", []) == {"127.0.0.1", "localhost", "[::1]"}
    assert allowed_names("2001:db8::5", []) == {"[2001:db8::5]"}


def test_host_guard_extra_names_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TSUNAGARI_DASHBOARD_HOSTS", "proxy.example, other.example")
    guard = HostGuard(None, "127.0.0.1", 8765)
    assert guard.allowed("proxy.example:8765", 8765) and guard.allowed("other.example:8765", 8765)


def _call(guard: HostGuard, scope: dict) -> tuple[list[dict], bool]:
    """Run one ASGI call through the guard; return what it sent and whether the app ran."""
    sent: list[dict] = []
    ran = []

    async def app(scope, receive, send):
        ran.append(scope["type"])

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    guard.app = app
    asyncio.run(guard(scope, receive, send))
    return sent, bool(ran)


def test_host_guard_refuses_http_and_websocket_and_passes_lifespan():
    guard = HostGuard(None, "127.0.0.1", 0, extra=[])  # port 0: the connection's own port
    server = ("127.0.0.1", 8123)
    evil = [(b"host", b"evil.example:8123")]
    sent, ran = _call(guard, {"type": "http", "headers": evil, "server": server})
    assert not ran and sent[0]["status"] == 400 and b"Invalid Host" in sent[1]["body"]
    sent, ran = _call(guard, {"type": "websocket", "headers": evil, "server": server})
    assert not ran and sent == [{"type": "websocket.close", "code": 1008}]
    sent, ran = _call(guard, {"type": "http", "headers": [], "server": server})  # no Host
    assert not ran and sent[0]["status"] == 400
    good = [(b"host", b"localhost:8123")]
    assert _call(guard, {"type": "http", "headers": good, "server": server}) == ([], True)
    assert _call(guard, {"type": "websocket", "headers": good, "server": server}) == ([], True)
    assert _call(guard, {"type": "lifespan"}) == ([], True)


def test_server_runs_through_the_guarded_wrapper_and_knows_its_parent():
    from sim.app.dashboard import serve_command, serve_env

    cmd = serve_command("127.0.0.1", 9000)
    assert cmd[1:5] == ["-P", "-m", "sim.app.dashboard_server", "sim.app.dashboard_app"]
    assert cmd[cmd.index("--port") + 1] == "9000"
    assert serve_env()["TSUNAGARI_PARENT_PID"] == str(os.getpid())


# -- the running server -----------------------------------------------------------------------

needs_solara = pytest.mark.skipif(
    importlib.util.find_spec("solara") is None, reason="solara is not installed"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _get(port: int, host: str, path: str = "/", headers: dict | None = None) -> int:
    """Status of a GET to 127.0.0.1:port with the given Host header."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host)
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        conn.endheaders()
        return conn.getresponse().status
    finally:
        conn.close()


def _descendants(root: int) -> set[int]:
    """Live processes below ``root`` (from /proc; empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = text[text.rindex(")") + 2 :].split()[:2]
        if state not in ("Z", "X"):
            children.setdefault(int(ppid), []).append(int(entry.name))
    out, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] not in "ZX"


def _start_dashboard(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.app.cli", "dashboard", "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    end = time.monotonic() + 120
    while not _listening(port):
        if proc.poll() is not None:
            raise AssertionError(f"dashboard exited with status {proc.returncode}")
        if time.monotonic() > end:
            os.killpg(proc.pid, signal.SIGKILL)
            raise AssertionError("dashboard did not listen within 120 s")
        time.sleep(0.2)
    return proc, port


def _cleanup(proc: subprocess.Popen, started: set[int]) -> None:
    for pid in [proc.pid, *started]:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    proc.poll()


@needs_solara
def test_server_rejects_foreign_host_and_ends_with_sigterm_to_its_command(tmp_path):
    proc, port = _start_dashboard(tmp_path)
    started = _descendants(proc.pid)
    try:
        assert started, "the dashboard command should run the server as its child"
        assert _get(port, f"127.0.0.1:{port}") == 200
        assert _get(port, f"localhost:{port}") == 200
        assert _get(port, "evil.example") == 400
        assert _get(port, f"evil.example:{port}") == 400
        assert _get(port, f"127.0.0.1:{port}", "/readyz") == 200
        assert _get(port, "evil.example", "/readyz") == 400
        upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                   "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}  # fmt: skip
        ws = "/jupyter/api/kernels/x/channels"
        assert _get(port, f"evil.example:{port}", ws, upgrade) == 403  # closed before accept

        os.kill(proc.pid, signal.SIGTERM)  # the command only: it passes the signal on
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
        end = time.monotonic() + 10
        while (_listening(port) or any(map(_alive, started))) and time.monotonic() < end:
            time.sleep(0.2)
        assert not _listening(port)
        assert not [p for p in started if _alive(p)]
    finally:
        _cleanup(proc, started)


@needs_solara
@pytest.mark.slow
def test_server_ends_when_its_command_is_killed(tmp_path):
    proc, port = _start_dashboard(tmp_path)
    started = _descendants(proc.pid)
    try:
        assert started
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        end = time.monotonic() + 10
        while (_listening(port) or any(map(_alive, started))) and time.monotonic() < end:
            time.sleep(0.2)
        assert not _listening(port)
        assert not [p for p in started if _alive(p)]
    finally:
        _cleanup(proc, started)
