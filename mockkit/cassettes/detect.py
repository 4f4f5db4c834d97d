"""One secret detector for the scrubber (record time) and the leak gate and `check` (later).

A secret hides as easily in how content is encoded as in where it sits, so everything here
looks at content the way a client would read it, decoded:

- bodies are decompressed (`Content-Encoding` gzip, deflate, br, zstd; gzip and zlib data are
  also recognised by their magic bytes, e.g. a `.tar.gz` download) and decoded as text by their
  BOM, their declared charset, UTF-8, UTF-16 when the bytes look like it, and latin-1;
- base64 is decoded wherever a value or a run of text looks like it (a `.env` file served by
  GitHub's contents API, a `data:` URL, a Basic credential), and what it holds is scanned again;
- JSON and form bodies, query strings and URL fragments (in any URL: the request URI, a
  `Location` header, a JSON field) are split into name/value pairs.

A value is a secret when its shape says so (Stripe keys, GitHub and Google tokens, Google API
keys, any JWT recognised by its structure, a Basic or Bearer credential) or when the name it sits
under says so. Names are normalised before they are judged: `accessToken`, `access-token`,
`client_secret[0]` and `X-Api-Key` become `access_token`, `client_secret` and `api_key`.

The scrubber uses the names and the decoders to replace secrets where it can rewrite them; the
gate (`mockkit.cassettes.leak`) uses `scan_interaction` to refuse what is left. Nothing here
runs while a cassette is replayed, except `secret_name`, which the matchers call (cached).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "MAX_DECODED_BYTES",
    "SECRET_PATTERNS",
    "DecodedText",
    "Hit",
    "UndecodableBody",
    "auth_credential",
    "credential_value",
    "decode_body",
    "decompress",
    "normalize_name",
    "placeholder_for",
    "redact",
    "replace_assignments",
    "replace_url_params",
    "scan_interaction",
    "secret_header",
    "secret_name",
    "shape_kinds",
]

#: (description, pattern). Suffix lengths keep placeholders and prose from matching. JWTs and
#: Basic credentials are recognised by their structure instead (`shape_kinds`).
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a Stripe live secret key (sk_live_...)", re.compile(r"sk_live_[A-Za-z0-9]{8,}")),
    ("a Stripe test secret key (sk_test_...)", re.compile(r"sk_test_[A-Za-z0-9]{8,}")),
    ("a Stripe restricted key (rk_...)", re.compile(r"rk_(?:live|test)_[A-Za-z0-9]{8,}")),
    ("a Stripe webhook secret (whsec_...)", re.compile(r"whsec_[A-Za-z0-9+/=]{8,}")),
    ("a GitHub token (gho_/ghu_/ghr_/ghp_/ghs_)", re.compile(r"gh[oupsr]_[A-Za-z0-9]{16,}")),
    ("a GitHub fine-grained token", re.compile(r"github_pat_[A-Za-z0-9_]{20,}")),
    ("a Google access token (ya29.)", re.compile(r"ya29\.[A-Za-z0-9_-]{16,}")),
    ("a Google refresh token (1//)", re.compile(r"\b1//0[A-Za-z0-9_-]{16,}")),
    ("a Google client secret (GOCSPX-)", re.compile(r"GOCSPX-[A-Za-z0-9_-]{8,}")),
    ("a Google API key (AIza...)", re.compile(r"AIza[0-9A-Za-z_-]{35}")),
)

JWT_KIND = "a JWT (header.payload.signature)"
BASIC_KIND = "Basic credentials (user:password)"
BEARER_KIND = "a Bearer token"

#: Decoded bodies larger than this are not expanded further (a compression bomb in a
#: hand-edited cassette must not exhaust memory); the gate reports them as unreadable.
MAX_DECODED_BYTES = 32 * 1024 * 1024
#: How many layers of encoding inside one another are undone (gzip in base64 in JSON ...).
MAX_DEPTH = 4
#: Shortest run of base64 in free text worth decoding; whole values need 16 characters.
_MIN_B64_RUN = 20
_MIN_B64_VALUE = 16

# ---- names ---------------------------------------------------------------------------------

_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")

#: The last word of a normalised name that makes it a secret's name.
_SECRET_LAST = frozenset(
    {"token", "secret", "password", "passwd", "passphrase", "apikey", "credential", "credentials"}
)
_SECRET_SUFFIXES = ("token", "secret", "password", "passwd", "apikey")
#: The last two words that do (`client_assertion`, `private_key`, `id_token_hint`, ...).
_SECRET_LAST_TWO = frozenset(
    {
        ("api", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("access", "key"),
        ("signing", "key"),
        ("client", "assertion"),
        ("code", "verifier"),
        ("token", "hint"),
    }
)
#: Tokens that only page through results: opaque, but no credential.
_NOT_SECRET_FIRST = frozenset(
    {"page", "next", "prev", "previous", "continuation", "cursor", "sync", "pagination", "csrf"}
)
#: Header names that carry credentials whatever their words say.
_SECRET_HEADERS = frozenset({"authorization", "proxy_authorization", "cookie", "set_cookie"})


@functools.lru_cache(maxsize=4096)
def normalize_name(name: str) -> str:
    """`accessToken`, `Access-Token`, `client_secret[0]`, `card[token]` -> snake case.

    Bracketed form keys keep their innermost part that is not an index (`card[token]` ->
    `token`, `client_secret[0]` -> `client_secret`), so nested Stripe-style fields are judged
    by their own name.
    """
    base = name.split("[", 1)[0]
    parts = [part for part in _BRACKETS.findall(name) if part and not part.isdigit()]
    if parts:
        base = parts[-1]
    spaced = _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", base.strip()))
    return _SEPARATORS.sub("_", spaced.lower()).strip("_")


@functools.lru_cache(maxsize=4096)
def secret_name(name: str) -> bool:
    """Whether a query parameter, form field or JSON key of this name holds a secret."""
    words = normalize_name(name).split("_")
    if not words or words == [""]:
        return False
    if words[0] in _NOT_SECRET_FIRST or (len(words) > 1 and words[-2] in _NOT_SECRET_FIRST):
        return False
    last = words[-1]
    # Words glued without separators (`ACCESSTOKEN`, `clientsecret`) end like a secret's.
    return (
        last in _SECRET_LAST
        or tuple(words[-2:]) in _SECRET_LAST_TWO
        or last.endswith(_SECRET_SUFFIXES)
    )


@functools.lru_cache(maxsize=1024)
def secret_header(name: str) -> bool:
    """Whether a header of this name (either direction) holds a credential."""
    normal = normalize_name(name)
    if normal in _SECRET_HEADERS:
        return True
    if normal.startswith("x_"):
        normal = normal[2:]
    return normal in _SECRET_HEADERS or secret_name(normal)


def placeholder_for(name: str) -> str:
    """The placeholder a scrubbed value under `name` gets: `accessToken` -> `<ACCESS_TOKEN>`."""
    normal = normalize_name(name)
    if normal.startswith("x_"):
        normal = normal[2:]
    return f"<{normal.upper() or 'SECRET'}>"


_PLACEHOLDER = re.compile(
    r"^(?:<[^<>]*>|\{\{[^{}]*\}\}|\$\{[^{}]*\}|%3C[^%]*%3E|\[[A-Z_ ]+\]|[*xX.\-_#]+)$"
)
_NOT_SECRET_WORDS = frozenset(
    {
        "bearer",
        "basic",
        "token",
        "none",
        "null",
        "true",
        "false",
        "undefined",
        "redacted",
        "filtered",
        "scrubbed",
        "removed",
        "hidden",
        "secret",
        "password",
        "changeme",
        "example",
    }
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+)?(?:\s*(?:Z|UTC|[+-]\d{2}:?\d{2}))?$")
#: Name-based findings ignore values shorter than this (a flag, a count, a one-letter code).
MIN_NAMED_SECRET = 6


def credential_value(value: Any) -> bool:
    """Whether a value under a secret's name is a real credential, not a placeholder or flag."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if len(text) < MIN_NAMED_SECRET or _PLACEHOLDER.match(text):
        return False
    if "<" in text and ">" in text and re.search(r"<[A-Z][A-Z0-9_]*>", text):
        return False  # `Bearer <ACCESS_TOKEN>`, `sid=<COOKIE>`: already scrubbed
    return text.lower() not in _NOT_SECRET_WORDS and not _DATE.match(text)


