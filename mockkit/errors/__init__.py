"""Failures as values: one vocabulary for fakes, `responses` stubs, monkeypatching and servers.

Every factory here returns a `Fault`. The same object works five ways:

- on a fake: `fake.inject(read_timeout(), method="POST", path="/v1/payment_intents")`;
- as a `responses` stub: `read_timeout().stub(rsps, "POST", url)`;
- as a side effect of a monkeypatched function: `fault.side_effect("stripe")` raises exactly
  the exception stripe-python raises for it (built by the SDK's own error mapping);
- as an overlay on a cassette replay (the cassette glue calls `fault.respond(request)`);
- on the loopback server, where transport faults happen for real on the socket (a held
  connection, a TCP reset, a truncated body), so clients other than `requests` see them too.

`fault.respond(request)` is the one interface the transports share: it returns the HTTP
`Response` to send, raises a `TransportFault` for failures below HTTP, or returns `None`
(`slow()` without `then=`: only a delay, then the usual answer).

Provider-shaped faults live in `mockkit.errors.stripe` and `mockkit.errors.oauth`.
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NoReturn
from urllib.parse import urlsplit

import requests
import responses
from requests.structures import CaseInsensitiveDict

from mockkit.fake import FaultRule
from mockkit.http import Request, Response
from mockkit.stripe.errors import error_response
from mockkit.transport import TransportFault, request_from_prepared, status_line

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "SDK",
    "Fault",
    "HTTPFault",
    "Outcome",
    "SimulatedConnectTimeout",
    "SimulatedConnectionRefused",
    "SimulatedConnectionReset",
    "SimulatedDNSFailure",
    "SimulatedFault",
    "SimulatedReadTimeout",
    "SimulatedSSLError",
    "SimulatedTruncatedBody",
    "Slow",
    "SocketFault",
    "catalog",
    "connect_timeout",
    "connection_refused",
    "connection_reset",
    "dns_failure",
    "empty_body",
    "malformed_json",
    "oauth",
    "overlay",
    "rate_limited",
    "read_timeout",
    "response",
    "server_error",
    "slow",
    "ssl_error",
    "stripe",
    "table",
    "truncated_body",
]

SDK = Literal["stripe", "requests", "authlib"]

#: The longest a served fault holds a connection or sleeps, so a client without a timeout
#: cannot hang a test run for good.
MAX_SERVED_HOLD = 30.0

#: stripe-python's default `RequestsClient` timeout (seconds).
STRIPE_DEFAULT_TIMEOUT = 80.0

_STRIPE_PROBE = ("POST", "https://api.stripe.com/v1/payment_intents")
_TOKEN_PROBE = ("POST", "https://oauth.example.com/token")


# --------------------------------------------------------------------------------------------
# Transport faults: what `requests` raises in-process, what the server does to the socket
# --------------------------------------------------------------------------------------------


def _origin(request: requests.PreparedRequest) -> tuple[str, int, str]:
    parts = urlsplit(request.url or "")
    default_port = 443 if parts.scheme == "https" else 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.hostname or "", parts.port or default_port, path or "/"


def _pool(request: requests.PreparedRequest) -> str:
    host, port, _ = _origin(request)
    scheme = "HTTPS" if (request.url or "").startswith("https") else "HTTP"
    return f"{scheme}ConnectionPool(host={host!r}, port={port})"


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
    """A transport failure raised by a mockkit fault (base of the `Simulated*` classes)."""

    #: The `requests` exception class raised in-process.
    requests_error: ClassVar[type[requests.RequestException]] = requests.ConnectionError

    def __init__(self, message: str = "", fault: Fault | None = None) -> None:
        super().__init__(message)
        self.fault = fault

    def describe(self, request: requests.PreparedRequest) -> str:
        """The exception message, in urllib3's words (so logs look like the real thing)."""
        return str(self) or type(self).__name__

    def to_requests_exception(self, request: requests.PreparedRequest) -> BaseException:
        """The exception `requests` raises for this failure."""
        return self.requests_error(
            f"{self.describe(request)} [simulated by mockkit]", request=request
        )


class SimulatedConnectTimeout(SimulatedFault):
    """No connection within the timeout. Served: the connection is held unanswered."""

    requests_error = requests.ConnectTimeout

    def describe(self, request: requests.PreparedRequest) -> str:
        host, _, path = _origin(request)
        return (
            f"{_pool(request)}: Max retries exceeded with url: {path} (Caused by "
            f"ConnectTimeoutError('Connection to {host} timed out.'))"
        )

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Hold the (already open) connection unanswered until the client's timeout fires."""
        hold = self.fault.hold if isinstance(self.fault, SocketFault) else MAX_SERVED_HOLD
        _hold(environ, hold)


