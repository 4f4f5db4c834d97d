"""PaymentIntent lifecycle through the real SDK: both styles, in-process and served."""

from __future__ import annotations

import pytest
import stripe

from tests.stripe.driver import CARD, Driver


def test_create_without_payment_method_waits_for_one(sdk: Driver) -> None:
    pi = sdk.create("payment_intents", amount=2000, currency="usd")
    assert pi.id.startswith("pi_")
    assert pi.status == "requires_payment_method"
    assert pi.client_secret.startswith(pi.id + "_secret_")
    assert pi.livemode is False
    assert pi.automatic_payment_methods["enabled"] is True
    assert pi.amount_received == 0
    assert pi.latest_charge is None


def test_create_with_payment_method_then_confirm_succeeds(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=1500, currency="eur", payment_method="pm_card_visa", **CARD
    )
    assert pi.status == "requires_confirmation"
    assert pi.payment_method.startswith("pm_") and pi.payment_method != "pm_card_visa"

    done = sdk.action("payment_intents", "confirm", pi.id)
    assert done.status == "succeeded"
    assert done.amount_received == 1500
    assert done.amount_capturable == 0
    charge = sdk.retrieve("charges", done.latest_charge)
    assert charge.payment_intent == pi.id
    assert (charge.amount, charge.amount_captured, charge.currency) == (1500, 1500, "eur")
    assert charge.captured is True and charge.paid is True and charge.status == "succeeded"
    assert charge.payment_method_details.card.last4 == "4242"


def test_create_with_confirm_true_succeeds_at_once(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents",
        amount=999,
        currency="usd",
        payment_method="pm_card_mastercard",
        confirm=True,
        automatic_payment_methods={"enabled": True, "allow_redirects": "never"},
    )
    assert pi.status == "succeeded"
    assert pi.latest_charge.startswith("ch_")
    assert list(sdk.fake.payment_methods) == [pi.payment_method]  # one test card, one object
    types = [e["type"] for e in sdk.fake.events]
    assert types == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]


def test_confirm_with_automatic_payment_methods_needs_return_url(sdk: Driver) -> None:
    # Stripe's own behaviour since 2023: redirect-capable methods need a return_url.
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(
            "payment_intents",
            amount=999,
            currency="usd",
            payment_method="pm_card_visa",
            confirm=True,
        )
    assert info.value.param == "return_url"
    assert "return_url" in str(info.value.user_message)
    assert sdk.fake.payment_intents == {} and sdk.fake.payment_methods == {}  # nothing created
    ok = sdk.create(
        "payment_intents",
        amount=999,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        return_url="https://shop.example/done",
    )
    assert ok.status == "succeeded"


def test_manual_capture_full_and_partial(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=5000, currency="usd", capture_method="manual",
        payment_method="pm_card_visa", confirm=True, **CARD,
    )  # fmt: skip
    assert pi.status == "requires_capture"
    assert pi.amount_capturable == 5000 and pi.amount_received == 0
    charge = sdk.retrieve("charges", pi.latest_charge)
    assert charge.captured is False and charge.amount_captured == 0

    captured = sdk.action("payment_intents", "capture", pi.id, amount_to_capture=3000)
    assert captured.status == "succeeded"
    assert captured.amount_received == 3000 and captured.amount_capturable == 0
    charge = sdk.retrieve("charges", pi.latest_charge)
    assert charge.captured is True
    assert charge.amount_captured == 3000
    assert charge.amount_refunded == 2000  # the released remainder, as Stripe reports it
    assert [e["type"] for e in sdk.fake.events][-2:] == [
        "charge.captured",
        "payment_intent.succeeded",
    ]


def test_capture_more_than_capturable_is_refused(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=1000, currency="usd", capture_method="manual",
        payment_method="pm_card_visa", confirm=True, **CARD,
    )  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.action("payment_intents", "capture", pi.id, amount_to_capture=1001)
    assert info.value.param == "amount_to_capture"
    assert sdk.retrieve("payment_intents", pi.id).status == "requires_capture"


def test_capture_of_automatic_intent_is_unexpected_state(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents",
        amount=1000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        **CARD,
    )
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.action("payment_intents", "capture", pi.id)
    assert info.value.code == "payment_intent_unexpected_state"
    assert "status of succeeded" in str(info.value.user_message)


def test_cancel_releases_an_authorization(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=1200, currency="usd", capture_method="manual",
        payment_method="pm_card_visa", confirm=True, **CARD,
    )  # fmt: skip
    canceled = sdk.action(
        "payment_intents", "cancel", pi.id, cancellation_reason="requested_by_customer"
    )
    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "requested_by_customer"
    assert canceled.canceled_at is not None
    charge = sdk.retrieve("charges", pi.latest_charge)
    assert charge.refunded is True and charge.amount_refunded == 1200
    assert sdk.fake.events[-1]["type"] == "payment_intent.canceled"