# ---- shapes --------------------------------------------------------------------------------

#: Three base64url segments starting at a boundary (the look-behind keeps the scan linear).
_JWT = re.compile(
    r"(?<![A-Za-z0-9_\-.])([A-Za-z0-9_-]{12,})\.([A-Za-z0-9_-]{2,})\.([A-Za-z0-9_-]*)"
)
_BASIC = re.compile(r"(?i)(?<![A-Za-z0-9])basic\s+([A-Za-z0-9+/]{4,}={0,2})(?![A-Za-z0-9+/=])")
_BEARER = re.compile(r"(?i)(?<![A-Za-z0-9])bearer\s+([A-Za-z0-9._~+/-]+=*)(?=$|[\s,;])")
_B64_RUN = re.compile(rf"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{{{_MIN_B64_RUN},}}={{0,2}}")
_B64_BLOCK = re.compile(r"(?<![A-Za-z0-9+/])(?:[A-Za-z0-9+/]{16,}={0,2}\r?\n)+[A-Za-z0-9+/]*={0,2}")
_B64_VALUE = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")
_WHITESPACE = re.compile(r"\s+")
#: A token holding `?` or `#` and then `=` (a URL with parameters), starting at a boundary.
_URLISH = re.compile(r"""(?<![^\s"'<>])[^\s"'<>]*[?#][^\s"'<>]*=[^\s"'<>]*""")


