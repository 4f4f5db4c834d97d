"""Scrubbing: secrets out of every interaction before it is written, with stable placeholders.

Structure-aware rather than value-based: the scrubber knows where OAuth and Stripe put secrets
(headers, query parameters, form fields, JSON keys at any depth, cookies), so it needs no list
of the secret values. Each secret becomes a fixed placeholder such as `<ACCESS_TOKEN>`; the
matchers ignore the values of scrubbed fields, so a replay still matches a request that carries
a fresh code or token. What the scrubber misses, the leak gate (`mockkit.cassettes.leak`)
refuses to write.

Names are judged by the detector the gate uses (`mockkit.cassettes.detect`): besides the tables
below, any query parameter, form field, JSON key or header whose normalised name is a secret's
(`accessToken`, `client_secret[0]`, `X-Api-Key`, `X-Auth-Token`, `*_password`, ...) is
replaced in both directions, as are Basic and Bearer credentials in any header and secret
parameters of any URL (a `Location: ...#access_token=...`). Bodies are scrubbed decoded:
a compressed response (gzip, deflate, br) is stored decompressed, and a body in UTF-16 or
another declared charset is scrubbed as text and written back in its own encoding.

vcrpy 9's own filters fall short here: `filter_headers` covers request headers only (no
`Set-Cookie`), `filter_post_data_parameters` skips JSON sent as `application/json; charset=...`,
and nothing scrubs JSON *response* fields such as `access_token` or `id_token`.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from mockkit.cassettes.detect import (
    DecodedText,
    UndecodableBody,
    auth_credential,
    content_encodings,
    decode_body,
    decompress,
    normalize_name,
    placeholder_for,
    replace_assignments,
    replace_url_params,
    secret_header,
    secret_name,
)

__all__ = ["DEFAULT_SCRUBBER", "Scrubber", "body_text", "header_value"]

#: Request headers replaced whole (lower-case name -> placeholder). `Authorization` is special:
#: its scheme is kept (`Bearer <STRIPE_API_KEY>`, `Basic <CLIENT_CREDENTIALS>`).
DEFAULT_REQUEST_HEADERS: dict[str, str] = {
    "authorization": "<AUTHORIZATION>",
    "proxy-authorization": "<AUTHORIZATION>",
    "cookie": "<COOKIE>",
    "idempotency-key": "<IDEMPOTENCY_KEY>",
    "x-stripe-client-user-agent": "<STRIPE_CLIENT_USER_AGENT>",
    "x-stripe-client-telemetry": "<STRIPE_TELEMETRY>",
    "stripe-signature": "<STRIPE_SIGNATURE>",
    "x-api-key": "<API_KEY>",
}
DEFAULT_RESPONSE_HEADERS: dict[str, str] = {
    "set-cookie": "<COOKIE>",
    "www-authenticate": "<WWW_AUTHENTICATE>",
}
DEFAULT_QUERY: dict[str, str] = {
    "code": "<OAUTH_CODE>",
    "state": "<OAUTH_STATE>",
    "access_token": "<ACCESS_TOKEN>",
    "refresh_token": "<REFRESH_TOKEN>",
    "id_token_hint": "<ID_TOKEN>",
    "client_secret": "<CLIENT_SECRET>",
    "nonce": "<OAUTH_NONCE>",
    "code_challenge": "<PKCE_CHALLENGE>",
    # Google APIs take their API key (`AIza...`) as `?key=`.
    "key": "<API_KEY>",
}
DEFAULT_FORM: dict[str, str] = {
    "client_secret": "<CLIENT_SECRET>",
    "code": "<OAUTH_CODE>",
    "code_verifier": "<PKCE_VERIFIER>",
    "refresh_token": "<REFRESH_TOKEN>",
    "access_token": "<ACCESS_TOKEN>",
    "id_token": "<ID_TOKEN>",
    "password": "<PASSWORD>",
    "client_assertion": "<CLIENT_ASSERTION>",
    "state": "<OAUTH_STATE>",
}
DEFAULT_JSON: dict[str, str] = {
    "access_token": "<ACCESS_TOKEN>",
    "refresh_token": "<REFRESH_TOKEN>",
    "id_token": "<ID_TOKEN>",
    "client_secret": "<CLIENT_SECRET>",
    "code_verifier": "<PKCE_VERIFIER>",
    "password": "<PASSWORD>",
    # Stripe webhook endpoints return their signing secret (`whsec_...`) as `secret`.
    "secret": "<WEBHOOK_SECRET>",
    "webhook_secret": "<WEBHOOK_SECRET>",
    "signing_secret": "<WEBHOOK_SECRET>",
    "api_key": "<API_KEY>",
}

_COOKIE_PAIR = re.compile(r"\s*([^=;,\s]+)=([^;]*)")


def header_value(headers: Mapping[str, Any], name: str) -> str | None:
    """The first value of header `name` (any case) in vcrpy's `{name: [values]}` layout."""
    lname = name.lower()
    for key, value in headers.items():
        if key.lower() == lname:
            if isinstance(value, list | tuple):
                return str(value[0]) if value else None
            return str(value)
    return None


