"""Subscriptions through the real SDK: create, statuses, trials, renewals, changes, cancels."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake
from mockkit.stripe.objects import API_VERSION
from tests.stripe.billing_helpers import (
    DAY,
    HOUR,
    T0,
    at,
    customer,
    freeze,
    item_period,
    price,
    types,
)
from tests.stripe.driver import Driver

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION


@pytest.fixture
def frozen(fake: StripeFake) -> StripeFake:
    freeze(fake)
    return fake


# ---- create -----------------------------------------------------------------------------------


def test_create_charges_the_first_invoice_and_is_active(sdk: Driver) -> None:
    freeze(sdk.fake)
    cus = sdk.create(
        "customers",
        email="a@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    prod = sdk.create("products", name="Gold")
    plan = sdk.create(
        "prices", product=prod.id, unit_amount=2000, currency="usd", recurring={"interval": "month"}
    )
    since = len(sdk.fake.events)
    sub = sdk.create(
        "subscriptions",
        customer=cus.id,
        items=[{"price": plan.id, "quantity": 2}],
        metadata={"plan": "gold"},
        expand=["latest_invoice.confirmation_secret", "latest_invoice.payments"],
    )
    assert sub.id.startswith("sub_") and sub.object == "subscription"
    assert sub.status == "active"
    assert sub.customer == cus.id and sub.currency == "usd"
    assert sub.metadata.to_dict() == {"plan": "gold"}
    assert sub.billing_cycle_anchor == T0 and sub.start_date == T0
    assert sub.discounts == [] and sub.cancel_at_period_end is False
    item = sub["items"].data[0]
    assert item.id.startswith("si_") and item.quantity == 2 and item.price.id == plan.id
    assert item.plan.id == plan.id and item.plan.amount == 2000
    assert (item.current_period_start, item.current_period_end) == (T0, at(2030, 2, 28, 12))
    invoice = sub.latest_invoice
    assert invoice.status == "paid" and invoice.billing_reason == "subscription_create"
    assert (invoice.subtotal, invoice.total, invoice.amount_due, invoice.amount_paid) == (
        4000,
        4000,
        4000,
        0 + 4000,
    )
    assert invoice.amount_remaining == 0
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.parent.subscription_details.metadata.to_dict() == {"plan": "gold"}
    assert invoice.confirmation_secret.type == "payment_intent"
    payment = invoice.payments.data[0]
    assert payment.status == "paid" and payment.amount_paid == 4000
    pi = sdk.retrieve("payment_intents", payment.payment.payment_intent)
    assert pi.status == "succeeded" and pi.amount == 4000 and pi.customer == cus.id
    assert invoice.confirmation_secret.client_secret == pi.client_secret
    assert types(sdk.fake, since) == [
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.updated",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice_payment.paid",
    ]
    created = sdk.fake.events_of("customer.subscription.created")[0]["data"]["object"]
    assert created["status"] == "active"
    fetched = sdk.retrieve("subscriptions", sub.id)
    assert fetched.latest_invoice == invoice.id  # not expanded unless asked
    assert "payment_intent" not in sdk.retrieve("invoices", invoice.id)


def test_invoice_lines_describe_the_period(frozen: StripeFake) -> None:
    cus = customer()
    plan = price(1250, name="Silver")
    sub = stripe.Subscription.create(
        customer=cus.id, items=[{"price": plan.id, "quantity": 3}], expand=["latest_invoice"]
    )
    line = sub.latest_invoice.lines.data[0]
    assert line.object == "line_item" and line.id.startswith("il_")
    assert line.amount == 3750 and line.quantity == 3 and line.currency == "usd"
    assert line.description == "3 × Silver (at $12.50 / month)"
    assert (line.period.start, line.period.end) == (T0, at(2030, 2, 28, 12))
    assert line.parent.type == "subscription_item_details"
    assert line.parent.subscription_item_details.subscription_item == sub["items"].data[0].id
    assert line.parent.subscription_item_details.proration is False
    assert line.pricing.price_details.price == plan.id


def test_no_payment_method_is_refused_and_creates_nothing(frozen: StripeFake) -> None:
    cus = customer(pm=None)
    plan = price()
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Subscription.create(customer=cus.id, items=[{"price": plan.id}])
    assert "no attached payment source or default payment method" in str(info.value)
    assert list(frozen.objects("subscription")) == []
    assert list(frozen.objects("invoice")) == []


def test_declined_first_payment_leaves_it_incomplete_then_expires(frozen: StripeFake) -> None:
    cus = customer("pm_card_chargeCustomerFail")
    plan = price()
    since = len(frozen.events)
    sub = stripe.Subscription.create(
        customer=cus.id, items=[{"price": plan.id}], expand=["latest_invoice"]
    )
    assert sub.status == "incomplete"
    invoice = sub.latest_invoice
    assert invoice.status == "open" and invoice.attempt_count == 1 and invoice.attempted is True
    assert invoice.next_payment_attempt is None  # a first invoice is not retried
    assert types(frozen, since) == [
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
        "invoice.updated",
        "invoice.payment_failed",
    ]
    # Only metadata may change while incomplete.
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    frozen.advance(23 * HOUR - 1)
    assert stripe.Subscription.retrieve(sub.id).status == "incomplete"
    since = len(frozen.events)
    frozen.advance(1)
    expired = stripe.Subscription.retrieve(sub.id)
    assert expired.status == "incomplete_expired"
    assert expired.ended_at == T0 + 23 * HOUR
    assert stripe.Invoice.retrieve(invoice.id).status == "void"
    assert types(frozen, since) == [
        "invoice.voided",
        "payment_intent.canceled",
        "customer.subscription.updated",
    ]


def test_incomplete_becomes_active_when_the_invoice_is_paid(frozen: StripeFake) -> None:
    cus = customer("pm_card_chargeCustomerFail")
    plan = price()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": plan.id}])
    assert sub.status == "incomplete"
    paid = stripe.Invoice.pay(sub.latest_invoice, payment_method="pm_card_visa")
    assert paid.status == "paid"
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    update = frozen.events_of("customer.subscription.updated")[-1]["data"]
    assert update["previous_attributes"]["status"] == "incomplete"


def test_error_if_incomplete_is_a_402_and_creates_nothing(frozen: StripeFake) -> None:
    cus = customer("pm_card_chargeCustomerFail")
    plan = price()
    since = len(frozen.events)
    with pytest.raises(stripe.CardError) as info:
        stripe.Subscription.create(
            customer=cus.id, items=[{"price": plan.id}], payment_behavior="error_if_incomplete"
        )
    assert info.value.code == "card_declined"
    assert list(frozen.objects("subscription")) == []
    assert list(frozen.objects("invoice")) == []
    assert frozen.events[since:] == []


def test_default_incomplete_waits_for_the_client_to_confirm(frozen: StripeFake) -> None:
    cus = customer(pm=None)
    plan = price()
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": plan.id}],
        payment_behavior="default_incomplete",
        payment_settings={"save_default_payment_method": "on_subscription"},
        expand=["latest_invoice.confirmation_secret"],
    )
    assert sub.status == "incomplete"
    assert sub.payment_settings.save_default_payment_method == "on_subscription"
    secret = sub.latest_invoice.confirmation_secret.client_secret
    pi_id = secret.split("_secret_")[0]
    pi = stripe.PaymentIntent.retrieve(pi_id)
    assert pi.status == "requires_payment_method" and pi.amount == 2000
    assert frozen.events_of("charge.succeeded") == []
    stripe.PaymentIntent.confirm(pi_id, payment_method="pm_card_visa", return_url="https://x.test")
    done = stripe.Subscription.retrieve(sub.id)
    assert done.status == "active"
    assert done.default_payment_method is not None
    assert stripe.PaymentMethod.retrieve(done.default_payment_method).customer == cus.id
    assert stripe.Invoice.retrieve(sub.latest_invoice.id).status == "paid"


def test_three_d_secure_first_payment_is_incomplete_until_authenticated(
    frozen: StripeFake,
) -> None:
    cus = customer("pm_card_threeDSecure2Required")
    plan = price()
    sub = stripe.Subscription.create(
        customer=cus.id, items=[{"price": plan.id}], expand=["latest_invoice.payments"]
    )
    assert sub.status == "incomplete"
    pi_id = sub.latest_invoice.payments.data[0].payment.payment_intent
    assert stripe.PaymentIntent.retrieve(pi_id).status == "requires_action"
    assert frozen.events_of("invoice.payment_action_required")
    frozen.authenticate(pi_id)
    assert stripe.Subscription.retrieve(sub.id).status == "active"


def test_subscription_default_payment_method_beats_the_customers(frozen: StripeFake) -> None:
    cus = customer("pm_card_chargeCustomerFail")
    good = stripe.PaymentMethod.attach("pm_card_mastercard", customer=cus.id)
    plan = price()
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": plan.id}],
        default_payment_method=good.id,
    )
    assert sub.status == "active"
    # Four levels at most: expanding from the invoice reaches the PaymentIntent.
    invoice = stripe.Invoice.retrieve(
        sub.latest_invoice, expand=["payments.data.payment.payment_intent"]
    )
    pi = invoice.payments.data[0].payment.payment_intent
    assert pi.payment_method == good.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Subscription.retrieve(
            sub.id, expand=["latest_invoice.payments.data.payment.payment_intent"]
        )
    assert info.value.param == "expand"


# ---- bad input --------------------------------------------------------------------------------


def bad(params: dict[str, Any]) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Subscription.create(**params)
    return info.value


def test_bad_input_gets_stripes_errors_and_changes_nothing(frozen: StripeFake) -> None:
    cus = customer()
    plan = price()
    one_time = stripe.Price.create(product_data={"name": "x"}, unit_amount=100, currency="usd")
    euro = price(currency="eur")
    yearly = price(interval="year")
    before = len(frozen.events)
    cases = [
        ({"items": [{"price": plan.id}]}, "customer", "parameter_missing"),
        ({"customer": cus.id}, "items", "parameter_missing"),
        ({"customer": "cus_nope", "items": [{"price": plan.id}]}, "customer", "resource_missing"),
        ({"customer": cus.id, "items": [{"price": "price_nope"}]}, "items[0][price]", None),
        ({"customer": cus.id, "items": [{"price": one_time.id}]}, "items[0][price]", None),
        ({"customer": cus.id, "items": [{"price": plan.id}, {"price": euro.id}]}, "items", None),
        ({"customer": cus.id, "items": [{"price": plan.id}, {"price": yearly.id}]}, "items", None),
        ({"customer": cus.id, "items": [{"price": plan.id}], "coupon": "X"}, "coupon", None),
        (
            {"customer": cus.id, "items": [{"price": plan.id}], "proration_behavior": "bad"},
            "proration_behavior",
            None,
        ),
        (
            {"customer": cus.id, "items": [{"price": plan.id}], "days_until_due": 3},
            "days_until_due",
            None,
        ),
        (
            {
                "customer": cus.id,
                "items": [{"price": plan.id}],
                "payment_behavior": "pending_if_incomplete",
            },
            "payment_behavior",
            None,
        ),
        (
            {"customer": cus.id, "items": [{"price": plan.id}], "trial_end": T0 - 10},
            "trial_end",
            None,
        ),
        (
            {"customer": cus.id, "items": [{"price": plan.id}], "discounts": [{"coupon": "nope"}]},
            "discounts[0][coupon]",
            "resource_missing",
        ),
        (
            {"customer": cus.id, "items": [{"price": plan.id}], "automatic_tax": {"enabled": True}},
            "automatic_tax",
            None,
        ),
        (
            {"customer": cus.id, "items": [{"price": plan.id}], "default_tax_rates": ["txr_1"]},
            "default_tax_rates",
            None,
        ),
    ]
    for params, param, code in cases:
        error = bad(params)
        assert error.param == param, (params, error)
        if code:
            assert error.code == code
        assert error.http_status == 400
    assert list(frozen.objects("subscription")) == []
    assert len(frozen.events) == before


# ---- trials -----------------------------------------------------------------------------------


def test_trial_starts_free_then_bills_when_it_ends(frozen: StripeFake) -> None:
    cus = customer()
    plan = price()
    since = len(frozen.events)
    sub = stripe.Subscription.create(
        customer=cus.id, items=[{"price": plan.id}], trial_period_days=14, expand=["latest_invoice"]
    )
    assert sub.status == "trialing"
    assert (sub.trial_start, sub.trial_end) == (T0, T0 + 14 * DAY)
    assert sub.billing_cycle_anchor == T0 + 14 * DAY
    assert item_period(sub) == (T0, T0 + 14 * DAY)
    assert sub.latest_invoice.total == 0 and sub.latest_invoice.status == "paid"
    assert sub.latest_invoice.lines.data[0].description == "Trial period for Gold"
    assert types(frozen, since) == [
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "invoice.updated",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    since = len(frozen.events)
    frozen.advance(11 * DAY)  # three days before the trial ends
    assert types(frozen, since) == ["customer.subscription.trial_will_end", "invoice.upcoming"]
    upcoming = frozen.events_of("invoice.upcoming")[0]["data"]["object"]
    assert upcoming["total"] == 2000 and upcoming["billing_reason"] == "upcoming"
    since = len(frozen.events)
    frozen.advance(3 * DAY)
    ended = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert ended.status == "active"
    assert item_period(ended) == (T0 + 14 * DAY, at(2030, 3, 14, 12))
    draft = ended.latest_invoice
    assert draft.status == "draft" and draft.billing_reason == "subscription_cycle"
    assert draft.automatically_finalizes_at == T0 + 14 * DAY + HOUR
    assert types(frozen, since) == ["customer.subscription.updated", "invoice.created"]
    frozen.advance(HOUR)
    assert stripe.Invoice.retrieve(draft.id).status == "paid"


@pytest.mark.parametrize(
    "behavior,status,event",
    [
        ("cancel", "canceled", "customer.subscription.deleted"),
        ("pause", "paused", "customer.subscription.paused"),
        ("create_invoice", "past_due", "invoice.payment_failed"),
    ],
)
def test_trial_end_without_a_payment_method(
    frozen: StripeFake, behavior: str, status: str, event: str
) -> None:
    cus = customer(pm=None)
    plan = price()
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": plan.id}],
        trial_period_days=7,
        trial_settings={"end_behavior": {"missing_payment_method": behavior}},
    )
    assert sub.status == "trialing"  # no card is needed to start a trial
    frozen.advance(7 * DAY + HOUR)
    after = stripe.Subscription.retrieve(sub.id)
    assert after.status == status
    assert frozen.events_of(event)
    if behavior == "pause":
        paused = after.status_details.paused
        assert paused.subscription.type == "trial_end_without_payment_method"
        stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
        pm = stripe.PaymentMethod.list(customer=cus.id).data[0]
        stripe.Customer.modify(cus.id, invoice_settings={"default_payment_method": pm.id})
        resumed = stripe.Subscription.resume(sub.id, expand=["latest_invoice"])
        assert resumed.status == "active"
        assert resumed.latest_invoice.status == "paid" and resumed.latest_invoice.total == 2000
        assert frozen.events_of("customer.subscription.resumed")


def test_trial_end_now_and_bad_trial_combinations(frozen: StripeFake) -> None:
    cus = customer()
    plan = price()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": plan.id}], trial_end="now")
    assert sub.status == "active" and sub.trial_end is None
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Subscription.create(
            customer=cus.id,
            items=[{"price": plan.id}],
            trial_end=T0 + DAY,
            trial_period_days=3,
        )
    assert info.value.param in ("trial_end", "trial_period_days")


# ---- renewals, failures, retries --------------------------------------------------------------


def test_a_year_of_renewals_on_month_ends(frozen: StripeFake) -> None:
    cus = customer()
    plan = price(999)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": plan.id}])
    ends = []
    for _ in range(12):
        current = stripe.Subscription.retrieve(sub.id)
        end = item_period(current)[1]
        ends.append(end)
        frozen.advance(end + HOUR - frozen.state.now())
    assert [e for e in ends[:4]] == [
        at(2030, 2, 28, 12),
        at(2030, 3, 31, 12),
        at(2030, 4, 30, 12),
        at(2030, 5, 31, 12),
    ]
    invoices = stripe.Invoice.list(subscription=sub.id, limit=100).data
    assert len(invoices) == 13
    assert all(i.status == "paid" and i.amount_paid == 999 for i in invoices)
    assert [i.billing_reason for i in invoices][-1] == "subscription_create"
    assert {i.billing_reason for i in invoices[:-1]} == {"subscription_cycle"}
    assert len(frozen.events_of("invoice.paid")) == 13
    renewal = frozen.events_of("customer.subscription.updated")[0]["data"]
    old_items = renewal["previous_attributes"]["items"]["data"][0]
    assert old_items["current_period_end"] == at(2030, 2, 28, 12)


def test_renewal_events_in_order(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price().id}])
    frozen.advance(at(2030, 2, 28, 12) - T0)
    since = len(frozen.events) - 2
    assert types(frozen, since) == ["customer.subscription.updated", "invoice.created"]
    since = len(frozen.events)
    frozen.advance(HOUR)
    assert types(frozen, since) == [
        "invoice.finalized",
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "invoice.updated",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice_payment.paid",
    ]
    assert stripe.Subscription.retrieve(sub.id).status == "active"


def fail_renewals(fake: StripeFake, cus: Any) -> None:
    """Swap the customer's card for one that attaches but always declines."""
    bad_card = stripe.PaymentMethod.attach("pm_card_chargeCustomerFail", customer=cus.id)
    stripe.Customer.modify(cus.id, invoice_settings={"default_payment_method": bad_card.id})


