"""Billing over loopback HTTP: StripeClient against a served fake, forwarded signed webhooks."""

from __future__ import annotations

import json
from typing import Any

import requests
import stripe

from mockkit.stripe import StripeServer
from mockkit.transport import LoopbackServer
from tests.stripe.billing_helpers import at
from tests.stripe.test_webhooks import Collector

KEY = "sk_test_mockkit_billing_served"


def test_a_year_of_a_subscription_served_with_signed_webhooks(
    mockkit_stripe_server: StripeServer,
) -> None:
    fake = mockkit_stripe_server.fake
    client = stripe.StripeClient(KEY, base_addresses={"api": mockkit_stripe_server.url})
    v1: Any = client.v1
    collector = Collector()
    with LoopbackServer(collector) as hooks:
        forwarder = fake.forward_webhooks(hooks.url + "/stripe", backoff=0.0)
        start = at(2032, 5, 31, 10)
        clock = v1.test_helpers.test_clocks.create(params={"frozen_time": start})
        cus = v1.customers.create(
            params={
                "test_clock": clock.id,
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )
        price = v1.prices.create(
            params={
                "product_data": {"name": "Club"},
                "unit_amount": 1500,
                "currency": "eur",
                "recurring": {"interval": "month"},
            }
        )
        sub = v1.subscriptions.create(
            params={"customer": cus.id, "items": [{"price": price.id}], "trial_period_days": 7}
        )
        assert sub.status == "trialing"
        for month in range(7, 13):
            v1.test_helpers.test_clocks.advance(
                clock.id, params={"frozen_time": at(2032, month, 2)}
            )
        invoices = v1.invoices.list(params={"subscription": sub.id, "limit": 100}).data
        assert len(invoices) == 7  # the trial's, then six months
        assert [i.status for i in invoices] == ["paid"] * 7
        assert sum(i.amount_paid for i in invoices) == 6 * 1500
        assert forwarder.wait(10)
        fake.stop_forwarding()
    received = [
        stripe.Webhook.construct_event(body, header, fake.webhook_secret)
        for body, header in collector.received
    ]
    kinds = [e.type for e in received]
    assert kinds.count("invoice.paid") == 7
    assert "customer.subscription.trial_will_end" in kinds
    ended = next(
        e
        for e in received
        if e.type == "customer.subscription.updated"
        and e.data.to_dict().get("previous_attributes", {}).get("status") == "trialing"
    )
    assert ended.data.object.status == "active"
    assert [e.type for e in received[:1]] == ["test_helpers.test_clock.created"]
    assert json.loads(collector.received[-1][0])["type"] == "test_helpers.test_clock.ready"


def test_setup_intent_three_d_secure_page_served(mockkit_stripe_server: StripeServer) -> None:
    cus = stripe.Customer.create()
    si = stripe.SetupIntent.create(
        customer=cus.id,
        payment_method="pm_card_threeDSecure2Required",
        confirm=True,
        return_url="https://shop.example/saved",
    )
    url = si.next_action.redirect_to_url.url
    assert url.startswith(mockkit_stripe_server.url)
    assert "saving this card" in requests.get(url, timeout=5).text
    back = requests.post(url, data={"action": "complete"}, allow_redirects=False, timeout=5)
    assert back.status_code == 303
    assert back.headers["Location"].startswith("https://shop.example/saved?setup_intent=" + si.id)
    assert stripe.SetupIntent.retrieve(si.id).status == "succeeded"
    assert stripe.PaymentMethod.retrieve(si.payment_method).customer == cus.id
