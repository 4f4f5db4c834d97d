"""The membership, through the real app, the real stripe-python and mockkit's Stripe fake.

The shop runs unmodified: "Become a member" creates the customer (on a test clock, through
the shop's `STRIPE_TEST_CLOCK` test setting) and a Checkout Session in subscription mode; the
fake's `complete_checkout` is the customer paying on Stripe's page; advancing the test clock
runs renewals and payment retries; the events the fake emitted are delivered signed to the
shop's `POST /webhooks/stripe`, as the other demo tests deliver them. What is checked is what
the member sees on the account page, against what Stripe holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import stripe
from flask import Flask
from sqlalchemy import func, select

from demo_app.db import db
from demo_app.membership import NO_SUBSCRIPTION, format_date, store_state
from demo_app.models import Membership, StripeEvent
from mockkit import errors
from mockkit.stripe import CheckoutError, StripeFake
from tests.demo.harness import AuthActions

HOOK = "/webhooks/stripe"
START = 1_900_000_000  # the test clock's start: 2030-03-17 17:46:40 UTC
DAY = 86400
STATUS = re.compile(r'data-testid="membership-status" data-status="([a-z_]+)"')


@pytest.fixture
def stripe_fake() -> Iterator[StripeFake]:
    """An in-process Stripe fake; the shop's own `StripeClient` talks to it unmodified."""
    with StripeFake() as fake:
        yield fake


@pytest.fixture
def dashboard(stripe_fake: StripeFake) -> stripe.StripeClient:
    """What the test does on Stripe's side (test clocks, reading objects), through the SDK."""
    return stripe.StripeClient("sk_test_demo_shop")


@pytest.fixture
def clock(dashboard: stripe.StripeClient) -> Any:
    """A Stripe test clock the shop puts its customers on."""
    return dashboard.v1.test_helpers.test_clocks.create(params={"frozen_time": START})


@pytest.fixture
def shop(app_factory: Callable[..., Flask], stripe_fake: StripeFake, clock: Any) -> Flask:
    """The demo shop on the fake, its new Stripe customers on the test clock."""
    return app_factory(STRIPE_WEBHOOK_SECRET=stripe_fake.webhook_secret, STRIPE_TEST_CLOCK=clock.id)


class Member:
    """A logged-in customer of the shop, and the webhooks Stripe sends as time passes."""

    def __init__(
        self, shop: Flask, fake: StripeFake, dashboard: stripe.StripeClient, clock: Any
    ) -> None:
        self.shop = shop
        self.fake = fake
        self.dashboard = dashboard
        self.clock = clock
        self.client = shop.test_client()
        self.user_id = AuthActions(shop, self.client).login(email="member@example.com")
        self.delivered = 0

    def become_member(self) -> str:
        """Press "Become a member"; the Checkout Session id Stripe's page is for."""
        response = self.client.post("/membership/checkout")
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        location = response.headers["Location"]
        assert location.startswith("https://checkout.stripe.com/c/pay/cs_test_")
        return location.partition("#")[0].rsplit("/", 1)[1]

    def subscribe(self, card: str = "pm_card_visa") -> dict[str, Any]:
        """Become a member, pay on Stripe's page and receive the webhooks; the subscription."""
        session_id = self.become_member()
        self.fake.complete_checkout(session_id, card)
        self.receive()
        return self.subscription()

    def receive(self, **options: Any) -> list[Any]:
        """Deliver the events emitted since the last delivery; each must be answered 200."""
        events = self.fake.events[self.delivered :]
        self.delivered = len(self.fake.events)
        deliveries = self.fake.deliver(self.client, events=events, path=HOOK, **options)
        assert [d.status for d in deliveries] == [200] * len(deliveries), [
            d.body for d in deliveries if d.status != 200
        ]
        return deliveries

    def advance_to(self, when: int) -> None:
        """Advance the test clock (Stripe runs what is due), then receive the webhooks."""
        self.dashboard.v1.test_helpers.test_clocks.advance(
            self.clock.id, params={"frozen_time": when}
        )
        self.receive()

    def row(self) -> Membership:
        with self.shop.app_context():
            row = db.session.scalar(select(Membership).filter_by(user_id=self.user_id))
            assert row is not None
            db.session.expunge(row)
            return row

    def subscription(self) -> dict[str, Any]:
        """The member's subscription as Stripe holds it."""
        subs = [
            s
            for s in self.fake.objects("subscription").values()
            if s["customer"] == self.row().stripe_customer_id
        ]
        assert len(subs) == 1
        return dict(subs[0])

    def page(self, path: str = "/account") -> str:
        response = self.client.get(path)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def status(self) -> str:
        found = STATUS.search(self.page())
        assert found is not None
        return found.group(1)


