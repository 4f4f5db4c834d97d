"""Every fault through authlib's real token request (`OAuth2Session.fetch_token`)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from mockkit import errors
from mockkit.errors import oauth
from mockkit.errors.clients import dotted_name
from mockkit.http import Response

TOKEN_URL = "https://github.com/login/oauth/access_token"

# What authlib 1.9 raises from fetch_token() for each factory (it never retries: 1 request).
EXPECTED: dict[str, tuple[type[BaseException], str | None]] = {
    "connect_timeout()": (requests.ConnectTimeout, None),
    "read_timeout()": (requests.ReadTimeout, None),
    "connection_refused()": (requests.ConnectionError, None),
    "connection_reset()": (requests.ConnectionError, None),
    "dns_failure()": (requests.ConnectionError, None),
    "ssl_error()": (requests.exceptions.SSLError, None),
    "malformed_json()": (ValueError, None),
    "empty_body()": (ValueError, None),
    "truncated_body()": (requests.exceptions.ChunkedEncodingError, None),
    "server_error(500)": (requests.HTTPError, None),
    "server_error(503)": (requests.HTTPError, None),
    "rate_limited()": (requests.HTTPError, None),
    "oauth.access_denied()": (OAuthError, "access_denied"),
    "oauth.invalid_grant()": (OAuthError, "invalid_grant"),
    "oauth.invalid_client()": (OAuthError, "invalid_client"),
    "oauth.server_error()": (requests.HTTPError, None),
    "oauth.temporarily_unavailable()": (requests.HTTPError, None),
    "oauth.github_error()": (OAuthError, "bad_verification_code"),
}

CATALOG = errors.catalog()


def _session() -> OAuth2Session:
    return OAuth2Session("client-id", "client-secret", redirect_uri="https://app.test/callback")


def test_every_factory_authlib_can_meet_has_an_expectation() -> None:
    authlib_faults = {
        name
        for name, fault in CATALOG.items()
        if fault.sdk != "stripe" and not isinstance(fault, errors.Slow)
    }
    assert authlib_faults == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_authlib_raises_the_documented_exception(name: str) -> None:
    fault = CATALOG[name]
    expected_class, expected_error = EXPECTED[name]
    with responses.RequestsMock() as rsps:
        stub = fault.stub(rsps, "POST", TOKEN_URL)
        with pytest.raises(expected_class) as caught:
            _session().fetch_token(TOKEN_URL, code="abc")
    assert type(caught.value) is expected_class
    assert stub.call_count == 1
    if expected_error is not None:
        assert isinstance(caught.value, OAuthError)
        assert caught.value.error == expected_error
    # The factory's own account of it (the table in docs/faults.md) agrees with authlib.
    assert fault.outcome().authlib.startswith(dotted_name(caught.value))


def test_slow_past_the_clients_timeout_is_a_read_timeout_without_waiting() -> None:
    with responses.RequestsMock() as rsps:
        errors.slow(30, then=Response.json({"access_token": "t", "token_type": "bearer"})).stub(
            rsps, "POST", TOKEN_URL
        )
        with pytest.raises(requests.ReadTimeout):
            _session().fetch_token(TOKEN_URL, code="abc", timeout=5)
        # Under the timeout the delay costs nothing and the answer comes through.
        token = _session().fetch_token(TOKEN_URL, code="abc", timeout=60)
    assert token["access_token"] == "t"


def test_access_denied_on_the_authorize_endpoint_redirects_back_with_state() -> None:
    fault = oauth.access_denied()
    with responses.RequestsMock() as rsps:
        fault.stub(rsps, "GET", "https://github.com/login/oauth/authorize")
        answer = requests.get(
            "https://github.com/login/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": "client-id",
                "redirect_uri": "https://app.test/callback?next=/cart",
                "state": "xyz",
            },
            allow_redirects=False,
            timeout=5,
        )
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "app.test", "/callback")
    query = parse_qs(location.query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["xyz"]
    assert query["next"] == ["/cart"]


def test_invalid_client_asks_for_basic_auth_when_basic_was_used() -> None:
    with responses.RequestsMock() as rsps:
        oauth.invalid_client().stub(rsps, "POST", TOKEN_URL)
        with pytest.raises(OAuthError):
            _session().fetch_token(TOKEN_URL, code="abc")
        answer = rsps.calls[0].response
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert answer.headers["Cache-Control"] == "no-store"


def test_github_error_is_http_200_and_form_encoded_without_accept_json() -> None:
    with responses.RequestsMock() as rsps:
        oauth.github_error("incorrect_client_credentials").stub(rsps, "POST", TOKEN_URL)
        answer = requests.post(TOKEN_URL, data={"code": "x"}, timeout=5)
    assert answer.status_code == 200
    assert parse_qs(answer.text)["error"] == ["incorrect_client_credentials"]


def test_invalid_token_on_github_and_on_a_userinfo_endpoint() -> None:
    session = OAuth2Session("id", token={"access_token": "gho_revoked", "token_type": "bearer"})
    with responses.RequestsMock() as rsps:
        oauth.invalid_token().stub(rsps, "GET", "https://api.github.com/user")
        oauth.invalid_token().stub(rsps, "GET", "https://openidconnect.googleapis.com/v1/userinfo")
        github = session.get("https://api.github.com/user", timeout=5)
        google = session.get("https://openidconnect.googleapis.com/v1/userinfo", timeout=5)
    assert (github.status_code, github.json()["message"]) == (401, "Bad credentials")
    assert google.status_code == 401
    assert google.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    with pytest.raises(requests.HTTPError):
        google.raise_for_status()


def test_any_response_as_a_fault() -> None:
    import stripe

    from mockkit.transport import no_retry_sleep

    fault = errors.response(407, "<h1>Proxy Authentication Required</h1>", {"Via": "proxy"})
    with responses.RequestsMock() as rsps, no_retry_sleep():
        stub = fault.stub(rsps, "POST", "https://api.stripe.com/v1/customers")
        with pytest.raises(stripe.APIError, match="Invalid response body"):
            stripe.Customer.create(api_key="sk_test_mockkit")
        answer = requests.post("https://api.stripe.com/v1/customers", timeout=5)
    assert stub.call_count == 2  # a 407 is not retried
    assert (answer.status_code, answer.headers["Via"]) == (407, "proxy")
    teapot = errors.response(418, {"error": {"message": "I'm a teapot"}})
    assert isinstance(teapot.exception("stripe"), stripe.APIError)
