"""Stripe's form-encoded parameters: nested brackets in, typed and validated values out.

stripe-python sends `metadata[order]=42`, `line_items[0][price_data][currency]=usd` and
`expand[0]=customer` (brackets unescaped in POST bodies, percent-escaped in GET queries); curl
users and Stripe's docs write `expand[]=customer`. `decode()` turns either into nested dicts;
a spec (a dict of parameter name -> coercer) then checks names and types and answers bad input
the way Stripe does: 400 with `param` naming the parameter in bracket form.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from mockkit.stripe.errors import param_error

__all__ = [
    "ADDRESS",
    "ANY",
    "BOOL",
    "DECIMAL",
    "EMAIL",
    "EXPAND",
    "INT",
    "METADATA",
    "STATEMENT_DESCRIPTOR",
    "STATEMENT_DESCRIPTOR_SUFFIX",
    "STR",
    "URL",
    "Arr",
    "Enum",
    "Hash",
    "Int",
    "StatementDescriptor",
    "Str",
    "decode",
    "parse_form",
    "validate",
]

Coercer = Callable[[Any, str], Any]

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
# [0-9], not \d: Stripe reads ASCII digits only; int() would also take "١٢".
_INTEGER = re.compile(r"-?[0-9]{1,18}")
#: An array index: ASCII digits only (`isdigit()` also accepts "²" or a 5,000-digit index,
#: which int() refuses: a 500 instead of Stripe's 400).
_INDEX = re.compile(r"[0-9]{1,9}")
_DECIMAL = re.compile(r"[0-9]{1,18}(\.[0-9]{1,12})?")


def parse_form(data: bytes | str) -> list[tuple[str, str]]:
    """`a=1&b%5B0%5D=x` -> `[("a", "1"), ("b[0]", "x")]`, order and blanks kept.

    What `urllib.parse.parse_qsl(..., keep_blank_values=True)` answers, but unquoting only the
    pieces that need it, and ASCII pieces without the standard library's generality: it runs
    on every request.
    """
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if "+" in text:
        # A space, wherever it is: "+" is never a separator, and a "+" that was sent is %2B.
        text = text.replace("+", " ")
    out = []
    for piece in text.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        if "%" in key:
            key = _unquote(key)
        if "%" in value:
            value = _unquote(value)
        out.append((key, value))
    return out


#: Every `%XX` escape (either case) as the byte it stands for.
_HEX_BYTES = {f"{i:02{case}}": bytes((i,)) for i in range(256) for case in "xX"}
_HEX_BYTES.update({f"{i:02x}"[0] + f"{i:02X}"[1]: bytes((i,)) for i in range(256)})
_HEX_BYTES.update({f"{i:02X}"[0] + f"{i:02x}"[1]: bytes((i,)) for i in range(256)})


#: Every `%XX` escape (either case) of an ASCII character, as that character.
_HEX_ASCII = {escape: byte.decode("ascii") for escape, byte in _HEX_BYTES.items() if byte < b"\x80"}


def _unquote(text: str) -> str:
    """`urllib.parse.unquote(text)`, with shorter paths for ASCII text (the usual)."""
    if not text.isascii():
        return unquote(text)
    first, *rest = text.split("%")
    # Escapes of ASCII characters only (`%40`, `%2B`): joined as text, no bytes in between.
    chars = [first]
    for item in rest:
        char = _HEX_ASCII.get(item[:2])
        if char is None:
            if item[:2] in _HEX_BYTES:
                break  # a byte of a UTF-8 sequence: decoded below
            chars.append("%")
            chars.append(item)
        else:
            chars.append(char)
            chars.append(item[2:])
    else:
        return "".join(chars)
    out = [first.encode("ascii")]
    for item in rest:
        byte = _HEX_BYTES.get(item[:2])
        if byte is None:
            out.append(b"%" + item.encode("ascii"))
        else:
            out.append(byte)
            out.append(item[2:].encode("ascii"))
    return b"".join(out).decode("utf-8", "replace")


#: Bracket keys already split (`_split_key`): the same parameter names come on every request.
#: Bounded, since metadata keys are the client's.
_SPLIT: dict[str, tuple[str, ...] | None] = {}
_MAX_SPLIT = 4096
#: `decode`'s way down for a bracket key without `[]`: the containers' names, and the leaf's.
_PLANS: dict[str, tuple[tuple[str, ...], str]] = {}


def _split_key(key: str) -> tuple[str, ...] | None:
    """`"a[b][0]"` -> `("a", "b", "0")`; `"a[]"` -> `("a", "")`; None when malformed."""
    try:
        return _SPLIT[key]
    except KeyError:
        pass
    parts = _split_new(key)
    if len(_SPLIT) < _MAX_SPLIT:
        _SPLIT[key] = parts
    return parts


def _split_new(key: str) -> tuple[str, ...] | None:
    i = key.find("[")
    if i < 0:
        return (key,)
    if i == 0:
        return None
    if key[-1] == "]":
        # The common, well-formed case without a regex: "a[b][c]" -> "b][c" -> ["b", "c"].
        inner = key[i + 1 : -1].split("][")
        if not any("[" in part or "]" in part for part in inner):
            return (key[:i], *inner)
    parts = [key[:i]]
    pos = i
    for m in _SEGMENT.finditer(key, i):
        if m.start() != pos:
            return None
        parts.append(m.group(1))
        pos = m.end()
    if pos != len(key):
        return None
    return tuple(parts)


class Appended(dict[str, Any]):
    """A decoded container that was appended to with `[]` (`x[]=a`): an array, never a hash.

    Kept as a dict keyed by index strings like any other container, so `Arr` reads it alike;
    `Hash` and `METADATA` refuse it, as Stripe does (`metadata[]=v` is not a key `"0"`).
    """

    __slots__ = ()


def _appendable(parent: dict[str, Any], key: str, node: dict[str, Any]) -> dict[str, Any]:
    if type(node) is Appended:
        return node
    marked = parent[key] = Appended(node)
    return marked


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest form pairs by their bracket keys; every leaf stays a string.

    `[]` appends (the next index of that container, which becomes an `Appended`); lists stay
    dicts keyed by index strings until a spec asks for an array, so `metadata[0]=x` remains a
    map entry.
    """
    out: dict[str, Any] = {}
    for key, value in pairs:
        if "[" not in key:
            if isinstance(out.get(key), dict):
                raise param_error(f"Invalid parameter: {key} conflicts with a nested value", key)
            out[key] = value
            continue
        plan = _PLANS.get(key)
        if plan is not None:
            # The usual nested name (`a[b][c]`, no `[]`): straight down, then the leaf.
            node = out
            for name in plan[0]:
                child = node.get(name)
                if child is None:
                    child = node[name] = {}
                elif not isinstance(child, dict):
                    raise param_error(f"Invalid parameter: {key} conflicts with a plain value", key)
                node = child
            last = plan[1]
            if isinstance(node.get(last), dict):
                raise param_error(f"Invalid parameter: {key} conflicts with a nested value", key)
            node[last] = value
            continue
        parts = _SPLIT.get(key) or _split_key(key)
        if parts is None:
            raise param_error(f"Invalid parameter name: {key}", key, "parameter_unknown")
        if "" not in parts[1:] and len(_PLANS) < _MAX_SPLIT:
            _PLANS[key] = (parts[:-1], parts[-1])
        node = out
        parent, name = out, parts[0]
        for depth in range(len(parts) - 1):
            part = parts[depth]
            if part or depth == 0:
                name = part
            else:
                node = _appendable(parent, name, node)
                name = str(len(node))
            child = node.get(name)
            if not isinstance(child, dict):
                if child is not None:
                    raise param_error(f"Invalid parameter: {key} conflicts with a plain value", key)
                child = node[name] = {}
            parent, node = node, child
        last = parts[-1]
        if not last:
            node = _appendable(parent, name, node)
            last = str(len(node))
        if isinstance(node.get(last), dict):
            raise param_error(f"Invalid parameter: {key} conflicts with a nested value", key)
        node[last] = value
    return out


