"""Test clocks through the real SDK: a year of renewals in one process, no waiting."""

from __future__ import annotations

import pytest
import stripe

from mockkit.stripe import StripeFake
from tests.stripe.billing_helpers import DAY, HOUR, at, price, types
from tests.stripe.driver import Driver

START = at(2031, 1, 31, 9)


def clock_customer(clock_id: str, pm: str = "pm_card_visa") -> stripe.Customer:
    return stripe.Customer.create(
        test_clock=clock_id, payment_method=pm, invoice_settings={"default_payment_method": pm}
    )


def test_clock_lifecycle(sdk: Driver) -> None:
    clock = sdk.create("test_helpers.test_clocks", frozen_time=START, name="Annual")
    assert clock.id.startswith("clock_") and clock.object == "test_helpers.test_clock"
    assert (clock.frozen_time, clock.name, clock.status) == (START, "Annual", "ready")
    assert clock.deletes_after > clock.created
    got = sdk.retrieve("test_helpers.test_clocks", clock.id)
    assert got.frozen_time == START
    moved = sdk.action("test_helpers.test_clocks", "advance", clock.id, frozen_time=START + DAY)
    assert moved.frozen_time == START + DAY
    assert [c.id for c in sdk.list("test_helpers.test_clocks").data] == [clock.id]
    gone = sdk.delete("test_helpers.test_clocks", clock.id)
    assert gone.deleted is True
    assert types(sdk.fake) == [
        "test_helpers.test_clock.created",
        "test_helpers.test_clock.advancing",
        "test_helpers.test_clock.ready",
        "test_helpers.test_clock.deleted",
    ]


def test_a_year_on_a_clock_runs_every_renewal_in_order(fake: StripeFake) -> None:
    clock = stripe.test_helpers.TestClock.create(frozen_time=START)
    cus = clock_customer(clock.id)
    assert cus.test_clock == clock.id
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price(1200).id}])
    assert sub.test_clock == clock.id and sub.start_date == START
    # Eleven advances, each to the 1st of a month, pass twelve renewals.
    targets = [at(2031, m, 1) for m in range(3, 13)] + [at(2032, 1, 1), at(2032, 2, 1)]
    for target in targets:
        stripe.test_helpers.TestClock.advance(clock.id, frozen_time=target)
    invoices = stripe.Invoice.list(subscription=sub.id, limit=100).data
    assert len(invoices) == 13
    assert all(i.status == "paid" and i.test_clock == clock.id for i in invoices)
    created = sorted(i.created for i in invoices)
    assert created[1] == at(2031, 2, 28, 9)  # clamped month end
    assert created[2] == at(2031, 3, 31, 9)
    paid = [e for e in fake.events if e["type"] == "invoice.paid"]
    assert [e["created"] for e in paid] == sorted(e["created"] for e in paid)
    # Time of the rest of the account did not move.
    other = stripe.Customer.create()
    assert other.created < START


def test_advance_limit_is_two_intervals_of_the_shortest_subscription(fake: StripeFake) -> None:
    clock = stripe.test_helpers.TestClock.create(frozen_time=START)
    cus = clock_customer(clock.id)
    stripe.Subscription.create(customer=cus.id, items=[{"price": price(interval="week").id}])
    stripe.Subscription.create(customer=cus.id, items=[{"price": price(interval="month").id}])
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.test_helpers.TestClock.advance(clock.id, frozen_time=START + 14 * DAY + 1)
    assert info.value.param == "frozen_time"
    assert stripe.test_helpers.TestClock.retrieve(clock.id).frozen_time == START
    ok = stripe.test_helpers.TestClock.advance(clock.id, frozen_time=START + 14 * DAY)
    assert ok.frozen_time == START + 14 * DAY
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.test_helpers.TestClock.advance(clock.id, frozen_time=START)
    assert info.value.param == "frozen_time"


def test_without_subscriptions_a_clock_advances_up_to_two_years(fake: StripeFake) -> None:
    clock = stripe.test_helpers.TestClock.create(frozen_time=START)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.test_helpers.TestClock.advance(clock.id, frozen_time=at(2033, 2, 1))
    stripe.test_helpers.TestClock.advance(clock.id, frozen_time=at(2033, 1, 30))


def test_retries_and_trial_on_a_clock(fake: StripeFake) -> None:
    fake.billing.retry_schedule = (2,)
    clock = stripe.test_helpers.TestClock.create(frozen_time=START)
    cus = clock_customer(clock.id, "pm_card_chargeCustomerFail")
    sub = stripe.Subscription.create(
        customer=cus.id, items=[{"price": price().id}], trial_period_days=10
    )
    assert sub.status == "trialing"
    stripe.test_helpers.TestClock.advance(clock.id, frozen_time=START + 10 * DAY + 2 * HOUR)
    assert stripe.Subscription.retrieve(sub.id).status == "past_due"
    stripe.test_helpers.TestClock.advance(clock.id, frozen_time=START + 13 * DAY)
    assert stripe.Subscription.retrieve(sub.id).status == "canceled"
    evs = types(fake)
    created = [i for i, t in enumerate(evs) if t == "invoice.created"]
    assert len(created) == 2  # the trial's $0 invoice, then the first paid period's
    assert created[0] < evs.index("customer.subscription.trial_will_end") < created[1]


def test_customers_on_clocks_are_listed_only_by_clock(fake: StripeFake) -> None:
    clock = stripe.test_helpers.TestClock.create(frozen_time=START)
    on_clock = stripe.Customer.create(test_clock=clock.id)
    plain = stripe.Customer.create()
    assert [c.id for c in stripe.Customer.list().data] == [plain.id]
    assert [c.id for c in stripe.Customer.list(test_clock=clock.id).data] == [on_clock.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Customer.modify(plain.id, test_clock=clock.id)
    assert info.value.code == "parameter_unknown"
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Customer.create(test_clock="clock_nope")
    assert info.value.code == "resource_missing"


def test_deleting_a_clock_deletes_its_customers_and_subscriptions(fake: StripeFake) -> None:
    clock = stripe.test_helpers.TestClock.create(frozen_time=START)
    cus = clock_customer(clock.id)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price().id}])
    stripe.test_helpers.TestClock.delete(clock.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Subscription.retrieve(sub.id)
    assert stripe.Customer.retrieve(cus.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe.test_helpers.TestClock.retrieve(clock.id)


def test_clock_subscriptions_ignore_the_fakes_own_clock(fake: StripeFake) -> None:
    clock = stripe.test_helpers.TestClock.create(frozen_time=START)
    cus = clock_customer(clock.id)
    sub = stripe.Subscription.create(customer=cus.id, items=[{"price": price().id}])
    fake.advance(400 * DAY)
    assert len(stripe.Invoice.list(subscription=sub.id).data) == 1
