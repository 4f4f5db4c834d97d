"""The demo shop under attack, on mockkit's real fakes, many variants per attack.

Payments go through the unmodified stripe-python to a `StripeFake` (signing webhooks with the
shop's own secret) and logins through authlib to a `GitHubFake` or `GoogleFake`. Each attack
is tried many ways (hypothesis) and judged by what a user would notice: the status, the
order rows, and what Stripe was asked to do.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from werkzeug.serving import make_server

from demo_app.db import db
from demo_app.models import Order, StripeEvent, User
from mockkit.oauth import GitHubFake, GoogleFake, login
from mockkit.stripe import StripeFake
from tests.demo.harness import TEST_CONFIG, AuthActions
from tests.demo.invariants import check_money
from tests.reliability.fuzzing import FUZZ, Tally

pytestmark = pytest.mark.fuzz

WEBHOOK_SECRET = TEST_CONFIG["STRIPE_WEBHOOK_SECRET"]
ALNUM_PATH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Shop:
    """The demo shop wired to an in-process Stripe fake."""

    app: Flask
    stripe: StripeFake

    def orders(self) -> dict[int, str]:
        """Order id -> status, from the database."""
        with self.app.app_context():
            return {o.id: o.status for o in db.session.scalars(select(Order))}

    def events_stored(self) -> int:
        """How many webhook events the shop has recorded as handled."""
        with self.app.app_context():
            return int(db.session.scalar(select(func.count()).select_from(StripeEvent)) or 0)

    def stripe_calls(self) -> int:
        """How many requests the shop sent to Stripe so far."""
        return len(self.stripe.requests)


@pytest.fixture
def shop(app: Flask) -> Iterator[Shop]:
    """The `app` fixture's shop and a fresh Stripe fake signing with the shop's secret."""
    fake = StripeFake(webhook_secret=WEBHOOK_SECRET)
    with fake:
        yield Shop(app, fake)


def api_order(client: FlaskClient, payment_method: str = "pm_card_visa") -> dict[str, Any]:
    """Place an order through the JSON API, paying at once."""
    answer = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": payment_method}
    )
    assert answer.status_code in (201, 402), answer.get_data(as_text=True)
    body = answer.get_json()
    return dict(body["error"]["order"] if answer.status_code == 402 else body)


def checkout_order(client: FlaskClient, shop: Shop) -> tuple[int, str]:
    """Start Checkout from the HTML form; return the order id and the session id."""
    answer = client.post("/checkout/coffee-mug")
    assert answer.status_code == 303, answer.get_data(as_text=True)
    session_id = answer.headers["Location"].partition("#")[0].rstrip("/").rsplit("/", 1)[-1]
    with shop.app.app_context():
        order = db.session.scalar(select(Order).filter_by(checkout_session_id=session_id))
        assert order is not None
        return order.id, session_id


# ---- replayed, duplicated and reordered webhooks ----------------------------------------------


@pytest.fixture
def settled_world(shop: Shop, client: FlaskClient, auth: AuthActions) -> Iterator[Any]:
    """Three orders whose truth lives in Stripe's events: paid by Checkout, paid after a
    decline, and paid then refunded through the API. The shop has seen none of the events."""
    auth.login()
    paid_id, paid_session = checkout_order(client, shop)
    shop.stripe.complete_checkout(paid_session)
    retry_id, retry_session = checkout_order(client, shop)
    with pytest.raises(Exception, match="declined"):
        shop.stripe.complete_checkout(retry_session, "pm_card_chargeDeclined")
    shop.stripe.complete_checkout(retry_session)
    refunded = api_order(client)
    assert client.post(f"/api/orders/{refunded['id']}/refund", json={}).status_code == 200
    events = list(shop.stripe.events)
    with shop.app.app_context():
        snapshot = {
            o.id: (o.status, o.payment_intent_id) for o in db.session.scalars(select(Order))
        }
    expected = {paid_id: "paid", retry_id: "paid", refunded["id"]: "refunded"}

    def restore() -> None:
        with shop.app.app_context():
            db.session.execute(delete(StripeEvent))
            for order in db.session.scalars(select(Order)):
                order.status, order.payment_intent_id = snapshot[order.id]
                order.failure_reason = None
            db.session.commit()

    yield events, expected, restore


def test_replayed_duplicated_or_reordered_webhooks_apply_once(
    shop: Shop, client: FlaskClient, settled_world: Any, tally: Tally
) -> None:
    events, expected, restore = settled_world
    stripe_calls = shop.stripe_calls()
    refunds = len(shop.stripe.refunds)

    @settings(FUZZ, max_examples=25)
    @given(
        order=st.permutations(range(len(events))),
        repeats=st.lists(st.integers(0, len(events) - 1), max_size=6),
    )
    def check(order: list[int], repeats: list[int]) -> None:
        tally.add("demo: webhook replay/duplicate/reorder sequences")
        restore()
        sequence = [events[i] for i in order] + [events[i] for i in repeats]
        first_time: set[str] = set()
        for event in sequence:
            (delivery,) = shop.stripe.deliver(client, [event], path="/webhooks/stripe")
            assert delivery.status == 200, delivery.body
            answer = json.loads(delivery.body)
            assert answer["duplicate"] is (event["id"] in first_time)
            first_time.add(event["id"])
        # Each event counted once; the outcome does not depend on order or repetition.
        assert shop.events_stored() == len({e["id"] for e in sequence})
        if len(set(order)) == len(events):
            assert shop.orders() == expected

    check()
    # Webhooks never make the shop call Stripe: nothing was charged or refunded again.
    assert shop.stripe_calls() == stripe_calls
    assert len(shop.stripe.refunds) == refunds == 1


@contextlib.contextmanager
def served_shop(shop: Shop) -> Iterator[str]:
    """Serve the shop on 127.0.0.1 (threaded), its Stripe calls still on the in-process fake."""
    server = make_server("127.0.0.1", 0, shop.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    shop.stripe.mock.add_passthru(url)  # the in-process fake lets the shop's own URL through
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def at_once(n: int, send: Callable[[requests.Session], requests.Response]) -> list[Any]:
    """`send` from `n` threads released together, each on its own session; (status, JSON)s."""
    barrier = threading.Barrier(n, timeout=30)
    answers: list[tuple[int, Any]] = []

    def run() -> None:
        barrier.wait()
        with requests.Session() as session:
            r = send(session)
        answers.append((r.status_code, r.json()))

    threads = [threading.Thread(target=run, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not [t for t in threads if t.is_alive()], "a request never finished"
    assert len(answers) == n
    return answers


def _deliver_concurrently(shop: Shop, client: FlaskClient, auth: AuthActions) -> Any:
    auth.login()
    order_id, session_id = checkout_order(client, shop)
    shop.stripe.complete_checkout(session_id)
    event = shop.stripe.events_of("checkout.session.completed")[-1]
    body = json.dumps(event).encode()
    headers = {"Stripe-Signature": shop.stripe.sign(body), "Content-Type": "application/json"}
    with served_shop(shop) as url:
        answers = at_once(
            16, lambda s: s.post(url + "/webhooks/stripe", data=body, headers=headers, timeout=30)
        )
    return order_id, event, answers


def test_concurrent_deliveries_of_one_event_apply_it_once(
    shop: Shop, client: FlaskClient, auth: AuthActions, tally: Tally
) -> None:
    """The same event POSTed by 16 clients at once: applied once; a redelivery changes nothing."""
    order_id, event, answers = _deliver_concurrently(shop, client, auth)
    tally.add("demo: concurrent duplicate webhook deliveries", len(answers))
    applied = [a for status, a in answers if status == 200 and a["duplicate"] is False]
    assert len(applied) == 1
    assert shop.events_stored() == 1 and shop.orders()[order_id] == "paid"
    # Stripe redelivers whatever was not acknowledged: those are duplicates, nothing more.
    for status, _ in answers:
        if status != 200:
            (again,) = shop.stripe.deliver(client, [event], path="/webhooks/stripe")
            assert again.status == 200 and json.loads(again.body)["duplicate"] is True
    assert shop.events_stored() == 1 and shop.orders()[order_id] == "paid"


def test_concurrent_deliveries_never_answer_500(
    shop: Shop, client: FlaskClient, auth: AuthActions
) -> None:
    # SQLite refuses a read-then-write transaction at once while another holds the write
    # lock; the shop retries the event. 25 rounds, each a fresh event, so a regression shows
    # on any machine.
    for _ in range(25):
        _, _, answers = _deliver_concurrently(shop, client, auth)
        assert [status for status, _ in answers] == [200] * 16, answers


def test_concurrent_refund_clicks_refund_once(
    shop: Shop, client: FlaskClient, auth: AuthActions, tally: Tally
) -> None:
    """Eight refund requests for one paid order at once: Stripe is asked for one refund."""
    auth.login()
    order = api_order(client)
    cookie = client.get_cookie("session")
    assert cookie is not None
    with served_shop(shop) as url:
        answers = at_once(
            8,
            lambda s: s.post(
                f"{url}/api/orders/{order['id']}/refund",
                json={},
                cookies={"session": cookie.value},
                timeout=30,
            ),
        )
    tally.add("demo: concurrent refund clicks", len(answers))
    assert len(shop.stripe.refunds) == 1  # the order-<id>-refund key held
    (refund,) = shop.stripe.refunds.values()
    assert refund["amount"] == order["amount"]
    assert shop.orders()[order["id"]] == "refunded"
    assert any(status == 200 for status, _ in answers)


# ---- forged, tampered and stale webhooks -----------------------------------------------------

tampering = st.one_of(
    st.tuples(st.just("body byte flipped"), st.integers(0, 10_000)),
    st.tuples(st.just("wrong secret"), st.text(min_size=1, max_size=40)),
    st.tuples(st.just("too old"), st.integers(301, 10**8)),
    st.tuples(
        st.just("garbage header"),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=200),
    ),
    st.tuples(st.just("v0 only"), st.just(0)),
    st.tuples(st.just("no header"), st.just(0)),
    st.tuples(st.just("signature of another event"), st.just(0)),
    st.tuples(st.just("JSON re-serialised"), st.just(0)),
)


def test_forged_tampered_or_stale_webhooks_are_refused_and_change_nothing(
    shop: Shop, client: FlaskClient, auth: AuthActions, tally: Tally
) -> None:
    auth.login()
    order_id, session_id = checkout_order(client, shop)
    shop.stripe.complete_checkout(session_id)
    event = shop.stripe.events_of("checkout.session.completed")[0]
    other = shop.stripe.events_of("payment_intent.succeeded")[0]
    body = json.dumps(event).encode()
    before = shop.orders()
    assert before[order_id] == "pending"

    @settings(FUZZ, max_examples=200)
    @given(attack=tampering)
    def check(attack: tuple[str, Any]) -> None:
        tally.add("demo: forged/tampered/stale webhooks")
        kind, value = attack
        payload, header = body, shop.stripe.sign(body)
        if kind == "body byte flipped":
            i = value % len(body)
            payload = body[:i] + bytes([body[i] ^ 0x01]) + body[i + 1 :]
        elif kind == "wrong secret":
            header = shop.stripe.sign(body, secret="whsec_" + value)
        elif kind == "too old":
            header = shop.stripe.sign(body, timestamp=time.time() - value)
        elif kind == "garbage header":
            header = value
        elif kind == "v0 only":
            header = header.replace("v1=", "v0=")
        elif kind == "no header":
            header = None
        elif kind == "signature of another event":
            header = shop.stripe.sign(json.dumps(other).encode())
        elif kind == "JSON re-serialised":
            payload = json.dumps(event, indent=2).encode()
        headers = {"Content-Type": "application/json"}
        if header is not None:
            headers["Stripe-Signature"] = header
        answer = client.post("/webhooks/stripe", data=payload, headers=headers)
        if payload == body and kind == "wrong secret" and value == WEBHOOK_SECRET[6:]:
            return  # hypothesis guessed the secret: that one is genuine
        assert answer.status_code == 400, (kind, answer.get_data(as_text=True))
        assert answer.get_json()["error"]["code"] in ("invalid_signature", "missing_signature")
        assert shop.orders() == before and shop.events_stored() == 0

    check()


# ---- CSRF on every state-changing route -------------------------------------------------------


def state_changing_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(method, path, blueprint) for every route that takes POST, PUT, PATCH or DELETE."""
    sample = {"slug": "coffee-mug", "order_id": 1, "provider": "github"}
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}):
            path = rule.build({k: sample[k] for k in rule.arguments})[1]
            out.append((method, path, rule.endpoint.split(".")[0]))
    return out