def _b64decode(text: str) -> bytes | None:
    """Standard or URL-safe base64 (padding optional), or None when it is not base64."""
    if "-" in text or "_" in text:
        text = text.replace("-", "+").replace("_", "/")
    text = text.rstrip("=")
    if len(text) % 4 == 1:
        return None
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _is_jwt_header(segment: str) -> bool:
    raw = _b64decode(segment)
    if raw is None or raw.lstrip()[:1] != b"{":
        return False
    try:
        header = json.loads(raw)
    except ValueError:
        return False
    return isinstance(header, dict) and "alg" in header


def basic_credentials(token: str) -> bool:
    """Whether `token` (after `Basic `) decodes to `user:password` with a real password."""
    raw = _b64decode(token)
    if raw is None:
        return False
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    _user, colon, password = text.partition(":")
    if not colon or not text.isprintable():
        return False
    return (
        bool(password)
        and not _PLACEHOLDER.match(password)
        and password.lower() not in (_NOT_SECRET_WORDS)
    )


def shape_kinds(text: str) -> list[str]:
    """The kinds of secret whose shape occurs in `text` (no names, no decoding)."""
    kinds = [kind for kind, pattern in SECRET_PATTERNS if pattern.search(text)]
    if "." in text and any(_is_jwt_header(m.group(1)) for m in _JWT.finditer(text)):
        kinds.append(JWT_KIND)
    if ("asic" in text or "ASIC" in text) and any(
        basic_credentials(m.group(1)) for m in _BASIC.finditer(text)
    ):
        kinds.append(BASIC_KIND)
    return kinds


_PARAM = re.compile(r"([?#&;])([^=&#;]*)=([^&#;]*)")


