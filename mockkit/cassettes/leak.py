"""The leak gate: the last look at a cassette before it reaches the disk, and `check`'s.

Scrubbing covers the places secrets are known to live; the gate catches the rest. After the
cassette is serialised and before it is written, every interaction is scanned by the shared
detector (`mockkit.cassettes.detect`) as a client would read it: bodies decompressed and
decoded by their charset or BOM, base64 and URLs opened, names normalised. It looks for secret
shapes (Stripe keys, webhook secrets, JWTs, Basic credentials, GitHub and Google tokens, Google
API keys), values under secret names (`accessToken`, `client_secret[0]`, `X-Api-Key`, ...) and
the values of secrets present in the environment or passed in. Any hit refuses the write,
naming the interaction, its request line and the field, and never printing the secret itself.
`python -m mockkit cassettes check` runs the same scan over committed cassettes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from mockkit.cassettes.detect import SECRET_PATTERNS, redact, scan_interaction, shape_kinds
from mockkit.cassettes.errors import CassetteLeakError

__all__ = ["SECRET_PATTERNS", "LeakFinding", "environment_secrets", "find_leaks", "gate"]

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
        # is not UTF-8 (the detector's last view).
        utf8_bytes = value.encode("utf-8", "replace").decode("latin-1")
        for variant in {value, quote(value, safe=""), quote_plus(value), utf8_bytes}:
            out.append((variant, f"the value of {label}"))
    return out


def _scan(text: str, needles: list[tuple[str, str]]) -> list[str]:
    kinds = shape_kinds(text)
    kinds.extend(label for needle, label in needles if needle and needle in text)
    return kinds


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
    # Every interaction is scanned decoded even when the text shows nothing: a secret can reach
    # the file in a form a text scan misses (JSON's \u escapes, base64 for a body that is not
    # UTF-8, a compressed body, a base64 field, a name the scrubber does not know).
    findings: list[LeakFinding] = []
    for index, interaction in enumerate(interactions):
        if not isinstance(interaction, Mapping):
            continue
        request = interaction.get("request") or {}
        if not isinstance(request, Mapping):
            request = {}
        line = _redact(f"{request.get('method', '?')} {request.get('uri', '?')}", needles)
        for hit in scan_interaction(interaction, needles):
            findings.append(LeakFinding(hit.kind, hit.field, index, line))
    if not findings:
        # Outside any interaction (metadata), or split in a way the fields don't show.
        for kind in _scan(text, needles):
            findings.append(LeakFinding(kind, "cassette text outside the interactions"))
    return findings


def _redact(line: str, needles: list[tuple[str, str]]) -> str:
    line = redact(line)
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