def test_every_state_changing_route_needs_a_token_or_a_json_body(
    app_factory: Callable[..., Flask], tally: Tally
) -> None:
    fake = StripeFake(webhook_secret=WEBHOOK_SECRET)
    with fake:
        app = app_factory(WTF_CSRF_ENABLED=True)
        victim, attacker = app.test_client(), app.test_client()
        AuthActions(app, victim).login()
        AuthActions(app, attacker).login(provider_user_id="666", email="eve@example.com")
        paid = api_order(victim)
        routes = state_changing_routes(app)
        assert {blueprint for _, _, blueprint in routes} >= {"api", "auth", "billing", "shop"}
        foreign = TOKEN.search(attacker.get("/").get_data(as_text=True))
        assert foreign is not None
        orders_before, calls_before = _orders(app), len(fake.requests)
        for method, path, blueprint in routes:
            path = path.replace("/orders/1", f"/orders/{paid['id']}")
            if blueprint == "webhooks":
                continue  # signed by Stripe instead (see the webhook tests)
            # What a cross-site form can send: a simple content type, no token or someone else's.
            for form in ({}, {"csrf_token": foreign.group(1)}, {"csrf_token": "x" * 40}):
                tally.add("demo: CSRF attempts")
                answer = victim.open(path, method=method, data=form)
                expected = 415 if blueprint == "api" else 400
                assert answer.status_code == expected, (method, path, form, answer.status_code)
        assert _orders(app) == orders_before
        assert len(fake.requests) == calls_before  # Stripe was never called
        assert victim.get("/api/me").status_code == 200  # not logged out by a forged POST