def redact(text: str) -> str:
    """`text` (a request line, a message) with every secret it shows cut to a short prefix.

    Shapes are cut to their first 8 characters (`sk_test_...`), JWTs to their header, and the
    values of URL parameters with secret names (`?accessToken=...`) are dropped.
    """
    for _, pattern in SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(0)[:8] + "...", text)
    text = _JWT.sub(
        lambda m: m.group(1)[:8] + "...(JWT)" if _is_jwt_header(m.group(1)) else m.group(0), text
    )

    def param(match: re.Match[str]) -> str:
        sep, name, value = match.groups()
        if secret_name(unquote(name)) and credential_value(unquote(value)):
            value = "..."
        return f"{sep}{name}={value}"

    return _PARAM.sub(param, text)


def auth_credential(value: str) -> tuple[str, str] | None:
    """`("Basic", token)` / `("Bearer", token)` when a header value carries such a credential."""
    for scheme, pattern in (("Basic", _BASIC), ("Bearer", _BEARER)):
        match = pattern.search(value)
        if match is None:
            continue
        token = match.group(1)
        if scheme == "Basic" and basic_credentials(token):
            return scheme, token
        if scheme == "Bearer" and credential_value(token):
            return scheme, token
    return None


# ---- decoding ------------------------------------------------------------------------------


class UndecodableBody(ValueError):
    """A body declared compressed that cannot be decoded (so it cannot be scanned either)."""


def _zlib(data: bytes, wbits: int) -> bytes:
    out = bytearray()
    while data:
        engine = zlib.decompressobj(wbits)
        out += engine.decompress(data, MAX_DECODED_BYTES + 1 - len(out))
        if engine.unconsumed_tail or len(out) > MAX_DECODED_BYTES:
            raise UndecodableBody(f"it decodes to more than {MAX_DECODED_BYTES >> 20} MiB")
        if not engine.eof:
            raise UndecodableBody("the compressed data is truncated")
        data = engine.unused_data if wbits == 47 else b""  # gzip may hold several members
    return bytes(out)


def _brotli(data: bytes) -> bytes:
    try:
        import brotli  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise UndecodableBody("the brotli package is not installed") from None
    engine = brotli.Decompressor()
    try:
        out: bytes = engine.process(data, output_buffer_limit=MAX_DECODED_BYTES + 1)
    except brotli.error as exc:
        raise UndecodableBody(f"not valid brotli data ({exc})") from None
    if len(out) > MAX_DECODED_BYTES:
        raise UndecodableBody(f"it decodes to more than {MAX_DECODED_BYTES >> 20} MiB")
    if not engine.is_finished():
        raise UndecodableBody("the compressed data is truncated")
    return out


def _zstd(data: bytes) -> bytes:
    try:
        import zstandard  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise UndecodableBody("the zstandard package is not installed") from None
    try:
        out: bytes = zstandard.ZstdDecompressor().decompress(
            data, max_output_size=MAX_DECODED_BYTES + 1
        )
    except zstandard.ZstdError as exc:
        raise UndecodableBody(f"not valid zstd data ({exc})") from None
    return out


def decompress(data: bytes, encoding: str) -> bytes:
    """`data` with one `Content-Encoding` undone; raises `UndecodableBody`."""
    name = encoding.strip().lower()
    try:
        if name in ("gzip", "x-gzip"):
            return _zlib(data, 47)  # 32 + 15: a gzip header (or zlib's, auto-detected)
        if name == "deflate":  # servers send zlib-wrapped or raw deflate: accept both
            try:
                return _zlib(data, 15)
            except zlib.error:
                return _zlib(data, -15)
    except zlib.error as exc:
        raise UndecodableBody(f"not valid {name} data ({exc})") from None
    if name == "br":
        return _brotli(data)
    if name == "zstd":
        return _zstd(data)
    if name in ("identity", ""):
        return data
    raise UndecodableBody(f"unknown content encoding {encoding!r}")


