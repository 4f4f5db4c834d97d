"""The Billing example of docs/stripe.md, as written there."""

from __future__ import annotations

import stripe


def test_renewal_fails_then_retries(mockkit_stripe):  # type: ignore[no-untyped-def]
    mockkit_stripe.billing.retry_schedule = (1, 3)  # days after the previous attempt
    clock = stripe.test_helpers.TestClock.create(frozen_time=1_900_000_000)
    customer = stripe.Customer.create(
        test_clock=clock.id,
        payment_method="pm_card_chargeCustomerFail",
        invoice_settings={"default_payment_method": "pm_card_chargeCustomerFail"},
    )
    price = stripe.Price.create(
        product_data={"name": "Club"},
        unit_amount=1500,
        currency="usd",
        recurring={"interval": "month"},
    )
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], trial_period_days=7
    )
    stripe.test_helpers.TestClock.advance(clock.id, frozen_time=1_900_000_000 + 8 * 86400)
    assert stripe.Subscription.retrieve(sub.id).status == "past_due"
