"""Hostile requests through httpx, sync and async, against the fakes answering in-process.

The same invariants as over `requests` (`tests/stripe/test_wire_fuzz.py`,
`tests/oauth/test_fuzz.py`), on the transport httpx clients get: random and broken requests
(any method, damaged paths, queries and bodies, forged credentials), sent with `httpx.Client`
and `httpx.AsyncClient` to `StripeFake` and the OAuth fakes, always get a provider-shaped 2xx
or 4xx, never an exception and never a hang; a refused request leaves the fake's state as it
was. With a fault rule in place, the one exception raised is the httpx exception that fault
stands for (its `outcome().httpx`), and the fault changes no state either.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mockkit import errors
from mockkit.errors import Fault
from mockkit.oauth.base import OAuthFake
from mockkit.stripe import StripeFake
from tests.oauth.test_fuzz import (
    FAKES,
    _base,
    assert_oauth_shaped,
    assert_refusal_kept_state,
    fake_strategy,
    prepare,
    state_of,
)
from tests.reliability.fuzzing import FUZZ, Tally
from tests.reliability.strategies import Call
from tests.stripe.test_atomicity_fuzz import changes, snapshot
from tests.stripe.test_wire_fuzz import assert_stripe_shaped, seed, stripe_calls

pytestmark = pytest.mark.fuzz

STRIPE = "https://api.stripe.com"
#: Examples per client library and fake: a few hundred, as each costs about a millisecond.
EXAMPLES = 200
#: The httpx client's timeout: the fakes answer in-process at once, so it never runs out; a
#: hang would be caught by it rather than hold the run.
TIMEOUT = 10.0

#: Faults a rule may put in front of a request: every failure below HTTP and a few answers.
FAULTS: list[Fault] = [
    errors.connect_timeout(),
    errors.read_timeout(),
    errors.connection_refused(),
    errors.connection_reset(),
    errors.dns_failure(),
    errors.ssl_error(),
    errors.truncated_body(),
    errors.slow(120),
    errors.server_error(503),
    errors.rate_limited(),
    errors.stripe.card_declined(),
    errors.stripe.api_error(),
]


class Sender:
    """Builds and sends requests with one httpx client, sync or async.

    The async client runs on an event loop of its own in a thread of its own: the main thread
    may already run one (Playwright's sync API keeps one running for the browser tests).
    """

    def __init__(self, client: httpx.Client | httpx.AsyncClient, loop: Any = None) -> None:
        self.client = client
        self.loop = loop

    def build(self, call: Call, base: str) -> httpx.Request:
        """The request for `call`; an example httpx itself refuses to build is skipped."""
        try:
            return self.client.build_request(
                call.method, call.url(base), content=call.body, headers=call.headers
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError, ValueError):
            assume(False)  # the client library's own refusal: nothing reaches a fake
            raise  # pragma: no cover - assume(False) does not return

    def send(self, request: httpx.Request) -> httpx.Response:
        """Send `request`: no exception expected (the caller checks for one where it must)."""
        if isinstance(self.client, httpx.AsyncClient):
            return self.run(self.client.send(request))
        return self.client.send(request)

    def run(self, coroutine: Any) -> Any:
        """Run `coroutine` on the client's loop; its result, or its exception raised here."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=TIMEOUT * 3)


@pytest.fixture(params=["Client", "AsyncClient"])
def sender(request: pytest.FixtureRequest) -> Iterator[Sender]:
    """`httpx.Client`, or `httpx.AsyncClient` on one event loop (in a thread) for the test."""
    if request.param == "Client":
        with httpx.Client(timeout=TIMEOUT) as client:
            yield Sender(client)
        return
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, name="httpx-fuzz-loop", daemon=True)
    runner.start()
    sender = Sender(httpx.AsyncClient(timeout=TIMEOUT), loop)
    try:
        yield sender
    finally:
        sender.run(sender.client.aclose())
        loop.call_soon_threadsafe(loop.stop)
        runner.join(timeout=30)
        loop.close()


