"""A request is read whole before anything changes: malformed input is a 400, and stores nothing.

Each body below once answered 500, some after writing an order nobody could pay for. Now
every endpoint that takes a body reads it through one strict reader (UTF-8, JSON, at most
32 levels deep, valid Unicode only) before it looks anything up, writes, or calls Stripe.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from demo_app.db import db
from demo_app.models import Order, StripeEvent, User
from tests.demo.stubs import StripeStub, make_event, signed_webhook

DEEP = 100_000

#: (name, raw body): each is malformed as a whole, whatever its fields say.
MALFORMED = [
    ("nested 100,000 deep", b"[" * DEEP + b"]" * DEEP),
    ("a field nested 100,000 deep", b'{"product": ' + b"[" * DEEP + b"]" * DEEP + b"}"),
    ("nested 33 deep", b'{"product": ' + b"[" * 33 + b"]" * 33 + b"}"),
    ("lone surrogate in product", b'{"product": "coffee-mug\\ud800"}'),
    (
        "lone surrogate in payment_method",
        b'{"product": "coffee-mug", "payment_method": "pm_card_visa\\udfff"}',
    ),
    ("lone surrogate in a key", b'{"product": "coffee-mug", "\\udc00": 1}'),
    ("NaN", b'{"product": "coffee-mug", "payment_method": NaN}'),
    ("not UTF-8", b'{"product": "caf\xe9"}'),
    ("UTF-16", '{"product": "coffee-mug"}'.encode("utf-16")),
]


def counts(app) -> tuple[int, int, int]:
    """(orders, users, webhook events) in the database."""
    with app.app_context():
        return tuple(  # type: ignore[return-value]
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Order, User, StripeEvent)
        )


@pytest.mark.parametrize(("name", "raw"), MALFORMED, ids=[name for name, _ in MALFORMED])
def test_a_malformed_order_is_a_400_and_nothing_is_stored_or_sent(
    app, client, auth, rsps, name, raw
):
    stripe = StripeStub(rsps)
    auth.login()
    before = counts(app)
    response = client.post("/api/orders", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400, (name, response.get_data(as_text=True)[:300])
    error = response.get_json()["error"]
    assert error["code"] == "invalid_json" and error["message"]
    assert counts(app) == before  # no orphan pending order
    assert stripe.calls == []


@pytest.mark.parametrize(("name", "raw"), MALFORMED, ids=[name for name, _ in MALFORMED])
def test_a_malformed_refund_is_a_400_and_the_order_stays_paid(app, client, auth, rsps, name, raw):
    stripe = StripeStub(rsps)
    auth.login()
    order = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    ).get_json()
    response = client.post(
        f"/api/orders/{order['id']}/refund",
        data=raw,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400, name
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert client.get(f"/api/orders/{order['id']}").get_json()["status"] == "paid"
    assert stripe.posts("/v1/refunds") == []


def test_a_refund_takes_no_fields(client, auth, rsps):
    stripe = StripeStub(rsps)
    auth.login()
    order = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    ).get_json()
    response = client.post(f"/api/orders/{order['id']}/refund", json={"amount": 1})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"amount": "Unknown field."}
    assert stripe.posts("/v1/refunds") == []


@pytest.mark.parametrize("key", ["tab\tkey", "caf\u00e9", "\x00", "bell\x07", "k" * 256], ids=repr)
def test_an_idempotency_key_that_is_not_printable_ascii_is_refused_before_anything(
    app, client, auth, rsps, key
):
    stripe = StripeStub(rsps)
    auth.login()
    response = client.post(
        "/api/orders",
        json={"product": "coffee-mug"},
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["error"]["fields"]
    assert counts(app)[0] == 0 and stripe.calls == []


def test_every_field_is_checked_before_the_product_is_looked_up(app, client, auth, rsps):
    stripe = StripeStub(rsps)
    auth.login()
    response = client.post(
        "/api/orders",
        json={"product": "unicorn", "payment_method": ["pm_card_visa"], "coupon": "FREE"},
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"product", "payment_method", "coupon"}
    assert counts(app)[0] == 0 and stripe.calls == []


# ---- webhooks: signed, but still malformed ---------------------------------------------------


@pytest.fixture
def pending_order(app, client, auth, rsps):
    StripeStub(rsps)
    auth.login()
    order = client.post("/api/orders", json={"product": "hoodie"}).get_json()
    with app.app_context():
        reference = db.session.get(Order, order["id"]).reference
    return order["id"], reference


def test_a_signed_event_nested_100000_deep_is_a_400_and_changes_nothing(app, client):
    payload = '{"id": "evt_deep", "type": "x", "data": ' + "[" * DEEP + "]" * DEEP + "}"
    response = signed_webhook(client, payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_payload"
    assert counts(app)[2] == 0


def test_a_signed_event_with_a_lone_surrogate_is_a_400_and_changes_nothing(
    app, client, pending_order
):
    order_id, reference = pending_order
    event = make_event(
        "payment_intent.payment_failed",
        {
            "id": "pi_surrogate",
            "object": "payment_intent",
            "metadata": {"order_id": str(order_id), "order_ref": reference},
            "last_payment_error": {"message": "SURROGATE"},
        },
    )
    payload = json.dumps(event).replace("SURROGATE", "\\ud83d declined")
    response = signed_webhook(client, payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_payload"
    assert counts(app)[2] == 0
    assert client.get(f"/api/orders/{order_id}").get_json()["status"] == "pending"
