"""Login with GitHub and Google through the real authlib client, against `responses` stubs."""

from __future__ import annotations

import pytest
import requests
import responses
from sqlalchemy import func, select

from demo_app.db import db
from demo_app.models import User
from tests.demo.stubs import (
    GITHUB_API,
    GITHUB_TOKEN_URL,
    GOOGLE_DISCOVERY_URL,
    GOOGLE_TOKEN_URL,
    GitHubStub,
    GoogleStub,
    oauth_login,
    query,
)


def users(app):
    with app.app_context():
        return db.session.scalars(select(User)).all()


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


# --- GitHub -------------------------------------------------------------------------------


def test_github_login_redirects_to_the_configured_authorize_url(client):
    response = client.get("/login/github")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("https://github.com/login/oauth/authorize?")
    params = query(location)
    assert params["client_id"] == "github-client-id"
    assert params["scope"] == "read:user user:email"
    assert params["redirect_uri"] == "http://localhost/auth/github/callback"
    assert params["state"]


def test_github_login_creates_the_user_and_logs_in(app, client, rsps):
    GitHubStub(rsps)
    response = oauth_login(client, "github")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    me = client.get("/api/me").get_json()
    assert me["provider"] == "github"
    assert me["email"] == "octo@example.com"
    assert me["name"] == "Octo Cat"
    [user] = users(app)
    assert user.provider_user_id == "4242"


def test_github_private_email_comes_from_user_emails(app, client, rsps):
    stub = GitHubStub(
        rsps,
        user={"id": 7, "login": "shy", "name": None, "email": None},
        emails=[
            {"email": "old@example.com", "primary": False, "verified": True},
            {"email": "shy@example.com", "primary": True, "verified": True},
        ],
    )
    oauth_login(client, "github")
    assert stub.emails_call.call_count == 1
    me = client.get("/api/me").get_json()
    assert me["email"] == "shy@example.com"
    assert me["name"] == "shy"  # falls back to the login when the name is empty


def test_github_public_email_skips_user_emails(client, rsps):
    stub = GitHubStub(rsps)
    oauth_login(client, "github")
    assert stub.emails_call.call_count == 0


def test_github_unverified_primary_email_is_not_trusted(client, rsps):
    GitHubStub(
        rsps,
        user={"id": 8, "login": "new", "name": "New", "email": None},
        emails=[{"email": "new@example.com", "primary": True, "verified": False}],
    )
    oauth_login(client, "github")
    assert client.get("/api/me").get_json()["email"] is None


def test_github_without_the_email_scope_logs_in_without_email(client, rsps):
    GitHubStub(rsps, user={"id": 9, "login": "noscope", "name": "No Scope", "email": None})
    rsps.replace(
        responses.GET, f"{GITHUB_API}/user/emails", json={"message": "Not Found"}, status=404
    )
    assert oauth_login(client, "github").status_code == 302
    me = client.get("/api/me").get_json()
    assert (me["name"], me["email"]) == ("No Scope", None)


def test_second_login_updates_the_same_user(app, client, rsps):
    GitHubStub(rsps)
    oauth_login(client, "github")
    client.post("/logout")
    rsps.replace(
        responses.GET,
        f"{GITHUB_API}/user",
        json={"id": 4242, "login": "octo", "name": "Renamed", "email": "octo@example.com"},
    )
    oauth_login(client, "github")
    [user] = users(app)
    assert user.name == "Renamed"


def test_github_token_request_carries_the_code_and_redirect_uri(client, rsps):
    GitHubStub(rsps)
    oauth_login(client, "github")
    token_call = next(c for c in rsps.calls if c.request.url == GITHUB_TOKEN_URL)
    body = token_call.request.body
    body = body.decode() if isinstance(body, bytes) else body
    assert "code=test-code" in body
    assert "redirect_uri=http%3A%2F%2Flocalhost%2Fauth%2Fgithub%2Fcallback" in body
    assert token_call.request.headers["Accept"] == "application/json"


# --- Google ------------------------------------------------------------------------------


def test_google_login_uses_discovery_nonce_and_pkce(client, rsps):
    GoogleStub(rsps)
    response = client.get("/login/google")
    assert response.status_code == 302
    params = query(response.headers["Location"])
    assert response.headers["Location"].startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert params["scope"] == "openid email profile"
    assert params["nonce"]
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43


