"""The README's Stripe example, as written there (with a tiny webhook endpoint as `client`)."""

from __future__ import annotations

import pytest
import stripe
from flask import Flask, request
from flask.testing import FlaskClient

from mockkit.stripe import StripeFake


@pytest.fixture
def client(mockkit_stripe: StripeFake) -> FlaskClient:
    app = Flask(__name__)

    @app.post("/webhooks/stripe")
    def hook() -> tuple[str, int]:
        stripe.Webhook.construct_event(
            request.get_data(), request.headers["Stripe-Signature"], mockkit_stripe.webhook_secret
        )
        return "", 200

    return app.test_client()


def test_decline_then_pay(mockkit_stripe, client):  # type: ignore[no-untyped-def]
    pi = stripe.PaymentIntent.create(
        amount=2000, currency="usd", allowed_payment_method_types=["card"]
    )
    with pytest.raises(stripe.CardError) as declined:
        stripe.PaymentIntent.confirm(pi.id, payment_method="pm_card_chargeDeclined")
    assert declined.value.error.decline_code == "generic_decline"
    assert stripe.PaymentIntent.retrieve(pi.id).status == "requires_payment_method"

    paid = stripe.PaymentIntent.confirm(pi.id, payment_method="pm_card_visa")
    assert paid.status == "succeeded" and paid.amount_received == 2000
    assert mockkit_stripe.events[-1]["type"] == "payment_intent.succeeded"
    # every event so far, POSTed and signed with mockkit_stripe.webhook_secret
    assert all(d.ok for d in mockkit_stripe.deliver(client, path="/webhooks/stripe"))
