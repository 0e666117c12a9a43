"""The dashboard's server process: ``solara run sim.app.dashboard_app`` with two safeguards.

``tsunagari dashboard`` starts this module as its child (``python -m sim.app.dashboard_server
sim.app.dashboard_app --host H --port P ...``; the arguments are those of ``solara run``). Before
handing over to Solara it

* ties its life to the command's (:func:`sim.core.lifeline.from_env`): if ``tsunagari dashboard`` is
  killed, even with SIGKILL, the server gets SIGTERM (Linux) or notices within a second and
  ends, instead of listening on with nobody to stop it;
* wraps Solara's Starlette app in :class:`HostGuard`, which refuses (HTTP 400, or a closed
  websocket) every request whose ``Host`` header is not an address the server is bound to.
  A web page on another site cannot then reach the dashboard through DNS rebinding (a name
  of the attacker's that resolves to 127.0.0.1).

Accepted ``Host`` values (always with the port, bare only on port 80): bound to a loopback
address or ``localhost``: ``127.0.0.1``, ``localhost`` and ``[::1]``; bound to another address:
that address; bound to every interface (``0.0.0.0`` or ``::``): the loopback names, this
computer's host names and their addresses. More names (e.g. of a reverse proxy) can be added,
comma-separated, in the environment variable ``TSUNAGARI_DASHBOARD_HOSTS``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""How a browser on this computer names a server bound to loopback."""

EXTRA_HOSTS_ENV = "TSUNAGARI_DASHBOARD_HOSTS"
"""Environment variable: more accepted host names, comma-separated (e.g. a reverse proxy)."""

WILDCARD = ("", "0.0.0.0", "::", "[::]")


def _bracket(name: str) -> str:
    """An IPv6 address in the bracketed form of a Host header; other names unchanged."""
    try:
        if ipaddress.ip_address(name).version == 6:
            return f"[{name}]"
    except ValueError:
        pass
    return name


def _is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_names(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Host names (without port) a server bound to ``host`` answers to.

    Args:
        host: the address the server binds (as given to ``--host``).
        extra: more names to accept.

    Returns:
        Lower-case names, IPv6 addresses in brackets.
    """
    h = host.strip().lower()
    names: set[str] = set()
    if h in WILDCARD:
        names.update(LOOPBACK_NAMES)
        try:
            own = {socket.gethostname(), socket.getfqdn()}
            for name in list(own):
                own.update(socket.gethostbyname_ex(name)[2])
        except OSError:  # no resolvable host name: loopback only
            own = set()
        names.update(_bracket(n.lower()) for n in own if n)
    elif _is_loopback(h):
        names.update(LOOPBACK_NAMES)
        names.add(_bracket(h.strip("[]")))
    else:
        names.add(_bracket(h.strip("[]")))
    names.update(_bracket(n.strip().lower().strip("[]")) for n in extra if n.strip())
    return frozenset(names)


class HostGuard:
    """ASGI middleware: refuse requests whose ``Host`` header is not an accepted address.

    Args:
        app: the wrapped ASGI application.
        host: the address the server binds.
        port: the port it listens on (0: taken from each connection's local address).
        extra: more accepted names (default: from :data:`EXTRA_HOSTS_ENV`).
    """

    def __init__(self, app: ASGIApp, host: str, port: int, extra: Iterable[str] | None = None):
        self.app = app
        self.port = int(port)
        if extra is None:
            extra = os.environ.get(EXTRA_HOSTS_ENV, "").split(",")
        self.names = allowed_names(host, extra)

    def allowed(self, value: str | None, port: int) -> bool:
        """Whether a ``Host`` header value names this server (name and port must match)."""
        if not value:
            return False
        text = value.strip().lower()
        if text.startswith("["):  # [IPv6]:port
            name, _, rest = text.partition("]")
            name, sep, digits = name + "]", rest[:1], rest[1:]
            if rest and sep != ":":
                return False
        else:
            name, sep, digits = text.partition(":")
        if not sep:
            return port == 80 and name in self.names
        return digits.isdigit() and int(digits) == port and name in self.names

    async def __call__(self, scope: Scope, receive, send) -> None:
        """Pass accepted requests on; answer others with 400 (HTTP) or close (websocket)."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        value = headers.get(b"host")
        port = self.port or int((scope.get("server") or ("", 0))[1] or 0)
        if self.allowed(value.decode("latin-1") if value is not None else None, port):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = b"Invalid Host header: this dashboard answers only to the address it is bound to.\n"
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _option(argv: list[str], name: str, default: str) -> str:
    """The value of ``--name VALUE`` or ``--name=VALUE`` in a ``solara run`` argument list."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


COOKIE_WARNING = r"Cookies with samesite=none require https"
"""Start of the UserWarning that Solara's page handler (``solara.server.starlette``) issues for
every page served over plain http to a host other than ``localhost``, i.e. for every page of
this dashboard at ``http://127.0.0.1:PORT/``. It says the session cookie falls back to
``SameSite=Lax``, which is what a page that is not embedded in another site's frame needs.
Python shows a warning once per place, but every ``warnings.catch_warnings()`` (numpy, pandas
and matplotlib use it while the model runs) resets that memory, so it filled the terminal."""


def quiet_cookie_warning() -> None:
    """Ignore Solara's SameSite cookie warning (see :data:`COOKIE_WARNING`); nothing else."""
    import warnings

    warnings.filterwarnings(
        "ignore",
        message=COOKIE_WARNING,
        category=UserWarning,
        module=r"solara\.server\.starlette",
    )


def main(argv: list[str] | None = None) -> None:
    """Install the lifeline and the host guard, then run ``solara run`` with ``argv``.

    Solara's cookie warning, harmless here, is silenced (:func:`quiet_cookie_warning`).

    Args:
        argv: the ``solara run`` arguments: the app module first, then options.
    """
    import signal

    from sim.core import lifeline

    argv = list(sys.argv[1:] if argv is None else argv)
    lifeline.from_env(signal.SIGTERM)
    quiet_cookie_warning()
    host = _option(argv, "--host", "127.0.0.1")
    port = int(_option(argv, "--port", "8765"))
    # Solara registers its app when its server module is first imported: name it first
    os.environ["SOLARA_APP"] = argv[0]
    import solara.server.starlette as server
    from solara.__main__ import cli

    server.app.add_middleware(HostGuard, host=host, port=port)
    cli(["run", *argv])


if __name__ == "__main__":
    main()