def test_google_login_verifies_the_id_token_and_logs_in(app, client, rsps):
    google = GoogleStub(rsps)
    response = oauth_login(client, "google", google=google)
    assert response.status_code == 302
    me = client.get("/api/me").get_json()
    assert me == {
        "id": me["id"],
        "provider": "google",
        "email": "grace@example.com",
        "name": "Grace Hopper",
    }
    [sent] = google.token_requests
    assert sent["grant_type"] == "authorization_code"
    assert len(sent["code_verifier"]) >= 43  # PKCE verifier went with the code


def test_google_wrong_nonce_is_rejected_without_creating_a_user(app, client, rsps):
    google = GoogleStub(rsps, claims={"nonce": "not-the-one-we-sent"})
    response = oauth_login(client, "google")
    assert response.status_code == 502
    assert b"could not be verified" in response.data
    assert user_count(app) == 0
    assert client.get("/api/me").status_code == 401
    del google


def test_google_wrong_issuer_is_rejected(app, client, rsps):
    google = GoogleStub(rsps, claims={"iss": "accounts.google.com"})
    response = oauth_login(client, "google", google=google)
    assert response.status_code == 502
    assert user_count(app) == 0


def test_google_expired_id_token_is_rejected(app, client, rsps):
    google = GoogleStub(rsps, claims={"exp": 1_000_000, "iat": 999_000})
    response = oauth_login(client, "google", google=google)
    assert response.status_code == 502
    assert user_count(app) == 0


def test_google_token_without_an_id_token_is_a_502(app, client, rsps):
    google = GoogleStub(rsps)
    rsps.replace(
        responses.POST,
        GOOGLE_TOKEN_URL,
        json={"access_token": "ya29.x", "token_type": "Bearer", "expires_in": 3599},
    )
    response = oauth_login(client, "google", google=google)
    assert response.status_code == 502
    assert user_count(app) == 0


def test_google_unverified_email_is_not_stored(client, rsps):
    google = GoogleStub(rsps, claims={"email_verified": False})
    oauth_login(client, "google", google=google)
    assert client.get("/api/me").get_json()["email"] is None


def test_google_discovery_outage_gives_a_friendly_503(client, rsps):
    GoogleStub(rsps, discovery_status=503)
    response = client.get("/login/google")
    assert response.status_code == 503
    assert b'data-code="login_provider_unavailable"' in response.data
    assert b"Traceback" not in response.data


def test_google_discovery_timeout_gives_504(client, rsps):
    rsps.add(responses.GET, GOOGLE_DISCOVERY_URL, body=requests.exceptions.ReadTimeout("slow"))
    response = client.get("/login/google")
    assert response.status_code == 504
    assert b"did not answer in time" in response.data


def test_google_token_endpoint_error_is_a_502_page(app, client, rsps):
    google = GoogleStub(rsps)
    rsps.replace(responses.POST, GOOGLE_TOKEN_URL, json={"error": "invalid_grant"}, status=400)
    response = oauth_login(client, "google", google=google)
    assert response.status_code == 502
    assert user_count(app) == 0


# --- failures --------------------------------------------------------------------------


