"""A served fake keeps a client's connection open between requests, and closes it when it must.

What a user notices: a `requests.Session` or an SDK's pooled client makes one TCP connection to
a served fake, not one per call; a refused or cut request still ends its connection (nothing of
its body can be mistaken for the next request); stopping the server ends the idle connections
it kept. Every socket has a timeout, so a hang fails the test instead of the run.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import requests
import stripe

from mockkit.oauth import GitHubFake
from mockkit.stripe import StripeFake
from mockkit.transport import LoopbackServer

KEY = "sk_test_keepalive"
AUTH = f"Authorization: Bearer {KEY}\r\n".encode()


def read_answer(sock: socket.socket, buffer: bytearray) -> tuple[bytes, dict[str, str], bytes]:
    """One HTTP/1.1 answer (status line, headers, Content-Length body) from `sock`."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before an answer: {bytes(buffer)!r}")
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed inside a body")
        rest += chunk
    buffer[:] = rest[length:]
    return status.encode("latin-1"), headers, rest[:length]


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server ends the connection (end of stream or reset) within the timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.fixture
def stripe_fake() -> StripeFake:
    return StripeFake()


@pytest.fixture
def server(stripe_fake: StripeFake) -> Iterator[LoopbackServer]:
    with stripe_fake.serve() as served:
        yield served


def post_customer(email: str, extra: bytes = b"") -> bytes:
    body = f"email={email}".encode()
    return (
        b"POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + AUTH
        + b"Content-Type: application/x-www-form-urlencoded\r\n"
        + extra
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def test_requests_on_one_connection_are_answered_in_order(
    server: LoopbackServer, stripe_fake: StripeFake
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        buffer = bytearray()
        # Two requests sent back to back (pipelined), then a third after the answers.
        sock.sendall(post_customer("one@example.com") + post_customer("two@example.com"))
        first = read_answer(sock, buffer)
        second = read_answer(sock, buffer)
        sock.sendall(post_customer("three@example.com"))
        third = read_answer(sock, buffer)
    assert [answer[0].split()[1] for answer in (first, second, third)] == [b"200"] * 3
    assert all("close" not in answer[1].get("connection", "") for answer in (first, second))
    assert [c["email"] for c in stripe_fake.customers.values()] == [
        "one@example.com",
        "two@example.com",
        "three@example.com",
    ]


def test_a_stripe_client_makes_one_connection_for_many_calls(server: LoopbackServer) -> None:
    accepted: list[object] = []
    handler_cls = server._server.RequestHandlerClass  # type: ignore[union-attr]
    original_setup = handler_cls.setup

    def setup(self: object) -> None:
        accepted.append(self)
        original_setup(self)

    handler_cls.setup = setup
    try:
        client = stripe.StripeClient(KEY, base_addresses={"api": server.url})
        ids = {
            client.v1.customers.create(params={"email": f"c{i}@example.com"}).id for i in range(5)
        }
    finally:
        handler_cls.setup = original_setup
    assert len(ids) == 5
    assert len(accepted) == 1  # stripe-python's requests session kept its one connection


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"Connection: close\r\n", id="client-asks-to-close"),
        pytest.param(b"HTTP/1.0", id="http-1.0"),
    ],
)
def test_the_connection_closes_when_the_client_asks(server: LoopbackServer, raw: bytes) -> None:
    request = post_customer("bye@example.com", extra=raw if raw.endswith(b"\r\n") else b"")
    if raw == b"HTTP/1.0":
        request = request.replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        buffer = bytearray()
        sock.sendall(request)
        status, headers, _ = read_answer(sock, buffer)
        assert status.split()[1] == b"200"
        assert headers["connection"] == "close"
        assert closed_by_server(sock)


def test_a_refused_body_ends_the_connection_and_its_bytes_are_no_request(
    server: LoopbackServer, stripe_fake: StripeFake
) -> None:
    """A 413 leaves the body unread: the connection closes rather than parse it as a request."""
    smuggled = post_customer("smuggled@example.com")
    too_long = (
        b"POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + AUTH
        + f"Content-Length: {10**10}\r\n\r\n".encode()
        + smuggled
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        buffer = bytearray()
        sock.sendall(too_long)
        status, headers, _ = read_answer(sock, buffer)
        assert status.split()[1] == b"413"
        assert headers["connection"] == "close"
        assert closed_by_server(sock)
    assert stripe_fake.customers == {}


def test_a_chunked_request_is_answered_and_its_connection_closed(
    server: LoopbackServer, stripe_fake: StripeFake
) -> None:
    body = b"email=chunked@example.com"
    raw = (
        b"POST /v1/customers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + AUTH
        + b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        buffer = bytearray()
        sock.sendall(raw)
        status, headers, _ = read_answer(sock, buffer)
        assert status.split()[1] == b"200"
        assert headers["connection"] == "close"
    assert [c["email"] for c in stripe_fake.customers.values()] == ["chunked@example.com"]


def test_stopping_the_server_ends_the_connections_it_kept_open() -> None:
    fake = GitHubFake()
    server = fake.serve().start()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        buffer = bytearray()
        sock.sendall(b"GET /user HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers, _ = read_answer(sock, buffer)
        assert status.split()[1] == b"401"
        assert "connection" not in headers  # kept open for the next request
        server.stop()
        assert closed_by_server(sock)
    finally:
        sock.close()
        server.stop()


def test_a_session_keeps_working_across_a_fault_that_drops_its_connection(
    server: LoopbackServer, stripe_fake: StripeFake
) -> None:
    import mockkit

    session = requests.Session()
    try:
        headers = {"Authorization": f"Bearer {KEY}"}
        first = session.post(
            server.url + "/v1/customers",
            data={"email": "a@example.com"},
            headers=headers,
            timeout=5,
        )
        stripe_fake.inject(mockkit.errors.connection_reset(), path="/v1/customers")
        with pytest.raises(requests.ConnectionError):
            session.post(
                server.url + "/v1/customers",
                data={"email": "b@example.com"},
                headers=headers,
                timeout=5,
            )
        third = session.post(
            server.url + "/v1/customers",
            data={"email": "c@example.com"},
            headers=headers,
            timeout=5,
        )
    finally:
        session.close()
    assert (first.status_code, third.status_code) == (200, 200)
    assert [c["email"] for c in stripe_fake.customers.values()] == [
        "a@example.com",
        "c@example.com",
    ]