def _path(name: str, key: str) -> str:
    return f"{name}[{key}]" if name else key


class Str:
    """A string; `""` becomes None when `empty_unsets` (Stripe's way of clearing a field)."""

    def __init__(self, max_length: int = 5000, empty_unsets: bool = True) -> None:
        self.max_length = max_length
        self.empty_unsets = empty_unsets

    def __call__(self, value: Any, name: str) -> Any:
        if not isinstance(value, str):
            raise param_error(f"Invalid string: {name} must be a string, not an object", name)
        if value == "" and self.empty_unsets:
            return None
        if len(value) > self.max_length:
            raise param_error(
                f"Invalid string: {value[:20]}...; must be at most {self.max_length} characters",
                name,
            )
        return value


class Int:
    """An integer, optionally bounded."""

    def __init__(self, minimum: int | None = None, maximum: int | None = None) -> None:
        self.minimum = minimum
        self.maximum = maximum

    def __call__(self, value: Any, name: str) -> Any:
        if value == "":
            return None
        if not isinstance(value, str) or not _INTEGER.fullmatch(value):
            shown = value if isinstance(value, str) else "an object"
            raise param_error(f"Invalid integer: {shown}", name, "parameter_invalid_integer")
        number = int(value)
        if self.minimum is not None and number < self.minimum:
            raise param_error(
                f"This value must be greater than or equal to {self.minimum}.",
                name,
                "parameter_invalid_integer",
            )
        if self.maximum is not None and number > self.maximum:
            raise param_error(
                f"This value must be less than or equal to {self.maximum}.",
                name,
                "parameter_invalid_integer",
            )
        return number


