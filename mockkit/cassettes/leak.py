"""The leak gate: the last look at a cassette's text before it reaches the disk.

Scrubbing covers the places secrets are known to live; the gate catches the rest. After the
cassette is serialised and before it is written, its text is scanned for secret shapes
(Stripe keys, webhook secrets, JWTs, GitHub and Google tokens) and for the values of secrets
present in the environment or passed in. Any hit refuses the write, naming the interaction,
its request line and the field, and never printing the secret itself.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from mockkit.cassettes.errors import CassetteLeakError
from mockkit.cassettes.scrub import body_text

__all__ = ["SECRET_PATTERNS", "LeakFinding", "environment_secrets", "find_leaks", "gate"]

#: (description, pattern). Suffix lengths keep placeholders and prose from matching.
SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a Stripe live secret key (sk_live_...)", re.compile(r"sk_live_[A-Za-z0-9]{8,}")),
    ("a Stripe test secret key (sk_test_...)", re.compile(r"sk_test_[A-Za-z0-9]{8,}")),
    ("a Stripe restricted key (rk_...)", re.compile(r"rk_(?:live|test)_[A-Za-z0-9]{8,}")),
    ("a Stripe webhook secret (whsec_...)", re.compile(r"whsec_[A-Za-z0-9+/=]{8,}")),
    (
        "a JWT (eyJ...)",
        re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    ),
    ("a GitHub token (gho_/ghu_/ghr_/ghp_/ghs_)", re.compile(r"gh[oupsr]_[A-Za-z0-9]{16,}")),
    ("a GitHub fine-grained token", re.compile(r"github_pat_[A-Za-z0-9_]{20,}")),
    ("a Google access token (ya29.)", re.compile(r"ya29\.[A-Za-z0-9_-]{16,}")),
    ("a Google refresh token (1//)", re.compile(r"\b1//0[A-Za-z0-9_-]{16,}")),
    ("a Google client secret (GOCSPX-)", re.compile(r"GOCSPX-[A-Za-z0-9_-]{8,}")),
)

_SECRET_NAME = re.compile(
    r"(SECRET|TOKEN|PASSWORD|PASSWD|_KEY$|^KEY$|_KEY_|APIKEY|CREDENTIAL|PRIVATE)", re.IGNORECASE
)
#: Environment values shorter than this are not treated as secrets (too many false hits).
MIN_SECRET_LENGTH = 8
_NOT_SECRET_VALUES = frozenset({"true", "false", "none", "null", "changeme", "password"})
#: Names that hold where a secret is used, not the secret (GITHUB_ACCESS_TOKEN_URL, ...).
_LOCATION_NAME = re.compile(r"_(URL|URI|ENDPOINT|HOST|PATH|FILE|DIR|PORT)$", re.IGNORECASE)
#: A URL without credentials in it (no `user:pass@`).
_PLAIN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^@/\s]+(?:[/?#][^@\s]*)?$", re.IGNORECASE)


def environment_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Values of environment variables whose names look secret (`*_SECRET`, `*_KEY`, ...).

    Returns value -> variable name. Placeholders (`<...>`), short values, booleans, values that
    are only digits (ports, ids), URLs without credentials and `*_URL`/`*_PATH`/... settings
    (`GITHUB_ACCESS_TOKEN_URL` names where a token is fetched, not a token) are left out.
    """
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for name, value in env.items():
        if not _SECRET_NAME.search(name):
            continue
        value = value.strip()
        if _PLAIN_URL.match(value) or (_LOCATION_NAME.search(name) and "@" not in value):
            continue  # an endpoint, not a credential
        if (
            len(value) < MIN_SECRET_LENGTH
            or value.lower() in _NOT_SECRET_VALUES
            or value.isdigit()
            or (value.startswith("<") and value.endswith(">"))
            or value.startswith("/")  # a path to a credentials file, not the secret
        ):
            continue
        found[value] = f"${name}"
    return found


@dataclass(frozen=True)
class LeakFinding:
    """One secret found: where (interaction, request line, field) and what kind."""

    kind: str
    field: str
    interaction: int | None = None
    request_line: str = ""

    def __str__(self) -> str:
        where = (
            f"interaction #{self.interaction} ({self.request_line}), {self.field}"
            if self.interaction is not None
            else self.field
        )
        return f"{where}: {self.kind}"