def test_failed_renewal_goes_past_due_retries_then_cancels(frozen: StripeFake) -> None:
    frozen.billing.retry_schedule = (1, 2)
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price().id}])
    fail_renewals(frozen, cus)
    renew = at(2030, 2, 28, 12)
    frozen.advance(renew + HOUR - T0)
    past_due = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert past_due.status == "past_due"
    invoice = past_due.latest_invoice
    assert invoice.status == "open" and invoice.attempt_count == 1
    assert invoice.next_payment_attempt == renew + HOUR + DAY
    frozen.advance(DAY)
    invoice = stripe.Invoice.retrieve(invoice.id)
    assert invoice.attempt_count == 2 and invoice.next_payment_attempt == renew + HOUR + 3 * DAY
    assert len(frozen.events_of("invoice.payment_failed")) == 2
    since = len(frozen.events)
    frozen.advance(2 * DAY)
    canceled = stripe.Subscription.retrieve(sub.id)
    assert canceled.status == "canceled"
    assert canceled.cancellation_details.reason == "payment_failed"
    invoice = stripe.Invoice.retrieve(invoice.id)
    assert invoice.attempt_count == 3 and invoice.next_payment_attempt is None
    assert "customer.subscription.deleted" in types(frozen, since)
    # Nothing more happens on a canceled subscription.
    frozen.advance(40 * DAY)
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 2