def _orders(app: Flask) -> dict[int, tuple[str, str | None]]:
    with app.app_context():
        return {o.id: (o.status, o.refund_id) for o in db.session.scalars(select(Order))}


# ---- one user, another's orders ---------------------------------------------------------------


def test_nobody_reads_or_refunds_another_users_order(
    shop: Shop, client: FlaskClient, auth: AuthActions, tally: Tally
) -> None:
    auth.login()
    mine = [api_order(client), api_order(client, "pm_card_chargeDeclined")]
    eve = shop.app.test_client()
    AuthActions(shop.app, eve).login(provider_user_id="666", email="eve@example.com")
    before, calls = _orders(shop.app), shop.stripe_calls()
    ids = [o["id"] for o in mine]

    @settings(FUZZ, max_examples=150)
    @given(
        order_id=st.one_of(st.sampled_from(ids), st.integers(0, 2**63)),
        route=st.sampled_from(
            [
                ("GET", "/api/orders/{}"),
                ("POST", "/api/orders/{}/refund"),
                ("GET", "/orders/{}"),
                ("POST", "/orders/{}/refund"),
            ]
        ),
    )
    def check(order_id: int, route: tuple[str, str]) -> None:
        tally.add("demo: another user's orders")
        method, template = route
        kwargs: dict[str, Any] = (
            {"json": {}} if template.startswith("/api") and method == "POST" else {}
        )
        answer = eve.open(template.format(order_id), method=method, **kwargs)
        assert answer.status_code == 404, (method, template, order_id, answer.status_code)
        text = answer.get_data(as_text=True)
        assert "coffee-mug" not in text and "pi_" not in text  # nothing about the order leaks

    check()
    assert eve.get("/api/orders").get_json() == {"orders": []}
    assert _orders(shop.app) == before and shop.stripe_calls() == calls


