"""Stripe's errors, built in one place: `StripeError`, for the fake, the stubs and the faults.

stripe-python picks the exception class from the HTTP status (402 -> CardError, 401 ->
AuthenticationError, 429 -> RateLimitError, ...) and reads the details from the `error`
object, so both must be right for the SDK to raise what it raises against Stripe.
`StripeError` carries both and renders them: `error_object()` (the `error` hash, also used as
a PaymentIntent's `last_payment_error`), `body()` and `response()`. The presets below
(`invalid_request`, `param_error`, `no_such`, `card_error`) are the errors the fake raises;
the fault factories of `mockkit.errors.stripe` answer with the same renderings.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from mockkit.http import Response
from mockkit.stripe.declines import Decline, decline
from mockkit.stripe.encoding import json_response

__all__ = [
    "StripeError",
    "card_error",
    "error_response",
    "invalid_request",
    "no_such",
    "not_emulated",
    "param_error",
    "request_id",
]

DOC_BASE = "https://stripe.com/docs/error-codes/"


def request_id() -> str:
    """A fresh `req_...` id, as Stripe sends in `Request-Id` on every response."""
    return "req_" + secrets.token_hex(7)


class StripeError(Exception):
    """An error as Stripe answers it: HTTP status, and the fields of its `error` object.

    Raised by the fake's state and routes (and answered, never leaked); built by the fault
    factories and answered as is. `extra` adds fields such as `payment_intent`, `charge`,
    `payment_method` or `advice_code` (None values are left out). `store=False` marks errors
    found before the request started executing (parameter validation): Stripe does not save
    those for idempotent replay. `keep_state=True` marks an error answered after a change
    Stripe records (a declined payment: the failed charge and its events stay); any other
    error undoes what the request changed (see `mockkit.stripe.transaction`).
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
        keep_state: bool = False,
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
        self.keep_state = keep_state
        self.extra = extra

    def error_object(self, req_id: str | None = None) -> dict[str, Any]:
        """The `error` hash: type, message, code with its `doc_url`, decline code, param, ..."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = DOC_BASE + self.code.replace("_", "-")
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        if self.param is not None:
            error["param"] = self.param
        if req_id is not None:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{req_id}"
        error.update((k, v) for k, v in self.extra.items() if v is not None)
        return error

    def body(self, req_id: str | None = None) -> dict[str, Any]:
        """The JSON body Stripe answers this error with: `{"error": {...}}`."""
        return {"error": self.error_object(req_id)}

    def response(
        self,
        req_id: str | None = None,
        *,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        should_retry: bool | None = None,
    ) -> Response:
        """The complete response: status, JSON body, `Request-Id` (fresh unless given).

        `headers` are added (a mapping replaces same-named headers, a list is sent as is:
        it must carry its own `Request-Id`);
        `should_retry` sets `Stripe-Should-Retry`, which stripe-python obeys over its own
        status-based retry rule (`None` leaves it out).
        """
        rid = req_id or request_id()
        if isinstance(headers, list):
            response = json_response(self.body(rid), self.status, headers)
        else:
            response = json_response(self.body(rid), self.status, {"Request-Id": rid})
        if should_retry is not None:
            response.set_header("Stripe-Should-Retry", "true" if should_retry else "false")
        if isinstance(headers, Mapping):
            for name, value in headers.items():
                response.set_header(name, value)
        return response


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
    """A complete Stripe error response in one call: `StripeError(...).response(...)`."""
    error = StripeError(
        status, type, message, code=code, param=param, decline_code=decline_code, **extra
    )
    return error.response(headers=headers, should_retry=should_retry)


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


def card_error(
    declined: Decline | str, message: str | None = None, *, param: str | None = None, **extra: Any
) -> StripeError:
    """The 402 `card_error` of a decline (a `Decline`, or a `decline_code` of the one table).

    `message` and `param` replace the decline's own; `extra` adds fields (`payment_method`,
    `payment_intent`, ...). stripe-python raises `stripe.CardError` for it.
    """
    d = decline(declined) if isinstance(declined, str) else declined
    fields = {"advice_code": d.advice_code, **extra}
    return StripeError(
        402,
        "card_error",
        message or d.message,
        code=d.code,
        decline_code=d.decline_code,
        param=param or d.param,
        **fields,
    )


def not_emulated(what: str, param: str) -> StripeError:
    """The fake's refusal of a parameter it cannot honour faithfully (never accepted and ignored).

    A 400 `invalid_request_error` naming `param`: "mockkit's Stripe fake does not emulate
    metered billing (...)".
    """
    return param_error(f"mockkit's Stripe fake does not emulate {what}.", param)
