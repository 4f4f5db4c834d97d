"""The app factory, its configuration, and the `init-db` / `seed` commands."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests
from sqlalchemy import func, inspect, select

from demo_app import create_app
from demo_app.config import DEV_SECRET_KEY, ConfigError
from demo_app.db import db
from demo_app.models import Membership, Plan, Product
from tests.demo.harness import TEST_CONFIG
from tests.demo.stubs import GitHubStub, oauth_login


def test_testing_flag_and_defaults(monkeypatch, tmp_path):
    for key in ("STRIPE_API_BASE", "GITHUB_AUTHORIZE_URL", "DATABASE_URL", "DEMO_ENV", "FLASK_ENV"):
        monkeypatch.delenv(key, raising=False)
    plain = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"})
    assert not plain.testing
    assert plain.config["STRIPE_API_BASE"] == "https://api.stripe.com"
    assert plain.config["GITHUB_AUTHORIZE_URL"] == "https://github.com/login/oauth/authorize"
    assert plain.config["GOOGLE_DISCOVERY_URL"].startswith("https://accounts.google.com/")
    assert plain.config["STRIPE_MAX_NETWORK_RETRIES"] == 2
    assert create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).testing


def test_environment_variables_configure_the_app(monkeypatch, tmp_path):
    db_file = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("STRIPE_API_BASE", "http://127.0.0.1:9999")
    monkeypatch.setenv("GITHUB_API_BASE_URL", "http://127.0.0.1:9998/")
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "0")
    monkeypatch.setenv("PROVIDER_TIMEOUT", "2.5")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{db_file}"
    assert app.config["STRIPE_API_BASE"] == "http://127.0.0.1:9999"
    assert app.config["GITHUB_API_BASE_URL"] == "http://127.0.0.1:9998/"
    assert app.config["STRIPE_MAX_NETWORK_RETRIES"] == 0
    assert app.config["PROVIDER_TIMEOUT"] == 2.5
    with app.app_context():
        db.create_all()
    assert db_file.exists()


def test_default_database_is_a_file_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("demo_shop.sqlite3")
    assert app.instance_path in app.config["SQLALCHEMY_DATABASE_URI"]


def test_bad_number_in_environment_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("PROVIDER_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="PROVIDER_TIMEOUT"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize("variable", ["DEMO_ENV", "FLASK_ENV"])
def test_production_refuses_the_development_secret_key(monkeypatch, variable):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv(variable, "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_with_a_real_secret_starts_with_secure_cookies(monkeypatch):
    monkeypatch.setenv("DEMO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_session_cookie_is_httponly_and_samesite_lax(client, rsps):
    GitHubStub(rsps)
    response = oauth_login(client, "github")  # the login writes the session cookie
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development and tests speak plain HTTP


def test_each_app_has_its_own_oauth_registry_and_stripe_client(app_factory):
    first, second = app_factory(), app_factory(STRIPE_API_BASE="http://127.0.0.1:1")
    assert first.extensions["demo_oauth"] is not second.extensions["demo_oauth"]
    assert first.extensions["demo_stripe"] is not second.extensions["demo_stripe"]
    with first.app_context():
        google = first.extensions["demo_oauth"].create_client("google")
        google.server_metadata["issuer"] = "cached-in-first"
    with second.app_context():
        other = second.extensions["demo_oauth"].create_client("google")
        assert "issuer" not in other.server_metadata


def test_init_db_creates_tables(app_factory):
    app = app_factory(seed=False)
    with app.app_context():
        db.drop_all()
        assert not inspect(db.engine).get_table_names()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "Initialized the database." in result.output
    with app.app_context():
        assert {"users", "products", "orders", "stripe_events", "plans", "memberships"} <= set(
            inspect(db.engine).get_table_names()
        )


def test_init_db_drop_empties_the_database(app, runner):
    result = runner.invoke(args=["init-db", "--drop"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def _make_old(app):
    """Turn `app`'s database into one made before `users.session_token` existed."""
    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE users DROP COLUMN session_token")


def test_init_db_on_a_database_from_an_older_demo_says_what_to_do(app, runner):
    _make_old(app)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code != 0
    assert "older version of the demo shop (missing users.session_token)" in result.output
    assert "init-db --drop" in result.output
    fixed = runner.invoke(args=["init-db", "--drop"])
    assert fixed.exit_code == 0, fixed.output


def test_python_dash_m_on_a_database_from_an_older_demo_stops_with_a_message(
    app_factory, monkeypatch
):
    from demo_app.__main__ import main

    app = app_factory()
    _make_old(app)
    served = []
    monkeypatch.setattr("flask.Flask.run", lambda *args, **kwargs: served.append(True))
    with pytest.raises(SystemExit, match=r"missing users\.session_token.*init-db --drop"):
        main({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    assert served == []


def test_seed_adds_sample_products_once(app_factory):
    app = app_factory(seed=False)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "Seeded 3 product(s)." in first.output
    second = runner.invoke(args=["seed"])
    assert "Seeded 0 product(s)." in second.output
    with app.app_context():
        slugs = set(db.session.scalars(select(Product.slug)))
    assert slugs == {"sticker-pack", "coffee-mug", "hoodie"}
    assert "Seeded 1 membership plan(s)." in first.output
    assert "Seeded 0 membership plan(s)." in second.output
    with app.app_context():
        assert list(db.session.scalars(select(Plan.slug))) == ["monthly"]


def test_init_db_adds_the_membership_tables_to_a_database_from_before_them(app, runner):
    with app.app_context():
        Membership.__table__.drop(db.engine)
        Plan.__table__.drop(db.engine)
        products = db.session.scalar(select(func.count()).select_from(Product))
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "seed" not in result.output
    with app.app_context():
        assert {"plans", "memberships"} <= set(inspect(db.engine).get_table_names())
        assert db.session.scalar(select(func.count()).select_from(Product)) == products
    assert "Seeded 1 membership plan(s)." in runner.invoke(args=["seed"]).output


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_python_dash_m_demo_app_serves_the_home_page(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'served.sqlite3'}",
    }
    env.pop("FLASK_ENV", None)
    env.pop("DEMO_ENV", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "demo_app"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # Generous limits: on a loaded machine the interpreter, the fakes and the shop start
        # slowly; only a server that never answers fails.
        deadline = time.monotonic() + 90
        while True:
            try:
                # Connect fast, but give the first page time: on a loaded 2-core machine
                # it takes close to 2 s (imports, templates, the first query).
                response = requests.get(f"http://127.0.0.1:{port}/", timeout=(2, 30))
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow to answer
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "the server did not start in 90 s"
                time.sleep(0.1)
        assert response.status_code == 200
        assert 'data-testid="buy-hoodie"' in response.text  # created and seeded on start
        assert requests.get(f"http://127.0.0.1:{port}/api/me", timeout=10).status_code == 401
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
        server.stderr.close()


def test_bad_port_or_config_stops_python_dash_m_with_a_message(monkeypatch):
    from demo_app.__main__ import main

    monkeypatch.setenv("PORT", "http")
    with pytest.raises(SystemExit, match=r"PORT must be a port number .* 'http'"):
        main()
    monkeypatch.setenv("PORT", "0")
    monkeypatch.setenv("STRIPE_MAX_NETWORK_RETRIES", "many")
    with pytest.raises(SystemExit, match="Configuration error: STRIPE_MAX_NETWORK_RETRIES"):
        main()
