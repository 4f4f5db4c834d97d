"""Payments with the unmodified stripe-python: PaymentIntents, Checkout, refunds, cancellation.

The app owns one `stripe.StripeClient` (`app.extensions["demo_stripe"]`), built from its own
configuration, so nothing global in the `stripe` module is touched and two apps never share
a key or an API base.

Every call that can move money follows the same three steps:

1. **Before**: the whole request is validated, then the pending order is written and
   committed with its random `reference` (the base of its Stripe Idempotency-Keys and its
   `order_ref` metadata). A busy database here is a 503 `database_busy`: nothing was written
   and nothing was sent to Stripe, so trying again is safe.
2. **The call**, with no database transaction open (a slow Stripe never locks the shop).
3. **After**: Stripe's answer is recorded through `write` (retried while the database is
   busy). Should even that fail, the client still gets Stripe's answer (the order as Stripe
   left it, with `"recorded": false`) and never a "nothing was written": the order's
   metadata lets the webhook record the outcome, and a retry with the same
   `Idempotency-Key` replays Stripe's answer under the same Stripe key.

| outcome                      | order status | details kept                                      |
|------------------------------|--------------|---------------------------------------------------|
| PaymentIntent succeeded      | paid         | payment_intent                                    |
| PaymentIntent needs the card | pending      | payment_intent (client_secret returned once)      |
| card declined (402)          | failed       | failure_reason, payment_intent if Stripe made one |
| timeout / 5xx / 429 / other  | pending      | failure_reason; retried with the same stored key, |
|                              |              | never charged twice                               |
| Checkout could not start     | failed       | failure_reason (no session was shown to anyone)   |
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from demo_app.auth import current_user, login_required
from demo_app.db import db, is_database_busy, release, write
from demo_app.errors import ShopError, from_stripe, provider_called
from demo_app.models import (
    Order,
    OrderSnapshot,
    OrderState,
    Product,
    mark_canceled,
    mark_failed,
    mark_paid,
    mark_refunded,
    new_token,
    note_attempt,
    owned_order,
)
from demo_app.validation import invalid

bp = Blueprint("billing", __name__)

# PaymentIntent statuses that mean no money has moved yet but the order is still alive.
_PI_PENDING = {
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "processing",
    "requires_capture",
}


def init_stripe(app: Flask) -> None:
    """Give `app` its own Stripe client (or none, when no API key is configured)."""
    key = app.config.get("STRIPE_API_KEY")
    client = None
    if key:
        client = stripe.StripeClient(
            key,
            base_addresses={"api": app.config["STRIPE_API_BASE"]},
            max_network_retries=app.config["STRIPE_MAX_NETWORK_RETRIES"],
            http_client=stripe.RequestsClient(timeout=app.config["PROVIDER_TIMEOUT"]),
        )
    app.extensions["demo_stripe"] = client


def stripe_client() -> stripe.StripeClient:
    """The current app's Stripe client; a clear 503 when payments are not configured."""
    client = current_app.extensions.get("demo_stripe")
    if client is None:
        raise ShopError(
            503, "payments_not_configured", "Payments are not configured on this server."
        )
    return client  # type: ignore[no-any-return]


def new_order(user_id: int, product_id: int, request_key: str | None = None) -> int:
    """Write a pending order and commit it, so it exists before Stripe is called; its id.

    A busy database raises `OperationalError` (answered 503 `database_busy`): nothing of it
    was written.
    """

    def insert() -> int:
        product = db.session.get(Product, product_id)
        assert product is not None
        order = Order(
            user_id=user_id,
            product_id=product.id,
            amount=product.amount,
            currency=product.currency,
            status="pending",
            request_key=request_key,
            reference=new_token(),
        )
        db.session.add(order)
        db.session.flush()
        return int(order.id)

    return write(insert)