def _needles(values: Mapping[str, str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for value, label in values.items():
        # The last variant is how a non-ASCII value looks in the latin-1 view of a body that
        # is not UTF-8 (see `_interaction_fields`).
        utf8_bytes = value.encode("utf-8", "replace").decode("latin-1")
        for variant in {value, quote(value, safe=""), quote_plus(value), utf8_bytes}:
            out.append((variant, f"the value of {label}"))
    return out


def _scan(text: str, needles: list[tuple[str, str]]) -> list[str]:
    kinds = [kind for kind, pattern in SECRET_PATTERNS if pattern.search(text)]
    kinds.extend(label for needle, label in needles if needle and needle in text)
    return kinds


def _json_leaves(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_leaves(item, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def _body_fields(text: str, side: str) -> Iterable[tuple[str, str]]:
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            data = json.loads(stripped)
        except ValueError:
            pass
        else:
            for path, leaf in _json_leaves(data, ""):
                yield f"{side} body JSON field {path!r}", leaf
            return
    if "=" in stripped and " " not in stripped and "\n" not in stripped:
        pairs = parse_qsl(stripped, keep_blank_values=True)
        if pairs:
            for name, value in pairs:
                yield f"{side} body form field {name!r}", value
            return
    yield f"{side} body", text


def _interaction_fields(interaction: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    request = interaction.get("request") or {}
    response = interaction.get("response") or {}
    uri = str(request.get("uri", ""))
    try:
        query = urlsplit(uri).query
    except ValueError:  # a hand-edited URI such as "https://[": scanned whole below
        query = ""
    for name, value in parse_qsl(query, keep_blank_values=True):
        yield f"request query parameter {name!r}", value
    yield "request URI", uri
    for side, headers in (
        ("request", request.get("headers")),
        ("response", response.get("headers")),
    ):
        if not isinstance(headers, Mapping):  # a hand-edited cassette: scan it as it is
            if headers:
                yield f"{side} headers", str(headers)
            continue
        for name, values in headers.items():
            for value in values if isinstance(values, list | tuple) else [values]:
                yield f"{side} header {name!r}", str(value)
    for side, body in (("request", request.get("body")), ("response", response.get("body"))):
        text = body_text(body)
        if text:
            yield from _body_fields(text, side)
        else:
            raw = body.get("string") if isinstance(body, dict) else body
            if isinstance(raw, bytes | bytearray) and raw:
                # Not UTF-8: YAML stores it as base64 (!!binary), which hides it from a scan of
                # the text; latin-1 maps every byte, so the secret's own bytes show here.
                yield f"{side} body (not UTF-8)", bytes(raw).decode("latin-1")


def find_leaks(
    text: str,
    interactions: list[dict[str, Any]],
    secrets: Mapping[str, str] | None = None,
) -> list[LeakFinding]:
    """Secrets in a serialised cassette, attributed to interactions and fields.

    `text` is what would be written (the authority: nothing else reaches the disk);
    `interactions` are used to say where each hit came from. `secrets` maps known secret
    values to a label (default: `environment_secrets()`).
    """
    needles = _needles(environment_secrets() if secrets is None else secrets)
    # Every field is scanned even when the text shows nothing: a secret can reach the file
    # in a form the text scan misses (JSON's \u escapes, base64 for a body that is not UTF-8).
    findings: list[LeakFinding] = []
    for index, interaction in enumerate(interactions):
        request = interaction.get("request") or {}
        line = f"{request.get('method', '?')} {request.get('uri', '?')}"
        for field_name, value in _interaction_fields(interaction):
            if field_name == "request URI" and any(
                f.interaction == index and f.field.startswith("request query") for f in findings
            ):
                continue
            for kind in _scan(value, needles):
                findings.append(LeakFinding(kind, field_name, index, _redact(line, needles)))
    if not findings:
        # Outside any interaction (metadata), or split in a way the fields don't show.
        for kind in _scan(text, needles):
            findings.append(LeakFinding(kind, "cassette text outside the interactions"))
    return findings


def _redact(line: str, needles: list[tuple[str, str]]) -> str:
    for _, pattern in SECRET_PATTERNS:
        line = pattern.sub(lambda m: m.group(0)[:8] + "...", line)
    for needle, _ in needles:
        if needle:
            line = line.replace(needle, "<secret>")
    return line


def gate(
    text: str,
    interactions: list[dict[str, Any]],
    path: str,
    secrets: Mapping[str, str] | None = None,
) -> None:
    """Raise `CassetteLeakError` when `text` holds a secret; otherwise do nothing."""
    findings = find_leaks(text, interactions, secrets)
    if findings:
        raise CassetteLeakError(path, findings)