@pytest.fixture
def member(
    shop: Flask, stripe_fake: StripeFake, dashboard: stripe.StripeClient, clock: Any
) -> Member:
    return Member(shop, stripe_fake, dashboard, clock)


def period_end(subscription: dict[str, Any]) -> int:
    return int(subscription["items"]["data"][0]["current_period_end"])


def events_stored(shop: Flask) -> int:
    with shop.app_context():
        return int(db.session.scalar(select(func.count()).select_from(StripeEvent)) or 0)


# ---- subscribing ---------------------------------------------------------------------------


def test_becoming_a_member_through_checkout(member: Member, stripe_fake: StripeFake) -> None:
    page = member.page()
    assert member.status() == "none"
    assert 'data-testid="become-member"' in page and "9.00 USD a month" in page

    session_id = member.become_member()
    row = member.row()
    session = stripe_fake.checkout_sessions[session_id]
    assert (session["mode"], session["customer"]) == ("subscription", row.stripe_customer_id)
    assert session["amount_total"] == 900
    assert session["metadata"] == {"user_id": str(member.user_id), "member_ref": row.reference}
    customer = stripe_fake.customers[row.stripe_customer_id]
    assert customer["test_clock"] == member.clock.id
    assert customer["email"] == "member@example.com"
    keys = {r.path: r.idempotency_key for r in stripe_fake.request_log if r.method == "POST"}
    assert keys["/v1/customers"] == f"demo-{row.reference}-customer"
    assert keys["/v1/checkout/sessions"] == f"demo-{row.checkout_reference}-membership-checkout"
    assert member.status() == "none"  # nothing is granted before Stripe says it is paid

    stripe_fake.complete_checkout(session_id, "pm_card_visa")
    member.receive()
    sub = member.subscription()
    assert sub["status"] == "active" and sub["metadata"]["member_ref"] == row.reference
    page = member.page("/account?membership=welcome")
    assert member.status() == "active"
    assert 'data-testid="membership-welcome"' in page
    assert f'data-testid="membership-period-end">{format_date(period_end(sub))}<' in page
    assert 'data-testid="membership-banner"' not in page
    assert 'data-testid="become-member"' not in page
    assert member.row().subscription_id == sub["id"]


def test_a_member_cannot_subscribe_twice(member: Member, stripe_fake: StripeFake) -> None:
    member.subscribe()
    sessions = len(stripe_fake.checkout_sessions)
    response = member.client.post("/membership/checkout")
    assert response.status_code == 409
    assert 'data-code="already_member"' in response.get_data(as_text=True)
    assert len(stripe_fake.checkout_sessions) == sessions


def test_each_attempt_gets_its_own_key_and_the_customer_is_made_once(
    member: Member, stripe_fake: StripeFake
) -> None:
    first = member.become_member()
    first_ref = member.row().checkout_reference
    second = member.become_member()  # the customer came back and pressed the button again
    assert first != second and member.row().checkout_reference != first_ref
    assert len(stripe_fake.customers) == 1
    assert member.row().checkout_session_id == second
    stripe_fake.complete_checkout(first, "pm_card_visa")  # the older tab was paid
    member.receive()
    assert member.status() == "active"


