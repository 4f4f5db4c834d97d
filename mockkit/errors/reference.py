"""The catalog: one instance of every factory, and the fault table of docs/faults.md from it."""

from __future__ import annotations

from mockkit.errors import oauth, stripe
from mockkit.errors.factories import (
    connect_timeout,
    connection_refused,
    connection_reset,
    dns_failure,
    empty_body,
    malformed_json,
    rate_limited,
    read_timeout,
    server_error,
    slow,
    ssl_error,
    truncated_body,
)
from mockkit.errors.faults import Fault

__all__ = ["catalog", "table"]


def catalog() -> dict[str, Fault]:
    """One instance of every factory with its defaults, by the name used in the docs."""
    faults: list[Fault] = [
        connect_timeout(),
        read_timeout(),
        connection_refused(),
        connection_reset(),
        dns_failure(),
        ssl_error(),
        malformed_json(),
        empty_body(),
        truncated_body(),
        server_error(),
        server_error(503, retry_after=2),
        rate_limited(),
        slow(120),
        stripe.card_declined(),
        stripe.card_declined(decline_code="insufficient_funds"),
        stripe.expired_card(),
        stripe.incorrect_cvc(),
        stripe.processing_error(),
        stripe.authentication_required(),
        stripe.rate_limit(),
        stripe.api_error(),
        stripe.api_error(should_retry=False),
        stripe.idempotency_error(),
        stripe.idempotency_error(concurrent=True),
        stripe.resource_missing(),
        stripe.invalid_api_key(),
        stripe.permission_denied(),
        oauth.access_denied(),
        oauth.invalid_grant(),
        oauth.invalid_client(),
        oauth.server_error(),
        oauth.temporarily_unavailable(),
        oauth.github_error(),
    ]
    return {fault.name: fault for fault in faults}


def _code(text: str) -> str:
    return text if text == "-" or " " in text else f"`{text}`"


def table() -> str:
    """The fault table of docs/faults.md (Markdown), computed from the SDKs' own behaviour."""
    rows = [
        "| Factory | stripe-python raises | Attempts (sync / async) | `requests` sees | `httpx` sees | authlib `fetch_token()` raises | Served (loopback) |",  # noqa: E501
        "|---|---|---|---|---|---|---|",
    ]
    for name, fault in catalog().items():
        o = fault.outcome()
        attempts = f"{o.stripe_attempts} / {o.stripe_async_attempts}" if o.stripe_attempts else "-"
        rows.append(
            f"| `{name}` | {_code(o.stripe)} | {attempts} | "
            f"{_code(o.requests)} | {_code(o.httpx)} | {_code(o.authlib)} | {o.served} |"
        )
    return "\n".join(rows) + "\n"
