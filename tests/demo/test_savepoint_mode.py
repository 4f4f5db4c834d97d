"""The fast mode: one database per session, each test rolled back to where it started."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from demo_app.db import db
from demo_app.models import Order, Product, User
from tests.demo.harness import savepoint_scope
from tests.demo.stubs import StripeStub


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("run", [1, 2, 3])
def test_no_test_sees_another_tests_rows(db_savepoint_app, run):
    # Each run writes the same unique slug and commits; if any earlier run's row had
    # survived, the insert would fail and the count would be above one.
    with db_savepoint_app.app_context():
        assert db.session.scalar(select(Product).filter_by(slug="isolation-probe")) is None
        db.session.add(Product(slug="isolation-probe", name=f"run {run}", amount=100))
        db.session.commit()
        assert count(Product) == 4  # the three seeded products and this one


def test_the_apps_own_commits_are_rolled_back(savepoint_base_app):
    """Proof in one test: a real request commits inside the scope, and it is gone after."""
    with savepoint_scope(savepoint_base_app):
        client = savepoint_base_app.test_client()
        with savepoint_base_app.app_context():
            user = User(provider="github", provider_user_id="sp-1", email="sp@example.com")
            db.session.add(user)
            db.session.commit()
            user_id, token = user.id, user.session_token
        with client.session_transaction() as session:
            session["user_id"] = user_id
            session["session_token"] = token
        assert client.get("/api/me").get_json()["email"] == "sp@example.com"
        response = client.post("/checkout/no-such-product")
        assert response.status_code == 404
        with savepoint_base_app.app_context():
            assert count(User) == 1
    with savepoint_scope(savepoint_base_app), savepoint_base_app.app_context():
        assert count(User) == 0
        assert count(Product) == 3  # the session-wide seed data stays


def test_a_declined_payment_is_recorded_inside_the_test_transaction(
    db_savepoint_app, savepoint_client, savepoint_auth, rsps
):
    StripeStub(rsps, outcome="decline")
    client = savepoint_client
    savepoint_auth.login()
    response = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_chargeDeclined"}
    )
    assert response.status_code == 402
    with db_savepoint_app.app_context():
        [order] = db.session.scalars(select(Order)).all()
        assert order.status == "failed"


def test_savepoint_client_and_auth_fixtures(savepoint_client, savepoint_auth):
    savepoint_auth.login(email="fast@example.com")
    assert savepoint_client.get("/api/me").get_json()["email"] == "fast@example.com"