def test_after_final_failure_unpaid_and_uncollectible(frozen: StripeFake) -> None:
    frozen.billing.retry_schedule = (1,)
    frozen.billing.after_final_failure = "unpaid"
    frozen.billing.invoice_after_final_failure = "mark_uncollectible"
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price().id}])
    fail_renewals(frozen, cus)
    frozen.advance(at(2030, 2, 28, 12) + HOUR + DAY - T0)
    unpaid = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert unpaid.status == "unpaid"
    assert unpaid.latest_invoice.status == "uncollectible"
    assert frozen.events_of("invoice.marked_uncollectible")


def test_past_due_recovers_when_the_customer_fixes_the_card(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price().id}])
    fail_renewals(frozen, cus)
    frozen.advance(at(2030, 2, 28, 12) + HOUR - T0)
    assert stripe.Subscription.retrieve(sub.id).status == "past_due"
    good = stripe.PaymentMethod.attach("pm_card_visa", customer=cus.id)
    stripe.Customer.modify(cus.id, invoice_settings={"default_payment_method": good.id})
    frozen.advance(3 * DAY)  # the first retry uses the new default card
    assert stripe.Subscription.retrieve(sub.id).status == "active"


# ---- changes ----------------------------------------------------------------------------------


def test_upgrade_mid_period_prorates_onto_the_next_invoice(frozen: StripeFake) -> None:
    cus = customer()
    basic, pro = price(1000, name="Basic"), price(3000, name="Pro")
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": basic.id}])
    start, end = item_period(sub)
    frozen.advance((end - start) // 2)
    mid = frozen.state.now()
    item = sub["items"].data[0]
    changed = stripe.Subscription.modify(sub.id, items=[{"id": item.id, "price": pro.id}])
    assert changed["items"].data[0].price.id == pro.id
    assert changed["items"].data[0].id == item.id
    assert changed.latest_invoice == sub.latest_invoice  # nothing invoiced now
    pending = stripe.InvoiceItem.list(customer=cus.id, pending=True).data
    credit = round(1000 * (end - mid) / (end - start))
    debit = round(3000 * (end - mid) / (end - start))
    assert sorted(i.amount for i in pending) == [-credit, debit]
    assert all(i.proration for i in pending)
    preview = stripe.Invoice.create_preview(customer=cus.id, subscription=sub.id)
    assert preview.total == 3000 + debit - credit
    frozen.advance(end + HOUR - mid)
    renewal = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"]).latest_invoice
    assert renewal.total == 3000 + debit - credit
    assert renewal.amount_paid == renewal.total
    descriptions = [line.description for line in renewal.lines.data]
    assert any(d.startswith("Unused time on Basic") for d in descriptions)
    assert any(d.startswith("Remaining time on Pro") for d in descriptions)


def test_always_invoice_bills_the_change_now(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price(1000).id}])
    start, end = item_period(sub)
    frozen.advance((end - start) // 2)
    item = sub["items"].data[0]
    changed = stripe.Subscription.modify(
        sub.id,
        items=[{"id": item.id, "quantity": 3}],
        proration_behavior="always_invoice",
        expand=["latest_invoice"],
    )
    invoice = changed.latest_invoice
    assert invoice.billing_reason == "subscription_update"
    assert invoice.status == "paid"
    assert invoice.total == round(2000 * (end - frozen.state.now()) / (end - start))
    assert stripe.InvoiceItem.list(customer=cus.id, pending=True).data == []


def test_proration_none_changes_the_price_without_lines(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price(1000).id}])
    item = sub["items"].data[0]
    frozen.advance(10 * DAY)
    stripe.Subscription.modify(
        sub.id, items=[{"id": item.id, "price": price(5000).id}], proration_behavior="none"
    )
    assert stripe.InvoiceItem.list(customer=cus.id).data == []
    frozen.advance(at(2030, 2, 28, 13) - frozen.state.now())
    renewal = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"]).latest_invoice
    assert renewal.total == 5000


