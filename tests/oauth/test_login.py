"""`login()` helps when the flow can't be driven, and the fixtures work as documented."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, redirect

from mockkit.oauth import (
    GitHubFake,
    GoogleFake,
    LoginError,
    OIDCProviderFake,
    login,
)
from mockkit.oauth.objects import github_emails, github_user, id_token_claims

from .apps import github_settings, make_app, oidc_settings


def test_fake_not_active_is_a_clear_error() -> None:
    fake = OIDCProviderFake().with_defaults()
    # Discovery is needed to build the login redirect, so answer it once, then leave.
    with fake:
        app = make_app(oidc_settings(fake))
        app.test_client().get("/login")
    with pytest.raises(LoginError, match="not active"):
        login(app.test_client(), "/login", fake)


def test_redirect_elsewhere_names_both_urls() -> None:
    app = Flask(__name__)
    app.get("/login")(lambda: redirect("https://wrong.example/authorize?x=1"))
    with GitHubFake().with_defaults() as fake:
        with pytest.raises(LoginError) as info:
            login(app.test_client(), "/login", fake)
    message = str(info.value)
    assert "https://wrong.example/authorize" in message
    assert "https://github.com/login/oauth/authorize" in message


def test_login_route_that_does_not_redirect() -> None:
    app = Flask(__name__)
    app.get("/login")(lambda: "hello")
    with GitHubFake().with_defaults() as fake:
        with pytest.raises(LoginError, match="answered 200 without a redirect"):
            login(app.test_client(), "/login", fake)


def test_unknown_user_is_named() -> None:
    with GitHubFake().with_defaults() as fake:
        client = make_app(github_settings(fake), github=True).test_client()
        with pytest.raises(LoginError, match="no user 'ghost'"):
            login(client, "/login", fake, user="ghost")


def test_a_default_user_is_created_when_there_is_none() -> None:
    with GitHubFake() as fake:
        fake.add_client("mockkit-client", "mockkit-secret")
        client = make_app(github_settings(fake), github=True).test_client()
        body = login(client, "/login", fake).get_json()
        assert body["user"]["login"] == "mockkit-user"
        assert [u.login for u in fake.users] == ["mockkit-user"]


def test_follow_redirects_follows_the_apps_own_redirects() -> None:
    with OIDCProviderFake().with_defaults() as fake:
        app = make_app(oidc_settings(fake))
        app.view_functions["callback"] = _wrap_redirect(app.view_functions["callback"])
        response = login(app.test_client(), "/login", fake, follow_redirects=True)
        assert response.status_code == 200
        assert response.get_data(as_text=True) == "home"
        assert login(app.test_client(), "/login", fake).status_code == 302


def _wrap_redirect(view: Any) -> Any:
    def callback() -> Any:
        view()
        return redirect("/home")

    return callback


def test_fixtures_are_active_with_defaults(
    mockkit_github: GitHubFake, mockkit_google: GoogleFake, mockkit_oidc: OIDCProviderFake
) -> None:
    assert mockkit_github.active and mockkit_google.active and mockkit_oidc.active
    assert set(mockkit_github.clients) == {"mockkit-client"}
    assert mockkit_github.users[0].login == "octocat"
    assert mockkit_google.users[0].email == "alice@example.com"
    client = make_app(oidc_settings(mockkit_oidc)).test_client()
    info = login(client, "/login", mockkit_oidc).get_json()["token"]["userinfo"]
    assert info["email"] == "alice@example.com"


def test_objects_factories_are_shaped_like_the_providers() -> None:
    user = github_user("hubot", 7, "Hubot", None)
    assert user["email"] is None and user["html_url"] == "https://github.com/hubot"
    assert github_emails("a@b.example", private=True)[0]["visibility"] == "private"
    claims = id_token_claims("https://i.example", "s", "c", nonce="n", now=1000)
    assert (claims["exp"], claims["azp"], claims["nonce"]) == (4600, "c", "n")