# ---- login: next, session, state, nonce -------------------------------------------------------

#: Redirect targets that try to leave the site, as browsers would read them.
OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "////evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    " //evil.example",
    "https://evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "data:text/html,x",
    "/%2F/evil.example",
    "%2F%2Fevil.example",
    "/.//evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    "https:/evil.example",
    "//evil.example@localhost",
    "/login?next=//evil.example",
]


def browser_target(location: str) -> str:
    """Where a browser goes for `Location: location` from http://localhost/ (WHATWG-ish)."""
    cleaned = location.strip("\x00 ").replace("\t", "").replace("\n", "").replace("\r", "")
    cleaned = cleaned.replace("\\", "/")
    return urljoin("http://localhost/", cleaned)


@pytest.fixture
def github_shop(app: Flask) -> Iterator[tuple[Flask, GitHubFake]]:
    """The shop with an in-process GitHub fake knowing its OAuth client."""
    fake = GitHubFake()
    fake.add_client(TEST_CONFIG["GITHUB_CLIENT_ID"], TEST_CONFIG["GITHUB_CLIENT_SECRET"])
    fake.add_user("octocat", name="The Octocat", email="octocat@example.com")
    with fake:
        yield app, fake


def test_next_never_redirects_off_site(github_shop: tuple[Flask, GitHubFake], tally: Tally) -> None:
    app, fake = github_shop

    @settings(FUZZ, max_examples=120)
    @given(
        target=st.one_of(
            st.sampled_from(OFF_SITE),
            st.text(alphabet=st.sampled_from("/\\:.@%?#evilxmpl \t\n"), max_size=20),
        )
    )
    def check(target: str) -> None:
        tally.add("demo: off-site next")
        client = app.test_client()
        response = login(client, "/login/github?" + _query(next=target), fake)
        assert response.status_code == 302
        assert urlsplit(browser_target(response.headers["Location"])).netloc == "localhost"
        # The login page's own buttons carry `next` only as a same-site path, if at all.
        page = client.get("/login?" + _query(next=target)).get_data(as_text=True)
        for href in re.findall(r'href="(/login/github[^"]*)"', page):
            assert urlsplit(browser_target(href)).netloc == "localhost"

    check()


