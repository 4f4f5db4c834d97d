"""Faults as rules on a fake (retry scenarios) and as side effects of patched functions."""

from __future__ import annotations

from unittest import mock

import pytest
import requests
import stripe
from authlib.integrations.base_client import OAuthError

from mockkit import errors
from mockkit.errors import oauth
from mockkit.errors import stripe as stripe_errors
from mockkit.http import Response
from mockkit.transport import no_retry_sleep
from tests.errors.echo import EchoFake


def _create() -> stripe.PaymentIntent:
    return stripe.PaymentIntent.create(amount=500, currency="usd", api_key="sk_test_mockkit")


def test_two_timeouts_then_success_is_absorbed_by_stripes_retries(echo: EchoFake) -> None:
    rule = echo.inject(errors.read_timeout(), method="POST", path="/v1/payment_intents", times=2)
    with echo, no_retry_sleep() as sleeps:
        before = len(sleeps)
        intent = _create()
    assert intent.id == "pi_mockkit"
    assert rule.fired == 2
    assert [r.status for r in echo.requests] == [None, None, 200]
    assert len({r.headers["Idempotency-Key"] for r in echo.requests}) == 1
    assert len(sleeps) - before == 2  # two backoffs asked for, none slept


def test_three_timeouts_exhaust_the_default_retries(echo: EchoFake) -> None:
    echo.inject(errors.read_timeout(), times=3)
    with echo, pytest.raises(stripe.APIConnectionError):
        _create()
    assert len(echo.requests) == 3
    # The next call meets no fault.
    with echo:
        assert _create().id == "pi_mockkit"


def test_every_third_call_fails_after_two_good_ones(echo: EchoFake) -> None:
    echo.inject(stripe_errors.card_declined(), after=2, every=3, times=None)
    outcomes = []
    with echo:
        for _ in range(8):
            try:
                _create()
                outcomes.append("ok")
            except stripe.CardError:
                outcomes.append("declined")
    assert outcomes == ["ok", "ok", "ok", "ok", "declined", "ok", "ok", "declined"]


def test_slow_on_a_fake_passes_through_to_the_usual_answer(echo: EchoFake) -> None:
    fault = errors.slow(5)
    echo.inject(fault)
    with echo:
        assert _create().id == "pi_mockkit"  # 5 s < stripe's 80 s timeout
    assert fault.delays == [5]


def test_slow_then_another_fault(echo: EchoFake) -> None:
    echo.inject(errors.slow(2, then=stripe_errors.rate_limit()))
    with echo, pytest.raises(stripe.RateLimitError):
        _create()


def test_slow_past_stripes_timeout_times_out_in_no_time(echo: EchoFake) -> None:
    echo.inject(errors.slow(81), times=None)
    with echo, pytest.raises(stripe.APIConnectionError, match="Read timed out"):
        _create()
    assert len(echo.requests) == 3


def test_exception_is_the_one_the_sdk_raises_against_the_wire(echo: EchoFake) -> None:
    fault = stripe_errors.card_declined(decline_code="lost_card", payment_intent={"id": "pi_1"})
    echo.inject(fault)
    with echo, pytest.raises(stripe.CardError) as real:
        _create()
    made = fault.exception("stripe")
    assert type(made) is type(real.value)
    assert made.json_body is not None and real.value.json_body is not None
    for key in ("type", "code", "decline_code", "message", "payment_intent"):
        assert made.json_body["error"][key] == real.value.json_body["error"][key]
    assert made.http_status == real.value.http_status == 402
    assert isinstance(made, stripe.CardError) and made.request_id is not None


def test_side_effect_on_a_mock_raises_fresh_stripe_errors() -> None:
    create = mock.Mock(side_effect=stripe_errors.card_declined().side_effect())
    with pytest.raises(stripe.CardError) as first:
        create(amount=1)
    with pytest.raises(stripe.CardError) as second:
        create(amount=1)
    assert first.value.request_id != second.value.request_id
    assert create.call_count == 2


def test_transport_side_effect_raises_the_sdks_connection_error_with_its_cause() -> None:
    with pytest.raises(stripe.APIConnectionError) as caught:
        errors.connection_reset().raise_("stripe")
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert "Connection reset by peer" in str(caught.value)


def test_requests_side_effect_returns_http_faults_and_raises_transport_ones() -> None:
    answer = errors.server_error(503).side_effect("requests")("https://x.test")
    assert isinstance(answer, requests.Response) and answer.status_code == 503
    with pytest.raises(requests.HTTPError):
        answer.raise_for_status()
    with pytest.raises(requests.ReadTimeout):
        errors.read_timeout().side_effect("requests")()


def test_oauth_side_effect_defaults_to_authlib() -> None:
    with pytest.raises(OAuthError) as caught:
        oauth.invalid_grant().raise_()
    assert caught.value.error == "invalid_grant"


def test_generic_fault_side_effect_must_name_its_sdk() -> None:
    with pytest.raises(TypeError, match=r"side_effect\('stripe'\)"):
        errors.read_timeout().side_effect()


def test_a_fault_that_reads_as_success_says_so() -> None:
    with pytest.raises(ValueError, match="reads as a success"):
        errors.slow(1, then=Response.json({})).exception("stripe")


def test_slow_as_a_stub_without_then_is_refused() -> None:
    import responses

    with responses.RequestsMock() as rsps, pytest.raises(ValueError, match="then="):
        errors.slow(1).stub(rsps, "GET", "https://x.test/")


def test_factories_check_their_arguments() -> None:
    with pytest.raises(ValueError):
        errors.server_error(404)
    with pytest.raises(ValueError):
        errors.truncated_body(keep=1.0)
    with pytest.raises(ValueError):
        errors.slow(-1)
