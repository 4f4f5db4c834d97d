"""Transport-neutral HTTP request and response values shared by every fake.

A fake never sees `requests` or WSGI objects: the in-process transport (`responses`) and the
loopback server both translate to these two small classes, so one set of routes serves both
and the two can never drift apart.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from requests.structures import CaseInsensitiveDict

__all__ = ["Request", "Response", "WireHeaders", "copy_headers", "headers_from_pairs"]


def _fills_store() -> bool:
    # requests' CaseInsensitiveDict keeps `{lower name: (name, value)}` in `_store`, in order;
    # filling it in one step costs a fraction of a `__setitem__` per header. Checked once, so
    # another layout falls back to the public way.
    probe: CaseInsensitiveDict[str] = CaseInsensitiveDict({"A": "1"})
    empty: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    return dict(getattr(probe, "_store", {})) == {"a": ("A", "1")} and vars(empty) == {
        "_store": OrderedDict()
    }


_FILL_STORE = _fills_store()


def _empty_headers() -> CaseInsensitiveDict[str]:
    # What `CaseInsensitiveDict()` makes, without its `update({})` (an ABC `isinstance` check
    # per request). Only where `_FILL_STORE` holds: that layout is all an empty one has.
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict.__new__(CaseInsensitiveDict)
    headers._store = OrderedDict()  # type: ignore[attr-defined]
    return headers


def copy_headers(headers: Mapping[str, str]) -> CaseInsensitiveDict[str]:
    """A `CaseInsensitiveDict` copy of `headers` (names and order kept)."""
    if _FILL_STORE and type(headers) is CaseInsensitiveDict:
        copied = _empty_headers()
        copied._store = type(headers._store)(headers._store)  # type: ignore[attr-defined]
        return copied
    return CaseInsensitiveDict(headers)


def headers_from_pairs(pairs: Iterable[tuple[str, str]]) -> CaseInsensitiveDict[str]:
    """A `CaseInsensitiveDict` of `pairs`; a repeated name's values are joined with ", "."""
    if not _FILL_STORE:
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        for name, value in pairs:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers
    headers = _empty_headers()
    store = headers._store  # type: ignore[attr-defined]
    for name, value in pairs:
        key = name.lower()
        if key in store:
            # Repeated: the values in order (as urllib3 folds them), under the last spelling
            # of the name, as `headers[name] = ...` would leave it.
            store[key] = (name, f"{store[key][1]}, {value}")
        else:
            store[key] = (name, value)
    return headers


class WireHeaders(CaseInsensitiveDict[str]):
    """A `CaseInsensitiveDict` of headers as a client library keeps them, built when first read.

    `wire` holds `(name, lowercased name, value)` as bytes (httpx's own list). A fake answers
    most requests reading three or four headers, which `Request.header` finds in the list as
    it is; anything else (`headers[...]`, iterating, the request log read by a test) fills the
    map once, repeated names folded as `headers_from_pairs` folds them.
    """

    def __init__(self, wire: list[tuple[bytes, bytes, bytes]]) -> None:
        self._wire = wire

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not set: `_store`, the first time it is needed.
        if name != "_store":
            raise AttributeError(name)
        store: OrderedDict[str, tuple[str, str]] = OrderedDict()
        for raw, lower, value in self.__dict__["_wire"]:
            key, text = lower.decode("latin-1"), value.decode("latin-1")
            if key in store:
                store[key] = (raw.decode("latin-1"), f"{store[key][1]}, {text}")
            else:
                store[key] = (raw.decode("latin-1"), text)
        self._store = store
        return store

    def value(self, name: str) -> str | None:
        """`get(name)`, from the wire list while the map is not built."""
        state = self.__dict__
        if "_store" in state:
            found = self._store.get(name.lower())
            return None if found is None else found[1]
        index = state.get("_index")
        if index is None:
            # The raw values by lowercased name, once: a few lookups then cost a dict's.
            index = state["_index"] = {}
            for _, lower, value in self._wire:
                index[lower] = index[lower] + b", " + value if lower in index else value
        found_bytes = index.get(name.lower().encode("latin-1"))
        return None if found_bytes is None else found_bytes.decode("latin-1")


