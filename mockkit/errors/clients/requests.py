"""requests (and `responses`, which sits inside it): urllib3's words for transport failures.

In-process, a failure below HTTP becomes the exception requests raises for it, with the
message urllib3 would write, so logs and `match=` patterns read as they do for real. An HTTP
answer is a `requests.Response`; requests raises only when `raise_for_status()` is called.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.client import responses as reasons
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from mockkit.errors.clients import ClientLibrary, Reply, dotted_name
from mockkit.http import Request, Response
from mockkit.transport import TransportFault

__all__ = ["RequestsLibrary", "library", "response_for"]


def _origin(request: requests.PreparedRequest) -> tuple[str, int, str]:
    parts = urlsplit(request.url or "")
    default_port = 443 if parts.scheme == "https" else 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.hostname or "", parts.port or default_port, path or "/"


def _pool(request: requests.PreparedRequest) -> str:
    host, port, _ = _origin(request)
    scheme = "HTTPS" if (request.url or "").startswith("https") else "HTTP"
    return f"{scheme}ConnectionPool(host={host!r}, port={port})"


def _max_retries(request: requests.PreparedRequest, cause: str) -> str:
    _, _, path = _origin(request)
    return f"{_pool(request)}: Max retries exceeded with url: {path} (Caused by {cause})"


def _truncated(failure: TransportFault) -> str:
    parts = getattr(failure, "parts", None)
    body, kept = parts() if callable(parts) else (b"{}", 1)
    missing = len(body) - kept
    return (
        f"('Connection broken: IncompleteRead({kept} bytes read, {missing} more expected)', "
        f"IncompleteRead({kept} bytes read, {missing} more expected))"
    )


#: Per failure kind: the exception class requests raises and urllib3's message for it.
EXCEPTIONS: dict[
    str, tuple[type[requests.RequestException], Callable[[requests.PreparedRequest, Any], str]]
] = {
    "connect_timeout": (
        requests.ConnectTimeout,
        lambda r, f: _max_retries(
            r, f"ConnectTimeoutError('Connection to {_origin(r)[0]} timed out.')"
        ),
    ),
    "read_timeout": (requests.ReadTimeout, lambda r, f: f"{_pool(r)}: Read timed out."),
    "connection_refused": (
        requests.ConnectionError,
        lambda r, f: _max_retries(
            r,
            "NewConnectionError('Failed to establish a new connection: "
            "[Errno 111] Connection refused')",
        ),
    ),
    "connection_reset": (
        requests.ConnectionError,
        lambda r, f: (
            "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"
        ),
    ),
    "dns_failure": (
        requests.ConnectionError,
        lambda r, f: _max_retries(
            r,
            f"NameResolutionError(\"Failed to resolve '{_origin(r)[0]}' ([Errno -2] Name or "
            'service not known)")',
        ),
    ),
    "ssl_error": (
        requests.exceptions.SSLError,
        lambda r, f: _max_retries(
            r,
            "SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
            "certificate verify failed: self-signed certificate in certificate chain'))",
        ),
    ),
    "truncated_body": (
        requests.exceptions.ChunkedEncodingError,
        lambda r, f: _truncated(f),
    ),
}


def _prepared(request: Any) -> requests.PreparedRequest:
    if isinstance(request, requests.PreparedRequest):
        return request
    assert isinstance(request, Request)
    return requests.Request(request.method, request.url).prepare()


def response_for(response: Response, method: str, url: str) -> requests.Response:
    """A `requests.Response` holding `response`, as a `requests` call would return it."""
    result = requests.Response()
    result.status_code = response.status
    result._content = response.body
    result.headers = CaseInsensitiveDict(dict(response.headers))
    result.url = url
    result.reason = reasons.get(response.status, "")
    result.encoding = "utf-8"
    result.request = requests.Request(method, url).prepare()
    return result


class RequestsLibrary(ClientLibrary):
    """requests: exceptions for transport failures, a plain `Response` for any HTTP answer."""

    name = "requests"

    def transport_exception(self, failure: TransportFault, request: Any) -> BaseException:
        """`requests.ReadTimeout`, `ConnectionError`, ... with urllib3's message."""
        prepared = _prepared(request)
        kind = getattr(failure, "kind", None)
        if kind not in EXCEPTIONS:  # a TransportFault of the user's own: a connection error
            return requests.ConnectionError(
                str(failure) or type(failure).__name__, request=prepared
            )
        cls, message = EXCEPTIONS[kind]
        return cls(f"{message(prepared, failure)} [simulated by mockkit]", request=prepared)

    def raised(self, reply: Reply, request: Request) -> BaseException | None:
        """The transport exception, or the `HTTPError` that `raise_for_status()` raises."""
        if isinstance(reply, TransportFault):
            return self.transport_exception(reply, request)
        try:
            response_for(reply, request.method, request.url).raise_for_status()
        except requests.HTTPError as exc:
            return exc
        return None

    def result(self, reply: Reply, request: Request, what: str) -> Any:
        """An HTTP answer is returned as a `requests.Response`; transport failures raise."""
        if isinstance(reply, TransportFault):
            raise self.transport_exception(reply, request)
        return response_for(reply, "GET", "https://mockkit.invalid/")

    def label(self, reply: Reply, request: Request) -> str:
        """`requests.ReadTimeout`, or "HTTP 500 response" (and whether `.json()` fails)."""
        if isinstance(reply, TransportFault):
            return dotted_name(self.transport_exception(reply, request))
        label = f"HTTP {reply.status} response"
        if "json" in (reply.header("Content-Type") or ""):
            try:
                json.loads(reply.body)
            except ValueError:
                label += "; `.json()` raises `requests.JSONDecodeError`"
        return label


library = RequestsLibrary()
