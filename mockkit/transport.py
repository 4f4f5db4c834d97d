"""How requests reach a fake: in-process through `responses`, or over a loopback HTTP server.

Both transports turn the client's request into a `mockkit.http.Request`, call the fake's
`handle()`, and turn the `mockkit.http.Response` back. Transport-level failures (timeouts,
resets, truncated bodies) are raised by faults as `TransportFault`; each transport carries them
out its own way: the in-process one raises the exception `requests` would raise, the server
does it for real on the socket, so clients other than `requests` see them too.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import struct
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import requests
import responses
from requests.structures import CaseInsensitiveDict
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from mockkit.http import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "LoopbackServer",
    "NetworkBlockedError",
    "TransportFault",
    "block_network",
    "intercept",
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

    def _no_sleep(self: Any, num_retries: int) -> float:
        requested_sleeps.append(float(_sleep_saved(self, num_retries)))
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


def request_from_prepared(prepared: requests.PreparedRequest) -> Request:
    """Translate a `requests.PreparedRequest` into a mockkit `Request`."""
    body = prepared.body
    if body is None:
        raw = b""
    elif isinstance(body, str):
        raw = body.encode("utf-8")
    elif isinstance(body, bytes | bytearray):
        raw = bytes(body)
    else:  # a file-like or generator body (responses has already read file-likes)
        raw = b"".join(chunk.encode() if isinstance(chunk, str) else bytes(chunk) for chunk in body)
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(prepared.headers)
    # `responses` keeps the send() keyword arguments on the prepared request: the timeout.
    req_kwargs = getattr(prepared, "req_kwargs", None) or {}
    return Request(
        method=prepared.method or "GET",
        url=prepared.url or "",
        headers=headers,
        body=raw,
        timeout=req_kwargs.get("timeout"),
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

    One host-level dispatch instead of a stub per URL: `responses` checks every registered stub
    on every call, so hundreds of per-URL stubs would slow each call down.
    """
    callback = make_callback(handler)
    for base in hosts:
        pattern = host_pattern(base)
        for method in _METHODS:
            mock.add_callback(method, pattern, callback=callback)  # type: ignore[arg-type]


class _Interceptor:
    """The one `responses` mock shared by every active fake (reference counted).

    Two `responses` mocks cannot be active at once (the last one started answers alone), so
    fakes entered together share one: a GitHub fake and a Stripe fake in the same test both
    answer.
    """

    def __init__(self) -> None:
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.depth = 0


_interceptor_lock = threading.Lock()
_interceptor: _Interceptor | None = None


@contextlib.contextmanager
def intercept(handler: Handler, hosts: Iterable[str]) -> Iterator[responses.RequestsMock]:
    """Answer every request to `hosts` in-process with `handler` while the block runs.

    Requests to any other host fail at once with `requests.ConnectionError`, as `responses`
    does. Yields the shared `responses.RequestsMock`, so a test can add its own stubs beside the
    fakes.
    """
    global _interceptor
    host_list = list(hosts)
    with _interceptor_lock:
        if _interceptor is None:
            _interceptor = _Interceptor()
            _interceptor.mock.start()
        current = _interceptor
        current.depth += 1
        before = list(current.mock.registered())
        register(handler, host_list, current.mock)
        mine = [m for m in current.mock.registered() if m not in before]
    try:
        with no_retry_sleep():
            yield current.mock
    finally:
        with _interceptor_lock:
            for match in mine:
                with contextlib.suppress(ValueError):
                    current.mock.registered().remove(match)
            current.depth -= 1
            if current.depth == 0:
                current.mock.stop()
                current.mock.reset()
                _interceptor = None


# --------------------------------------------------------------------------------------------
# Loopback server
# --------------------------------------------------------------------------------------------


def request_from_environ(environ: WSGIEnvironment) -> Request:
    """Translate a WSGI environ into a mockkit `Request` (body must be read by the caller)."""
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
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
                request.body = stream.read(MAX_BODY_BYTES + 1)[:MAX_BODY_BYTES]
            complete = len(request.body) == length or not length
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


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without the access log on stderr."""

    disable_nagle_algorithm = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def connection_dropped(
        self, error: BaseException, environ: WSGIEnvironment | None = None
    ) -> None:
        # A connection a fault aborted (or a client dropped) is never read from again.
        self.close_connection = True


class LoopbackServer:
    """A fake served over real HTTP on 127.0.0.1, in a background thread.

    Use it as a context manager (`with fake.serve() as server:`); `server.url` is its base URL.
    It shares the fake's state with the in-process transport.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.host = host
        self.requested_port = port
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
                request_handler=_QuietHandler,
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


def _is_loopback(host: Any) -> bool:
    if not isinstance(host, str):
        return True  # unix sockets and the like are local
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host.endswith(".localhost")


@contextlib.contextmanager
def block_network(allow: Iterable[str] = ()) -> Iterator[None]:
    """Refuse every outbound connection and DNS lookup except loopback (and `allow` hosts).

    A blocked call raises `NetworkBlockedError` at once naming the host, so an unrecorded or
    unmocked request fails fast instead of hanging or retrying.
    """
    allowed = set(allow)
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, bytes | bytearray):  # CPython takes (b"203.0.113.7", 443) too
            host = bytes(host).decode("ascii", "replace")
        if not _is_loopback(host) and host not in allowed:
            raise NetworkBlockedError(
                f"mockkit blocked a network connection to {address!r}: tests run offline. "
                "Use a fake, a stub or a cassette for this host."
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
        if host is not None and not _is_loopback(host) and host not in allowed:
            raise NetworkBlockedError(
                f"mockkit blocked a DNS lookup of {host!r}: tests run offline. "
                "Use a fake, a stub or a cassette for this host."
            )
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