def _bool(value: Any, name: str) -> Any:
    """`true` / `false`, as stripe-python sends booleans (`True` / `False` before 12)."""
    if value in ("true", "false", "True", "False"):
        return value in ("true", "True")
    shown = value if isinstance(value, str) else "an object"
    raise param_error(f"Invalid boolean: {shown}", name)


class Enum:
    """One of a fixed set of strings."""

    def __init__(self, *choices: str) -> None:
        self.choices = choices

    def __call__(self, value: Any, name: str) -> Any:
        if value == "":
            return None
        if value not in self.choices:
            if len(self.choices) > 1:
                options = ", ".join(self.choices[:-1]) + f", or {self.choices[-1]}"
            else:
                options = self.choices[0]
            raise param_error(f"Invalid {name}: must be one of {options}", name)
        return value


class Arr:
    """An array: `x[0]=a&x[1]=b` or `x[]=a&x[]=b` (a dict keyed by index once decoded)."""

    def __init__(self, item: Coercer, max_items: int = 100) -> None:
        self.item = item
        self.max_items = max_items

    def __call__(self, value: Any, name: str) -> Any:
        if value == "":
            return []
        if isinstance(value, str):
            # A bare `expand=customer` is what some hand-written clients send; Stripe refuses.
            raise param_error(f"Invalid array: {name} must be an array", name)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        indexed = []
        for key, item in items:
            if not _INDEX.fullmatch(str(key)):
                raise param_error(f"Invalid array: {name} must be an array", name)
            indexed.append((int(key), key, item))
        if len(indexed) > self.max_items:
            raise param_error(f"Invalid array: {name} has more than {self.max_items} items", name)
        indexed.sort(key=lambda t: t[0])
        return [self.item(item, _path(name, str(key))) for _, key, item in indexed]


class Hash:
    """A nested hash with its own spec (unknown keys are refused, as Stripe does)."""

    def __init__(
        self, spec: Mapping[str, Coercer], required: Iterable[str] = (), empty_unsets: bool = True
    ) -> None:
        self.spec = spec
        self.required = tuple(required)
        self.empty_unsets = empty_unsets

    def __call__(self, value: Any, name: str) -> Any:
        if value == "" and self.empty_unsets:
            return None
        if not isinstance(value, dict) or type(value) is Appended:
            raise param_error(f"Invalid object: {name} must be a hash of parameters", name)
        return validate(value, self.spec, self.required, prefix=name)


#: Stripe's limits on metadata: keys per object, characters per key and per value.
METADATA_KEYS, METADATA_KEY_LENGTH, METADATA_VALUE_LENGTH = 50, 40, 500


def _metadata(value: Any, name: str) -> Any:
    """A metadata hash: string values; `""` deletes a key, `metadata=""` clears them all.

    The 50-key limit counts what the object ends up with (see `Model.merge_metadata`); here,
    what one request sends.
    """
    if value == "":
        return {}  # `metadata=""` clears every key
    if not isinstance(value, dict) or type(value) is Appended:
        # `metadata[]=v` is an array, not a key "0": Stripe refuses it.
        raise param_error(
            "Invalid object: metadata must be a hash of string keys and values "
            "(metadata[key]=value), not an array",
            name,
        )
    if len(value) > METADATA_KEYS:
        raise param_error(f"Metadata can have at most {METADATA_KEYS} keys.", name)
    out: dict[str, str | None] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            raise param_error(
                f"Invalid value for metadata key {key}: must be a string", _path(name, key)
            )
        if len(key) > METADATA_KEY_LENGTH:
            raise param_error(
                f"Metadata keys can be at most {METADATA_KEY_LENGTH} characters.", _path(name, key)
            )
        if len(item) > METADATA_VALUE_LENGTH:
            raise param_error(
                f"Metadata values can be at most {METADATA_VALUE_LENGTH} characters.",
                _path(name, key),
            )
        out[key] = item if item != "" else None  # None: delete this key on update
    return out


def _any(value: Any, name: str) -> Any:
    """Accepted as sent (parameters the fake takes but does not act on)."""
    return value


