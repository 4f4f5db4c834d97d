"""The membership in a real browser: subscribe on the Stripe fake's hosted Checkout page, cancel
in its billing portal.

The shop and the fakes are the offline demo (`tests/e2e/conftest.py`); the Stripe fake
delivers its webhooks to the shop, and the account page shows what they made of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_shop import new_buyer

pytestmark = pytest.mark.browser


def account_after_webhooks(page: Page, demo: Any) -> None:
    """Wait until the fake delivered every webhook so far, then open the account page."""
    assert demo.wait_for_webhooks(), "the fake did not finish delivering its webhooks"
    page.goto("/account")


def subscribe(page: Page, demo: Any, card: str = "pm_card_visa") -> None:
    """Press Become a member and pay on the hosted page with `card`."""
    page.goto("/account")
    expect(page.get_by_test_id("membership-status")).to_have_text("Not a member")
    page.get_by_test_id("become-member").click()
    expect(page.locator("#pay")).to_be_visible()
    assert page.url.startswith(demo.fakes.url("stripe") + "/"), page.url
    page.locator("#card").select_option(card)
    page.locator("#pay").click()


def test_subscribe_on_the_hosted_checkout_page(page: Page, demo: Any) -> None:
    new_buyer(page)
    subscribe(page, demo)
    expect(page.get_by_test_id("membership-welcome")).to_be_visible()
    assert page.url.startswith(demo.url + "/account?membership=welcome")
    account_after_webhooks(page, demo)
    expect(page.get_by_test_id("membership-status")).to_have_text("Active")
    expect(page.get_by_test_id("membership-period-end")).to_be_visible()
    expect(page.get_by_test_id("become-member")).to_have_count(0)


def test_a_declined_card_makes_no_member(page: Page, demo: Any) -> None:
    new_buyer(page)
    subscribe(page, demo, "pm_card_chargeDeclined")
    expect(page.locator("#error")).to_contain_text("Your card was declined.")
    page.locator("#cancel").click()
    expect(page.get_by_test_id("membership-checkout-canceled")).to_be_visible()
    account_after_webhooks(page, demo)
    expect(page.get_by_test_id("membership-status")).to_have_text("Not a member")
    expect(page.get_by_test_id("become-member")).to_be_visible()


def test_cancel_in_the_billing_portal_and_see_it_on_the_account_page(page: Page, demo: Any) -> None:
    new_buyer(page)
    subscribe(page, demo)
    account_after_webhooks(page, demo)
    expect(page.get_by_test_id("membership-status")).to_have_text("Active")

    page.get_by_test_id("manage-billing").click()
    assert page.url.startswith(demo.fakes.url("stripe") + "/"), page.url
    cancel = page.locator("[id^=cancel-sub_]")
    expect(cancel).to_have_count(1)
    cancel.click()
    expect(page.locator("#notice")).to_contain_text("will be canceled at the end of the billing")
    page.locator("#return").click()
    page.wait_for_url(demo.url + "/account")

    account_after_webhooks(page, demo)
    expect(page.get_by_test_id("membership-status")).to_have_text("Active")
    expect(page.get_by_test_id("membership-ends")).to_contain_text("Cancels at period end on")
