"""httpx (and its httpx2 fork): httpcore's words for transport failures.

In-process, a failure below HTTP becomes the exception httpx raises for it (`ReadTimeout`,
`ConnectError`, `RemoteProtocolError`, ...) from the library the client belongs to (httpx or
httpx2), with the message httpcore would write. An HTTP answer is an `httpx.Response`; httpx
raises only when `raise_for_status()` is called (`HTTPStatusError`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from mockkit.errors.clients import ClientLibrary, Reply, dotted_name
from mockkit.http import Request
from mockkit.transport import TransportFault

__all__ = ["EXCEPTIONS", "HttpxLibrary", "library"]


def _truncated(failure: TransportFault) -> str:
    parts = getattr(failure, "parts", None)
    body, kept = parts() if callable(parts) else (b"{}", 1)
    return (
        "peer closed connection without sending complete message body "
        f"(received {kept} bytes, expected {len(body)})"
    )


#: Per failure kind: the name of the httpx exception class and httpcore's message for it.
EXCEPTIONS: dict[str, tuple[str, Callable[[Any, TransportFault], str]]] = {
    "connect_timeout": ("ConnectTimeout", lambda r, f: "timed out"),
    "read_timeout": ("ReadTimeout", lambda r, f: "timed out"),
    "connection_refused": ("ConnectError", lambda r, f: "[Errno 111] Connection refused"),
    "connection_reset": ("ReadError", lambda r, f: "[Errno 104] Connection reset by peer"),
    "dns_failure": ("ConnectError", lambda r, f: "[Errno -2] Name or service not known"),
    "ssl_error": (
        "ConnectError",
        lambda r, f: (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
            "certificate in certificate chain (_ssl.c:1006)"
        ),
    ),
    "truncated_body": ("RemoteProtocolError", lambda r, f: _truncated(f)),
}


def _module_of(request: Any) -> ModuleType:
    """httpx or httpx2: the library whose `Request` this is (httpx for a mockkit `Request`)."""
    name = type(request).__module__.split(".")[0]
    return importlib.import_module(name if name in ("httpx", "httpx2") else "httpx")


def _httpx_request(request: Any, lib: ModuleType) -> Any:
    if isinstance(request, Request):
        return lib.Request(request.method, request.url)
    return request


class HttpxLibrary(ClientLibrary):
    """httpx: exceptions for transport failures, a plain `Response` for any HTTP answer."""

    name = "httpx"

    def transport_exception(self, failure: TransportFault, request: Any) -> BaseException:
        """`httpx.ReadTimeout`, `ConnectError`, ... (httpx2's own when the client is httpx2)."""
        lib = _module_of(request)
        wire = _httpx_request(request, lib)
        kind = getattr(failure, "kind", None)
        if kind not in EXCEPTIONS:  # a TransportFault of the user's own: a connection error
            error: BaseException = lib.ConnectError(
                str(failure) or type(failure).__name__, request=wire
            )
            return error
        cls_name, message = EXCEPTIONS[kind]
        error = getattr(lib, cls_name)(
            f"{message(wire, failure)} [simulated by mockkit]", request=wire
        )
        return error

    def raised(self, reply: Reply, request: Request) -> BaseException | None:
        """The transport exception, or the `HTTPStatusError` that `raise_for_status()` raises."""
        if isinstance(reply, TransportFault):
            return self.transport_exception(reply, request)
        import httpx

        wire = httpx.Request(request.method, request.url)
        response = httpx.Response(reply.status, headers=reply.headers, content=reply.body)
        response.request = wire
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            return exc
        return None

    def label(self, reply: Reply, request: Request) -> str:
        """`httpx.ReadTimeout`, or "HTTP 500 response"."""
        if isinstance(reply, TransportFault):
            return dotted_name(self.transport_exception(reply, request))
        return f"HTTP {reply.status} response"


library = HttpxLibrary()
