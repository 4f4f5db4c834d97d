"""A fake beside a test's own responses, respx or pytest-httpx mock, started in either order.

The fake answers its hosts; the test's mock answers the rest, as if the other were not there.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import requests
import responses
import respx
import stripe
from pytest_httpx import HTTPXMock

from mockkit.stripe import StripeFake

KEY = "sk_test_mockkit_coexist"
OTHER = "https://api.example.test/ping"


def _pay_sync() -> str:
    client = stripe.StripeClient(KEY)
    return str(client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"}).id)


async def _pay_async() -> str:
    client = stripe.StripeClient(KEY, http_client=stripe.HTTPXClient())
    intent = await client.v1.payment_intents.create_async(params={"amount": 100, "currency": "usd"})
    return str(intent.id)


# ---- responses ---------------------------------------------------------------------------


def test_responses_started_first_keeps_its_stubs_and_the_fake_answers_stripe() -> None:
    with responses.RequestsMock() as rsps:
        stub = rsps.get(OTHER, json={"pong": True})
        with StripeFake() as fake:
            assert _pay_sync().startswith("pi_")
            assert requests.get(OTHER).json() == {"pong": True}
            assert fake.mock is rsps  # the test's own mock holds stubs beside the fake
        assert stub.call_count == 1
        # Once the fake stops, Stripe goes back to the test's mock, which refuses it.
        with pytest.raises(stripe.APIConnectionError, match="Connection refused by Responses"):
            _pay_sync()


def test_responses_started_after_the_fake_keeps_its_stubs_and_the_fake_answers_stripe() -> None:
    with StripeFake() as fake:
        with responses.RequestsMock() as rsps:
            stub = rsps.get(OTHER, json={"pong": True})
            assert _pay_sync().startswith("pi_")
            assert requests.get(OTHER).json() == {"pong": True}
            assert stub.call_count == 1
            with pytest.raises(requests.ConnectionError, match="Connection refused by Responses"):
                requests.get("https://unstubbed.example.test/")
        assert _pay_sync().startswith("pi_")
    assert len(fake.requests) == 2


def test_stubs_added_on_fake_mock_answer_other_hosts() -> None:
    with StripeFake() as fake:
        fake.mock.get(OTHER, body="pong")
        assert requests.get(OTHER).text == "pong"
        with pytest.raises(requests.ConnectionError):
            requests.get("https://unstubbed.example.test/")


# ---- respx -------------------------------------------------------------------------------


@pytest.mark.parametrize("respx_first", [True, False], ids=["respx-first", "fake-first"])
async def test_respx_in_either_order(respx_first: bool) -> None:
    fake = StripeFake()
    router = respx.mock(assert_all_called=True)
    route = router.get(OTHER).respond(200, json={"pong": True})
    first, second = (router, fake) if respx_first else (fake, router)
    with first, second:
        assert (await _pay_async()).startswith("pi_")
        async with httpx.AsyncClient() as client:
            assert (await client.get(OTHER)).json() == {"pong": True}
        # respx still refuses what it was not told about (its own assert_all_mocked).
        with pytest.raises(respx.models.AllMockedAssertionError):
            httpx.get("https://unstubbed.example.test/")
        assert route.call_count == 1
    assert [r.path for r in fake.requests] == ["/v1/payment_intents"]


async def test_respx_transport_mode_started_first() -> None:
    with respx.mock(using="httpx", assert_all_called=True) as router, StripeFake():
        router.get(OTHER).respond(204)
        assert (await _pay_async()).startswith("pi_")
        assert httpx.get(OTHER).status_code == 204


async def test_respx_transport_mode_started_after_the_fake_passes_its_hosts_through() -> None:
    # respx's transport mode, started last, sees every request first, as it would in front of
    # any transport: its pass_through() routes hand the fake's hosts on to the fake.
    with StripeFake() as fake, respx.mock(using="httpx") as router:
        router.route(host="api.stripe.com").pass_through()
        router.get(OTHER).respond(204)
        assert (await _pay_async()).startswith("pi_")
        assert httpx.get(OTHER).status_code == 204
    assert len(fake.requests) == 1


# ---- pytest-httpx ------------------------------------------------------------------------


@pytest.fixture
def stripe_fake() -> Iterator[StripeFake]:
    with StripeFake() as fake:
        yield fake


async def test_pytest_httpx_set_up_first(httpx_mock: HTTPXMock, stripe_fake: StripeFake) -> None:
    httpx_mock.add_response(url=OTHER, json={"pong": True})
    assert (await _pay_async()).startswith("pi_")
    async with httpx.AsyncClient() as client:
        assert (await client.get(OTHER)).json() == {"pong": True}
    assert len(httpx_mock.get_requests()) == 1  # the Stripe call never reached it
    assert len(stripe_fake.requests) == 1


async def test_pytest_httpx_set_up_after_the_fake(
    stripe_fake: StripeFake, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=OTHER, json={"pong": True})
    assert (await _pay_async()).startswith("pi_")
    with httpx.Client() as client:
        assert client.get(OTHER).json() == {"pong": True}
    assert len(httpx_mock.get_requests()) == 1
    assert len(stripe_fake.requests) == 1
