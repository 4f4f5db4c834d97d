"""The in-process transport for httpx (and its `httpx2` fork): sync and async, picked by host.

httpx picks a transport per URL (`Client._transport_for_url`: the mounts, else the client's
own transport). While a fake is active that choice hands out a `FakeTransport` for the fake's
hosts, on `Client` and `AsyncClient` alike, for clients made before or after the fake
started. Every other host keeps the transport it would have had, so a test's own respx or
pytest-httpx mock (which patch the transport's methods or httpcore below it), started before
or after the fake, still answers them.

A request to a host no fake answers, on a plain `HTTPTransport` that nothing else mocks, fails
at once with `ConnectError` for a non-loopback host, as the `requests` side refuses it: an
unmocked call never leaves the process while a fake is active.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from types import ModuleType
from typing import Any

from requests.structures import CaseInsensitiveDict

from mockkit.http import Request, Response, WireHeaders, headers_from_pairs
from mockkit.transport import Handler, TransportFault, is_loopback

__all__ = ["install", "modules", "origin_of", "request_from_httpx", "uninstall"]

#: The httpx-compatible libraries mockkit answers, by import name.
LIBRARIES = ("httpx", "httpx2")


def modules() -> list[ModuleType]:
    """The httpx libraries installed here (imported on first use)."""
    found = []
    for name in LIBRARIES:
        try:
            if importlib.util.find_spec(name) is None:
                continue
            found.append(importlib.import_module(name))
        except ImportError:  # pragma: no cover - a broken install
            continue
    return found


def origin_of(url: Any) -> str:
    """`scheme://host[:port]` of an httpx `URL`, default port left out, as fakes' hosts are."""
    port = url.port
    host = url.host
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"{url.scheme}://{host}:{port}" if port is not None else f"{url.scheme}://{host}"


def _timeout(extensions: Any) -> tuple[float | None, float | None] | None:
    timeout = extensions.get("timeout") if extensions else None
    if not isinstance(timeout, dict):
        return None
    return timeout.get("connect"), timeout.get("read")


def request_from_httpx(request: Any) -> Request:
    """Translate an httpx `Request` (body already read) into a mockkit `Request`."""
    wire = _lowered_list(request.headers)
    if wire is not None:
        # httpx's own `(name, lowercased name, value)` list, copied: decoded into a map only
        # if something reads more than the few headers a fake looks up.
        headers: CaseInsensitiveDict[str] = WireHeaders(list(wire))
    else:  # pragma: no cover - an httpx that keeps its headers otherwise
        headers = headers_from_pairs(
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        )
    return Request(
        method=request.method,
        url=str(request.url),
        headers=headers,
        body=request.content,
        timeout=_timeout(request.extensions),
    )


#: Per httpx `Headers` class: whether it keeps `_list` as `(name, name.lower(), value)` bytes.
_LOWERED: dict[type, bool] = {}


def _lowered_list(headers: Any) -> Any:
    """httpx's own `(name, lowercased name, value)` list of `headers`, else None."""
    cls = type(headers)
    keeps = _LOWERED.get(cls)
    if keeps is None:
        try:
            probe = cls([("X-Mockkit", "1")])
            keeps = getattr(probe, "_list", None) == [(b"X-Mockkit", b"x-mockkit", b"1")]
        except Exception:  # pragma: no cover - a Headers class built otherwise
            keeps = False
        _LOWERED[cls] = keeps
    return headers._list if keeps else None


def _read_response(lib: ModuleType, status: int, headers: Any, body: bytes, request: Any) -> Any:
    """What `lib.Response(status, headers=headers, content=body)` is once built (read, closed).

    Built that way, a response reads its own body back through the content decoders into
    `.content`; a body without a `Content-Encoding` decodes to itself, so it is set as read.
    `headers` must already carry the `Content-Length` httpx adds for `content=`.
    """
    result = lib.Response(status, headers=headers, stream=lib.ByteStream(body), request=request)
    result._content = body
    result.is_stream_consumed = True
    result.is_closed = True
    return result


