"""The demo shop's fixtures, in the shape Flask's tutorial teaches.

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

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from demo_app import create_app
from demo_app.cli import seed_products
from demo_app.db import db
from tests.demo.harness import TEST_CONFIG, AuthActions, dispose, savepoint_scope


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
        dispose(app)


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


@pytest.fixture
def auth(app: Flask, client: FlaskClient) -> AuthActions:
    """Log users in and out of `client` (see `AuthActions`)."""
    return AuthActions(app, client)


# The fast mode: one database per session, one SAVEPOINT per test.


@pytest.fixture(scope="session")
def savepoint_base_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The one app and database the savepoint mode shares (per xdist worker)."""
    path = tmp_path_factory.mktemp("savepoint-db") / "shop.sqlite3"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        seed_products()
    yield app
    dispose(app)


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


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """A `responses` mock for the test; a request no stub matches fails with ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
