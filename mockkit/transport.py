"""How requests reach a fake: in-process (requests and httpx), or over a loopback HTTP server.

Both transports turn the client's request into a `mockkit.http.Request`, call the fake's
`handle()`, and turn the `mockkit.http.Response` back. In-process, one table maps each origin
to the fake answering it; `mockkit.requests_transport` and `mockkit.httpx_transport` hook the
two client libraries' per-URL adapter / transport choice into it. Transport-level failures
(timeouts, resets, truncated bodies) are raised by faults as `TransportFault`; each transport
carries them out its own way: in-process the exception the client library would raise, served
for real on the socket, so any client sees them.
"""

from __future__ import annotations

import contextlib
import importlib
import ipaddress
import re
import socket
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import requests
import responses
from werkzeug.serving import BaseWSGIServer, make_server

from mockkit.http import Request, Response, copy_headers, headers_from_pairs
from mockkit.loopback_http import KEEP_ALIVE, ConnectionHandler

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "LoopbackServer",
    "NetworkBlockedError",
    "TransportFault",
    "block_network",
    "check_serve_host",
    "intercept",
    "is_loopback",
    "is_loopback_host",
    "no_retry_sleep",
]

#: Largest request body a served fake reads; larger bodies get a 413 and are not read.
MAX_BODY_BYTES = 8 * 1024 * 1024

_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")


class Handler(Protocol):
    """Anything that answers mockkit requests: every fake is one."""

    def handle(self, request: Request) -> Response: ...


