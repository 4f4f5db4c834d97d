"""Scrubbing: secrets out of every interaction before it is written, with stable placeholders.

Structure-aware rather than value-based: the scrubber knows where OAuth and Stripe put secrets
(headers, query parameters, form fields, JSON keys at any depth, cookies), so it needs no list
of the secret values. Each secret becomes a fixed placeholder such as `<ACCESS_TOKEN>`; the
matchers ignore the values of scrubbed fields, so a replay still matches a request that carries
a fresh code or token. What the scrubber misses, the leak gate (`mockkit.cassettes.leak`)
refuses to write.

vcrpy 9's own filters fall short here: `filter_headers` covers request headers only (no
`Set-Cookie`), `filter_post_data_parameters` skips JSON sent as `application/json; charset=...`,
and nothing scrubs JSON *response* fields such as `access_token` or `id_token`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

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


def _auth_placeholder(value: str) -> str:
    scheme, _, credential = value.partition(" ")
    if not credential:
        return "<AUTHORIZATION>" if not value.startswith("<") else value
    if credential.startswith("<") and credential.endswith(">"):
        return value
    lower = scheme.lower()
    if lower == "basic":
        return f"{scheme} <CLIENT_CREDENTIALS>"
    if credential.startswith(("sk_", "rk_")):
        return f"{scheme} <STRIPE_API_KEY>"
    return f"{scheme} <ACCESS_TOKEN>"


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


@dataclass(frozen=True)
class Scrubber:
    """Where secrets live and which placeholder replaces each; extend it with `add()`.

    Names are matched case-insensitively for headers and exactly for query parameters, form
    fields and JSON keys (JSON keys at any depth, in request and response bodies alike).
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
        """Query, form and JSON names whose values are replaced, so matching ignores them."""
        return frozenset(self.query) | frozenset(self.form) | frozenset(self.json)

    # ---- pieces ----------------------------------------------------------------------------

    def _literal(self, text: str) -> str:
        for secret, placeholder in self.values.items():
            if secret in text:
                text = text.replace(secret, placeholder)
            encoded = quote(secret, safe="")
            if encoded != secret and encoded in text:
                text = text.replace(encoded, placeholder)
        return text

    def scrub_uri(self, uri: str) -> str:
        """Query parameters replaced by placeholders (the rest of the URI kept as sent)."""
        parts = urlsplit(uri)
        if parts.query:
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            if any(name in self.query for name, _ in pairs):
                new = [(n, self.query.get(n, v)) for n, v in pairs]
                uri = urlunsplit(parts._replace(query=urlencode(new, safe="[]<>")))
        return self._literal(uri)

    def scrub_headers(self, headers: Mapping[str, Any], response: bool) -> dict[str, list[str]]:
        """Headers (vcrpy layout) with secret ones replaced; values become lists."""
        table = self.response_headers if response else self.request_headers
        out: dict[str, list[str]] = {}
        for name, raw in headers.items():
            values = [str(v) for v in raw] if isinstance(raw, list | tuple) else [str(raw)]
            lname = name.lower()
            placeholder = table.get(lname)
            if placeholder is not None:
                if lname in ("authorization", "proxy-authorization"):
                    values = [_auth_placeholder(v) for v in values]
                elif lname in ("cookie", "set-cookie"):
                    values = [
                        _cookie_placeholder(v, placeholder, lname == "set-cookie") for v in values
                    ]
                else:
                    values = [placeholder for _ in values]
            out[name] = [self._literal(v) for v in values]
        return out

    def _scrub_json(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: (
                    self.json[k]
                    if k in self.json and isinstance(v, str | int | float) and v not in ("", None)
                    else self._scrub_json(v)
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._scrub_json(v) for v in value]
        return value

    def scrub_body(self, text: str, content_type: str | None) -> str:
        """A body with form fields or JSON keys replaced; other text only by literal values."""
        kind = _kind(content_type, text)
        if kind == "json":
            try:
                data = json.loads(text)
            except ValueError:
                pass
            else:
                scrubbed = self._scrub_json(data)
                if scrubbed != data:
                    indent = 2 if "\n" in text.strip() else None
                    separators = None if indent else (",", ":")
                    text = json.dumps(
                        scrubbed, indent=indent, separators=separators, ensure_ascii=False
                    )
        elif kind == "form":
            pairs = parse_qsl(text, keep_blank_values=True)
            if any(name in self.form for name, _ in pairs):
                text = urlencode([(n, self.form.get(n, v)) for n, v in pairs], safe="[]<>")
        return self._literal(text)

    # ---- whole interactions (vcrpy's serialised dict layout) -------------------------------

    def request(self, request: dict[str, Any]) -> dict[str, Any]:
        """A scrubbed copy of a request dict (`method`, `uri`, `body`, `headers`)."""
        out = dict(request)
        headers = request.get("headers") or {}
        out["uri"] = self.scrub_uri(str(request.get("uri", "")))
        text = body_text(request.get("body"))
        new_headers = self.scrub_headers(headers, response=False)
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
        text = body_text(body)
        if text is not None and text != "":
            new = self.scrub_body(text, header_value(headers, "content-type"))
            out["body"] = {**body, "string": new}
            if new != text:
                _set_length(headers, new)
        out["headers"] = headers
        return out


def _set_length(headers: dict[str, list[str]], text: str) -> None:
    for name in list(headers):
        if name.lower() == "content-length":
            headers[name] = [str(len(text.encode("utf-8")))]


#: The scrubber every cassette uses unless told otherwise.
DEFAULT_SCRUBBER = Scrubber()