def content_encodings(headers: Any) -> list[str]:
    """The `Content-Encoding` codings of a stored header mapping, in the order applied."""
    found: list[str] = []
    for name, value in _header_items(headers):
        if name.lower() == "content-encoding":
            found.extend(part.strip() for part in value.split(",") if part.strip())
    return [c for c in found if c.lower() != "identity"]


def _sniff(data: bytes) -> str | None:
    if data[:3] == b"\x1f\x8b\x08":
        return "gzip"
    if len(data) > 2 and data[0] == 0x78 and (data[0] * 256 + data[1]) % 31 == 0:
        return "deflate"
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    return None


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]+)""", re.IGNORECASE)


def _charset(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1)).name
    except LookupError:
        return None


@dataclass(frozen=True)
class DecodedText:
    """A body as text, and how to turn the text back into the same bytes (`encode`)."""

    text: str
    codec: str
    bom: bytes = b""

    def encode(self, text: str) -> bytes:
        """`text` in this body's encoding, with its BOM."""
        return self.bom + text.encode(self.codec)


def _wide_codec(data: bytes) -> str | None:
    """UTF-16 or UTF-32 without a BOM or a charset, told by where its NUL bytes fall."""
    if len(data) < 4 or data.count(0) * 3 < len(data):
        return None
    for codec in ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            continue
        printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
        if printable * 10 >= len(text) * 9:
            return codec
    return None


def decode_body(data: bytes, content_type: str | None) -> DecodedText | None:
    """The text of a body, by its BOM, its declared charset, the place of its NUL bytes
    (UTF-16 or UTF-32 sent without either), then UTF-8; None if none fits.

    Only strict decodings count: a body rewritten after scrubbing must encode back to the
    bytes it came from, except for the scrubbed values.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return DecodedText(data[len(bom) :].decode(codec), codec, bom)
            except UnicodeDecodeError:
                break
    declared = _charset(content_type)
    for codec in (declared or _wide_codec(data) or "utf-8", "utf-8"):
        try:
            return DecodedText(data.decode(codec), codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _text_views(data: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """Every plausible text of `data` for scanning: (codec, text), the best first."""
    views: list[tuple[str, str]] = []
    decoded = decode_body(data, content_type)
    if decoded is not None:
        views.append((decoded.codec, decoded.text))
        if decoded.codec in ("utf-8", "ascii") and "\x00" not in decoded.text:
            return views
    if len(data) >= 4 and data.count(0) * 3 >= len(data):
        # Many NUL bytes and no BOM: UTF-16 or UTF-32 without a declared charset, perhaps
        # damaged (so decoded leniently here; `decode_body` only takes clean ones).
        for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            text = data.decode(codec, errors="replace")
            if text.count("\ufffd") * 4 < len(text) and all(c != codec for c, _ in views):
                views.append((codec, text))
    # latin-1 maps every byte: an ASCII secret shows whatever the rest of the bytes are.
    views.append(("latin-1", data.decode("latin-1")))
    return views


# ---- scanning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One secret found: the field it is in, and its kind (never the value)."""

    field: str
    kind: str


def _body_kind(content_type: str | None, text: str) -> str:
    ctype = (content_type or "").split(";")[0].strip().lower()
    stripped = text.lstrip()
    if ctype == "application/json" or ctype.endswith("+json") or stripped[:1] in ("{", "["):
        return "json"
    if ctype == "application/x-www-form-urlencoded":
        return "form"
    if "=" in stripped and " " not in stripped.strip() and "\n" not in stripped.strip():
        return "form"
    return "text"


#: `NAME=value`, `name: value`, `"name": "value"` anywhere in a text body (dotenv, INI,
#: YAML, JSON inside HTML or prose, headers quoted in a page); a scheme word is skipped.
_ASSIGNMENT = re.compile(
    r"""(?<![A-Za-z0-9_.\-\[\]])["']?([A-Za-z_][A-Za-z0-9_.\-\[\]]*)["']?[ \t]*[=:][ \t]*"""
    r"""["']?(?:(?i:bearer|basic|token)[ \t]+)?([^\s"'#,;&<>]+)"""
)