def _query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def test_login_starts_a_new_session(github_shop: tuple[Flask, GitHubFake], tally: Tally) -> None:
    app, fake = github_shop

    @settings(FUZZ, max_examples=30)
    @given(
        planted=st.dictionaries(
            st.text(min_size=1, max_size=10), st.text(max_size=20), min_size=1, max_size=3
        )
    )
    def check(planted: dict[str, str]) -> None:
        tally.add("demo: session fixation")
        client = app.test_client()
        with client.session_transaction() as session:
            session.update(planted)
            session["user_id"] = 999_999  # someone else's id, planted before login
        before = client.get_cookie("session")
        response = login(client, "/login/github", fake)
        assert response.status_code == 302
        # The new session cookie is out of reach of scripts and of cross-site POSTs.
        set_cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
        with client.session_transaction() as session:
            assert not (set(planted) - {"user_id", "_flashes"}) & set(session)
            assert session["user_id"] != 999_999
        after = client.get_cookie("session")
        assert before is not None and after is not None and after.value != before.value

    check()


@pytest.mark.parametrize("provider", ["github", "google"])
def test_forged_state_or_nonce_never_logs_anyone_in(
    app: Flask, provider: str, tally: Tally
) -> None:
    fake: GitHubFake | GoogleFake = GitHubFake() if provider == "github" else GoogleFake()
    prefix = provider.upper()
    fake.add_client(TEST_CONFIG[f"{prefix}_CLIENT_ID"], TEST_CONFIG[f"{prefix}_CLIENT_SECRET"])
    fake.add_default_user()
    with fake:

        @settings(FUZZ, max_examples=40)
        @given(forged=st.text(min_size=1, max_size=60), nonce=st.booleans())
        def check(forged: str, nonce: bool) -> None:
            tally.add(f"demo: forged state/nonce ({provider})")
            client = app.test_client()
            if nonce and isinstance(fake, GoogleFake):
                fake.next_id_token(nonce=forged)
                response = login(client, "/login/google", fake)
                assert response.status_code == 502
                assert 'data-code="login_token_invalid"' in response.get_data(as_text=True)
            else:
                response = login(client, f"/login/{provider}", fake, state=forged)
                assert response.status_code == 400
                assert 'data-code="login_state_mismatch"' in response.get_data(as_text=True)
            assert client.get("/api/me").status_code == 401
            with app.app_context():
                assert db.session.scalar(select(func.count()).select_from(User)) == 0

        check()


# ---- secrets in logs and error pages ---------------------------------------------------------