def test_error_if_incomplete_update_changes_nothing(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price(1000).id}])
    fail_renewals(frozen, cus)
    item = sub["items"].data[0]
    frozen.advance(DAY)
    with pytest.raises(stripe.CardError):
        stripe.Subscription.modify(
            sub.id,
            items=[{"id": item.id, "quantity": 5}],
            proration_behavior="always_invoice",
            payment_behavior="error_if_incomplete",
        )
    after = stripe.Subscription.retrieve(sub.id)
    assert after["items"].data[0].quantity == 1
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 1


def test_pending_if_incomplete_keeps_the_change_pending(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price(1000).id}])
    fail_renewals(frozen, cus)
    item = sub["items"].data[0]
    frozen.advance(DAY)
    changed = stripe.Subscription.modify(
        sub.id,
        items=[{"id": item.id, "quantity": 2}],
        proration_behavior="always_invoice",
        payment_behavior="pending_if_incomplete",
    )
    assert changed["items"].data[0].quantity == 1
    assert changed.pending_update.subscription_items[0].quantity == 2
    assert changed.status == "active"
    stripe.Invoice.pay(changed.latest_invoice, payment_method="pm_card_visa")
    applied = stripe.Subscription.retrieve(sub.id)
    assert applied["items"].data[0].quantity == 2 and applied.pending_update is None
    assert frozen.events_of("customer.subscription.pending_update_applied")


