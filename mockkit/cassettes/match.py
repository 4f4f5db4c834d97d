"""Matching presets: which parts of a request decide which recorded interaction answers it.

A request is normalised once into a hashable key (method, canonical host, path, sorted query,
decoded body), so replay looks interactions up in a dict instead of scanning the cassette.
Values of scrubbed fields (`code`, `state`, tokens, any name the detector judges secret, such
as `accessToken`) and of each preset's volatile fields are masked in the key, so a replay
matches a request that carries a fresh random value. Headers are ignored (Stripe's idempotency
keys, telemetry and user agent change on every run) except those a preset names, such as
`Stripe-Account`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mockkit import providers
from mockkit.cassettes.detect import secret_name
from mockkit.cassettes.scrub import body_text, header_value

__all__ = ["PRESETS", "MatchPreset", "Normalized", "field_diff", "normalize", "preset_for"]

_MASK = "<*>"


@dataclass(frozen=True)
class MatchPreset:
    """How requests are compared: fields whose values are ignored, headers that count.

    `ignore` names query parameters, form fields and JSON keys (at any depth) whose values
    never decide a match (they still must be present). `headers` are compared case-insensitively.
    `body=False` leaves bodies out entirely.
    """

    name: str
    ignore: frozenset[str] = field(default_factory=frozenset)
    headers: tuple[str, ...] = ()
    body: bool = True


#: Built-in presets. "auto" picks one per request from its canonical host (the provider
#: registry, `mockkit.providers`, names each provider's preset).
PRESETS: dict[str, MatchPreset] = {
    "default": MatchPreset("default"),
    "stripe": MatchPreset("stripe", headers=("stripe-account",)),
    "oauth": MatchPreset(
        "oauth",
        ignore=frozenset(
            {"state", "nonce", "code", "code_challenge", "code_verifier", "redirect_uri"}
        ),
    ),
}


def preset_for(preset: str | MatchPreset, host: str) -> MatchPreset:
    """The preset to use for a request to `host` (resolves "auto")."""
    if isinstance(preset, MatchPreset):
        return preset
    if preset != "auto":
        try:
            return PRESETS[preset]
        except KeyError:
            known = ", ".join(["auto", *PRESETS])
            raise ValueError(f"unknown match preset {preset!r}; use one of: {known}") from None
    # The provider registry says which preset each provider's hosts use.
    provider = providers.for_host(host)
    return PRESETS[provider.preset if provider is not None else "default"]


@dataclass(frozen=True)
class Normalized:
    """A request reduced to what matching compares."""

    method: str
    host: str
    path: str
    query: tuple[tuple[str, str], ...]
    body_kind: str
    body: tuple[tuple[str, str], ...] | str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[Any, ...]:
        """The hashable lookup key."""
        return (
            self.method,
            self.host,
            self.path,
            self.query,
            self.body_kind,
            self.body,
            self.headers,
        )

    @property
    def line(self) -> str:
        """`METHOD https://host/path` for messages."""
        return f"{self.method} {self.host}{self.path}"


def _mask_pairs(
    pairs: Iterable[tuple[str, str]], ignore: frozenset[str]
) -> tuple[tuple[str, str], ...]:
    masked = [(k, _MASK if k in ignore or secret_name(k) else v) for k, v in pairs]
    # Stable sort by name only: parameter order is not meaningful, but the order of repeated
    # names (a=1&a=2) is.
    return tuple(sorted(masked, key=lambda pair: pair[0]))


def _json_pairs(value: Any, path: str, ignore: frozenset[str], out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        if not value:
            out.append((path, "{}"))
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            if key in ignore or (isinstance(key, str) and secret_name(key)):
                out.append((sub, _MASK))
            else:
                _json_pairs(item, sub, ignore, out)
    elif isinstance(value, list):
        if not value:
            out.append((path, "[]"))
        for i, item in enumerate(value):
            _json_pairs(item, f"{path}[{i}]", ignore, out)
    else:
        out.append((path, json.dumps(value)))


def normalize(
    method: str,
    uri: str,
    body: Any,
    headers: Mapping[str, Any],
    preset: str | MatchPreset,
    ignore: frozenset[str] = frozenset(),
) -> Normalized:
    """Normalise one request (`uri` already canonical) under `preset`.

    `ignore` adds field names whose values are masked (the scrubber's fields).
    """
    parts = urlsplit(uri)
    host = f"{parts.scheme}://{parts.netloc}".lower()
    chosen = preset_for(preset, host)
    masked = ignore | chosen.ignore
    query = _mask_pairs(parse_qsl(parts.query, keep_blank_values=True), masked)
    kind = "none"
    normal_body: tuple[tuple[str, str], ...] | str = ""
    if chosen.body:
        text = body_text(body)
        if text is None and isinstance(body, bytes | bytearray) and body:
            kind, normal_body = "bytes", bytes(body).hex()
        elif text:
            ctype = (header_value(headers, "content-type") or "").split(";")[0].strip().lower()
            stripped = text.strip()
            if (
                ctype == "application/json"
                or ctype.endswith("+json")
                or (not ctype.startswith("application/x-www") and stripped[:1] in ("{", "["))
            ):
                try:
                    data = json.loads(stripped)
                except ValueError:
                    kind, normal_body = "text", text
                else:
                    pairs: list[tuple[str, str]] = []
                    _json_pairs(data, "", masked, pairs)
                    kind, normal_body = "json", tuple(sorted(pairs))
            elif ctype == "application/x-www-form-urlencoded" or (
                not ctype and "=" in stripped and " " not in stripped
            ):
                kind = "form"
                normal_body = _mask_pairs(parse_qsl(text, keep_blank_values=True), masked)
            else:
                kind, normal_body = "text", text
    header_pairs = tuple(
        (name, value)
        for name in chosen.headers
        if (value := header_value(headers, name) or "") != ""
    )
    return Normalized(
        method=method.upper(),
        host=host,
        path=parts.path or "/",
        query=query,
        body_kind=kind,
        body=normal_body,
        headers=header_pairs,
    )


def _pair_diff(
    label: str, recorded: Iterable[tuple[str, str]], sent: Iterable[tuple[str, str]]
) -> list[str]:
    rec: dict[str, list[str]] = {}
    new: dict[str, list[str]] = {}
    for k, v in recorded:
        rec.setdefault(k, []).append(v)
    for k, v in sent:
        new.setdefault(k, []).append(v)
    lines = []
    for name in sorted(set(rec) | set(new)):
        a, b = rec.get(name), new.get(name)
        show_a = a[0] if a and len(a) == 1 else a
        show_b = b[0] if b and len(b) == 1 else b
        if a is None:
            lines.append(f"{label} {name!r}: not recorded, sent {show_b!r}")
        elif b is None:
            lines.append(f"{label} {name!r}: recorded {show_a!r}, not sent")
        elif a != b:
            lines.append(f"{label} {name!r}: recorded {show_a!r}, sent {show_b!r}")
    return lines


def field_diff(recorded: Normalized, sent: Normalized) -> list[str]:
    """What differs between a recorded request and a sent one, field by field."""
    lines = []
    if recorded.method != sent.method:
        lines.append(f"method: recorded {recorded.method}, sent {sent.method}")
    if recorded.host != sent.host:
        lines.append(f"host: recorded {recorded.host}, sent {sent.host}")
    if recorded.path != sent.path:
        lines.append(f"path: recorded {recorded.path}, sent {sent.path}")
    lines.extend(_pair_diff("query parameter", recorded.query, sent.query))
    lines.extend(_pair_diff("header", recorded.headers, sent.headers))
    if recorded.body_kind != sent.body_kind and "none" not in (recorded.body_kind, sent.body_kind):
        lines.append(f"body: recorded a {recorded.body_kind} body, sent a {sent.body_kind} body")
    elif isinstance(recorded.body, tuple) or isinstance(sent.body, tuple):
        label = "JSON field" if "json" in (recorded.body_kind, sent.body_kind) else "form field"
        rec_pairs = recorded.body if isinstance(recorded.body, tuple) else ()
        sent_pairs = sent.body if isinstance(sent.body, tuple) else ()
        lines.extend(_pair_diff(label, rec_pairs, sent_pairs))
    elif recorded.body != sent.body:
        lines.append(f"body: recorded {str(recorded.body)[:120]!r}, sent {str(sent.body)[:120]!r}")
    return lines


def distance(recorded: Normalized, sent: Normalized) -> int:
    """How far apart two requests are (0: they match); used to rank near misses."""
    score = 0
    score += 100 if recorded.method != sent.method else 0
    score += 100 if recorded.host != sent.host else 0
    score += 50 if recorded.path != sent.path else 0
    return score + len(field_diff(recorded, sent))