def test_no_secret_or_token_reaches_logs_or_pages(
    app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    """Every failure path the shop has, with logging at INFO (the shop's own at DEBUG).

    Whatever went wrong, the pages, JSON errors, headers and log lines never hold an API key,
    a client secret, the webhook secret, the session key, a session cookie or a token.
    """
    from mockkit.errors import malformed_json, read_timeout, server_error

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="demo_app")
    github, google = GitHubFake(), GoogleFake()
    github.add_client(TEST_CONFIG["GITHUB_CLIENT_ID"], TEST_CONFIG["GITHUB_CLIENT_SECRET"])
    github.add_user("octocat", email="octocat@example.com")
    google.add_client(TEST_CONFIG["GOOGLE_CLIENT_ID"], TEST_CONFIG["GOOGLE_CLIENT_SECRET"])
    google.add_default_user()
    stripe_fake = StripeFake(webhook_secret=WEBHOOK_SECRET)
    seen: list[str] = []

    def record(response: Any) -> Any:
        seen.append(response.get_data(as_text=True))
        seen.extend(f"{k}: {v}" for k, v in response.headers if k.lower() != "set-cookie")
        return response

    with github, google, stripe_fake:
        app = app_factory()
        client = app.test_client()
        # Logins that work, then every way they fail.
        record(login(client, "/login/github", github))
        record(login(client, "/login/google", google))
        failures: list[tuple[str, Callable[[], object]]] = [
            ("github", lambda: github.fail("token", 503)),
            ("github", lambda: github.fail("user", 500)),
            ("github", lambda: github.inject(read_timeout(), path=github.paths["token"])),
            ("github", lambda: github.inject(malformed_json(), path=github.paths["user"])),
            ("google", lambda: google.next_id_token(nonce="wrong")),
            ("google", lambda: google.next_id_token(bad_signature=True)),
            ("google", lambda: google.fail("token", 400, {"error": "invalid_grant"})),
        ]
        for provider, fail in failures:
            fail()
            fake = google if provider == "google" else github
            record(login(app.test_client(), f"/login/{provider}", fake))
        record(login(client, "/login/github", github, state="forged"))
        wrong = app_factory(GITHUB_CLIENT_SECRET="not-the-secret-registered")
        record(login(wrong.test_client(), "/login/github", github))
        # Payments: success, decline, Stripe outages, a refused key, a malformed answer.
        for setup, method in (
            (None, "pm_card_visa"),
            (None, "pm_card_chargeDeclined"),
            (lambda: stripe_fake.inject(server_error(503), path="/v1/payment_intents"), None),
            (lambda: stripe_fake.inject(read_timeout(), path="/v1/payment_intents"), None),
            (lambda: stripe_fake.inject(malformed_json(), path="/v1/payment_intents"), None),
        ):
            if setup:
                setup()
            order = {"product": "coffee-mug", "payment_method": method}
            record(client.post("/api/orders", json=order))
        keyed = app_factory(STRIPE_API_KEY="sk_test_wrong_key_for_this_fake_123456")
        stripe_fake.api_key = TEST_CONFIG["STRIPE_API_KEY"]
        keyed_client = keyed.test_client()
        AuthActions(keyed, keyed_client).login()
        record(keyed_client.post("/api/orders", json={"product": "coffee-mug"}))
        record(keyed_client.post("/checkout/coffee-mug"))
        # Webhooks with the wrong secret, and pages that do not exist.
        forged = {"Stripe-Signature": "t=1,v1=x"}
        record(client.post("/webhooks/stripe", data=b"{}", headers=forged))
        record(client.get("/orders/999999"))
        record(client.get("/api/orders/999999"))
    secrets = [
        TEST_CONFIG["SECRET_KEY"],
        TEST_CONFIG["GITHUB_CLIENT_SECRET"],
        TEST_CONFIG["GOOGLE_CLIENT_SECRET"],
        TEST_CONFIG["STRIPE_API_KEY"],
        "sk_test_wrong_key_for_this_fake_123456",
        WEBHOOK_SECRET,
        *(t.access_token for t in github.tokens + google.tokens),
        *(t.refresh_token for t in github.tokens + google.tokens if t.refresh_token),
    ]
    cookie = client.get_cookie("session")
    if cookie is not None:
        secrets.append(cookie.value)
    logs = [record.getMessage() for record in caplog.records]
    logs += [
        "".join(traceback.format_exception(r.exc_info[1])) for r in caplog.records if r.exc_info
    ]
    tally.add("demo: pages and log lines checked for secrets", len(seen) + len(logs))
    # The scenarios ran: logins worked, failures were logged, errors were shown.
    assert len(github.tokens) >= 2 and len(google.tokens) >= 1
    assert any("login failed" in line for line in logs)
    assert any("Payment for order" in line for line in logs)
    assert sum('id="error"' in page for page in seen) >= 8
    for secret in secrets:
        for text in seen + logs:
            assert secret not in text, f"a secret ({secret[:6]}...) leaked in: {text[:300]}"


@pytest.mark.parametrize("provider", ["github", "google"])
def test_login_csrf_a_callback_from_someone_elses_login_is_refused(
    app: Flask, provider: str
) -> None:
    """An attacker's own callback URL (real code, real state) opened in the victim's browser
    must not log the victim into the attacker's account."""
    from requests.structures import CaseInsensitiveDict

    from mockkit.http import Request

    fake: GitHubFake | GoogleFake = GitHubFake() if provider == "github" else GoogleFake()
    prefix = provider.upper()
    fake.add_client(TEST_CONFIG[f"{prefix}_CLIENT_ID"], TEST_CONFIG[f"{prefix}_CLIENT_SECRET"])
    fake.add_default_user()
    with fake:
        attacker, victim = app.test_client(), app.test_client()
        authorize = attacker.get(f"/login/{provider}").headers["Location"]
        consent = fake.handle(
            Request(
                "POST",
                authorize,
                headers=CaseInsensitiveDict({"Content-Type": "application/x-www-form-urlencoded"}),
                body=b"decision=allow",
            )
        )
        callback = urlsplit(consent.header("Location") or "")
        assert callback.path == f"/auth/{provider}/callback" and "code=" in callback.query
        tokens_before = len(fake.tokens)
        answer = victim.get(f"{callback.path}?{callback.query}")
        assert answer.status_code == 400
        assert 'data-code="login_state_mismatch"' in answer.get_data(as_text=True)
        assert victim.get("/api/me").status_code == 401
        assert len(fake.tokens) == tokens_before  # the code was never even exchanged
        # The attacker's own browser could still finish: nothing was spent on the victim.
        assert attacker.get(f"{callback.path}?{callback.query}").status_code == 302


