"""The demo shop's test harness as plain code: its test configuration, logging users in, and
running a block inside a transaction that is rolled back.

`tests/demo/conftest.py` builds the fixtures on it; tests import it directly when they build
their own apps (`TEST_CONFIG`) or log users in on their own clients (`AuthActions`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.globals import app_ctx
from flask.testing import FlaskClient
from sqlalchemy import select

from demo_app.db import db
from demo_app.models import User

__all__ = ["TEST_CONFIG", "AuthActions", "dispose", "savepoint_scope"]

#: Configuration every test app starts from: fake credentials, no retries (so a provider
#: failure costs no sleeps), CSRF off (the CSRF tests switch it back on).
TEST_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "DEMO_ENV": "test",
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "GITHUB_CLIENT_ID": "github-client-id",
    "GITHUB_CLIENT_SECRET": "github-client-secret",
    "GOOGLE_CLIENT_ID": "google-client-id.apps.googleusercontent.com",
    "GOOGLE_CLIENT_SECRET": "google-client-secret",
    "STRIPE_API_KEY": "sk_test_demo_shop",
    "STRIPE_WEBHOOK_SECRET": "whsec_demo_shop_test",
    "STRIPE_MAX_NETWORK_RETRIES": 0,
    "PROVIDER_TIMEOUT": 5.0,
}


def dispose(app: Flask) -> None:
    """Close the app's sessions and pooled connections (before its database file goes)."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class AuthActions:
    """Log a user in or out quickly, by writing the session the way a real login does."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self._app = app
        self._client = client

    def create_user(
        self,
        provider: str = "github",
        provider_user_id: str = "1001",
        email: str | None = "ada@example.com",
        name: str | None = "Ada Lovelace",
    ) -> int:
        """Make sure the user exists; return its id."""
        with self._app.app_context():
            user = db.session.scalar(
                select(User).filter_by(provider=provider, provider_user_id=provider_user_id)
            )
            if user is None:
                user = User(
                    provider=provider, provider_user_id=provider_user_id, email=email, name=name
                )
                db.session.add(user)
                db.session.commit()
            return int(user.id)

    def login(self, **user: Any) -> int:
        """Log `client` in as the user (created if needed); return the user's id."""
        user_id = self.create_user(**user)
        with self._app.app_context():
            stored = db.session.get(User, user_id)
            assert stored is not None
            token = stored.session_token
        with self._client.session_transaction() as session:
            session.clear()
            session["user_id"] = user_id
            session["session_token"] = token
        return user_id

    def logout(self) -> Any:
        """Log out through the real `POST /logout`."""
        return self._client.post("/logout")


@contextlib.contextmanager
def savepoint_scope(app: Flask) -> Iterator[None]:
    """Run the block inside one outer transaction that is rolled back, whatever the app commits.

    The app's session is bound to a single connection with
    `join_transaction_mode="create_savepoint"`: its commits release SAVEPOINTs inside our
    transaction instead of committing, and its rollbacks roll back to the SAVEPOINT.
    """
    with app.app_context():
        engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
    original = db.session
    # A plain SQLAlchemy session, one per app context like Flask-SQLAlchemy's: its own
    # session class picks an engine per table and would ignore the connection bound here.
    factory = sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    sessions: list[sa.orm.Session] = []

    def new_session() -> sa.orm.Session:
        session = factory()
        sessions.append(session)
        return session

    db.session = sa.orm.scoped_session(
        new_session, scopefunc=lambda: id(app_ctx._get_current_object())
    )
    try:
        yield
    finally:
        for session in sessions:
            session.close()
        db.session = original
        outer.rollback()
        connection.close()
