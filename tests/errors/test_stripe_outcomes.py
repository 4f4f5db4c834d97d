"""Every fault through the real stripe-python: the exception class and the attempts it makes."""

from __future__ import annotations

from typing import Any

import pytest
import responses
import stripe

from mockkit import errors
from mockkit.errors import stripe as stripe_errors
from mockkit.http import Response
from mockkit.transport import no_retry_sleep
from tests.sleeps import stripe_sleeps

URL = "https://api.stripe.com/v1/payment_intents"

# What stripe-python 16 does for each factory with its default module-level retries (2).
# Written out by hand: the factories compute the same thing from the SDK's code, and the
# tests below check both against real calls.
EXPECTED: dict[str, tuple[type[Exception], int]] = {
    "connect_timeout()": (stripe.APIConnectionError, 3),
    "read_timeout()": (stripe.APIConnectionError, 3),
    "connection_refused()": (stripe.APIConnectionError, 3),
    "connection_reset()": (stripe.APIConnectionError, 3),
    "dns_failure()": (stripe.APIConnectionError, 3),
    "ssl_error()": (stripe.APIConnectionError, 1),
    "malformed_json()": (stripe.APIError, 1),
    "empty_body()": (stripe.APIError, 1),
    "truncated_body()": (stripe.APIConnectionError, 1),
    "server_error(500)": (stripe.APIError, 3),
    "server_error(503)": (stripe.APIError, 3),
    "rate_limited()": (stripe.RateLimitError, 1),
    "slow(120)": (stripe.APIConnectionError, 3),
    "stripe.card_declined()": (stripe.CardError, 1),
    "stripe.card_declined(decline_code='insufficient_funds')": (stripe.CardError, 1),
    "stripe.expired_card()": (stripe.CardError, 1),
    "stripe.incorrect_cvc()": (stripe.CardError, 1),
    "stripe.processing_error()": (stripe.CardError, 1),
    "stripe.authentication_required()": (stripe.CardError, 1),
    "stripe.rate_limit()": (stripe.RateLimitError, 1),
    "stripe.api_error()": (stripe.APIError, 3),
    "stripe.api_error(should_retry=False)": (stripe.APIError, 1),
    "stripe.idempotency_error()": (stripe.IdempotencyError, 1),
    "stripe.idempotency_error(concurrent=True)": (stripe.APIError, 3),
    "stripe.resource_missing('payment_intent')": (stripe.InvalidRequestError, 1),
    "stripe.invalid_api_key()": (stripe.AuthenticationError, 1),
    "stripe.permission_denied()": (stripe.PermissionError, 1),
}

CATALOG = errors.catalog()


def test_every_factory_that_stripe_can_meet_has_an_expectation() -> None:
    stripe_faults = {name for name, fault in CATALOG.items() if fault.sdk != "authlib"}
    assert stripe_faults == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_stripe_raises_the_documented_exception_after_the_documented_attempts(name: str) -> None:
    fault = CATALOG[name]
    expected_class, expected_attempts = EXPECTED[name]
    with responses.RequestsMock() as rsps, no_retry_sleep():
        # slow() needs to know what answers once the delay is over (here: never reached).
        then = Response.json({}) if isinstance(fault, errors.Slow) else None
        stub = fault.stub(rsps, "POST", URL, then=then)
        with stripe_sleeps() as slept, pytest.raises(stripe.StripeError) as caught:
            stripe.PaymentIntent.create(amount=500, currency="usd", api_key="sk_test_mockkit")
        keys = [call.request.headers["Idempotency-Key"] for call in rsps.calls]
    assert type(caught.value) is expected_class
    assert stub.call_count == expected_attempts
    # Retries keep one idempotency key, as against Stripe, and cost no backoff time.
    assert len(keys) == expected_attempts and len(set(keys)) == 1
    assert slept == [0.0] * (expected_attempts - 1)  # each retry's backoff skipped
    # The factory's own account of it (used for the table in docs/faults.md) agrees with the SDK.
    outcome = fault.outcome()
    assert outcome.stripe_attempts == expected_attempts
    assert outcome.stripe == f"stripe.{expected_class.__name__}"


