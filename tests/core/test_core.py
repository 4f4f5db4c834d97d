"""The shared machinery under every fake: routing, fault rules, both transports, guards."""

from __future__ import annotations

import http.client
import re
import socket

import pytest
import requests
import stripe

from mockkit import BaseFake, NetworkBlockedError, Request, Response, block_network
from mockkit.fake import Routes
from mockkit.transport import TransportFault, no_retry_sleep
from tests.sleeps import stripe_sleeps


class Echo(BaseFake):
    """A tiny fake: GET /items/{id} echoes the id and the base URL the client used."""

    hosts = ("https://echo.test", "https://api.echo.test")

    def __init__(self) -> None:
        super().__init__()
        self.routes = Routes()
        self.routes.add("GET", "/items/{item_id}", self.get_item)
        self.routes.add("POST", "/items", self.create_item)
        self.items: dict[str, str] = {}

    def get_item(self, request: Request, item_id: str) -> Response:
        if item_id not in self.items:
            return Response.json({"error": "no such item"}, status=404)
        return Response.json({"id": item_id, "name": self.items[item_id], "base": request.base_url})

    def create_item(self, request: Request) -> Response:
        name = dict(request.form()).get("name", "")
        item_id = str(len(self.items) + 1)
        self.items[item_id] = name
        return Response.json({"id": item_id, "name": name}, status=201)

    def dispatch(self, request: Request) -> Response:
        found = self.routes.match(request.method, request.path)
        if found is None:
            closest = self.routes.closest(request.method, request.path)
            return Response.json({"error": f"unsupported; closest: {closest}"}, status=404)
        route, params = found
        return route.handler(request, **params)

    def reset(self) -> None:
        super().reset()
        self.items.clear()


class Status(BaseFake):
    """Answers every request with a fixed status (to check two fakes at once)."""

    hosts = ("https://status.test",)

    def dispatch(self, request: Request) -> Response:
        return Response.json({"ok": True}, status=299)


class Boom:
    """A fault answering 503 with a marker body."""

    def respond(self, request: Request) -> Response:
        return Response.json({"fault": "boom"}, status=503)


class Reset(TransportFault):
    """A transport fault: in-process a ConnectionError, served a TCP reset."""


def test_routes_match_templates_and_suggest_the_closest() -> None:
    routes = Routes()
    routes.add("GET", "/v1/customers/{id}", lambda r, id: Response())
    routes.add("GET", "/v1/customers", lambda r: Response())
    found = routes.match("GET", "/v1/customers/cus_1")
    assert found is not None and found[1] == {"id": "cus_1"}
    assert routes.match("GET", "/v1/customers/cus_1/extra") is None
    assert routes.match("DELETE", "/v1/customers/cus_1") is None
    assert routes.allowed_methods("/v1/customers/cus_1") == ["GET"]
    assert routes.closest("GET", "/v1/customer") == "GET /v1/customers"


def test_in_process_fake_answers_its_hosts_and_keeps_state() -> None:
    fake = Echo()
    with fake:
        created = requests.post("https://echo.test/items", data={"name": "mug"})
        assert created.status_code == 201
        got = requests.get(f"https://api.echo.test/items/{created.json()['id']}")
        assert got.json() == {"id": "1", "name": "mug", "base": "https://api.echo.test"}
    assert [r.method for r in fake.requests] == ["POST", "GET"]
    assert fake.requests[0].form() == [("name", "mug")]


def test_unknown_host_fails_at_once_and_hosts_stop_answering_after_exit() -> None:
    fake = Echo()
    with fake:
        with pytest.raises(requests.ConnectionError):
            requests.get("https://elsewhere.test/")
    with pytest.raises(requests.ConnectionError):
        requests.get("https://echo.test/items/1")


def test_two_fakes_answer_together_and_exit_independently() -> None:
    echo, status = Echo(), Status()
    with echo:
        with status:
            assert requests.get("https://status.test/x").status_code == 299
            assert requests.get("https://echo.test/items/9").status_code == 404
        with pytest.raises(requests.ConnectionError):
            requests.get("https://status.test/x")
        assert requests.get("https://echo.test/items/9").status_code == 404


def test_served_fake_shares_state_with_in_process_and_builds_its_own_urls() -> None:
    fake = Echo()
    with fake, fake.serve() as server:
        url = server.url
        requests.post("https://echo.test/items", data={"name": "lamp"})
        # Through a raw socket client: the in-process interception does not apply to it.
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", "/items/1")
        reply = conn.getresponse()
        body = reply.read()
        conn.close()
    assert reply.status == 200
    assert b'"name":"lamp"' in body
    assert url.encode() in body
    assert fake.requests[-1].served is True


def test_served_fake_refuses_oversized_bodies_without_reading_them() -> None:
    fake = Echo()
    with fake.serve() as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.putrequest("POST", "/items")
        conn.putheader("Content-Length", str(64 * 1024 * 1024))
        conn.endheaders()
        reply = conn.getresponse()
        reply.read()
        conn.close()
    assert reply.status == 413
    assert fake.requests == []


