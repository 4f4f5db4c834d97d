"""A promotion code typed on the Stripe fake's hosted Checkout page, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeServer

pytestmark = pytest.mark.browser


def test_a_wrong_code_then_a_right_one_then_subscribe(
    served_stripe: StripeServer, tab: Any
) -> None:
    from playwright.sync_api import expect

    coupon = stripe.Coupon.create(percent_off=20, duration="once")
    stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id}, code="WELCOME")
    price = stripe.Price.create(
        product_data={"name": "Club"},
        unit_amount=1500,
        currency="usd",
        recurring={"interval": "month"},
    )
    done = served_stripe.url + "/"
    session = stripe.checkout.Session.create(
        mode="subscription",
        success_url=done,
        line_items=[{"price": price.id, "quantity": 1}],
        allow_promotion_codes=True,
    )
    tab.goto(session.url)
    expect(tab.locator("#total")).to_have_text("$15.00")
    tab.locator("#promotion-code").fill("NOPE")
    tab.locator("#apply-code").click()
    expect(tab.locator("#code-error")).to_have_text("This code is invalid.")
    expect(tab.locator("#total")).to_have_text("$15.00")
    tab.locator("#promotion-code").fill("welcome")
    tab.locator("#apply-code").click()
    expect(tab.locator("#discount")).to_contain_text("-$3.00")
    expect(tab.locator("#total")).to_have_text("$12.00")
    tab.locator("#email").fill("member@example.com")
    tab.locator("#pay").click()
    tab.wait_for_url(done)
    paid = stripe.checkout.Session.retrieve(session.id)
    assert (paid.status, paid.amount_total) == ("complete", 1200)
    assert stripe.Invoice.retrieve(paid.invoice).amount_paid == 1200
