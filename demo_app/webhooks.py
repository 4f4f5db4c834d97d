"""`POST /webhooks/stripe`: verified, idempotent handling of Stripe's events.

The signature is checked by stripe-python against the raw body. Each handled event id is
stored in the same transaction as the order change it causes, so a redelivery (Stripe
delivers at least once, in any order) changes nothing. Status changes only move forward:
an old `payment_failed` arriving after `succeeded` cannot un-pay an order.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

import stripe
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.wrappers import Response

from demo_app.db import db
from demo_app.errors import ShopError, is_database_busy
from demo_app.models import Order, StripeEvent

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _dict(value: Any) -> dict[str, Any]:
    # Signed does not mean well-formed: a field of the wrong type counts as absent.
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _id_of(value: Any) -> str | None:
    """An id given either as a string or as an expanded object."""
    return _str(value.get("id")) if isinstance(value, dict) else _str(value)


def _order_id(obj: dict[str, Any]) -> int | None:
    raw = _str(_dict(obj.get("metadata")).get("order_id")) or _str(obj.get("client_reference_id"))
    return int(raw) if raw is not None and raw.isdigit() and len(raw) < 18 else None


def _find_order(obj: dict[str, Any], *, intent_id: str | None = None) -> Order | None:
    clauses = []
    if intent_id:
        clauses.append(Order.payment_intent_id == intent_id)
    session_id = _str(obj.get("id"))
    if obj.get("object") == "checkout.session" and session_id:
        clauses.append(Order.checkout_session_id == session_id)
    order_id = _order_id(obj)
    if order_id is not None:
        clauses.append(Order.id == order_id)
    if not clauses:
        return None
    return db.session.scalar(select(Order).where(or_(*clauses)).limit(1))


def _mark_paid(order: Order, intent_id: str | None) -> None:
    # Money was taken: that is the truth even for an order the customer had abandoned.
    if order.status in ("pending", "failed", "canceled"):
        order.status = "paid"
        order.failure_reason = None
    if intent_id and not order.payment_intent_id:
        order.payment_intent_id = intent_id


def _intent_succeeded(obj: dict[str, Any]) -> Order | None:
    intent_id = _str(obj.get("id"))
    order = _find_order(obj, intent_id=intent_id)
    if order is not None:
        _mark_paid(order, intent_id)
    return order


def _intent_failed(obj: dict[str, Any]) -> Order | None:
    intent_id = _str(obj.get("id"))
    order = _find_order(obj, intent_id=intent_id)
    if order is not None and order.status == "pending":
        message = _str(_dict(obj.get("last_payment_error")).get("message"))
        order.status = "failed"
        order.failure_reason = (message or "The payment failed.")[:500]
        if not order.payment_intent_id and intent_id:
            order.payment_intent_id = intent_id
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
        _mark_paid(order, intent_id)
    elif intent_id and not order.payment_intent_id:
        order.payment_intent_id = intent_id  # an async method: payment_intent.* settles it
    return order


def _checkout_expired(obj: dict[str, Any]) -> Order | None:
    order = _find_order(obj)
    if order is not None and order.status == "pending":
        order.status = "canceled"
    return order


def _charge_refunded(obj: dict[str, Any]) -> Order | None:
    order = _find_order(obj, intent_id=_id_of(obj.get("payment_intent")))
    # Only a full refund makes the order refunded; a partial one leaves it paid. Events
    # arrive in any order, so a refund seen before the success still ends refunded.
    if order is not None and obj.get("refunded") is True and order.status != "refunded":
        order.status = "refunded"
        refunds = _dict(obj.get("refunds")).get("data")
        if isinstance(refunds, list) and refunds and not order.refund_id:
            order.refund_id = _id_of(refunds[0])
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
    except (ValueError, TypeError, AttributeError, KeyError):
        # Not JSON, or JSON that is not an event object (stripe-python cannot build one).
        raise ShopError(400, "invalid_payload", "The event is not a valid JSON event.") from None

    # The signature covered exactly these bytes, so plain dicts from them are trustworthy.
    data = json.loads(payload)
    if not isinstance(data, dict):
        raise ShopError(400, "invalid_payload", "The event is not a JSON object.")
    event_id = _str(data.get("id"))
    event_type = _str(data.get("type"))
    obj = _dict(data.get("data")).get("object")
    if not event_id or not event_type or not isinstance(obj, dict) or len(event_id) > 255:
        raise ShopError(400, "invalid_payload", "The event has no id, type or object.")
    del event

    # SQLite refuses at once (no busy wait) a transaction that read and then tries to write
    # while another delivery of the same moment holds the write lock. Applying an event is
    # all-or-nothing, so roll back and try again; past a few tries the error handler answers
    # 503 and Stripe redelivers.
    for attempt in range(1, WEBHOOK_DB_ATTEMPTS + 1):
        try:
            return _apply_event(event_id, event_type, obj)
        except OperationalError as exc:
            db.session.rollback()
            if not is_database_busy(exc) or attempt == WEBHOOK_DB_ATTEMPTS:
                raise
            time.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


#: How often one delivery tries to apply its event when the database is busy.
WEBHOOK_DB_ATTEMPTS = 8


def _apply_event(event_id: str, event_type: str, obj: dict[str, Any]) -> tuple[Response, int]:
    """Record the event and apply it to its order, once; a duplicate is a no-op."""
    if db.session.get(StripeEvent, event_id) is not None:
        return jsonify({"received": True, "duplicate": True}), 200

    handler = HANDLERS.get(event_type)
    order = handler(obj) if handler else None
    db.session.add(
        StripeEvent(id=event_id, type=event_type[:100], order_id=order.id if order else None)
    )
    try:
        db.session.commit()
    except IntegrityError:
        # The same event arrived twice at once and the other delivery won: nothing to do.
        db.session.rollback()
        return jsonify({"received": True, "duplicate": True}), 200
    return jsonify(
        {
            "received": True,
            "duplicate": False,
            "handled": handler is not None,
            "order": order.id if order else None,
        }
    ), 200
