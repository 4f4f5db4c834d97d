"""Single-endpoint stubs, through stripe-python, authlib and requests."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
import requests
import responses
import stripe
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from mockkit import errors, stubs
from mockkit.errors import oauth
from mockkit.errors import stripe as stripe_errors
from mockkit.stripe import objects
from mockkit.transport import no_retry_sleep
from tests.sleeps import stripe_sleeps

KEY = "sk_test_mockkit"


@pytest.fixture
def rsps() -> responses.RequestsMock:
    with responses.RequestsMock() as mock:
        yield mock


def test_payment_intent_create_has_the_real_shape_and_echoes_the_request(
    rsps: responses.RequestsMock,
) -> None:
    stubs.stripe_payment_intent_create(rsps)
    intent = stripe.PaymentIntent.create(
        amount=2599, currency="eur", metadata={"order": "42"}, api_key=KEY
    )
    assert isinstance(intent, stripe.PaymentIntent)
    assert intent.id.startswith("pi_")
    assert intent.client_secret.startswith(intent.id + "_secret_")
    assert (intent.amount, intent.currency) == (2599, "eur")
    assert intent.metadata["order"] == "42"
    assert intent.status == "requires_payment_method"
    assert set(intent.to_dict()) >= objects.template_keys("payment_intent")


def test_overrides_win_over_the_request(rsps: responses.RequestsMock) -> None:
    stubs.stripe_payment_intent_create(rsps, status="succeeded", amount=1)
    intent = stripe.PaymentIntent.create(amount=2599, currency="usd", api_key=KEY)
    assert intent.status == "succeeded"
    assert intent.amount == 1


def test_a_fault_stands_in_for_the_body(rsps: responses.RequestsMock) -> None:
    registered = stubs.stripe_payment_intent_create(
        rsps, fault=stripe_errors.card_declined(decline_code="stolen_card")
    )
    with pytest.raises(stripe.CardError) as caught:
        stripe.PaymentIntent.create(amount=100, currency="usd", api_key=KEY)
    assert caught.value.error is not None
    assert caught.value.error.decline_code == "stolen_card"
    assert registered.call_count == 1


def test_a_transport_fault_on_a_stub_is_retried_by_stripe(rsps: responses.RequestsMock) -> None:
    registered = stubs.stripe_payment_intent_create(rsps, fault=errors.connection_reset())
    with no_retry_sleep(), pytest.raises(stripe.APIConnectionError):
        stripe.PaymentIntent.create(amount=100, currency="usd", api_key=KEY)
    assert registered.call_count == 3


def test_slow_on_a_stub_answers_the_usual_body_or_times_out(rsps: responses.RequestsMock) -> None:
    stubs.stripe_customer_create(rsps, fault=errors.slow(3))
    customer = stripe.Customer.create(email="a@example.com", api_key=KEY)
    assert customer.email == "a@example.com"
    rsps.reset()
    stubs.stripe_customer_create(rsps, fault=errors.slow(300))
    with no_retry_sleep(), pytest.raises(stripe.APIConnectionError, match="Read timed out"):
        stripe.Customer.create(email="a@example.com", api_key=KEY)


def test_retrieve_answers_whatever_id_is_asked(rsps: responses.RequestsMock) -> None:
    stubs.stripe_payment_intent_retrieve(rsps, status="processing")
    intent = stripe.PaymentIntent.retrieve("pi_abc123", api_key=KEY)
    assert intent.id == "pi_abc123"
    assert intent.status == "processing"


def test_retrieve_with_an_id_only_matches_that_id(rsps: responses.RequestsMock) -> None:
    stubs.stripe_payment_intent_retrieve(rsps, "pi_known")
    assert stripe.PaymentIntent.retrieve("pi_known", api_key=KEY).id == "pi_known"
    with no_retry_sleep(), pytest.raises(stripe.APIConnectionError):
        stripe.PaymentIntent.retrieve("pi_other", api_key=KEY, max_network_retries=0)


def test_confirm_succeeds_by_default(rsps: responses.RequestsMock) -> None:
    stubs.stripe_payment_intent_confirm(rsps)
    intent = stripe.PaymentIntent.confirm("pi_1", payment_method="pm_card_visa", api_key=KEY)
    assert intent.status == "succeeded"
    assert intent.payment_method == "pm_card_visa"


def test_checkout_session_create_then_retrieve_paid(rsps: responses.RequestsMock) -> None:
    stubs.stripe_checkout_session_create(rsps)
    stubs.stripe_checkout_session_retrieve(rsps)
    session = stripe.checkout.Session.create(
        mode="payment",
        success_url="https://shop.test/ok",
        line_items=[{"price": "price_1", "quantity": 1}],
        api_key=KEY,
    )
    assert session.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert (session.mode, session.success_url, session.status) == (
        "payment",
        "https://shop.test/ok",
        "open",
    )
    done = stripe.checkout.Session.retrieve(session.id, api_key=KEY)
    assert (done.id, done.status, done.payment_status) == (session.id, "complete", "paid")


def test_refund_create(rsps: responses.RequestsMock) -> None:
    stubs.stripe_refund_create(rsps)
    refund = stripe.Refund.create(payment_intent="pi_1", amount=300, api_key=KEY)
    assert (refund.status, refund.payment_intent, refund.amount) == ("succeeded", "pi_1", 300)


def test_github_token_through_authlib_and_the_form_quirk(rsps: responses.RequestsMock) -> None:
    stubs.github_token(rsps, scope="read:user,user:email")
    session = OAuth2Session("id", "secret")
    token = session.fetch_token("https://github.com/login/oauth/access_token", code="c")
    assert token["access_token"].startswith("gho_")
    assert token["scope"] == "read:user,user:email"
    # Without Accept: application/json, GitHub answers form-encoded.
    plain = requests.post(
        "https://github.com/login/oauth/access_token", data={"code": "c"}, timeout=5
    )
    assert parse_qs(plain.text)["token_type"] == ["bearer"]


def test_github_token_with_githubs_http_200_error(rsps: responses.RequestsMock) -> None:
    stubs.github_token(rsps, fault=oauth.github_error())
    with pytest.raises(OAuthError) as caught:
        OAuth2Session("id", "secret").fetch_token(
            "https://github.com/login/oauth/access_token", code="used"
        )
    assert caught.value.error == "bad_verification_code"


def test_github_user_and_private_emails(rsps: responses.RequestsMock) -> None:
    stubs.github_user(rsps, login="mona")
    stubs.github_emails(rsps, "mona@example.com", private=True)
    session = OAuth2Session("id", token={"access_token": "gho_x", "token_type": "bearer"})
    user = session.get("https://api.github.com/user", timeout=5).json()
    emails = session.get("https://api.github.com/user/emails", timeout=5).json()
    assert (user["login"], user["email"]) == ("mona", None)
    assert emails[0] == {
        "email": "mona@example.com",
        "primary": True,
        "verified": True,
        "visibility": "private",
    }


def test_google_token_and_userinfo(rsps: responses.RequestsMock) -> None:
    stubs.google_token(rsps)
    stubs.google_userinfo(rsps, email="bob@example.com", hd="example.com")
    session = OAuth2Session("id", "secret")
    token = session.fetch_token("https://oauth2.googleapis.com/token", code="c")
    assert token["access_token"].startswith("ya29.")
    assert "https://www.googleapis.com/auth/userinfo.email" in token["scope"]
    info = session.get("https://openidconnect.googleapis.com/v1/userinfo", timeout=5).json()
    assert (info["email"], info["email_verified"], info["hd"]) == (
        "bob@example.com",
        True,
        "example.com",
    )


def test_google_userinfo_with_a_server_error_through_authlib(rsps: responses.RequestsMock) -> None:
    stubs.google_userinfo(rsps, fault=errors.server_error(503))
    session = OAuth2Session("id", token={"access_token": "ya29.x", "token_type": "Bearer"})
    answer = session.get("https://openidconnect.googleapis.com/v1/userinfo", timeout=5)
    assert answer.status_code == 503
    assert "text/html" in answer.headers["Content-Type"]


def test_stub_rejects_something_that_is_not_a_fault(rsps: responses.RequestsMock) -> None:
    with pytest.raises(TypeError, match="mockkit.errors"):
        stubs.stripe_refund_create(rsps, fault=RuntimeError("boom"))  # type: ignore[arg-type]


def test_stubs_register_on_the_default_responses_mock() -> None:
    @responses.activate
    def run() -> str:
        stubs.stripe_customer_create(name="Ada")
        return str(stripe.Customer.create(api_key=KEY).name)

    assert run() == "Ada"


def test_the_responses_fixture_keeps_retries_but_skips_their_sleeps(
    mockkit_responses: responses.RequestsMock,
) -> None:
    registered = stubs.stripe_payment_intent_create(mockkit_responses, fault=errors.server_error())
    with stripe_sleeps() as slept, pytest.raises(stripe.APIError):
        stripe.PaymentIntent.create(amount=100, currency="usd", api_key=KEY)
    assert registered.call_count == 3
    assert slept == [0.0, 0.0]  # the SDK's own backoff would be 0.5 s and more each
