"""The generic OIDC fake through authlib's real Flask client: happy paths and every fault."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from mockkit.errors import read_timeout
from mockkit.oauth import AuthorizeError, OIDCProviderFake, login

from .apps import CLIENT_ID, CLIENT_SECRET, make_app, oidc_settings


@pytest.fixture
def fake() -> Any:
    with OIDCProviderFake().with_defaults() as f:
        yield f


def test_login_returns_verified_id_token_claims(fake: OIDCProviderFake) -> None:
    client = make_app(oidc_settings(fake)).test_client()
    response = login(client, "/login", fake)
    assert response.status_code == 200
    info = response.get_json()["token"]["userinfo"]
    assert info["email"] == "alice@example.com"
    assert info["name"] == "Alice Example"
    assert info["iss"] == "https://oidc.mockkit.test"
    assert info["aud"] == CLIENT_ID
    # The nonce authlib put in the authorize URL came back inside the signed token.
    assert info["nonce"] == fake.codes[-1].nonce
    paths = [(r.method, r.path) for r in fake.requests]
    assert paths == [
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/authorize"),
        ("POST", "/authorize"),
        ("POST", "/token"),
        ("GET", "/jwks"),
    ]


def test_login_as_a_chosen_user_with_extra_claims(fake: OIDCProviderFake) -> None:
    bob = fake.add_user(email="bob@example.com", name="Bob B", groups=["admin"])
    client = make_app(oidc_settings(fake)).test_client()
    info = login(client, "/login", fake, user=bob).get_json()["token"]["userinfo"]
    assert (info["sub"], info["email"], info["groups"]) == (bob.sub, "bob@example.com", ["admin"])
    # Chosen by email works too.
    client = make_app(oidc_settings(fake)).test_client()
    info = login(client, "/login", fake, user="bob@example.com").get_json()["token"]["userinfo"]
    assert info["sub"] == bob.sub


def test_pkce_s256_is_recorded_and_checked(fake: OIDCProviderFake) -> None:
    client = make_app(oidc_settings(fake), pkce="S256").test_client()
    assert login(client, "/login", fake).status_code == 200
    code = fake.codes[-1]
    assert code.code_challenge_method == "S256" and code.used
    token_body = parse_qs(fake.requests[3].text)
    verifier = token_body["code_verifier"][0]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert code.code_challenge == digest.decode()


def test_client_secret_post_authentication(fake: OIDCProviderFake) -> None:
    settings = oidc_settings(fake)
    settings["client_kwargs"]["token_endpoint_auth_method"] = "client_secret_post"
    client = make_app(settings).test_client()
    assert login(client, "/login", fake).status_code == 200
    token_request = next(fake.calls("POST", "/token"))
    assert "Authorization" not in token_request.headers
    assert parse_qs(token_request.text)["client_secret"] == [CLIENT_SECRET]


def test_client_pinned_to_basic_rejects_post(fake: OIDCProviderFake) -> None:
    fake.add_client("pinned", "s3cret", auth_method="client_secret_basic")
    settings = oidc_settings(fake)
    settings["client_kwargs"]["token_endpoint_auth_method"] = "client_secret_post"
    client = make_app(settings, client_id="pinned", client_secret="s3cret").test_client()
    with pytest.raises(OAuthError) as info:
        login(client, "/login", fake)
    assert info.value.error == "invalid_client"


def test_userinfo_endpoint_answers_for_the_token(fake: OIDCProviderFake) -> None:
    client = make_app(oidc_settings(fake), call_userinfo=True).test_client()
    body = login(client, "/login", fake).get_json()
    assert body["userinfo_endpoint"]["email"] == "alice@example.com"
    assert body["userinfo_endpoint"]["sub"] == body["token"]["userinfo"]["sub"]


def test_served_fake_reports_its_own_url_as_issuer() -> None:
    fake = OIDCProviderFake().with_defaults()
    with fake.serve() as server:
        meta = requests.get(server.url + "/.well-known/openid-configuration", timeout=5).json()
        assert meta["issuer"] == server.url
        assert meta["token_endpoint"] == server.url + "/token"
        client = make_app(oidc_settings(fake, server.url)).test_client()
        info = login(client, "/login", fake).get_json()["token"]["userinfo"]
        assert info["iss"] == server.url
        assert all(r.served for r in fake.requests)


def test_served_consent_page_allows_and_denies() -> None:
    fake = OIDCProviderFake().with_defaults()
    fake.add_client("web", "pw", redirect_uris=["http://app.example/cb"])
    with fake.serve() as server:
        url = server.url + "/authorize?response_type=code&client_id=web&state=xyz"
        page = requests.get(url, timeout=5)
        assert page.status_code == 200
        for marker in ("id='user'", "id='allow'", "id='deny'", "alice@example.com"):
            assert marker in page.text
        allowed = requests.post(
            url, data={"user": fake.users[0].sub, "decision": "allow"}, allow_redirects=False
        )
        back = urlsplit(allowed.headers["Location"])
        assert back.netloc == "app.example"
        assert parse_qs(back.query)["state"] == ["xyz"] and "code" in parse_qs(back.query)
        denied = requests.post(url, data={"decision": "deny"}, allow_redirects=False)
        query = parse_qs(urlsplit(denied.headers["Location"]).query)
        assert query["error"] == ["access_denied"] and query["state"] == ["xyz"]
        # A new user typed on the page is created and logged in.
        typed = requests.post(
            url, data={"new_user": "carol@example.com", "decision": "allow"}, allow_redirects=False
        )
        assert typed.status_code == 302
        assert fake.codes[-1].user.email == "carol@example.com"


# ---- faults ----------------------------------------------------------------------------------


def test_user_denies(fake: OIDCProviderFake) -> None:
    client = make_app(oidc_settings(fake)).test_client()
    with pytest.raises(OAuthError) as info:
        login(client, "/login", fake, consent=False)
    assert info.value.error == "access_denied"
    assert not fake.tokens


def test_state_tampered(fake: OIDCProviderFake) -> None:
    client = make_app(oidc_settings(fake)).test_client()
    with pytest.raises(MismatchingStateError):
        login(client, "/login", fake, state="forged-by-an-attacker")


def test_code_reused_is_invalid_grant_and_revokes(fake: OIDCProviderFake) -> None:
    app = make_app(oidc_settings(fake))
    first = login(app.test_client(), "/login", fake)
    assert first.status_code == 200
    old = fake.codes[-1].code
    with pytest.raises(OAuthError) as info:
        login(app.test_client(), "/login", fake, code=old)
    assert info.value.error == "invalid_grant"
    # RFC 6749 4.1.2: the tokens issued from the reused code are revoked.
    token = first.get_json()["token"]["access_token"]
    answer = requests.get(
        "https://oidc.mockkit.test/userinfo", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"


def test_code_expired(fake: OIDCProviderFake) -> None:
    fake.code_ttl = 0
    client = make_app(oidc_settings(fake)).test_client()
    with pytest.raises(OAuthError) as info:
        login(client, "/login", fake)
    assert info.value.error == "invalid_grant"
    assert "expired" in (info.value.description or "")


def test_unknown_client_shows_error_page_without_redirect(fake: OIDCProviderFake) -> None:
    client = make_app(oidc_settings(fake), client_id="nobody").test_client()
    with pytest.raises(AuthorizeError) as info:
        login(client, "/login", fake)
    assert info.value.error == "invalid_client"
    answer = fake.requests[-1]
    assert answer.status == 401 and answer.method == "GET"


def test_wrong_redirect_uri_shows_error_page(fake: OIDCProviderFake) -> None:
    fake.add_client(CLIENT_ID, CLIENT_SECRET, redirect_uris=["https://app.example/callback"])
    client = make_app(oidc_settings(fake)).test_client()
    with pytest.raises(AuthorizeError) as info:
        login(client, "/login", fake)
    assert info.value.error == "redirect_uri_mismatch"
    assert "http://localhost/callback" in info.value.description
    assert not fake.codes


def test_wrong_client_secret(fake: OIDCProviderFake) -> None:
    client = make_app(oidc_settings(fake), client_secret="wrong").test_client()
    with pytest.raises(OAuthError) as info:
        login(client, "/login", fake)
    assert info.value.error == "invalid_client"
    token_answer = next(fake.calls("POST", "/token"))
    assert token_answer.status == 401


@pytest.mark.parametrize("status", [500, 503, 429])
def test_token_endpoint_http_errors(fake: OIDCProviderFake, status: int) -> None:
    rule = fake.fail("token", status=status)
    client = make_app(oidc_settings(fake)).test_client()
    with pytest.raises(requests.HTTPError) as info:
        login(client, "/login", fake)
    assert info.value.response.status_code == status
    assert rule.fired == 1


def test_token_endpoint_timeout(fake: OIDCProviderFake) -> None:
    fake.inject(read_timeout(), path=fake.paths["token"])
    client = make_app(oidc_settings(fake)).test_client()
    with pytest.raises(requests.exceptions.ReadTimeout):
        login(client, "/login", fake)


def test_jwks_unavailable(fake: OIDCProviderFake) -> None:
    fake.fail("jwks", status=503)
    client = make_app(oidc_settings(fake)).test_client()
    with pytest.raises(requests.HTTPError) as info:
        login(client, "/login", fake)
    assert info.value.response.status_code == 503


@pytest.mark.parametrize(
    ("tamper", "error", "claim"),
    [
        ({"nonce": "wrong"}, InvalidClaimError, "nonce"),
        ({"iss": "https://evil.example"}, InvalidClaimError, "iss"),
        ({"aud": "another-client"}, InvalidClaimError, "azp"),
        ({"aud": "another-client", "remove": ("azp",)}, MissingClaimError, "azp"),
        ({"expired": True}, ExpiredTokenError, None),
        ({"bad_signature": True}, BadSignatureError, None),
        ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, InvalidClaimError, "at_hash"),
    ],
)
def test_id_token_faults(
    fake: OIDCProviderFake, tamper: dict[str, Any], error: type[Exception], claim: str | None
) -> None:
    fake.next_id_token(**tamper)
    client = make_app(oidc_settings(fake)).test_client()
    with pytest.raises(error) as info:
        login(client, "/login", fake)
    if claim:
        assert claim in str(info.value)
    # One-shot: the next login is clean again.
    assert login(make_app(oidc_settings(fake)).test_client(), "/login", fake).status_code == 200


def test_userinfo_failing(fake: OIDCProviderFake) -> None:
    fake.fail("userinfo", status=500)
    client = make_app(oidc_settings(fake), call_userinfo=True).test_client()
    with pytest.raises(requests.HTTPError) as info:
        login(client, "/login", fake)
    assert info.value.response.status_code == 500


def test_revoked_token_is_refused_by_userinfo(fake: OIDCProviderFake) -> None:
    client = make_app(oidc_settings(fake)).test_client()
    token = login(client, "/login", fake).get_json()["token"]["access_token"]
    assert fake.revoke(token)
    answer = requests.get(fake.url_for("userinfo"), headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]


# ---- keys ------------------------------------------------------------------------------------


def test_kid_is_stable_and_rotation_is_followed_by_authlib(fake: OIDCProviderFake) -> None:
    app = make_app(oidc_settings(fake))
    assert login(app.test_client(), "/login", fake).status_code == 200
    kid = fake.kid
    assert login(app.test_client(), "/login", fake).status_code == 200
    assert fake.kid == kid
    assert len(list(fake.calls("GET", "/jwks"))) == 1  # authlib cached the key set
    fake.rotate_key()
    assert fake.kid != kid
    assert [k["kid"] for k in fake.jwks()["keys"]] == [fake.kid, kid]
    response = login(app.test_client(), "/login", fake)
    assert response.status_code == 200
    # The unknown kid made authlib fetch JWKS again, and the new key verified the token.
    assert len(list(fake.calls("GET", "/jwks"))) == 2


def test_id_token_verifies_with_published_jwks(fake: OIDCProviderFake) -> None:
    client = make_app(oidc_settings(fake)).test_client()
    raw = login(client, "/login", fake).get_json()["token"]["id_token"]
    keys = KeySet.import_key_set(requests.get(fake.url_for("jwks")).json())
    decoded = jwt.decode(raw, keys, algorithms=["RS256"])
    assert decoded.header["kid"] == fake.kid
    assert decoded.claims["sub"] == fake.users[0].sub


def test_fresh_key_differs_from_the_shared_one() -> None:
    assert OIDCProviderFake().kid == OIDCProviderFake().kid
    assert OIDCProviderFake(fresh_key=True).kid != OIDCProviderFake().kid


def test_issuer_with_a_path() -> None:
    fake = OIDCProviderFake(issuer="https://login.mockkit.test/realms/shop").with_defaults()
    with fake:
        assert fake.discovery_url == (
            "https://login.mockkit.test/realms/shop/.well-known/openid-configuration"
        )
        client = make_app(oidc_settings(fake)).test_client()
        info = login(client, "/login", fake).get_json()["token"]["userinfo"]
        assert info["iss"] == "https://login.mockkit.test/realms/shop"


def test_rotation_without_the_old_key_while_jwks_is_down(fake: OIDCProviderFake) -> None:
    app = make_app(oidc_settings(fake))
    assert login(app.test_client(), "/login", fake).status_code == 200
    fake.rotate_key(keep_old=False)
    fake.fail("jwks", status=503)
    # The cached key set lacks the new kid; authlib's forced re-fetch meets the outage.
    with pytest.raises(requests.HTTPError):
        login(app.test_client(), "/login", fake)
    assert login(app.test_client(), "/login", fake).status_code == 200


def test_served_while_also_active_in_process(fake: OIDCProviderFake) -> None:
    # The fixture-style fake is active (responses intercepts everything); serving it too
    # lets requests to its own loopback server through.
    with fake.serve() as server:
        client = make_app(oidc_settings(fake, server.url)).test_client()
        info = login(client, "/login", fake).get_json()["token"]["userinfo"]
        assert info["iss"] == server.url
        in_process = make_app(oidc_settings(fake)).test_client()
        info = login(in_process, "/login", fake).get_json()["token"]["userinfo"]
        assert info["iss"] == "https://oidc.mockkit.test"
