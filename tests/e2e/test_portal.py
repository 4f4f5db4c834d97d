"""The Stripe fake's customer portal in a real browser: open a session, cancel, go back.

Runs against a served `StripeFake` alone (no demo shop): the session is created through
stripe-python, its `url` opened in Chromium, and the effect read back through the SDK.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeServer

pytestmark = pytest.mark.browser


def test_cancel_a_subscription_in_the_portal_and_return(
    served_stripe: StripeServer, tab: Any
) -> None:
    from playwright.sync_api import expect

    customer = stripe.Customer.create(
        email="member@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    price = stripe.Price.create(
        product_data={"name": "Club membership"},
        unit_amount=1500,
        currency="usd",
        recurring={"interval": "month"},
    )
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}])
    back = served_stripe.url + "/"
    session = stripe.billing_portal.Session.create(customer=customer.id, return_url=back)

    tab.goto(session.url)
    block = tab.locator(f"#sub-{sub.id}")
    expect(block).to_contain_text("Club membership: $15.00 / month")
    expect(block.locator(".status")).to_have_text("active")
    expect(tab.locator("#current-card")).to_contain_text("4242")
    tab.locator(f"#cancel-{sub.id}").click()
    expect(tab.locator("#notice")).to_contain_text("will be canceled at the end of the billing")
    expect(block).to_contain_text("cancels on")
    expect(tab.locator(f"#cancel-{sub.id}")).to_have_count(0)
    assert stripe.Subscription.retrieve(sub.id).cancel_at_period_end is True
    assert [e["type"] for e in served_stripe.fake.events][-1] == "customer.subscription.updated"

    tab.locator("#return").click()
    tab.wait_for_url(back)
    assert tab.url == back