def replace_assignments(text: str, replace: Callable[[str, str], str | None]) -> str:
    """`NAME=value` lines of a text body with `replace(name, value)` put in (None: kept)."""

    def sub(match: re.Match[str]) -> str:
        new = replace(match.group(1), match.group(2))
        if new is None:
            return match.group(0)
        start, end = match.span(2)
        return match.group(0)[: start - match.start()] + new + match.group(0)[end - match.start() :]

    return _ASSIGNMENT.sub(sub, text)


def replace_url_params(text: str, replace: Callable[[str, str], str | None]) -> str:
    """Query and fragment parameters of every URL in `text`, with `replace(name, value)` put
    in (None: kept); names and values are passed decoded, the rest of the URL is kept as is."""
    if "=" not in text or ("?" not in text and "#" not in text):
        return text

    def url(match: re.Match[str]) -> str:
        token = match.group(0)
        head, _, tail = token.partition("?") if "?" in token else token.partition("#")
        sep = token[len(head)] if len(token) > len(head) else ""

        def param(found: re.Match[str]) -> str:
            lead, name, value = found.groups()
            new = replace(unquote(name), unquote(value))
            return f"{lead}{name}={value if new is None else new}"

        return head + _PARAM.sub(param, sep + tail)

    return _URLISH.sub(url, text)


