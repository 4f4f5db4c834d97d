"""`expand` through the real SDK: on create, retrieve and list, nested, refused paths."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe.driver import CARD, Driver


def test_expand_on_create_retrieve_and_list(sdk: Driver) -> None:
    customer = sdk.create("customers", email="exp@example.com")
    pi = sdk.create(
        "payment_intents", amount=1000, currency="usd", customer=customer.id,
        payment_method="pm_card_visa", confirm=True, expand=["customer", "latest_charge"], **CARD,
    )  # fmt: skip
    assert pi.customer.email == "exp@example.com"
    assert pi.latest_charge.object == "charge"
    deep = sdk.retrieve("payment_intents", pi.id, expand=["latest_charge.customer"])
    assert deep.latest_charge.customer.id == customer.id
    listed = sdk.list("charges", expand=["data.payment_intent"])
    assert listed.data[0].payment_intent.id == pi.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.list("charges", expand=["payment_intent"])
    assert "data.payment_intent" in str(info.value.user_message)
    with pytest.raises(stripe.InvalidRequestError):
        sdk.retrieve("payment_intents", pi.id, expand=["amount"])
