"""SetupIntents through the real SDK, and PaymentIntents that save the card."""

from __future__ import annotations

import pytest
import stripe

from mockkit.stripe import StripeFake
from mockkit.stripe.objects import API_VERSION
from tests.stripe.billing_helpers import types
from tests.stripe.driver import Driver

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION


def test_setup_intent_succeeds_and_attaches_the_card(sdk: Driver) -> None:
    cus = sdk.create("customers", email="si@example.com")
    si = sdk.create("setup_intents", customer=cus.id, usage="off_session")
    assert si.id.startswith("seti_") and si.client_secret.startswith(si.id + "_secret_")
    assert si.status == "requires_payment_method" and si.usage == "off_session"
    done = sdk.action(
        "setup_intents",
        "confirm",
        si.id,
        payment_method="pm_card_visa",
        return_url="https://shop.example/done",
    )
    assert done.status == "succeeded"
    pm = sdk.retrieve("payment_methods", done.payment_method)
    assert pm.customer == cus.id
    assert types(sdk.fake)[-3:] == [
        "setup_intent.created",
        "payment_method.attached",
        "setup_intent.succeeded",
    ]
    assert [s.id for s in sdk.list("setup_intents", customer=cus.id).data] == [si.id]


def test_declined_setup_is_a_card_error_and_can_be_retried(fake: StripeFake) -> None:
    cus = stripe.Customer.create()
    si = stripe.SetupIntent.create(
        customer=cus.id, automatic_payment_methods={"enabled": True, "allow_redirects": "never"}
    )
    with pytest.raises(stripe.CardError) as info:
        stripe.SetupIntent.confirm(si.id, payment_method="pm_card_chargeDeclined")
    assert info.value.code == "card_declined"
    failed = stripe.SetupIntent.retrieve(si.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_setup_error.decline_code == "generic_decline"
    assert fake.events_of("setup_intent.setup_failed")
    assert stripe.PaymentMethod.list(customer=cus.id).data == []
    ok = stripe.SetupIntent.confirm(si.id, payment_method="pm_card_visa")
    assert ok.status == "succeeded" and ok.last_setup_error is None


def test_three_d_secure_setup_requires_action_then_succeeds(fake: StripeFake) -> None:
    cus = stripe.Customer.create()
    si = stripe.SetupIntent.create(
        customer=cus.id,
        payment_method="pm_card_threeDSecure2Required",
        confirm=True,
        return_url="https://shop.example/done",
    )
    assert si.status == "requires_action"
    assert si.next_action.type == "redirect_to_url"
    assert fake.events_of("setup_intent.requires_action")
    done = fake.authenticate(si.id)
    assert done["status"] == "succeeded"
    assert stripe.PaymentMethod.retrieve(si.payment_method).customer == cus.id


def test_cancel_and_invalid_transitions(fake: StripeFake) -> None:
    si = stripe.SetupIntent.create()
    canceled = stripe.SetupIntent.cancel(si.id, cancellation_reason="abandoned")
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.SetupIntent.confirm(si.id, payment_method="pm_card_visa")
    assert info.value.code == "setup_intent_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.SetupIntent.create(payment_method_types=["card"])
    assert info.value.code == "payment_method_types_no_longer_supported"
    with pytest.raises(stripe.InvalidRequestError):
        stripe.SetupIntent.create(customer="cus_nope")
    assert len(fake.objects("setup_intent")) == 1


def test_setup_future_usage_saves_the_card_to_the_customer(fake: StripeFake) -> None:
    cus = stripe.Customer.create()
    pi = stripe.PaymentIntent.create(
        amount=1000,
        currency="usd",
        customer=cus.id,
        payment_method="pm_card_visa",
        setup_future_usage="off_session",
        confirm=True,
        automatic_payment_methods={"enabled": True, "allow_redirects": "never"},
    )
    assert pi.status == "succeeded"
    assert stripe.PaymentMethod.retrieve(pi.payment_method).customer == cus.id
    assert fake.events_of("payment_method.attached")


def test_a_card_set_up_for_later_pays_off_session_without_authentication(
    fake: StripeFake,
) -> None:
    cus = stripe.Customer.create()
    si = stripe.SetupIntent.create(
        customer=cus.id,
        payment_method="pm_card_authenticationRequiredOnSetup",
        confirm=True,
        automatic_payment_methods={"enabled": True, "allow_redirects": "never"},
    )
    assert si.status == "requires_action"
    fake.authenticate(si.id)
    pi = stripe.PaymentIntent.create(
        amount=1200,
        currency="usd",
        customer=cus.id,
        payment_method=si.payment_method,
        off_session=True,
        confirm=True,
        automatic_payment_methods={"enabled": True, "allow_redirects": "never"},
    )
    assert pi.status == "succeeded"
    # Not set up: the same card needs the customer, who is not there off-session.
    other = stripe.Customer.create(payment_method="pm_card_authenticationRequiredOnSetup")
    pm = stripe.PaymentMethod.list(customer=other.id).data[0]
    with pytest.raises(stripe.CardError) as info:
        stripe.PaymentIntent.create(
            amount=1200,
            currency="usd",
            customer=other.id,
            payment_method=pm.id,
            off_session=True,
            confirm=True,
            automatic_payment_methods={"enabled": True, "allow_redirects": "never"},
        )
    assert info.value.code == "authentication_required"