def record(
    order_id: int, snapshot: OrderSnapshot, change: Callable[[OrderState], None]
) -> dict[str, Any]:
    """Apply `change` to the stored order after a provider call; the order as JSON.

    Retried while the database is busy. When it still cannot be written, the change is
    applied to `snapshot` instead and the answer says `"recorded": false`: the provider's
    answer is the truth the client must see, and the webhook records it later.
    """

    def apply() -> dict[str, Any]:
        order = db.session.get(Order, order_id)
        assert order is not None
        change(order)
        db.session.flush()
        return order.to_json()

    try:
        return write(apply)
    except OperationalError as exc:
        if not is_database_busy(exc):
            raise
        current_app.logger.warning(
            "Order %s: the database stayed busy; the outcome is left to the webhook", order_id
        )
        change(snapshot)
        return {**snapshot.to_json(), "recorded": False}


def _payment_method_refused(exc: stripe.StripeError) -> bool:
    """Whether Stripe refused the request for the client's `payment_method` and made nothing."""
    error = exc.error
    return (
        isinstance(exc, stripe.InvalidRequestError)
        and error is not None
        and getattr(error, "param", None) == "payment_method"
        and getattr(error, "payment_intent", None) is None
    )


def withdraw(order_id: int) -> None:
    """Delete a pending order Stripe never acted on; left pending if the database is busy."""

    def delete() -> None:
        order = db.session.get(Order, order_id)
        if order is not None and order.status == "pending" and not order.payment_intent_id:
            db.session.delete(order)

    try:
        write(delete)
    except OperationalError as exc:
        if not is_database_busy(exc):
            raise
        current_app.logger.warning("Order %s: left pending, the database stayed busy", order_id)


def _decline_reason(exc: stripe.CardError) -> str:
    error = exc.error
    code = (getattr(error, "decline_code", None) or exc.code) if error else exc.code
    message = exc.user_message or "Your card was declined."
    return f"{message} ({code})" if code else message


def pay_order(order_id: int, payment_method: str | None) -> tuple[dict[str, Any], str | None]:
    """Create (and with a payment method, confirm) the order's PaymentIntent.

    Returns the order as JSON and the client secret. On failure the order is recorded
    first (see the module table), then the mapped `ShopError` is raised with the order.
    """
    order = db.session.get(Order, order_id)
    assert order is not None
    snapshot = OrderSnapshot.of(order)
    params: dict[str, Any] = {
        "amount": order.amount,
        "currency": order.currency,
        "description": f"Demo shop order {order.id}: {order.product.name}",
        "metadata": order.stripe_metadata(),
    }
    if payment_method:
        params.update(
            payment_method=payment_method, confirm=True, allowed_payment_method_types=["card"]
        )
    else:
        params["automatic_payment_methods"] = {"enabled": True}
    key = order.payment_idempotency_key
    client = stripe_client()
    release()
    provider_called()
    try:
        intent = client.v1.payment_intents.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": key},
        )
    except stripe.CardError as exc:
        reason = _decline_reason(exc)
        declined = getattr(exc.error, "payment_intent", None) if exc.error else None
        declined_id = getattr(declined, "id", None) if declined is not None else None
        error = from_stripe(exc)
        error.extra["order"] = record(
            order_id,
            snapshot,
            lambda o: mark_failed(o, reason, declined_id if isinstance(declined_id, str) else None),
        )
        raise error from exc
    except stripe.StripeError as exc:
        if _payment_method_refused(exc):
            # The client's payment method does not exist: Stripe created nothing, so the
            # request is refused as a whole, its order included.
            withdraw(order_id)
            raise invalid(
                {"payment_method": 'Stripe has no such PaymentMethod; e.g. "pm_card_visa".'},
                "The order is not valid.",
            ) from exc
        error = from_stripe(exc)
        current_app.logger.warning("Payment for order %s failed: %r", order_id, exc)
        # Stripe may or may not have acted (a timeout can hide a success), so the order
        # stays pending; the webhook or a retry with the same key settles it.
        message = f"Last payment attempt failed: {error.message}"
        error.extra["order"] = record(order_id, snapshot, lambda o: note_attempt(o, None, message))
        raise error from exc

    # Attribute access on Stripe objects raises for a missing field; a malformed answer must
    # not turn into a 500 after the money may have moved.
    intent_id = getattr(intent, "id", None)
    status = getattr(intent, "status", None)
    if not isinstance(intent_id, str) or not isinstance(status, str):
        record(
            order_id,
            snapshot,
            lambda o: note_attempt(o, None, "Stripe sent a PaymentIntent without an id or status"),
        )
        raise ShopError(
            502, "payment_provider_error", "The payment provider sent an unexpected answer."
        )

    def outcome(o: OrderState) -> None:
        if status == "succeeded":
            mark_paid(o, intent_id)
        elif status == "canceled":
            note_attempt(o, intent_id, None)
            mark_canceled(o)
        elif status in _PI_PENDING:
            note_attempt(o, intent_id, None)
        else:
            note_attempt(o, intent_id, None)
            mark_failed(o, f"Unexpected payment status {status!r}")

    client_secret = getattr(intent, "client_secret", None)
    return record(order_id, snapshot, outcome), client_secret


