"""`cassettes diff`: re-record a cassette's requests against a sandbox and show what drifted.

The stored requests are sent again, in order, to a sandbox (by default the local sandbox:
mockkit's fakes served on loopback; or Stripe test mode), through the same recording path as
`use(..., "rewrite")`, into a temporary cassette. The two cassettes are then compared
semantically: status, non-volatile headers, and JSON bodies field by field, with ids
(`pi_...`), timestamps and request ids normalised, so only real changes in the provider's
behaviour show up.

Ids are carried forward: when the stored response said `pi_A` and the sandbox now says `pi_B`,
later requests that used `pi_A` are sent with `pi_B`. Requests that need something only a
browser login can give (an OAuth `code`, a user's access token) cannot be re-sent and are
reported as skipped, never as drift.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from mockkit.cassettes.core import prepare_interactions, utc_timestamp
from mockkit.cassettes.hosts import HostMap
from mockkit.cassettes.leak import environment_secrets, gate
from mockkit.cassettes.modes import refuse_live_key
from mockkit.cassettes.sandbox import local_fakes
from mockkit.cassettes.scrub import DEFAULT_SCRUBBER, body_text
from mockkit.cassettes.store import CassetteData, atomic_write, dump_cassette, load_cassette

__all__ = ["SANDBOXES", "DiffReport", "diff_cassette", "semantic_diff"]

SANDBOXES = ("local", "stripe-test")

#: Headers whose values (or presence) change on every response and mean nothing for drift.
VOLATILE_HEADERS = frozenset(
    {
        "date", "request-id", "x-request-id", "content-length", "server", "connection",
        "idempotency-key", "original-request", "set-cookie", "etag", "age", "expires",
        "last-modified", "cf-ray", "x-github-request-id", "keep-alive", "vary",
        "strict-transport-security", "stripe-should-retry",
        "x-stripe-routing-context-priority-tier",
        "x-wc", "access-control-allow-origin", "access-control-allow-credentials",
        "access-control-allow-methods", "access-control-expose-headers", "access-control-max-age",
        "cache-control", "transfer-encoding", "content-encoding",
    }
)  # fmt: skip

_ID = re.compile(r"\b([a-z][a-z0-9]*)_(?:test_|live_)?[A-Za-z0-9]{8,}(?:_secret_[A-Za-z0-9]+)?\b")
_WHOLE_ID = re.compile(r"^[a-z][a-z0-9]*_[A-Za-z0-9_]{8,}$")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>|%3C[A-Z][A-Z0-9_]*%3E")
#: Response fields whose values are random per object or per request (leaf names).
VOLATILE_FIELDS = frozenset(
    {
        "invoice_prefix", "fingerprint", "client_secret", "number", "receipt_number",
        "idempotency_key", "request_log_url", "ephemeral_key", "nonce", "state", "expires_in",
        "node_id", "etag",
    }
)  # fmt: skip
_TIME_KEYS = re.compile(r"(^|_)(created|updated|expires|expiry|timestamp|time|date)(_at)?$|_at$")


def _volatile(key: str, value: Any, ignore: frozenset[str] = frozenset()) -> Any:
    leaf = key.rsplit(".", 1)[-1].split("[", 1)[0]
    if isinstance(value, bool) or value is None:
        return value
    if leaf in VOLATILE_FIELDS or leaf in ignore or key in ignore:
        return "<volatile>"
    if isinstance(value, int | float) and (
        _TIME_KEYS.search(leaf) or 1_000_000_000 <= value <= 4_000_000_000
    ):
        return "<timestamp>"
    if isinstance(value, str):
        value = _ISO_TIME.sub("<time>", value)
        return _ID.sub(lambda m: f"<{m.group(1)}_id>", value)
    return value


def _flatten(value: Any, path: str, out: dict[str, Any], ignore: frozenset[str]) -> None:
    if isinstance(value, dict):
        if not value:
            out[path] = {}
        for key, item in value.items():
            _flatten(item, f"{path}.{key}" if path else str(key), out, ignore)
    elif isinstance(value, list):
        if not value:
            out[path] = []
        for i, item in enumerate(value):
            _flatten(item, f"{path}[{i}]", out, ignore)
    else:
        out[path] = _volatile(path, value, ignore)


def _body(response: dict[str, Any], ignore: frozenset[str]) -> tuple[str, Any]:
    text = body_text(response.get("body")) or ""
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        return "text", _volatile("", text)
    flat: dict[str, Any] = {}
    if data is not None:
        _flatten(data, "", flat, ignore)
    return "json", flat


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def semantic_diff(
    stored: dict[str, Any], fresh: dict[str, Any], ignore: frozenset[str] = frozenset()
) -> list[str]:
    """How a fresh response differs from a stored one, ignoring volatile values.

    `ignore` adds field names (leaf names such as `receipt_url`, or dotted paths) to treat as
    volatile.
    """
    lines: list[str] = []
    old_status = (stored.get("status") or {}).get("code")
    new_status = (fresh.get("status") or {}).get("code")
    if old_status != new_status:
        lines.append(f"status: {old_status} -> {new_status}")

    def names(response: dict[str, Any]) -> dict[str, str]:
        return {
            k.lower(): str(v[0] if isinstance(v, list) and v else v)
            for k, v in (response.get("headers") or {}).items()
            if k.lower() not in VOLATILE_HEADERS and not k.lower().startswith("x-ratelimit")
        }

    old_h, new_h = names(stored), names(fresh)
    for name in sorted(set(old_h) | set(new_h)):
        if name not in new_h:
            lines.append(f"header {name}: removed")
        elif name not in old_h:
            lines.append(f"header {name}: added")
        elif name == "content-type" and old_h[name].split(";")[0] != new_h[name].split(";")[0]:
            lines.append(f"header content-type: {old_h[name]!r} -> {new_h[name]!r}")
    old_kind, old_body = _body(stored, ignore)
    new_kind, new_body = _body(fresh, ignore)
    if old_kind != new_kind:
        lines.append(f"body: was {old_kind}, now {new_kind}")
    elif isinstance(old_body, dict) and isinstance(new_body, dict):
        for key in sorted(set(old_body) | set(new_body)):
            if key not in new_body:
                lines.append(f"- field {key!r} removed (was {old_body[key]!r})")
            elif key not in old_body:
                lines.append(f"+ field {key!r} added ({new_body[key]!r})")
            elif _type(old_body[key]) != _type(new_body[key]):
                lines.append(
                    f"~ field {key!r}: type {_type(old_body[key])} -> {_type(new_body[key])}"
                )
            elif old_body[key] != new_body[key]:
                lines.append(f"~ field {key!r}: {old_body[key]!r} -> {new_body[key]!r}")
    elif old_body != new_body:
        lines.append("body text changed")
    return lines


@dataclass
class DiffReport:
    """Per-interaction differences, skipped interactions, and the fresh cassette's path."""

    path: Path
    sandbox: str
    changes: dict[int, list[str]] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)
    lines: dict[int, str] = field(default_factory=dict)
    fresh_path: Path | None = None

    @property
    def drifted(self) -> bool:
        """Whether any compared interaction changed."""
        return any(self.changes.values())

    def render(self) -> str:
        """The human-readable report."""
        out = [f"{self.path}: re-recorded against the {self.sandbox} sandbox"]
        for index in sorted(self.lines):
            line = self.lines[index]
            if index in self.skipped:
                out.append(f"  #{index} {line}: skipped ({self.skipped[index]})")
            elif self.changes.get(index):
                out.append(f"  #{index} {line}: CHANGED")
                out.extend(f"      {change}" for change in self.changes[index])
            else:
                out.append(f"  #{index} {line}: same")
        compared = len(self.lines) - len(self.skipped)
        changed = sum(bool(c) for c in self.changes.values())
        out.append(
            f"{compared} {'interaction' if compared == 1 else 'interactions'} compared, "
            f"{changed} changed, {len(self.skipped)} skipped"
            + ("" if self.fresh_path is None else f"; fresh recording kept at {self.fresh_path}")
        )
        return "\n".join(out)