class SimulatedReadTimeout(SimulatedFault):
    """Connected, but no answer within the read timeout. Served: held unanswered for real."""

    requests_error = requests.ReadTimeout

    def describe(self, request: requests.PreparedRequest) -> str:
        return f"{_pool(request)}: Read timed out."

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Hold the connection unanswered until the client's read timeout fires."""
        hold = self.fault.hold if isinstance(self.fault, SocketFault | Slow) else MAX_SERVED_HOLD
        _hold(environ, hold)


class SimulatedConnectionRefused(SimulatedFault):
    """Nothing listens on the port. Served: the connection is reset before any answer."""

    def describe(self, request: requests.PreparedRequest) -> str:
        _, _, path = _origin(request)
        return (
            f"{_pool(request)}: Max retries exceeded with url: {path} (Caused by "
            "NewConnectionError('Failed to establish a new connection: "
            "[Errno 111] Connection refused'))"
        )

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Reset the connection before any answer (the port is open, so RST is the closest)."""
        _reset(environ)


class SimulatedConnectionReset(SimulatedFault):
    """The peer reset the connection mid-request. Served: a real TCP RST (SO_LINGER 0)."""

    def describe(self, request: requests.PreparedRequest) -> str:
        return "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Send a real TCP RST, no answer."""
        _reset(environ)


class SimulatedDNSFailure(SimulatedFault):
    """The host name does not resolve. Served: the connection closes with no answer."""

    def describe(self, request: requests.PreparedRequest) -> str:
        host, _, path = _origin(request)
        return (
            f"{_pool(request)}: Max retries exceeded with url: {path} (Caused by "
            f"NameResolutionError(\"Failed to resolve '{host}' ([Errno -2] Name or service "
            'not known)"))'
        )

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Close without answering: a loopback socket has already resolved its host."""
        _close(environ)


class SimulatedSSLError(SimulatedFault):
    """The TLS handshake or certificate check failed. Served: a TLS alert, then close."""

    requests_error = requests.exceptions.SSLError

    def describe(self, request: requests.PreparedRequest) -> str:
        _, _, path = _origin(request)
        return (
            f"{_pool(request)}: Max retries exceeded with url: {path} (Caused by "
            "SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
            "certificate verify failed: self-signed certificate in certificate chain')))"
        )

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

    requests_error = requests.exceptions.ChunkedEncodingError

    def _parts(self) -> tuple[bytes, int]:
        fault = self.fault
        if isinstance(fault, SocketFault):
            body = fault.body
            keep = fault.keep
        else:  # pragma: no cover - always raised by truncated_body()
            body, keep = b"{}", 0.5
        return body, max(0, min(len(body) - 1, int(len(body) * keep)))

    def describe(self, request: requests.PreparedRequest) -> str:
        body, kept = self._parts()
        return (
            "('Connection broken: IncompleteRead("
            f"{kept} bytes read, {len(body) - kept} more expected)', "
            f"IncompleteRead({kept} bytes read, {len(body) - kept} more expected))"
        )

    def serve(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Send the status line, headers with the full Content-Length, part of the body; close."""
        body, kept = self._parts()
        fault = self.fault
        status = fault.status if isinstance(fault, SocketFault) else 200
        head = (
            f"HTTP/1.1 {status_line(status)}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1")
        sock = _socket(environ)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.sendall(head + body[:kept])
        _close(environ)