class TransportFault(Exception):
    """A failure below HTTP: raised by a fault, carried out by the transport in use.

    Subclasses (see `mockkit.errors`) say what `requests` raises in-process and what the
    loopback server does to the socket.
    """

    def to_requests_exception(self, request: requests.PreparedRequest) -> BaseException:
        """The exception `requests` raises for this failure."""
        return requests.exceptions.ConnectionError(
            str(self) or type(self).__name__, request=request
        )

    def to_httpx_exception(self, request: Any, httpx: Any) -> BaseException:
        """The exception httpx raises for this failure (`httpx` is the httpx or httpx2 module)."""
        return httpx.ConnectError(str(self) or type(self).__name__, request=request)  # type: ignore[no-any-return]

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Carry the failure out on the served connection (default: reset it).

        May return a body iterable (after calling `start_response`) or raise
        `ConnectionError`, which the server takes as a dropped connection, quietly.
        """
        reset_connection(environ)
        raise ConnectionAbortedError("mockkit reset the connection")


def reset_connection(environ: WSGIEnvironment) -> None:
    """Abort the client's connection: it reads no (more) response, then gets a TCP RST.

    SO_LINGER 0 makes the final close send RST instead of FIN; `shutdown()` ends the
    exchange at once even though the server still holds the socket's file objects.
    """
    sock = environ.get("werkzeug.socket")
    if sock is None:  # pragma: no cover - only werkzeug's server is used
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)


# --------------------------------------------------------------------------------------------
# Retry sleeps
# --------------------------------------------------------------------------------------------

_sleep_lock = threading.Lock()
_sleep_depth = 0
_sleep_saved: Any = None
#: Every backoff stripe-python asked for while sleeps were suppressed (seconds), newest last.
requested_sleeps: list[float] = []


@contextlib.contextmanager
def no_retry_sleep() -> Iterator[list[float]]:
    """Keep stripe-python's automatic retries but skip their backoff sleeps.

    The SDK still makes every attempt it would make against Stripe (same count, same
    idempotency key); only the 0.5 s-and-more waits between them cost nothing. The sleeps the
    SDK asked for are appended to the yielded list. Nesting is reference counted.
    """
    global _sleep_depth, _sleep_saved
    try:
        from stripe._http_client import HTTPClient
    except ImportError:  # pragma: no cover - stripe is a dependency
        yield requested_sleeps
        return

    def _no_sleep(self: Any, num_retries: int, *rest: Any) -> float:
        # Releases before 13 also pass the response (its `Retry-After` may set the wait).
        requested_sleeps.append(float(_sleep_saved(self, num_retries, *rest)))
        return 0.0

    with _sleep_lock:
        if _sleep_depth == 0:
            _sleep_saved = HTTPClient._sleep_time_seconds
            HTTPClient._sleep_time_seconds = _no_sleep  # type: ignore[method-assign]
        _sleep_depth += 1
    try:
        yield requested_sleeps
    finally:
        with _sleep_lock:
            _sleep_depth -= 1
            if _sleep_depth == 0:
                HTTPClient._sleep_time_seconds = _sleep_saved  # type: ignore[method-assign]
                _sleep_saved = None


# --------------------------------------------------------------------------------------------
# In-process transport
# --------------------------------------------------------------------------------------------


def request_from_prepared(prepared: requests.PreparedRequest, timeout: Any = None) -> Request:
    """Translate a `requests.PreparedRequest` into a mockkit `Request`.

    `timeout` is the `timeout=` the adapter was given; without it, the one `responses` keeps
    on the prepared request is used.
    """
    body = prepared.body
    if body is None:
        raw = b""
    elif isinstance(body, bytes):
        raw = body
    elif isinstance(body, str):
        raw = body.encode("utf-8")
    elif isinstance(body, bytearray):
        raw = bytes(body)
    elif hasattr(body, "read"):  # a file-like body
        data = body.read()
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    else:  # a generator of chunks
        raw = b"".join(chunk.encode() if isinstance(chunk, str) else bytes(chunk) for chunk in body)
    if timeout is None:
        timeout = (getattr(prepared, "req_kwargs", None) or {}).get("timeout")
    return Request(
        method=prepared.method or "GET",
        url=prepared.url or "",
        headers=copy_headers(prepared.headers),
        body=raw,
        timeout=timeout,
    )


def host_pattern(base_url: str) -> re.Pattern[str]:
    """A regex matching every URL under `base_url` (scheme and host, any path and query)."""
    return re.compile(re.escape(base_url.rstrip("/")) + r"(?:[/?#].*)?\Z", re.DOTALL)


def make_callback(
    handler: Handler,
) -> Callable[[requests.PreparedRequest], tuple[int, list[tuple[str, str]], bytes]]:
    """A `responses` callback that routes every request for a host into `handler`."""

    def callback(prepared: requests.PreparedRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        request = request_from_prepared(prepared)
        try:
            response = handler.handle(request)
        except TransportFault as fault:
            raise fault.to_requests_exception(prepared) from None
        # A HEAD answer has no body (urllib3 refuses one), as on the served side.
        body = response.body if request.method != "HEAD" else b""
        return response.status, response.headers, body

    return callback


def register(handler: Handler, hosts: Iterable[str], mock: responses.RequestsMock) -> None:
    """Register one callback per host (and method) for `handler` on a `responses` mock.

    For a test that runs its own `responses` mock and wants a fake answered *through* it.
    One host-level dispatch instead of a stub per URL: `responses` checks every registered stub
    on every call, so hundreds of per-URL stubs would slow each call down.
    """
    callback = make_callback(handler)
    for base in hosts:
        pattern = host_pattern(base)
        for method in _METHODS:
            mock.add_callback(method, pattern, callback=callback)  # type: ignore[arg-type]


_DEFAULT_PORTS = {"http": 80, "https": 443}
#: The origin (scheme://authority) at the start of an absolute URL.
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def origin(url: str) -> str:
    """`scheme://host[:port]` of `url`, lower-cased, the scheme's default port left out."""
    m = _ORIGIN.match(url)
    found = (m.group() if m else url).lower()
    scheme, _, authority = found.partition("://")
    host, sep, port = authority.rpartition(":")
    if sep and "]" not in port and port.isdigit() and _DEFAULT_PORTS.get(scheme) == int(port):
        return f"{scheme}://{host}"
    return found


