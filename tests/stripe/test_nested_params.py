"""Nested parameters are judged like top-level ones, at every depth and per API version.

Through the real SDK: a nested key Stripe knows that the fake does not emulate is refused as
not emulated under its full bracketed name; one Stripe does not know (there, or at the
request's version) is Stripe's "Received unknown parameter"; nothing is stored either way.
`test_sdk_conformance.py` runs the same rules over every endpoint against the SDK's types.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake
from tests.stripe.driver import Driver

LINE = {"price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Tee"}}}


def test_a_nested_parameter_the_fake_does_not_emulate_is_refused_by_its_full_name(
    sdk: Driver,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(
            "checkout.sessions",
            mode="payment",
            success_url="https://shop.example/ok",
            line_items=[{**LINE, "quantity": 1}],
            payment_intent_data={"application_fee_amount": 100},  # Connect
        )
    assert info.value.param == "payment_intent_data[application_fee_amount]"
    assert "does not emulate the parameter `payment_intent_data[application_fee_amount]`" in str(
        info.value.user_message
    )
    assert sdk.fake.checkout_sessions == {}


@pytest.mark.parametrize(
    ("name", "params", "param"),
    [
        # Under a parameter the fake takes as sent: only keys Stripe knows there.
        (
            "payment_intents",
            {"amount": 500, "currency": "usd", "payment_method_options": {"card": {"hue": "x"}}},
            "payment_method_options[card][hue]",
        ),
        # A subscription's new item has no id to name, nor anything to delete or clear.
        (
            "subscriptions",
            {"customer": "cus_123", "items": [{"price": "price_123", "id": "si_123"}]},
            "items[0][id]",
        ),
        # Checkout discounts take a coupon or a promotion code, not an existing discount.
        (
            "checkout.sessions",
            {
                "mode": "payment",
                "success_url": "https://shop.example/ok",
                "line_items": [{**LINE, "quantity": 1}],
                "discounts": [{"discount": "di_123"}],
            },
            "discounts[0][discount]",
        ),
        # A price made inline recurs by interval only (usage types are a standalone price's).
        (
            "products",
            {
                "name": "Gold",
                "default_price_data": {
                    "currency": "usd",
                    "unit_amount": 900,
                    "recurring": {"interval": "month", "usage_type": "licensed"},
                },
            },
            "default_price_data[recurring][usage_type]",
        ),
    ],
)
def test_a_nested_parameter_stripe_does_not_know_is_an_unknown_parameter(
    sdk: Driver, name: str, params: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(name, **params)
    assert info.value.param == param
    assert info.value.code == "parameter_unknown"
    assert str(info.value.user_message).startswith(f"Received unknown parameter: {param}")
    assert [r.status for r in sdk.fake.request_log] == [400]


def test_a_nested_parameter_is_known_from_the_version_that_has_it(fake: StripeFake) -> None:
    price = stripe.Price.create(
        product_data={"name": "Gold"},
        unit_amount=2000,
        currency="usd",
        recurring={"interval": "month"},
    )
    features: dict[str, Any] = {
        "invoice_history": {"enabled": True},
        "subscription_update": {
            "enabled": True,
            "default_allowed_updates": ["price"],
            "products": [{"product": price.product, "prices": [price.id]}],
            "trial_update_behavior": "continue_trial",
        },
    }
    before = stripe.billing_portal.Configuration.list().data  # the account's default one
    # Stripe added the portal's choice of what an update does to a trial with clover.
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.billing_portal.Configuration.create(
            features=features, stripe_version="2025-08-27.basil"
        )
    assert info.value.param == "features[subscription_update][trial_update_behavior]"
    assert info.value.code == "parameter_unknown"
    assert stripe.billing_portal.Configuration.list().data == before
    made = stripe.billing_portal.Configuration.create(
        features=features, stripe_version="2025-09-30.clover"
    )
    assert made.features.subscription_update.trial_update_behavior == "continue_trial"