def test_user_cancelling_at_the_provider_flashes_and_goes_home(app, client, rsps):
    response = oauth_login(
        client,
        "github",
        callback_args={"error": "access_denied", "error_description": "The user denied"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert b"Login was cancelled." in client.get("/").data
    assert user_count(app) == 0


def test_mismatching_state_is_a_400_page(app, client, rsps):
    GitHubStub(rsps)
    client.get("/login/github")
    response = client.get("/auth/github/callback?code=abc&state=forged")
    assert response.status_code == 400
    assert b'data-code="login_state_mismatch"' in response.data
    assert user_count(app) == 0
    assert not any(c.request.url == GITHUB_TOKEN_URL for c in rsps.calls)


def test_github_bad_verification_code_at_http_200_is_a_502(app, client, rsps):
    GitHubStub(
        rsps,
        token_response={
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        },
    )
    response = oauth_login(client, "github")
    assert response.status_code == 502
    assert b"bad_verification_code" in response.data
    assert user_count(app) == 0


def test_github_form_encoded_token_answer_is_a_502(app, client, rsps):
    rsps.add(responses.POST, GITHUB_TOKEN_URL, body="access_token=gho_x&token_type=bearer")
    response = oauth_login(client, "github")
    assert response.status_code == 502
    assert user_count(app) == 0


def test_github_token_endpoint_500_is_a_503(app, client, rsps):
    rsps.add(responses.POST, GITHUB_TOKEN_URL, body="<html>oops</html>", status=500)
    response = oauth_login(client, "github")
    assert response.status_code == 503
    assert user_count(app) == 0


def test_github_token_timeout_is_a_504(app, client, rsps):
    rsps.add(responses.POST, GITHUB_TOKEN_URL, body=requests.exceptions.ReadTimeout("slow"))
    response = oauth_login(client, "github")
    assert response.status_code == 504
    assert user_count(app) == 0


def test_github_api_connection_error_is_a_503(app, client, rsps):
    rsps.add(
        responses.POST, GITHUB_TOKEN_URL, json={"access_token": "gho_x", "token_type": "bearer"}
    )
    rsps.add(
        responses.GET, f"{GITHUB_API}/user", body=requests.exceptions.ConnectionError("refused")
    )
    response = oauth_login(client, "github")
    assert response.status_code == 503
    assert user_count(app) == 0


def test_github_bad_credentials_on_user_is_a_502(app, client, rsps):
    rsps.add(
        responses.POST, GITHUB_TOKEN_URL, json={"access_token": "gho_x", "token_type": "bearer"}
    )
    rsps.add(responses.GET, f"{GITHUB_API}/user", json={"message": "Bad credentials"}, status=401)
    response = oauth_login(client, "github")
    assert response.status_code == 502
    assert user_count(app) == 0


def test_unknown_provider_is_404(client):
    assert client.get("/login/myspace").status_code == 404
    assert client.get("/auth/myspace/callback").status_code == 404


def test_unconfigured_provider_is_a_clear_503(app_factory):
    client = app_factory(GITHUB_CLIENT_ID=None).test_client()
    response = client.get("/login/github")
    assert response.status_code == 503
    assert b"not configured" in response.data


# --- session safety ----------------------------------------------------------------------


def test_login_starts_a_fresh_session(client, rsps):
    GitHubStub(rsps)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    oauth_login(client, "github")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert isinstance(session["user_id"], int)
        assert not [k for k in session if k.startswith("_state_")]


def test_next_redirects_to_a_same_site_path(client, rsps):
    GitHubStub(rsps)
    response = oauth_login(client, "github", next="/orders")
    assert response.headers["Location"] == "/orders"


def test_next_to_another_site_is_ignored(client, rsps):
    GitHubStub(rsps)
    for target in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        client.post("/logout")
        response = oauth_login(client, "github", next=target.replace("\\", "%5C"))
        assert response.headers["Location"] == "/", target


def test_logout_ends_the_session(client, auth):
    auth.login()
    assert client.get("/api/me").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/api/me").status_code == 401


def test_logout_is_post_only(client):
    assert client.get("/logout").status_code == 405


def test_stale_session_for_a_deleted_user_is_forgotten(app, client, auth):
    user_id = auth.login()
    with app.app_context():
        db.session.delete(db.session.get(User, user_id))
        db.session.commit()
    assert client.get("/api/me").status_code == 401
    with client.session_transaction() as session:
        assert "user_id" not in session


def test_odd_profile_values_are_stored_safely(app, client, rsps):
    GitHubStub(rsps, user={"id": 77, "login": "odd", "name": "N" * 1000, "email": 12345})
    assert oauth_login(client, "github").status_code == 302
    [user] = users(app)
    assert (len(user.name), user.email) == (255, None)


def test_a_concurrent_first_login_updates_instead_of_failing(app, client, rsps, monkeypatch):
    import demo_app.auth

    GitHubStub(rsps)
    oauth_login(client, "github")
    client.post("/logout")
    # Simulate the race: the first lookup misses the row another request has just written.
    real_scalar = demo_app.auth.db.session.scalar
    lookups = []

    def scalar_missing_once(statement):
        lookups.append(statement)
        return None if len(lookups) == 1 else real_scalar(statement)

    monkeypatch.setattr(demo_app.auth.db.session, "scalar", scalar_missing_once)
    response = oauth_login(client, "github")
    assert response.status_code == 302
    assert len(lookups) == 2  # the insert failed on the unique key, the retry found the row
    assert len(users(app)) == 1
    assert client.get("/api/me").status_code == 200


@pytest.mark.parametrize("error", ["0", "not_an_oauth_error", ""])
def test_a_callback_with_an_error_no_provider_sends_is_a_bad_link(client, error):
    # A forged or mangled link: no provider was asked, so it is not the provider's trouble.
    response = client.get("/auth/github/callback", query_string={"error": error})
    assert response.status_code == 400
    assert 'data-code="login_callback_invalid"' in response.get_data(as_text=True)
