"""Checkout in subscription and setup modes through the real SDK: what completing creates."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from mockkit.stripe import CheckoutError, StripeFake, StripeServer
from mockkit.stripe.objects import API_VERSION
from tests.stripe.driver import Driver

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION

SUCCESS = "https://shop.example/welcome?session_id={CHECKOUT_SESSION_ID}"
DAY = 86400


def _monthly(sdk: Driver, amount: int = 1500, interval: str = "month") -> Any:
    product = sdk.create("products", name="Pro plan")
    return sdk.create(
        "prices",
        product=product.id,
        unit_amount=amount,
        currency="usd",
        recurring={"interval": interval},
    )


def _types(fake: StripeFake, since: int) -> list[str]:
    return [e["type"] for e in fake.events[since:]]


def test_subscription_session_completes_into_an_active_paid_subscription(sdk: Driver) -> None:
    price = _monthly(sdk)
    session = sdk.create(
        "checkout.sessions",
        mode="subscription",
        success_url=SUCCESS,
        customer_email="member@example.com",
        line_items=[{"price": price.id, "quantity": 2}],
        subscription_data={"metadata": {"plan": "pro"}},
    )
    assert (session.mode, session.status, session.payment_status) == (
        "subscription",
        "open",
        "unpaid",
    )
    assert (session.amount_total, session.subscription, session.customer) == (3000, None, None)
    since = len(sdk.fake.events)
    sdk.fake.complete_checkout(session.id, "pm_card_visa")
    done = sdk.retrieve("checkout.sessions", session.id, expand=["subscription", "invoice"])
    assert (done.status, done.payment_status) == ("complete", "paid")
    sub = done.subscription
    assert sub.status == "active" and sub.customer == done.customer
    assert sub.metadata["plan"] == "pro"
    assert sub["items"].data[0].price.id == price.id and sub["items"].data[0].quantity == 2
    assert sub.default_payment_method is not None
    assert done.invoice.id == sub.latest_invoice
    assert (done.invoice.status, done.invoice.amount_paid) == ("paid", 3000)
    assert done.invoice.billing_reason == "subscription_create"
    customer = sdk.retrieve("customers", done.customer)
    assert customer.email == "member@example.com"
    types = _types(sdk.fake, since)
    order = [
        "customer.created",
        "payment_method.attached",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "checkout.session.completed",
    ]
    assert [t for t in types if t in order] == order
    assert types[-1] == "checkout.session.completed"
    assert "payment_intent.succeeded" in types


def test_trial_session_starts_trialing_with_nothing_to_pay(sdk: Driver) -> None:
    price = _monthly(sdk)
    customer = sdk.create("customers", email="trial@example.com")
    session = sdk.create(
        "checkout.sessions",
        mode="subscription",
        success_url=SUCCESS,
        customer=customer.id,
        line_items=[{"price": price.id, "quantity": 1}],
        subscription_data={"trial_period_days": 14},
    )
    assert session.amount_total == 0 and session.amount_subtotal == 0
    sdk.fake.complete_checkout(session.id)
    done = sdk.retrieve("checkout.sessions", session.id)
    assert (done.payment_status, done.customer) == ("no_payment_required", customer.id)
    sub = sdk.retrieve("subscriptions", done.subscription)
    assert sub.status == "trialing"
    assert sub.trial_end - sub.trial_start == 14 * DAY
    assert sdk.retrieve("invoices", done.invoice).amount_paid == 0
    assert len(sdk.list("customers").data) == 1  # the given customer, no new one


def test_coupon_discount_lowers_the_session_and_first_invoice(fake: StripeFake) -> None:
    product = stripe.Product.create(name="Team")
    price = stripe.Price.create(
        product=product.id, unit_amount=4000, currency="usd", recurring={"interval": "month"}
    )
    coupon = stripe.Coupon.create(percent_off=25, duration="forever")
    session = stripe.checkout.Session.create(
        mode="subscription",
        success_url=SUCCESS,
        line_items=[{"price": price.id, "quantity": 1}],
        discounts=[{"coupon": coupon.id}],
    )
    assert (session.amount_subtotal, session.amount_total) == (4000, 3000)
    assert session.total_details.amount_discount == 1000
    fake.complete_checkout(session.id)
    done = stripe.checkout.Session.retrieve(session.id, expand=["invoice", "subscription"])
    assert done.invoice.amount_paid == 3000
    assert len(done.subscription.discounts) == 1
    assert stripe.Coupon.retrieve(coupon.id).times_redeemed == 1


def test_declined_card_creates_nothing_and_keeps_the_session_open(fake: StripeFake) -> None:
    product = stripe.Product.create(name="Pro")
    session = stripe.checkout.Session.create(
        mode="subscription",
        success_url=SUCCESS,
        line_items=[
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 900,
                    "product": product.id,
                    "recurring": {"interval": "month"},
                },
                "quantity": 1,
            }
        ],
    )
    before = len(fake.events)
    with pytest.raises(CheckoutError, match="declined"):
        fake.complete_checkout(session.id, "pm_card_chargeDeclined")
    assert stripe.checkout.Session.retrieve(session.id).status == "open"
    assert stripe.Subscription.list().data == [] and stripe.Customer.list().data == []
    assert len(fake.events) == before
    fake.complete_checkout(session.id, "pm_card_visa")  # another card works (inline price)
    sub = stripe.Subscription.retrieve(stripe.checkout.Session.retrieve(session.id).subscription)
    assert sub.status == "active" and sub["items"].data[0].price.unit_amount == 900


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"line_items": "one_time"}, "line_items", "at least one recurring price"),
        ({"line_items": "mixed"}, "line_items", "interval"),
        ({"mode": "payment", "line_items": "recurring"}, "line_items[0][price]", "recurring"),
        ({"subscription_data": {"trial_end": "tomorrow"}}, "subscription_data[trial_end]", "48"),
        (
            {"subscription_data": {"trial_period_days": 7, "trial_end": "month"}},
            "subscription_data[trial_period_days]",
            "only specify one",
        ),
        ({"allow_promotion_codes": True, "discounts": "coupon"}, "discounts", "only specify one"),
        (
            {"subscription_data": {"billing_cycle_anchor": "month"}},
            "subscription_data[billing_cycle_anchor]",
            "not emulate",
        ),
        ({"mode": "setup", "currency": "usd", "line_items": "recurring"}, "line_items", "setup"),
        ({"mode": "setup", "line_items": None}, "currency", "currency"),
        (
            {"mode": "payment", "subscription_data": {"metadata": {"a": "b"}}},
            "subscription_data",
            "subscription",
        ),
    ],
)
def test_bad_sessions_get_stripe_errors_and_change_nothing(
    fake: StripeFake, params: dict[str, Any], param: str, message: str
) -> None:
    product = stripe.Product.create(name="Plan")
    monthly = stripe.Price.create(
        product=product.id, unit_amount=1000, currency="usd", recurring={"interval": "month"}
    )
    yearly = stripe.Price.create(
        product=product.id, unit_amount=9000, currency="usd", recurring={"interval": "year"}
    )
    once = stripe.Price.create(product=product.id, unit_amount=500, currency="usd")
    coupon = stripe.Coupon.create(amount_off=100, currency="usd")
    now = fake.state.now()
    lines = {
        "one_time": [{"price": once.id, "quantity": 1}],
        "mixed": [{"price": monthly.id, "quantity": 1}, {"price": yearly.id, "quantity": 1}],
        "recurring": [{"price": monthly.id, "quantity": 1}],
        None: None,
    }
    stamps = {"tomorrow": now + DAY, "month": now + 30 * DAY}
    full: dict[str, Any] = {"mode": "subscription", "success_url": SUCCESS}
    full["line_items"] = lines["recurring"]
    for key, value in params.items():
        if key == "line_items":
            value = lines[value]
        elif key == "discounts":
            value = [{"coupon": coupon.id}]
        elif key == "subscription_data":
            value = {k: stamps.get(v, v) if isinstance(v, str) else v for k, v in value.items()}
        full[key] = value
    full = {k: v for k, v in full.items() if v is not None}
    before = len(fake.events)
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.checkout.Session.create(**full)
    assert info.value.http_status == 400
    assert info.value.param == param
    assert message in str(info.value.user_message)
    assert stripe.checkout.Session.list().data == []
    assert len(fake.events) == before


def test_one_time_price_beside_a_recurring_one_is_billed_once(fake: StripeFake) -> None:
    product = stripe.Product.create(name="Gym")
    monthly = stripe.Price.create(
        product=product.id, unit_amount=3000, currency="usd", recurring={"interval": "month"}
    )
    joining = stripe.Price.create(product=product.id, unit_amount=2000, currency="usd")
    session = stripe.checkout.Session.create(
        mode="subscription",
        success_url=SUCCESS,
        line_items=[{"price": monthly.id, "quantity": 1}, {"price": joining.id, "quantity": 1}],
    )
    assert session.amount_total == 5000
    fake.complete_checkout(session.id)
    done = stripe.checkout.Session.retrieve(session.id, expand=["invoice"])
    assert done.invoice.amount_paid == 5000
    sub = stripe.Subscription.retrieve(done.subscription)
    assert [i.price.id for i in sub["items"].data] == [monthly.id]


def test_setup_session_saves_the_card_to_the_customer(sdk: Driver) -> None:
    customer = sdk.create("customers", email="saver@example.com")
    session = sdk.create(
        "checkout.sessions",
        mode="setup",
        currency="usd",
        customer=customer.id,
        success_url=SUCCESS,
        setup_intent_data={"metadata": {"why": "renewals"}},
    )
    assert (session.mode, session.payment_status, session.amount_total) == (
        "setup",
        "no_payment_required",
        None,
    )
    si = sdk.retrieve("setup_intents", session.setup_intent)
    assert si.status == "requires_payment_method" and si.metadata["why"] == "renewals"
    assert sdk.fake.events[-1]["type"] == "setup_intent.created"
    since = len(sdk.fake.events)
    sdk.fake.complete_checkout(session.id, "pm_card_visa")
    done = sdk.retrieve("checkout.sessions", session.id, expand=["setup_intent"])
    assert done.status == "complete" and done.setup_intent.status == "succeeded"
    assert done.setup_intent.customer == customer.id
    cards = sdk.list("payment_methods", customer=customer.id, type="card")
    assert [c.id for c in cards.data] == [done.setup_intent.payment_method]
    assert _types(sdk.fake, since) == [
        "payment_method.attached",
        "setup_intent.succeeded",
        "checkout.session.completed",
    ]


def test_setup_session_declined_card_keeps_it_open_and_expiry_cancels_the_intent(
    fake: StripeFake,
) -> None:
    session = stripe.checkout.Session.create(mode="setup", currency="eur", success_url=SUCCESS)
    with pytest.raises(CheckoutError, match="declined"):
        fake.complete_checkout(session.id, "pm_card_chargeDeclined")
    assert fake.events[-1]["type"] == "setup_intent.setup_failed"
    assert stripe.checkout.Session.retrieve(session.id).status == "open"
    stripe.checkout.Session.expire(session.id)
    assert stripe.SetupIntent.retrieve(session.setup_intent).status == "canceled"
    assert fake.events[-1]["type"] == "checkout.session.expired"


def test_hosted_page_subscribes_and_saves_cards(mockkit_stripe_server: StripeServer) -> None:
    product = stripe.Product.create(name="Newsletter")
    price = stripe.Price.create(
        product=product.id, unit_amount=700, currency="usd", recurring={"interval": "month"}
    )
    session = stripe.checkout.Session.create(
        mode="subscription", success_url=SUCCESS, line_items=[{"price": price.id, "quantity": 1}]
    )
    page = requests.get(session.url, timeout=5)
    assert page.status_code == 200 and "Subscribe" in page.text and "$7.00" in page.text
    paid = requests.post(session.url, data={"card": "pm_card_visa", "email": "page@example.com"},
                         allow_redirects=False, timeout=5)  # fmt: skip
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"https://shop.example/welcome?session_id={session.id}"
    done = stripe.checkout.Session.retrieve(session.id)
    assert done.payment_status == "paid"
    assert stripe.Subscription.retrieve(done.subscription).status == "active"
    assert stripe.Customer.retrieve(done.customer).email == "page@example.com"

    setup = stripe.checkout.Session.create(mode="setup", currency="usd", success_url=SUCCESS)
    assert "Save card" in requests.get(setup.url, timeout=5).text
    saved = requests.post(setup.url, data={"card": "pm_card_threeDSecure2Required"},
                          allow_redirects=False, timeout=5)  # fmt: skip
    assert saved.status_code == 303
    assert stripe.SetupIntent.retrieve(setup.setup_intent).status == "succeeded"


def test_a_card_asking_for_3d_secure_is_authenticated_on_the_page(sdk: Driver) -> None:
    price = _monthly(sdk, amount=2500)
    session = sdk.create(
        "checkout.sessions",
        mode="subscription",
        success_url=SUCCESS,
        customer_email="secure@example.com",
        line_items=[{"price": price.id, "quantity": 1}],
    )
    since = len(sdk.fake.events)
    sdk.fake.complete_checkout(session.id, "pm_card_threeDSecure2Required")
    done = sdk.retrieve("checkout.sessions", session.id, expand=["subscription", "invoice"])
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.subscription.status == "active"
    assert (done.invoice.status, done.invoice.amount_paid, done.invoice.attempt_count) == (
        "paid",
        2500,
        1,
    )
    kinds = _types(sdk.fake, since)
    # Created incomplete (the first payment waits for the challenge), active once it is paid.
    created = kinds.index("customer.subscription.created")
    assert sdk.fake.events[since + created]["data"]["object"]["status"] == "incomplete"
    assert kinds.index("invoice.paid") < kinds.index("customer.subscription.updated")
    assert kinds[-1] == "checkout.session.completed"
    assert "payment_intent.payment_failed" not in kinds


def test_a_card_that_always_asks_for_3d_secure_fails_its_renewal(fake: StripeFake) -> None:
    # Authenticated on the page for the first payment; the renewal is off-session, where the
    # card still asks for authentication: Stripe fails it with `invoice.payment_action_required`.
    product = stripe.Product.create(name="Pro plan")
    price = stripe.Price.create(
        product=product.id, unit_amount=900, currency="usd", recurring={"interval": "month"}
    )
    session = stripe.checkout.Session.create(
        mode="subscription",
        success_url=SUCCESS,
        line_items=[{"price": price.id, "quantity": 1}],
    )
    fake.complete_checkout(session.id, "pm_card_authenticationRequired")
    sub = stripe.Subscription.retrieve(stripe.checkout.Session.retrieve(session.id).subscription)
    assert sub.status == "active"
    since = len(fake.events)
    fake.advance(32 * DAY)
    kinds = _types(fake, since)
    assert "invoice.payment_action_required" in kinds
    renewal = stripe.Invoice.retrieve(
        stripe.Subscription.retrieve(sub.id).latest_invoice, expand=["payments"]
    )
    assert renewal.billing_reason == "subscription_cycle" and renewal.status == "open"
    assert stripe.Subscription.retrieve(sub.id).status == "past_due"
    waiting = stripe.PaymentIntent.retrieve(renewal.payments.data[0].payment.payment_intent)
    assert waiting.status == "requires_action"
    assert waiting.last_payment_error.code == "authentication_required"
    # The customer comes back and authenticates: the invoice is paid, the member is active.
    fake.authenticate(waiting.id)
    assert stripe.Invoice.retrieve(renewal.id).status == "paid"
    assert stripe.Subscription.retrieve(sub.id).status == "active"


def test_a_3d_secure_card_on_the_served_checkout_page(
    mockkit_stripe_server: StripeServer,
) -> None:
    product = stripe.Product.create(name="Pro plan")
    price = stripe.Price.create(
        product=product.id, unit_amount=1200, currency="usd", recurring={"interval": "month"}
    )
    session = stripe.checkout.Session.create(
        mode="subscription",
        success_url=SUCCESS,
        line_items=[{"price": price.id, "quantity": 1}],
    )
    paid = requests.post(
        session.url,
        data={"card": "pm_card_threeDSecure2Required", "email": "page@example.com"},
        allow_redirects=False,
        timeout=10,
    )
    assert paid.status_code == 303, paid.text
    assert paid.headers["Location"].startswith(
        "https://shop.example/welcome?session_id=" + session.id
    )
    done = stripe.checkout.Session.retrieve(session.id, expand=["subscription"])
    assert done.payment_status == "paid" and done.subscription.status == "active"