def body_text(body: Any) -> str | None:
    """A request or response body as text, or None when empty or not UTF-8."""
    if isinstance(body, dict):
        body = body.get("string")
    if body is None:
        return None
    if isinstance(body, bytes | bytearray):
        try:
            return bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return None
    return str(body)


def _kind(content_type: str | None, text: str) -> str:
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        return "json"
    if ctype == "application/x-www-form-urlencoded":
        return "form"
    stripped = text.lstrip()
    if not ctype and stripped[:1] in ("{", "["):
        return "json"
    return "text"


def _auth_placeholder(value: str, placeholder: str = "<AUTHORIZATION>") -> str:
    scheme, _, credential = value.partition(" ")
    if not credential:
        return placeholder if not value.startswith("<") else value
    if credential.startswith("<") and credential.endswith(">"):
        return value
    lower = scheme.lower()
    if lower == "basic":
        return f"{scheme} <CLIENT_CREDENTIALS>"
    if credential.startswith(("sk_", "rk_")):
        return f"{scheme} <STRIPE_API_KEY>"
    if lower in ("bearer", "token"):
        return f"{scheme} <ACCESS_TOKEN>"
    return f"{scheme} {placeholder}"


def _cookie_placeholder(value: str, placeholder: str, set_cookie: bool) -> str:
    if set_cookie:
        name, sep, rest = value.partition("=")
        if not sep:
            return placeholder
        _, semi, attributes = rest.partition(";")
        return f"{name.strip()}={placeholder}{semi}{attributes}"
    pairs = _COOKIE_PAIR.findall(value)
    if not pairs:
        return placeholder
    return "; ".join(f"{name}={placeholder}" for name, _ in pairs)


_CREDENTIAL_IN_VALUE = re.compile(
    r"(?i)(?<![A-Za-z0-9])(basic|bearer)(\s+)([A-Za-z0-9._~+/-]+=*)(?=$|[\s,;])"
)


def _credentials_in(value: str) -> str:
    """Basic and Bearer credentials inside any header value replaced by placeholders."""

    def sub(match: re.Match[str]) -> str:
        scheme, space, token = match.groups()
        if auth_credential(f"{scheme} {token}") is None:
            return match.group(0)
        word = "<CLIENT_CREDENTIALS>" if scheme.lower() == "basic" else "<ACCESS_TOKEN>"
        return f"{scheme}{space}{word}"

    return _CREDENTIAL_IN_VALUE.sub(sub, value) if "earer" in value or "asic" in value else value


def _is_placeholder(value: str) -> bool:
    return value.startswith("<") and value.endswith(">")


