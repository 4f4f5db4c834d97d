"""A promotion code typed on the Stripe fake's hosted Checkout page, in a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake, StripeServer
from tests.e2e.conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser

KEY = "sk_test_codes_browser"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    """A served Stripe fake, stripe-python pointed at it."""
    with StripeFake(KEY).serve() as server:
        monkeypatch.setattr(stripe, "api_key", KEY)
        monkeypatch.setattr(stripe, "api_base", server.url)
        yield server


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_a_wrong_code_then_a_right_one_then_subscribe(served: StripeServer, tab: Any) -> None:
    from playwright.sync_api import expect

    coupon = stripe.Coupon.create(percent_off=20, duration="once")
    stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id}, code="WELCOME")
    price = stripe.Price.create(
        product_data={"name": "Club"},
        unit_amount=1500,
        currency="usd",
        recurring={"interval": "month"},
    )
    done = served.url + "/"
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
