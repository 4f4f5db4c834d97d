"""Google as older apps call it: the legacy endpoints, their shapes, and URL-form scopes.

`accounts.google.com/o/oauth2/auth` and `/o/oauth2/token` (what Flask-Dance's Google
blueprint uses), `www.googleapis.com/oauth2/v1|v2/userinfo` (`id`, `verified_email`, ...),
`/oauth2/v3/userinfo` (OpenID Connect claims) and tokeninfo (every value a string).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from mockkit import providers
from mockkit.oauth import GitHubFake, GoogleFake, OAuthFake, OIDCProviderFake, OIDCUser

from .apps import CLIENT_ID, CLIENT_SECRET

REDIRECT = "https://app.example/cb"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"
PROFILE = "https://www.googleapis.com/auth/userinfo.profile"
V1 = "https://www.googleapis.com/oauth2/v1/userinfo"
V2 = "https://www.googleapis.com/oauth2/v2/userinfo"
V3 = "https://www.googleapis.com/oauth2/v3/userinfo"
TOKENINFO = "https://www.googleapis.com/oauth2/v3/tokeninfo"


@pytest.fixture
def fake() -> Iterator[GoogleFake]:
    with GoogleFake().with_defaults() as f:
        yield f


def sign_in(
    fake: GoogleFake,
    scope: str,
    offline: bool = False,
    user: OIDCUser | None = None,
    base: str = "https://accounts.google.com",
) -> dict[str, Any]:
    """Log in through the legacy authorize and token URLs with authlib's client."""
    session = OAuth2Session(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT, scope=scope)
    extra = {"access_type": "offline"} if offline else {}
    url, state = session.create_authorization_url(base + "/o/oauth2/auth", nonce="n-1", **extra)
    form = {"decision": "allow", "user": (user or fake.users[0]).sub}
    answer = requests.post(url, data=form, allow_redirects=False, timeout=5)
    token = session.fetch_token(
        base + "/o/oauth2/token",
        authorization_response=answer.headers["Location"],
        state=state,
    )
    return dict(token)