# --------------------------------------------------------------------------------------------
# The fault type
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a client sees for a fault: the exception per SDK and stripe-python's attempts.

    Computed by running the fault's answer through the SDKs' own code (stripe-python's error
    mapping and retry rule, authlib's token-response parsing), so it is what they do, not what
    we believe they do; the test suite checks each against real calls.
    """

    stripe: str
    stripe_attempts: int
    requests: str
    authlib: str
    served: str


class Fault:
    """A failure a transport can carry out. Base of everything `mockkit.errors` returns.

    Subclasses implement `respond()`; everything else (stubs, side effects, the SDK
    outcome) is built on it.
    """

    #: The SDK whose exception `side_effect()` raises when none is named (None: must name one).
    sdk: SDK | None = None
    #: What the loopback server does for this fault, in a few words (for the docs table).
    served: str = "answers the same HTTP response"

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<Fault {self.name}>"

    # ---- the transport interface ------------------------------------------------------------

    def respond(self, request: Request) -> Response | None:
        """The HTTP answer for `request`; raises `TransportFault` for failures below HTTP."""
        raise NotImplementedError

    # ---- responses ---------------------------------------------------------------------------

    def callback(
        self, then: Response | Fault | None = None
    ) -> Callable[[requests.PreparedRequest], tuple[int, list[tuple[str, str]], bytes]]:
        """A `responses` callback that answers with this fault (`then`: after a mere delay)."""

        def callback(
            prepared: requests.PreparedRequest,
        ) -> tuple[int, list[tuple[str, str]], bytes]:
            request = request_from_prepared(prepared)
            try:
                response = self.respond(request)
                if response is None:
                    response = _resolve(then, request)
            except TransportFault as fault:
                raise fault.to_requests_exception(prepared) from None
            if response is None:
                raise requests.ConnectionError(
                    f"mockkit: {self.name} only delays; stub it with then=<a Response or "
                    "fault> to say what answers after the delay",
                    request=prepared,
                )
            return response.status, list(response.headers), response.body

        return callback

    def stub(
        self,
        rsps: responses.RequestsMock | None = None,
        method: str = "GET",
        url: str | re.Pattern[str] = re.compile(r".*"),
        *,
        then: Response | Fault | None = None,
        match: Iterable[Any] = (),
    ) -> responses.BaseResponse:
        """Register this fault as the answer to `method url` on a `responses` mock.

        `rsps` defaults to the `responses` module's own mock (`@responses.activate`). `match`
        takes `responses.matchers`. Returns the registered stub, whose `call_count` counts
        the attempts the client made.
        """
        if isinstance(self, Slow) and then is None and self.then is None:
            raise ValueError(
                f"{self.name} as a stub needs then=: a stub has no usual answer to fall back on"
            )
        target: Any = rsps if rsps is not None else responses.mock
        return target.add_callback(  # type: ignore[no-any-return]
            method.upper(),
            url,
            callback=self.callback(then),
            content_type=None,
            match=tuple(match),
        )

    # ---- what the SDKs raise -----------------------------------------------------------------

    def _probe(self, sdk: SDK, method: str | None, url: str | None) -> Request:
        default_method, default_url = _TOKEN_PROBE if sdk == "authlib" else _STRIPE_PROBE
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        timeout: float | None = None
        if sdk == "stripe":
            import stripe

            headers["Stripe-Version"] = str(stripe.api_version)
            headers["Authorization"] = "Bearer sk_test_mockkit"
            timeout = STRIPE_DEFAULT_TIMEOUT
        else:
            headers["Accept"] = "application/json"
        return Request(
            method or default_method, url or default_url, headers=headers, timeout=timeout
        )

    def answer(
        self, sdk: SDK = "requests", method: str | None = None, url: str | None = None
    ) -> Response | BaseException:
        """This fault's answer to one probe request: a `Response`, or the `requests` exception."""
        request = self._probe(sdk, method, url)
        prepared = requests.Request(request.method, request.url).prepare()
        try:
            response = self.respond(request)
        except TransportFault as fault:
            return fault.to_requests_exception(prepared)
        if response is None:
            raise ValueError(f"{self.name} without then= only delays: it raises nothing")
        return response

    def exception(
        self, sdk: SDK = "stripe", method: str | None = None, url: str | None = None
    ) -> BaseException:
        """The exception the SDK raises for this fault (after its retries, if any).

        `sdk="stripe"`: built by stripe-python's own error mapping, exactly as a failed API
        call raises it (`stripe.CardError` with its `code`, `json_body`, `request_id`, ...).
        `sdk="authlib"`: what authlib's `fetch_token()` raises for it on a token endpoint.
        `sdk="requests"`: the `requests` exception, or the `HTTPError` that
        `raise_for_status()` raises. A fault the SDK takes as success raises `ValueError`.
        """
        answer = self.answer(sdk, method, url)
        if sdk == "stripe":
            exc = _stripe_exception(answer)
        elif sdk == "authlib":
            exc = _authlib_exception(answer, self)
        else:
            exc = _requests_exception(answer, method or _STRIPE_PROBE[0], url)
        if exc is None:
            raise ValueError(f"{sdk} raises nothing for {self.name}: it reads as a success")
        return exc

    def side_effect(self, sdk: SDK | None = None) -> Callable[..., Any]:
        """A callable for `mock.side_effect` / `mockkit_patch`: it raises what the SDK raises.

        For `sdk="requests"` an HTTP-level fault is *returned* as a `requests.Response`
        (requests raises nothing for a 500); transport faults raise. Each call builds a fresh
        exception (new `Request-Id`), as each real failed call would.
        """
        chosen = sdk or self.sdk
        if chosen is None:
            raise TypeError(
                f"say which SDK's exception {self.name} stands for: "
                "side_effect('stripe'), side_effect('authlib') or side_effect('requests')"
            )
        name = self.name

        def side_effect(*args: Any, **kwargs: Any) -> Any:
            if chosen == "requests":
                answer = self.answer("requests")
                if isinstance(answer, BaseException):
                    raise answer
                return _requests_response(answer, "GET", "https://mockkit.invalid/")
            raise self.exception(chosen)

        side_effect.__name__ = f"raise_{re.sub(r'[^0-9a-zA-Z_]', '_', name)}"
        side_effect.__doc__ = f"Raise what {chosen} raises for mockkit.errors {name}."
        return side_effect

    def raise_(self, sdk: SDK | None = None) -> NoReturn:
        """Raise the SDK's exception for this fault now."""
        self.side_effect(sdk)()
        raise AssertionError("unreachable")  # pragma: no cover - side_effect raised

    # ---- documentation -----------------------------------------------------------------------

    def stripe_retried(self) -> bool:
        """Whether stripe-python retries this failure (its own `_should_retry` decides)."""
        import stripe
        from stripe._http_client import HTTPClient

        client = stripe.RequestsClient()
        answer = self.answer("stripe")
        if isinstance(answer, BaseException):
            error = _stripe_exception(answer)
            assert isinstance(error, stripe.APIConnectionError)
            return bool(HTTPClient._should_retry(client, None, error, 0, 1))
        headers = CaseInsensitiveDict(dict(answer.headers))
        response = (answer.body, answer.status, headers)
        return bool(HTTPClient._should_retry(client, response, None, 0, 1))

    def stripe_attempts(self, max_network_retries: int = 2) -> int:
        """How many requests stripe-python sends for one call that meets this fault every time."""
        return 1 + max_network_retries if self.stripe_retried() else 1

    def outcome(self) -> Outcome:
        """What each SDK raises for this fault, and stripe-python's attempts (default retries)."""
        # A provider's own fault only means something to its own SDK.
        for_stripe = self.sdk in (None, "stripe")
        for_authlib = self.sdk in (None, "authlib")
        return Outcome(
            stripe=_name(self.exception("stripe")) if for_stripe else "-",
            stripe_attempts=self.stripe_attempts() if for_stripe else 0,
            requests=_requests_label(self.answer("requests")),
            authlib=_authlib_label(self) if for_authlib else "-",
            served=self.served,
        )


class HTTPFault(Fault):
    """A failure expressed as an HTTP response (a status, headers and a body).

    Served, the response is sent as is; in-process, `requests` receives it as is.
    """

    served = "answers the same HTTP response"

    def __init__(self, name: str, build: Callable[[Request], Response], sdk: SDK | None = None):
        super().__init__(name)
        self._build = build
        self.sdk = sdk

    def respond(self, request: Request) -> Response:
        """A fresh response (fresh `Request-Id`) for every request."""
        return self._build(request)


class SocketFault(Fault):
    """A failure below HTTP: raises a `Simulated*` `TransportFault` for the transport to enact."""

    def __init__(
        self,
        name: str,
        error: type[SimulatedFault],
        served: str,
        *,
        hold: float = 10.0,
        body: bytes = b"",
        keep: float = 0.5,
        status: int = 200,
    ) -> None:
        super().__init__(name)
        self.error = error
        self.served = served
        self.hold = hold
        self.body = body
        self.keep = keep
        self.status = status

    def respond(self, request: Request) -> Response:
        """Raise the transport failure (it never answers in HTTP)."""
        raise self.error(fault=self)


class Slow(Fault):
    """A delay before the answer; past the client's read timeout it is a read timeout.

    In-process no time passes: if the client's timeout (seen on the request) is shorter than
    `seconds`, `requests.ReadTimeout` is raised at once; otherwise the delay is recorded in
    `delays` and the request gets `then` (or, on a fake, its usual answer). Served, the server
    really waits (at most `MAX_SERVED_HOLD` seconds), so the client's own timer decides.
    """

    def __init__(self, seconds: float, then: Response | Fault | None = None) -> None:
        if seconds < 0:
            raise ValueError("slow() needs a delay of 0 seconds or more")
        super().__init__(f"slow({seconds:g})")
        self.seconds = seconds
        self.then = then
        self.hold = seconds
        #: Delays that passed in-process (virtually), one per request that met this fault.
        self.delays: list[float] = []
        self.served = f"waits {seconds:g} s for real, then answers"

    def respond(self, request: Request) -> Response | None:
        """Time out at once past the client's read timeout; else delay (virtually) and answer."""
        if request.served:
            time.sleep(min(self.seconds, MAX_SERVED_HOLD))
            return _resolve(self.then, request)
        limit = _read_timeout(request.timeout)
        if limit is not None and self.seconds >= limit:
            raise SimulatedReadTimeout(fault=self)
        self.delays.append(self.seconds)
        return _resolve(self.then, request)

    def outcome(self) -> Outcome:
        """Past stripe-python's 80 s timeout a read timeout; for others, their timeout decides."""
        base = super().outcome() if self.then is not None else None
        timed_out = f"requests.ReadTimeout if timeout < {self.seconds:g} s"
        if self.seconds >= STRIPE_DEFAULT_TIMEOUT:
            stripe_raises, attempts = "stripe.APIConnectionError", self.stripe_attempts()
        else:
            stripe_raises = base.stripe if base else "nothing (usual answer)"
            attempts = base.stripe_attempts if base else 1
        then = base.requests if base else "the usual answer"
        return Outcome(
            stripe=stripe_raises,
            stripe_attempts=attempts,
            requests=f"{timed_out}, else {then}",
            authlib=f"{timed_out}, else {base.authlib if base else 'the usual answer'}",
            served=self.served,
        )


def _resolve(then: Response | Fault | None, request: Request) -> Response | None:
    if then is None or isinstance(then, Response):
        return then
    return then.respond(request)


def _read_timeout(timeout: Any) -> float | None:
    if isinstance(timeout, tuple):
        timeout = timeout[1] if len(timeout) > 1 else timeout[0]
    return float(timeout) if isinstance(timeout, int | float) else None


# --------------------------------------------------------------------------------------------
# SDK mappings (run through the SDKs' own code)
# --------------------------------------------------------------------------------------------


def _name(exc: BaseException | None) -> str:
    """The shortest public dotted name of the exception's class (`requests.ReadTimeout`)."""
    if exc is None:
        return "nothing"
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    parts = cls.__module__.split(".")
    for end in range(1, len(parts) + 1):
        module = sys.modules.get(".".join(parts[:end]))
        if module is not None and getattr(module, cls.__qualname__, None) is cls:
            return f"{'.'.join(parts[:end])}.{cls.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def _requests_response(response: Response, method: str, url: str) -> requests.Response:
    """A `requests.Response` holding `response`, as a `requests` call would return it."""
    from http.client import responses as reasons

    result = requests.Response()
    result.status_code = response.status
    result._content = response.body
    result.headers = CaseInsensitiveDict(dict(response.headers))
    result.url = url
    result.reason = reasons.get(response.status, "")
    result.encoding = "utf-8"
    result.request = requests.Request(method, url).prepare()
    return result


def _requests_exception(
    answer: Response | BaseException, method: str, url: str | None
) -> BaseException | None:
    if isinstance(answer, BaseException):
        return answer
    try:
        _requests_response(answer, method, url or _STRIPE_PROBE[1]).raise_for_status()
    except requests.HTTPError as exc:
        return exc
    return None


def _requests_label(answer: Response | BaseException) -> str:
    if isinstance(answer, BaseException):
        return _name(answer)
    label = f"HTTP {answer.status} response"
    if "json" in (answer.header("Content-Type") or ""):
        try:
            json.loads(answer.body)
        except ValueError:
            label += "; `.json()` raises `requests.JSONDecodeError`"
    return label


def _stripe_exception(answer: Response | BaseException) -> BaseException | None:
    """The exception stripe-python raises for this answer, made by stripe-python itself."""
    import stripe
    from stripe._api_requestor import _APIRequestor

    if isinstance(answer, BaseException):
        try:
            stripe.RequestsClient()._handle_request_error(answer)  # type: ignore[arg-type]
        except stripe.APIConnectionError as exc:
            return exc
        raise AssertionError("stripe did not raise")  # pragma: no cover
    headers = CaseInsensitiveDict(dict(answer.headers))
    requestor: Any = _APIRequestor._global_instance()  # type: ignore[no-untyped-call]
    try:
        requestor._interpret_response(answer.body, answer.status, headers, api_mode="V1")
    except Exception as exc:  # whatever the SDK raises is the answer, even a non-Stripe error
        return exc
    return None


def _authlib_exception(answer: Response | BaseException, fault: Fault) -> BaseException | None:
    """What authlib's `fetch_token()` raises when the token endpoint answers this."""
    if isinstance(answer, BaseException):
        return answer  # authlib lets requests' exceptions through unchanged
    from authlib.integrations.base_client import OAuthError
    from authlib.oauth2.client import _load_token_response

    try:
        token = _load_token_response(_requests_response(answer, *_TOKEN_PROBE))
    except (requests.HTTPError, ValueError) as exc:
        return exc
    if "error" in token:
        error: BaseException = OAuthError(
            error=token["error"], description=token.get("error_description")
        )
        return error
    return None


def _authlib_label(fault: Fault) -> str:
    exc = fault.exception("authlib")
    label = _name(exc)
    error = getattr(exc, "error", None)
    if isinstance(error, str) and error:
        label += f"({error})"
    return label


# --------------------------------------------------------------------------------------------
# Provider-neutral HTTP bodies
# --------------------------------------------------------------------------------------------


def _is_stripe(request: Request) -> bool:
    """Whether the request was sent by stripe-python (it sends `Stripe-Version` every time)."""
    return "stripe-version" in request.headers or request.host.endswith("stripe.com")


def _custom_body(
    status: int, body: str | bytes | Mapping[str, Any] | None, headers: Mapping[str, str]
) -> Response | None:
    if body is None:
        return None
    if isinstance(body, Mapping):
        return Response.json(dict(body), status=status, headers=headers)
    return Response(status, body, headers)


_GATEWAY_PAGE = (
    "<html><head><title>{status} {reason}</title></head>"
    "<body><h1>{status} {reason}</h1><p>{detail}</p></body></html>"
)


def _page(status: int, detail: str, headers: Mapping[str, str]) -> Response:
    from http.client import responses as reasons

    html = _GATEWAY_PAGE.format(status=status, reason=reasons.get(status, "Error"), detail=detail)
    return Response(status, html, headers, content_type="text/html; charset=utf-8")


# --------------------------------------------------------------------------------------------
# Transport factories
# --------------------------------------------------------------------------------------------


def connect_timeout(hold: float = 10.0) -> SocketFault:
    """The TCP connection is not established within the client's connect timeout.

    In-process: `requests.ConnectTimeout`. stripe-python: `stripe.APIConnectionError` after
    3 attempts (retried). authlib: `requests.ConnectTimeout` unchanged. Served: the socket is
    already connected, so the server holds it unanswered (up to `hold` s) and the client's
    timer fires as a `requests.ReadTimeout` (a `Timeout` too, retried the same way).
    """
    return SocketFault(
        "connect_timeout()",
        SimulatedConnectTimeout,
        "holds the connection unanswered (client sees a read timeout)",
        hold=hold,
    )


def read_timeout(hold: float = 10.0) -> SocketFault:
    """Connected, request sent, no answer within the client's read timeout.

    In-process: `requests.ReadTimeout` at once (no waiting). stripe-python:
    `stripe.APIConnectionError` after 3 attempts. authlib: `requests.ReadTimeout`. Served:
    the server holds the connection unanswered until the client hangs up (at most `hold` s).
    """
    return SocketFault(
        "read_timeout()",
        SimulatedReadTimeout,
        "holds the connection unanswered until the client times out",
        hold=hold,
    )


def connection_refused() -> SocketFault:
    """Nothing listens on the provider's port.

    In-process: `requests.ConnectionError` ("Connection refused"). stripe-python:
    `stripe.APIConnectionError` after 3 attempts. authlib: `requests.ConnectionError`.
    Served: the port does listen, so the server resets the connection before answering
    (the client sees a reset, also a `requests.ConnectionError`).
    """
    return SocketFault(
        "connection_refused()",
        SimulatedConnectionRefused,
        "resets the connection before answering (RST)",
    )


def connection_reset() -> SocketFault:
    """The peer resets the connection mid-request (a crashed proxy or load balancer).

    In-process: `requests.ConnectionError` ("Connection reset by peer"). stripe-python:
    `stripe.APIConnectionError` after 3 attempts. authlib: `requests.ConnectionError`.
    Served: a real TCP RST (SO_LINGER 0), no answer.
    """
    return SocketFault("connection_reset()", SimulatedConnectionReset, "sends a TCP RST, no answer")


def dns_failure() -> SocketFault:
    """The provider's host name does not resolve.

    In-process: `requests.ConnectionError` (NameResolutionError). stripe-python:
    `stripe.APIConnectionError` after 3 attempts. authlib: `requests.ConnectionError`.
    Served: the client reached 127.0.0.1 already, so the server closes without answering
    (`requests.ConnectionError`, "Remote end closed connection").
    """
    return SocketFault(
        "dns_failure()", SimulatedDNSFailure, "closes the connection without answering"
    )


def ssl_error() -> SocketFault:
    """TLS fails (e.g. an intercepting proxy's certificate does not verify).

    In-process: `requests.exceptions.SSLError`. stripe-python: `stripe.APIConnectionError`
    after **1** attempt (stripe-python never retries SSL errors). authlib:
    `requests.exceptions.SSLError`. Served: plain HTTP has no TLS, so the server answers a
    TLS alert record and closes; the client sees a broken response (a `ConnectionError`,
    which stripe-python *does* retry): a documented difference.
    """
    return SocketFault(
        "ssl_error()",
        SimulatedSSLError,
        "answers a TLS alert instead of HTTP, closes (client: ConnectionError)",
    )


def truncated_body(
    body: bytes | str | Mapping[str, Any] | None = None, keep: float = 0.5, status: int = 200
) -> SocketFault:
    """The response announces a Content-Length, then the connection drops mid-body.

    In-process: `requests.exceptions.ChunkedEncodingError` (IncompleteRead). stripe-python:
    `stripe.APIConnectionError` after **1** attempt (not a timeout or connection error, so not
    retried). authlib: `ChunkedEncodingError`. Served: headers and `keep` of the body are
    really sent, then the socket closes. `body` defaults to a small JSON object.
    """
    if body is None:
        body = {"id": "obj_mockkit_truncated", "object": "unknown", "livemode": False}
    raw = (
        json.dumps(dict(body)).encode()
        if isinstance(body, Mapping)
        else (body.encode() if isinstance(body, str) else body)
    )
    if len(raw) < 2:
        raise ValueError("truncated_body() needs a body of 2 bytes or more to cut")
    if not 0 <= keep < 1:
        raise ValueError("keep is the fraction of the body sent: 0 <= keep < 1")
    return SocketFault(
        "truncated_body()",
        SimulatedTruncatedBody,
        "sends headers and part of the body, then closes",
        body=raw,
        keep=keep,
        status=status,
    )


def malformed_json(status: int = 200) -> HTTPFault:
    """A response whose body claims to be JSON but is cut off (a proxy or a bug upstream).

    stripe-python: `stripe.APIError` ("Invalid response body from API"), 1 attempt (a 200 is
    not retried). requests: the response; `.json()` raises `requests.JSONDecodeError`. authlib
    token endpoint: `ValueError` ("Token endpoint response is not a JSON object").
    """

    def build(request: Request) -> Response:
        cut = b'{"id": "obj_mockkit", "object": '
        return Response(status, cut, content_type="application/json")

    return HTTPFault("malformed_json()", build)


def empty_body(status: int = 200) -> HTTPFault:
    """A complete response with no body at all (Content-Length: 0).

    stripe-python: `stripe.APIError` ("Invalid response body from API"), 1 attempt. requests:
    the response; `.json()` raises `requests.JSONDecodeError`. authlib token endpoint:
    `ValueError` ("Token endpoint response is not a JSON object").
    """

    def build(request: Request) -> Response:
        return Response(status, b"", content_type="application/json")

    return HTTPFault("empty_body()", build)


def server_error(
    status: int = 500,
    retry_after: float | None = None,
    *,
    body: str | bytes | Mapping[str, Any] | None = None,
) -> HTTPFault:
    """The provider (or a gateway in front of it) fails: a 5xx.

    The body follows the caller: Stripe's `api_error` JSON when the request came from
    stripe-python, a gateway's HTML page otherwise (`body=` forces one). stripe-python:
    `stripe.APIError` after 3 attempts (it retries every 5xx). authlib token endpoint:
    `requests.HTTPError` (authlib raises for any 5xx). requests: the response.
    """
    if status < 500:
        raise ValueError("server_error() is for 5xx statuses; use the provider factories for 4xx")
    extra = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}

    def build(request: Request) -> Response:
        custom = _custom_body(status, body, extra)
        if custom is not None:
            return custom
        if _is_stripe(request):
            return error_response(
                status,
                "api_error",
                "An unknown error occurred. Please try again later.",
                headers=extra,
            )
        return _page(status, "The server is temporarily unable to serve your request.", extra)

    return HTTPFault(f"server_error({status})", build)


