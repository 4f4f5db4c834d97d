"""`POST /webhooks/stripe`: verified, idempotent handling of Stripe's events.

The signature is checked by stripe-python against the raw body. Each handled event id is
stored in the same transaction as the order change it causes, so a redelivery (Stripe
delivers at least once, in any order) changes nothing. Status changes only move forward:
an old `payment_failed` arriving after `succeeded` cannot un-pay an order.

An event belongs to an order only through what is unique to it: the PaymentIntent or
Checkout Session id the shop recorded, or the order's id *and* its random `order_ref` in
the metadata. Order ids alone restart after `init-db --drop` and repeat in every shop on
one Stripe account, so another shop's events never touch this shop's orders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from demo_app.db import db, write
from demo_app.errors import ShopError
from demo_app.membership import apply_event as apply_membership_event
from demo_app.membership import is_membership_event
from demo_app.models import (
    Order,
    StripeEvent,
    mark_canceled,
    mark_failed,
    mark_paid,
    mark_refunded,
)
from demo_app.validation import parse_json

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _dict(value: Any) -> dict[str, Any]:
    # Signed does not mean well-formed: a field of the wrong type counts as absent.
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    # Stripe's ids and references fit the shop's columns; anything longer is not one.
    return value if isinstance(value, str) and 0 < len(value) <= 255 else None


def _id_of(value: Any) -> str | None:
    """An id given either as a string or as an expanded object."""
    return _str(value.get("id")) if isinstance(value, dict) else _str(value)


def _order_id(obj: dict[str, Any]) -> int | None:
    raw = _str(_dict(obj.get("metadata")).get("order_id"))
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) >= 18:
        return None
    return int(raw)


def _find_order(obj: dict[str, Any], *, intent_id: str | None = None) -> Order | None:
    clauses = []
    if intent_id:
        clauses.append(Order.payment_intent_id == intent_id)
    session_id = _str(obj.get("id"))
    if obj.get("object") == "checkout.session" and session_id:
        clauses.append(Order.checkout_session_id == session_id)
    order_id = _order_id(obj)
    reference = _str(_dict(obj.get("metadata")).get("order_ref"))
    if order_id is not None and reference is not None:
        clauses.append(and_(Order.id == order_id, Order.reference == reference))
    if not clauses:
        return None
    return db.session.scalar(select(Order).where(or_(*clauses)).limit(1))


def _intent_succeeded(obj: dict[str, Any]) -> Order | None:
    intent_id = _str(obj.get("id"))
    order = _find_order(obj, intent_id=intent_id)
    if order is not None:
        mark_paid(order, intent_id)
    return order


def _intent_failed(obj: dict[str, Any]) -> Order | None:
    intent_id = _str(obj.get("id"))
    order = _find_order(obj, intent_id=intent_id)
    if order is not None:
        message = _str(_dict(obj.get("last_payment_error")).get("message"))
        mark_failed(order, message or "The payment failed.", intent_id)
    return order


def _checkout_completed(obj: dict[str, Any]) -> Order | None:
    order = _find_order(obj)
    if order is None:
        return None
    session_id = _str(obj.get("id"))
    if not order.checkout_session_id and session_id:
        order.checkout_session_id = session_id
    intent_id = _id_of(obj.get("payment_intent"))
    if obj.get("payment_status") == "paid":
        mark_paid(order, intent_id)
    elif intent_id and not order.payment_intent_id:
        order.payment_intent_id = intent_id  # an async method: payment_intent.* settles it
    return order


def _checkout_expired(obj: dict[str, Any]) -> Order | None:
    order = _find_order(obj)
    if order is not None:
        mark_canceled(order)
    return order


def _charge_refunded(obj: dict[str, Any]) -> Order | None:
    order = _find_order(obj, intent_id=_id_of(obj.get("payment_intent")))
    # Only a full refund makes the order refunded; a partial one leaves it paid. Events
    # arrive in any order, so a refund seen before the success still ends refunded.
    if order is not None and obj.get("refunded") is True:
        refunds = _dict(obj.get("refunds")).get("data")
        first = refunds[0] if isinstance(refunds, list) and refunds else None
        mark_refunded(order, _id_of(first))
    return order


HANDLERS: dict[str, Callable[[dict[str, Any]], Order | None]] = {
    "payment_intent.succeeded": _intent_succeeded,
    "payment_intent.payment_failed": _intent_failed,
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_completed,
    "checkout.session.expired": _checkout_expired,
    "charge.refunded": _charge_refunded,
}


@bp.post("/stripe")
def stripe_webhook() -> tuple[Response, int]:
    """Verify and apply one Stripe event; 400 (nothing changed) when it cannot be trusted."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise ShopError(503, "webhooks_not_configured", "STRIPE_WEBHOOK_SECRET is not set.")
    payload = request.get_data()  # the raw bytes: re-serialised JSON would not verify
    signature = request.headers.get("Stripe-Signature")
    if not signature:
        raise ShopError(400, "missing_signature", "The Stripe-Signature header is missing.")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except stripe.SignatureVerificationError:
        raise ShopError(
            400, "invalid_signature", "The signature does not match or is too old."
        ) from None
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError):
        # Not JSON, or JSON that is not an event object (stripe-python cannot build one).
        raise ShopError(400, "invalid_payload", "The event is not a valid JSON event.") from None

    # The signature covered exactly these bytes, so plain dicts from them are trustworthy;
    # they are still read as strictly as any request (depth, valid Unicode).
    try:
        data = parse_json(payload)
    except ShopError as exc:
        raise ShopError(400, "invalid_payload", exc.message) from None
    if not isinstance(data, dict):
        raise ShopError(400, "invalid_payload", "The event is not a JSON object.")
    event_id = _str(data.get("id"))
    event_type = _str(data.get("type"))
    obj = _dict(data.get("data")).get("object")
    if not event_id or not event_type or not isinstance(obj, dict) or len(event_id) > 255:
        raise ShopError(400, "invalid_payload", "The event has no id, type or object.")
    del event

    # Applying an event is all-or-nothing and `write` retries it while the database is
    # busy; past that the error handler answers 503 and Stripe delivers it again.
    try:
        if is_membership_event(event_type, obj):
            return apply_membership_event(event_id, event_type, obj)
        return write(lambda: _apply_event(event_id, event_type, obj))
    except IntegrityError:
        # The same event arrived twice at once and the other delivery won: nothing to do.
        return jsonify({"received": True, "duplicate": True}), 200


def _apply_event(event_id: str, event_type: str, obj: dict[str, Any]) -> tuple[Response, int]:
    """Record the event and apply it to its order, once; a duplicate is a no-op."""
    if db.session.get(StripeEvent, event_id) is not None:
        return jsonify({"received": True, "duplicate": True}), 200

    handler = HANDLERS.get(event_type)
    order = handler(obj) if handler else None
    db.session.add(
        StripeEvent(id=event_id, type=event_type[:100], order_id=order.id if order else None)
    )
    db.session.flush()
    return jsonify(
        {
            "received": True,
            "duplicate": False,
            "handled": handler is not None,
            "order": order.id if order else None,
        }
    ), 200
