"""The Google fake: Google's hosts, paths, issuer, token shapes and offline access."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from joserfc.errors import InvalidClaimError

from mockkit.oauth import GOOGLE_DISCOVERY_URL, GoogleFake, login

from .apps import make_app


def google_settings(offline: bool = False) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "server_metadata_url": GOOGLE_DISCOVERY_URL,
        "client_kwargs": {"scope": "openid email profile"},
    }
    if offline:
        settings["authorize_params"] = {"access_type": "offline", "prompt": "consent"}
    return settings


@pytest.fixture
def fake() -> Any:
    with GoogleFake().with_defaults() as f:
        yield f


def test_discovery_names_googles_endpoints(fake: GoogleFake) -> None:
    meta = requests.get(GOOGLE_DISCOVERY_URL).json()
    assert meta["issuer"] == "https://accounts.google.com"
    assert meta["authorization_endpoint"] == "https://accounts.google.com/o/oauth2/v2/auth"
    assert meta["token_endpoint"] == "https://oauth2.googleapis.com/token"
    assert meta["userinfo_endpoint"] == "https://openidconnect.googleapis.com/v1/userinfo"
    assert meta["jwks_uri"] == "https://www.googleapis.com/oauth2/v3/certs"


def test_login_through_googles_hosts(fake: GoogleFake) -> None:
    client = make_app(google_settings(), call_userinfo=True).test_client()
    body = login(client, "/login", fake).get_json()
    token = body["token"]
    assert token["access_token"].startswith("ya29.")
    assert "refresh_token" not in token  # only with access_type=offline
    assert "https://www.googleapis.com/auth/userinfo.email" in token["scope"].split()
    info = token["userinfo"]
    assert info["iss"] == "https://accounts.google.com"
    assert info["email"] == "alice@example.com" and info["email_verified"] is True
    assert len(info["sub"]) == 21 and info["sub"].isdigit()
    assert body["userinfo_endpoint"]["email"] == "alice@example.com"
    hosts = [r.host for r in fake.requests]
    assert hosts == [
        "accounts.google.com",
        "accounts.google.com",
        "accounts.google.com",
        "oauth2.googleapis.com",
        "www.googleapis.com",
        "openidconnect.googleapis.com",
    ]


def test_offline_access_gives_a_refresh_token_that_works(fake: GoogleFake) -> None:
    client = make_app(google_settings(offline=True)).test_client()
    token = login(client, "/login", fake).get_json()["token"]
    assert token["refresh_token"]
    renewed = requests.post(
        "https://oauth2.googleapis.com/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": "mockkit-client",
            "client_secret": "mockkit-secret",
        },
    )
    assert renewed.status_code == 200
    assert renewed.headers["Cache-Control"] == "no-store"
    assert renewed.json()["access_token"] != token["access_token"]
    assert "refresh_token" not in renewed.json()  # Google keeps the same refresh token


def test_workspace_domain_claim(fake: GoogleFake) -> None:
    user = fake.add_user(email="dana@corp.example", name="Dana", hd="corp.example")
    client = make_app(google_settings()).test_client()
    info = login(client, "/login", fake, user=user).get_json()["token"]["userinfo"]
    assert info["hd"] == "corp.example"


def test_legacy_issuer_is_rejected_by_authlib(fake: GoogleFake) -> None:
    fake.next_id_token(iss="accounts.google.com")
    client = make_app(google_settings()).test_client()
    with pytest.raises(InvalidClaimError, match="iss"):
        login(client, "/login", fake)


def test_code_reuse_is_invalid_grant_400(fake: GoogleFake) -> None:
    app = make_app(google_settings())
    login(app.test_client(), "/login", fake)
    with pytest.raises(OAuthError) as info:
        login(app.test_client(), "/login", fake, code=fake.codes[-1].code)
    assert info.value.error == "invalid_grant"
    assert list(fake.calls("POST", "/token"))[-1].status == 400


def test_served_google_uses_one_port() -> None:
    fake = GoogleFake().with_defaults()
    with fake.serve() as server:
        meta = requests.get(server.url + "/.well-known/openid-configuration", timeout=5).json()
        assert meta["issuer"] == server.url
        assert meta["token_endpoint"] == server.url + "/token"
        assert meta["jwks_uri"] == server.url + "/oauth2/v3/certs"
        settings = google_settings()
        settings["server_metadata_url"] = server.url + "/.well-known/openid-configuration"
        client = make_app(settings).test_client()
        info = login(client, "/login", fake).get_json()["token"]["userinfo"]
        assert info["iss"] == server.url