def rate_limited(
    retry_after: float | None = 1, *, body: str | bytes | Mapping[str, Any] | None = None
) -> HTTPFault:
    """Too many requests: a 429 with `Retry-After` (seconds; None leaves it out).

    Stripe-shaped JSON for stripe-python, a plain page otherwise (`body=` forces one).
    stripe-python: `stripe.RateLimitError` after **1** attempt (it never retries a 429).
    authlib token endpoint: `requests.HTTPError`. requests: the response.
    """
    extra = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}

    def build(request: Request) -> Response:
        custom = _custom_body(429, body, extra)
        if custom is not None:
            return custom
        if _is_stripe(request):
            from mockkit.errors.stripe import RATE_LIMIT_MESSAGE

            return error_response(
                429, "invalid_request_error", RATE_LIMIT_MESSAGE, code="rate_limit", headers=extra
            )
        return _page(429, "Too many requests. Slow down and retry later.", extra)

    return HTTPFault("rate_limited()", build)


def response(
    status: int,
    body: str | bytes | Mapping[str, Any] | list[Any] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    name: str | None = None,
) -> HTTPFault:
    """Any HTTP answer as a fault, for failures no factory covers (a proxy's 407, a 418...).

    `body`: text, bytes, or JSON (a dict or list). stripe-python raises by status as usual
    (its message reads "Invalid response object" when the body is not Stripe's error shape);
    authlib's token endpoint raises `requests.HTTPError` for a 4xx/5xx that is not JSON.
    """
    fixed = dict(headers or {})

    def build(request: Request) -> Response:
        if isinstance(body, Mapping | list):
            data: Any = dict(body) if isinstance(body, Mapping) else list(body)
            return Response.json(data, status=status, headers=fixed)
        return Response(status, body or b"", fixed)

    return HTTPFault(name or f"response({status})", build)


