"""Stripe's JSON bodies as Stripe writes them: two-space indented, keys in the object's order.

What `curl https://api.stripe.com/v1/customers/cus_...` prints is what the fake answers: one
key per line, nested values indented by two spaces, `{}` and `[]` when empty, non-ASCII
escaped. Objects are built with `id` and `object` first (`mockkit.stripe.objects`), so the
encoder keeps the order it is given and never sorts.

`json.dumps(data, indent=2)` writes the same text, but with `indent` CPython (before 3.14)
falls back to its pure-Python encoder; this one is specialised for the values Stripe objects
hold (strings, None, booleans, integers inside dicts, the same field names in every
response) and costs about what the compact C encoder does. It runs on every response.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring_ascii as _string
from typing import Any

from mockkit.http import Response

__all__ = ["dumps", "json_response"]


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


def dumps(data: Any) -> str:
    """`data` as Stripe writes a response body: what `json.dumps(data, indent=2)` writes."""
    out: list[str] = []
    _value(data, out, 0)
    return "".join(out)


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
        response = Response(status, dumps(data))
        response.headers = [*headers, ("Content-Type", "application/json")]
        return response
    return Response(status, dumps(data), headers, content_type="application/json")
