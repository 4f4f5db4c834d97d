"""A busy SQLite database is a retry, then a 503 to try again: never a 500, nothing half-done."""

from __future__ import annotations

import sqlite3

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import demo_app.webhooks as webhooks
from demo_app.db import db
from demo_app.models import StripeEvent
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
