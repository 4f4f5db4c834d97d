"""The offline demo shop in a real browser: log in, buy, decline, cancel, log out.

Everything runs on 127.0.0.1: the shop (the real app under werkzeug) and the Stripe, GitHub
and Google fakes served on loopback; the fake delivers Stripe's webhooks to the shop itself.
Buyers log in as a user made up for the test (typed on the consent page), so their order
lists hold only their own orders even though one shop serves every test of a worker.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

#: How long an order may take to reach its final status (webhook delivery is asynchronous).
SETTLE_SECONDS = 20.0


def login(
    page: Page, provider: str, *, pick: str | None = None, new_user: str | None = None
) -> None:
    """Log in through the fake's consent page, choosing a listed user or typing a new one."""
    page.goto("/")
    page.locator(f"#login-{provider}").click()
    expect(page.locator("#allow")).to_be_visible()
    if new_user is not None:
        page.locator("#new_user").fill(new_user)
    elif pick is not None:
        page.locator("#user").select_option(label=pick)
    page.locator("#allow").click()
    expect(page.locator("#logout")).to_be_visible()


def new_buyer(page: Page) -> str:
    """Log in with GitHub as a user no other test uses; returns the login."""
    name = f"buyer-{uuid.uuid4().hex[:8]}"
    login(page, "github", new_user=name)
    return name


def open_checkout(page: Page, demo: Any, slug: str = "sticker-pack") -> None:
    """Click Buy on the home page and land on the Stripe fake's hosted payment page."""
    page.goto("/")
    page.get_by_test_id(f"buy-{slug}").click()
    expect(page.locator("#pay")).to_be_visible()
    assert page.url.startswith(demo.fakes.url("stripe") + "/"), page.url


def wait_for_status(page: Page, expected: str, timeout: float = SETTLE_SECONDS) -> None:
    """Reload the order page until its status reads `expected` (the webhook lands async)."""
    status = page.get_by_test_id("order-status").first
    deadline = time.monotonic() + timeout
    while True:
        try:
            expect(status).to_have_text(expected, timeout=300)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            page.reload()


def latest_order(page: Page) -> None:
    """Go to the buyer's newest order."""
    page.goto("/orders")
    page.locator("#orders tbody tr a").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Order #\d+$"))).to_be_visible()


# --------------------------------------------------------------------------------------------
# Login and logout
# --------------------------------------------------------------------------------------------


def test_login_with_github(page: Page, demo: Any) -> None:
    page.goto("/")
    page.locator("#login-github").click()
    # The fake's consent page, served by the GitHub fake, names the shop's client.
    assert page.url.startswith(demo.fakes.url("github") + "/login/oauth/authorize?")
    expect(page.locator("#client")).to_have_text("mockkit-demo-shop")
    page.locator("#user").select_option(label="octocat (The Octocat)")
    page.locator("#allow").click()

    assert page.url.rstrip("/") == demo.url
    expect(page.locator("#flash")).to_contain_text("Signed in as The Octocat.")
    expect(page.get_by_test_id("user-name")).to_have_text("The Octocat")
    expect(page.locator("#login-github")).to_have_count(0)


def test_login_with_google(page: Page, demo: Any) -> None:
    page.goto("/")
    page.locator("#login-google").click()
    assert page.url.startswith(demo.fakes.url("google") + "/")
    page.locator("#user").select_option(label="Bob Example <bob@example.com>")
    page.locator("#allow").click()

    expect(page.locator("#flash")).to_contain_text("Signed in as Bob Example.")
    expect(page.get_by_test_id("user-name")).to_have_text("Bob Example")
    page.locator("#account-link").click()
    expect(page.locator("main")).to_contain_text("bob@example.com")


def test_denying_consent_leaves_you_logged_out(page: Page, demo: Any) -> None:
    page.goto("/")
    page.locator("#login-github").click()
    page.locator("#deny").click()

    assert page.url.startswith(demo.url)
    expect(page.locator("#flash")).to_contain_text("Login was cancelled.")
    expect(page.locator("#login-github")).to_be_visible()
    expect(page.locator("#logout")).to_have_count(0)


