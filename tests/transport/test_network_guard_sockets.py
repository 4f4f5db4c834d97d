"""The network guard is on for these tests: outside hosts fail at once, loopback works.

The root `tests/conftest.py` blocks every outbound connection and DNS lookup except
loopback for each test here. These tests prove it is really active (a test that merely
forgot to mock a host would otherwise hang on a retry loop or, worse, reach a real
provider), that it fails fast, and that the served fakes on 127.0.0.1 still work under it.
"""

from __future__ import annotations

import socket

import pytest
import requests
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.stripe import StripeFake
from mockkit.transport import NetworkBlockedError
from tests.reliability.fuzzing import FUZZ, Tally

pytestmark = pytest.mark.fuzz

#: Addresses that are not loopback: documentation ranges, public resolvers, private nets,
#: IPv6 and the hosts of the real providers.
OUTSIDE = [
    ("203.0.113.7", 443),
    ("198.51.100.1", 80),
    ("8.8.8.8", 53),
    ("10.0.0.1", 80),
    ("192.168.1.1", 443),
    ("169.254.169.254", 80),  # a cloud metadata service: a test must never reach it
    ("0.0.0.0", 80),
    ("2001:db8::1", 443),
    ("api.stripe.com", 443),
    ("github.com", 443),
    ("oauth2.googleapis.com", 443),
]


@pytest.mark.parametrize(("host", "port"), OUTSIDE, ids=[h for h, _ in OUTSIDE])
def test_an_outside_connection_fails_at_once(host: str, port: int) -> None:
    # Refused before any packet: the guard's own error, not a timeout or a DNS failure.
    with pytest.raises(NetworkBlockedError, match="blocked"):
        socket.create_connection((host, port), timeout=5)


def test_requests_and_stripe_fail_fast_and_say_why() -> None:
    with pytest.raises(requests.ConnectionError, match="mockkit blocked"):
        requests.get("https://api.github.com/user", timeout=5)
    client = stripe.StripeClient("sk_test_reliability", max_network_retries=0)
    with pytest.raises(stripe.APIConnectionError) as caught:
        client.v1.customers.create(params={"email": "a@example.com"})
    # Failed fast because the guard refused it, not after a timeout: its message says so.
    assert "mockkit blocked" in str(caught.value)


@settings(FUZZ, max_examples=100)
@given(
    octets=st.tuples(
        st.integers(1, 223).filter(lambda a: a != 127),
        st.integers(0, 255),
        st.integers(0, 255),
        st.integers(1, 254),
    ),
    port=st.integers(1, 65535),
)
def test_no_outside_ipv4_address_gets_through(octets: tuple[int, ...], port: int) -> None:
    address = ".".join(map(str, octets))
    with pytest.raises(NetworkBlockedError):
        socket.create_connection((address, port), timeout=1)


def test_loopback_still_works_under_the_guard(tally: Tally) -> None:
    tally.add("network guard (outside hosts and addresses)", len(OUTSIDE) + 100)
    with StripeFake().serve() as server:
        client = stripe.StripeClient(
            "sk_test_reliability", base_addresses={"api": server.url}, max_network_retries=0
        )
        assert client.v1.customers.create(params={"email": "a@example.com"}).email == (
            "a@example.com"
        )
        localhost = server.url.replace("127.0.0.1", "localhost")
        assert requests.get(localhost + "/v1/customers", timeout=5).status_code == 401


@pytest.mark.parametrize(("host", "port"), OUTSIDE[:8], ids=[h for h, _ in OUTSIDE[:8]])
def test_a_datagram_to_an_outside_host_is_blocked_too(host: str, port: int, tally: Tally) -> None:
    """UDP needs no connect(): a DNS query to 8.8.8.8 by hand would otherwise leave."""
    tally.add("network guard (outside hosts and addresses)", 2)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        with pytest.raises(NetworkBlockedError):
            sock.sendto(b"\x00", (host, port))
        with pytest.raises(NetworkBlockedError):
            sock.sendto(b"\x00", 0, (host, port))


def test_a_datagram_to_loopback_still_goes() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(5)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.sendto(b"ping", server.getsockname())
        assert server.recvfrom(16)[0] == b"ping"


@pytest.mark.parametrize("kind", [bytes, bytearray])
def test_a_host_given_as_bytes_is_checked_too(kind: type) -> None:
    """CPython takes b"203.0.113.7" as a host; the guard must read it the same way."""
    host = kind(b"203.0.113.7")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        with pytest.raises(NetworkBlockedError):
            sock.connect((host, 443))
        with pytest.raises(NetworkBlockedError):
            sock.connect_ex((host, 443))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(NetworkBlockedError):
            sock.sendto(b"\x00", (host, 9))
    if kind is bytes:  # getaddrinfo takes str or bytes only
        with pytest.raises(NetworkBlockedError):
            socket.getaddrinfo(b"api.stripe.com", 443)