class _Scanner:
    """Walks one interaction's decoded content and collects hits."""

    def __init__(self, needles: Iterable[tuple[str, str]]) -> None:
        self.needles = [(needle, label) for needle, label in needles if needle]
        self.hits: list[Hit] = []
        self._seen: set[tuple[str, str]] = set()
        #: Hits by name or header only, kept when nothing more specific names the same field.
        self._generic: list[Hit] = []

    def hit(self, field: str, kind: str) -> None:
        if (field, kind) not in self._seen:
            self._seen.add((field, kind))
            self.hits.append(Hit(field, kind))

    def generic(self, field: str, kind: str) -> None:
        self._generic.append(Hit(field, kind))

    def finish(self) -> list[Hit]:
        """The hits, a field's generic ones only where no shape or known value named it."""
        specific = {hit.field for hit in self.hits}
        for hit in self._generic:
            if hit.field not in specific:
                specific.add(hit.field)
                self.hits.append(hit)
        return self.hits

    # A string found somewhere: its shapes, told values, and what it holds once decoded.
    def value(self, field: str, text: str, depth: int) -> None:
        for kind in shape_kinds(text):
            self.hit(field, kind)
        for needle, label in self.needles:
            if needle in text:
                self.hit(field, label)
        if depth >= MAX_DEPTH or len(text) < 8:
            return
        stripped = text.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                data = json.loads(stripped)
            except ValueError:
                pass
            else:
                self.json(field, data, depth + 1)
        if ("?" in text or "#" in text) and ("=" in text):
            self.urls(field, text, depth + 1)
        self.base64(field, text, depth + 1)

    def named(self, field: str, name: str, value: Any, depth: int) -> None:
        if secret_name(name) and credential_value(value):
            self.generic(field, f"a secret under the name {name!r}")
        if isinstance(value, str):
            self.value(field, value, depth)

    def json(self, field: str, data: Any, depth: int, path: str = "") -> None:
        if isinstance(data, dict):
            for key, item in data.items():
                sub = f"{path}.{key}" if path else str(key)
                if isinstance(item, dict | list):
                    self.json(field, item, depth, sub)
                else:
                    self.named(f"{field} JSON field {sub!r}", str(key), item, depth)
        elif isinstance(data, list):
            for index, item in enumerate(data):
                self.json(field, item, depth, f"{path}[{index}]")
        elif isinstance(data, str):
            self.value(f"{field} JSON field {path!r}" if path else field, data, depth)

    def pairs(self, field: str, pairs: Iterable[tuple[str, str]], depth: int) -> None:
        for name, value in pairs:
            self.named(f"{field} {name!r}", name, value, depth)
            if len(name) >= 8:  # a secret can sit in a name too (`?sk_test_...`)
                self.value(f"{field} {name!r}", name, MAX_DEPTH)

    def fallback(self, field: str, text: str) -> None:
        """Shapes and known values in the whole `text`, if its parts showed none."""
        if not any(hit.field.startswith(field) for hit in self.hits):
            self.value(field, text, MAX_DEPTH)

    def urls(self, field: str, text: str, depth: int) -> None:
        """Query and fragment parameters of URLs inside `text` (a header, a JSON value)."""
        for match in _URLISH.finditer(text):
            try:
                parts = urlsplit(match.group(0))
            except ValueError:
                continue
            for part, label in ((parts.query, "URL query"), (parts.fragment, "URL fragment")):
                if "=" in part:
                    self.pairs(f"{field} {label} parameter", parse_qsl(part, True), depth)

    def base64(self, field: str, text: str, depth: int) -> None:
        compact = _WHITESPACE.sub("", text) if "\n" in text else text.strip()
        candidates: list[str] = []
        if len(compact) >= _MIN_B64_VALUE and _B64_VALUE.match(compact):
            candidates.append(compact)
        else:
            candidates.extend(m.group(0) for m in _B64_RUN.finditer(text))
            if "\n" in text:
                candidates.extend(
                    _WHITESPACE.sub("", m.group(0)) for m in _B64_BLOCK.finditer(text)
                )
        for candidate in candidates[:64]:
            # A run cut out of text may start mid-quantum: try each alignment.
            offsets = (0,) if candidate is compact else (0, 1, 2, 3)
            for offset in offsets:
                raw = _b64decode(candidate[offset:])
                if raw is not None and len(raw) >= 6:
                    self.bytes(f"{field} (base64-decoded)", raw, None, (), depth)

    def bytes(
        self,
        field: str,
        data: bytes,
        content_type: str | None,
        encodings: Iterable[str],
        depth: int,
    ) -> None:
        declared = list(encodings)
        try:
            for coding in reversed(declared):
                data = decompress(data, coding)
                field = f"{field} ({coding}-decoded)"
        except UndecodableBody as exc:
            self.hit(field, f"a body declared {'+'.join(declared)} that cannot be decoded: {exc}")
            return
        sniffed = _sniff(data) if not declared else None
        if sniffed is not None and depth < MAX_DEPTH:
            try:
                inner = decompress(data, sniffed)
            except UndecodableBody:
                pass  # not compressed after all, or no decoder: scanned as it is below
            else:
                self.bytes(f"{field} ({sniffed} data)", inner, None, (), depth + 1)
        for codec, text in _text_views(data, content_type):
            label = field if codec in ("utf-8", "ascii") else f"{field} ({codec})"
            self.text_body(label, text, content_type, depth)

    def text_body(self, field: str, text: str, content_type: str | None, depth: int) -> None:
        stripped = text.strip()
        if not stripped:
            return
        kind = _body_kind(content_type, stripped)
        if kind == "json":
            try:
                data = json.loads(stripped)
            except ValueError:
                pass
            else:
                self.json(field, data, depth)
                self.fallback(field, text)
                return
        if kind == "form":
            pairs = parse_qsl(stripped, keep_blank_values=True)
            if any(value for _, value in pairs):  # "U1RTa2V5==" is base64, not a form
                self.pairs(f"{field} form field", pairs, depth)
                self.fallback(field, text)
                return
        for match in _ASSIGNMENT.finditer(text):
            name, value = match.group(1), match.group(2)
            if secret_name(name) and credential_value(value):
                self.generic(f"{field} line {name!r}", f"a secret under the name {name!r}")
        self.value(field, text, depth)

    def header(self, side: str, name: str, value: str) -> None:
        field = f"{side} header {name!r}"
        lname = name.lower()
        if lname in ("cookie", "set-cookie"):
            for cookie, cookie_value in _cookie_pairs(value, lname == "set-cookie"):
                if credential_value(cookie_value):
                    self.generic(field, f"a cookie value ({cookie!r})")
        elif secret_header(name):
            credential = value.split(None, 1)[-1] if " " in value.strip() else value
            if credential_value(credential):
                self.generic(field, f"a credential in the {name!r} header")
        found = auth_credential(value)
        if found is not None and found[0] == "Bearer":
            self.generic(field, BEARER_KIND)
        self.value(field, value, 0)


