"""Promotion codes entered on hosted Checkout (`allow_promotion_codes=true`), through the SDK.

In-process with `fake.complete_checkout(..., promotion_code=...)` and on the page itself
(GET the session's `url`, POST its form), in-process and served.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from mockkit.stripe import CheckoutError, StripeFake
from mockkit.stripe.objects import API_VERSION
from tests.stripe.billing_helpers import DAY, freeze
from tests.stripe.driver import Driver

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION

OK = "https://shop.example/ok"


def snapshot(fake: StripeFake) -> str:
    """Every stored object, as JSON."""
    return json.dumps(
        {kind: dict(store.by_id) for kind, store in fake.state.stores.items()},
        sort_keys=True,
        default=str,
    )


def code(sdk: Driver, text: str = "SUMMER", **coupon: Any) -> Any:
    """A promotion code `text` for a new coupon (25% off once unless `coupon` says)."""
    params = coupon or {"percent_off": 25, "duration": "once"}
    made = sdk.create("coupons", **params)
    return sdk.create("promotion_codes", promotion={"type": "coupon", "coupon": made.id}, code=text)


def monthly(sdk: Driver, amount: int = 2000) -> Any:
    return sdk.create(
        "prices",
        product_data={"name": "Club"},
        unit_amount=amount,
        currency="usd",
        recurring={"interval": "month"},
    )


def subscription_session(sdk: Driver, amount: int = 2000, **params: Any) -> Any:
    return sdk.create(
        "checkout.sessions",
        mode="subscription",
        success_url=OK,
        line_items=[{"price": monthly(sdk, amount).id, "quantity": 1}],
        allow_promotion_codes=True,
        **params,
    )


def payment_session(sdk: Driver, **params: Any) -> Any:
    return sdk.create(
        "checkout.sessions",
        mode="payment",
        success_url=OK,
        line_items=[
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 999,
                    "product_data": {"name": "Mug"},
                },
                "quantity": 2,
            },
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 333,
                    "product_data": {"name": "Spoon"},
                },
                "quantity": 1,
            },
        ],
        **{"allow_promotion_codes": True, **params},
    )


def test_a_code_discounts_the_subscription_and_its_first_invoice(sdk: Driver) -> None:
    promo = code(sdk, "summer-25")
    session = subscription_session(sdk)
    done = sdk.fake.complete_checkout(session.id, promotion_code="SUMMER-25")
    assert done["status"] == "complete" and done["payment_status"] == "paid"
    got = sdk.retrieve("checkout.sessions", session.id)
    assert (got.amount_subtotal, got.amount_total) == (2000, 1500)
    assert got.total_details.amount_discount == 500
    assert got.discounts[0].promotion_code == promo.id and got.discounts[0].coupon is None
    sub = sdk.retrieve("subscriptions", got.subscription, expand=["discounts"])
    assert len(sub.discounts) == 1 and sub.discounts[0].promotion_code == promo.id
    invoice = sdk.retrieve("invoices", got.invoice)
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (2000, 1500, 1500)
    assert sdk.retrieve("promotion_codes", promo.id).times_redeemed == 1
    assert sdk.retrieve("coupons", promo.promotion.coupon).times_redeemed == 1


def test_a_code_in_payment_mode_is_exact_to_the_cent(sdk: Driver) -> None:
    promo = code(sdk, "TENTH", percent_off=15, duration="once")
    session = payment_session(sdk)
    assert session.amount_total == 2 * 999 + 333
    done = sdk.fake.complete_checkout(session.id, promotion_code="tenth")
    # 15% of 2331 is 349.65: 350 off, shared over the lines by what each costs.
    assert (done["amount_subtotal"], done["amount_total"]) == (2331, 1981)
    assert done["total_details"]["amount_discount"] == 350
    pi = sdk.retrieve("payment_intents", done["payment_intent"])
    assert (pi.amount, pi.status) == (1981, "succeeded")
    items = sdk.retrieve("checkout.sessions", session.id, expand=["line_items"]).line_items
    assert sum(li.amount_discount for li in items.data) == 350
    assert sum(li.amount_total for li in items.data) == 1981
    assert [li.amount_discount for li in items.data] == [300, 50]  # 1998 and 333 of 2331
    assert sdk.retrieve("promotion_codes", promo.id).times_redeemed == 1
    made = [d for d in sdk.fake.objects("discount").values() if d["promotion_code"] == promo.id]
    assert len(made) == 1 and made[0]["checkout_session"] == session.id


def test_an_amount_off_code(sdk: Driver) -> None:
    code(sdk, "FIVER", amount_off=500, currency="usd", duration="forever")
    session = subscription_session(sdk, 1200)
    done = sdk.fake.complete_checkout(session.id, promotion_code="FIVER")
    assert done["amount_total"] == 700
    sdk.fake.advance(32 * DAY)  # forever: the renewal is discounted too
    renewal = sdk.list("invoices", subscription=done["subscription"]).data[0]
    assert renewal.billing_reason == "subscription_cycle" and renewal.total == 700


def _refused(sdk: Driver, session: Any, text: str, message: str) -> None:
    before = snapshot(sdk.fake)
    events = len(sdk.fake.events)
    with pytest.raises(CheckoutError, match=message):
        sdk.fake.complete_checkout(session.id, promotion_code=text)
    assert snapshot(sdk.fake) == before
    assert len(sdk.fake.events) == events


def test_invalid_expired_and_inapplicable_codes_change_nothing(sdk: Driver) -> None:
    freeze(sdk.fake)
    code(sdk, "LATER")
    soon = sdk.create("coupons", percent_off=10)
    sdk.create(
        "promotion_codes",
        promotion={"type": "coupon", "coupon": soon.id},
        code="SOON",
        expires_at=sdk.fake.clock() + 3600,
    )
    once = sdk.create("coupons", percent_off=10)
    sdk.create(
        "promotion_codes",
        promotion={"type": "coupon", "coupon": once.id},
        code="ONCE",
        max_redemptions=1,
    )
    big = sdk.create("coupons", percent_off=10)
    sdk.create(
        "promotion_codes",
        promotion={"type": "coupon", "coupon": big.id},
        code="BIG",
        restrictions={"minimum_amount": 5000, "minimum_amount_currency": "usd"},
    )
    other = sdk.create("customers", email="other@example.com")
    sdk.create(
        "promotion_codes",
        promotion={"type": "coupon", "coupon": big.id},
        code="THEIRS",
        customer=other.id,
    )
    first = subscription_session(sdk)
    sdk.fake.complete_checkout(first.id, promotion_code="ONCE")
    session = subscription_session(sdk)
    sdk.fake.advance(7200)
    _refused(sdk, session, "NOPE", "This code is invalid.")
    _refused(sdk, session, "", "This code is invalid.")
    _refused(sdk, session, "SOON", "This code has expired")
    _refused(sdk, session, "ONCE", "This code has expired")
    _refused(sdk, session, "BIG", "minimum amount of 5000 usd")
    _refused(sdk, session, "THEIRS", "This code is invalid.")
    plain = sdk.create(
        "checkout.sessions",
        mode="subscription",
        success_url=OK,
        line_items=[{"price": monthly(sdk).id, "quantity": 1}],
    )
    _refused(sdk, plain, "LATER", "does not accept promotion codes")
    # None of it stuck: the session is still payable in full.
    assert sdk.fake.complete_checkout(session.id)["amount_total"] == 2000


def test_a_code_after_a_declined_attempt_reprices_the_payment(sdk: Driver) -> None:
    code(sdk, "HALF", percent_off=50)
    session = payment_session(sdk)
    with pytest.raises(CheckoutError):
        sdk.fake.complete_checkout(session.id, "pm_card_chargeDeclined")
    done = sdk.fake.complete_checkout(session.id, promotion_code="HALF")
    pi = sdk.retrieve("payment_intents", done["payment_intent"])
    assert pi.amount == done["amount_total"] == 2331 - 1166


# ---- the hosted page --------------------------------------------------------------------------


def _post(url: str, **fields: str) -> requests.Response:
    return requests.post(url, data=fields, allow_redirects=False, timeout=10)


def test_the_page_offers_the_code_field_and_applies_a_code(sdk: Driver) -> None:
    promo = code(sdk, "SUMMER")
    session = subscription_session(sdk)
    page = requests.get(session.url, timeout=10).text
    assert "id=promotion-code" in page and "id=apply-code" in page
    applied = _post(session.url, op="apply", promotion_code="summer")
    assert applied.status_code == 200
    assert "id=discount" in applied.text and "-$5.00" in applied.text
    # The line at its price, the discount under it, the total: $20.00 - $5.00 = $15.00.
    assert "Club &times; 1</td><td class=amount>$20.00</td>" in applied.text
    assert "<span id=total>$15.00</span>" in applied.text
    assert sdk.retrieve("checkout.sessions", session.id).amount_total == 1500
    # Nothing is redeemed until the customer pays.
    assert sdk.retrieve("promotion_codes", promo.id).times_redeemed == 0
    paid = _post(session.url, op="pay", card="pm_card_visa", email="a@example.com")
    assert paid.status_code == 303 and paid.headers["Location"] == OK
    got = sdk.retrieve("checkout.sessions", session.id)
    assert got.status == "complete" and got.amount_total == 1500
    assert sdk.retrieve("invoices", got.invoice).amount_paid == 1500
    assert sdk.retrieve("promotion_codes", promo.id).times_redeemed == 1


def test_the_page_refuses_a_bad_code_and_changes_nothing(sdk: Driver) -> None:
    code(sdk, "SUMMER")
    session = subscription_session(sdk)
    plain = payment_session(sdk, allow_promotion_codes=False)
    assert "id=promotion-code" not in requests.get(plain.url, timeout=10).text
    before, events = snapshot(sdk.fake), len(sdk.fake.events)
    refused = _post(session.url, op="apply", promotion_code="WINTER")
    assert refused.status_code == 400
    assert "<div id=code-error role=alert>This code is invalid.</div>" in refused.text
    assert "<span id=total>$20.00</span>" in refused.text
    paying = _post(session.url, op="pay", card="pm_card_visa", promotion_code="WINTER")
    assert paying.status_code == 400 and "This code is invalid." in paying.text
    assert _post(plain.url, op="apply", promotion_code="SUMMER").status_code == 400
    assert snapshot(sdk.fake) == before and len(sdk.fake.events) == events
    assert sdk.retrieve("checkout.sessions", session.id).status == "open"
