"""`POST /webhooks/stripe`: verified, idempotent handling of Stripe's events.

The signature is checked by stripe-python against the raw body. Each handled event id is
stored in the same transaction as the order change it causes, so a redelivery (Stripe
delivers at least once, in any order) changes nothing. Status changes only move forward:
an old `payment_failed` arriving after `succeeded` cannot un-pay an order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import stripe
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from demo_app.db import db
from demo_app.errors import ShopError
from demo_app.models import Order, StripeEvent

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def _order_id(obj: dict[str, Any]) -> int | None:
    raw = (obj.get("metadata") or {}).get("order_id") or obj.get("client_reference_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _find_order(obj: dict[str, Any], *, intent_id: str | None = None) -> Order | None:
    clauses = []
    if intent_id:
        clauses.append(Order.payment_intent_id == intent_id)
    if obj.get("object") == "checkout.session" and obj.get("id"):
        clauses.append(Order.checkout_session_id == obj["id"])
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
    order = _find_order(obj, intent_id=obj.get("id"))
    if order is not None:
        _mark_paid(order, obj.get("id"))
    return order


def _intent_failed(obj: dict[str, Any]) -> Order | None:
    order = _find_order(obj, intent_id=obj.get("id"))
    if order is not None and order.status == "pending":
        error = obj.get("last_payment_error") or {}
        order.status = "failed"
        order.failure_reason = error.get("message") or "The payment failed."
        if not order.payment_intent_id and obj.get("id"):
            order.payment_intent_id = obj["id"]
    return order


def _checkout_completed(obj: dict[str, Any]) -> Order | None:
    order = _find_order(obj)
    if order is None:
        return None
    if not order.checkout_session_id and obj.get("id"):
        order.checkout_session_id = obj["id"]
    intent = obj.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
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
    intent = obj.get("payment_intent")
    intent_id = intent.get("id") if isinstance(intent, dict) else intent
    order = _find_order(obj, intent_id=intent_id)
    # Only a full refund makes the order refunded; a partial one leaves it paid.
    if order is not None and obj.get("refunded") and order.status == "paid":
        order.status = "refunded"
        refunds = (obj.get("refunds") or {}).get("data") or []
        if refunds and not order.refund_id:
            order.refund_id = refunds[0].get("id")
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
    except ValueError:
        raise ShopError(400, "invalid_payload", "The event is not valid JSON.") from None

    # The signature covered exactly these bytes, so plain dicts from them are trustworthy.
    data = json.loads(payload)
    event_id = data.get("id")
    event_type = data.get("type")
    obj = (data.get("data") or {}).get("object")
    if (
        not isinstance(event_id, str)
        or not isinstance(event_type, str)
        or not isinstance(obj, dict)
    ):
        raise ShopError(400, "invalid_payload", "The event has no id, type or object.")
    del event

    if db.session.get(StripeEvent, event_id) is not None:
        return jsonify({"received": True, "duplicate": True}), 200

    handler = HANDLERS.get(event_type)
    order = handler(obj) if handler else None
    db.session.add(StripeEvent(id=event_id, type=event_type, order_id=order.id if order else None))
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