def test_a_declined_first_payment_grants_nothing(member: Member, stripe_fake: StripeFake) -> None:
    session_id = member.become_member()
    with pytest.raises(CheckoutError, match="declined"):
        stripe_fake.complete_checkout(session_id, "pm_card_chargeDeclined")
    member.receive()
    assert stripe_fake.objects("subscription") == {}
    page = member.page("/account?membership=checkout-canceled")
    assert member.status() == "none"
    assert "you have not been charged" in page
    assert 'data-testid="become-member"' in page


# ---- renewals and failures on a test clock -------------------------------------------------


def test_renewal_on_the_test_clock_moves_the_period_on(
    member: Member, dashboard: stripe.StripeClient
) -> None:
    first = member.subscribe()
    member.advance_to(period_end(first) + 2 * 3600)  # past the renewal and its payment
    renewed = member.subscription()
    assert period_end(renewed) > period_end(first)
    invoices = dashboard.v1.invoices.list(params={"subscription": renewed["id"]}).data
    assert [i.status for i in invoices] == ["paid", "paid"]
    page = member.page()
    assert member.status() == "active"
    assert f">{format_date(period_end(renewed))}<" in page
    assert format_date(period_end(first)) not in page


def _card_that_fails_from_now_on(member: Member, dashboard: stripe.StripeClient) -> None:
    """The member's new card (as changed in the portal): attaches, then every charge fails."""
    sub = member.subscription()
    card = dashboard.v1.payment_methods.attach(
        "pm_card_chargeCustomerFail", params={"customer": sub["customer"]}
    )
    dashboard.v1.subscriptions.update(sub["id"], params={"default_payment_method": card.id})


@pytest.mark.parametrize(
    ("after_final_failure", "final"), [("cancel", "canceled"), ("unpaid", "unpaid")]
)
def test_failed_renewal_is_past_due_with_a_banner_then_ends_per_the_retry_schedule(
    member: Member,
    stripe_fake: StripeFake,
    dashboard: stripe.StripeClient,
    after_final_failure: str,
    final: str,
) -> None:
    stripe_fake.billing.retry_schedule = (3, 5, 7)
    stripe_fake.billing.after_final_failure = after_final_failure
    first = member.subscribe()
    _card_that_fails_from_now_on(member, dashboard)
    member.receive()
    renewal = period_end(first)

    member.advance_to(renewal + 2 * 3600)  # the renewal's first payment attempt fails
    page = member.page()
    assert member.status() == "past_due"
    banner = re.search(r'data-testid="membership-banner">(.*?)</p>', page, re.S)
    assert banner is not None and "payment failed" in banner.group(1)
    retry = member.row().next_payment_attempt
    assert retry is not None and retry > renewal
    assert format_date(retry) in banner.group(1)

    member.advance_to(renewal + 3600 + 4 * DAY)  # the first retry fails too: still past due
    assert member.status() == "past_due"

    member.advance_to(renewal + 3600 + 16 * DAY)  # after the last retry
    assert stripe_fake.objects("subscription")[first["id"]]["status"] == final
    page = member.page()
    assert member.status() == final
    if final == "canceled":
        assert 'data-testid="membership-banner"' not in page
        assert 'data-testid="become-member"' in page  # a new membership may start
    else:
        assert "suspended" in page
        assert 'data-testid="become-member"' not in page  # the unpaid one still exists


def test_cancel_at_period_end_shows_the_date_then_ends(
    member: Member, dashboard: stripe.StripeClient
) -> None:
    sub = member.subscribe()
    # As the billing portal does when the member cancels.
    dashboard.v1.subscriptions.update(sub["id"], params={"cancel_at_period_end": True})
    member.receive()
    page = member.page()
    assert member.status() == "active"
    assert f"Cancels at period end on {format_date(period_end(sub))}" in page

    member.advance_to(period_end(sub) + 60)
    page = member.page()
    assert member.status() == "canceled"
    assert "Cancels at period end" not in page
    assert 'data-testid="become-member"' in page


