"""Fixtures for the demo shop's tests, in the shape Flask's tutorial teaches.

Default mode, **a fresh database per test**: `app` builds a new app on its own SQLite file
(created and seeded with the sample products), `client` and `runner` drive it, `auth` logs a
user in. `app_factory(**config)` builds more apps with overrides (e.g. CSRF on, or provider
URLs pointed at a fake).

Fast mode, **one database per session** (per xdist worker): `db_savepoint_app` shares one app
and one database; each test runs inside an outer transaction on one connection, the app's
session joins it through SAVEPOINTs (`join_transaction_mode="create_savepoint"`), and the
outer transaction is rolled back at the end, so even the app's own commits vanish.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.globals import app_ctx
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from demo_app import create_app
from demo_app.cli import seed_products
from demo_app.db import db
from demo_app.models import User
from mockkit.transport import block_network

# The reliability tests' example counts, printed at the end of every run: under xdist the
# controller loads only this conftest, so their hooks are registered here.
pytest_plugins = ["tests.reliability.summary"]


@pytest.fixture(scope="session", autouse=True)
def _offline_session() -> Iterator[None]:
    """The whole suite runs offline: connections, datagrams and DNS beyond loopback fail at once.

    Session-wide, so fixtures of every scope are covered too. Tests that start a subprocess
    (serve, the offline demo) or a browser run those in processes of their own.
    """
    with block_network():
        yield


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


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Flask]]:
    """Build demo shop apps, each on its own fresh, seeded SQLite file: `app_factory(**config)`."""
    # The developer's shell must not leak into tests (a production flag, a real key).
    monkeypatch.delenv("FLASK_ENV", raising=False)
    made: list[Flask] = []
    counter = itertools.count()

    def make(seed: bool = True, **overrides: Any) -> Flask:
        config = dict(TEST_CONFIG)
        config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{tmp_path / f'shop-{next(counter)}.sqlite3'}"
        )
        config.update(overrides)
        app = create_app(config)
        with app.app_context():
            db.create_all()
            if seed:
                seed_products()
        made.append(app)
        return app

    yield make
    for app in made:
        _dispose(app)


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    """A fresh demo shop on a fresh database (the default mode), seeded with sample products."""
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for `app`."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for `app`'s commands."""
    return app.test_cli_runner()


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


@pytest.fixture
def auth(app: Flask, client: FlaskClient) -> AuthActions:
    """Log users in and out of `client` (see `AuthActions`)."""
    return AuthActions(app, client)


# --- fast mode: one database per session, one SAVEPOINT per test -------------------------


@pytest.fixture(scope="session")
def savepoint_base_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The one app and database the savepoint mode shares (per xdist worker)."""
    path = tmp_path_factory.mktemp("savepoint-db") / "shop.sqlite3"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        seed_products()
    yield app
    _dispose(app)


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


@pytest.fixture
def db_savepoint_app(savepoint_base_app: Flask) -> Iterator[Flask]:
    """Fast mode: the session-wide app, with everything this test writes rolled back after it."""
    with savepoint_scope(savepoint_base_app):
        yield savepoint_base_app


@pytest.fixture
def savepoint_client(db_savepoint_app: Flask) -> FlaskClient:
    """A test client for the fast-mode app."""
    return db_savepoint_app.test_client()


@pytest.fixture
def savepoint_auth(db_savepoint_app: Flask, savepoint_client: FlaskClient) -> AuthActions:
    """`auth` for the fast-mode app and client."""
    return AuthActions(db_savepoint_app, savepoint_client)
