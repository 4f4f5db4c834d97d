"""The demo shop's payments and webhooks against mockkit's stateful Stripe fake.

The app runs unmodified: its own `stripe.StripeClient` talks to the fake (in-process, or over
loopback when served), and the events the fake emitted are delivered, signed with the secret
the app is configured with, to its real `POST /webhooks/stripe`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from demo_app.db import db
from demo_app.models import Order, StripeEvent
from mockkit.http import Request, Response
from mockkit.stripe import CheckoutError, StripeFake
from mockkit.stripe.errors import error_response
from mockkit.transport import no_retry_sleep

HOOK = "/webhooks/stripe"


class Outage:
    """Stripe answering 500 `api_error` (a fault for `fake.inject`)."""

    def respond(self, request: Request) -> Response:
        return error_response(500, "api_error", "Something went wrong on Stripe's end.")


@pytest.fixture
def stripe_fake() -> Iterator[StripeFake]:
    """An in-process Stripe fake for the shop."""
    with StripeFake() as fake:
        yield fake


@pytest.fixture
def shop(app_factory: Callable[..., Flask], stripe_fake: StripeFake) -> Flask:
    """The demo shop configured for the fake (its key and its webhook secret)."""
    return app_factory(
        STRIPE_API_KEY="sk_test_demo_shop",
        STRIPE_API_BASE="https://api.stripe.com",
        STRIPE_WEBHOOK_SECRET=stripe_fake.webhook_secret,
    )


@pytest.fixture
def buyer(shop: Flask) -> FlaskClient:
    """A logged-in test client of `shop`."""
    from tests.demo.harness import AuthActions

    client = shop.test_client()
    AuthActions(shop, client).login(email="buyer@example.com")
    return client


def order_row(app: Flask, order_id: int) -> dict[str, Any]:
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order is not None
        return order.to_json()


def only_order(app: Flask) -> dict[str, Any]:
    with app.app_context():
        orders = list(db.session.scalars(select(Order)))
        assert len(orders) == 1
        return orders[0].to_json()


def reference_of(app: Flask, order_id: int) -> str:
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order is not None
        return order.reference


def events_stored(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(StripeEvent)) or 0)


def test_api_order_with_a_good_card_is_paid_and_webhooks_agree(
    shop: Flask, buyer: FlaskClient, stripe_fake: StripeFake
) -> None:
    r = buyer.post("/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"})
    assert r.status_code == 201
    order = r.get_json()
    assert order["status"] == "paid"
    reference = reference_of(shop, order["id"])
    pi = stripe_fake.payment_intents[order["payment_intent"]]
    assert (pi["status"], pi["amount"], pi["metadata"]) == (
        "succeeded",
        1500,
        {"order_id": str(order["id"]), "order_ref": reference},
    )
    create = next(r for r in stripe_fake.request_log if r.path == "/v1/payment_intents")
    assert create.idempotency_key == f"demo-{reference}-create-pi"

    deliveries = stripe_fake.deliver(buyer, path=HOOK)
    assert [d.status for d in deliveries] == [200] * len(stripe_fake.events)
    assert order_row(shop, order["id"])["status"] == "paid"
    again = stripe_fake.deliver(buyer, path=HOOK, duplicate=True)
    assert all(d.status == 200 and '"duplicate":true' in d.body.replace(" ", "") for d in again)
    assert events_stored(shop) == len(stripe_fake.events)


@pytest.mark.parametrize(
    ("card", "code"),
    [
        ("pm_card_chargeDeclined", "generic_decline"),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
    ],
)
def test_api_order_with_a_declined_card_fails_with_the_reason(
    shop: Flask, buyer: FlaskClient, stripe_fake: StripeFake, card: str, code: str
) -> None:
    r = buyer.post("/api/orders", json={"product": "hoodie", "payment_method": card})
    assert r.status_code == 402
    order = only_order(shop)
    assert order["status"] == "failed"
    assert code in order["failure_reason"]
    assert stripe_fake.payment_intents[order["payment_intent"]]["status"] == (
        "requires_payment_method"
    )
    stripe_fake.deliver(buyer, path=HOOK)
    assert order_row(shop, order["id"])["status"] == "failed"


def test_retried_request_after_an_outage_charges_once(
    app_factory: Callable[..., Flask], stripe_fake: StripeFake
) -> None:
    from tests.demo.harness import AuthActions

    shop = app_factory(
        STRIPE_API_KEY="sk_test_demo_shop",
        STRIPE_WEBHOOK_SECRET=stripe_fake.webhook_secret,
        STRIPE_MAX_NETWORK_RETRIES=2,
    )
    client = shop.test_client()
    AuthActions(shop, client).login()
    rule = stripe_fake.inject(Outage(), method="POST", path="/v1/payment_intents")
    with no_retry_sleep() as sleeps:
        before = len(sleeps)
        r = client.post(
            "/api/orders", json={"product": "sticker-pack", "payment_method": "pm_card_visa"}
        )
        retried = len(sleeps) - before
    assert r.status_code == 201 and r.get_json()["status"] == "paid"
    assert rule.fired == 1 and retried == 1
    assert len(stripe_fake.payment_intents) == 1
    assert len(stripe_fake.events_of("charge.succeeded")) == 1


def test_checkout_completed_on_the_fake_pays_the_order(
    shop: Flask, buyer: FlaskClient, stripe_fake: StripeFake
) -> None:
    r = buyer.post("/checkout/coffee-mug")
    assert r.status_code == 303
    session_id = only_order(shop)["checkout_session"]
    assert r.headers["Location"].startswith(f"https://checkout.stripe.com/c/pay/{session_id}#")
    session = stripe_fake.checkout_sessions[session_id]
    assert session["customer_email"] == "buyer@example.com"
    assert session["amount_total"] == 1500

    stripe_fake.complete_checkout(session_id)
    stripe_fake.deliver(buyer, path=HOOK)
    order = only_order(shop)
    assert order["status"] == "paid"
    assert order["payment_intent"] == stripe_fake.checkout_sessions[session_id]["payment_intent"]
    page = buyer.get(f"/checkout/success?session_id={session_id}")
    assert page.status_code == 200


def test_out_of_order_events_cannot_unpay_an_order(
    shop: Flask, buyer: FlaskClient, stripe_fake: StripeFake
) -> None:
    buyer.post("/checkout/hoodie")
    session_id = only_order(shop)["checkout_session"]
    with pytest.raises(CheckoutError):
        stripe_fake.complete_checkout(session_id, "pm_card_chargeDeclined")
    stripe_fake.complete_checkout(session_id, "pm_card_visa")
    types = [e["type"] for e in stripe_fake.events]
    assert types.index("payment_intent.payment_failed") < types.index("payment_intent.succeeded")
    # Newest first: the success lands before the older failure.
    stripe_fake.deliver(buyer, path=HOOK, reverse=True)
    assert only_order(shop)["status"] == "paid"


def test_abandoned_checkout_is_canceled_and_expiry_changes_nothing_more(
    shop: Flask, buyer: FlaskClient, stripe_fake: StripeFake
) -> None:
    buyer.post("/checkout/sticker-pack")
    order = only_order(shop)
    cancel_url = stripe_fake.checkout_sessions[order["checkout_session"]]["cancel_url"]
    assert buyer.get(cancel_url).status_code == 200
    assert only_order(shop)["status"] == "pending"  # opening a page changes nothing
    assert buyer.post(f"/orders/{order['id']}/cancel").status_code == 302
    assert only_order(shop)["status"] == "canceled"
    # The shop expired the session at Stripe, so the page can no longer be paid; the
    # expiry event changes nothing more.
    assert stripe_fake.checkout_sessions[order["checkout_session"]]["status"] == "expired"
    with pytest.raises(CheckoutError):
        stripe_fake.complete_checkout(order["checkout_session"])
    assert stripe_fake.events[-1]["type"] == "checkout.session.expired"
    stripe_fake.deliver(buyer, path=HOOK)
    assert only_order(shop)["status"] == "canceled"


def test_a_session_stripe_expired_first_still_cancels(
    shop: Flask, buyer: FlaskClient, stripe_fake: StripeFake
) -> None:
    buyer.post("/checkout/sticker-pack")
    order = only_order(shop)
    stripe.checkout.Session.expire(order["checkout_session"], api_key="sk_test_demo_shop")
    assert buyer.post(f"/orders/{order['id']}/cancel").status_code == 302
    assert only_order(shop)["status"] == "canceled"


def test_refund_through_the_api_and_the_charge_refunded_event(
    shop: Flask, buyer: FlaskClient, stripe_fake: StripeFake
) -> None:
    order = buyer.post(
        "/api/orders", json={"product": "hoodie", "payment_method": "pm_card_visa"}
    ).get_json()
    r = buyer.post(f"/api/orders/{order['id']}/refund", json={})
    assert r.status_code == 200
    refunded = r.get_json()
    assert refunded["status"] == "refunded" and refunded["refund"].startswith("re_")
    charge = stripe_fake.charges[
        stripe_fake.payment_intents[order["payment_intent"]]["latest_charge"]
    ]
    assert charge["refunded"] is True and charge["amount_refunded"] == 4500
    # Refunding twice reuses the order's refund key: Stripe replays, nothing is refunded twice.
    assert buyer.post(f"/api/orders/{order['id']}/refund", json={}).status_code == 200
    assert len(stripe_fake.refunds) == 1
    assert len(stripe_fake.payment_methods) == 1
    stripe_fake.deliver(buyer, path=HOOK)
    assert order_row(shop, order["id"])["status"] == "refunded"


@pytest.mark.parametrize("fault", ["bad_signature", "old"])
def test_untrusted_webhooks_change_nothing(
    shop: Flask, buyer: FlaskClient, stripe_fake: StripeFake, fault: str
) -> None:
    buyer.post("/checkout/coffee-mug")
    stripe_fake.complete_checkout(only_order(shop)["checkout_session"])
    results = stripe_fake.deliver(buyer, path=HOOK, **{fault: True})
    assert {d.status for d in results} == {400}
    assert only_order(shop)["status"] == "pending"
    assert events_stored(shop) == 0


def test_shop_against_the_served_fake(app_factory: Callable[..., Flask]) -> None:
    from tests.demo.harness import AuthActions

    fake = StripeFake()
    with no_retry_sleep(), fake.serve() as server:
        shop = app_factory(
            STRIPE_API_KEY="sk_test_demo_shop",
            STRIPE_API_BASE=server.url,
            STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
        )
        client = shop.test_client()
        AuthActions(shop, client).login()
        r = client.post("/checkout/coffee-mug")
        assert r.headers["Location"].startswith(server.url + "/c/pay/cs_test_")
        order = only_order(shop)
        fake.complete_checkout(order["checkout_session"], "pm_card_mastercard")
        assert {d.status for d in fake.deliver(client, path=HOOK)} == {200}
        assert only_order(shop)["status"] == "paid"
