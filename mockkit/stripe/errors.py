"""Stripe-shaped error responses, shared by the Stripe fake and `mockkit.errors.stripe`.

stripe-python picks the exception class from the HTTP status (402 -> CardError, 401 ->
AuthenticationError, 429 -> RateLimitError, ...) and reads the details from the `error`
object, so both must be right for the SDK to raise what it raises against Stripe.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from mockkit.http import Response

__all__ = [
    "StripeError",
    "error_body",
    "error_response",
    "invalid_request",
    "no_such",
    "param_error",
    "request_id",
]

DOC_BASE = "https://stripe.com/docs/error-codes/"


def request_id() -> str:
    """A fresh `req_...` id, as Stripe sends in `Request-Id` on every response."""
    return "req_" + secrets.token_hex(7)


def error_body(
    type: str,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    decline_code: str | None = None,
    req_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The JSON body Stripe answers an error with: `{"error": {...}}`.

    `extra` adds fields such as `payment_intent`, `charge`, `payment_method` or `advice_code`.
    """
    error: dict[str, Any] = {"type": type, "message": message}
    if code is not None:
        error["code"] = code
        error["doc_url"] = DOC_BASE + code.replace("_", "-")
    if decline_code is not None:
        error["decline_code"] = decline_code
    if param is not None:
        error["param"] = param
    if req_id is not None:
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{req_id}"
    error.update(extra)
    return {"error": error}


def error_response(
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
) -> Response:
    """A complete Stripe error response: status, `Request-Id`, optional `Stripe-Should-Retry`.

    `should_retry` sets the `Stripe-Should-Retry` header that stripe-python obeys over its own
    status-based retry rule (`None` leaves it out).
    """
    req_id = request_id()
    body = error_body(
        type, message, code=code, param=param, decline_code=decline_code, req_id=req_id, **extra
    )
    response = Response.json(body, status=status, headers={"Request-Id": req_id})
    if should_retry is not None:
        response.set_header("Stripe-Should-Retry", "true" if should_retry else "false")
    for name, value in (headers or {}).items():
        response.set_header(name, value)
    return response


class StripeError(Exception):
    """An error the Stripe fake answers with; raised by its state and routes, never escapes.

    `store=False` marks errors found before the request started executing (parameter
    validation): Stripe does not save those for idempotent replay.
    """

    def __init__(
        self,
        status: int,
        type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        store: bool = True,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.store = store
        self.extra = extra

    def response(self) -> Response:
        """The complete Stripe error response for this error."""
        return error_response(
            self.status,
            self.type,
            self.message,
            code=self.code,
            param=self.param,
            decline_code=self.decline_code,
            **self.extra,
        )


def invalid_request(
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    status: int = 400,
    **extra: Any,
) -> StripeError:
    """A 400 `invalid_request_error` raised while the request executes (saved for replay).

    `extra` adds fields such as `payment_intent` (the intent in its current state).
    """
    return StripeError(status, "invalid_request_error", message, code=code, param=param, **extra)


def param_error(message: str, param: str | None, code: str | None = None) -> StripeError:
    """A 400 parameter validation error (not saved for idempotent replay, as on Stripe)."""
    return StripeError(400, "invalid_request_error", message, code=code, param=param, store=False)


def no_such(kind: str, object_id: str, param: str = "id", status: int = 404) -> StripeError:
    """Stripe's `resource_missing` error: "No such customer: 'cus_123'"."""
    return StripeError(
        status,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        code="resource_missing",
        param=param,
    )
