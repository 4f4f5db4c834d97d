"""Who counts as logged in, and with which email: revocable sessions, verified addresses only.

The session cookie is signed, not encrypted or stored: on its own, a copy of it keeps working
after logout. The shop keeps a random session token per user, puts it in the cookie at login,
checks it on every request and replaces it at logout, so every copy of the cookie stops
working at once.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from demo_app.db import db
from demo_app.models import User
from tests.demo.stubs import GitHubStub, GoogleStub, StripeStub, oauth_login


def test_a_cookie_replayed_after_logout_no_longer_works(app, client, rsps):
    GitHubStub(rsps)
    assert oauth_login(client, "github").status_code == 302
    stolen = client.get_cookie("session")
    assert stolen is not None
    assert client.get("/api/me").status_code == 200
    assert client.post("/logout").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", stolen.value)
    assert replay.get("/api/me").status_code == 401
    page = replay.get("/orders")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_a_replayed_cookie_changes_nothing(app, client, rsps):
    stripe = StripeStub(rsps)
    GitHubStub(rsps)
    oauth_login(client, "github")
    stolen = client.get_cookie("session")
    assert stolen is not None
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("session", stolen.value)
    response = replay.post("/api/orders", json={"product": "coffee-mug"})
    assert response.status_code == 401
    assert stripe.calls == []


def test_logging_in_again_after_logout_works_and_the_old_cookie_stays_dead(app, client, rsps):
    GitHubStub(rsps)
    oauth_login(client, "github")
    old = client.get_cookie("session")
    assert old is not None
    client.post("/logout")
    oauth_login(client, "github")
    assert client.get("/api/me").status_code == 200
    replay = app.test_client()
    replay.set_cookie("session", old.value)
    assert replay.get("/api/me").status_code == 401


def test_logout_ends_every_copy_of_the_session(app, client, rsps):
    """Two browsers with the same login (a copied cookie): logging out of one ends both."""
    GitHubStub(rsps)
    oauth_login(client, "github")
    cookie = client.get_cookie("session")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie("session", cookie.value)
    assert other.get("/api/me").status_code == 200
    client.post("/logout")
    assert other.get("/api/me").status_code == 401


def test_a_cookie_naming_a_user_id_without_its_token_is_refused(app, client, auth):
    """E.g. a cookie from before `init-db --drop`: its user id may now be somebody else."""
    auth.login()
    with client.session_transaction() as session:
        session.pop("session_token")
    assert client.get("/api/me").status_code == 401
    with client.session_transaction() as session:
        assert "user_id" not in session  # the stale login is forgotten


def test_a_cookie_with_another_users_token_is_refused(app, client, auth):
    auth.login(provider_user_id="mallory")
    with client.session_transaction() as session:
        mallory_token = session["session_token"]
    victim_id = auth.create_user(provider_user_id="victim")
    with client.session_transaction() as session:
        session["user_id"] = victim_id
        session["session_token"] = mallory_token
    assert client.get("/api/me").status_code == 401


# ---- verified email addresses only ---------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "stored"),
    [
        (True, True),
        ("true", True),  # how Google's tokeninfo endpoint spells it
        (False, False),
        ("false", False),  # a non-empty string: truthy in Python, and not a yes
        ("False", False),
        ("TRUE", False),
        ("yes", False),
        (1, False),
        (None, False),
        ([True], False),
    ],
    ids=repr,
)
def test_google_email_counts_only_when_verified_is_true(app, client, rsps, claim, stored):
    google = GoogleStub(rsps, claims={"email_verified": claim})
    assert oauth_login(client, "google", google=google).status_code == 302
    assert client.get("/api/me").get_json()["email"] == ("grace@example.com" if stored else None)


@pytest.mark.parametrize("verified", ["false", "true", 1, "yes"], ids=repr)
def test_github_email_counts_only_when_verified_is_the_boolean_true(app, client, rsps, verified):
    """GitHub's `/user/emails` sends JSON booleans; anything else is not a verified address."""
    GitHubStub(
        rsps,
        user={"id": 77, "login": "quiet", "name": "Quiet", "email": None},
        emails=[{"email": "quiet@example.com", "primary": True, "verified": verified}],
    )
    oauth_login(client, "github")
    assert client.get("/api/me").get_json()["email"] is None
    with app.app_context():
        assert db.session.scalar(select(User.email)) is None
