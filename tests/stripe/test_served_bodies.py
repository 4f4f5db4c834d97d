"""Large request bodies on the served Stripe fake: refused whole when too large, and decoded
without holding up the fake's other clients.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe

from mockkit.stripe import StripeFake, incoming
from mockkit.transport import MAX_BODY_BYTES

KEY = "sk_test_bodies"
AUTH = {"Authorization": f"Bearer {KEY}"}


def padded(size: int) -> bytes:
    """A valid customer create, padded with empty pairs (which Stripe's form reading skips).

    Any prefix of it is a valid request too: cut short, it would still create a customer.
    """
    head = b"email=big%40example.com"
    return head + b"&" * (size - len(head))


def chunks(body: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    """The body as a generator: `requests` sends it with `Transfer-Encoding: chunked`."""
    for i in range(0, len(body), size):
        yield body[i : i + size]


def test_a_chunked_body_over_the_limit_is_refused_whole_and_not_executed() -> None:
    fake = StripeFake(KEY)
    with fake.serve() as server:
        answer = requests.post(
            f"{server.url}/v1/customers",
            data=chunks(padded(MAX_BODY_BYTES + 4096)),
            headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
            timeout=60,
        )
        assert answer.request.headers.get("Transfer-Encoding") == "chunked"
        # The same as a body that declares its length: 413, and the fake never saw it.
        assert answer.status_code == 413
        assert fake.customers == {} and fake.requests == []
        # A chunked body within the limit is served as usual.
        ok = requests.post(
            f"{server.url}/v1/customers",
            data=chunks(padded(64 * 1024), 4096),
            headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
            timeout=60,
        )
    assert ok.status_code == 200, ok.text[:300]
    assert [c["email"] for c in fake.customers.values()] == ["big@example.com"]


def test_decoding_a_large_body_does_not_hold_up_other_clients(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While one client's large body is being decoded, another client is answered.

    The decoder is made to wait, inside the decoding of the large body, until another client
    got its answer: if decoding held the fake's lock, that answer could never come (the wait
    gives up after a long while and the test fails).
    """
    real_parse_form = incoming.parse_form
    decoding, answered = threading.Event(), threading.Event()
    waited: list[bool] = []

    def parse_form(data: Any) -> list[tuple[str, str]]:
        if len(data) > 1_000_000:
            decoding.set()
            waited.append(answered.wait(30))
        return real_parse_form(data)

    monkeypatch.setattr(incoming, "parse_form", parse_form)
    fake = StripeFake(KEY)
    with fake.serve() as server:
        results: list[requests.Response] = []
        big = threading.Thread(
            target=lambda: results.append(
                requests.post(
                    f"{server.url}/v1/customers",
                    data=padded(2_000_000),
                    headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
                    timeout=120,
                )
            )
        )
        big.start()
        assert decoding.wait(60), "the large request never reached the decoder"
        client = stripe.StripeClient(KEY, base_addresses={"api": server.url})
        small = client.v1.customers.create(params={"email": "small@example.com"})
        answered.set()
        big.join(120)
    assert waited == [True], "another client waited for the large body's decoding"
    assert small.email == "small@example.com"
    assert results and results[0].status_code == 200
    emails = sorted(c["email"] for c in fake.customers.values())
    assert emails == ["big@example.com", "small@example.com"]