def slow(seconds: float, then: Response | Fault | None = None) -> Slow:
    """Answer after `seconds`; a read timeout if the client's timeout is shorter.

    In-process no real time passes: past the client's read timeout (stripe-python's is 80 s)
    it is `requests.ReadTimeout` at once (stripe-python: `APIConnectionError` after 3
    attempts); under it, the answer is `then` (a `Response` or another fault) or, on a fake,
    its usual answer. Served, the server really waits (at most 30 s) before answering.
    """
    return Slow(seconds, then)


# --------------------------------------------------------------------------------------------
# Faults on any handler (a cassette's replayer, a custom handler)
# --------------------------------------------------------------------------------------------

_OVERLAY = "_mockkit_fault_overlay"


def overlay(
    handler: Any,
    fault: Fault,
    method: str | None = None,
    path: str | re.Pattern[str] | None = None,
    times: int | None = 1,
    after: int = 0,
    every: int | None = None,
) -> FaultRule:
    """`fake.inject()` for any handler: faults before a cassette replay or any `handle()`.

    `handler` is anything with `handle(request) -> Response` that a transport serves, such as
    `cassette.replayer` inside `with mockkit.cassettes.use(...) as cassette:`. Matching
    requests meet `fault` first (same `method`/`path`/`times`/`after`/`every` rules as
    `inject()`); the others, and a `slow()` without `then=` once its delay is over, reach the
    handler, so a faulted request does not use up a recorded interaction. On a `BaseFake`
    this is `fake.inject()`. Returns the rule (its `fired` count says how often it fired).
    """
    from mockkit.fake import BaseFake

    if isinstance(handler, BaseFake):
        return handler.inject(fault, method, path, times, after, every)
    if not callable(getattr(handler, "handle", None)):
        raise TypeError(f"overlay() needs a handler with handle(request), got {handler!r}")
    probe = BaseFake()  # borrow inject()'s argument checks and rule type
    rule = probe.inject(fault, method, path, times, after, every)
    state = handler.__dict__.get(_OVERLAY)
    if state is None:
        rules: list[FaultRule] = []
        lock = threading.Lock()
        inner = handler.handle

        def handle(request: Request) -> Response:
            with lock:
                chosen = next((r.fault for r in rules if r.take(request)), None)
            if chosen is not None:
                response = chosen.respond(request)  # may raise TransportFault
                if response is not None:
                    request.status = response.status
                    return response
            result: Response = inner(request)
            return result

        # An instance attribute: the transports look `handle` up on the instance per request.
        handler.handle = handle
        state = handler.__dict__[_OVERLAY] = rules
    state.append(rule)
    return rule