class _Credentials:
    """What a browser login would have given, minted by the local sandbox's OAuth fakes.

    The recorded token exchange carries `code=<OAUTH_CODE>` and scrubbed client credentials;
    against mockkit's fakes a fresh code for the fake's default user and its default client
    (`mockkit-client` / `mockkit-secret`) can stand in for them. A real provider gives no such
    thing, so with a real sandbox these requests are skipped.
    """

    def __init__(self, fakes: list[Any]) -> None:
        self.oauth = {
            host.rstrip("/"): fake
            for fake in fakes
            if hasattr(fake, "provider")
            for host in fake.hosts
        }

    def basic(self, host: str) -> str | None:
        if host not in self.oauth:
            return None
        from mockkit.oauth.base import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        raw = f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def form(self, host: str, body: str, stored_response: dict[str, Any]) -> str:
        """The form body with `<OAUTH_CODE>` and `<CLIENT_SECRET>` replaced, when possible."""
        fake = self.oauth.get(host)
        if fake is None:
            return body
        from mockkit.oauth.base import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        pairs = parse_qsl(body, keep_blank_values=True)
        fields = dict(pairs)
        client_id = fields.get("client_id") or DEFAULT_CLIENT_ID
        if fake.provider.clients.get(client_id) is None:
            fake.add_client(client_id, DEFAULT_CLIENT_SECRET)
        out = []
        for name, value in pairs:
            if value == "<OAUTH_CODE>":
                value = fake.provider.issue_code(
                    client_id,
                    fake.default_user(),
                    fields.get("redirect_uri"),
                    _recorded_scope(stored_response),
                ).code
            elif value == "<CLIENT_SECRET>":
                value = DEFAULT_CLIENT_SECRET
            out.append((name, value))
        return urlencode(out)


