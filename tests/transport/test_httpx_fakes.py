"""The fakes answer httpx (sync, async, and the httpx2 fork) exactly as they answer requests.

Through the real SDKs' async paths: stripe-python's `*_async` methods (its `HTTPXClient`),
authlib's `AsyncOAuth2Client` (built on httpx2 when installed), and plain httpx.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests
import stripe
from authlib.integrations.base_client import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

import mockkit
from mockkit.oauth import GitHubFake, OIDCProviderFake
from mockkit.stripe import StripeFake
from mockkit.transport import requested_sleeps

KEY = "sk_test_mockkit_httpx"
CARD = {"payment_method": "pm_card_visa", "allowed_payment_method_types": ["card"], "confirm": True}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(stripe, "api_key", KEY)
    monkeypatch.setattr(stripe, "max_network_retries", 2)
    with StripeFake() as active:
        yield active


async def test_module_style_create_async_pays_and_declines_on_the_fake(fake: StripeFake) -> None:
    paid = await stripe.PaymentIntent.create_async(amount=1500, currency="usd", **CARD)
    assert paid.status == "succeeded"
    assert fake.events[-1]["type"] == "payment_intent.succeeded"

    with pytest.raises(stripe.CardError) as caught:
        await stripe.PaymentIntent.create_async(
            amount=1500,
            currency="usd",
            **{**CARD, "payment_method": "pm_card_chargeDeclined"},
        )
    assert caught.value.code == "card_declined"
    # Same state whichever client library asked: the sync SDK sees the async call's object.
    assert stripe.PaymentIntent.retrieve(paid.id).amount == 1500
    assert [r.method for r in fake.requests] == ["POST", "POST", "GET"]


async def test_stripe_client_with_httpx_client_goes_to_the_fake(fake: StripeFake) -> None:
    client = stripe.StripeClient(KEY, http_client=stripe.HTTPXClient())
    intent = await client.v1.payment_intents.create_async(params={"amount": 990, "currency": "eur"})
    assert intent.status == "requires_payment_method"
    listed = await client.v1.payment_intents.list_async(params={"limit": 1})
    assert [pi.id for pi in listed.data] == [intent.id]
    assert fake.requests[0].headers["Stripe-Version"]  # the SDK's own headers reached it


async def test_async_timeouts_keep_their_retries_and_skip_their_sleeps(fake: StripeFake) -> None:
    rule = fake.inject(mockkit.errors.read_timeout(), path="/v1/payment_intents", times=None)
    before = len(requested_sleeps)
    with pytest.raises(stripe.APIConnectionError) as caught:
        await stripe.PaymentIntent.create_async(amount=100, currency="usd")
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)  # httpx's own exception
    assert rule.fired == 3  # the first attempt and stripe-python's two retries
    assert len(requested_sleeps) - before == 2  # both backoffs were asked for, none was slept
    # The idempotency key stayed the same across the attempts, as against Stripe.
    keys = {r.headers["Idempotency-Key"] for r in fake.calls("POST", "/v1/payment_intents")}
    assert len(keys) == 1


async def test_a_rule_that_fires_once_lets_the_retry_succeed(fake: StripeFake) -> None:
    rule = fake.inject(mockkit.errors.server_error(503), path="/v1/payment_intents")
    intent = await stripe.PaymentIntent.create_async(amount=100, currency="usd")
    assert intent.id.startswith("pi_")
    assert rule.fired == 1
    assert len(list(fake.calls("POST", "/v1/payment_intents"))) == 2


async def test_the_async_client_retries_a_cut_body_where_the_sync_one_does_not(
    fake: StripeFake,
) -> None:
    fault = mockkit.errors.truncated_body()
    rule = fake.inject(fault, path="/v1/payment_intents", times=None)
    with pytest.raises(stripe.APIConnectionError) as caught:
        await stripe.PaymentIntent.create_async(amount=100, currency="usd")
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert rule.fired == fault.stripe_async_attempts() == 3
    with pytest.raises(stripe.APIConnectionError):
        stripe.PaymentIntent.create(amount=100, currency="usd")
    assert rule.fired - 3 == fault.stripe_attempts() == 1


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (mockkit.errors.connect_timeout(), httpx.ConnectTimeout),
        (mockkit.errors.read_timeout(), httpx.ReadTimeout),
        (mockkit.errors.connection_refused(), httpx.ConnectError),
        (mockkit.errors.connection_reset(), httpx.ReadError),
        (mockkit.errors.dns_failure(), httpx.ConnectError),
        (mockkit.errors.ssl_error(), httpx.ConnectError),
        (mockkit.errors.truncated_body(), httpx.RemoteProtocolError),
        (mockkit.errors.slow(30), httpx.ReadTimeout),
    ],
    ids=lambda v: getattr(v, "name", getattr(v, "__name__", "")),
)
def test_plain_httpx_raises_its_own_exception_for_each_transport_fault(
    fault: mockkit.errors.Fault, expected: type[Exception]
) -> None:
    with GitHubFake() as github:
        github.inject(fault)
        with pytest.raises(expected, match="simulated by mockkit|timed out") as caught:
            httpx.get("https://api.github.com/user", timeout=10)
    assert caught.value.request.url == "https://api.github.com/user"
    # The docs table's httpx column says the same.
    assert fault.outcome().httpx.startswith(f"httpx.{expected.__name__}")


def test_sync_httpx_and_requests_share_one_github_fake() -> None:
    with GitHubFake().with_defaults() as github:
        user = github.default_user()
        token = github.provider.issue_token("mockkit-client", user, "read:user", refresh=False)
        auth = {"Authorization": f"Bearer {token.access_token}"}
        with httpx.Client() as client:
            me = client.get("https://api.github.com/user", headers=auth)
        assert me.status_code == 200
        assert me.json()["login"] == "octocat"
        assert requests.get("https://api.github.com/user", headers=auth).json() == me.json()
        unauthorised = httpx.get("https://api.github.com/user")
        assert unauthorised.status_code == 401
    assert [r.path for r in github.requests] == ["/user"] * 3


async def test_async_httpx_reaches_the_fake_from_a_client_made_before_it_started() -> None:
    client = httpx.AsyncClient()
    async with client:
        with GitHubFake().with_defaults() as github:
            token = github.provider.issue_token(
                "mockkit-client", github.default_user(), "user:email", refresh=False
            )
            emails = await client.get(
                "https://api.github.com/user/emails",
                headers={"Authorization": f"token {token.access_token}"},
            )
    assert emails.status_code == 200
    assert emails.json()[0]["email"] == "octocat@example.com"


async def test_httpx2_is_answered_too() -> None:
    httpx2 = pytest.importorskip("httpx2")
    with GitHubFake().with_defaults():
        async with httpx2.AsyncClient() as client:
            answer = await client.get("https://api.github.com/user")
    assert answer.status_code == 401


async def _authlib_login(fake: OIDCProviderFake) -> AsyncOAuth2Client:
    redirect_uri = "https://app.test/callback"
    client = AsyncOAuth2Client(
        "mockkit-client", "mockkit-secret", scope="openid email", redirect_uri=redirect_uri
    )
    code = fake.provider.issue_code(
        "mockkit-client", fake.default_user(), redirect_uri, "openid email"
    )
    await client.fetch_token(fake.canonical_url("token"), code=code.code)
    return client


async def test_authlib_async_client_exchanges_a_code_and_calls_userinfo() -> None:
    with OIDCProviderFake().with_defaults() as fake:
        client = await _authlib_login(fake)
        try:
            info = await client.get(fake.canonical_url("userinfo"))
        finally:
            await client.aclose()
    assert client.token["token_type"].lower() == "bearer"
    assert info.json()["email"] == "alice@example.com"
    assert [r.path for r in fake.requests] == [fake.paths["token"], fake.paths["userinfo"]]


async def test_authlib_async_client_sees_the_providers_denial() -> None:
    with OIDCProviderFake().with_defaults() as fake:
        fake.inject(mockkit.errors.oauth.access_denied(), path=fake.paths["token"])
        with pytest.raises(OAuthError) as caught:
            await _authlib_login(fake)
    assert caught.value.error == "access_denied"


async def test_a_host_no_fake_answers_is_refused_at_once_on_httpx() -> None:
    with GitHubFake():
        async with httpx.AsyncClient() as client:
            with pytest.raises(httpx.ConnectError, match="no active fake answers") as caught:
                await client.get("https://elsewhere.test/x")
    assert "https://api.github.com" in str(caught.value)


def test_a_served_fake_stays_reachable_over_loopback_on_httpx() -> None:
    served = GitHubFake().with_defaults()
    with GitHubFake(), served.serve() as server:
        answer = httpx.get(server.url + "/user")
    assert answer.status_code == 401
    assert served.requests[-1].served is True


def test_hooks_are_removed_when_the_last_fake_stops() -> None:
    before = (httpx.Client._transport_for_url, requests.Session.get_adapter)
    with GitHubFake(), StripeFake():
        assert httpx.Client._transport_for_url is not before[0]
    assert (httpx.Client._transport_for_url, requests.Session.get_adapter) == before


class _CookieFake(mockkit.BaseFake):
    """Answers `/set` with a cookie and anything else without one."""

    hosts = ("https://cookies.mockkit.test",)

    def dispatch(self, request: mockkit.Request) -> mockkit.Response:
        if request.path == "/set":
            return mockkit.Response(200, b"set", [("Set-Cookie", "session=abc; Path=/")])
        return mockkit.Response(200, b"plain")


def test_cookies_from_a_fake_and_a_respx_route_reach_the_client_jar() -> None:
    import respx

    own = httpx.Cookies.extract_cookies
    with _CookieFake(), respx.mock(assert_all_called=False) as router, httpx.Client() as client:
        router.get("https://other.example/").respond(200, headers={"Set-Cookie": "other=1"})
        client.cookies.set("kept", "1", domain="cookies.mockkit.test")
        plain = client.get("https://cookies.mockkit.test/plain")
        assert plain.text == "plain" and not plain.cookies
        assert dict(client.cookies) == {"kept": "1"}
        answered = client.get("https://cookies.mockkit.test/set")
        assert answered.cookies["session"] == "abc"
        assert client.cookies["session"] == "abc"
        client.get("https://other.example/")  # not a fake's host: the jar reads it as ever
        assert client.cookies["other"] == "1"
    assert httpx.Cookies.extract_cookies is own  # httpx's own again once the fake stops
