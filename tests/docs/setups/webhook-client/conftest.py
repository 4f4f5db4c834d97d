"""Setup `webhook-client`: `client`, the test client of a minimal app that receives Stripe webhooks.

Stands for "your Flask app's test client" in examples that deliver the fake's events: its
`/webhooks/stripe` verifies each signature with the fake's secret, as a real endpoint would.
"""

import pytest
import stripe
from flask import Flask, request


@pytest.fixture
def client(mockkit_stripe):
    app = Flask(__name__)

    @app.post("/webhooks/stripe")
    def hook():
        signature = request.headers.get("Stripe-Signature", "")
        try:
            stripe.Webhook.construct_event(request.data, signature, mockkit_stripe.webhook_secret)
        except stripe.SignatureVerificationError:
            return "", 400
        return "", 200

    return app.test_client()
