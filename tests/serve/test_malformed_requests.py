"""Malformed HTTP on a served fake's socket: it answers or closes cleanly, and keeps serving.

Real clients are not the only thing that reaches a loopback port: a half-written script, a
browser extension, a port scanner. Whatever bytes arrive (a bad Content-Length, a path that is
not UTF-8, a header line of 100 KB, binary noise, a body shorter than announced), the served
fake answers with a 4xx or closes the connection, within seconds, and the next client is
served as before. Every socket here has a timeout, so a hang fails the test instead of the CI.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.oauth import GitHubFake
from mockkit.stripe import StripeFake
from mockkit.transport import LoopbackServer
from tests.reliability.fuzzing import FUZZ, Tally

pytestmark = pytest.mark.fuzz

KEY = "sk_test_reliability"
AUTH = f"Authorization: Bearer {KEY}\r\n".encode()


def exchange(port: int, raw: bytes, timeout: float = 5.0) -> bytes:
    """Send `raw` on a fresh connection, half-close, and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return b""  # the server closed first: a clean refusal
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                raise AssertionError(f"no answer and no close within {timeout}s for {raw[:80]!r}")
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def status_of(answer: bytes) -> int | None:
    """The status of the first response in `answer`: None if nothing came back, 0 for a
    body-only (HTTP/0.9-style) answer."""
    if not answer:
        return None
    for marker in (b"Traceback (most recent call last)", b'File "/'):
        assert marker not in answer, answer[:500]
    line = answer.split(b"\r\n", 1)[0]
    if not line.startswith(b"HTTP/1."):
        # A request without an HTTP/1.x version is answered HTTP/0.9-style: the body alone.
        return 0
    return int(line.split()[1])


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[LoopbackServer]:
    """A served Stripe fake for the whole module."""
    with StripeFake().serve() as server:
        yield server


@pytest.fixture(scope="module")
def github_server() -> Iterator[LoopbackServer]:
    """A served GitHub fake for the whole module."""
    fake = GitHubFake().with_defaults()
    with fake.serve() as server:
        yield server


def still_serving(server: LoopbackServer) -> None:
    """A well-formed request on a new connection gets the fake's real answer."""
    if isinstance(getattr(server, "handler", None), StripeFake):
        answer = requests.post(
            server.url + "/v1/customers",
            data={"email": "after@example.com"},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=5,
        )
        assert answer.status_code == 200 and answer.json()["email"] == "after@example.com"
    else:
        answer = requests.get(server.url + "/user", timeout=5)
        assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"


CASES = {
    "content-length not a number": b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
    + AUTH
    + b"Content-Length: abc\r\n\r\nemail=a",
    "negative content-length": b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
    + AUTH
    + b"Content-Length: -5\r\n\r\nemail=a",
    "content-length of 100 GB": b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
    + AUTH
    + b"Content-Length: 100000000000\r\n\r\nemail=a",
    "body shorter than announced": b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
    + AUTH
    + b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nemail=a",
    "two different content-lengths": b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
    + AUTH
    + b"Content-Length: 7\r\nContent-Length: 2\r\n\r\nemail=a",
    "path not UTF-8": b"GET /v1/customers/\xff\xfe\xc3( HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n",
    "percent-escapes not UTF-8": b"GET /v1/customers/%ff%fe?x=%C3%28 HTTP/1.1\r\nHost: x\r\n"
    + AUTH
    + b"\r\n",
    "header line of 100 KB": b"GET /v1/customers HTTP/1.1\r\nHost: x\r\nX-Big: "
    + b"a" * 100_000
    + b"\r\n\r\n",
    "300 headers": b"GET /v1/customers HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-H%d: v\r\n" % i for i in range(300))
    + b"\r\n",
    "request line of 100 KB": b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "not HTTP at all": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)),
    "request line without version": b"GET /v1/customers\r\n\r\n",
    "unknown method": b"BREW /v1/customers HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n",
    "header without colon": b"GET /v1/customers HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    "header value not latin-1": b"GET /v1/customers HTTP/1.1\r\nHost: x\r\n"
    + b"X-A: \xe2\x82\xac\xff\r\n"
    + AUTH
    + b"\r\n",
    "bad chunked body": b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
    + AUTH
    + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nemail=a\r\n0\r\n\r\n",
    "chunk larger than sent": b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
    + AUTH
    + b"Transfer-Encoding: chunked\r\n\r\nffff\r\nemail=a",
    "absolute URI to another host": b"GET http://evil.example/v1/customers HTTP/1.1\r\nHost: x\r\n"
    + AUTH
    + b"\r\n",
    "empty request": b"\r\n\r\n",
    # werkzeug answers the first of pipelined requests and closes: clean, never mixed up.
    "three pipelined requests": (b"GET /v1/customers HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n") * 3,
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("which", ["stripe", "github"])
def test_malformed_request_is_refused_cleanly_and_serving_goes_on(
    case: str, which: str, request: pytest.FixtureRequest, tally: Tally
) -> None:
    tally.add("served raw HTTP (malformed, named cases)")
    server: LoopbackServer = request.getfixturevalue(f"{which}_server")
    # `exchange` fails on a hang: its socket times out.
    status = status_of(exchange(server.port, CASES[case]))
    # 2xx is allowed only where the request is in fact readable (e.g. an unknown header).
    assert status is None or status < 500, (case, status)
    still_serving(server)