class _Routing:
    """Which fake answers which origin, and the hooks that send requests there.

    One table for every client library: `requests` sessions (an adapter per fake) and httpx
    clients (a transport per fake) look the request's origin up here. The fake entered last
    answers an origin two active handlers share. Reference counted: the hooks are installed
    when the first fake starts and removed when the last one stops.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.table: dict[str, list[Handler]] = {}
        self.depth = 0
        #: A `responses` mock started under the fakes when no other one was active: it refuses
        #: unknown hosts at once and holds a test's own stubs (`fake.mock`).
        self.fallback: responses.RequestsMock | None = None

    def lookup(self, url: str) -> Handler | None:
        """The handler answering `url`'s origin, or None."""
        if not self.table:
            return None
        handlers = self.table.get(origin(url))
        return handlers[-1] if handlers else None

    def lookup_origin(self, key: str) -> Handler | None:
        """The handler answering an origin already normalised (httpx gives its parts)."""
        handlers = self.table.get(key.lower())
        return handlers[-1] if handlers else None

    def origins(self) -> list[str]:
        """Every origin answered now."""
        return sorted(self.table)


_routing = _Routing()


@contextlib.contextmanager
def intercept(handler: Handler, hosts: Iterable[str]) -> Iterator[responses.RequestsMock | None]:
    """Answer every request to `hosts` in-process with `handler` while the block runs.

    Through `requests` (any session) and httpx / httpx2 (`Client` and `AsyncClient`), for
    clients made before or after the block started. Requests to other hosts go where they
    would have gone: to a `responses`, respx or pytest-httpx mock the test runs (started
    before or after), or, when none is active, they fail at once with
    `requests.ConnectionError` / `httpx.ConnectError` (loopback excepted for httpx). Yields
    the `responses` mock that answers other hosts through `requests` (mockkit's own when the
    test runs none), so a test can add its own stubs beside the fakes; None when an unknown
    patch sits on `requests`' adapter.
    """
    # Imported by name: both modules build on this one.
    httpx_transport: Any = importlib.import_module("mockkit.httpx_transport")
    requests_transport: Any = importlib.import_module("mockkit.requests_transport")

    keys = [origin(h) for h in hosts]
    with _routing.lock:
        if _routing.depth == 0:
            if requests_transport.is_pristine_send():
                _routing.fallback = responses.RequestsMock(assert_all_requests_are_fired=False)
                _routing.fallback.start()
            requests_transport.install(_routing.lookup)
            httpx_transport.install(_routing.lookup_origin, _routing.origins)
        _routing.depth += 1
        for key in keys:
            _routing.table.setdefault(key, []).append(handler)
        mock = _routing.fallback or requests_transport.active_responses_mock()
    try:
        with no_retry_sleep():
            yield mock
    finally:
        with _routing.lock:
            for key in keys:
                handlers = _routing.table.get(key, [])
                # Remove this entry (the last one of this handler: nesting unwinds in order).
                for i in range(len(handlers) - 1, -1, -1):
                    if handlers[i] is handler:
                        del handlers[i]
                        break
                if not handlers:
                    _routing.table.pop(key, None)
            _routing.depth -= 1
            if _routing.depth == 0:
                _routing.table.clear()
                requests_transport.uninstall()
                httpx_transport.uninstall()
                fallback, _routing.fallback = _routing.fallback, None
                if fallback is not None:
                    fallback.stop()
                    fallback.reset()


# --------------------------------------------------------------------------------------------
# Loopback server
# --------------------------------------------------------------------------------------------