def test_subscription_items_endpoints(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price(1000).id}])
    extra = stripe.SubscriptionItem.create(
        subscription=sub.id, price=price(500, name="Seat").id, quantity=2, proration_behavior="none"
    )
    assert extra.subscription == sub.id and extra.quantity == 2
    assert extra.current_period_end == item_period(sub)[1]
    listed = stripe.SubscriptionItem.list(subscription=sub.id).data
    assert {i.id for i in listed} == {sub["items"].data[0].id, extra.id}
    bumped = stripe.SubscriptionItem.modify(extra.id, quantity=4, proration_behavior="none")
    assert bumped.quantity == 4
    gone = stripe.SubscriptionItem.delete(extra.id, proration_behavior="none")
    assert gone.deleted is True
    assert len(stripe.Subscription.retrieve(sub.id)["items"].data) == 1
    with pytest.raises(stripe.InvalidRequestError):
        stripe.SubscriptionItem.delete(sub["items"].data[0].id)  # the last item stays


def test_billing_cycle_anchor_in_the_future_prorates_the_first_invoice(
    frozen: StripeFake,
) -> None:
    cus = customer()
    anchor = at(2030, 2, 15, 12)
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": price(2800).id}],
        billing_cycle_anchor=anchor,
        expand=["latest_invoice"],
    )
    assert sub.billing_cycle_anchor == anchor
    assert item_period(sub) == (T0, anchor)
    # 15 of the 31 days between Jan 15 and Feb 15 (the period the anchor closes).
    full = at(2030, 2, 15, 12) - at(2030, 1, 15, 12)
    assert sub.latest_invoice.total == round(2800 * (anchor - T0) / full)
    frozen.advance(anchor - T0)
    assert item_period(stripe.Subscription.retrieve(sub.id)) == (anchor, at(2030, 3, 15, 12))


