"""Payments with the unmodified stripe-python: PaymentIntents, Checkout and refunds.

The app owns one `stripe.StripeClient` (`app.extensions["demo_stripe"]`), built from its own
configuration, so nothing global in the `stripe` module is touched and two apps never share
a key or an API base.

What the database says after each outcome (the order row is committed *before* Stripe is
called, so it exists whatever happens next):

| outcome                      | order status | details kept                                      |
|------------------------------|--------------|---------------------------------------------------|
| PaymentIntent succeeded      | paid         | payment_intent                                    |
| PaymentIntent needs the card | pending      | payment_intent (client_secret returned once)      |
| card declined (402)          | failed       | failure_reason, payment_intent if Stripe made one |
| timeout / 5xx / 429 / other  | pending      | failure_reason; retried with the same             |
|                              |              | `order-<id>-create-pi` key, never charged twice   |
| Checkout could not start     | failed       | failure_reason (no session was shown to anyone)   |
"""

from __future__ import annotations

from typing import Any

import stripe
from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from demo_app.auth import current_user, login_required
from demo_app.db import db
from demo_app.errors import ShopError, from_stripe
from demo_app.models import Order, Product, User, owned_order

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


def new_order(user: User, product: Product, request_key: str | None = None) -> Order:
    """Write a pending order for `product` and commit it, so it exists before Stripe is called."""
    order = Order(
        user=user,
        product=product,
        amount=product.amount,
        currency=product.currency,
        status="pending",
        request_key=request_key,
    )
    db.session.add(order)
    db.session.commit()
    return order


def _decline_reason(exc: stripe.CardError) -> str:
    error = exc.error
    code = (getattr(error, "decline_code", None) or exc.code) if error else exc.code
    message = exc.user_message or "Your card was declined."
    return f"{message} ({code})" if code else message


def pay_order(order: Order, payment_method: str | None) -> str | None:
    """Create (and with a payment method, confirm) the order's PaymentIntent.

    Returns the client secret. On failure the order row is updated and committed first
    (see the module table), then the mapped `ShopError` is raised.
    """
    params: dict[str, Any] = {
        "amount": order.amount,
        "currency": order.currency,
        "description": f"Demo shop order {order.id}: {order.product.name}",
        "metadata": {"order_id": str(order.id)},
    }
    if payment_method:
        params.update(
            payment_method=payment_method, confirm=True, allowed_payment_method_types=["card"]
        )
    else:
        params["automatic_payment_methods"] = {"enabled": True}
    try:
        intent = stripe_client().v1.payment_intents.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": order.payment_idempotency_key},
        )
    except stripe.CardError as exc:
        order.status = "failed"
        order.failure_reason = _decline_reason(exc)
        declined_intent = getattr(exc.error, "payment_intent", None) if exc.error else None
        if declined_intent is not None:
            order.payment_intent_id = getattr(declined_intent, "id", None)
        db.session.commit()
        error = from_stripe(exc)
        error.extra["order"] = order.to_json()
        raise error from exc
    except stripe.StripeError as exc:
        error = from_stripe(exc)
        current_app.logger.warning("Payment for order %s failed: %r", order.id, exc)
        # Stripe may or may not have acted (a timeout can hide a success), so the order
        # stays pending; the webhook or a retry with the same key settles it.
        order.failure_reason = f"Last payment attempt failed: {error.message}"
        db.session.commit()
        error.extra["order"] = order.to_json()
        raise error from exc

    # Attribute access on Stripe objects raises for a missing field; a malformed answer must
    # not turn into a 500 after the money may have moved.
    intent_id = getattr(intent, "id", None)
    status = getattr(intent, "status", None)
    if not isinstance(intent_id, str) or not isinstance(status, str):
        order.failure_reason = "Stripe sent a PaymentIntent without an id or status"
        db.session.commit()
        raise ShopError(
            502, "payment_provider_error", "The payment provider sent an unexpected answer."
        )
    order.payment_intent_id = intent_id
    order.failure_reason = None
    if status == "succeeded":
        order.status = "paid"
    elif status == "canceled":
        order.status = "canceled"
    elif status not in _PI_PENDING:
        order.status = "failed"
        order.failure_reason = f"Unexpected payment status {status!r}"
    db.session.commit()
    return getattr(intent, "client_secret", None)


def refund_order(order: Order) -> None:
    """Refund a paid order in full, once (`order-<id>-refund`); commit what Stripe said."""
    if order.status == "refunded":
        return
    if order.status != "paid" or not order.payment_intent_id:
        raise ShopError(
            409,
            "order_not_refundable",
            f"Only paid orders can be refunded; this order is {order.status}.",
        )
    try:
        refund = stripe_client().v1.refunds.create(
            params={
                "payment_intent": order.payment_intent_id,
                "metadata": {"order_id": str(order.id)},
            },
            options={"idempotency_key": order.refund_idempotency_key},
        )
    except stripe.StripeError as exc:
        current_app.logger.warning("Refund of order %s failed: %r", order.id, exc)
        raise from_stripe(exc) from exc
    refund_id = getattr(refund, "id", None)
    refund_status = getattr(refund, "status", None)
    if refund_status in ("succeeded", "pending"):
        # A pending refund is accepted by Stripe and completes on its own (charge.refunded).
        order.status = "refunded"
        order.refund_id = refund_id
        order.failure_reason = None
        db.session.commit()
        return
    order.failure_reason = f"Refund {refund_id} ended {refund_status}"
    db.session.commit()
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
    order = new_order(user, product)
    success_url = url_for("billing.checkout_success", _external=True)
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": product.currency,
                    "unit_amount": product.amount,
                    "product_data": {"name": product.name},
                },
                "quantity": 1,
            }
        ],
        # Stripe fills in {CHECKOUT_SESSION_ID}; url_for would escape the braces.
        "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": url_for("billing.checkout_cancel", order_id=order.id, _external=True),
        "client_reference_id": str(order.id),
        "metadata": {"order_id": str(order.id)},
        "payment_intent_data": {"metadata": {"order_id": str(order.id)}},
    }
    if user.email:
        params["customer_email"] = user.email
    try:
        checkout_session = client.v1.checkout.sessions.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": order.checkout_idempotency_key},
        )
    except stripe.StripeError as exc:
        error = from_stripe(exc)
        current_app.logger.warning("Checkout for order %s failed: %r", order.id, exc)
        # Nobody was shown a payment page for this order, so no money can move for it.
        order.status = "failed"
        order.failure_reason = f"Checkout could not start: {error.message}"
        db.session.commit()
        raise error from exc
    session_id = getattr(checkout_session, "id", None)
    url = getattr(checkout_session, "url", None)
    if not isinstance(session_id, str) or not isinstance(url, str) or not url:
        order.status = "failed"
        order.failure_reason = "Checkout could not start: Stripe returned no checkout page"
        db.session.commit()
        raise ShopError(502, "payment_provider_error", "Stripe returned no checkout page.")
    order.checkout_session_id = session_id
    db.session.commit()
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
    """Where Stripe sends the customer who gave up; a still-pending order becomes canceled."""
    order = owned_order(request.args.get("order_id", type=int), current_user())
    if order is None:
        raise ShopError(404, "unknown_order", "We could not find that order.")
    if order.status == "pending":
        order.status = "canceled"
        db.session.commit()
    return render_template("checkout_cancel.html", order=order)
