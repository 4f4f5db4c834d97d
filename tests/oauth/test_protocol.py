"""RFC 6749 / 7636 rules at the wire, and bad input that must get OAuth-shaped errors."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockkit.oauth import GitHubFake, GoogleFake, OIDCProviderFake

ISSUER = "https://oidc.mockkit.test"
REDIRECT = "https://app.example/cb"
AUTH = ("mockkit-client", "mockkit-secret")


@pytest.fixture
def fake() -> Any:
    with OIDCProviderFake().with_defaults() as f:
        yield f


def authorize(**params: str) -> requests.Response:
    query = {"response_type": "code", "client_id": "mockkit-client", "redirect_uri": REDIRECT}
    query.update(params)
    return requests.post(
        f"{ISSUER}/authorize?{urlencode(query)}",
        data={"decision": "allow"},
        allow_redirects=False,
    )


def code_from(answer: requests.Response) -> str:
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def token(**form: str) -> requests.Response:
    data = {"grant_type": "authorization_code", "redirect_uri": REDIRECT}
    data.update(form)
    return requests.post(f"{ISSUER}/token", data=data, auth=AUTH)


VERIFIER = "v" * 43 + "-._~0123456789"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_pkce_plain(fake: OIDCProviderFake) -> None:
    code = code_from(authorize(code_challenge=VERIFIER, code_challenge_method="plain"))
    assert token(code=code, code_verifier=VERIFIER).status_code == 200


@pytest.mark.parametrize("verifier", [VERIFIER + "x", "short", None])
def test_pkce_bad_verifier_is_invalid_grant(fake: OIDCProviderFake, verifier: str | None) -> None:
    code = code_from(authorize(code_challenge=s256(VERIFIER), code_challenge_method="S256"))
    form = {"code": code} if verifier is None else {"code": code, "code_verifier": verifier}
    answer = token(**form)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_redirect_uri_must_repeat_exactly(fake: OIDCProviderFake) -> None:
    code = code_from(authorize())
    answer = token(code=code, redirect_uri=REDIRECT + "/other")
    assert answer.json()["error"] == "invalid_grant"
    assert "redirect_uri" in answer.json()["error_description"]


def test_code_is_bound_to_its_client(fake: OIDCProviderFake) -> None:
    fake.add_client("other", "other-secret")
    code = code_from(authorize())
    answer = requests.post(
        f"{ISSUER}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=("other", "other-secret"),
    )
    assert answer.json()["error"] == "invalid_grant"


def test_code_expires_on_the_fake_clock(fake: OIDCProviderFake) -> None:
    code = code_from(authorize())
    fake.clock.advance(601)
    assert token(code=code).json()["error"] == "invalid_grant"


def test_expire_codes(fake: OIDCProviderFake) -> None:
    code = code_from(authorize())
    assert fake.expire_codes() == 1
    assert token(code=code).json()["error_description"] == "The authorization code has expired."


def test_state_is_echoed_and_errors_redirect_once_the_client_is_trusted(
    fake: OIDCProviderFake,
) -> None:
    answer = authorize(state="abc 123/=")
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["state"] == ["abc 123/="]
    bad = authorize(response_type="token", state="s")
    query = parse_qs(urlsplit(bad.headers["Location"]).query)
    assert query["error"] == ["unsupported_response_type"] and query["state"] == ["s"]
    bad = authorize(code_challenge="x" * 43, code_challenge_method="S512")
    assert parse_qs(urlsplit(bad.headers["Location"]).query)["error"] == ["invalid_request"]


def test_invalid_client_is_401_with_basic_challenge(fake: OIDCProviderFake) -> None:
    answer = requests.post(
        f"{ISSUER}/token", data={"grant_type": "authorization_code", "code": "x"}, auth=("a", "b")
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert answer.headers["Cache-Control"] == "no-store"


def test_post_credentials_wrong_secret_has_no_basic_challenge(fake: OIDCProviderFake) -> None:
    answer = requests.post(
        f"{ISSUER}/token",
        data={"grant_type": "authorization_code", "client_id": "mockkit-client",
              "client_secret": "wrong", "code": "x"},
    )  # fmt: skip
    assert answer.status_code == 401
    assert "WWW-Authenticate" not in answer.headers


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"data": {"grant_type": "password"}}, 400, "unsupported_grant_type"),
        ({"data": {"code": "x"}}, 400, "invalid_request"),
        ({"data": "grant_type=authorization_code&grant_type=refresh_token"}, 400,
         "invalid_request"),
        ({"json": {"grant_type": "authorization_code"}}, 400, "invalid_request"),
        ({"data": {"grant_type": "authorization_code"}}, 400, "invalid_request"),
        ({"data": {"grant_type": "authorization_code", "code": "nope"}}, 400, "invalid_grant"),
        ({"data": {"grant_type": "refresh_token", "refresh_token": "nope"}}, 400,
         "invalid_grant"),
    ],
)  # fmt: skip
def test_token_endpoint_bad_input(
    fake: OIDCProviderFake, kwargs: dict[str, Any], status: int, error: str
) -> None:
    if isinstance(kwargs.get("data"), str):
        kwargs["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = requests.post(f"{ISSUER}/token", auth=AUTH, **kwargs)
    assert (answer.status_code, answer.json()["error"]) == (status, error)


def test_garbage_basic_header_and_get_on_token(fake: OIDCProviderFake) -> None:
    answer = requests.post(
        f"{ISSUER}/token", data={"grant_type": "x"}, headers={"Authorization": "Basic %%%"}
    )
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")
    answer = requests.get(f"{ISSUER}/token")
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    assert answer.json()["error"] == "invalid_request"


def test_garbage_token_on_userinfo(fake: OIDCProviderFake) -> None:
    answer = requests.get(f"{ISSUER}/userinfo", headers={"Authorization": "Bearer \u00e9\u00e9"})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"


def test_authorize_garbage_shows_error_page(fake: OIDCProviderFake) -> None:
    for query in ["", "client_id=", "client_id=a&client_id=b", "client_id=mockkit-client"]:
        answer = requests.get(f"{ISSUER}/authorize?{query}", allow_redirects=False)
        assert answer.status_code in (400, 401), query
        assert "Location" not in answer.headers
        assert "id='error'" in answer.text


def test_unknown_path_names_the_closest_route(fake: OIDCProviderFake) -> None:
    answer = requests.get(f"{ISSUER}/.well-known/openid-configuratio")
    assert answer.status_code == 404
    assert "/.well-known/openid-configuration" in answer.json()["error_description"]


def test_revocation_endpoint(fake: OIDCProviderFake) -> None:
    """The revocation endpoint with client authentication (Basic)."""
    access = token(code=code_from(authorize(scope="openid"))).json()["access_token"]
    assert requests.post(f"{ISSUER}/revoke", data={"token": access}, auth=AUTH).status_code == 200
    answer = requests.get(f"{ISSUER}/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert answer.status_code == 401


_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
# requests encodes Basic credentials as latin-1; the fake must survive any bytes there too.
_latin1 = st.text(alphabet=st.characters(codec="latin-1"), max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    form=st.dictionaries(
        st.sampled_from(
            ["grant_type", "code", "redirect_uri", "code_verifier", "client_id",
             "client_secret", "refresh_token", "scope", "x"]
        ),
        _text,
        max_size=6,
    ),
    auth=st.one_of(st.none(), st.tuples(_latin1, _latin1)),
)  # fmt: skip
def test_token_endpoint_never_fails_unshaped(form: dict[str, str], auth: Any) -> None:
    for fake in (OIDCProviderFake().with_defaults(), GitHubFake().with_defaults()):
        with fake:
            url = fake.canonical_url("token")
            answer = requests.post(
                url, data=form, auth=auth, headers={"Accept": "application/json"}
            )
            assert answer.status_code in (200, 400, 401)
            assert "error" in answer.json()


# ---- PKCE challenge syntax (RFC 7636 4.2) ------------------------------------------------------

ALL_FAKES = {
    "oidc": lambda: OIDCProviderFake().with_defaults(),
    "google": lambda: GoogleFake().with_defaults(),
    "github": lambda: GitHubFake().with_defaults(),
}


@pytest.mark.parametrize("name", sorted(ALL_FAKES))
@pytest.mark.parametrize(
    ("challenge", "method"),
    [
        ("!" * 43, "S256"),
        ("!" * 43, "plain"),
        ("!" * 43, None),
        ("a" * 42 + "!", "plain"),
        ("a" * 42, "plain"),
        ("a" * 129, "plain"),
        ("a" * 43, "S256"),  # 43 characters, but not the encoding of any 32 bytes
        (s256(VERIFIER) + "A", "S256"),  # 44 characters
        (s256(VERIFIER).replace("-", "+").replace("_", "/"), "S256"),  # plain base64
        (s256(VERIFIER) + "=", "S256"),  # padded
    ],
)
def test_malformed_code_challenge_is_refused_before_a_code(
    name: str, challenge: str, method: str | None
) -> None:
    with ALL_FAKES[name]() as fake:
        session = OAuth2Session("mockkit-client", redirect_uri=REDIRECT, scope="openid")
        params = {"code_challenge": challenge}
        if method is not None:
            params["code_challenge_method"] = method
        url, _ = session.create_authorization_url(fake.canonical_url("authorize"), **params)
        answer = requests.post(url, data={"decision": "allow"}, allow_redirects=False)
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["error"] == ["invalid_request"]
        assert "RFC 7636" in query["error_description"][0]
        assert "code" not in query and fake.codes == []


@pytest.mark.parametrize("name", sorted(ALL_FAKES))
def test_pkce_as_authlib_sends_it_still_works(name: str) -> None:
    with ALL_FAKES[name]() as fake:
        session = OAuth2Session(
            "mockkit-client",
            "mockkit-secret",
            redirect_uri=REDIRECT,
            scope="openid",
            code_challenge_method="S256",
        )
        verifier = generate_token(48)
        url, state = session.create_authorization_url(
            fake.canonical_url("authorize"), code_verifier=verifier
        )
        answer = requests.post(url, data={"decision": "allow"}, allow_redirects=False)
        token = session.fetch_token(
            fake.canonical_url("token"),
            authorization_response=answer.headers["Location"],
            code_verifier=verifier,
            state=state,
            headers={"Accept": "application/json"},
        )
        assert token["access_token"]


# ---- revocation needs client authentication (RFC 7009 2.1) ---------------------------------


def _issued(fake: OIDCProviderFake, client: tuple[str, str | None] = AUTH) -> dict[str, Any]:
    session = OAuth2Session(client[0], client[1], redirect_uri=REDIRECT, scope="openid")
    url, state = session.create_authorization_url(fake.canonical_url("authorize"))
    answer = requests.post(url, data={"decision": "allow"}, allow_redirects=False)
    return dict(
        session.fetch_token(
            fake.canonical_url("token"),
            authorization_response=answer.headers["Location"],
            state=state,
        )
    )


def _works(fake: OIDCProviderFake, access_token: str) -> bool:
    answer = requests.get(
        fake.canonical_url("userinfo"), headers={"Authorization": f"Bearer {access_token}"}
    )
    return answer.status_code == 200


def test_revocation_without_client_authentication_is_refused(fake: OIDCProviderFake) -> None:
    token = _issued(fake)
    answer = requests.post(f"{ISSUER}/revoke", data={"token": token["access_token"]})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    wrong = requests.post(
        f"{ISSUER}/revoke", data={"token": token["access_token"]}, auth=("mockkit-client", "x")
    )
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert _works(fake, token["access_token"])  # refused: nothing revoked


def test_revocation_by_another_client_is_refused(fake: OIDCProviderFake) -> None:
    fake.add_client("other", "other-secret")
    token = _issued(fake)
    other = OAuth2Session("other", "other-secret")
    answer = other.revoke_token(f"{ISSUER}/revoke", token["access_token"])
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert _works(fake, token["access_token"])


def test_revocation_through_authlib_revokes_the_grant(fake: OIDCProviderFake) -> None:
    fake.add_client("public-app", None)
    for client in (AUTH, ("public-app", None)):
        token = _issued(fake, client)
        session = OAuth2Session(client[0], client[1])
        if client[1] is None:
            session.revocation_endpoint_auth_method = "none"
        answer = session.revoke_token(f"{ISSUER}/revoke", token["refresh_token"])
        assert answer.status_code == 200
        # Revoking the refresh token ends the access token issued with it (RFC 7009 2.1).
        assert not _works(fake, token["access_token"])
    # An unknown token is not an error (RFC 7009 2.2).
    assert OAuth2Session(*AUTH).revoke_token(f"{ISSUER}/revoke", "nope").status_code == 200


# ---- invalid_client says what to do (never which secret) -----------------------------------


def test_unknown_client_names_add_client_and_the_registered_ids(fake: OIDCProviderFake) -> None:
    fake.add_client("billing-app", "billing-secret-value")
    with pytest.raises(OAuthError) as info:
        OAuth2Session("my-app", "my-secret").fetch_token(
            f"{ISSUER}/token", grant_type="authorization_code", code="c"
        )
    assert info.value.error == "invalid_client"
    description = info.value.description
    assert description.startswith("The OAuth client was not found: 'my-app'.")
    assert "add_client('my-app', client_secret)" in description
    assert "registered clients: 'mockkit-client', 'billing-app'" in description
    assert "secret-value" not in description and "mockkit-secret" not in description


def test_unknown_client_at_authorize_names_add_client() -> None:
    with OIDCProviderFake() as fake:  # nothing registered at all
        answer = requests.get(f"{ISSUER}/authorize?response_type=code&client_id=my-app")
        assert answer.status_code == 401
        assert "add_client(&#x27;my-app&#x27;, client_secret)" in answer.text
        assert "no client is registered" in answer.text
        assert fake.codes == []


def test_wrong_secret_names_the_client_not_the_secret(fake: OIDCProviderFake) -> None:
    with pytest.raises(OAuthError) as info:
        OAuth2Session("mockkit-client", "wrong-secret").fetch_token(
            f"{ISSUER}/token", grant_type="authorization_code", code="c"
        )
    assert "'mockkit-client'" in info.value.description
    assert "add_client()" in info.value.description
    assert "secret" in info.value.description and "wrong-secret" not in info.value.description
    assert "mockkit-secret" not in info.value.description


@pytest.mark.parametrize(
    "uri", ["/cb", "app.example/cb", "https://[::1/cb", "https://a.example/cb#x"]
)
def test_add_client_refuses_a_redirect_uri_no_browser_could_follow(uri: str) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        OIDCProviderFake().add_client("web", "pw", redirect_uris=[uri])
