"""Failures below HTTP, carried out on a real socket by the loopback server.

Each `Simulated*` class is a `TransportFault` a `SocketFault` raises from `respond()`. The
in-process transport turns it into the exception the client library raises (the mapping lives
in `mockkit.errors.clients`, one module per library); the loopback server calls `serve()`,
which does the failure for real on the connection (a held socket, a TCP reset, a cut body), so
any client, in any language, meets it.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

from mockkit.errors import clients
from mockkit.transport import TransportFault, status_line

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "MAX_SERVED_HOLD",
    "SimulatedConnectTimeout",
    "SimulatedConnectionRefused",
    "SimulatedConnectionReset",
    "SimulatedDNSFailure",
    "SimulatedFault",
    "SimulatedReadTimeout",
    "SimulatedSSLError",
    "SimulatedTruncatedBody",
]

#: The longest a served fault holds a connection or sleeps, so a client without a timeout
#: cannot hang a test run for good.
MAX_SERVED_HOLD = 30.0


def _socket(environ: WSGIEnvironment) -> socket.socket | None:
    sock = environ.get("werkzeug.socket")
    return sock if isinstance(sock, socket.socket) else None


def _close(environ: WSGIEnvironment) -> NoReturn:
    """End the exchange with a plain FIN: the client reads end-of-stream, no response."""
    sock = _socket(environ)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("mockkit closed the connection")


def _reset(environ: WSGIEnvironment) -> NoReturn:
    """Abort with a TCP RST: SO_LINGER 0, and no FIN before the server's final close.

    The server would `shutdown()` the socket (a FIN) before closing it, so the descriptor is
    taken away from the server's socket object and closed here, at once: with SO_LINGER 0
    that close sends RST, and the client reads "connection reset by peer". The server's own
    later calls on the emptied socket object fail quietly.
    """
    sock = _socket(environ)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            socket.socket(fileno=sock.detach()).close()
    raise ConnectionAbortedError("mockkit reset the connection")


def _hold(environ: WSGIEnvironment, seconds: float) -> NoReturn:
    """Keep the connection open without answering until the client gives up (or `seconds`)."""
    sock = _socket(environ)
    deadline = time.monotonic() + min(seconds, MAX_SERVED_HOLD)
    while sock is not None and (left := deadline - time.monotonic()) > 0:
        try:
            readable, _, _ = select.select([sock], [], [], min(left, 0.05))
            # Readable with nothing to read: the client hung up (its timeout fired).
            if readable and not sock.recv(1, socket.MSG_PEEK):
                break
        except (OSError, ValueError):
            break
    _close(environ)


class SimulatedFault(TransportFault):
    """A transport failure raised by a mockkit fault (base of the `Simulated*` classes).

    `kind` names the failure for the client-library mappings in `mockkit.errors.clients`;
    `fault` is the fault that raised it (its `hold`, `body`, `keep` and `status` shape what
    the server does).
    """

    #: The failure's name, the key every client library's mapping is written against.
    kind: ClassVar[str] = "connection_error"

    def __init__(self, message: str = "", fault: object | None = None) -> None:
        super().__init__(message)
        self.fault = fault

    def hold(self) -> float:
        """How long the server holds the connection before giving up on the client."""
        return float(getattr(self.fault, "hold", MAX_SERVED_HOLD))

    def to_exception(self, library: str, request: Any) -> BaseException:
        """The exception `library` (a module of `mockkit.errors.clients`) raises for this."""
        return clients.get(library).transport_exception(self, request)

    def to_requests_exception(self, request: Any) -> BaseException:
        """The exception `requests` raises for this failure (what the in-process side raises)."""
        return self.to_exception("requests", request)

    def to_httpx_exception(self, request: Any, httpx: Any) -> BaseException:
        """The exception httpx (or httpx2, the library of `request`) raises for this failure."""
        return self.to_exception("httpx", request)


class SimulatedConnectTimeout(SimulatedFault):
    """No connection within the timeout. Served: the connection is held unanswered."""

    kind = "connect_timeout"

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Hold the (already open) connection unanswered until the client's timeout fires."""
        _hold(environ, self.hold())


class SimulatedReadTimeout(SimulatedFault):
    """Connected, but no answer within the read timeout. Served: held unanswered for real."""

    kind = "read_timeout"

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Hold the connection unanswered until the client's read timeout fires."""
        _hold(environ, self.hold())


class SimulatedConnectionRefused(SimulatedFault):
    """Nothing listens on the port. Served: the connection is reset before any answer."""

    kind = "connection_refused"

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Reset the connection before any answer (the port is open, so RST is the closest)."""
        _reset(environ)


class SimulatedConnectionReset(SimulatedFault):
    """The peer reset the connection mid-request. Served: a real TCP RST (SO_LINGER 0)."""

    kind = "connection_reset"

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Send a real TCP RST, no answer."""
        _reset(environ)


class SimulatedDNSFailure(SimulatedFault):
    """The host name does not resolve. Served: the connection closes with no answer."""

    kind = "dns_failure"

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Close without answering: a loopback socket has already resolved its host."""
        _close(environ)


class SimulatedSSLError(SimulatedFault):
    """The TLS handshake or certificate check failed. Served: a TLS alert, then close."""

    kind = "ssl_error"

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer with a TLS fatal alert record (handshake_failure) instead of HTTP, then close.

        The loopback server speaks plain HTTP, so a client sees a broken status line (a
        connection error), not a certificate error: the closest honest thing on that socket.
        """
        sock = _socket(environ)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.sendall(b"\x15\x03\x03\x00\x02\x02\x28")
        _close(environ)


class SimulatedTruncatedBody(SimulatedFault):
    """The body ended before its Content-Length. Served: sent for real, then the socket closes."""

    kind = "truncated_body"

    def parts(self) -> tuple[bytes, int]:
        """The whole body the headers announce, and how many of its bytes are sent."""
        body = getattr(self.fault, "body", b"") or b"{}"
        keep = float(getattr(self.fault, "keep", 0.5))
        return body, max(0, min(len(body) - 1, int(len(body) * keep)))

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Send the status line, headers with the full Content-Length, part of the body; close."""
        body, kept = self.parts()
        status = int(getattr(self.fault, "status", 200))
        head = (
            f"HTTP/1.1 {status_line(status)}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1")
        sock = _socket(environ)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.sendall(head + body[:kept])
        _close(environ)