def test_fault_rules_after_every_and_times() -> None:
    fake = Echo()
    fake.items["1"] = "cup"
    rule = fake.inject(Boom(), method="GET", path="/items/*", after=1, every=2, times=2)
    with fake:
        statuses = [requests.get("https://echo.test/items/1").status_code for _ in range(7)]
    # the first passes (after=1); then every 2nd of the rest fails, at most twice
    assert statuses == [200, 200, 503, 200, 503, 200, 200]
    assert rule.fired == 2 and rule.exhausted


def test_fault_rule_matches_method_and_regex_path_only() -> None:
    fake = Echo()
    fake.inject(Boom(), method="POST", path=re.compile(r"^/items$"), times=None)
    fake.items["1"] = "cup"
    with fake:
        assert requests.get("https://echo.test/items/1").status_code == 200
        assert requests.post("https://echo.test/items", data={"name": "x"}).status_code == 503
        assert requests.post("https://echo.test/items", data={"name": "y"}).status_code == 503
    assert fake.items == {"1": "cup"}


def test_inject_rejects_things_that_are_not_faults_and_bad_counts() -> None:
    fake = Echo()
    with pytest.raises(TypeError, match="mockkit.errors"):
        fake.inject("500")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        fake.inject(Boom(), times=0)
    with pytest.raises(ValueError):
        fake.inject(Boom(), every=0)


def test_transport_fault_in_process_raises_the_requests_exception() -> None:
    class ResetFault:
        def respond(self, request: Request) -> Response:
            raise Reset("connection reset by mockkit")

    fake = Echo()
    fake.inject(ResetFault())
    with fake:
        with pytest.raises(requests.ConnectionError, match="reset by mockkit"):
            requests.get("https://echo.test/items/1")
        assert requests.get("https://echo.test/items/1").status_code == 404


def test_transport_fault_served_resets_the_real_socket() -> None:
    class ResetFault:
        def respond(self, request: Request) -> Response:
            raise Reset()

    fake = Echo()
    fake.inject(ResetFault())
    with fake.serve() as server:
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{server.url}/items/1", timeout=5)
        assert requests.get(f"{server.url}/items/1", timeout=5).status_code == 404


def test_a_bug_in_a_fake_is_an_answer_not_a_traceback() -> None:
    class Broken(Echo):
        def dispatch(self, request: Request) -> Response:
            raise KeyError("oops")

    with Broken():
        reply = requests.get("https://echo.test/items/1")
    assert reply.status_code == 500
    assert "KeyError" in reply.json()["error_description"]


def test_reset_forgets_state_log_and_faults() -> None:
    fake = Echo()
    fake.inject(Boom(), times=None)
    with fake:
        requests.post("https://echo.test/items", data={"name": "x"})
        fake.reset()
        assert requests.get("https://echo.test/items/1").status_code == 404
    assert len(fake.requests) == 1


def test_entering_an_active_fake_twice_is_an_error() -> None:
    fake = Echo()
    with fake:
        with pytest.raises(RuntimeError, match="already active"):
            fake.start()
    with pytest.raises(RuntimeError, match="not active"):
        _ = fake.mock


def test_stripe_retries_keep_their_count_without_sleeping() -> None:
    class Flaky(BaseFake):
        hosts = ("https://api.stripe.com",)

        def dispatch(self, request: Request) -> Response:
            return Response.json(
                {"error": {"type": "api_error", "message": "down"}},
                status=500,
                headers={"Request-Id": "req_x"},
            )

    fake = Flaky()
    # StripeClient retries only when asked; module-style calls default to 2 retries.
    client = stripe.StripeClient("sk_test_123", max_network_retries=2)
    with fake, stripe_sleeps() as slept, pytest.raises(stripe.APIError):
        client.v1.customers.create(params={"email": "a@example.com"})
    attempts = list(fake.calls("POST", "/v1/customers"))
    assert len(attempts) == 3
    keys = {r.headers["Idempotency-Key"] for r in attempts}
    assert len(keys) == 1
    assert slept == [0.0, 0.0], f"retries slept for real: {slept}"


def test_no_retry_sleep_records_requested_backoff_and_restores() -> None:
    from stripe._http_client import HTTPClient

    original = HTTPClient._sleep_time_seconds
    with no_retry_sleep() as sleeps:
        before = len(sleeps)
        assert HTTPClient._sleep_time_seconds(stripe.RequestsClient(), 1) == 0.0
        assert len(sleeps) == before + 1 and sleeps[-1] >= 0.5
    assert HTTPClient._sleep_time_seconds is original


def test_block_network_refuses_outside_hosts_but_allows_loopback() -> None:
    fake = Echo()
    with fake.serve() as server, block_network():
        with pytest.raises(NetworkBlockedError, match="example.com"):
            socket.getaddrinfo("example.com", 443)
        with pytest.raises(NetworkBlockedError, match="192.0.2.1"):
            socket.create_connection(("192.0.2.1", 80), timeout=1)
        assert requests.get(f"{server.url}/items/1", timeout=5).status_code == 404
    # restored afterwards
    assert socket.getaddrinfo("127.0.0.1", 80)


def test_a_taken_port_is_an_os_error_naming_it_not_an_exit() -> None:
    fake = Echo()
    with fake.serve() as first:
        taken = first.port
        with pytest.raises(OSError, match=f"127.0.0.1:{taken}"):
            fake.serve(port=taken).start()
        assert requests.get(f"{first.url}/items/1", timeout=5).status_code == 404
