"""Refunds through the real SDK: full and partial, never more than is left."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe.driver import CARD, Driver


def test_full_and_partial_refunds(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=3000, currency="usd", payment_method="pm_card_visa",
        confirm=True, **CARD,
    )  # fmt: skip
    first = sdk.create("refunds", payment_intent=pi.id, amount=1000, reason="requested_by_customer")
    assert first.id.startswith("re_") and first.status == "succeeded"
    assert first.charge == pi.latest_charge and first.amount == 1000
    charge = sdk.retrieve("charges", pi.latest_charge)
    assert charge.amount_refunded == 1000 and charge.refunded is False

    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("refunds", charge=charge.id, amount=2001)
    assert info.value.param == "amount"
    assert "greater than unrefunded amount" in str(info.value.user_message)

    rest = sdk.create("refunds", charge=charge.id)  # no amount: what is left
    assert rest.amount == 2000
    charge = sdk.retrieve("charges", charge.id)
    assert charge.amount_refunded == 3000 and charge.refunded is True
    assert [r.id for r in charge.refunds.data] == [rest.id, first.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("refunds", charge=charge.id, amount=1)
    assert info.value.code == "charge_already_refunded"

    refunded = [e for e in sdk.fake.events if e["type"] == "charge.refunded"]
    assert [e["data"]["object"]["amount_refunded"] for e in refunded] == [1000, 3000]
    listed = sdk.list("refunds", payment_intent=pi.id)
    assert [r.amount for r in listed.data] == [2000, 1000]


def test_refund_of_unknown_charge_names_the_param(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("refunds", charge="ch_missing")
    assert (info.value.http_status, info.value.param, info.value.code) == (
        400,
        "charge",
        "resource_missing",
    )
