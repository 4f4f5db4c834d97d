"""The demo shop's login on mockkit's OAuth fakes: happy paths and every fault.

The shop is unmodified and configured with the real provider URLs; the fakes answer those
hosts in-process (and, in two tests, the shop is pointed at served fakes instead). Every
fault must end in a clean answer from the shop (never a 500) and no user row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from demo_app.db import db
from demo_app.models import User
from mockkit.errors import rate_limited, read_timeout, server_error
from mockkit.oauth import AuthorizeError, GitHubFake, GoogleFake, OAuthFake, login
from tests.demo.harness import TEST_CONFIG

GITHUB_ID = TEST_CONFIG["GITHUB_CLIENT_ID"]
GITHUB_SECRET = TEST_CONFIG["GITHUB_CLIENT_SECRET"]
GOOGLE_ID = TEST_CONFIG["GOOGLE_CLIENT_ID"]
GOOGLE_SECRET = TEST_CONFIG["GOOGLE_CLIENT_SECRET"]


@pytest.fixture
def github() -> Iterator[GitHubFake]:
    fake = GitHubFake()
    fake.add_client(GITHUB_ID, GITHUB_SECRET)
    fake.add_user("octocat", name="The Octocat", email="octocat@example.com", id=583231)
    with fake:
        yield fake


@pytest.fixture
def google() -> Iterator[GoogleFake]:
    fake = GoogleFake()
    fake.add_client(GOOGLE_ID, GOOGLE_SECRET)
    fake.add_user(email="alice@example.com", name="Alice Example")
    with fake:
        yield fake


@pytest.fixture(params=["github", "google"])
def provider(request: pytest.FixtureRequest) -> tuple[str, OAuthFake]:
    """Each fault test runs against both providers."""
    name = request.param
    return name, request.getfixturevalue(name)


def user_count(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


def assert_clean_failure(app: Flask, client: FlaskClient, response: Any, status: int) -> None:
    """The shop answered with its own error page (not a 500), and nobody got logged in."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert user_count(app) == 0
    assert client.get("/api/me").status_code == 401


# ---- happy paths -----------------------------------------------------------------------------


def test_github_login_with_public_email(
    app: Flask, client: FlaskClient, github: GitHubFake
) -> None:
    response = login(client, "/login/github", github)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    me = client.get("/api/me").get_json()
    assert (me["provider"], me["email"], me["name"]) == (
        "github",
        "octocat@example.com",
        "The Octocat",
    )
    # A public address is on /user: the shop did not need /user/emails.
    assert not list(github.calls("GET", "/user/emails"))
    with app.app_context():
        assert db.session.scalars(select(User.provider_user_id)).all() == ["583231"]


def test_github_login_with_private_email(client: FlaskClient, github: GitHubFake) -> None:
    github.add_user("hubot", name="Hubot", email="hubot@example.com", private_email=True)
    login(client, "/login/github", github, user="hubot")
    me = client.get("/api/me").get_json()
    assert me["email"] == "hubot@example.com"
    assert [r.status for r in github.calls("GET", "/user/emails")] == [200]


def test_google_login(client: FlaskClient, google: GoogleFake) -> None:
    response = login(client, "/login/google", google, follow_redirects=True)
    assert response.status_code == 200
    assert "Alice Example" in response.get_data(as_text=True)
    me = client.get("/api/me").get_json()
    assert (me["provider"], me["email"]) == ("google", "alice@example.com")


def test_login_returns_to_the_page_asked_for(client: FlaskClient, github: GitHubFake) -> None:
    response = login(client, "/login/github?next=/orders", github)
    assert response.headers["Location"] == "/orders"


def test_login_on_served_fakes(app_factory: Callable[..., Flask]) -> None:
    gh, go = GitHubFake(), GoogleFake()
    gh.add_client(GITHUB_ID, GITHUB_SECRET)
    go.add_client(GOOGLE_ID, GOOGLE_SECRET)
    with gh.serve() as gh_server, go.serve() as go_server:
        app = app_factory(
            GITHUB_AUTHORIZE_URL=gh_server.url + "/login/oauth/authorize",
            GITHUB_ACCESS_TOKEN_URL=gh_server.url + "/login/oauth/access_token",
            GITHUB_API_BASE_URL=gh_server.url + "/",
            GOOGLE_DISCOVERY_URL=go_server.url + "/.well-known/openid-configuration",
        )
        gh_client, go_client = app.test_client(), app.test_client()
        login(gh_client, "/login/github", gh)
        login(go_client, "/login/google", go)
        assert gh_client.get("/api/me").get_json()["provider"] == "github"
        assert go_client.get("/api/me").get_json()["provider"] == "google"
        assert user_count(app) == 2


# ---- faults, on both providers ---------------------------------------------------------------


def test_user_denies(app: Flask, client: FlaskClient, provider: tuple[str, OAuthFake]) -> None:
    name, fake = provider
    response = login(client, f"/login/{name}", fake, consent=False, follow_redirects=True)
    assert response.status_code == 200
    assert "Login was cancelled." in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_state_tampered(app: Flask, client: FlaskClient, provider: tuple[str, OAuthFake]) -> None:
    name, fake = provider
    response = login(client, f"/login/{name}", fake, state="forged")
    assert_clean_failure(app, client, response, 400)
    assert not fake.tokens  # the shop refused before exchanging the code


def test_code_reused(app: Flask, client: FlaskClient, provider: tuple[str, OAuthFake]) -> None:
    name, fake = provider
    login(app.test_client(), f"/login/{name}", fake)  # someone else's login used the code
    with app.app_context():
        db.session.execute(db.delete(User))
        db.session.commit()
    response = login(client, f"/login/{name}", fake, code=fake.codes[-1].code)
    assert_clean_failure(app, client, response, 502)


