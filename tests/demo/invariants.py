"""What must hold in the demo shop whatever happened: the invariants the hostile tests check.

- `snapshot(app, fake)`: everything a request could have stored or sent; a refused request
  leaves it unchanged.
- `check_money(app, fake)`: every order says what Stripe did with its money, to the cent,
  and no order was charged twice.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from demo_app.db import db
from demo_app.models import Order, StripeEvent, User
from mockkit.stripe import StripeFake


def snapshot(app: Flask, fake: StripeFake) -> tuple[Any, ...]:
    """Everything a request could have stored or sent: rows of each table, Stripe's objects."""
    with app.app_context():
        orders = [
            (o.id, o.status, o.payment_intent_id, o.checkout_session_id, o.refund_id)
            for o in db.session.scalars(select(Order).order_by(Order.id))
        ]
        users = [(u.id, u.email, u.name) for u in db.session.scalars(select(User))]
        events = list(db.session.scalars(select(StripeEvent.id)))
    stripe_objects = {
        kind: len(fake.objects(kind))
        for kind in ("payment_intent", "charge", "refund", "checkout.session")
    }
    return orders, users, events, stripe_objects


def check_money(app: Flask, fake: StripeFake) -> None:
    """Every order says what Stripe did, to the cent; nothing was charged twice for one order.

    Stripe's objects are matched to the shop's orders by the order's reference (their
    `order_ref` metadata), never by what the shop itself recorded.
    """
    with app.app_context():
        orders = list(db.session.scalars(select(Order)))
        by_ref = {o.reference: o for o in orders}
        for order in orders:
            assert order.amount == order.product.amount and order.currency == "usd"
            intents = [
                pi
                for pi in fake.payment_intents.values()
                if pi["metadata"].get("order_ref") == order.reference
            ]
            paid = [pi for pi in intents if pi["status"] == "succeeded"]
            assert len(paid) <= 1, f"order {order.id} was charged {len(paid)} times"
            assert all(pi["amount"] == order.amount for pi in intents)
            session = fake.checkout_sessions.get(order.checkout_session_id or "")
            if paid:
                charge = fake.charges[paid[0]["latest_charge"]]
                expected = {"refunded"} if charge["refunded"] else {"paid"}
                assert order.payment_intent_id == paid[0]["id"]
            elif session is not None and session["status"] == "expired":
                # A decline and an expiry: either ends the order, in whichever order they land.
                declined = any(pi.get("last_payment_error") for pi in intents)
                expected = {"canceled", "failed"} if declined else {"canceled"}
            elif any(pi.get("last_payment_error") for pi in intents):
                expected = {"failed"}
            else:
                expected = {"pending"}
            assert order.status in expected, (order.id, order.status, expected)
        # Money: what the shop says it holds is exactly what Stripe captured and kept.
        kept = 0
        for pi in fake.payment_intents.values():
            if pi["status"] == "succeeded" and pi["metadata"].get("order_ref") in by_ref:
                charge = fake.charges[pi["latest_charge"]]
                kept += charge["amount_captured"] - charge["amount_refunded"]
        assert kept == sum(o.amount for o in orders if o.status == "paid")
        for refund in fake.refunds.values():
            intent = fake.payment_intents[refund["payment_intent"]]
            owner = by_ref[intent["metadata"]["order_ref"]]
            assert refund["amount"] == owner.amount and owner.status == "refunded"
