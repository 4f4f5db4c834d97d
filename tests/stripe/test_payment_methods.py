"""PaymentMethods through the real SDK: test cards and tokens, attach, list, detach."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe.driver import CARD, Driver


def test_payment_methods_attach_list_detach(sdk: Driver) -> None:
    customer = sdk.create("customers", email="pm@example.com")
    visa = sdk.action("payment_methods", "attach", "pm_card_visa", customer=customer.id)
    master = sdk.action("payment_methods", "attach", "pm_card_mastercard", customer=customer.id)
    assert visa.id.startswith("pm_") and visa.customer == customer.id
    assert visa.card.brand == "visa" and master.card.last4 == "4444"

    listed = sdk.list("payment_methods", customer=customer.id, type="card")
    assert [pm.id for pm in listed.data] == [master.id, visa.id]

    detached = sdk.action("payment_methods", "detach", visa.id)
    assert detached.customer is None
    listed = sdk.list("payment_methods", customer=customer.id)
    assert [pm.id for pm in listed.data] == [master.id]
    types = [e["type"] for e in sdk.fake.events]
    assert types.count("payment_method.attached") == 2
    assert types[-1] == "payment_method.detached"


def test_attaching_a_declining_card_fails(sdk: Driver) -> None:
    customer = sdk.create("customers")
    with pytest.raises(stripe.CardError) as info:
        sdk.action("payment_methods", "attach", "pm_card_chargeDeclined", customer=customer.id)
    assert info.value.code == "card_declined"


def test_charge_customer_fail_attaches_then_declines(sdk: Driver) -> None:
    customer = sdk.create("customers")
    pm = sdk.action("payment_methods", "attach", "pm_card_chargeCustomerFail", customer=customer.id)
    assert pm.customer == customer.id
    with pytest.raises(stripe.CardError):
        sdk.create(
            "payment_intents", amount=1000, currency="usd", customer=customer.id,
            payment_method=pm.id, confirm=True, **CARD,
        )  # fmt: skip


def test_payment_method_from_token(sdk: Driver) -> None:
    pm = sdk.create("payment_methods", type="card", card={"token": "tok_mastercard"})
    assert pm.card.brand == "mastercard"
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("payment_methods", type="card", card={"token": "tok_nonsense"})
    assert info.value.param == "card[token]"
