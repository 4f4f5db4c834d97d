"""What the SDK's types found in the fake's answers, and the fake now answers as they declare.

Each through the real SDK, at the versions that differ: Checkout's `ui_mode` names (renamed
with dahlia), an invoice item made from an amount alone (no `price_details`: the SDK declares
its price and product non-null), and the subscription items among an event's previous
attributes (shaped as the event's version shows items, like its object).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake
from tests.stripe.driver import KEY

PRE_DAHLIA = "2025-08-27.basil"
DAHLIA = "2026-03-25.dahlia"
ENDIVE = "2026-10-28.endive"
OLD = "2024-06-20"


@pytest.fixture
def module_sdk(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    monkeypatch.setattr(stripe, "api_key", KEY)
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake() as fake:
        yield fake


def _session(version: str, **extra: Any) -> Any:
    return stripe.checkout.Session.create(
        mode="payment",
        success_url="https://shop.example/ok",
        line_items=[
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 500,
                    "product_data": {"name": "Tee"},
                },
                "quantity": 1,
            }
        ],
        stripe_version=version,
        **extra,
    )


def test_checkout_names_its_hosted_page_as_each_version_does(module_sdk: StripeFake) -> None:
    new = _session(ENDIVE, ui_mode="hosted_page")
    assert new.ui_mode == "hosted_page"
    assert _session(DAHLIA).ui_mode == "hosted_page"
    old = _session(PRE_DAHLIA, ui_mode="hosted")
    assert old.ui_mode == "hosted"
    # One session, read at either version.
    assert stripe.checkout.Session.retrieve(new.id, stripe_version=PRE_DAHLIA).ui_mode == "hosted"
    assert stripe.checkout.Session.retrieve(old.id, stripe_version=ENDIVE).ui_mode == "hosted_page"


@pytest.mark.parametrize(
    ("version", "mode", "answer"),
    [
        (ENDIVE, "hosted", "Invalid ui_mode: must be one of elements, embedded_page, form, or"),
        (PRE_DAHLIA, "hosted_page", "Invalid ui_mode: must be one of custom, embedded, or hosted"),
        (ENDIVE, "embedded_page", "does not emulate the Checkout ui_mode `embedded_page`"),
        (PRE_DAHLIA, "embedded", "does not emulate the Checkout ui_mode `embedded`"),
    ],
)
def test_checkout_refuses_another_ui_mode(
    module_sdk: StripeFake, version: str, mode: str, answer: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        _session(version, ui_mode=mode)
    assert info.value.param == "ui_mode"
    assert answer in str(info.value.user_message)
    assert module_sdk.checkout_sessions == {}


def test_an_invoice_item_made_from_an_amount_names_no_price(module_sdk: StripeFake) -> None:
    # `pricing` came with basil; asked at endive whatever the installed release pins.
    customer = stripe.Customer.create(email="items@example.com")
    bare = stripe.InvoiceItem.create(
        customer=customer.id, amount=400, currency="usd", stripe_version=ENDIVE
    )
    assert "price_details" not in bare.pricing
    assert bare.pricing.type == "price_details"
    assert str(bare.pricing.unit_amount_decimal) == "400"  # a Decimal from stripe-python 15
    price = stripe.Price.create(product_data={"name": "Box"}, unit_amount=250, currency="usd")
    priced = stripe.InvoiceItem.create(
        customer=customer.id, pricing={"price": price.id}, stripe_version=ENDIVE
    )
    assert priced.pricing.price_details.price == price.id
    assert priced.pricing.price_details.product == price.product
    invoice = stripe.Invoice.create(
        customer=customer.id, pending_invoice_items_behavior="include", stripe_version=ENDIVE
    )
    lines = {line.parent.invoice_item_details.invoice_item: line for line in invoice.lines.data}
    assert "price_details" not in lines[bare.id].pricing
    assert lines[priced.id].pricing.price_details.price == price.id


def test_an_events_previous_items_are_shaped_as_its_version_shows_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stripe, "api_key", KEY)
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake(api_version=OLD) as fake:
        customer = stripe.Customer.create(
            payment_method="pm_card_visa",
            invoice_settings={"default_payment_method": "pm_card_visa"},
            stripe_version=OLD,
        )
        price = stripe.Price.create(
            product_data={"name": "Plan"},
            unit_amount=900,
            currency="usd",
            recurring={"interval": "month"},
            stripe_version=OLD,
        )
        sub = stripe.Subscription.create(
            customer=customer.id, items=[{"price": price.id}], stripe_version=OLD
        )
        stripe.Subscription.modify(
            sub.id,
            items=[{"id": sub["items"].data[0].id, "quantity": 3}],
            proration_behavior="none",
            stripe_version=OLD,
        )
        updated = fake.events_of("customer.subscription.updated")[-1]
        event = stripe.Event.retrieve(updated["id"], stripe_version=OLD)
    previous = event.data.previous_attributes["items"]["data"][0]
    assert previous["quantity"] == 1
    # Before basil a subscription item has no period of its own (its subscription has).
    assert "current_period_end" not in previous and "current_period_start" not in previous
    assert "current_period_end" in event.data.object