@dataclass(frozen=True)
class Scrubber:
    """Where secrets live and which placeholder replaces each; extend it with `add()`.

    Header names are matched case-insensitively; query parameters, form fields and JSON keys
    (at any depth, in request and response bodies alike) exactly, then by their normalised
    name (`clientSecret`, `client_secret[0]` -> `client_secret`). With `generic` (the default)
    every other name the detector judges secret (`accessToken`, `X-Api-Key`, `*_password`,
    ...) is replaced too, by a placeholder made from the name (`<ACCESS_TOKEN>`).
    `values` maps literal secret values (e.g. your client secret) to placeholders and is
    applied everywhere, last.
    """

    request_headers: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_REQUEST_HEADERS)
    )
    response_headers: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_RESPONSE_HEADERS)
    )
    query: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_QUERY))
    form: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_FORM))
    json: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_JSON))
    values: Mapping[str, str] = field(default_factory=dict)
    generic: bool = True

    def add(
        self,
        *,
        request_headers: Mapping[str, str] | None = None,
        response_headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        json: Mapping[str, str] | None = None,
        values: Mapping[str, str] | None = None,
    ) -> Scrubber:
        """A copy with more places (name -> placeholder) or literal secret values scrubbed."""

        def merged(
            old: Mapping[str, str], new: Mapping[str, str] | None, lower: bool
        ) -> dict[str, str]:
            out = dict(old)
            for key, value in (new or {}).items():
                out[key.lower() if lower else key] = value
            return out

        return replace(
            self,
            request_headers=merged(self.request_headers, request_headers, True),
            response_headers=merged(self.response_headers, response_headers, True),
            query=merged(self.query, query, False),
            form=merged(self.form, form, False),
            json=merged(self.json, json, False),
            values=merged(self.values, {k: v for k, v in (values or {}).items() if k}, False),
        )

    # ---- names the matchers must ignore ----------------------------------------------------

    @property
    def scrubbed_fields(self) -> frozenset[str]:
        """Query, form and JSON names whose values are replaced, so matching ignores them.

        Names the detector judges secret (`secret_name`) are masked by the matchers as well.
        """
        return frozenset(self.query) | frozenset(self.form) | frozenset(self.json)

    # ---- names -----------------------------------------------------------------------------

    @functools.cached_property
    def _normalized(self) -> dict[int, dict[str, str]]:
        return {
            id(table): {normalize_name(k): v for k, v in table.items()}
            for table in (self.query, self.form, self.json)
        }

    def placeholder(self, table: Mapping[str, str], name: str) -> str | None:
        """The placeholder for a value under `name` in `table`, or None if it is not secret."""
        found = table.get(name)
        if found is None:
            found = self._normalized.get(id(table), {}).get(normalize_name(name))
        if found is None and self.generic and secret_name(name):
            found = placeholder_for(name)
        return found

    def _param(self, name: str, value: str) -> str | None:
        """For parameters of URLs inside values: secret names only (never `code`/`state`,
        which an app reads back from a redirect it follows)."""
        if not value or _is_placeholder(value):
            return None
        if not (self.generic and secret_name(name)) and name not in self.json:
            return None
        return self.placeholder(self.query, name) or self.placeholder(self.json, name)

    # ---- pieces ----------------------------------------------------------------------------

    def _literal(self, text: str) -> str:
        for secret, placeholder in self.values.items():
            if secret in text:
                text = text.replace(secret, placeholder)
            encoded = quote(secret, safe="")
            if encoded != secret and encoded in text:
                text = text.replace(encoded, placeholder)
        return text

    def _scrub_pairs(self, text: str, table: Mapping[str, str]) -> str:
        pairs = parse_qsl(text, keep_blank_values=True)
        new = []
        changed = False
        for name, value in pairs:
            placeholder = self.placeholder(table, name) if value else None
            if placeholder is not None and value != placeholder:
                new.append((name, placeholder))
                changed = True
            else:
                new.append((name, value))
        return urlencode(new, safe="[]<>") if changed else text

    def scrub_uri(self, uri: str) -> str:
        """Query and fragment parameters replaced by placeholders (the rest kept as sent)."""
        parts = urlsplit(uri)
        if parts.query or "=" in parts.fragment:
            query = self._scrub_pairs(parts.query, self.query) if parts.query else parts.query
            fragment = parts.fragment
            if "=" in fragment:
                fragment = self._scrub_pairs(fragment, self.query)
            if query != parts.query or fragment != parts.fragment:
                uri = urlunsplit(parts._replace(query=query, fragment=fragment))
        return self._literal(uri)

    def _header(self, name: str, value: str, table: Mapping[str, str]) -> str:
        lname = name.lower()
        placeholder = table.get(lname)
        if placeholder is None and self.generic and secret_header(name):
            placeholder = "<COOKIE>" if lname in ("cookie", "set-cookie") else placeholder_for(name)
            if lname in ("authorization", "proxy-authorization"):
                placeholder = "<AUTHORIZATION>"
        if placeholder is not None:
            if lname in ("authorization", "proxy-authorization"):
                return _auth_placeholder(value)
            if lname in ("cookie", "set-cookie"):
                return _cookie_placeholder(value, placeholder, lname == "set-cookie")
            if _is_placeholder(value.strip()):
                return value
            scheme, space, rest = value.partition(" ")
            if space and scheme.lower() in ("basic", "bearer", "token", "digest") and rest:
                return _auth_placeholder(value, placeholder)
            return placeholder
        if self.generic:
            value = _credentials_in(value)
            value = replace_url_params(value, self._param)
        return value

    def scrub_headers(self, headers: Mapping[str, Any], response: bool) -> dict[str, list[str]]:
        """Headers (vcrpy layout) with secret ones replaced; values become lists."""
        table = self.response_headers if response else self.request_headers
        out: dict[str, list[str]] = {}
        for name, raw in headers.items():
            values = [str(v) for v in raw] if isinstance(raw, list | tuple) else [str(raw)]
            out[name] = [self._literal(self._header(name, v, table)) for v in values]
        return out

    def _scrub_json(self, value: Any) -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                placeholder = self.placeholder(self.json, k) if isinstance(k, str) else None
                if (
                    placeholder is not None
                    and isinstance(v, str | int | float)
                    and not isinstance(v, bool)
                    and v != ""
                    and (isinstance(v, str) or k in self.json)
                ):
                    out[k] = v if isinstance(v, str) and _is_placeholder(v) else placeholder
                else:
                    out[k] = self._scrub_json(v)
            return out
        if isinstance(value, list):
            return [self._scrub_json(v) for v in value]
        if isinstance(value, str) and self.generic:
            return replace_url_params(value, self._param)
        return value

    def scrub_body(self, text: str, content_type: str | None) -> str:
        """A body with form fields, JSON keys and URL parameters replaced; literal values too."""
        kind = _kind(content_type, text)
        if kind == "json":
            try:
                data = json.loads(text)
            except ValueError:
                kind = "text"
            else:
                scrubbed = self._scrub_json(data)
                if scrubbed != data:
                    indent = 2 if "\n" in text.strip() else None
                    separators = None if indent else (",", ":")
                    text = json.dumps(
                        scrubbed, indent=indent, separators=separators, ensure_ascii=False
                    )
        elif kind == "form":
            text = self._scrub_pairs(text, self.form)
        if kind == "text" and self.generic:
            text = replace_url_params(text, self._param)
            text = replace_assignments(text, self._assignment)
        return self._literal(text)

    def _assignment(self, name: str, value: str) -> str | None:
        if _is_placeholder(value) or not secret_name(name):
            return None
        return placeholder_for(name)

    def _scrub_bytes(
        self, data: bytes, headers: dict[str, list[str]], response: bool
    ) -> bytes | str:
        """A body kept as bytes: decompressed and decoded, scrubbed, and encoded back.

        A response is stored decompressed (its `Content-Encoding` dropped, as vcrpy does for
        gzip), so a reviewer reads it and replay serves it; a request body is compressed again
        only if scrubbing changed it (replay matches the bytes the client sends).
        """
        codings = content_encodings(headers)
        plain = data
        if codings:
            try:
                for coding in reversed(codings):
                    plain = decompress(plain, coding)
            except UndecodableBody:
                return data  # the leak gate refuses it if it cannot look inside either
        ctype = header_value(headers, "content-type")
        decoded = decode_body(plain, ctype)
        new_plain = plain
        if decoded is not None:
            text = self.scrub_body(decoded.text, ctype)
            if text != decoded.text:
                new_plain = decoded.encode(text)
        if codings and response:
            for name in [n for n in headers if n.lower() == "content-encoding"]:
                del headers[name]
            return _text_or_bytes(new_plain, decoded)
        if new_plain is plain:
            return data
        if codings:
            try:
                for coding in codings:
                    new_plain = _compress(new_plain, coding)
            except UndecodableBody:
                pass  # stored decompressed: a reviewer still reads it; matching may differ
            else:
                return new_plain
            for name in [n for n in headers if n.lower() == "content-encoding"]:
                del headers[name]
        return _text_or_bytes(new_plain, decoded)

    # ---- whole interactions (vcrpy's serialised dict layout) -------------------------------

    def request(self, request: dict[str, Any]) -> dict[str, Any]:
        """A scrubbed copy of a request dict (`method`, `uri`, `body`, `headers`)."""
        out = dict(request)
        headers = request.get("headers") or {}
        out["uri"] = self.scrub_uri(str(request.get("uri", "")))
        new_headers = self.scrub_headers(headers, response=False)
        body = request.get("body")
        if isinstance(body, bytes | bytearray) and body:
            new_body = self._scrub_bytes(bytes(body), new_headers, response=False)
            if new_body != body:
                out["body"] = new_body
                _set_length(new_headers, new_body)
        else:
            text = body_text(body)
            if text is not None and text != "":
                out["body"] = self.scrub_body(text, header_value(headers, "content-type"))
                if out["body"] != text:
                    _set_length(new_headers, out["body"])
        out["headers"] = new_headers
        return out

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """A scrubbed copy of a response dict (`status`, `headers`, `body: {string}`)."""
        out = dict(response)
        headers = self.scrub_headers(response.get("headers") or {}, response=True)
        body = response.get("body") or {}
        raw = body.get("string") if isinstance(body, dict) else None
        if isinstance(raw, bytes | bytearray) and raw:
            new = self._scrub_bytes(bytes(raw), headers, response=True)
            if new != raw:
                out["body"] = {**body, "string": new}
                _set_length(headers, new)
        else:
            text = body_text(body)
            if text is not None and text != "":
                new_text = self.scrub_body(text, header_value(headers, "content-type"))
                out["body"] = {**body, "string": new_text}
                if new_text != text:
                    _set_length(headers, new_text)
        out["headers"] = headers
        return out


def _text_or_bytes(data: bytes, decoded: DecodedText | None) -> bytes | str:
    """UTF-8 bodies are stored as text (readable in review), others as bytes (YAML base64)."""
    if decoded is not None and decoded.codec in ("utf-8", "ascii") and not decoded.bom:
        return data.decode("utf-8")
    return data


def _compress(data: bytes, coding: str) -> bytes:
    name = coding.strip().lower()
    if name in ("gzip", "x-gzip"):
        return gzip.compress(data, mtime=0)
    if name == "deflate":
        return zlib.compress(data)
    if name == "br":
        try:
            import brotli  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise UndecodableBody("the brotli package is not installed") from None
        out: bytes = brotli.compress(data)
        return out
    raise UndecodableBody(f"cannot encode {coding!r}")


def _set_length(headers: dict[str, list[str]], body: str | bytes) -> None:
    size = len(body.encode("utf-8") if isinstance(body, str) else body)
    for name in list(headers):
        if name.lower() == "content-length":
            headers[name] = [str(size)]


#: The scrubber every cassette uses unless told otherwise.
DEFAULT_SCRUBBER = Scrubber()