def _recorded_scope(response: dict[str, Any]) -> str:
    try:
        scope = json.loads(body_text(response.get("body")) or "{}").get("scope", "")
    except (ValueError, AttributeError):
        return ""
    return str(scope).replace(",", " ")


def _carry_placeholders(
    stored: dict[str, Any], fresh_text: str | None, subs: dict[str, str]
) -> None:
    """Remember what the sandbox now returns where the cassette has a placeholder.

    A token exchange re-run against the sandbox returns a real access token where the cassette
    says `<ACCESS_TOKEN>`; later requests sent `Bearer <ACCESS_TOKEN>` get the real one.
    """
    try:
        old = json.loads(body_text(stored.get("body")) or "")
        new = json.loads(fresh_text or "")
    except ValueError:
        return
    old_flat: dict[str, Any] = {}
    new_flat: dict[str, Any] = {}
    _collect(old, "", old_flat)
    _collect(new, "", new_flat)
    for key, value in old_flat.items():
        other = new_flat.get(key)
        if isinstance(value, str) and _PLACEHOLDER.fullmatch(value) and isinstance(other, str):
            subs[value] = other


@contextlib.contextmanager
def _sandbox(
    kind: str, hosts: set[str]
) -> Iterator[tuple[HostMap, dict[str, str], str, _Credentials]]:
    """(host map, canonical base -> URL to send to, Stripe key, credentials) for a sandbox."""
    if kind == "stripe-test":
        key = os.environ.get("STRIPE_API_KEY", "")
        refuse_live_key(key, "$STRIPE_API_KEY")
        if not key.startswith(("sk_test_", "rk_test_")):
            raise ValueError(
                "--sandbox stripe-test needs STRIPE_API_KEY=sk_test_... in the environment"
            )
        yield HostMap(), {h: h for h in hosts}, key, _Credentials([])
        return
    if kind != "local":
        raise ValueError(f"unknown sandbox {kind!r}; use one of: {', '.join(SANDBOXES)}")
    fakes = local_fakes(hosts)
    with contextlib.ExitStack() as stack:
        served = [(stack.enter_context(fake.serve()).url, fake) for fake in fakes]
        hostmap = HostMap.for_served(served)
        targets = {host.rstrip("/"): url for url, fake in served for host in fake.hosts}
        yield hostmap, targets, "sk_test_mockkit_local_sandbox", _Credentials(fakes)


def _carry_ids(stored: dict[str, Any], fresh_text: str | None, ids: dict[str, str]) -> None:
    old_text = body_text(stored.get("body"))
    try:
        old = json.loads(old_text or "")
        new = json.loads(fresh_text or "")
    except ValueError:
        return
    old_flat: dict[str, Any] = {}
    new_flat: dict[str, Any] = {}
    _collect(old, "", old_flat)
    _collect(new, "", new_flat)
    for key, value in old_flat.items():
        other = new_flat.get(key)
        if (
            isinstance(value, str)
            and isinstance(other, str)
            and value != other
            and _WHOLE_ID.match(value)
            and _WHOLE_ID.match(other)
        ):
            ids[value] = other


