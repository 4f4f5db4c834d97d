"""A refused request changes nothing: no object stored, no event emitted, no webhook sent.

Through the real SDK, both styles, in-process and served. Each case here once stored part of
what it was refusing (an intent, an inline product, a Checkout's prices); the rule now lives
in the fake's machinery (every request runs in a transaction committed only on success), so
the same holds for every endpoint: `tests/stripe/test_atomicity_fuzz.py` checks all
of them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake
from tests.stripe.driver import CARD, Driver


def snapshot(fake: StripeFake) -> str:
    """Everything the account holds (every store, every event), as one comparable text."""
    stores = {kind: dict(store.by_id) for kind, store in fake.state.stores.items()}
    return json.dumps({"stores": stores, "events": fake.events}, sort_keys=True, default=str)


def refused(fake: StripeFake, call: Any) -> stripe.StripeError:
    """Run `call`, which must be refused, and check the account is as it was."""
    before = snapshot(fake)
    with pytest.raises(stripe.StripeError) as info:
        call()
    assert snapshot(fake) == before
    return info.value


def test_return_url_without_confirm_creates_no_intent(sdk: Driver) -> None:
    error = refused(
        sdk.fake,
        lambda: sdk.create(
            "payment_intents", amount=2000, currency="usd", return_url="https://shop.example/r"
        ),
    )
    assert isinstance(error, stripe.InvalidRequestError) and error.param == "return_url"
    assert not sdk.fake.payment_intents
    assert sdk.fake.events_of("payment_intent.created") == []


def test_price_with_product_data_and_bad_currency_stores_no_product(sdk: Driver) -> None:
    error = refused(
        sdk.fake,
        lambda: sdk.create(
            "prices", currency="xyz", unit_amount=500, product_data={"name": "Orphan"}
        ),
    )
    assert error.param == "currency"
    assert not sdk.fake.products and not sdk.fake.prices


def test_checkout_with_mixed_currencies_stores_no_product_or_price(sdk: Driver) -> None:
    items = [
        {
            "price_data": {"currency": c, "unit_amount": 900, "product_data": {"name": c}},
            "quantity": 1,
        }
        for c in ("usd", "eur")
    ]
    error = refused(
        sdk.fake,
        lambda: sdk.create(
            "checkout.sessions",
            mode="payment",
            line_items=items,
            success_url="https://shop.example/ok",
        ),
    )
    assert error.param == "line_items"
    assert not sdk.fake.products and not sdk.fake.prices and not sdk.fake.checkout_sessions


def test_a_refused_request_sends_no_webhook(fake: StripeFake) -> None:
    seen: list[str] = []
    fake.state.listeners.append(lambda event: seen.append(event["type"]))
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Price.create(currency="xyz", unit_amount=500, product_data={"name": "Orphan"})
    with pytest.raises(stripe.InvalidRequestError):
        stripe.PaymentIntent.create(amount=900, currency="usd", return_url="https://x.example")
    assert seen == []
    stripe.Product.create(name="Kept")
    assert seen == ["product.created"]  # listeners hear what is committed, once


def test_a_decline_keeps_what_stripe_keeps(sdk: Driver) -> None:
    # Not every error is a refusal: a declined payment is an attempt Stripe records (the
    # intent, its failed charge, the events) before answering 402.
    with pytest.raises(stripe.CardError):
        sdk.create(
            "payment_intents",
            amount=2000,
            currency="usd",
            payment_method="pm_card_chargeDeclined",
            confirm=True,
            **CARD,
        )
    (pi,) = sdk.fake.payment_intents.values()
    assert pi["status"] == "requires_payment_method"
    assert sdk.fake.charges[pi["latest_charge"]]["status"] == "failed"
    assert [e["type"] for e in sdk.fake.events] == [
        "payment_intent.created",
        "charge.failed",
        "payment_intent.payment_failed",
    ]


def test_a_refused_update_leaves_the_object_as_it_was(sdk: Driver) -> None:
    customer = sdk.create("customers", email="a@example.com", metadata={"k": "v"})
    refused(
        sdk.fake,
        lambda: sdk.update(
            "customers",
            customer.id,
            email="b@example.com",
            invoice_settings={"default_payment_method": "pm_nope"},
        ),
    )
    assert sdk.retrieve("customers", customer.id).email == "a@example.com"


def test_a_refused_confirm_leaves_the_intent_and_its_secrets_as_they_were(sdk: Driver) -> None:
    pi = sdk.create("payment_intents", amount=2000, currency="usd")
    refused(
        sdk.fake,
        lambda: sdk.action(
            "payment_intents",
            "confirm",
            pi.id,
            payment_method="pm_card_visa",
            return_url="javascript:alert(1)",
        ),
    )
    again = sdk.retrieve("payment_intents", pi.id)
    assert again.status == "requires_payment_method" and again.payment_method is None


def test_what_a_refused_confirm_told_the_fake_is_forgotten_too(sdk: Driver) -> None:
    # The return_url of a refused confirm is bookkeeping the fake keeps beside the intent
    # (Stripe does not show it); a later 3D Secure redirect must not lead there.
    pi = sdk.create(
        "payment_intents",
        amount=2000,
        currency="usd",
        payment_method="pm_card_threeDSecure2Required",
        **CARD,
    )
    refused(
        sdk.fake,
        lambda: sdk.action(
            "payment_intents",
            "confirm",
            pi.id,
            return_url="https://elsewhere.example/steal",
            payment_method="pm_nope",
        ),
    )
    confirmed = sdk.action("payment_intents", "confirm", pi.id)
    assert confirmed.status == "requires_action"
    assert confirmed.next_action.type == "use_stripe_sdk"  # no return_url was ever accepted