def _reads_alike(lib: ModuleType) -> bool:
    """Whether `_read_response` builds what this httpx library's own `content=` does."""
    try:
        request = lib.Request("GET", "http://mockkit.invalid/")
        headers = [("A", "1"), ("Content-Length", "2")]
        own = lib.Response(200, headers=headers, content=b"{}", request=request)
        lean = _read_response(lib, 200, headers, b"{}", request)
        return bool(
            set(vars(own)) - {"_decoder"} == set(vars(lean))
            and (own.content, own.headers.raw, own.is_closed, own.is_stream_consumed)
            == (lean.content, lean.headers.raw, lean.is_closed, lean.is_stream_consumed)
            and own.num_bytes_downloaded == lean.num_bytes_downloaded
        )
    except Exception:  # pragma: no cover - an httpx whose Response is built otherwise
        return False


def _make_transport(lib: ModuleType) -> type:
    """The `FakeTransport` class of one httpx library (httpx and httpx2 have separate bases)."""
    lean = _reads_alike(lib)
    lowered = _lowered_list(lib.Headers()) is not None

    def answer(handler: Handler, request: Any) -> Any:
        mine = request_from_httpx(request)
        try:
            response: Response = handler.handle(mine)
        except TransportFault as fault:
            raise fault.to_httpx_exception(request, lib) from None
        body = response.body if request.method != "HEAD" else b""
        # One pass over the answer's headers: httpx's own `(name, lowercased, value)` list
        # (what `Headers(pairs)` would build), and the three names the answer turns on.
        wire = []
        length = encoded = cookies = False
        for name, value in response.headers:
            known = _NAMES.get(name)
            if known is None:
                known = _name(name)
            raw, lower, role = known
            if role:
                if role == "content-length":
                    length = True
                elif role == "content-encoding":
                    encoded = True
                else:
                    cookies = True
            wire.append((raw, lower, value.encode("ascii")))
        if body and not length:
            # What httpx adds for `content=` (its own lookup of it costs an exception).
            size = str(len(body)).encode("ascii")
            wire.append((b"Content-Length", b"content-length", size))
        headers = lib.Headers()
        if lowered:
            headers._list = wire
        else:  # pragma: no cover - an httpx that keeps its headers otherwise
            headers = lib.Headers([(name, value) for name, _, value in wire])
        if lean and not encoded:
            result = _read_response(lib, response.status, headers, body, request)
        else:
            result = lib.Response(response.status, headers=headers, content=body, request=request)
        if not cookies:
            result._mockkit_cookieless = True  # see `_extract_cookies`
        return result

    class FakeTransport(lib.BaseTransport, lib.AsyncBaseTransport):  # type: ignore[name-defined,misc]
        """An httpx transport (sync and async) answering every request with one fake."""

        def __init__(self, handler: Handler) -> None:
            self.handler = handler

        def handle_request(self, request: Any) -> Any:
            request.read()
            return answer(self.handler, request)

        async def handle_async_request(self, request: Any) -> Any:
            await request.aread()
            return answer(self.handler, request)

    FakeTransport.__module__ = __name__
    FakeTransport.__qualname__ = f"FakeTransport[{lib.__name__}]"
    return FakeTransport


def _make_refusal(lib: ModuleType) -> type:
    class Refusal(lib.BaseTransport, lib.AsyncBaseTransport):  # type: ignore[name-defined,misc]
        """Fails every request at once: no fake answers its host and nothing else mocks it."""

        def __init__(self, origin: str, known: Callable[[], list[str]]) -> None:
            self.origin = origin
            self.known = known

        def error(self, request: Any) -> Exception:
            hosts = ", ".join(self.known()) or "none"
            return lib.ConnectError(  # type: ignore[no-any-return]
                f"Connection refused by mockkit: no active fake answers {request.method} "
                f"{request.url} (fakes answer: {hosts}). Add a fake for {self.origin}, or "
                "mock it with respx / pytest-httpx.",
                request=request,
            )

        def handle_request(self, request: Any) -> Any:
            raise self.error(request)

        async def handle_async_request(self, request: Any) -> Any:
            raise self.error(request)

    return Refusal


