"""Customers through the real SDK: create, retrieve, update, delete, list, their cards."""

from __future__ import annotations

import pytest
import stripe

from mockkit.stripe import StripeFake
from tests.stripe.driver import CARD, Driver


def test_customer_crud(sdk: Driver) -> None:
    c = sdk.create("customers", email="ada@example.com", name="Ada", metadata={"plan": "pro"})
    assert c.id.startswith("cus_") and c.object == "customer" and c.livemode is False
    assert (c.email, c.name, c.metadata["plan"]) == ("ada@example.com", "Ada", "pro")

    got = sdk.retrieve("customers", c.id)
    assert got.email == "ada@example.com"

    up = sdk.update("customers", c.id, name="Ada L.", metadata={"team": "x"})
    assert up.name == "Ada L." and up.metadata.to_dict() == {"plan": "pro", "team": "x"}
    updated = sdk.fake.events[-1]
    assert updated["type"] == "customer.updated"
    assert updated["data"]["previous_attributes"]["name"] == "Ada"

    gone = sdk.delete("customers", c.id)
    assert gone.deleted is True
    again = sdk.retrieve("customers", c.id)
    assert again.deleted is True
    assert [e["type"] for e in sdk.fake.events] == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
    ]


def test_unknown_customer_is_404_resource_missing(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.retrieve("customers", "cus_doesnotexist")
    err = info.value
    assert err.http_status == 404
    assert err.code == "resource_missing"
    assert err.param == "id"
    assert "No such customer: 'cus_doesnotexist'" in str(err.user_message)


def test_list_pagination_walks_every_page(sdk: Driver) -> None:
    ids = [sdk.create("customers", email=f"u{i}@example.com").id for i in range(23)]
    first = sdk.list("customers", limit=5)
    assert [c.id for c in first.data] == ids[::-1][:5]
    assert first.has_more is True
    walked = [c.id for c in first.auto_paging_iter()]
    assert walked == ids[::-1]

    after = sdk.list("customers", limit=3, starting_after=ids[10])
    assert [c.id for c in after.data] == [ids[9], ids[8], ids[7]]
    before = sdk.list("customers", limit=3, ending_before=ids[10])
    assert [c.id for c in before.data] == [ids[13], ids[12], ids[11]]
    assert before.has_more is True
    last = sdk.list("customers", limit=100)
    assert len(last.data) == 23 and last.has_more is False


def test_list_filters_by_email(sdk: Driver) -> None:
    sdk.create("customers", email="a@example.com")
    target = sdk.create("customers", email="b@example.com")
    found = sdk.list("customers", email="b@example.com")
    assert [c.id for c in found.data] == [target.id]


def test_customer_created_with_a_payment_method(sdk: Driver) -> None:
    customer = sdk.create(
        "customers",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    pms = sdk.list("payment_methods", customer=customer.id)
    assert len(pms.data) == 1
    assert customer.invoice_settings.default_payment_method == pms.data[0].id
    types = [e["type"] for e in sdk.fake.events]
    assert types == ["customer.created", "payment_method.attached"]
    created = sdk.fake.events[0]["data"]["object"]
    assert created["invoice_settings"]["default_payment_method"] == pms.data[0].id
    # A card that cannot be attached means no customer at all.
    with pytest.raises(stripe.CardError):
        sdk.create("customers", email="no@example.com", payment_method="pm_card_chargeDeclined")
    assert [c.id for c in sdk.list("customers").data] == [customer.id]


def test_customer_payment_methods_sub_resource_and_charge_filters(fake: StripeFake) -> None:
    customer = stripe.Customer.create()
    stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)
    listed = stripe.Customer.list_payment_methods(customer.id)
    assert [pm.card.last4 for pm in listed.data] == ["4242"]
    pi = stripe.PaymentIntent.create(
        amount=900, currency="usd", customer=customer.id, payment_method=listed.data[0].id,
        confirm=True, **CARD,
    )  # fmt: skip
    stripe.PaymentIntent.create(
        amount=700, currency="usd", payment_method="pm_card_visa", confirm=True, **CARD
    )
    by_intent = stripe.Charge.list(payment_intent=pi.id)
    assert [c.amount for c in by_intent.data] == [900]
    by_customer = stripe.Charge.list(customer=customer.id)
    assert [c.id for c in by_customer.data] == [pi.latest_charge]
    assert len(stripe.Charge.list().data) == 2