def test_billing_cycle_anchor_config(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": price().id}],
        billing_cycle_anchor_config={"day_of_month": 1, "hour": 0},
        proration_behavior="none",
        expand=["latest_invoice"],
    )
    assert sub.billing_cycle_anchor == at(2030, 2, 1)
    assert sub.latest_invoice.total == 0


# ---- discounts --------------------------------------------------------------------------------


def test_repeating_coupon_discounts_two_invoices_then_stops(frozen: StripeFake) -> None:
    coupon = stripe.Coupon.create(percent_off=25, duration="repeating", duration_in_months=2)
    cus = customer()
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": price(1999).id}],
        discounts=[{"coupon": coupon.id}],
        expand=["latest_invoice", "discounts"],
    )
    discount = sub.discounts[0]
    assert discount.id.startswith("di_") and discount.source.coupon == coupon.id
    assert discount.subscription == sub.id and discount.start == T0
    assert discount.end == at(2030, 3, 31, 12)
    first = sub.latest_invoice
    assert (first.subtotal, first.total) == (1999, 1499)  # 499.75 rounds to 500 off
    assert first.total_discount_amounts[0].amount == 500
    assert first.discounts == [discount.id]
    assert first.lines.data[0].discount_amounts[0].amount == 500
    assert stripe.Coupon.retrieve(coupon.id).times_redeemed == 1
    totals = []
    for _ in range(3):
        end = item_period(stripe.Subscription.retrieve(sub.id))[1]
        frozen.advance(end + HOUR - frozen.state.now())
        totals.append(stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"]))
    assert [s.latest_invoice.total for s in totals] == [1499, 1999, 1999]
    assert totals[-1].discounts == []


def test_promotion_code_on_a_subscription_counts_and_runs_out(frozen: StripeFake) -> None:
    coupon = stripe.Coupon.create(amount_off=500, currency="usd", duration="forever")
    promo = stripe.PromotionCode.create(
        promotion={"type": "coupon", "coupon": coupon.id}, code="ONCE", max_redemptions=1
    )
    plan = price(2000)
    sub = stripe.Subscription.create(
        customer=customer().id,
        items=[{"price": plan.id}],
        discounts=[{"promotion_code": promo.id}],
        expand=["latest_invoice", "discounts"],
    )
    assert sub.latest_invoice.total == 1500
    assert sub.discounts[0].promotion_code == promo.id
    promo = stripe.PromotionCode.retrieve(promo.id)
    assert promo.times_redeemed == 1 and promo.active is False
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Subscription.create(
            customer=customer().id,
            items=[{"price": plan.id}],
            discounts=[{"promotion_code": promo.id}],
        )
    assert info.value.param == "discounts[0][promotion_code]"


def test_coupon_that_reached_max_redemptions_is_refused(frozen: StripeFake) -> None:
    coupon = stripe.Coupon.create(percent_off=10, max_redemptions=1)
    plan = price()
    stripe.Subscription.create(
        customer=customer().id, items=[{"price": plan.id}], discounts=[{"coupon": coupon.id}]
    )
    assert stripe.Coupon.retrieve(coupon.id).valid is False
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Subscription.create(
            customer=customer().id, items=[{"price": plan.id}], discounts=[{"coupon": coupon.id}]
        )
    assert info.value.code == "coupon_expired"


# ---- cancel -----------------------------------------------------------------------------------


def test_cancel_at_period_end_then_canceled_without_renewal(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price().id}])
    end = item_period(sub)[1]
    frozen.advance(DAY)
    pending = stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    assert pending.status == "active" and pending.cancel_at_period_end is True
    assert pending.cancel_at == end and pending.canceled_at == T0 + DAY
    prev = frozen.events_of("customer.subscription.updated")[-1]["data"]["previous_attributes"]
    assert prev["cancel_at_period_end"] is False
    undone = stripe.Subscription.modify(sub.id, cancel_at_period_end=False)
    assert undone.cancel_at is None and undone.canceled_at is None
    stripe.Subscription.modify(sub.id, cancel_at_period_end=True)
    frozen.advance(end - frozen.state.now() + 2 * HOUR)
    done = stripe.Subscription.retrieve(sub.id)
    assert done.status == "canceled" and done.ended_at == end
    assert done.cancellation_details.reason == "cancellation_requested"
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 1
    assert frozen.events_of("customer.subscription.deleted")


