"""Stripe's own failures: card declines, rate limits, API errors, bad keys, missing objects.

Each factory returns a `mockkit.errors.HTTPFault` answering with the status and
`{"error": {...}}` body Stripe sends, plus `Request-Id`. stripe-python picks the exception class
from the status (402 -> `CardError`, 429 -> `RateLimitError`, ...), so the status is what makes
the SDK raise the right class; the body fills `e.code`, `e.param`, `e.error.decline_code`, ...

`should_retry=` sets the `Stripe-Should-Retry` header, which stripe-python obeys over its own
rule (it retries 409 and 5xx, nothing else): `True` forces retries, `False` forbids them, `None`
leaves the header out. `headers=` adds or replaces response headers; `**extra` adds error
fields such as `payment_intent={...}`, `charge="ch_..."` or `advice_code`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockkit.errors.faults import HTTPFault
from mockkit.http import Request, Response
from mockkit.stripe.declines import DECLINES, decline
from mockkit.stripe.errors import StripeError
from mockkit.stripe.errors import card_error as card_error_of

__all__ = [
    "RATE_LIMIT_MESSAGE",
    "api_error",
    "authentication_required",
    "card_declined",
    "card_error",
    "expired_card",
    "idempotency_error",
    "incorrect_cvc",
    "invalid_api_key",
    "permission_denied",
    "processing_error",
    "rate_limit",
    "resource_missing",
    "stripe_error",
]

RATE_LIMIT_MESSAGE = (
    "Request rate limit exceeded. Learn more about rate limits here "
    "https://stripe.com/docs/rate-limits."
)


def stripe_error(
    name: str,
    status: int,
    type: str,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    decline_code: str | None = None,
    should_retry: bool | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> HTTPFault:
    """Any Stripe error response as a fault (the factories below are presets of this one)."""
    error = StripeError(
        status, type, message, code=code, param=param, decline_code=decline_code, **extra
    )
    return _answering(name, error, should_retry, headers)


def _answering(
    name: str, error: StripeError, should_retry: bool | None, headers: Mapping[str, str] | None
) -> HTTPFault:
    """A fault answering `error` as the fake would (a fresh `Request-Id` each time)."""
    fixed_headers = dict(headers or {})

    def build(request: Request) -> Response:
        return error.response(headers=fixed_headers, should_retry=should_retry)

    return HTTPFault(name, build, sdk="stripe")


def card_error(
    code: str,
    message: str,
    *,
    name: str | None = None,
    decline_code: str | None = None,
    param: str | None = None,
    should_retry: bool | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> HTTPFault:
    """A 402 `card_error` with any `code`: stripe-python raises `stripe.CardError`, 1 attempt."""
    return stripe_error(
        name or f"stripe.card_error({code!r})",
        402,
        "card_error",
        message,
        code=code,
        param=param,
        decline_code=decline_code,
        should_retry=should_retry,
        headers=headers,
        **extra,
    )


def card_declined(
    decline_code: str = "generic_decline",
    message: str | None = None,
    *,
    should_retry: bool | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> HTTPFault:
    """The card was declined (402, `code=card_declined`, `decline_code` as given).

    stripe-python: `stripe.CardError` (`e.code == "card_declined"`,
    `e.error.decline_code == decline_code`), 1 attempt. Test cards: `pm_card_chargeDeclined`
    (`generic_decline`), `pm_card_chargeDeclinedInsufficientFunds` (`insufficient_funds`), ...
    """
    suffix = "" if decline_code == "generic_decline" else f"decline_code={decline_code!r}"
    return card_error(
        "card_declined",
        message or decline(decline_code).message,
        name=f"stripe.card_declined({suffix})",
        decline_code=decline_code,
        should_retry=should_retry,
        headers=headers,
        **extra,
    )


def _declined(name: str, decline_code: str, extra: dict[str, Any]) -> HTTPFault:
    """A fault answering the decline of the one table (`mockkit.stripe.declines`)."""
    should_retry = extra.pop("should_retry", None)
    headers = extra.pop("headers", None)
    return _answering(name, card_error_of(DECLINES[decline_code], **extra), should_retry, headers)


def expired_card(**extra: Any) -> HTTPFault:
    """The card has expired (402, `code=expired_card`, `param=exp_month`).

    stripe-python: `stripe.CardError`, 1 attempt. Test card: `pm_card_chargeDeclinedExpiredCard`.
    """
    return _declined("stripe.expired_card()", "expired_card", extra)


def incorrect_cvc(**extra: Any) -> HTTPFault:
    """The CVC is wrong (402, `code=incorrect_cvc`, `param=cvc`).

    stripe-python: `stripe.CardError`, 1 attempt. Test card: `pm_card_chargeDeclinedIncorrectCvc`.
    """
    return _declined("stripe.incorrect_cvc()", "incorrect_cvc", extra)


def processing_error(**extra: Any) -> HTTPFault:
    """The card network failed to process the charge (402, `code=processing_error`).

    stripe-python: `stripe.CardError`, 1 attempt (the customer may simply retry later; the
    error's `advice_code` is `try_again_later`, as the fake's test card answers).
    Test card: `pm_card_chargeDeclinedProcessingError`.
    """
    return _declined("stripe.processing_error()", "processing_error", extra)


def authentication_required(**extra: Any) -> HTTPFault:
    """An off-session charge needs 3-D Secure (402, `code=authentication_required`).

    stripe-python: `stripe.CardError`, 1 attempt. (On-session, Stripe instead moves the
    PaymentIntent to `requires_action`; that is the fake's job, not an error.)
    """
    return _declined("stripe.authentication_required()", "authentication_required", extra)


def rate_limit(
    retry_after: float | None = None,
    *,
    should_retry: bool | None = None,
    headers: Mapping[str, str] | None = None,
) -> HTTPFault:
    """Too many requests (429, `code=rate_limit`).

    stripe-python: `stripe.RateLimitError`, 1 attempt (it never retries a 429 unless
    `should_retry=True`). The exact body of a live 429 is not verified here; the SDK ignores
    `type` for it and maps the status.
    """
    fixed = dict(headers or {})
    if retry_after is not None:
        fixed.setdefault("Retry-After", f"{retry_after:g}")
    return stripe_error(
        "stripe.rate_limit()",
        429,
        "invalid_request_error",
        RATE_LIMIT_MESSAGE,
        code="rate_limit",
        should_retry=should_retry,
        headers=fixed,
    )


def api_error(
    status: int = 500,
    *,
    should_retry: bool | None = None,
    message: str = "An unknown error occurred. Please try again later.",
    headers: Mapping[str, str] | None = None,
) -> HTTPFault:
    """Stripe failed internally (5xx, `type=api_error`).

    stripe-python: `stripe.APIError` after 3 attempts (same idempotency key each time); with
    `should_retry=False` (what Stripe sends when a retry cannot help) 1 attempt.
    """
    label = "" if should_retry is None else f"should_retry={should_retry}"
    return stripe_error(
        f"stripe.api_error({label})",
        status,
        "api_error",
        message,
        should_retry=should_retry,
        headers=headers,
    )


def idempotency_error(
    concurrent: bool = False,
    *,
    key: str = "mockkit-idempotency-key",
    should_retry: bool | None = None,
) -> HTTPFault:
    """An `Idempotency-Key` reused with other parameters, or in use by a concurrent request.

    Default (400): stripe-python raises `stripe.IdempotencyError`, 1 attempt.
    `concurrent=True` (409, `code=idempotency_key_in_use`): stripe-python retries every 409,
    then raises `stripe.APIError` (not `IdempotencyError`) after 3 attempts.
    """
    if concurrent:
        return stripe_error(
            "stripe.idempotency_error(concurrent=True)",
            409,
            "idempotency_error",
            "There is currently another in-progress request using this Idempotent Key "
            "(that probably means you submitted twice, and the other request is still going "
            f"through): {key}. Please try again later.",
            code="idempotency_key_in_use",
            should_retry=should_retry,
        )
    return stripe_error(
        "stripe.idempotency_error()",
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{key}' if you meant to execute a "
        "different request.",
        should_retry=should_retry,
    )


def resource_missing(
    resource: str = "payment_intent",
    id: str = "pi_mockkit_missing",
    *,
    param: str | None = None,
    should_retry: bool | None = None,
) -> HTTPFault:
    """No such object (`code=resource_missing`): 404 on its own URL, 400 when a `param` names it.

    stripe-python: `stripe.InvalidRequestError` (`e.code == "resource_missing"`, `e.param`),
    1 attempt.
    """
    status = 404 if param is None else 400
    return stripe_error(
        f"stripe.resource_missing({resource!r})",
        status,
        "invalid_request_error",
        f"No such {resource}: '{id}'",
        code="resource_missing",
        param=param or "id",
        should_retry=should_retry,
    )


def invalid_api_key(key: str = "sk_test_mockkit", *, should_retry: bool | None = None) -> HTTPFault:
    """The API key is wrong, revoked or missing (401).

    stripe-python: `stripe.AuthenticationError`, 1 attempt.
    """
    shown = key[:8] + "*" * 12 + key[-4:] if len(key) > 12 else key
    return stripe_error(
        "stripe.invalid_api_key()",
        401,
        "invalid_request_error",
        f"Invalid API Key provided: {shown}",
        should_retry=should_retry,
    )


def permission_denied(
    key: str = "rk_test_mockkit", *, should_retry: bool | None = None
) -> HTTPFault:
    """A restricted key lacks the permission for this call (403).

    stripe-python: `stripe.PermissionError`, 1 attempt.
    """
    return stripe_error(
        "stripe.permission_denied()",
        403,
        "invalid_request_error",
        f"The provided key '{key[:8]}***' does not have the required permissions for this "
        "endpoint on account 'acct_mockkit'. Having the 'rak_payment_intent_write' "
        "permission would allow this request to continue.",
        should_retry=should_retry,
    )