#: URLs already split (`Request.__post_init__`): a client calls the same URLs again and again.
#: Bounded: the URLs are the client's.
_SPLIT_URLS: dict[str, tuple[str, str, str, str, str]] = {}
_MAX_SPLIT_URLS = 4096


@dataclass
class Request:
    """One HTTP request as a fake sees it.

    `base_url` is the scheme and authority the client used (`https://api.stripe.com` in-process,
    `http://127.0.0.1:PORT` when served), so a fake can build absolute URLs that lead back to
    whichever transport the client is using. `params` is filled in by the fake that decodes the
    body (e.g. Stripe's nested form parameters) and is kept in the request log.
    """

    method: str
    url: str
    headers: CaseInsensitiveDict[str] = field(default_factory=CaseInsensitiveDict)
    body: bytes = b""
    served: bool = False
    params: Any = None
    status: int | None = None
    #: The client's timeout when the transport can see it (`requests`' `timeout=`: seconds, or
    #: a (connect, read) pair); faults such as `mockkit.errors.slow()` compare delays with it.
    timeout: float | tuple[float | None, float | None] | None = None
    #: What the fake's `parse()` made of the request before taking its lock (fake-specific).
    parsed: Any = None

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        split = _SPLIT_URLS.get(self.url)
        if split is None:
            parts = urlsplit(self.url)
            scheme = parts.scheme or "http"
            host = parts.netloc
            split = (scheme, host, parts.path or "/", parts.query, f"{scheme}://{host}")
            if len(_SPLIT_URLS) < _MAX_SPLIT_URLS:
                _SPLIT_URLS[self.url] = split
        self.scheme: str = split[0]
        self.host: str = split[1]
        self.path: str = split[2]
        self.query_string: str = split[3]
        self.base_url: str = split[4]

    def header(self, name: str) -> str | None:
        """`headers.get(name)`: the value of header `name` (any case), else None.

        Read on every request by the fakes: a missing header costs `Mapping.get` a raised
        and caught `KeyError`, a dict lookup here.
        """
        headers = self.headers
        if type(headers) is WireHeaders:
            return headers.value(name)
        if _FILL_STORE and type(headers) is CaseInsensitiveDict:
            found = headers._store.get(name.lower())  # type: ignore[attr-defined]
            return None if found is None else found[1]
        return headers.get(name)

    @property
    def query(self) -> list[tuple[str, str]]:
        """Decoded query parameters, in order, duplicates kept."""
        return parse_qsl(self.query_string, keep_blank_values=True)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (invalid bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def form(self) -> list[tuple[str, str]]:
        """The body decoded as `application/x-www-form-urlencoded` pairs, in order."""
        return parse_qsl(self.text, keep_blank_values=True)

    def json(self) -> Any:
        """The body decoded as JSON; raises `ValueError` when it is not JSON."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


def _header_list(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


class Response:
    """One HTTP response produced by a fake or a fault."""

    __slots__ = ("body", "headers", "status")

    def __init__(
        self,
        status: int = 200,
        body: bytes | str = b"",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | None = None,
    ) -> None:
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers = _header_list(headers)
        if content_type and not self.has_header("Content-Type"):
            self.headers.append(("Content-Type", content_type))

    @classmethod
    def json(
        cls,
        data: Any,
        status: int = 200,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> Response:
        """A JSON response (compact encoding: it is what costs least to produce and parse)."""
        body = json.dumps(data, separators=(",", ":"))
        return cls(status, body, headers, content_type="application/json")

    @classmethod
    def html(
        cls, markup: str, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Response:
        """An HTML page (login, consent or checkout pages of a served fake)."""
        return cls(status, markup, headers, content_type="text/html; charset=utf-8")

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        """A redirect to `location`."""
        return cls(status, b"", [("Location", location)])

    def has_header(self, name: str) -> bool:
        """Whether a header of that name (any case) is set."""
        lname = name.lower()
        return any(k.lower() == lname for k, _ in self.headers)

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of header `name` (any case), or `default`."""
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return default

    def set_header(self, name: str, value: str) -> None:
        """Replace every header `name` with one of value `value`."""
        lname = name.lower()
        self.headers = [(k, v) for k, v in self.headers if k.lower() != lname]
        self.headers.append((name, value))

    def json_body(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"