def test_cancel_at_a_time_mid_period_prorates_the_last_invoice(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price(2800).id}])
    when = T0 + 10 * DAY
    stripe.Subscription.modify(sub.id, cancel_at=when, proration_behavior="none")
    frozen.advance(10 * DAY)
    assert stripe.Subscription.retrieve(sub.id).status == "canceled"


def test_cancel_now_with_invoice_now_and_prorate_credits_unused_time(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price(2800).id}])
    start, end = item_period(sub)
    frozen.advance(7 * DAY)
    since = len(frozen.events)
    canceled = stripe.Subscription.cancel(sub.id, invoice_now=True, prorate=True)
    assert canceled.status == "canceled" and canceled.ended_at == T0 + 7 * DAY
    final = stripe.Invoice.retrieve(canceled.latest_invoice)
    credit = round(2800 * (end - (T0 + 7 * DAY)) / (end - start))
    assert final.total == -credit and final.amount_due == 0
    assert stripe.Customer.retrieve(cus.id).balance == -credit
    assert "customer.subscription.deleted" in types(frozen, since)
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Subscription.modify(sub.id, items=[{"price": price().id}])
    assert info.value.code == "invalid_canceled_subscription_fields"
    # The credit pays for the customer's next invoice.
    nxt = stripe.Subscription.create(
        customer=cus.id, items=[{"price": price(3000).id}], expand=["latest_invoice"]
    )
    assert nxt.latest_invoice.amount_due == 3000 - credit


def test_plain_cancel_drops_pending_prorations(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price(1000).id}])
    frozen.advance(3 * DAY)
    item = sub["items"].data[0]
    stripe.Subscription.modify(sub.id, items=[{"id": item.id, "quantity": 2}])
    assert stripe.InvoiceItem.list(customer=cus.id, pending=True).data
    stripe.Subscription.cancel(sub.id)
    assert stripe.InvoiceItem.list(customer=cus.id, pending=True).data == []


# ---- list, pause, send_invoice ----------------------------------------------------------------