# ---- webhooks: once each, in any order ----------------------------------------------------


def test_duplicate_webhooks_are_applied_once(member: Member, stripe_fake: StripeFake) -> None:
    member.become_member()
    session_id = member.row().checkout_session_id
    assert session_id is not None
    stripe_fake.complete_checkout(session_id)
    deliveries = member.receive(duplicate=True)
    bodies = [d.body.replace(" ", "") for d in deliveries]
    assert all('"duplicate":true' in b for b in bodies[1::2])
    assert not any('"duplicate":true' in b for b in bodies[0::2])
    assert events_stored(member.shop) == len(stripe_fake.events)
    assert member.status() == "active"


def test_out_of_order_webhooks_leave_the_newest_state(
    member: Member, stripe_fake: StripeFake, dashboard: stripe.StripeClient
) -> None:
    session_id = member.become_member()
    stripe_fake.complete_checkout(session_id)
    sub = member.subscription()
    dashboard.v1.subscriptions.cancel(sub["id"])
    # Newest first: customer.subscription.deleted arrives before .created (status active).
    member.receive(reverse=True)
    assert member.status() == "canceled"
    assert events_stored(member.shop) == len(stripe_fake.events)
    member.receive()  # nothing new
    again = stripe_fake.deliver(member.client, path=HOOK, shuffle=7)
    assert all('"duplicate":true' in d.body.replace(" ", "") for d in again)
    assert member.status() == "canceled"


def test_shuffled_webhooks_of_a_failing_renewal_end_as_stripe_says(
    member: Member, stripe_fake: StripeFake, dashboard: stripe.StripeClient
) -> None:
    stripe_fake.billing.retry_schedule = (1, 2)
    stripe_fake.billing.after_final_failure = "unpaid"
    session_id = member.become_member()
    stripe_fake.complete_checkout(session_id)
    sub = member.subscription()
    _card_that_fails_from_now_on(member, dashboard)
    dashboard.v1.test_helpers.test_clocks.advance(
        member.clock.id, params={"frozen_time": period_end(sub) + 5 * DAY}
    )
    assert stripe_fake.objects("subscription")[sub["id"]]["status"] == "unpaid"
    member.receive(shuffle=3)
    assert member.status() == "unpaid"
    assert events_stored(member.shop) == len(stripe_fake.events)


def test_an_older_read_of_stripe_never_overwrites_a_newer_one(
    member: Member, stripe_fake: StripeFake
) -> None:
    member.subscribe()
    row = member.row()
    assert row.synced_at is not None

    with member.shop.app_context():
        stored = db.session.get(Membership, row.id)
        assert stored is not None
        assert not store_state(stored, NO_SUBSCRIPTION, row.synced_at - 1)
        assert stored.status == "active"


def test_events_of_a_customer_this_shop_never_made_change_nothing(
    member: Member, stripe_fake: StripeFake, dashboard: stripe.StripeClient
) -> None:
    other = dashboard.v1.customers.create(params={"metadata": {"member_ref": "someone-else"}})
    price = dashboard.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Another shop's plan"},
        }
    )
    dashboard.v1.subscriptions.create(
        params={
            "customer": other.id,
            "items": [{"price": price.id}],
            "payment_behavior": "default_incomplete",
        }
    )
    deliveries = member.receive()
    assert all('"handled":false' in d.body.replace(" ", "") for d in deliveries)
    assert member.status() == "none"


# ---- bad input and provider failures: a clear page, never a 500 ------------------------------


def test_the_membership_form_needs_its_csrf_token(
    app_factory: Callable[..., Flask], stripe_fake: StripeFake
) -> None:
    shop = app_factory(WTF_CSRF_ENABLED=True, STRIPE_WEBHOOK_SECRET=stripe_fake.webhook_secret)
    client = shop.test_client()
    AuthActions(shop, client).login()
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post("/membership/checkout", data=data)
        assert response.status_code == 400
        assert 'data-code="csrf_failed"' in response.get_data(as_text=True)
    assert stripe_fake.request_log == []
    page = client.get("/account").get_data(as_text=True)
    token = re.search(r'action="/membership/checkout">\s*<input[^>]*value="([^"]+)"', page)
    assert token is not None
    response = client.post("/membership/checkout", data={"csrf_token": token.group(1)})
    assert response.status_code == 303


