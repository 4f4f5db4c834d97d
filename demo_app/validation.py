"""Reading what a request sends, whole, before the shop changes anything.

Every endpoint that takes input reads it here first and refuses it as a whole when any part
is malformed: a JSON body that is not UTF-8, not JSON, nested deeper than any real request,
or holding text that is not valid Unicode (a lone surrogate such as `"\\ud800"`, which no
database or provider can store) is a 400 `invalid_json`; fields of the wrong shape are 422
`validation_error` naming each one. Only then does a view look anything up or write.
"""

from __future__ import annotations

import json
from typing import Any

from flask import request

from demo_app.errors import ShopError

#: Deeper JSON than this is refused (the shop's own bodies are one level deep).
MAX_JSON_DEPTH = 32


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def is_text(value: str) -> bool:
    """Whether `value` is valid Unicode text (no lone surrogates), storable anywhere."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check(value: Any, depth: int) -> str | None:
    """What is wrong with a decoded JSON value, or None."""
    if depth > MAX_JSON_DEPTH:
        return f"The request body is nested deeper than {MAX_JSON_DEPTH} levels."
    if isinstance(value, str):
        return None if is_text(value) else "The request body holds text that is not valid Unicode."
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _check(key, depth) or _check(item, depth + 1)
            if problem:
                return problem
    elif isinstance(value, list):
        for item in value:
            problem = _check(item, depth + 1)
            if problem:
                return problem
    return None


def parse_json(raw: bytes) -> Any:
    """Decode a JSON document strictly; a `ShopError` 400 `invalid_json` says what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ShopError(400, "invalid_json", "The request body is not UTF-8.") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise ShopError(
            400,
            "invalid_json",
            f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.",
        ) from None
    except ValueError:
        raise ShopError(400, "invalid_json", "The request body is not valid JSON.") from None
    problem = _check(value, 1)
    if problem:
        raise ShopError(400, "invalid_json", problem)
    return value


def json_body(allow_empty: bool = False) -> dict[str, Any]:
    """The request's JSON object, or a clear 415/400 explaining what is wrong with it."""
    if not request.is_json:
        raise ShopError(415, "unsupported_media_type", "Send the request body as application/json.")
    raw = request.get_data(cache=True)
    if allow_empty and not raw:
        return {}
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ShopError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def refuse_unknown(body: dict[str, Any], known: set[str], fields: dict[str, str]) -> None:
    """Add an "Unknown field." error to `fields` for every key of `body` not in `known`."""
    for name in sorted(set(body) - known):
        fields[name] = "Unknown field."


def invalid(fields: dict[str, str], message: str = "The request is not valid.") -> ShopError:
    """The 422 `validation_error` naming each bad field."""
    return ShopError(422, "validation_error", message, fields=fields)


def header_token(name: str, max_length: int = 255) -> str | None:
    """A header that must be printable ASCII (an Idempotency-Key): its value, None, or a 422."""
    value = request.headers.get(name) or None
    if value is None:
        return None
    if len(value) > max_length:
        raise invalid({name: f"At most {max_length} characters."})
    if not all(" " <= ch <= "~" for ch in value):
        raise invalid({name: "Printable ASCII characters only."})
    return value


def form_int(name: str) -> int | None:
    """A form field that must be a positive decimal id; None when it is not one."""
    raw = request.form.get(name, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw)