def test_card_decline_carries_codes_the_app_shows_the_customer() -> None:
    with responses.RequestsMock() as rsps:
        stripe_errors.card_declined(decline_code="insufficient_funds").stub(rsps, "POST", URL)
        with pytest.raises(stripe.CardError) as caught:
            stripe.PaymentIntent.create(amount=500, currency="usd", api_key="sk_test_mockkit")
    error = caught.value
    assert error.code == "card_declined"
    assert error.error is not None and error.error.decline_code == "insufficient_funds"
    assert error.user_message == "Your card has insufficient funds."
    assert error.request_id is not None and error.request_id.startswith("req_")
    assert error.http_status == 402


def test_should_retry_header_overrides_stripes_own_rule() -> None:
    with responses.RequestsMock() as rsps, no_retry_sleep():
        stub = stripe_errors.card_declined(should_retry=True).stub(rsps, "POST", URL)
        with pytest.raises(stripe.CardError):
            stripe.PaymentIntent.create(amount=1, currency="usd", api_key="sk_test_mockkit")
    assert stub.call_count == 3


def test_resource_missing_names_the_param_on_a_bad_reference() -> None:
    fault = stripe_errors.resource_missing("customer", "cus_nope", param="customer")
    with responses.RequestsMock() as rsps:
        fault.stub(rsps, "POST", URL)
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe.PaymentIntent.create(
                amount=1, currency="usd", customer="cus_nope", api_key="sk_test_mockkit"
            )
    assert caught.value.http_status == 400
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "customer"
    assert "No such customer: 'cus_nope'" in str(caught.value)


def test_a_stripe_client_without_max_network_retries_makes_one_attempt() -> None:
    # A surprise worth pinning: StripeClient does not inherit stripe.max_network_retries.
    with responses.RequestsMock() as rsps, no_retry_sleep():
        stub = errors.read_timeout().stub(rsps, "POST", URL)
        client = stripe.StripeClient("sk_test_mockkit")
        with pytest.raises(stripe.APIConnectionError):
            client.v1.payment_intents.create(params={"amount": 1, "currency": "usd"})
        assert stub.call_count == 1
        retrying = stripe.StripeClient("sk_test_mockkit", max_network_retries=2)
        with pytest.raises(stripe.APIConnectionError):
            retrying.v1.payment_intents.create(params={"amount": 1, "currency": "usd"})
        assert stub.call_count == 1 + 3


def test_generic_server_error_is_stripe_shaped_for_stripe_and_a_page_for_others() -> None:
    import requests

    fault = errors.server_error(502)
    with responses.RequestsMock() as rsps, no_retry_sleep():
        fault.stub(rsps, "POST", URL)
        fault.stub(rsps, "GET", "https://github.com/login/oauth/access_token")
        with pytest.raises(stripe.APIError) as caught:
            stripe.PaymentIntent.create(amount=1, currency="usd", api_key="sk_test_mockkit")
        page = requests.get("https://github.com/login/oauth/access_token", timeout=5)
    assert caught.value.json_body["error"]["type"] == "api_error"
    assert page.status_code == 502
    assert page.headers["Content-Type"].startswith("text/html")
    assert "502 Bad Gateway" in page.text


def test_rate_limited_sends_retry_after() -> None:
    import requests

    with responses.RequestsMock() as rsps:
        errors.rate_limited(retry_after=7).stub(rsps, "GET", "https://api.github.com/user")
        answer = requests.get("https://api.github.com/user", timeout=5)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "7"


STRIPE_FACTORIES = [
    stripe_errors.card_declined,
    stripe_errors.expired_card,
    stripe_errors.incorrect_cvc,
    stripe_errors.processing_error,
    stripe_errors.authentication_required,
    stripe_errors.rate_limit,
    stripe_errors.api_error,
    stripe_errors.idempotency_error,
    stripe_errors.resource_missing,
    stripe_errors.invalid_api_key,
    stripe_errors.permission_denied,
]


@pytest.mark.parametrize("factory", STRIPE_FACTORIES, ids=lambda f: f.__name__)
@pytest.mark.parametrize(("should_retry", "attempts"), [(True, 3), (False, 1)])
def test_every_stripe_factory_obeys_should_retry(
    factory: Any, should_retry: bool, attempts: int
) -> None:
    with responses.RequestsMock() as rsps, no_retry_sleep():
        stub = factory(should_retry=should_retry).stub(rsps, "POST", URL)
        with pytest.raises(stripe.StripeError):
            stripe.PaymentIntent.create(amount=1, currency="usd", api_key="sk_test_mockkit")
    assert stub.call_count == attempts