_COOKIE_PAIR = re.compile(r"\s*([^=;,\s]+)=([^;]*)")
_COOKIE_ATTRIBUTES = frozenset(
    {"path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority"}
)


def _cookie_pairs(value: str, set_cookie: bool) -> list[tuple[str, str]]:
    if set_cookie:
        first = value.split(";", 1)[0]
        name, sep, rest = first.partition("=")
        return [(name.strip(), rest.strip())] if sep else []
    return [
        (name, item.strip())
        for name, item in _COOKIE_PAIR.findall(value)
        if name.lower() not in _COOKIE_ATTRIBUTES
    ]


def _header_items(headers: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(headers, Mapping):
        return
    for name, values in headers.items():
        for value in values if isinstance(values, list | tuple) else [values]:
            yield str(name), str(value)


def _header(headers: Any, name: str) -> str | None:
    for key, value in _header_items(headers):
        if key.lower() == name:
            return value
    return None


def scan_interaction(
    interaction: Mapping[str, Any], needles: Iterable[tuple[str, str]] = ()
) -> list[Hit]:
    """Every secret in one stored interaction (vcrpy's dict layout), decoded as a client would.

    `needles` are (literal value, label) pairs of secrets known by value (the environment's,
    `secrets=`); they are looked for in every decoded view as well.
    """
    scanner = _Scanner(needles)
    request = interaction.get("request") or {}
    response = interaction.get("response") or {}
    if not isinstance(request, Mapping):
        request = {"uri": request}
    if not isinstance(response, Mapping):
        response = {"body": response}
    uri = str(request.get("uri", ""))
    try:
        parts = urlsplit(uri)
        query, fragment = parts.query, parts.fragment
    except ValueError:  # a hand-edited URI such as "https://[": scanned whole below
        query = fragment = ""
    scanner.pairs("request query parameter", parse_qsl(query, keep_blank_values=True), 0)
    if "=" in fragment:
        scanner.pairs("request URI fragment parameter", parse_qsl(fragment, True), 0)
    if not any(h.field.startswith("request query") for h in scanner.hits):
        scanner.value("request URI", uri, MAX_DEPTH)  # its parameters were scanned above
    scanner.base64("request URI path", uri.split("?", 1)[0].split("#", 1)[0], 1)
    for side, part in (("request", request), ("response", response)):
        headers = part.get("headers")
        if headers and not isinstance(headers, Mapping):  # a hand-edited cassette: as it is
            scanner.value(f"{side} headers", str(headers), 0)
        for name, value in _header_items(headers):
            scanner.header(side, name, value)
        body = part.get("body")
        content = body.get("string") if isinstance(body, Mapping) else body
        if content is None or content in ("", b""):
            continue
        ctype = _header(headers, "content-type")
        if isinstance(content, bytes | bytearray):
            scanner.bytes(f"{side} body", bytes(content), ctype, content_encodings(headers), 0)
        elif isinstance(content, str):
            scanner.text_body(f"{side} body", content, ctype, 0)
        else:
            scanner.value(f"{side} body", str(content), 0)
    return scanner.finish()