# --------------------------------------------------------------------------------------------
# The catalog and the docs table
# --------------------------------------------------------------------------------------------


def catalog() -> dict[str, Fault]:
    """One instance of every factory with its defaults, by the name used in the docs."""
    from mockkit.errors import oauth, stripe

    faults: list[Fault] = [
        connect_timeout(),
        read_timeout(),
        connection_refused(),
        connection_reset(),
        dns_failure(),
        ssl_error(),
        malformed_json(),
        empty_body(),
        truncated_body(),
        server_error(),
        server_error(503, retry_after=2),
        rate_limited(),
        slow(120),
        stripe.card_declined(),
        stripe.card_declined(decline_code="insufficient_funds"),
        stripe.expired_card(),
        stripe.incorrect_cvc(),
        stripe.processing_error(),
        stripe.authentication_required(),
        stripe.rate_limit(),
        stripe.api_error(),
        stripe.api_error(should_retry=False),
        stripe.idempotency_error(),
        stripe.idempotency_error(concurrent=True),
        stripe.resource_missing(),
        stripe.invalid_api_key(),
        stripe.permission_denied(),
        oauth.access_denied(),
        oauth.invalid_grant(),
        oauth.invalid_client(),
        oauth.server_error(),
        oauth.temporarily_unavailable(),
        oauth.github_error(),
    ]
    return {fault.name: fault for fault in faults}


def _code(text: str) -> str:
    return text if text == "-" or " " in text else f"`{text}`"


def table() -> str:
    """The README's factory table (Markdown), computed from the SDKs' own behaviour."""
    rows = [
        "| Factory | stripe-python raises | Attempts | `requests` sees | authlib `fetch_token()` raises | Served (loopback) |",  # noqa: E501
        "|---|---|---|---|---|---|",
    ]
    for name, fault in catalog().items():
        o = fault.outcome()
        rows.append(
            f"| `{name}` | {_code(o.stripe)} | {o.stripe_attempts or '-'} | "
            f"{_code(o.requests)} | {_code(o.authlib)} | {o.served} |"
        )
    return "\n".join(rows) + "\n"


# The provider vocabularies, importable as attributes too (`mockkit.errors.stripe.card_declined()`
# after a plain `import mockkit.errors`). Imported last: both build on the classes above. Inside
# this module the Stripe SDK is only ever imported locally, so this `stripe` name shadows nothing.
from mockkit.errors import oauth, stripe  # noqa: E402