def test_list_filters(sdk: Driver) -> None:
    cus = sdk.create(
        "customers",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    prod = sdk.create("products", name="P")
    a = sdk.create(
        "prices", product=prod.id, unit_amount=100, currency="usd", recurring={"interval": "month"}
    )
    b = sdk.create(
        "prices", product=prod.id, unit_amount=900, currency="usd", recurring={"interval": "year"}
    )
    s1 = sdk.create("subscriptions", customer=cus.id, items=[{"price": a.id}])
    s2 = sdk.create("subscriptions", customer=cus.id, items=[{"price": b.id}])
    s3 = sdk.create("subscriptions", customer=cus.id, items=[{"price": a.id}], trial_period_days=3)
    sdk.action("subscriptions", "cancel", s1.id)
    assert [s.id for s in sdk.list("subscriptions").data] == [s3.id, s2.id]
    assert [s.id for s in sdk.list("subscriptions", status="all").data] == [s3.id, s2.id, s1.id]
    assert [s.id for s in sdk.list("subscriptions", status="canceled").data] == [s1.id]
    assert [s.id for s in sdk.list("subscriptions", price=a.id).data] == [s3.id]
    assert [s.id for s in sdk.list("subscriptions", status="trialing").data] == [s3.id]
    assert sdk.list("subscriptions", customer="cus_other").data == []


def test_send_invoice_subscription_is_active_and_goes_past_due_after_the_due_date(
    frozen: StripeFake,
) -> None:
    cus = customer(pm=None)
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": price().id}],
        collection_method="send_invoice",
        days_until_due=14,
        expand=["latest_invoice"],
    )
    assert sub.status == "active" and sub.days_until_due == 14
    invoice = sub.latest_invoice
    assert invoice.collection_method == "send_invoice"
    # Stripe finalizes and sends the first invoice of a send_invoice subscription an hour later.
    assert invoice.status == "draft" and invoice.automatically_finalizes_at == T0 + HOUR
    frozen.advance(HOUR)
    invoice = stripe.Invoice.retrieve(invoice.id)
    assert invoice.status == "open" and invoice.due_date == T0 + HOUR + 14 * DAY
    assert invoice.next_payment_attempt is None
    assert invoice.hosted_invoice_url
    assert frozen.events_of("invoice.sent")
    frozen.advance(14 * DAY)
    assert stripe.Subscription.retrieve(sub.id).status == "past_due"
    assert frozen.events_of("invoice.overdue")
    stripe.Invoice.pay(invoice.id, paid_out_of_band=True)
    assert stripe.Subscription.retrieve(sub.id).status == "active"


@pytest.mark.skipif(
    not hasattr(stripe.Subscription, "pause"), reason="this stripe-python has no Subscription.pause"
)
def test_pause_and_resume(frozen: StripeFake) -> None:
    cus = customer()
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price().id}])
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Subscription.resume(sub.id)  # only paused subscriptions resume
    paused = stripe.Subscription.pause(sub.id, type="subscription")
    assert paused.status == "paused"
    assert paused.status_details.paused.subscription.type == "pause_requested"
    frozen.advance(40 * DAY)
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 1  # nothing billed while paused
    resumed = stripe.Subscription.resume(sub.id)
    assert resumed.status == "active"
    assert item_period(resumed)[0] == T0 + 40 * DAY


# ---- 3D Secure on renewals ----------------------------------------------------------------------


def test_card_set_up_by_the_first_payment_renews_off_session(frozen: StripeFake) -> None:
    cus = customer("pm_card_authenticationRequiredOnSetup")
    sub = stripe.Subscription.create(
        customer=cus.id, items=[{"price": price().id}], expand=["latest_invoice.payments"]
    )
    assert sub.status == "incomplete"
    frozen.authenticate(sub.latest_invoice.payments.data[0].payment.payment_intent)
    assert stripe.Subscription.retrieve(sub.id).status == "active"
    frozen.advance(at(2030, 2, 28, 12) + HOUR - T0)
    renewed = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert renewed.status == "active" and renewed.latest_invoice.status == "paid"


def test_card_that_always_needs_authentication_makes_renewals_past_due(
    frozen: StripeFake,
) -> None:
    cus = customer("pm_card_threeDSecure2Required")
    sub = stripe.Subscription.create(
        customer=cus.id, items=[{"price": price().id}], expand=["latest_invoice.payments"]
    )
    frozen.authenticate(sub.latest_invoice.payments.data[0].payment.payment_intent)
    since = len(frozen.events)
    frozen.advance(at(2030, 2, 28, 12) + HOUR - T0)
    after = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert after.status == "past_due" and after.latest_invoice.status == "open"
    assert "invoice.payment_action_required" in types(frozen, since)
    pi = stripe.PaymentIntent.retrieve(
        stripe.Invoice.retrieve(after.latest_invoice.id, expand=["payments"])
        .payments.data[0]
        .payment.payment_intent
    )
    assert pi.last_payment_error.code == "authentication_required"


def test_default_incomplete_trial_gets_a_pending_setup_intent(frozen: StripeFake) -> None:
    cus = customer(pm=None)
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": price().id}],
        trial_period_days=7,
        payment_behavior="default_incomplete",
        payment_settings={"save_default_payment_method": "on_subscription"},
        expand=["pending_setup_intent"],
    )
    assert sub.status == "trialing"
    si = sub.pending_setup_intent
    assert si.status == "requires_payment_method" and si.customer == cus.id
    stripe.SetupIntent.confirm(si.id, payment_method="pm_card_visa", return_url="https://x.test")
    after = stripe.Subscription.retrieve(sub.id)
    assert after.pending_setup_intent is None
    assert after.default_payment_method is not None
    frozen.advance(7 * DAY + HOUR)  # the card set up during the trial pays the first period
    paid = stripe.Subscription.retrieve(sub.id, expand=["latest_invoice"])
    assert paid.status == "active" and paid.latest_invoice.status == "paid"