def refund_order(order: Order) -> dict[str, Any]:
    """Refund a paid order in full, once (its stored refund key); the order as JSON."""
    if order.status == "refunded":
        return order.to_json()
    if order.status != "paid" or not order.payment_intent_id:
        raise ShopError(
            409,
            "order_not_refundable",
            f"Only paid orders can be refunded; this order is {order.status}.",
        )
    order_id = order.id
    snapshot = OrderSnapshot.of(order)
    params = {"payment_intent": order.payment_intent_id, "metadata": order.stripe_metadata()}
    key = order.refund_idempotency_key
    client = stripe_client()
    release()
    provider_called()
    try:
        refund = client.v1.refunds.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": key},
        )
    except stripe.StripeError as exc:
        current_app.logger.warning("Refund of order %s failed: %r", order_id, exc)
        raise from_stripe(exc) from exc
    refund_id = getattr(refund, "id", None)
    refund_status = getattr(refund, "status", None)
    if refund_status in ("succeeded", "pending"):
        # A pending refund is accepted by Stripe and completes on its own (charge.refunded).
        def refunded(o: OrderState) -> None:
            mark_refunded(o, refund_id if isinstance(refund_id, str) else None)
            o.failure_reason = None

        return record(order_id, snapshot, refunded)

    def refused(o: OrderState) -> None:
        o.failure_reason = f"Refund {refund_id} ended {refund_status}"[:500]

    record(order_id, snapshot, refused)
    raise ShopError(502, "refund_failed", "The refund did not go through. Please contact us.")


def find_product(slug: str) -> Product | None:
    """The product with this slug, or None."""
    return db.session.scalar(select(Product).filter_by(slug=slug))