def test_logout(page: Page) -> None:
    login(page, "google", pick="Alice Example <alice@example.com>")
    page.locator("#logout").click()

    expect(page.locator("#flash")).to_contain_text("Signed out.")
    expect(page.locator("#login-google")).to_be_visible()
    page.goto("/orders")
    expect(page).to_have_url(re.compile(r"/login\?next=/orders$"))


# --------------------------------------------------------------------------------------------
# Checkout on the Stripe fake's hosted page
# --------------------------------------------------------------------------------------------


def test_buy_and_see_the_order_paid_after_the_webhook(page: Page, demo: Any) -> None:
    new_buyer(page)
    open_checkout(page, demo, "coffee-mug")
    expect(page.locator("#total")).to_have_text("$15.00")
    page.locator("#card").select_option("pm_card_visa")
    page.locator("#pay").click()

    expect(page.locator("#checkout-success")).to_be_visible()
    assert page.url.startswith(demo.url + "/checkout/success?session_id=cs_")
    wait_for_status(page, "paid")
    page.get_by_test_id("view-order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("paid")
    expect(page.get_by_test_id("refund")).to_be_visible()


def test_declined_card_shows_the_decline_and_leaves_the_order_unpaid(page: Page, demo: Any) -> None:
    new_buyer(page)
    open_checkout(page, demo)
    page.locator("#card").select_option("pm_card_chargeDeclined")
    page.locator("#pay").click()

    # Still on the payment page, with the decline message; another card may be tried.
    expect(page.locator("#error")).to_contain_text("Your card was declined.")
    expect(page.locator("#pay")).to_be_visible()
    assert page.url.startswith(demo.fakes.url("stripe"))

    assert demo.wait_for_webhooks(), "the fake did not finish delivering its webhooks"
    latest_order(page)
    expect(page.get_by_test_id("order-status")).not_to_have_text("paid")
    expect(page.get_by_test_id("order-status")).to_have_text("failed")
    expect(page.get_by_test_id("order-reason")).to_contain_text("Your card was declined.")
    expect(page.get_by_test_id("refund")).to_have_count(0)


def test_cancel_on_the_hosted_page_returns_to_the_shop(page: Page, demo: Any) -> None:
    new_buyer(page)
    open_checkout(page, demo, "hoodie")
    page.locator("#cancel").click()

    assert page.url.startswith(demo.url + "/checkout/cancel?order_id=")
    expect(page.locator("#checkout-cancel")).to_be_visible()
    expect(page.locator("main")).to_contain_text("You have not been charged.")
    # Coming back changes nothing by itself; the customer cancels with the form.
    expect(page.get_by_test_id("order-status")).to_have_text("pending")
    page.get_by_test_id("cancel-order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("canceled")
    expect(page.locator("#flash")).to_contain_text("You have not been charged.")
    expect(page.get_by_test_id("cancel-order")).to_have_count(0)
    page.locator("#home-link").click()
    expect(page.get_by_test_id("buy-hoodie")).to_be_visible()


def test_a_declined_customer_can_pay_with_another_card(page: Page, demo: Any) -> None:
    new_buyer(page)
    open_checkout(page, demo)
    page.locator("#card").select_option("pm_card_chargeDeclinedInsufficientFunds")
    page.locator("#pay").click()
    expect(page.locator("#error")).to_contain_text("insufficient funds")

    page.locator("#card").select_option("pm_card_mastercard")
    page.locator("#pay").click()
    expect(page.locator("#checkout-success")).to_be_visible()
    wait_for_status(page, "paid")


def test_3d_secure_card_ends_paid(page: Page, demo: Any) -> None:
    new_buyer(page)
    open_checkout(page, demo)
    page.locator("#card").select_option("pm_card_threeDSecure2Required")
    page.locator("#pay").click()

    # Checkout authenticates the card on its own page; a challenge, if shown, is completed.
    success = page.locator("#checkout-success")
    expect(success.or_(page.locator("#complete"))).to_be_visible()
    if page.locator("#complete").count():
        page.locator("#complete").click()
    expect(success).to_be_visible()
    wait_for_status(page, "paid")
