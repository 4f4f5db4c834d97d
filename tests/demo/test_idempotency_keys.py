"""Stripe Idempotency-Keys and webhook matching that survive a database reset and a second shop.

Order ids start at 1 in every shop and again after `init-db --drop`; Stripe keeps an
Idempotency-Key for 24 hours per account. Keys built from order ids made shop B's first order
replay shop A's payment (marked paid, nobody charged) or fail for a day. Each order now has a
random reference, stored with it: its keys and its `order_ref` metadata derive from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from demo_app.db import db
from demo_app.models import Order
from mockkit.stripe import StripeFake
from tests.demo.harness import TEST_CONFIG, AuthActions

HOOK = "/webhooks/stripe"


@pytest.fixture
def stripe_fake() -> Iterator[StripeFake]:
    """One Stripe test account, shared by every shop in the test."""
    with StripeFake(webhook_secret=TEST_CONFIG["STRIPE_WEBHOOK_SECRET"]) as fake:
        yield fake


@pytest.fixture
def two_shops(app_factory: Callable[..., Flask], stripe_fake: StripeFake) -> list[FlaskClient]:
    """Two shops (their own databases) on the same Stripe account and key, one buyer each."""
    clients = []
    for _ in range(2):
        app = app_factory()
        client = app.test_client()
        AuthActions(app, client).login()
        clients.append(client)
    return clients


def buy(client: FlaskClient, product: str = "coffee-mug", card: str | None = "pm_card_visa"):
    body = {"product": product, **({"payment_method": card} if card else {})}
    response = client.post("/api/orders", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def succeeded(fake: StripeFake) -> list[dict]:
    return [pi for pi in fake.payment_intents.values() if pi["status"] == "succeeded"]


def test_two_shops_first_orders_are_two_payments(two_shops, stripe_fake):
    a, b = (buy(client) for client in two_shops)
    assert a["id"] == b["id"] == 1
    assert a["status"] == b["status"] == "paid"
    assert a["payment_intent"] != b["payment_intent"]
    assert len(succeeded(stripe_fake)) == 2  # both customers were charged
    assert sum(pi["amount"] for pi in succeeded(stripe_fake)) == 2 * 1500


def test_two_shops_first_orders_for_different_products_both_go_through(two_shops, stripe_fake):
    a = buy(two_shops[0], "coffee-mug")
    b = buy(two_shops[1], "hoodie")  # the same key with other parameters: Stripe refuses it
    assert (a["id"], b["id"]) == (1, 1)
    assert sorted(pi["amount"] for pi in succeeded(stripe_fake)) == [1500, 4500]


def test_two_shops_first_checkouts_are_two_sessions(two_shops, stripe_fake):
    locations = [client.post("/checkout/coffee-mug").headers["Location"] for client in two_shops]
    assert locations[0] != locations[1]
    assert len(stripe_fake.checkout_sessions) == 2


def test_two_shops_refunding_their_first_orders_refund_both(two_shops, stripe_fake):
    orders = [buy(client) for client in two_shops]
    for client, order in zip(two_shops, orders, strict=True):
        answer = client.post(f"/api/orders/{order['id']}/refund", json={})
        assert answer.get_json()["status"] == "refunded"
    assert len(stripe_fake.refunds) == 2
    assert {r["payment_intent"] for r in stripe_fake.refunds.values()} == {
        o["payment_intent"] for o in orders
    }


def test_an_order_after_init_db_drop_is_charged_again(app, client, auth, stripe_fake):
    auth.login()
    first = buy(client)
    runner = app.test_cli_runner()
    assert "Initialized" in runner.invoke(args=["init-db", "--drop"]).output
    assert "Seeded 3" in runner.invoke(args=["seed"]).output
    auth.login()
    second = buy(client)
    assert first["id"] == second["id"] == 1
    assert second["payment_intent"] != first["payment_intent"]
    assert len(succeeded(stripe_fake)) == 2


def test_another_shops_webhooks_never_touch_this_shops_orders(two_shops, stripe_fake):
    """Both shops listen to the account's events: A's payment for its order 1 arrives at B."""
    shop_a, shop_b = two_shops
    b_order = buy(shop_b, card=None)  # B's order 1 waits for its customer to pay
    assert b_order["status"] == "pending"
    buy(shop_a)  # A's order 1 is paid
    for shop in (shop_a, shop_b):
        deliveries = stripe_fake.deliver(shop, path=HOOK)
        assert {d.status for d in deliveries} == {200}
    assert shop_b.get(f"/api/orders/{b_order['id']}").get_json()["status"] == "pending"
    assert shop_a.get("/api/orders/1").get_json()["status"] == "paid"


def test_a_retry_of_the_same_attempt_reuses_the_stored_key(app, client, stripe_fake):
    from mockkit.errors import read_timeout

    AuthActions(app, client).login()
    stripe_fake.inject(read_timeout(), method="POST", path="/v1/payment_intents", times=1)
    headers = {"Idempotency-Key": "buy-button-1"}
    body = {"product": "coffee-mug", "payment_method": "pm_card_visa"}
    first = client.post("/api/orders", json=body, headers=headers)
    assert first.status_code == 504
    second = client.post("/api/orders", json=body, headers=headers)
    assert (second.status_code, second.get_json()["status"]) == (201, "paid")
    with app.app_context():
        reference = db.session.scalar(select(Order.reference))
    keys = [r.idempotency_key for r in stripe_fake.request_log if r.path == "/v1/payment_intents"]
    assert keys == [f"demo-{reference}-create-pi"] * 2
    assert len(succeeded(stripe_fake)) == 1
