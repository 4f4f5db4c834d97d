"""Stripe's JSON bodies as Stripe writes them: two-space indented, keys in the object's order.

What `curl https://api.stripe.com/v1/customers/cus_...` prints is what the fake answers: one
key per line, nested values indented by two spaces, `{}` and `[]` when empty, non-ASCII
escaped. Objects are built with `id` and `object` first (`mockkit.stripe.objects`), so the
encoder keeps the order it is given and never sorts.

`json.dumps(data, indent=2)` writes the same text, but with `indent` CPython (before 3.14)
falls back to its pure-Python encoder; this one is specialised for the values Stripe objects
hold (strings, None, booleans, integers inside dicts, the same field names in every
response) and costs about what the compact C encoder does. It runs on every response.

When `orjson` is importable (a runtime dependency) it writes the same text about ten times
faster; its answer is used only where it is known to be identical: pure ASCII without DEL
(Stripe, like `json`, escapes non-ASCII as `\\uXXXX` and DEL as `\\u007f`, orjson writes
them raw), no float the two write differently (`1e-05` against `0.00001`), and
`dict`/`list`/`str`/`int`/`float` values (other mappings, dates, integers beyond 64 bits and
non-string keys make orjson refuse). Anything else is written by the encoder below. The
fake's objects never hold NaN or infinities (percentages are checked decimals), which orjson
would write as `null`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring_ascii as _string
from typing import Any

from mockkit.http import Response

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - a runtime dependency; the encoder below still works
    _orjson = None  # type: ignore[assignment]

__all__ = ["answer", "dumps", "json_response"]


#: Per depth, each key's line start (`,\n    "amount": `), built once: the field names of
#: Stripe's objects repeat in every response. Bounded, since metadata keys are the user's.
_PREFIXES: list[dict[str, str]] = []
_MAX_PREFIXES = 4096


def _prefixes(depth: int) -> dict[str, str]:
    while len(_PREFIXES) <= depth:
        _PREFIXES.append({})
    return _PREFIXES[depth]


def _dict(obj: Mapping[str, Any], out: list[str], depth: int) -> None:
    if not obj:
        out.append("{}")
        return
    prefixes = _PREFIXES[depth] if depth < len(_PREFIXES) else _prefixes(depth)
    first = True
    for key, value in obj.items():
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = ",\n" + "  " * (depth + 1) + _string(key) + ": "
            if len(prefixes) < _MAX_PREFIXES:
                prefixes[key] = prefix
        if first:
            out.append("{" + prefix[1:])
            first = False
        else:
            out.append(prefix)
        # `_value`'s scalars, inlined: most values are scalars, and a call for each costs more
        # than the test.
        kind = type(value)
        if kind is str:
            out.append(_string(value))
        elif value is None:
            out.append("null")
        elif kind is bool:
            out.append("true" if value else "false")
        elif kind is int:
            out.append(int.__repr__(value))
        else:
            _value(value, out, depth + 1)
    out.append("\n" + "  " * depth + "}")


def _list(items: list[Any] | tuple[Any, ...], out: list[str], depth: int) -> None:
    if not items:
        out.append("[]")
        return
    sep = "[\n" + "  " * (depth + 1)
    for item in items:
        out.append(sep)
        _value(item, out, depth + 1)
        sep = ",\n" + "  " * (depth + 1)
    out.append("\n" + "  " * depth + "]")


def _value(value: Any, out: list[str], depth: int) -> None:
    kind = type(value)
    if kind is str:
        out.append(_string(value))
    elif value is None:
        out.append("null")
    elif kind is bool:
        out.append("true" if value else "false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif isinstance(value, Mapping):
        _dict(value, out, depth)
    elif isinstance(value, (list, tuple)):
        _list(value, out, depth)
    else:  # floats, int and str subclasses: exactly as the json module writes them
        out.append(json.dumps(value, indent=2))


#: Dates and dataclasses are refused (the encoder below refuses them too). The fake's stored
#: objects are dict and list subclasses that record changes; orjson reads their contents as
#: the encoder below does.
_OPTIONS = (
    (_orjson.OPT_INDENT_2 | _orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS)
    if _orjson is not None
    else 0
)
# What only floats orjson writes unlike `json` show: a negative exponent (`1e-7` against
# `1e-07`) or a small number in full (`0.00001` against `1e-05`). Any other finite float is
# written alike (shortest round-trip digits; `1e+16` by both). Found by `_unlike_json` from the
# few `-` and `.` of a body: a regular expression over the body, or a search for `e-` (which
# stops at every `e`), costs more than orjson's whole encoding. A string holding one of these
# only sends the body to the encoder below.


def _unlike_json(body: bytes) -> bool:
    """Whether `body` (orjson's) may hold a float `json` writes otherwise: `e-`, `.0000`."""
    find = body.find
    at = find(b"-")
    while at >= 0:
        if at and body[at - 1] in b"eE":
            return True
        at = find(b"-", at + 1)
    at = find(b".")
    while at >= 0:
        if body.startswith(b"0000", at + 1):
            return True
        at = find(b".", at + 1)
    return False


def _fast(data: Any) -> bytes | None:
    """`data` encoded by orjson, or None where its bytes could differ from `_value`'s."""
    if _orjson is None:
        return None
    try:
        body = _orjson.dumps(data, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError: a type or a size it does not take as is
        return None
    if not body.isascii() or body.find(b"\x7f") >= 0:  # find: a memchr, unlike `in`
        return None
    return None if _unlike_json(body) else body


def _slow(data: Any) -> str:
    out: list[str] = []
    _value(data, out, 0)
    return "".join(out)


def dumps(data: Any) -> str:
    """`data` as Stripe writes a response body: what `json.dumps(data, indent=2)` writes."""
    body = _fast(data)
    return body.decode("ascii") if body is not None else _slow(data)


def _body(data: Any) -> bytes | str:
    body = _fast(data)
    return body if body is not None else _slow(data)


def json_response(
    data: Any,
    status: int = 200,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> Response:
    """A Stripe API response: `data` encoded by `dumps`, `application/json`."""
    if type(headers) is list and all(
        type(k) is str and type(v) is str and k.lower() != "content-type" for k, v in headers
    ):
        # The fake's own headers (strings, made for this answer): copied without converting.
        response = Response(status, _body(data))
        response.headers = [*headers, ("Content-Type", "application/json")]
        return response
    return Response(status, _body(data), headers, content_type="application/json")


def answer(data: Any, headers: list[tuple[str, str]]) -> Response:
    """A 200 answer of the fake's own: `headers` are the fake's, made for this answer (strings,
    no `Content-Type`), so they are taken without `json_response`'s checks."""
    response = Response(200, _body(data))
    headers.append(("Content-Type", "application/json"))
    response.headers = headers
    return response