def test_logged_out_the_button_leads_to_login(shop: Flask, stripe_fake: StripeFake) -> None:
    before = len(stripe_fake.request_log)
    response = shop.test_client().post("/membership/checkout")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert len(stripe_fake.request_log) == before


def test_without_a_plan_there_is_nothing_to_buy(
    app_factory: Callable[..., Flask], stripe_fake: StripeFake
) -> None:
    shop = app_factory(seed=False)
    client = shop.test_client()
    AuthActions(shop, client).login()
    assert 'id="no-plan"' in client.get("/account").get_data(as_text=True)
    response = client.post("/membership/checkout")
    assert response.status_code == 404
    assert 'data-code="membership_unavailable"' in response.get_data(as_text=True)
    assert stripe_fake.request_log == []


def test_without_stripe_configured_the_page_says_so(app_factory: Callable[..., Flask]) -> None:
    shop = app_factory(STRIPE_API_KEY=None)
    client = shop.test_client()
    AuthActions(shop, client).login()
    response = client.post("/membership/checkout")
    assert response.status_code == 503
    assert 'data-code="payments_not_configured"' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (errors.read_timeout, 504, "payment_provider_timeout"),
        (errors.connection_refused, 503, "payment_provider_unreachable"),
        (errors.rate_limited, 503, "payment_provider_busy"),
        (errors.server_error, 502, "payment_provider_error"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/customers", "/v1/checkout/sessions"])
def test_stripe_failing_on_become_a_member_is_a_clear_page_and_a_retry_works(
    member: Member,
    stripe_fake: StripeFake,
    fault: Callable[[], Any],
    status: int,
    code: str,
    path: str,
) -> None:
    rule = stripe_fake.inject(fault(), method="POST", path=path)
    response = member.client.post("/membership/checkout")
    assert rule.fired == 1
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert f'data-code="{code}"' in text and "Traceback" not in text
    assert member.status() == "none"
    session_id = member.become_member()  # pressing the button again works
    assert len(stripe_fake.customers) == 1  # a customer made before the failure is reused
    stripe_fake.complete_checkout(session_id)
    member.receive()
    assert member.status() == "active"


def test_stripe_failing_while_a_webhook_reads_the_subscription_is_redelivered(
    member: Member, stripe_fake: StripeFake
) -> None:
    session_id = member.become_member()
    stripe_fake.complete_checkout(session_id)
    rule = stripe_fake.inject(
        errors.server_error(), method="GET", path="/v1/subscriptions", times=None
    )
    deliveries = stripe_fake.deliver(member.client, path=HOOK)
    failed = [d for d in deliveries if d.status != 200]
    assert failed and rule.fired == len(failed)
    assert all(d.status == 502 and "payment_provider_error" in d.body for d in failed)
    assert member.status() == "none"  # nothing applied, nothing recorded for those events
    assert events_stored(member.shop) == len(stripe_fake.events) - len(failed)
    rule.times = rule.fired  # Stripe is back
    again = stripe_fake.deliver(member.client, path=HOOK)  # Stripe delivers them again
    assert all(d.status == 200 for d in again)
    assert member.status() == "active"
    assert events_stored(member.shop) == len(stripe_fake.events)


def test_a_trial_granted_on_stripe_shows_as_a_trial_with_its_end(
    member: Member, stripe_fake: StripeFake, dashboard: stripe.StripeClient
) -> None:
    session_id = member.become_member()
    with pytest.raises(CheckoutError):
        stripe_fake.complete_checkout(session_id, "pm_card_chargeDeclined")
    # Support gives the customer a two-week trial from Stripe's side.
    price = dashboard.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 900,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Monthly membership"},
        }
    )
    sub = dashboard.v1.subscriptions.create(
        params={
            "customer": member.row().stripe_customer_id,
            "items": [{"price": price.id}],
            "trial_period_days": 14,
        }
    )
    member.receive()
    page = member.page()
    assert member.status() == "trialing"
    assert sub.trial_end == START + 14 * DAY
    assert "Trial ends</dt>" in page and format_date(sub.trial_end) in page