def test_code_expired(app: Flask, client: FlaskClient, provider: tuple[str, OAuthFake]) -> None:
    name, fake = provider
    fake.code_ttl = 0
    response = login(client, f"/login/{name}", fake)
    assert_clean_failure(app, client, response, 502)


def test_wrong_client_secret(
    app: Flask, client: FlaskClient, provider: tuple[str, OAuthFake]
) -> None:
    name, fake = provider
    client_id = GITHUB_ID if name == "github" else GOOGLE_ID
    fake.add_client(client_id, "the-real-secret-the-shop-does-not-have")
    response = login(client, f"/login/{name}", fake)
    assert_clean_failure(app, client, response, 502)


def test_wrong_redirect_uri_google_shows_its_error_page(
    app: Flask, client: FlaskClient, google: GoogleFake
) -> None:
    google.add_client(GOOGLE_ID, GOOGLE_SECRET, redirect_uris=["https://shop.example/cb"])
    with pytest.raises(AuthorizeError) as info:
        login(client, "/login/google", google)
    assert info.value.error == "redirect_uri_mismatch"
    assert user_count(app) == 0 and not google.codes


def test_wrong_redirect_uri_github_sends_back_to_the_registered_callback(
    app: Flask, client: FlaskClient, github: GitHubFake
) -> None:
    # Registered for another host: GitHub sends the user to the registered callback with
    # error=redirect_uri_mismatch, and the shop's callback shows GitHub's refusal.
    github.add_client(
        GITHUB_ID, GITHUB_SECRET, redirect_uris=["http://127.0.0.1/auth/github/callback"]
    )
    response = login(client, "/login/github", github)
    assert_clean_failure(app, client, response, 502)
    assert "redirect_uri_mismatch" in response.get_data(as_text=True)
    assert not github.codes


@pytest.mark.parametrize(
    ("fault", "status"),
    [(server_error(500), 503), (server_error(503), 503), (rate_limited(), 503),
     (read_timeout(), 504)],
    ids=["500", "503", "429", "timeout"],
)  # fmt: skip
def test_token_endpoint_failures(
    app: Flask, client: FlaskClient, provider: tuple[str, OAuthFake], fault: Any, status: int
) -> None:
    name, fake = provider
    rule = fake.inject(fault, path=fake.paths["token"])
    response = login(client, f"/login/{name}", fake)
    assert_clean_failure(app, client, response, status)
    assert rule.fired == 1


def test_jwks_unavailable(app: Flask, client: FlaskClient, google: GoogleFake) -> None:
    google.inject(server_error(503), path=google.paths["jwks"])
    response = login(client, "/login/google", google)
    assert_clean_failure(app, client, response, 503)


@pytest.mark.parametrize(
    "tamper",
    [{"nonce": "wrong"}, {"aud": "someone-else"}, {"iss": "https://evil.example"},
     {"iss": "accounts.google.com"}, {"expired": True}, {"bad_signature": True}],
    ids=["nonce", "aud", "iss", "legacy-iss", "expired", "bad-signature"],
)  # fmt: skip
def test_bad_id_tokens(
    app: Flask, client: FlaskClient, google: GoogleFake, tamper: dict[str, Any]
) -> None:
    google.next_id_token(**tamper)
    response = login(client, "/login/google", google)
    assert_clean_failure(app, client, response, 502)
    assert "could not be verified" in response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", ["user", "emails"])
def test_github_user_api_failing(
    app: Flask, client: FlaskClient, github: GitHubFake, endpoint: str
) -> None:
    github.add_user("hubot", email="hubot@example.com", private_email=True)
    github.inject(server_error(502), path=github.paths[endpoint])
    response = login(client, "/login/github", github, user="hubot")
    assert_clean_failure(app, client, response, 503)


def test_google_userinfo_failing_does_not_matter_to_the_shop(
    app: Flask, client: FlaskClient, google: GoogleFake
) -> None:
    # The shop reads the verified ID token's claims and never calls userinfo, so an outage
    # there changes nothing; the fault stays unfired.
    rule = google.fail("userinfo", status=500, times=None)
    response = login(client, "/login/google", google)
    assert response.status_code == 302
    assert client.get("/api/me").get_json()["email"] == "alice@example.com"
    assert rule.fired == 0


def test_github_revoked_token_bad_credentials(
    app: Flask, client: FlaskClient, github: GitHubFake
) -> None:
    # The token is revoked between the exchange and the profile call: /user answers 401.
    github.inject(_RevokeThenAnswer(github), path="/user")
    response = login(client, "/login/github", github)
    assert_clean_failure(app, client, response, 502)


class _RevokeThenAnswer:
    """A fault that revokes every token, then lets the fake answer (with 401)."""

    def __init__(self, fake: GitHubFake) -> None:
        self.fake = fake

    def respond(self, request: Any) -> Any:
        for token in self.fake.tokens:
            self.fake.revoke(token)
        return self.fake.dispatch(request)


def test_readme_example(app: Flask, mockkit_github: GitHubFake) -> None:
    # The README's login example, verbatim.
    # Register the app's own OAuth client and a user whose email is private.
    mockkit_github.add_client(app.config["GITHUB_CLIENT_ID"], app.config["GITHUB_CLIENT_SECRET"])
    mockkit_github.add_user("hubot", name="Hubot", email="hubot@example.com", private_email=True)
    client = app.test_client()

    response = login(client, "/login/github", mockkit_github, user="hubot")

    assert response.status_code == 302
    me = client.get("/api/me").get_json()
    assert me["email"] == "hubot@example.com"  # /user said null; the app read /user/emails
    assert [r.path for r in mockkit_github.requests][-2:] == ["/user", "/user/emails"]
