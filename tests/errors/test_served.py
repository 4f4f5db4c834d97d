"""Transport faults carried out for real on the loopback server's socket.

Where the client's own timer running out is the behaviour under test, clients use short
timeouts (50 ms): the only real time these tests spend. Every other client gets a timeout long
enough that a loaded machine cannot turn the fault under test into a timeout.
"""

from __future__ import annotations

import time

import pytest
import requests
import stripe

from mockkit import errors
from mockkit.errors import Fault
from mockkit.transport import no_retry_sleep
from tests.errors.echo import EchoFake
from tests.sleeps import stripe_sleeps

TIMEOUT = 0.05
#: For a client that must not time out: the fault answers (or closes) at once.
PATIENT = 10.0

# Served, what plain `requests` raises and the text that shows it happened on the wire.
SERVED: list[tuple[Fault, type[BaseException], str]] = [
    (errors.connect_timeout(), requests.ReadTimeout, "Read timed out"),
    (errors.read_timeout(), requests.ReadTimeout, "Read timed out"),
    (errors.connection_refused(), requests.ConnectionError, "Connection reset by peer"),
    (errors.connection_reset(), requests.ConnectionError, "Connection reset by peer"),
    (errors.dns_failure(), requests.ConnectionError, "Remote end closed connection"),
    (errors.ssl_error(), requests.ConnectionError, "BadStatusLine"),
    (errors.truncated_body(), requests.exceptions.ChunkedEncodingError, "IncompleteRead"),
    (errors.slow(1.0), requests.ReadTimeout, "Read timed out"),
]


@pytest.mark.parametrize(("fault", "raised", "text"), SERVED, ids=lambda v: getattr(v, "name", ""))
def test_served_fault_happens_on_the_real_socket(
    echo: EchoFake, fault: Fault, raised: type[BaseException], text: str
) -> None:
    echo.inject(fault, path="/v1/payment_intents")
    with echo.serve() as server:
        timeout = TIMEOUT if raised is requests.ReadTimeout else PATIENT
        with pytest.raises(raised, match=text) as caught:
            requests.post(server.url + "/v1/payment_intents", timeout=timeout)
        assert type(caught.value) is raised
        # The fault fired once; the server keeps serving the next request normally.
        answer = requests.post(server.url + "/v1/payment_intents", timeout=PATIENT)
    assert answer.json()["id"] == "pi_mockkit"


def test_served_read_timeout_is_retried_by_stripe_with_one_idempotency_key(echo: EchoFake) -> None:
    echo.inject(errors.read_timeout(), path="/v1/payment_intents", times=None)
    with echo.serve() as server, no_retry_sleep():
        client = stripe.StripeClient(
            "sk_test_mockkit",
            base_addresses={"api": server.url},
            http_client=stripe.RequestsClient(timeout=TIMEOUT),
            max_network_retries=2,
        )
        with stripe_sleeps() as slept, pytest.raises(stripe.APIConnectionError):
            client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
    assert len(echo.requests) == 3
    assert len({r.headers["Idempotency-Key"] for r in echo.requests}) == 1
    assert slept == [0.0, 0.0]  # three client timeouts, no backoff sleeps


def test_served_truncated_body_is_not_retried_by_stripe(echo: EchoFake) -> None:
    echo.inject(errors.truncated_body(), times=None)
    with echo.serve() as server, no_retry_sleep():
        client = stripe.StripeClient(
            "sk_test_mockkit", base_addresses={"api": server.url}, max_network_retries=2
        )
        with pytest.raises(stripe.APIConnectionError, match="IncompleteRead"):
            client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
    assert len(echo.requests) == 1


def test_served_slow_under_the_timeout_answers_normally_after_the_delay(echo: EchoFake) -> None:
    echo.inject(errors.slow(0.02))
    with echo.serve() as server:
        started = time.perf_counter()
        answer = requests.post(server.url + "/v1/payment_intents", timeout=1)
        elapsed = time.perf_counter() - started
    assert answer.json()["status"] == "ok"
    assert elapsed >= 0.02


def test_served_faults_reach_clients_other_than_requests(echo: EchoFake) -> None:
    # The standard library's urllib knows nothing of mockkit: it sees the socket as it is.
    import http.client
    import socket as socket_module
    import urllib.error
    import urllib.request

    def post(url: str) -> bytes:
        request = urllib.request.Request(url, data=b"amount=1", method="POST")
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            return bytes(answer.read())

    echo.inject(errors.connection_reset())
    echo.inject(errors.truncated_body())
    echo.inject(errors.read_timeout())
    with echo.serve() as server:
        url = server.url + "/v1/payment_intents"
        with pytest.raises(ConnectionResetError):
            post(url)
        with pytest.raises(http.client.IncompleteRead):
            post(url)
        with pytest.raises((socket_module.timeout, urllib.error.URLError)):
            post(url)
        assert b"pi_mockkit" in post(url)  # every rule fired once; the fake answers again