def test_a_very_long_next_never_breaks_the_login(
    github_shop: tuple[Flask, GitHubFake], tally: Tally
) -> None:
    """Browsers drop a cookie over 4 KB, and with it the login's state: a long `next` (a
    crafted link) must not push the session cookie over that limit."""
    app, fake = github_shop

    @settings(FUZZ, max_examples=20)
    @given(target=st.text(alphabet=ALNUM_PATH, min_size=3000, max_size=9000).map(lambda t: "/" + t))
    def check(target: str) -> None:
        tally.add("demo: very long next")
        client = app.test_client()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Flask warns when a cookie is too large
            start = client.get("/login/github?" + _query(next=target))
            response = login(client, "/login/github?" + _query(next=target), fake)
        for answer in (start, response):
            cookie = answer.headers.get("Set-Cookie", "")
            assert len(cookie.split(";")[0]) <= 4093, len(cookie)
        assert response.status_code == 302
        assert client.get("/api/me").status_code == 200

    check()


# ---- money exact: random purchases, payments, refunds and cancellations ---------------------


STEPS = (
    "api_visa",
    "api_decline",
    "api_nocard",
    "checkout",
    "pay",
    "decline",
    "cancel",
    "cancel_page",
    "refund",
    "expire",
    "deliver",
)


def test_random_shopping_keeps_the_money_exact_and_applies_each_event_once(
    app_factory: Callable[..., Flask], tally: Tally
) -> None:
    """Random sequences of what customers and Stripe do, webhooks delivered late, shuffled
    and twice: every answer is the shop's own (never a 5xx), each event is applied once, and
    in the end every order says what Stripe did with its money."""
    import random

    import stripe as stripe_sdk

    from mockkit.stripe import CheckoutError

    @settings(FUZZ, max_examples=40)
    @given(steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=14), seed=st.integers())
    def check(steps: list[str], seed: int) -> None:
        tally.add("demo: random shopping sequences")
        rng = random.Random(seed)
        fake = StripeFake(webhook_secret=WEBHOOK_SECRET)
        with fake:
            app = app_factory()
            client = app.test_client()
            AuthActions(app, client).login()
            delivered = 0

            def order_ids() -> list[int]:
                with app.app_context():
                    return list(db.session.scalars(select(Order.id)))

            def open_sessions() -> list[str]:
                return [s for s, v in fake.checkout_sessions.items() if v["status"] == "open"]

            def judge(answer: Any) -> None:
                text = answer.get_data(as_text=True)
                assert answer.status_code < 500, (answer.status_code, text[:300])
                assert "Traceback" not in text

            for step in steps:
                if step.startswith("api_"):
                    card = {"api_visa": "pm_card_visa", "api_decline": "pm_card_chargeDeclined"}
                    body: dict[str, Any] = {"product": rng.choice(["coffee-mug", "hoodie"])}
                    if step in card:
                        body["payment_method"] = card[step]
                    judge(client.post("/api/orders", json=body))
                elif step == "checkout":
                    judge(client.post("/checkout/" + rng.choice(["sticker-pack", "hoodie"])))
                elif step in ("pay", "decline") and open_sessions():
                    card = "pm_card_visa" if step == "pay" else "pm_card_chargeDeclined"
                    with contextlib.suppress(CheckoutError):
                        fake.complete_checkout(rng.choice(open_sessions()), card)
                elif step == "expire" and open_sessions():
                    stripe_sdk.checkout.Session.expire(
                        rng.choice(open_sessions()), api_key=TEST_CONFIG["STRIPE_API_KEY"]
                    )
                elif step in ("cancel", "cancel_page", "refund") and order_ids():
                    target = rng.choice(order_ids())
                    if step == "cancel":
                        judge(client.post(f"/orders/{target}/cancel"))
                    elif step == "cancel_page":
                        before = _orders(app)
                        judge(client.get(f"/checkout/cancel?order_id={target}"))
                        assert _orders(app) == before  # opening a page changes nothing
                    else:
                        judge(client.post(f"/api/orders/{target}/refund", json={}))
                elif step == "deliver":
                    fresh = fake.events[delivered:]
                    delivered = len(fake.events)
                    for d in fake.deliver(client, fresh, path="/webhooks/stripe", shuffle=seed):
                        assert d.status == 200, d.body
            # Stripe delivers everything eventually, at least once, in any order.
            fake.deliver(client, fake.events[delivered:], path="/webhooks/stripe", shuffle=seed)
            again = fake.deliver(client, path="/webhooks/stripe", duplicate=True, reverse=True)
            assert all(json.loads(d.body)["duplicate"] is True for d in again)
            with app.app_context():
                stored = db.session.scalars(select(StripeEvent.id)).all()
            assert sorted(stored) == sorted({e["id"] for e in fake.events})
            check_money(app, fake)

    check()