def test_cancel_of_succeeded_intent_is_refused(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents",
        amount=1000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        **CARD,
    )
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.action("payment_intents", "cancel", pi.id)
    assert info.value.code == "payment_intent_unexpected_state"
    assert info.value.http_status == 400


DECLINES = [
    ("pm_card_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
    ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
    ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card"),
]


@pytest.mark.parametrize(("card", "code", "decline_code"), DECLINES)
def test_declined_card_raises_card_error_and_resets_intent(
    sdk: Driver, card: str, code: str, decline_code: str
) -> None:
    pi = sdk.create("payment_intents", amount=2500, currency="usd", **CARD)
    with pytest.raises(stripe.CardError) as info:
        sdk.action("payment_intents", "confirm", pi.id, payment_method=card)
    err = info.value
    assert err.http_status == 402
    assert err.code == code
    assert err.error.decline_code == decline_code
    assert err.error.payment_intent["id"] == pi.id
    assert err.error.payment_intent["status"] == "requires_payment_method"
    assert err.error.charge.startswith("ch_")
    assert err.request_id.startswith("req_")

    after = sdk.retrieve("payment_intents", pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == code
    assert after.last_payment_error.decline_code == decline_code
    assert after.payment_method is None
    failed = sdk.retrieve("charges", after.latest_charge)
    assert failed.status == "failed" and failed.paid is False and failed.failure_code == code
    types = [e["type"] for e in sdk.fake.events]
    assert types[-2:] == ["charge.failed", "payment_intent.payment_failed"]

    # The customer tries another card: the same intent succeeds.
    ok = sdk.action("payment_intents", "confirm", pi.id, payment_method="pm_card_visa")
    assert ok.status == "succeeded" and ok.last_payment_error is None
    assert ok.latest_charge != failed.id


def test_three_d_secure_requires_action_then_authenticates(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=3000, currency="usd",
        payment_method="pm_card_threeDSecure2Required", confirm=True, **CARD,
    )  # fmt: skip
    assert pi.status == "requires_action"
    assert pi.next_action.type == "use_stripe_sdk"
    assert pi.latest_charge is None
    assert sdk.fake.events[-1]["type"] == "payment_intent.requires_action"

    done = sdk.fake.authenticate(pi.id)
    assert done["status"] == "succeeded"
    again = sdk.retrieve("payment_intents", pi.id)
    assert again.status == "succeeded" and again.next_action is None
    charge = sdk.retrieve("charges", again.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"


def test_three_d_secure_failure_returns_to_requires_payment_method(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=3000, currency="usd", return_url="https://shop.example/back",
        payment_method="pm_card_threeDSecure2Required", confirm=True,
    )  # fmt: skip
    assert pi.next_action.type == "redirect_to_url"
    assert pi.next_action.redirect_to_url.return_url == "https://shop.example/back"
    sdk.fake.authenticate(pi.id, succeed=False)
    after = sdk.retrieve("payment_intents", pi.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == "payment_intent_authentication_failure"
    assert sdk.fake.events[-1]["type"] == "payment_intent.payment_failed"


@pytest.mark.parametrize("flag", ["error_on_requires_action", "off_session"])
def test_unattended_authentication_declines_with_authentication_required(
    sdk: Driver, flag: str
) -> None:
    customer = sdk.create("customers", payment_method="pm_card_authenticationRequired")
    pm = sdk.list("payment_methods", customer=customer.id).data[0]
    with pytest.raises(stripe.CardError) as info:
        sdk.create(
            "payment_intents", amount=3000, currency="usd", customer=customer.id,
            payment_method=pm.id, confirm=True, **{flag: True}, **CARD,
        )  # fmt: skip
    assert info.value.code == "authentication_required"
    assert info.value.error.payment_intent["status"] == "requires_payment_method"


def test_confirm_without_payment_method_is_refused(sdk: Driver) -> None:
    pi = sdk.create("payment_intents", amount=1000, currency="usd", **CARD)
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.action("payment_intents", "confirm", pi.id)
    assert info.value.param == "payment_method"


def test_update_amount_and_metadata(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=1000, currency="usd", metadata={"order": "1", "keep": "y"}
    )
    updated = sdk.update("payment_intents", pi.id, amount=1800, metadata={"order": "2", "keep": ""})
    assert updated.amount == 1800
    assert updated.metadata.to_dict() == {"order": "2"}


def test_amount_below_minimum_is_refused(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("payment_intents", amount=20, currency="usd")
    assert info.value.code == "amount_too_small"
    assert info.value.param == "amount"


def test_list_by_customer(sdk: Driver) -> None:
    alice = sdk.create("customers", email="alice@example.com")
    bob = sdk.create("customers", email="bob@example.com")
    for amount in (1000, 2000, 3000):
        sdk.create("payment_intents", amount=amount, currency="usd", customer=alice.id)
    sdk.create("payment_intents", amount=4000, currency="usd", customer=bob.id)
    page = sdk.list("payment_intents", customer=alice.id)
    assert [p.amount for p in page.data] == [3000, 2000, 1000]  # newest first
    assert page.has_more is False
