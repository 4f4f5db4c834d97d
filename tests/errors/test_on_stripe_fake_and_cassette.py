"""Faults on the real StripeFake (in-process and served) and overlaid on a cassette replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import stripe

from mockkit import errors
from mockkit.cassettes import use
from mockkit.errors import stripe as stripe_errors
from mockkit.stripe import StripeFake
from mockkit.transport import no_retry_sleep
from tests.sleeps import stripe_sleeps

PARAMS: dict[str, Any] = {
    "amount": 2000,
    "currency": "usd",
    "payment_method": "pm_card_visa",
    "allowed_payment_method_types": ["card"],
    "confirm": True,
}


def test_a_timeout_on_the_fake_keeps_three_attempts_one_key_and_no_time() -> None:
    # The example: a timeout on a Stripe call with the SDK's default retries.
    with StripeFake() as fake:
        fake.inject(errors.read_timeout(), method="POST", path="/v1/payment_intents", times=None)
        with stripe_sleeps() as slept, pytest.raises(stripe.APIConnectionError):
            stripe.PaymentIntent.create(api_key="sk_test_mockkit", **PARAMS)
    attempts = [r for r in fake.requests if r.path == "/v1/payment_intents"]
    assert len(attempts) == 3
    assert len({r.headers["Idempotency-Key"] for r in attempts}) == 1
    assert slept == [0.0, 0.0]  # both retries' backoffs skipped
    assert not fake.objects("payment_intent")  # nothing half-created


def test_a_timeout_then_success_creates_exactly_one_payment() -> None:
    with StripeFake() as fake:
        fake.inject(errors.connection_reset(), path="/v1/payment_intents", times=2)
        intent = stripe.PaymentIntent.create(api_key="sk_test_mockkit", **PARAMS)
        assert intent.status == "succeeded"
        assert list(fake.objects("payment_intent")) == [intent.id]


def test_a_decline_fault_on_the_served_fake_reaches_a_stripe_client() -> None:
    fake = StripeFake()
    fake.inject(stripe_errors.card_declined(decline_code="insufficient_funds"))
    with fake.serve() as server:
        client = stripe.StripeClient("sk_test_mockkit", base_addresses={"api": server.url})
        with pytest.raises(stripe.CardError) as caught:
            client.v1.payment_intents.create(params=PARAMS)
    assert caught.value.error is not None
    assert caught.value.error.decline_code == "insufficient_funds"


def _record(path: Path) -> str:
    fake = StripeFake()
    with fake.serve() as server, use(path, "rewrite", hosts={server.url: "https://api.stripe.com"}):
        client = stripe.StripeClient("sk_test_mockkit", base_addresses={"api": server.url})
        return str(client.v1.payment_intents.create(params=PARAMS).id)


def test_faults_overlay_a_cassette_replay_without_using_up_its_interactions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CI", "MOCKKIT_RECORD_MODE"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "pay.yaml"
    recorded_id = _record(path)
    with use(path) as cassette, no_retry_sleep():
        assert cassette.replayer is not None
        rule = errors.overlay(cassette.replayer, errors.read_timeout(), times=2)
        intent = stripe.PaymentIntent.create(api_key="sk_test_mockkit", **PARAMS)
        played = cassette.played
    assert intent.id == recorded_id
    assert rule.fired == 2
    assert played == [0]


def test_overlay_refuses_things_without_handle() -> None:
    with pytest.raises(TypeError, match="handle"):
        errors.overlay(object(), errors.read_timeout())
    with pytest.raises(TypeError, match="respond"):
        errors.overlay(StripeFake(), requests.ConnectionError())  # type: ignore[arg-type]
