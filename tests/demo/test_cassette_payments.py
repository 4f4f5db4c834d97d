"""The demo shop's payments replayed from committed cassettes, offline.

The cassettes under `cassettes/test_cassette_payments/` were recorded against the local
sandbox (mockkit's Stripe fake served on loopback) with

    MOCKKIT_RECORD_MODE=rewrite .venv/bin/python -m pytest -p no:xdist \\
        tests/demo/test_cassette_payments.py

and store the canonical host `https://api.stripe.com`: in replay (the default, and forced
under CI=true) the shop is configured for the real Stripe, the network is blocked, and the
cassette answers. The same tests re-record against Stripe test mode with
`MOCKKIT_SANDBOX=provider STRIPE_API_KEY=sk_test_...`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from demo_app.db import db
from demo_app.models import Order
from tests.demo.harness import TEST_CONFIG, AuthActions

STRIPE = "https://api.stripe.com"

# Every test here uses its own cassette; the shop's configured secrets are handed to the leak
# gate, which refuses to write a cassette holding any of them.
pytestmark = pytest.mark.mockkit_cassette(
    secrets={
        "STRIPE_API_KEY": TEST_CONFIG["STRIPE_API_KEY"],
        "STRIPE_WEBHOOK_SECRET": TEST_CONFIG["STRIPE_WEBHOOK_SECRET"],
        "SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
    }
)


@pytest.fixture(autouse=True)
def _fixed_references(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Orders get a fixed reference here, so the requests match what the cassette recorded.

    The shop's references are random on purpose (they name the order in Stripe's metadata
    and Idempotency-Keys); a replayed cassette is one fixed run, so it pins them.
    """
    import demo_app.billing

    monkeypatch.setattr(demo_app.billing, "new_token", lambda: f"cassette-{request.node.name}")


@pytest.fixture
def shop(app_factory: Callable[..., Flask], mockkit_sandbox: Any) -> Flask:
    """The demo shop pointed at Stripe (replay) or at the sandbox being recorded."""
    key = os.environ.get("STRIPE_API_KEY") if not mockkit_sandbox.local else None
    overrides: dict[str, Any] = {"STRIPE_API_BASE": mockkit_sandbox.url(STRIPE)}
    if key and not mockkit_sandbox.cassette.replaying:
        overrides["STRIPE_API_KEY"] = key  # recording against Stripe test mode
    return app_factory(**overrides)


def _orders(app: Flask) -> list[Order]:
    with app.app_context():
        return list(db.session.scalars(select(Order)))


def test_checkout_sends_the_customer_to_stripe(shop: Flask) -> None:
    client = shop.test_client()
    AuthActions(shop, client).login()
    response = client.post("/checkout/coffee-mug")
    assert response.status_code == 303
    # A Checkout page URL on Stripe's host (in replay: the canonical host the cassette keeps).
    assert "/c/pay/cs_" in response.headers["Location"]
    [order] = _orders(shop)
    assert order.status == "pending"
    assert order.checkout_session_id and order.checkout_session_id.startswith("cs_")
    assert order.amount == 1500


def test_an_api_order_paid_with_a_card_is_paid(shop: Flask) -> None:
    client = shop.test_client()
    AuthActions(shop, client).login()
    response = client.post(
        "/api/orders", json={"product": "hoodie", "payment_method": "pm_card_visa"}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["status"] == "paid"
    [order] = _orders(shop)
    assert order.status == "paid" and (order.payment_intent_id or "").startswith("pi_")


def test_a_declined_card_fails_the_order(shop: Flask) -> None:
    client = shop.test_client()
    AuthActions(shop, client).login()
    response = client.post(
        "/api/orders", json={"product": "sticker-pack", "payment_method": "pm_card_chargeDeclined"}
    )
    assert response.status_code == 402, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "card_declined"
    [order] = _orders(shop)
    assert order.status == "failed"
    assert "declined" in (order.failure_reason or "").lower()