raw_requests = st.builds(
    lambda method, target, headers, body: (
        method + b" " + target + b" HTTP/1.1\r\n" + headers + b"\r\n" + body
    ),
    st.one_of(st.sampled_from([b"GET", b"POST", b"DELETE", b"PUT"]), st.binary(max_size=8)),
    st.one_of(
        st.sampled_from([b"/v1/customers", b"/login/oauth/access_token", b"/user", b"*"]),
        st.binary(min_size=1, max_size=60).map(lambda b: b"/" + b.replace(b" ", b"%20")),
    ),
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    AUTH,
                    b"Content-Length: 4\r\n",
                    b"Content-Length: x\r\n",
                    b"Content-Type: application/x-www-form-urlencoded\r\n",
                    b"Transfer-Encoding: chunked\r\n",
                    b"Connection: keep-alive\r\n",
                    b"Expect: 100-continue\r\n",
                ]
            ),
            st.binary(max_size=40).map(
                lambda b: b"X-R: " + b.replace(b"\r", b"").replace(b"\n", b"") + b"\r\n"
            ),
            st.one_of(
                st.sampled_from([b"[", b"]", b"/", b"?", b"#", b"@", b":x"]), st.binary()
            ).map(lambda b: b"Host: " + b.replace(b"\r", b"").replace(b"\n", b"") + b"\r\n"),
        ),
        max_size=5,
    ).map(b"".join),
    st.binary(max_size=64),
)


def test_random_raw_requests_never_get_a_5xx_or_a_hang(
    stripe_server: LoopbackServer, github_server: LoopbackServer, tally: Tally
) -> None:
    @settings(FUZZ, max_examples=150)
    @given(raw=raw_requests, github=st.booleans())
    def check(raw: bytes, github: bool) -> None:
        tally.add("served raw HTTP (malformed)")
        server = github_server if github else stripe_server
        status = status_of(exchange(server.port, raw, timeout=5))
        assert status is None or status < 500, (raw[:200], status)

    check()
    still_serving(stripe_server)
    still_serving(github_server)


def test_a_stalled_client_blocks_neither_other_clients_nor_shutdown() -> None:
    """50 clients that announce a body and never send it hold a thread each, nothing more.

    And when it gives up, the half-sent request is dropped: the fake must not create a
    customer from `email=a` when the client meant to send 500 bytes.
    """
    fake = StripeFake()
    stalled: list[socket.socket] = []
    server = fake.serve().start()
    try:
        baseline = threading.active_count()
        for _ in range(50):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            stalled.append(sock)
            sock.sendall(b"POST /v1/customers HTTP/1.1\r\nHost: x\r\n" + AUTH)
            sock.sendall(b"Content-Length: 500\r\n\r\nemail=a")  # 493 bytes never follow
        still_serving(server)  # answered while the 50 wait (its own timeout catches a hang)
        for sock in stalled:
            sock.close()  # the clients give up
        deadline = time.monotonic() + 30  # a hang guard, not a measure of speed
        while threading.active_count() > baseline and time.monotonic() < deadline:
            time.sleep(0.02)  # the server's handler threads see the close and end
        assert threading.active_count() <= baseline
        emails = [r.params for r in fake.requests if r.path == "/v1/customers"]
        assert emails == [{"email": "after@example.com"}]
        assert [c["email"] for c in fake.customers.values()] == ["after@example.com"]
        # Stopping waits for no client: one still connected and silent does not hold it.
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        stalled.append(silent)
        stopper = threading.Thread(target=server.stop, daemon=True)
        stopper.start()
        stopper.join(timeout=30)  # a hang guard: stop() returns at once when it works
        assert not stopper.is_alive(), "stop() waited for a silent client"
    finally:
        for sock in stalled:
            sock.close()
        server.stop()


BAD_HOSTS = [b"[", b"[::1", b"a]b", b"shop.example/v1?x#y", b"x:notaport", b"a b", b"a@b", b"\xff"]


@pytest.mark.parametrize("host", BAD_HOSTS, ids=[h.decode("latin-1") for h in BAD_HOSTS])
@pytest.mark.parametrize("which", ["stripe", "github"])
def test_a_host_header_that_is_not_a_host_is_a_400(
    host: bytes, which: str, request: pytest.FixtureRequest, tally: Tally
) -> None:
    """RFC 9112 3.2: an invalid Host is a 400, not a crash (nor a path taken from it)."""
    tally.add("served raw HTTP (malformed, named cases)")
    server: LoopbackServer = request.getfixturevalue(f"{which}_server")
    handler: Any = server.handler
    before = len(handler.requests)
    raw = b"GET /v1/customers HTTP/1.1\r\nHost: " + host + b"\r\n" + AUTH + b"\r\n"
    assert status_of(exchange(server.port, raw)) == 400
    assert len(handler.requests) == before  # the fake never saw it
    still_serving(server)
