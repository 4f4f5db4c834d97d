"""The factories: one function per failure, each returning a `Fault`.

Transport failures (`read_timeout()`, `connection_reset()`, ...) return a `SocketFault`; the
failures that are an HTTP answer (`server_error()`, `rate_limited()`, `malformed_json()`, ...)
return an `HTTPFault` whose body follows the caller: Stripe's error JSON for stripe-python, a
gateway's HTML page otherwise. Each docstring states what stripe-python, requests and authlib
raise for it; the test suite checks those sentences against the SDKs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http.client import responses as reasons
from typing import Any

from mockkit.errors.faults import Fault, HTTPFault, Slow, SocketFault
from mockkit.errors.simulated import (
    SimulatedConnectionRefused,
    SimulatedConnectionReset,
    SimulatedConnectTimeout,
    SimulatedDNSFailure,
    SimulatedReadTimeout,
    SimulatedSSLError,
    SimulatedTruncatedBody,
)
from mockkit.errors.stripe import RATE_LIMIT_MESSAGE
from mockkit.http import Request, Response
from mockkit.stripe.errors import error_response

__all__ = [
    "connect_timeout",
    "connection_refused",
    "connection_reset",
    "dns_failure",
    "empty_body",
    "malformed_json",
    "rate_limited",
    "read_timeout",
    "response",
    "server_error",
    "slow",
    "ssl_error",
    "truncated_body",
]


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
    html = _GATEWAY_PAGE.format(status=status, reason=reasons.get(status, "Error"), detail=detail)
    return Response(status, html, headers, content_type="text/html; charset=utf-8")


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
