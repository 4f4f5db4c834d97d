"""One error vocabulary for the whole shop: JSON for `/api`, a friendly page everywhere else.

Every failure the shop expects (bad input, a missing login, a provider that times out or
declines) is raised as a `ShopError` with an HTTP status, a stable machine-readable `code`
and a message a person can act on. Unexpected exceptions still end as a clean 500 in the same
shape, never a traceback.
"""

from __future__ import annotations

from typing import Any

import requests
import stripe
from flask import Flask, Response, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from demo_app.db import is_database_busy


class ShopError(Exception):
    """An expected failure: HTTP `status`, stable `code`, human `message`, optional `extra`."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def wants_json() -> bool:
    """Whether the current request is an API call, answered in JSON."""
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def error_response(error: ShopError) -> tuple[Response | str, int]:
    """Render `error` as JSON (`{"error": {"code", "message", ...}}`) or as the error page."""
    if wants_json():
        body = {"error": {"code": error.code, "message": error.message, **error.extra}}
        return jsonify(body), error.status
    return render_template("error.html", error=error), error.status


def from_stripe(exc: stripe.StripeError) -> ShopError:
    """Map a stripe-python exception to what the shop's user should see.

    The classes follow stripe-python's own mapping from HTTP status (see provider facts):
    a decline is the customer's problem (402), everything else is Stripe's or ours (5xx),
    and an authentication problem never reveals key details.
    """
    if isinstance(exc, stripe.CardError):
        error = exc.error
        return ShopError(
            402,
            "card_declined",
            exc.user_message or "Your card was declined.",
            decline_code=getattr(error, "decline_code", None) if error else None,
        )
    if isinstance(exc, stripe.RateLimitError):
        return ShopError(
            503,
            "payment_provider_busy",
            "The payment provider is busy right now. Please try again in a moment.",
        )
    if isinstance(exc, stripe.APIConnectionError):
        if is_timeout(exc):
            return ShopError(
                504,
                "payment_provider_timeout",
                "The payment provider did not answer in time. Nothing was charged twice: "
                "retry and the same payment is reused.",
            )
        return ShopError(
            503,
            "payment_provider_unreachable",
            "The payment provider cannot be reached right now. Please try again shortly.",
        )
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return ShopError(
            502,
            "payment_provider_error",
            "Payments are misconfigured on our side. Please try again later.",
        )
    if isinstance(exc, stripe.InvalidRequestError | stripe.IdempotencyError):
        return ShopError(
            502,
            "payment_request_rejected",
            "The payment provider rejected the request. Please contact support.",
        )
    return ShopError(
        502,
        "payment_provider_error",
        "The payment provider had a problem. Please try again later.",
    )


def is_timeout(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is a timeout rather than a refused connection."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.Timeout | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    # stripe-python names the requests exception in its message when it wraps one.
    return "Timeout" in str(exc)


def provider_called() -> None:
    """Note that this request has sent something to a provider that may move money.

    From then on a busy database is never answered as `database_busy` ("nothing was
    written, try again"): that would make a client pay twice.
    """
    g.demo_provider_called = True


def register_error_handlers(app: Flask) -> None:
    """Answer every error in the shop's shape: JSON under `/api`, a page elsewhere."""

    @app.errorhandler(ShopError)
    def _shop_error(error: ShopError) -> tuple[Response | str, int]:
        return error_response(error)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        return error_response(
            ShopError(
                400,
                "csrf_failed",
                "This form has expired or did not come from this site. "
                "Go back, reload the page and try again.",
            )
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        code = (exc.name or "error").lower().replace(" ", "_").replace("'", "")
        message = exc.description or exc.name
        if exc.code == 404:
            message = "Not found."
        response = error_response(ShopError(exc.code, code, message))
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            return response[0], response[1], {"Allow": ", ".join(exc.valid_methods)}
        return response

    @app.errorhandler(OperationalError)
    def _database_error(exc: OperationalError) -> Any:
        if not is_database_busy(exc):
            return _unexpected(exc)
        if g.get("demo_provider_called"):
            # The views record a provider's answer through `write` and answer with the truth
            # when even that fails; this is the backstop. The provider may have acted, so
            # the client must look before trying again.
            app.logger.error("Database busy after a provider call on %s", request.path)
            return error_response(
                ShopError(
                    500,
                    "outcome_not_recorded",
                    "Your request reached the payment provider but the shop could not record "
                    "the result yet. Check your orders before trying again.",
                )
            )
        # Nothing has been sent to a provider and the write failed as a whole: nothing was
        # written, so trying again is safe.
        body, status = error_response(
            ShopError(503, "database_busy", "The shop is busy; please try again in a moment.")
        )
        return body, status, {"Retry-After": "1"}

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response | str, int]:
        # Logged with its traceback for the operator; the user sees a plain message.
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(ShopError(500, "internal_error", "Something went wrong on our side."))