def _decimal(value: Any, name: str) -> Any:
    """A decimal string such as `unit_amount_decimal`: digits, at most 12 decimals."""
    if value == "":
        return None
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        shown = value if isinstance(value, str) else "an object"
        raise param_error(f"Invalid decimal: {shown}", name, "parameter_invalid_decimal")
    return value


#: An address as Stripe's email check reads one: a local part, "@", a dotted domain, no spaces.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+\Z")


_EMAIL_TEXT = Str(512)
_URL_TEXT = Str(5000)


def _email(value: Any, name: str) -> Any:
    """An email address (`email`, `receipt_email`, ...): Stripe's `email_invalid` otherwise."""
    email = _EMAIL_TEXT(value, name)
    if email is not None and not _EMAIL.match(email):
        raise param_error(f"Invalid email address: {email}", name, "email_invalid")
    return email


def _url(value: Any, name: str) -> Any:
    """An absolute http(s) URL, as Stripe requires of every redirect target (`return_url`,
    `success_url`, ...), else `url_invalid`.

    A `javascript:`, `data:` or relative URL would otherwise end up as a link or a redirect
    (with a client secret appended) on the served pages.
    """
    url = _URL_TEXT(value, name)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 bracket)
        valid = False
    if not valid or url != url.strip() or any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise param_error(
            f"Invalid URL: {name} must be an absolute URL with an http or https scheme.",
            name,
            "url_invalid",
        )
    return url


#: Characters Stripe refuses in a statement descriptor.
_DESCRIPTOR_FORBIDDEN = "<>\\'\"*"


class StatementDescriptor:
    """A statement descriptor (or its suffix), checked as Stripe checks them.

    Between `min_length` and 22 characters, at least one letter, none of `< > \\ ' " *`
    (Stripe's statement descriptor requirements).
    """

    def __init__(self, min_length: int = 5, max_length: int = 22) -> None:
        self.min_length = min_length
        self.max_length = max_length

    def __call__(self, value: Any, name: str) -> Any:
        text = Str(5000)(value, name)
        if text is None:
            return None
        if not self.min_length <= len(text) <= self.max_length:
            raise param_error(
                f"Invalid {name}: the statement descriptor must be between {self.min_length} "
                f"and {self.max_length} characters long (it has {len(text)}).",
                name,
            )
        bad = sorted({c for c in text if c in _DESCRIPTOR_FORBIDDEN})
        if bad:
            raise param_error(
                f"Invalid {name}: the statement descriptor cannot contain any of the special "
                "characters < > \\ ' \" * (it contains " + " ".join(bad) + ").",
                name,
            )
        if not any(c.isascii() and c.isalpha() for c in text):
            raise param_error(
                f"Invalid {name}: the statement descriptor must contain at least one letter.",
                name,
            )
        return text


STR = Str()
INT = Int()
EMAIL: Coercer = _email
URL: Coercer = _url
#: A complete statement descriptor: 5 to 22 characters.
STATEMENT_DESCRIPTOR: Coercer = StatementDescriptor()
#: A suffix (joined to the account's prefix): up to 22 characters, at least one letter.
STATEMENT_DESCRIPTOR_SUFFIX: Coercer = StatementDescriptor(min_length=1)
BOOL: Coercer = _bool
METADATA: Coercer = _metadata
ANY: Coercer = _any
DECIMAL: Coercer = _decimal
EXPAND = Arr(Str(empty_unsets=False), max_items=100)
#: Stripe's address hash (customers, billing details, shipping).
ADDRESS = Hash(
    {
        "city": STR,
        "country": STR,
        "line1": STR,
        "line2": STR,
        "postal_code": STR,
        "state": STR,
    }
)


def validate(
    params: Mapping[str, Any],
    spec: Mapping[str, Coercer],
    required: Iterable[str] = (),
    prefix: str = "",
) -> dict[str, Any]:
    """Check `params` against `spec`; return the coerced values.

    Unknown names get Stripe's `parameter_unknown` (with a "did you mean" hint), missing ones
    `parameter_missing`; both name the parameter in `param`, in bracket form.
    """
    out: dict[str, Any] = {}
    for key, value in params.items():
        coerce = spec.get(key)
        name = f"{prefix}[{key}]" if prefix else key  # `_path`, inline: it runs per parameter
        if coerce is None:
            hint = difflib.get_close_matches(key, list(spec), n=1)
            extra = f" Did you mean {_path(prefix, hint[0])}?" if hint else ""
            raise param_error(
                f"Received unknown parameter: {name}.{extra}", name, "parameter_unknown"
            )
        out[key] = coerce(value, name)
    for key in required:
        if out.get(key) is None:
            name = _path(prefix, key)
            raise param_error(f"Missing required param: {name}.", name, "parameter_missing")
    return out