# ---- Manage billing: Stripe's billing portal ------------------------------------------------


def test_manage_billing_opens_the_portal_for_the_members_customer(
    member: Member, stripe_fake: StripeFake
) -> None:
    member.subscribe()
    assert 'data-testid="manage-billing"' in member.page()
    response = member.client.post("/account/billing")
    assert response.status_code == 303
    [portal] = stripe_fake.objects("billing_portal.session").values()
    assert response.headers["Location"] == portal["url"]
    assert portal["customer"] == member.row().stripe_customer_id
    assert portal["return_url"] == "http://localhost/account"


def test_manage_billing_without_a_stripe_customer_is_a_clear_page(
    member: Member, stripe_fake: StripeFake
) -> None:
    assert 'data-testid="manage-billing"' not in member.page()
    before = len(stripe_fake.request_log)
    response = member.client.post("/account/billing")
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert 'data-code="no_billing_account"' in text and "become a member first" in text
    assert len(stripe_fake.request_log) == before


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (errors.read_timeout, 504, "payment_provider_timeout"),
        (errors.connection_refused, 503, "payment_provider_unreachable"),
        (errors.server_error, 502, "payment_provider_error"),
    ],
)
def test_stripe_failing_on_manage_billing_is_a_clear_page(
    member: Member, stripe_fake: StripeFake, fault: Callable[[], Any], status: int, code: str
) -> None:
    member.subscribe()
    rule = stripe_fake.inject(fault(), method="POST", path="/v1/billing_portal/sessions")
    response = member.client.post("/account/billing")
    assert rule.fired == 1 and response.status_code == status
    text = response.get_data(as_text=True)
    assert f'data-code="{code}"' in text and "Traceback" not in text
    assert member.client.post("/account/billing").status_code == 303  # Stripe is back


def test_manage_billing_needs_its_csrf_token(
    app_factory: Callable[..., Flask], stripe_fake: StripeFake
) -> None:
    shop = app_factory(WTF_CSRF_ENABLED=True)
    client = shop.test_client()
    AuthActions(shop, client).login()
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post("/account/billing", data=data)
        assert response.status_code == 400
        assert 'data-code="csrf_failed"' in response.get_data(as_text=True)
    assert stripe_fake.request_log == []


def test_canceling_in_the_portal_shows_on_the_account_page_then_ends(
    member: Member, stripe_fake: StripeFake
) -> None:
    sub = member.subscribe()
    response = member.client.post("/account/billing")
    [portal] = stripe_fake.objects("billing_portal.session").values()
    assert response.headers["Location"] == portal["url"]
    stripe_fake.portal_cancel(portal["id"], sub["id"])  # "Cancel plan" on the portal page
    member.receive()
    assert member.status() == "active"
    assert f"Cancels at period end on {format_date(period_end(sub))}" in member.page()
    member.advance_to(period_end(sub) + 60)
    assert member.status() == "canceled"


def test_a_customer_the_shop_could_not_record_is_linked_by_its_member_ref(
    member: Member, stripe_fake: StripeFake
) -> None:
    session_id = member.become_member()
    customer_id = member.row().stripe_customer_id
    with member.shop.app_context():  # as if the database had stayed busy after Stripe answered
        row = db.session.scalar(select(Membership).filter_by(user_id=member.user_id))
        assert row is not None
        row.stripe_customer_id = None
        db.session.commit()
    stripe_fake.complete_checkout(session_id)
    member.receive()
    assert member.status() == "active"
    assert member.row().stripe_customer_id == customer_id
