"""Helpers shared by the Billing tests: a frozen clock, customers with cards, monthly prices,
and a subscribed member."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe

from mockkit.stripe import StripeFake
from tests.stripe.driver import Driver

#: 2030-01-31 12:00 UTC: a month end, so renewals show the clamping (Feb 28, Mar 31, ...).
T0 = int(datetime(2030, 1, 31, 12, tzinfo=UTC).timestamp())
HOUR = 3600
DAY = 86400


def at(*args: int) -> int:
    """Unix time of a UTC date."""
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


def freeze(fake: StripeFake, t: int = T0) -> None:
    """Stop the fake's clock at `t` (it moves only with `fake.advance`)."""
    fake.clock = lambda: t


def customer(pm: str | None = "pm_card_visa", **params: Any) -> Any:
    """A customer, with `pm` attached and made the invoice default when given."""
    if pm is None:
        return stripe.Customer.create(email="sub@example.com", **params)
    return stripe.Customer.create(
        email="sub@example.com",
        payment_method=pm,
        invoice_settings={"default_payment_method": pm},
        **params,
    )


def price(amount: int = 2000, interval: str = "month", count: int = 1, **params: Any) -> Any:
    """A recurring price of a fresh product."""
    return stripe.Price.create(
        product_data={"name": params.pop("name", "Gold")},
        unit_amount=amount,
        currency=params.pop("currency", "usd"),
        recurring={"interval": interval, "interval_count": count},
        **params,
    )


def types(fake: StripeFake, since: int = 0) -> list[str]:
    """Types of the events emitted from index `since` on."""
    return [e["type"] for e in fake.events[since:]]


def item_period(sub: Any) -> tuple[int, int]:
    """The (start, end) of a subscription's first item."""
    item = sub["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def billing_objects(fake: StripeFake) -> dict[str, dict[str, Any]]:
    """One Billing object of every kind, made through the SDK, as JSON (freezes the clock)."""
    freeze(fake)
    clock = stripe.test_helpers.TestClock.create(frozen_time=fake.state.now())
    coupon = stripe.Coupon.create(percent_off=10, duration="forever")
    promo = stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id})
    cus = customer()
    stripe.InvoiceItem.create(customer=cus.id, amount=300, currency="usd")
    sub = stripe.Subscription.create(
        customer=cus.id,
        items=[{"price": price().id}],
        discounts=[{"promotion_code": promo.id}],
        expand=["latest_invoice.payments", "discounts"],
    )
    invoice = sub.latest_invoice
    item = stripe.InvoiceItem.list(customer=cus.id).data[0]
    si = stripe.SetupIntent.create(customer=cus.id)
    found = [
        sub,
        sub["items"].data[0],
        invoice,
        invoice.lines.data[0],
        item,
        invoice.payments.data[0],
        si,
        coupon,
        promo,
        sub.discounts[0],
        clock,
    ]
    return {o.object: o.to_dict() for o in found}


def member(sdk: Driver, amount: int = 2000) -> tuple[Any, Any, Any]:
    """A customer paying a monthly plan with a card, through `sdk`: (customer, price, sub)."""
    cus = sdk.create(
        "customers",
        email="member@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    plan = sdk.create(
        "prices",
        product_data={"name": "Gold"},
        unit_amount=amount,
        currency="usd",
        recurring={"interval": "month"},
    )
    sub = sdk.create("subscriptions", customer=cus.id, items=[{"price": plan.id}])
    return cus, plan, sub