def _collect(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _collect(item, f"{path}.{key}", out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _collect(item, f"{path}[{i}]", out)
    else:
        out[path] = value


def _substitute(text: str, ids: dict[str, str]) -> str:
    for old in sorted(ids, key=len, reverse=True):
        text = text.replace(old, ids[old])
    return text


def _resend(
    stored: CassetteData,
    sandbox: str,
    hosts: set[str],
    fresh_path: Path,
    report: DiffReport,
    timeout: float,
) -> tuple[list[int], list[dict[str, Any]]]:
    """Send the stored requests again and save the answers, scrubbed, to `fresh_path`.

    Returns the indexes sent and the fresh interactions. The exchanges are captured from
    `requests` itself rather than through vcrpy's stubs, so the same code serves a sandbox
    reached over the network and one answering in-process.
    """
    import requests

    sent: list[int] = []
    ids: dict[str, str] = {}
    subs: dict[str, str] = {}
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    with _sandbox(sandbox, hosts) as (hostmap, targets, key, credentials):
        with requests.Session() as session:
            for index, item in enumerate(stored.interactions):
                request = item["request"]
                report.lines[index] = f"{request.get('method', 'GET')} {request.get('uri', '')}"
                uri = _substitute(_substitute(str(request.get("uri", "")), ids), subs)
                parts = urlsplit(uri)
                base = f"{parts.scheme}://{parts.netloc}"
                body = body_text(request.get("body"))
                if body:
                    body = _substitute(_substitute(body, ids), subs)
                    body = credentials.form(base, body, item["response"])
                headers: dict[str, str] = {}
                auth_problem = None
                for name, values in (request.get("headers") or {}).items():
                    value = str(values[0] if isinstance(values, list) and values else values)
                    value = _substitute(value, subs)
                    lname = name.lower()
                    if lname in ("content-length", "host", "connection", "accept-encoding"):
                        continue
                    if lname == "authorization":
                        if value.endswith("<STRIPE_API_KEY>"):
                            value = f"Bearer {key}"
                        elif value == "Basic <CLIENT_CREDENTIALS>":
                            value = credentials.basic(base) or value
                        if _PLACEHOLDER.search(value):
                            auth_problem = f"needs a real credential ({value})"
                    elif _PLACEHOLDER.search(value):
                        continue
                    headers[name] = value
                leftover = _PLACEHOLDER.search(parts.query + (body or ""))
                if auth_problem or leftover:
                    report.skipped[index] = auth_problem or (
                        f"carries {leftover.group(0) if leftover else ''}, which only a browser "
                        "login can provide"
                    )
                    continue
                target = targets.get(base, base) + uri[len(base) :]
                response = session.request(
                    str(request.get("method", "GET")),
                    target,
                    headers=headers,
                    data=body.encode("utf-8") if body else None,
                    timeout=timeout,
                    allow_redirects=False,
                )
                pairs.append((_request_dict(response.request), _response_dict(response)))
                _carry_ids(item["response"], response.text, ids)
                _carry_placeholders(item["response"], response.text, subs)
                sent.append(index)
    fresh = prepare_interactions(pairs, DEFAULT_SCRUBBER, hostmap)
    info = {"recorded_at": utc_timestamp(), "sandbox": sandbox, "record_mode": "diff"}
    text = dump_cassette(fresh, {"mockkit": info})
    secrets = environment_secrets()
    if key:
        secrets[key] = "the sandbox's Stripe key"
    gate(text, fresh, str(fresh_path), secrets)
    atomic_write(fresh_path, text)
    return sent, fresh


def _request_dict(prepared: Any) -> dict[str, Any]:
    body = prepared.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return {
        "method": prepared.method,
        "uri": prepared.url,
        "body": body,
        "headers": {name: [str(value)] for name, value in prepared.headers.items()},
    }


def _response_dict(response: Any) -> dict[str, Any]:
    raw_headers = getattr(response.raw, "headers", None)
    headers: dict[str, list[str]] = {}
    if raw_headers is not None and hasattr(raw_headers, "getlist"):
        for name in raw_headers:
            headers[name] = [str(v) for v in raw_headers.getlist(name)]
    else:
        headers = {name: [str(value)] for name, value in response.headers.items()}
    content: bytes = response.content  # already decoded from gzip by requests
    for name in list(headers):
        if name.lower() == "content-encoding":
            del headers[name]
        elif name.lower() == "content-length":
            headers[name] = [str(len(content))]
    try:
        body: str | bytes = content.decode("utf-8")
    except UnicodeDecodeError:
        body = content
    return {
        "status": {"code": response.status_code, "message": response.reason or ""},
        "headers": headers,
        "body": {"string": body},
    }


def diff_cassette(
    path: Path,
    sandbox: str = "local",
    keep: Path | None = None,
    timeout: float = 30.0,
    ignore: frozenset[str] = frozenset(),
) -> DiffReport:
    """Re-record `path`'s requests against `sandbox` and compare; see the module docstring."""
    stored = load_cassette(path)
    report = DiffReport(path, sandbox)
    hosts: set[str] = set()
    for item in stored.interactions:
        parts = urlsplit(str(item["request"].get("uri", "")))
        hosts.add(f"{parts.scheme}://{parts.netloc}")
    with contextlib.ExitStack() as cleanup:
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            workdir = keep
        else:
            workdir = Path(
                cleanup.enter_context(tempfile.TemporaryDirectory(prefix="mockkit-diff-"))
            )
        fresh_path = workdir / path.name
        sent, fresh = _resend(stored, sandbox, hosts, fresh_path, report, timeout)
    for position, index in enumerate(sent):
        report.changes[index] = semantic_diff(
            stored.interactions[index]["response"], fresh[position]["response"], ignore
        )
    if keep:
        report.fresh_path = fresh_path
    return report