@pytest.fixture
def stripe_fake() -> Iterator[tuple[StripeFake, list[str]]]:
    """A seeded Stripe fake, active in-process, and the ids of the events its listener heard."""
    fake = StripeFake(seed=17)
    seed(fake)
    heard = [event["id"] for event in fake.events]
    fake.state.listeners.append(lambda event: heard.append(event["id"]))
    with fake:
        yield fake, heard


def test_stripe_answers_every_httpx_request_in_stripes_shape(
    stripe_fake: tuple[StripeFake, list[str]], sender: Sender, tally: Tally
) -> None:
    fake, heard = stripe_fake

    @settings(FUZZ, max_examples=EXAMPLES)
    @given(call=stripe_calls)
    def check(call: Call) -> None:
        request = sender.build(call, STRIPE)
        tally.add("httpx in-process (Stripe)")
        before = snapshot(fake)
        response = sender.send(request)
        assert_stripe_shaped(call, response.status_code, response.headers, response.content)
        # A decline Stripe records (402, naming its failed charge) is the one refusal that
        # changes the account; every other refusal leaves it as it was.
        if response.status_code >= 400 and response.status_code != 402:
            assert changes(before, snapshot(fake)) == [], (call, response.status_code)
        assert heard == [event["id"] for event in fake.events], "an event not heard once"

    check()


@pytest.fixture(params=sorted(FAKES))
def oauth_fake(request: pytest.FixtureRequest) -> Iterator[tuple[OAuthFake, dict[str, list[str]]]]:
    """Each OAuth fake, active in-process, with a client, a user and one finished login."""
    with FAKES[request.param]() as fake:
        yield fake, prepare(fake)


def test_oauth_fakes_answer_every_httpx_request_as_the_provider(
    oauth_fake: tuple[OAuthFake, dict[str, list[str]]], sender: Sender, tally: Tally
) -> None:
    fake, values = oauth_fake

    @settings(FUZZ, max_examples=EXAMPLES // 2)
    @given(call=fake_strategy(fake, values))
    def check(call: Call) -> None:
        known = call.path if call.path in fake.paths.values() else fake.paths["token"]
        request = sender.build(call, _base(fake, known))
        tally.add("httpx in-process (OAuth fakes)")
        before = state_of(fake)
        response = sender.send(request)
        status, headers, body = response.status_code, response.headers, response.content
        assert_oauth_shaped(fake, call, status, headers, body)
        assert_refusal_kept_state(fake, call, before, status, headers, body)

    check()


def _raised_name(exc: BaseException) -> str:
    return f"{type(exc).__module__.split('.')[0]}.{type(exc).__name__}"


def test_a_fault_rule_raises_its_own_httpx_exception_and_changes_nothing(
    stripe_fake: tuple[StripeFake, list[str]], sender: Sender, tally: Tally
) -> None:
    fake, heard = stripe_fake

    @settings(FUZZ, max_examples=EXAMPLES // 2)
    @given(call=stripe_calls, fault=st.sampled_from(FAULTS))
    def check(call: Call, fault: Fault) -> None:
        request = sender.build(call, STRIPE)
        tally.add("httpx in-process (Stripe, with a fault rule)")
        before = snapshot(fake)
        rule = fake.inject(fault, times=1)
        try:
            expected = fault.outcome().httpx
            if expected.startswith("httpx."):
                expected = expected.split(" ")[0]  # slow(): "httpx.ReadTimeout if ..."
                with pytest.raises(httpx.TransportError) as caught:
                    sender.send(request)
                assert _raised_name(caught.value) == expected, (fault.name, caught.value)
            else:  # an HTTP answer: the fault's own status, whatever the request was
                response = sender.send(request)
                assert f"HTTP {response.status_code} response" == expected, fault.name
        finally:
            fake.clear_faults()
        assert rule.fired == 1
        assert changes(before, snapshot(fake)) == [], fault.name
        assert heard == [event["id"] for event in fake.events]

    check()
