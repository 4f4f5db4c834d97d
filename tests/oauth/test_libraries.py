"""Well-known Flask OAuth libraries log in against the fakes with only their URLs configured.

Each runs its own real code end to end, in a Flask app of the test's own: Flask-Dance's
`google` and `github` blueprints (the Google one still calls Google's legacy endpoints),
plain requests-oauthlib (`OAuth2Session`, as its documentation's Flask examples use it),
and authlib's Flask client given the URLs by hand instead of discovery. In-process the apps
keep the providers' real URLs; served, only the URLs change.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify, redirect, request, session, url_for
from flask_dance.contrib.github import github, make_github_blueprint
from flask_dance.contrib.google import google, make_google_blueprint
from requests_oauthlib import OAuth2Session

from mockkit.oauth import GitHubFake, GoogleFake, login

from .apps import CLIENT_ID, CLIENT_SECRET

EMAIL = "https://www.googleapis.com/auth/userinfo.email"
PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
# The test client's origin: https, so oauthlib accepts the callback URL as it would in
# production (over http it needs OAUTHLIB_INSECURE_TRANSPORT=1).
APP = "https://localhost"


@pytest.fixture
def google_fake() -> Iterator[GoogleFake]:
    with GoogleFake().with_defaults() as fake:
        yield fake


@pytest.fixture
def github_fake() -> Iterator[GitHubFake]:
    with GitHubFake().with_defaults() as fake:
        yield fake


def flask_app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "test-secret"
    app.testing = True  # exceptions reach the test
    return app


# ---- Flask-Dance -------------------------------------------------------------------------------


def dance_app(**google_kwargs: Any) -> Flask:
    """Flask-Dance's two blueprints, configured with the client's id and secret only."""
    app = flask_app()
    google_kwargs.setdefault("scope", ["openid", EMAIL, PROFILE])
    app.register_blueprint(
        make_google_blueprint(CLIENT_ID, CLIENT_SECRET, **google_kwargs), url_prefix="/login"
    )
    app.register_blueprint(
        make_github_blueprint(CLIENT_ID, CLIENT_SECRET, scope="read:user,user:email"),
        url_prefix="/login",
    )

    @app.get("/me")
    def me() -> Any:
        body: dict[str, Any] = {}
        if google.authorized:
            body["google"] = google.get("/oauth2/v2/userinfo").json()
        if github.authorized:
            body["github"] = github.get("/user").json()
            body["github_emails"] = github.get("/user/emails").json()
        return jsonify(body)

    return app


def test_flask_dance_google_logs_in_through_the_legacy_endpoints(google_fake: GoogleFake) -> None:
    client = dance_app().test_client()
    done = login(client, APP + "/login/google", google_fake)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    me = client.get(APP + "/me").get_json()["google"]
    assert me["id"] == google_fake.users[0].sub
    assert me["email"] == "alice@example.com" and me["verified_email"] is True
    assert me["name"] == "Alice Example"
    assert [(r.host, r.path) for r in google_fake.requests] == [
        ("accounts.google.com", "/o/oauth2/auth"),
        ("accounts.google.com", "/o/oauth2/auth"),
        ("accounts.google.com", "/o/oauth2/token"),
        ("www.googleapis.com", "/oauth2/v2/userinfo"),
    ]


def test_flask_dance_google_short_scopes_need_relax_token_scope(
    google_fake: GoogleFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked for `profile email`, Google grants them spelled as URLs: oauthlib then refuses
    the token unless OAUTHLIB_RELAX_TOKEN_SCOPE is set, as Flask-Dance's documentation says."""
    app = dance_app(scope=["profile", "email"])
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)
    with pytest.raises(Warning, match="Scope has changed"):
        login(app.test_client(), APP + "/login/google", google_fake)
    monkeypatch.setenv("OAUTHLIB_RELAX_TOKEN_SCOPE", "1")
    client = app.test_client()
    login(client, APP + "/login/google", google_fake)
    assert client.get(APP + "/me").get_json()["google"]["email"] == "alice@example.com"


def test_flask_dance_google_offline_token_is_refreshed(google_fake: GoogleFake) -> None:
    client = dance_app(offline=True).test_client()
    login(client, APP + "/login/google", google_fake)
    first = google_fake.tokens[-1]
    with client.session_transaction() as stored:
        token = dict(stored["google_oauth_token"])
        assert token["refresh_token"].startswith("1//")
        token["expires_at"] = time.time() - 60  # as if the hour had passed
        stored["google_oauth_token"] = token
    me = client.get(APP + "/me").get_json()["google"]
    assert me["email"] == "alice@example.com"
    # requests-oauthlib refreshed at Flask-Dance's auto_refresh_url, the legacy token URL.
    refresh = [r for r in google_fake.requests if r.path == "/o/oauth2/token"][-1]
    assert "grant_type=refresh_token" in refresh.text and refresh.status == 200
    assert google_fake.tokens[-1].access_token != first.access_token


def test_flask_dance_github(github_fake: GitHubFake) -> None:
    github_fake.add_user("hubot", name="Hubot", email="hubot@example.com", private_email=True)
    client = dance_app().test_client()
    login(client, APP + "/login/github", github_fake, user="hubot")
    me = client.get(APP + "/me").get_json()
    assert me["github"]["login"] == "hubot" and me["github"]["email"] is None
    assert me["github_emails"][0]["email"] == "hubot@example.com"