def bearer(token: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_legacy_authorize_and_token_urls_issue_googles_tokens(fake: GoogleFake) -> None:
    token = sign_in(fake, f"openid {EMAIL}", offline=True)
    assert token["access_token"].startswith("ya29.")
    assert token["refresh_token"].startswith("1//")
    assert token["scope"] == f"openid {EMAIL}"
    assert [(r.host, r.path) for r in fake.requests] == [
        ("accounts.google.com", "/o/oauth2/auth"),
        ("accounts.google.com", "/o/oauth2/token"),
    ]
    # The legacy token URL refreshes too (Flask-Dance's auto_refresh_url).
    renewed = OAuth2Session(CLIENT_ID, CLIENT_SECRET).refresh_token(
        "https://accounts.google.com/o/oauth2/token", refresh_token=token["refresh_token"]
    )
    assert renewed["access_token"] != token["access_token"]


@pytest.mark.parametrize("url", [V1, V2])
@pytest.mark.parametrize(
    ("scope", "keys"),
    [
        (EMAIL, ["id", "email", "verified_email", "picture", "hd"]),
        ("email", ["id", "email", "verified_email", "picture", "hd"]),
        (PROFILE, ["id", "name", "given_name", "family_name", "picture", "locale"]),
        (
            f"{EMAIL} {PROFILE}",
            ["id", "email", "verified_email", "name", "given_name", "family_name", "picture",
             "locale", "hd"],
        ),
        ("openid", ["id"]),
    ],
)  # fmt: skip
def test_v1_v2_userinfo_has_the_legacy_shape(
    fake: GoogleFake, url: str, scope: str, keys: list[str]
) -> None:
    user = fake.add_user(email="dana@corp.example", name="Dana Scully", hd="corp.example",
                         locale="en-GB")  # fmt: skip
    info = requests.get(url, headers=bearer(sign_in(fake, scope, user=user))).json()
    assert list(info) == keys
    assert info["id"] == user.sub and "sub" not in info and "email_verified" not in info
    if "email" in info:
        assert info["email"] == "dana@corp.example" and info["verified_email"] is True
        assert info["hd"] == "corp.example"
    if "name" in info:
        assert (info["given_name"], info["family_name"]) == ("Dana", "Scully")


def test_v3_userinfo_has_openid_claims_for_url_scopes(fake: GoogleFake) -> None:
    token = sign_in(fake, f"openid {EMAIL} {PROFILE}")
    info = requests.get(V3, headers=bearer(token)).json()
    assert info["sub"] == fake.users[0].sub
    assert info["email"] == "alice@example.com" and info["email_verified"] is True
    assert info["name"] == "Alice Example" and "id" not in info
    # The ID token and the current userinfo release the same claims for the URL forms.
    modern = requests.get(
        "https://openidconnect.googleapis.com/v1/userinfo", headers=bearer(token)
    ).json()
    assert modern == info
    # Google's userinfo also takes the token as a query parameter.
    assert requests.get(V3, params={"access_token": token["access_token"]}).json() == info


def test_url_scopes_put_email_and_profile_in_the_id_token(fake: GoogleFake) -> None:
    session = OAuth2Session(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT,
                            scope=f"openid {EMAIL} {PROFILE}")  # fmt: skip
    url, state = session.create_authorization_url("https://accounts.google.com/o/oauth2/auth")
    answer = requests.post(url, data={"decision": "allow"}, allow_redirects=False)
    token = session.fetch_token(
        "https://accounts.google.com/o/oauth2/token",
        authorization_response=answer.headers["Location"],
        state=state,
    )
    claims = requests.get(TOKENINFO, params={"id_token": token["id_token"]}).json()
    assert claims["email"] == "alice@example.com" and claims["email_verified"] == "true"
    assert claims["name"] == "Alice Example"


def test_both_spellings_of_a_scope_are_granted_once(fake: GoogleFake) -> None:
    token = sign_in(fake, f"openid email {EMAIL}")
    assert token["scope"] == f"openid {EMAIL}"


@pytest.mark.parametrize("url", [V1, V2])
def test_v1_v2_userinfo_errors_are_googles_api_errors(fake: GoogleFake, url: str) -> None:
    missing = requests.get(url)
    assert missing.status_code == 401
    error = missing.json()["error"]
    assert (error["code"], error["status"]) == (401, "UNAUTHENTICATED")
    assert error["message"].startswith("Request is missing required authentication credential")
    token = sign_in(fake, EMAIL)
    fake.revoke(token["access_token"])
    revoked = requests.get(url, headers=bearer(token))
    assert revoked.status_code == 401
    assert revoked.json()["error"]["message"].startswith("Request had invalid authentication")
    assert 'error="invalid_token"' in revoked.headers["WWW-Authenticate"]


def test_v3_userinfo_error(fake: GoogleFake) -> None:
    answer = requests.get(V3, headers={"Authorization": "Bearer ya29.nope"})
    assert answer.status_code == 401
    assert answer.json() == {"error": "invalid_request", "error_description": "Invalid Credentials"}


# ---- tokeninfo ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [TOKENINFO, "https://oauth2.googleapis.com/tokeninfo"])
def test_tokeninfo_for_an_access_token(fake: GoogleFake, url: str) -> None:
    token = sign_in(fake, f"openid {EMAIL}", offline=True)
    info = requests.get(url, params={"access_token": token["access_token"]}).json()
    assert list(info) == ["azp", "aud", "sub", "scope", "exp", "expires_in", "email",
                          "email_verified", "access_type"]  # fmt: skip
    assert info["azp"] == info["aud"] == CLIENT_ID
    assert info["sub"] == fake.users[0].sub and info["scope"] == f"openid {EMAIL}"
    assert all(isinstance(v, str) for v in info.values())  # Google sends every value as text
    assert info["email_verified"] == "true" and info["access_type"] == "offline"
    assert int(info["expires_in"]) in (3598, 3599)
    fake.clock.advance(600)
    later = requests.post(url, data={"access_token": token["access_token"]}).json()
    assert int(later["expires_in"]) <= 2999 and later["exp"] == info["exp"]


def test_tokeninfo_leaves_out_email_without_the_scope(fake: GoogleFake) -> None:
    token = sign_in(fake, PROFILE)
    info = requests.get(TOKENINFO, params={"access_token": token["access_token"]}).json()
    assert "email" not in info and info["access_type"] == "online"


def test_tokeninfo_for_an_id_token(fake: GoogleFake) -> None:
    token = sign_in(fake, "openid email profile")
    claims = requests.get(TOKENINFO, params={"id_token": token["id_token"]}).json()
    assert claims["iss"] == "https://accounts.google.com"
    assert claims["aud"] == CLIENT_ID and claims["nonce"] == "n-1"
    assert claims["alg"] == "RS256" and claims["kid"] == fake.kid
    assert claims["email_verified"] == "true" and claims["exp"].isdigit()


@pytest.mark.parametrize("url", [TOKENINFO, "https://oauth2.googleapis.com/tokeninfo"])
def test_tokeninfo_refuses_what_google_would(fake: GoogleFake, url: str) -> None:
    def answer(**params: str) -> tuple[int, dict[str, Any]]:
        got = requests.get(url, params=params)
        return got.status_code, got.json()

    invalid = (400, {"error": "invalid_token", "error_description": "Invalid Value"})
    assert answer(access_token="ya29.unknown") == invalid
    assert answer(id_token="not.a.jwt") == invalid
    status, body = answer()
    assert status == 400 and body["error"] == "invalid_request"
    token = sign_in(fake, "openid email")
    fake.next_id_token(bad_signature=True)
    forged = sign_in(fake, "openid email")
    assert answer(id_token=forged["id_token"]) == invalid
    fake.revoke(token["access_token"])
    assert answer(access_token=token["access_token"]) == invalid
    fresh = sign_in(fake, "openid email")
    fake.clock.advance(3600)  # past the access token's 3599 s and the ID token's hour
    assert answer(access_token=fresh["access_token"]) == invalid
    assert answer(id_token=fresh["id_token"]) == invalid


# ---- revocation as Google does it ----------------------------------------------------------


def test_google_revoke_needs_no_client_authentication(fake: GoogleFake) -> None:
    token = sign_in(fake, f"openid {EMAIL}", offline=True)
    # Google's documented call: the token alone, as a query parameter.
    answer = requests.post("https://oauth2.googleapis.com/revoke",
                           params={"token": token["access_token"]})  # fmt: skip
    assert answer.status_code == 200
    # The whole grant goes: the refresh token no longer works.
    assert requests.get(V3, headers=bearer(token)).status_code == 401
    again = requests.post("https://oauth2.googleapis.com/revoke",
                          data={"token": token["refresh_token"]})  # fmt: skip
    assert again.status_code == 400
    assert again.json() == {
        "error": "invalid_token",
        "error_description": "Token expired or revoked",
    }


def test_served_google_answers_the_legacy_paths() -> None:
    fake = GoogleFake().with_defaults()
    with fake.serve() as server:
        token = sign_in(fake, f"openid {EMAIL}", base=server.url)
        info = requests.get(server.url + "/oauth2/v2/userinfo", headers=bearer(token), timeout=5)
        assert info.json()["email"] == "alice@example.com"
        checked = requests.get(server.url + "/oauth2/v3/tokeninfo",
                               params={"id_token": token["id_token"]}, timeout=5)  # fmt: skip
        assert checked.json()["iss"] == server.url


@pytest.mark.parametrize("fake_class", [GoogleFake, GitHubFake, OIDCProviderFake])
def test_the_registry_maps_every_served_path_to_the_host_the_fake_answers_it_on(
    fake_class: type[OAuthFake],
) -> None:
    """Recording through a served fake stores each request under the canonical host the fake
    answers that path on in-process (the registry's `paths`), legacy endpoints included."""
    fake = fake_class()
    provider = providers.for_fake(fake)
    assert provider is not None
    for name, path in fake.paths.items():
        assert provider.canonical(path) + path == fake.canonical_url(name), name
