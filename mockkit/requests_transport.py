"""The in-process transport for `requests`: one adapter per fake, picked by host.

While a fake is active, `requests.Session.get_adapter` hands out a `FakeAdapter` for the
fake's hosts, exactly as if every session had it mounted for them (`session.mount(...)` is
requests' own way to plug a transport in). The adapter turns the `PreparedRequest` into a
`mockkit.http.Request`, calls the fake and builds the `requests.Response` directly: no
`responses` matching, no urllib3 round trip. Every other host keeps the adapter it would have
had, so a test's own `responses` mock, started before or after the fake, still answers them.
"""

from __future__ import annotations

import http.client
import io
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import requests
import urllib3
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from mockkit.http import Response, headers_from_pairs
from mockkit.transport import Handler, TransportFault, request_from_prepared

__all__ = [
    "FakeAdapter",
    "active_responses_mock",
    "build_response",
    "install",
    "is_pristine_send",
    "uninstall",
]

_REASONS = http.client.responses
_ZERO = timedelta(0)


class _Original:
    """What `requests` reads cookies from (urllib3's `_original_response.msg`)."""

    __slots__ = ("msg",)

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self.msg = http.client.HTTPMessage()
        for name, value in headers:
            self.msg[name] = value


class _Raw:
    """Stands in for urllib3's response object where `requests` looks at it."""

    __slots__ = ("_original_response", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.status = status
        self.headers = headers
        # Only a response that sets cookies needs the header message built for the jar.
        wants_jar = any(name.lower() == "set-cookie" for name, _ in headers)
        self._original_response = _Original(headers) if wants_jar else None

    def read(self, *args: Any, **kwargs: Any) -> bytes:
        return b""

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


def build_response(
    prepared: requests.PreparedRequest, response: Response, adapter: BaseAdapter | None = None
) -> requests.Response:
    """A `requests.Response` holding a fake's answer, as `HTTPAdapter.send` would return it."""
    result = requests.Response()
    result.status_code = response.status
    # Repeated headers are folded with ", " as urllib3 does.
    headers = headers_from_pairs(response.headers)
    result.headers = headers
    # A HEAD answer has no body, as on the wire.
    content = response.body if prepared.method != "HEAD" else b""
    if content and "content-encoding" in headers:
        content = _decoded(content, headers)
    result._content = content
    result._content_consumed = True  # type: ignore[attr-defined]
    result.raw = _Raw(response.status, response.headers)
    result.reason = _REASONS.get(response.status, "")
    result.encoding = get_encoding_from_headers(headers)
    result.url = prepared.url or ""
    result.request = prepared
    result.elapsed = _ZERO
    result.connection = adapter  # type: ignore[assignment]
    return result


def _decoded(body: bytes, headers: CaseInsensitiveDict[str]) -> bytes:
    """The body as `requests` hands it out: urllib3 undoes a gzip / deflate / br encoding."""
    raw = urllib3.HTTPResponse(
        body=io.BytesIO(body), headers=dict(headers), preload_content=False, decode_content=True
    )
    return bytes(raw.read())


class FakeAdapter(BaseAdapter):
    """A `requests` transport adapter that answers every request with one handler (a fake)."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Answer `request` from the handler; a transport fault raises what `requests` would."""
        mine = request_from_prepared(request, timeout)
        try:
            response = self.handler.handle(mine)
        except TransportFault as fault:
            raise fault.to_requests_exception(request) from None
        return build_response(request, response, self)

    def close(self) -> None:
        """Nothing to release: no connection was opened."""


def _merge(request_setting: Any, session_setting: Any) -> Any:
    """`requests.sessions.merge_setting`, without its call when one side is unset (the usual)."""
    if session_setting is None:
        return request_setting
    if request_setting is None:
        return session_setting
    return merge_setting(request_setting, session_setting)  # type: ignore[no-untyped-call]


_original_get_adapter: Callable[..., BaseAdapter] | None = None
_originals: list[Any] = []


def install(lookup: Callable[[str], Handler | None]) -> None:
    """Route sessions' requests for hosts `lookup` knows to that host's fake."""
    global _original_get_adapter
    if _original_get_adapter is not None:
        return
    original = requests.Session.get_adapter
    adapters: dict[int, FakeAdapter] = {}

    def get_adapter(self: requests.Session, url: str) -> BaseAdapter:
        handler = lookup(url)
        if handler is None:
            return original(self, url)
        adapter = adapters.get(id(handler))
        if adapter is None or adapter.handler is not handler:
            adapter = adapters[id(handler)] = FakeAdapter(handler)
        return adapter

    original_merge = requests.Session.merge_environment_settings

    def merge_environment_settings(
        self: requests.Session, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if lookup(url) is None:
            return original_merge(self, url, proxies, stream, verify, cert)
        # A fake's host is answered in-process: proxy variables and CA bundles from the
        # environment cannot change where it goes, so the environment is not read (reading
        # it is a good part of what a call through requests costs).
        return {
            "proxies": _merge(proxies, self.proxies) or {},
            "stream": _merge(stream, self.stream),
            "verify": _merge(verify, self.verify),
            "cert": _merge(cert, self.cert),
        }

    _original_get_adapter = original
    _originals[:] = [original_merge]
    requests.Session.get_adapter = get_adapter  # type: ignore[method-assign]
    requests.Session.merge_environment_settings = merge_environment_settings  # type: ignore[method-assign]


def uninstall() -> None:
    """Give sessions their own adapters back."""
    global _original_get_adapter
    if _original_get_adapter is not None:
        requests.Session.get_adapter = _original_get_adapter  # type: ignore[method-assign]
        requests.Session.merge_environment_settings = _originals.pop()  # type: ignore[method-assign]
        _original_get_adapter = None


def is_pristine_send() -> bool:
    """Whether `HTTPAdapter.send` is requests' own (no `responses` mock or the like active)."""
    return getattr(HTTPAdapter.send, "__module__", "") == "requests.adapters"


def active_responses_mock() -> Any:
    """The `responses.RequestsMock` whose patch is on `HTTPAdapter.send`, if one is."""
    import responses

    for cell in getattr(HTTPAdapter.send, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, responses.RequestsMock):
            return value
    return None