def request_from_environ(environ: WSGIEnvironment) -> Request:
    """Translate a WSGI environ into a mockkit `Request` (body must be read by the caller)."""
    headers = headers_from_pairs(
        [(k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_")]
    )
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["Content-Length"] = environ["CONTENT_LENGTH"]
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    raw_uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw_uri and raw_uri.startswith("/"):
        # Keep the path exactly as sent (percent-escapes included), like the in-process side.
        path_and_query = raw_uri.encode("latin-1").decode("utf-8", "replace")
    else:
        path_and_query = environ.get("PATH_INFO", "/")
        if environ.get("QUERY_STRING"):
            path_and_query += "?" + environ["QUERY_STRING"]
    return Request(
        method=environ.get("REQUEST_METHOD", "GET"),
        url=f"{scheme}://{host}{path_and_query}",
        headers=headers,
        served=True,
    )


_STATUS_TEXT = {
    200: "OK", 201: "Created", 204: "No Content", 302: "Found", 303: "See Other",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 413: "Payload Too Large",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}  # fmt: skip


def status_line(status: int) -> str:
    """`"404 Not Found"` for 404."""
    return f"{status} {_STATUS_TEXT.get(status, 'Status')}"


#: A Host header value: a name or IPv4 address, or a bracketed IPv6 address, and a port.
_HOST = re.compile(r"(?:[A-Za-z0-9._~%!$&'()*+,;=-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?\Z")


def wsgi_app(handler: Handler) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
    """A WSGI application that serves `handler`: the same routes as in-process."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST")
        if host and not _HOST.match(host):
            # RFC 9112 3.2: a 400. The URL is built from it, so "[" crashed urlsplit (a 500)
            # and "a/b?c" moved the path.
            start_response(status_line(400), [("Content-Type", "text/plain")])
            return [b"invalid Host header\n"]
        request = request_from_environ(environ)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            start_response(status_line(413), [("Content-Type", "text/plain")])
            return [b"request body too large or Content-Length invalid\n"]
        stream = environ["wsgi.input"]
        try:
            request.body = stream.read(length) if length else b""
            if not length and environ.get("wsgi.input_terminated"):
                # A chunked body declares no length: read one byte past the limit to know.
                request.body = stream.read(MAX_BODY_BYTES + 1)
                if len(request.body) > MAX_BODY_BYTES:
                    # As with a Content-Length over the limit: refused whole, never cut to
                    # the limit and executed.
                    start_response(status_line(413), [("Content-Type", "text/plain")])
                    return [b"request body too large\n"]
            complete = len(request.body) == length or not length
            # The body was read whole and nothing of it is left on the connection: the next
            # request can follow on it.
            environ[KEEP_ALIVE] = complete and not environ.get("wsgi.input_terminated")
        except (OSError, ValueError):  # a broken chunked body: werkzeug raises OSError
            complete = False
        if not complete:
            # The client's fault, not a 500; and a body cut short (the client gave up) is
            # not a request: the fake must not act on half of one.
            start_response(status_line(400), [("Content-Type", "text/plain")])
            return [b"incomplete or malformed request body\n"]
        try:
            response = handler.handle(request)
        except TransportFault as fault:
            return fault.serve(environ, start_response)
        headers = [
            # HTTP header values are latin-1 on the wire; a value from the client's own input
            # (e.g. a scope echoed in X-OAuth-Scopes) outside it made werkzeug fail mid-write
            # and leave the client waiting forever.
            (k, v.encode("latin-1", "replace").decode("latin-1"))
            for k, v in response.headers
            if k.lower() not in ("content-length", "transfer-encoding", "connection")
        ]
        headers.append(("Content-Length", str(len(response.body))))
        start_response(status_line(response.status), headers)
        return [response.body] if request.method != "HEAD" else []

    return app


def is_loopback_host(host: str) -> bool:
    """Whether `host` names this machine only (127.0.0.0/8, ::1 or localhost).

    For an address to listen on: the empty string and 0.0.0.0 mean every interface, so they
    are not loopback.
    """
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_serve_host(host: str, allow_remote: bool = False) -> None:
    """Refuse to serve a fake on an address other machines can reach, unless `allow_remote`.

    A fake accepts any credentials and hands out tokens and signed webhooks, so it listens on
    loopback only by default, as `python -m mockkit serve` does without `--allow-remote`.
    """
    if not allow_remote and not is_loopback_host(host):
        raise ValueError(
            f"refusing to serve a mockkit fake on {host!r}: fakes accept any credentials, so "
            "they listen on loopback only (127.0.0.1, ::1, localhost); pass "
            "allow_remote=True to serve one on a network you trust"
        )


class LoopbackServer:
    """A fake served over real HTTP on 127.0.0.1, in a background thread.

    Use it as a context manager (`with fake.serve() as server:`); `server.url` is its base URL.
    It shares the fake's state with the in-process transport. A host other than loopback is
    refused unless `allow_remote=True`.
    """

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        allow_remote: bool = False,
    ) -> None:
        check_serve_host(host, allow_remote)
        self.handler = handler
        self.host = host
        self.requested_port = port
        self._connections: set[socket.socket] = set()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the server listens on (chosen by the OS when 0 was asked for)."""
        if self._server is None:
            raise RuntimeError("the server is not running; use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT`, with no trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> LoopbackServer:
        """Bind and start serving in a daemon thread."""
        if self._server is not None:
            return self
        # Bind here rather than in werkzeug: on a taken port werkzeug prints to stderr and
        # calls sys.exit(1); binding first turns that into an OSError a caller can report.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            listener = socket.create_server((self.host, self.requested_port), family=family)
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"cannot serve on {self.host}:{self.requested_port}: {exc.strerror or exc}",
            ) from exc
        try:
            self._server = make_server(
                self.host,
                self.requested_port,
                wsgi_app(self.handler),
                threaded=True,
                request_handler=type(
                    "ServerHandler", (ConnectionHandler,), {"connections": self._connections}
                ),
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # werkzeug works on its own duplicate of the descriptor
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"mockkit-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        # Connections kept alive wait for their client's next request: end their reading side
        # so each handler thread sees end-of-stream and closes its connection now.
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RD)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self._server is not None else "stopped"
        return f"<LoopbackServer {state}>"


# --------------------------------------------------------------------------------------------
# Network guard
# --------------------------------------------------------------------------------------------


class NetworkBlockedError(OSError):
    """Raised when code under test tries to reach a non-loopback address."""


def is_loopback(host: Any) -> bool:
    """Whether `host` (a name or an address) is this machine: loopback, localhost, a socket."""
    if not isinstance(host, str):
        return True  # unix sockets and the like are local
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host.endswith(".localhost")


@contextlib.contextmanager
def block_network(allow: Iterable[str] = (), hint: str = "") -> Iterator[None]:
    """Refuse every outbound connection and DNS lookup except loopback (and `allow` hosts).

    A blocked call raises `NetworkBlockedError` at once naming the host, so an unrecorded or
    unmocked request fails fast instead of hanging or retrying. `hint` replaces the generic
    advice in the message (e.g. how to record a cassette against a served fake).
    """
    allowed = set(allow)
    advice = hint or "tests run offline. Use a fake, a stub or a cassette for this host."
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, bytes | bytearray):  # CPython takes (b"203.0.113.7", 443) too
            host = bytes(host).decode("ascii", "replace")
        if not is_loopback(host) and host not in allowed:
            raise NetworkBlockedError(
                f"mockkit blocked a network connection to {address!r}: {advice}"
            )

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check(address)
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        # UDP needs no connect(): sendto(data, address) or sendto(data, flags, address).
        if self.family in (socket.AF_INET, socket.AF_INET6) and args:
            check(args[-1])
        return real_sendto(self, data, *args)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host is not None and not is_loopback(host) and host not in allowed:
            raise NetworkBlockedError(f"mockkit blocked a DNS lookup of {host!r}: {advice}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = sendto  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.socket.sendto = real_sendto  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo
