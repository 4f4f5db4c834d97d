"""A busy SQLite database is a retry, then a 503 to try again: never a 500, nothing half-done,
and never a 503 once a card may have been charged."""

from __future__ import annotations

import sqlite3

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import demo_app.webhooks as webhooks
from demo_app.db import db
from demo_app.models import Order, StripeEvent, User
from demo_app.offline import OfflineDemo
from mockkit.stripe import StripeFake
from tests.demo.harness import TEST_CONFIG, AuthActions
from tests.demo.stubs import make_event, signed_webhook


def locked() -> OperationalError:
    return OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))


def events_stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StripeEvent))


def test_a_webhook_retries_a_locked_database_then_applies_once(app, client, monkeypatch):
    real = webhooks._apply_event
    calls = []

    def flaky(*args):
        calls.append(args)
        if len(calls) < 3:
            raise locked()
        return real(*args)

    monkeypatch.setattr(webhooks, "_apply_event", flaky)
    event = make_event("customer.created", {"id": "cus_1", "object": "customer"})
    reply = signed_webhook(client, event)
    assert reply.status_code == 200
    assert reply.get_json()["duplicate"] is False
    assert len(calls) == 3
    assert events_stored(app) == 1


def test_a_database_locked_for_good_is_a_503_with_retry_after(app, client, monkeypatch):
    def always_locked(*args):
        raise locked()

    monkeypatch.setattr(webhooks, "_apply_event", always_locked)
    reply = signed_webhook(client, make_event("customer.created", {"id": "cus_2"}))
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "1"
    assert reply.get_json()["error"]["code"] == "database_busy"
    assert events_stored(app) == 0


def test_another_database_error_is_a_plain_500_message_without_details(app, client, monkeypatch):
    def broken(*args):
        cause = sqlite3.OperationalError("no such table")
        raise OperationalError("SELECT secret_column", {}, cause)

    monkeypatch.setattr(webhooks, "_apply_event", broken)
    reply = signed_webhook(client, make_event("customer.created", {"id": "cus_3"}))
    assert reply.status_code == 500
    assert reply.get_json()["error"]["code"] == "internal_error"
    assert "secret_column" not in reply.get_data(as_text=True)


# ---- orders: a busy database never hides a charge ------------------------------------------
#
# `POST /api/orders` answers 503 `database_busy` only while nothing has been sent to Stripe.
# Once Stripe has answered, the client is told what Stripe did, whatever the database says.

#: The shop's SQLite driver waits this long for a lock before calling the database busy
#: (the default is 5 s; short here so that a held lock makes every retry fail quickly).
SHORT_WAIT = {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 0.05}}}


class WriteLock:
    """Another process's write transaction on the shop's SQLite file, held until `release`."""

    def __init__(self, app) -> None:
        self.path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        self.connection: sqlite3.Connection | None = None

    def take(self) -> None:
        self.connection = sqlite3.connect(self.path, isolation_level=None, timeout=5)
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.connection is not None:
            self.connection.execute("ROLLBACK")
            self.connection.close()
            self.connection = None


@pytest.fixture
def stripe_fake():
    with StripeFake(webhook_secret=TEST_CONFIG["STRIPE_WEBHOOK_SECRET"]) as fake:
        yield fake


@pytest.fixture
def busy_shop(app_factory):
    return app_factory(**SHORT_WAIT)


def orders_of(app):
    with app.app_context():
        return [
            (o.id, o.status, o.payment_intent_id)
            for o in db.session.scalars(select(Order).order_by(Order.id))
        ]


def charged(fake):
    return [pi for pi in fake.payment_intents.values() if pi["status"] == "succeeded"]


def test_a_busy_database_before_the_charge_is_a_503_and_nothing_happened(busy_shop, stripe_fake):
    client = busy_shop.test_client()
    AuthActions(busy_shop, client).login()
    lock = WriteLock(busy_shop)
    lock.take()
    try:
        answer = client.post(
            "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
        )
    finally:
        lock.release()
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "1"
    assert answer.get_json()["error"]["code"] == "database_busy"
    # The 503 is the truth: nothing written, nothing charged, so trying again is safe.
    assert orders_of(busy_shop) == []
    assert len(stripe_fake.payment_intents) == 0
    again = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    )
    assert (again.status_code, again.get_json()["status"]) == (201, "paid")
    assert len(charged(stripe_fake)) == 1


def test_a_busy_database_after_the_charge_still_answers_what_stripe_did(
    busy_shop, stripe_fake, monkeypatch
):
    """The write lock is taken the moment Stripe has charged the card (as the webhook
    forwarder's write does on the offline demo): the client must hear "paid", not "busy"."""
    client = busy_shop.test_client()
    AuthActions(busy_shop, client).login()
    lock = WriteLock(busy_shop)
    intents = busy_shop.extensions["demo_stripe"].v1.payment_intents
    create = intents.create

    def create_then_lock(*args, **kwargs):
        intent = create(*args, **kwargs)
        lock.take()
        return intent

    monkeypatch.setattr(intents, "create", create_then_lock)
    headers = {"Idempotency-Key": "checkout-button-1"}
    body = {"product": "coffee-mug", "payment_method": "pm_card_visa"}
    try:
        answer = client.post("/api/orders", json=body, headers=headers)
    finally:
        lock.release()
    assert answer.status_code == 201, answer.get_data(as_text=True)
    order = answer.get_json()
    assert order["status"] == "paid" and order["recorded"] is False
    [intent] = charged(stripe_fake)
    assert order["payment_intent"] == intent["id"] and intent["amount"] == 1500
    # The order row exists (written before the charge) and is still pending...
    assert orders_of(busy_shop) == [(order["id"], "pending", None)]
    # ...until the webhook, which finds it by its metadata, records the payment.
    deliveries = stripe_fake.deliver(client, path="/webhooks/stripe")
    assert {d.status for d in deliveries} == {200}
    assert orders_of(busy_shop) == [(order["id"], "paid", intent["id"])]
    # A client that retries with its Idempotency-Key gets the same order, never a new charge.
    monkeypatch.setattr(intents, "create", create)
    again = client.post("/api/orders", json=body, headers=headers)
    assert (again.status_code, again.get_json()["id"]) == (200, order["id"])
    assert len(charged(stripe_fake)) == 1


def test_an_unrecorded_outcome_is_recorded_by_a_retry_with_the_same_key(
    busy_shop, stripe_fake, monkeypatch
):
    """No webhook came: the retry replays Stripe's answer under the order's stored key."""
    client = busy_shop.test_client()
    AuthActions(busy_shop, client).login()
    lock = WriteLock(busy_shop)
    intents = busy_shop.extensions["demo_stripe"].v1.payment_intents
    create = intents.create

    def create_then_lock(*args, **kwargs):
        intent = create(*args, **kwargs)
        lock.take()
        return intent

    monkeypatch.setattr(intents, "create", create_then_lock)
    headers = {"Idempotency-Key": "attempt-7"}
    body = {"product": "hoodie", "payment_method": "pm_card_visa"}
    try:
        first = client.post("/api/orders", json=body, headers=headers).get_json()
    finally:
        lock.release()
    monkeypatch.setattr(intents, "create", create)
    second = client.post("/api/orders", json=body, headers=headers)
    assert second.status_code == 201
    assert second.get_json()["id"] == first["id"] and "recorded" not in second.get_json()
    assert orders_of(busy_shop) == [(first["id"], "paid", first["payment_intent"])]
    assert len(charged(stripe_fake)) == 1


def test_a_busy_database_after_a_provider_call_is_never_called_database_busy(
    app, client, auth, stripe_fake, monkeypatch
):
    """The backstop: should a busy error escape after Stripe was called, the answer does
    not claim that nothing happened."""
    import demo_app.billing as billing

    def stuck(*args, **kwargs):
        raise locked()

    monkeypatch.setattr(billing, "record", stuck)
    auth.login()
    answer = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    )
    assert answer.status_code == 500
    error = answer.get_json()["error"]
    assert error["code"] == "outcome_not_recorded"
    assert "Check your orders before trying again" in error["message"]
    assert "Retry-After" not in answer.headers
    assert len(charged(stripe_fake)) == 1


@pytest.mark.slow
def test_orders_one_after_another_on_the_offline_demo_charge_once_each():
    """The offline demo as a newcomer runs it: orders placed back to back while the Stripe
    fake forwards each payment's webhooks to the shop. A client that retries every 503
    (without an Idempotency-Key) must be charged exactly once per thing it bought."""
    with OfflineDemo(port=0, quiet=True) as demo:
        app = demo.app
        assert app is not None and demo.fakes is not None
        with app.app_context():
            user = User(provider="github", provider_user_id="busy-buyer", name="Busy")
            db.session.add(user)
            db.session.commit()
            session = {"user_id": user.id, "session_token": user.session_token}
        cookie = app.session_interface.get_signing_serializer(app).dumps(session)
        answers: list[int] = []
        with requests.Session() as browser:
            browser.cookies.set("session", cookie)
            for _ in range(40):
                for _attempt in range(10):
                    r = browser.post(
                        demo.url + "/api/orders",
                        json={"product": "sticker-pack", "payment_method": "pm_card_visa"},
                        timeout=30,
                    )
                    answers.append(r.status_code)
                    if r.status_code != 503:
                        break
                assert r.status_code == 201, r.text
        assert demo.wait_for_webhooks()
        fake = demo.fakes.stripe
        assert len(charged(fake)) == 40, answers
        assert sum(pi["amount"] for pi in charged(fake)) == 40 * 500
        with app.app_context():
            statuses = [o.status for o in db.session.scalars(select(Order))]
        assert statuses == ["paid"] * 40