# ---- a cross-site link never changes anything -----------------------------------------------


def test_no_get_changes_state(shop: Shop, client: FlaskClient, auth: AuthActions) -> None:
    """Every GET route, with the victim's own ids (what a link on another site can make the
    victim's browser open): the orders, the login and Stripe stay as they were."""
    auth.login()
    paid = api_order(client)
    checkout_id, _session = checkout_order(client, shop)
    pending = client.post("/api/orders", json={"product": "hoodie"}).get_json()
    ids = [paid["id"], checkout_id, pending["id"]]
    before, calls = _orders(shop.app), shop.stripe_calls()
    for rule in shop.app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        for order_id in ids:
            sample = {"order_id": order_id, "slug": "coffee-mug", "provider": "github"}
            path = rule.build({k: sample[k] for k in rule.arguments})[1]
            answer = client.get(path, query_string={"order_id": order_id, "session_id": "x"})
            assert answer.status_code < 500, (path, answer.status_code)
    assert _orders(shop.app) == before
    assert shop.stripe_calls() == calls
    assert client.get("/api/me").status_code == 200


# ---- a stolen cookie after logout -------------------------------------------------------------


def test_a_cookie_kept_after_logout_opens_nothing(
    github_shop: tuple[Flask, GitHubFake], tally: Tally
) -> None:
    """Log in through the real flow, keep a copy of the cookie, log out: the copy gets the
    logged-out answer on every route, and changes nothing."""
    app, fake = github_shop
    client = app.test_client()
    assert login(client, "/login/github", fake).status_code == 302
    stolen = client.get_cookie("session")
    assert stolen is not None
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen.value)
    before = _orders(app)
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith(("auth.", "webhooks.")):
            continue
        sample = {"order_id": 1, "slug": "coffee-mug", "provider": "github"}
        path = rule.build({k: sample[k] for k in rule.arguments})[1]
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            tally.add("demo: stolen cookie after logout")
            answer = thief.open(path, method=method, json={} if method == "POST" else None)
            if path.startswith("/api/") and rule.endpoint != "api.products":
                assert answer.status_code == 401, (method, path)
            elif rule.endpoint not in ("shop.home", "api.products"):
                assert answer.status_code == 302, (method, path, answer.status_code)
                assert answer.headers["Location"].startswith("/login"), path
    assert _orders(app) == before


# ---- orders while webhooks land -------------------------------------------------------------


def test_orders_while_webhooks_land_are_charged_once_each(
    shop: Shop, client: FlaskClient, auth: AuthActions, tally: Tally
) -> None:
    """Eight customers order at once while every event is delivered as it is emitted, to
    the same served shop: each answer is true (a 201 was charged once, a 503 not at all)."""
    cookies = []
    for n in range(8):
        other = shop.app.test_client()
        AuthActions(shop.app, other).login(provider_user_id=f"buyer-{n}")
        cookie = other.get_cookie("session")
        assert cookie is not None
        cookies.append(cookie.value)
    with served_shop(shop) as url:
        forwarder = shop.stripe.forward_webhooks(url + "/webhooks/stripe")
        try:
            barrier = threading.Barrier(8, timeout=30)
            answers: list[tuple[int, Any]] = []

            def buyer(cookie: str) -> None:
                barrier.wait()
                with requests.Session() as s:
                    for _ in range(4):
                        r = s.post(
                            url + "/api/orders",
                            json={"product": "sticker-pack", "payment_method": "pm_card_visa"},
                            cookies={"session": cookie},
                            timeout=30,
                        )
                        answers.append((r.status_code, r.json()))

            threads = [threading.Thread(target=buyer, args=(c,), daemon=True) for c in cookies]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            assert forwarder.wait(timeout=30)
        finally:
            forwarder.stop()
    tally.add("demo: orders while webhooks land", len(answers))
    assert len(answers) == 32
    assert {status for status, _ in answers} <= {201, 503}, answers
    created = [body for status, body in answers if status == 201]
    charged = [pi for pi in shop.stripe.payment_intents.values() if pi["status"] == "succeeded"]
    assert len(charged) == len(created)
    for _status, body in answers:
        if _status == 503:
            assert body["error"]["code"] == "database_busy"
    check_money(shop.app, shop.stripe)