def _is_pristine(method: Any, library: str) -> bool:
    """Whether a transport method is the library's own (respx / pytest-httpx replace it)."""
    return str(getattr(method, "__module__", "")).startswith(library)


def _unmocked(lib: ModuleType, transport: Any) -> bool:
    """Whether `transport` would really reach the network (nothing mocks it)."""
    if type(transport) is lib.HTTPTransport:
        method, pool_method = "handle_request", "handle_request"
        pool = getattr(transport, "_pool", None)
    elif type(transport) is lib.AsyncHTTPTransport:
        method, pool_method = "handle_async_request", "handle_async_request"
        pool = getattr(transport, "_pool", None)
    else:
        return False  # a custom, mock or ASGI/WSGI transport: the test chose it
    if not _is_pristine(getattr(type(transport), method), lib.__name__):
        return False
    core = "httpcore2" if lib.__name__ == "httpx2" else "httpcore"
    return pool is None or _is_pristine(getattr(type(pool), pool_method, None), core)


#: The headers a cookie jar reads from a response.
_COOKIE_HEADERS = ("set-cookie", "set-cookie2")
#: Header names as httpx keeps them (`(name, lowercased name)` as ASCII bytes), with the role
#: the transport gives them ("" for none): a fake answers with the same few names every time.
#: Bounded: a fake may echo a client's names.
_NAMES: dict[str, tuple[bytes, bytes, str]] = {}
_ROLES = ("content-length", "content-encoding", *_COOKIE_HEADERS)


def _name(name: str) -> tuple[bytes, bytes, str]:
    lowered = name.lower()
    known = (
        name.encode("ascii"),
        lowered.encode("ascii"),
        lowered if lowered in _ROLES else "",
    )
    if len(_NAMES) < 1024:
        _NAMES[name] = known
    return known


def _extract_cookies(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """httpx's `Cookies.extract_cookies`, skipped for a fake's answer that sets no cookie.

    The client offers every response to its cookie jar, which builds a urllib request and
    response around it first: a good part of what a call costs, to find nothing in an answer
    without `Set-Cookie`. Other responses, and a fake's that sets cookies, go to the jar.
    """

    def extract_cookies(self: Any, response: Any) -> None:
        if getattr(response, "_mockkit_cookieless", False):
            return
        original(self, response)

    return extract_cookies


_installed: list[tuple[type, str, Any]] = []


def install(lookup: Callable[[Any], Handler | None], known: Callable[[], list[str]]) -> None:
    """Route httpx clients' requests for hosts `lookup` knows to that host's fake.

    `lookup` takes an origin (`https://api.stripe.com`); `known` lists the origins answered,
    for the refusal message.
    """
    if _installed:
        return
    for lib in modules():
        transport_cls = _make_transport(lib)
        refusal_cls = _make_refusal(lib)
        for client_cls in (lib.Client, lib.AsyncClient):
            original = client_cls.__dict__["_transport_for_url"]
            transports: dict[int, Any] = {}

            def transport_for_url(
                self: Any,
                url: Any,
                _original: Any = original,
                _transports: dict[int, Any] = transports,
                _lib: ModuleType = lib,
                _fake: type = transport_cls,
                _refusal: type = refusal_cls,
            ) -> Any:
                origin = origin_of(url)
                handler = lookup(origin)
                if handler is None:
                    chosen = _original(self, url)
                    if not is_loopback(url.host) and _unmocked(_lib, chosen):
                        return _refusal(origin, known)
                    return chosen
                transport = _transports.get(id(handler))
                if transport is None or transport.handler is not handler:
                    transport = _transports[id(handler)] = _fake(handler)
                return transport

            _installed.append((client_cls, "_transport_for_url", original))
            client_cls._transport_for_url = transport_for_url
        extract = lib.Cookies.__dict__["extract_cookies"]
        _installed.append((lib.Cookies, "extract_cookies", extract))
        lib.Cookies.extract_cookies = _extract_cookies(extract)


def uninstall() -> None:
    """Give httpx clients their own transports back."""
    while _installed:
        cls, name, original = _installed.pop()
        setattr(cls, name, original)