def test_flask_dance_against_served_fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Served, the blueprints get the server's URLs; oauthlib needs to be told http is fine."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    google_fake, github_fake = GoogleFake().with_defaults(), GitHubFake().with_defaults()
    with google_fake.serve() as g_server, github_fake.serve() as gh_server:
        app = dance_app()
        for name, server, authorize, token in [
            ("google", g_server, "/o/oauth2/auth", "/o/oauth2/token"),
            ("github", gh_server, "/login/oauth/authorize", "/login/oauth/access_token"),
        ]:
            blueprint = app.blueprints[name]
            blueprint.authorization_url = server.url + authorize
            blueprint.token_url = server.url + token
            blueprint.base_url = server.url + "/"
        client = app.test_client()
        login(client, "/login/google", google_fake)
        login(client, "/login/github", github_fake)
        me = client.get("/me").get_json()
        assert me["google"]["email"] == "alice@example.com"
        assert me["github"]["login"] == "octocat"


# ---- requests-oauthlib -----------------------------------------------------------------------


def oauthlib_app(
    authorize_url: str, token_url: str, profile_url: str, scope: list[str], **params: str
) -> Flask:
    """The Flask web-application flow of requests-oauthlib's documentation."""
    app = flask_app()

    @app.get("/login")
    def start() -> Any:
        oauth = OAuth2Session(
            CLIENT_ID, scope=scope, redirect_uri=url_for("callback", _external=True)
        )
        url, state = oauth.authorization_url(authorize_url, **params)
        session["oauth_state"] = state
        return redirect(url)

    @app.get("/callback")
    def callback() -> Any:
        oauth = OAuth2Session(
            CLIENT_ID,
            state=session["oauth_state"],
            redirect_uri=url_for("callback", _external=True),
        )
        token = oauth.fetch_token(
            token_url, client_secret=CLIENT_SECRET, authorization_response=request.url
        )
        return jsonify(token=token, profile=oauth.get(profile_url).json())

    return app


def test_requests_oauthlib_google(google_fake: GoogleFake) -> None:
    app = oauthlib_app(
        "https://accounts.google.com/o/oauth2/auth",
        "https://accounts.google.com/o/oauth2/token",
        "https://www.googleapis.com/oauth2/v1/userinfo",
        ["openid", EMAIL, PROFILE],
        access_type="offline",
        prompt="select_account",
    )
    body = login(app.test_client(), APP + "/login", google_fake).get_json()
    assert body["profile"]["email"] == "alice@example.com"
    assert body["profile"]["verified_email"] is True
    refreshed = OAuth2Session(CLIENT_ID, token=body["token"]).refresh_token(
        "https://oauth2.googleapis.com/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    assert refreshed["access_token"] != body["token"]["access_token"]


def test_requests_oauthlib_google_modern_endpoints(google_fake: GoogleFake) -> None:
    app = oauthlib_app(
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
        "https://openidconnect.googleapis.com/v1/userinfo",
        ["openid", EMAIL],
    )
    body = login(app.test_client(), APP + "/login", google_fake).get_json()
    assert body["profile"]["email_verified"] is True and "name" not in body["profile"]


def test_requests_oauthlib_github(github_fake: GitHubFake) -> None:
    app = oauthlib_app(
        "https://github.com/login/oauth/authorize",
        "https://github.com/login/oauth/access_token",
        "https://api.github.com/user",
        ["read:user"],
    )
    body = login(app.test_client(), APP + "/login", github_fake).get_json()
    assert body["profile"]["login"] == "octocat"
    assert body["token"]["access_token"].startswith("gho_")


def test_requests_oauthlib_served_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    fake = GitHubFake().with_defaults()
    with fake.serve() as server:
        app = oauthlib_app(
            server.url + "/login/oauth/authorize",
            server.url + "/login/oauth/access_token",
            server.url + "/user",
            ["read:user"],
        )
        body = login(app.test_client(), "/login", fake).get_json()
        assert body["profile"]["login"] == "octocat"


# ---- authlib with hand-written URLs -------------------------------------------------------------


def test_authlib_with_googles_legacy_urls(google_fake: GoogleFake) -> None:
    app = flask_app()
    oauth = OAuth(app)
    oauth.register(
        "google",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        authorize_url="https://accounts.google.com/o/oauth2/auth",
        access_token_url="https://accounts.google.com/o/oauth2/token",
        api_base_url="https://www.googleapis.com/",
        jwks_uri="https://www.googleapis.com/oauth2/v3/certs",
        client_kwargs={"scope": f"openid {EMAIL} {PROFILE}"},
    )

    @app.get("/login")
    def start() -> Any:
        return oauth.google.authorize_redirect(url_for("callback", _external=True))

    @app.get("/callback")
    def callback() -> Any:
        token = oauth.google.authorize_access_token()
        v2 = oauth.google.get("oauth2/v2/userinfo", token=token).json()
        return jsonify(id_token=dict(token["userinfo"]), v2=v2)

    body = login(app.test_client(), "/login", google_fake).get_json()
    # The URL-form scopes released the email and profile claims into the ID token.
    assert body["id_token"]["email"] == "alice@example.com"
    assert body["id_token"]["name"] == "Alice Example"
    assert body["v2"]["id"] == body["id_token"]["sub"]
    assert requests.get("https://www.googleapis.com/oauth2/v2/userinfo").status_code == 401