@bp.post("/checkout/<slug>")
@login_required
def checkout(slug: str) -> Response:
    """Start Stripe Checkout for one product and send the browser to Stripe's page."""
    product = find_product(slug)
    if product is None:
        raise ShopError(404, "unknown_product", f"There is no product {slug!r}.")
    user = current_user()
    assert user is not None  # login_required
    client = stripe_client()  # a clear 503 before any order is written when payments are off
    email = user.email
    order_id = new_order(user.id, product.id)
    order = db.session.get(Order, order_id)
    assert order is not None
    snapshot = OrderSnapshot.of(order)
    success_url = url_for("billing.checkout_success", _external=True)
    metadata = order.stripe_metadata()
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": order.currency,
                    "unit_amount": order.amount,
                    "product_data": {"name": order.product.name},
                },
                "quantity": 1,
            }
        ],
        # Stripe fills in {CHECKOUT_SESSION_ID}; url_for would escape the braces.
        "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": url_for("billing.checkout_cancel", order_id=order_id, _external=True),
        "client_reference_id": str(order_id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
    }
    if email:
        params["customer_email"] = email
    key = order.checkout_idempotency_key
    release()
    provider_called()
    try:
        checkout_session = client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": key},
        )
    except stripe.StripeError as exc:
        error = from_stripe(exc)
        current_app.logger.warning("Checkout for order %s failed: %r", order_id, exc)
        # Nobody was shown a payment page for this order, so no money can move for it.
        reason = f"Checkout could not start: {error.message}"
        record(order_id, snapshot, lambda o: mark_failed(o, reason))
        raise error from exc
    session_id = getattr(checkout_session, "id", None)
    url = getattr(checkout_session, "url", None)
    if not isinstance(session_id, str) or not isinstance(url, str) or not url:
        reason = "Checkout could not start: Stripe returned no checkout page"
        record(order_id, snapshot, lambda o: mark_failed(o, reason))
        raise ShopError(502, "payment_provider_error", "Stripe returned no checkout page.")

    def started(o: OrderState) -> None:
        if not o.checkout_session_id:
            o.checkout_session_id = session_id

    # Even unrecorded, the session carries the order's metadata: its events find the order.
    record(order_id, snapshot, started)
    return redirect(url, code=303)


@bp.get("/checkout/success")
@login_required
def checkout_success() -> str:
    """Where Stripe sends the customer after paying; the webhook confirms the payment."""
    session_id = request.args.get("session_id", "")
    user = current_user()
    order = db.session.scalar(
        select(Order).filter_by(checkout_session_id=session_id, user_id=user.id if user else None)
    )
    if not session_id or order is None:
        raise ShopError(404, "unknown_checkout", "We could not find that checkout.")
    return render_template("checkout_success.html", order=order)


@bp.get("/checkout/cancel")
@login_required
def checkout_cancel() -> str:
    """Where Stripe sends the customer who gave up: a page, and a form to cancel the order.

    Opening it changes nothing (a link on another site can open it in the customer's
    browser); cancelling takes the CSRF-protected form, `POST /orders/<id>/cancel`.
    """
    order = owned_order(request.args.get("order_id", type=int), current_user())
    if order is None:
        raise ShopError(404, "unknown_order", "We could not find that order.")
    return render_template("checkout_cancel.html", order=order)


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def cancel_order(order_id: int) -> Response:
    """Cancel a pending Checkout order (a CSRF-protected form).

    Stripe is asked to expire the Checkout Session first, so the page can no longer be
    paid; if it was paid meanwhile, the order is left to the webhook and not canceled.
    """
    order = owned_order(order_id, current_user())
    if order is None:
        raise ShopError(404, "order_not_found", "We could not find that order.")
    if order.status != "pending" or not order.checkout_session_id:
        raise ShopError(
            409,
            "order_not_cancelable",
            f"Only an unpaid checkout can be canceled; this order is {order.status}.",
        )
    session_id = order.checkout_session_id
    snapshot = OrderSnapshot.of(order)
    client = stripe_client()
    release()
    provider_called()
    try:
        client.v1.checkout.sessions.expire(session_id)
    except stripe.InvalidRequestError as exc:
        # Not open any more: completed (paid, or being paid) or already expired.
        try:
            current = client.v1.checkout.sessions.retrieve(session_id)
        except stripe.StripeError:
            raise from_stripe(exc) from exc
        if getattr(current, "status", None) != "expired":
            flash("This checkout was already completed; it cannot be canceled.", "info")
            return redirect(url_for("shop.order_detail", order_id=order_id))
    except stripe.StripeError as exc:
        current_app.logger.warning("Canceling order %s failed: %r", order_id, exc)
        raise from_stripe(exc) from exc
    record(order_id, snapshot, mark_canceled)
    flash("Your order was canceled. You have not been charged.", "info")
    return redirect(url_for("shop.order_detail", order_id=order_id))
