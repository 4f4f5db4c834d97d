"""`python -m mockkit serve github google` as a subprocess: an app in another process can log in."""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

CALLBACK = "http://127.0.0.1:8000/auth/github/callback"


def github_code_flow(github: dict[str, Any], user: str, redirect_uri: str = CALLBACK) -> Any:
    """Log `user` in through the served GitHub fake as a browser and an app would."""
    query = {
        "client_id": github["client_id"],
        "redirect_uri": redirect_uri,
        "scope": "read:user user:email",
        "state": "s1",
    }
    page = requests.get(github["authorize_url"], params=query, timeout=5)
    assert page.status_code == 200
    assert "id='allow'" in page.text
    decided = requests.post(
        github["authorize_url"],
        params=query,
        data={"decision": "allow", "user": user},
        allow_redirects=False,
        timeout=5,
    )
    assert decided.status_code in (302, 303), decided.text
    location = urlsplit(decided.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    code = parse_qs(location.query)["code"][0]
    token = requests.post(
        github["access_token_url"],
        data={
            "client_id": github["client_id"],
            "client_secret": github["client_secret"],
            "code": code,
            "redirect_uri": redirect_uri,
        },
        headers={"Accept": "application/json"},
        timeout=5,
    ).json()["access_token"]
    return requests.get(
        github["api_base_url"] + "user", headers={"Authorization": f"Bearer {token}"}, timeout=5
    ).json()


def test_json_details_work_and_ctrl_c_stops_cleanly(
    serve: Callable[..., Any],
) -> None:
    process = serve("github", "google", "--json")
    details = process.read_json()
    assert set(details) == {"github", "google", "env"}
    github, google = details["github"], details["google"]

    assert github_code_flow(github, "hubot")["login"] == "hubot"

    discovery = requests.get(google["discovery_url"], timeout=5).json()
    assert discovery["issuer"] == google["url"]
    consent = requests.get(
        discovery["authorization_endpoint"],
        params={
            "client_id": google["client_id"],
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "scope": "openid email",
            "state": "s",
        },
        timeout=5,
    )
    assert consent.status_code == 200
    assert "alice@example.com" in consent.text

    assert details["env"]["GOOGLE_DISCOVERY_URL"] == google["discovery_url"]
    assert details["env"]["GITHUB_CLIENT_SECRET"] == "mockkit-secret"

    status, err = process.stop(signal.SIGINT)
    assert status == 0, err
    assert "stopped" in err
    assert "Traceback" not in err
    for url in (github["url"], google["url"]):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=2)


def test_text_output_has_pasteable_settings_and_sigterm_stops(
    serve: Callable[..., Any],
) -> None:
    process = serve("github", "--client-id", "my-app", "--client-secret", "s3cret")
    lines = process.read_until("GITHUB_API_BASE_URL=")
    text = "\n".join(lines)
    assert "press Ctrl-C to stop" in text
    assert "octocat (The Octocat)" in text
    env = dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))
    assert env["GITHUB_CLIENT_ID"] == "my-app"
    assert env["GITHUB_CLIENT_SECRET"] == "s3cret"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", env["GITHUB_API_BASE_URL"])
    github = {
        "client_id": env["GITHUB_CLIENT_ID"],
        "client_secret": env["GITHUB_CLIENT_SECRET"],
        "authorize_url": env["GITHUB_AUTHORIZE_URL"],
        "access_token_url": env["GITHUB_ACCESS_TOKEN_URL"],
        "api_base_url": env["GITHUB_API_BASE_URL"],
    }
    assert github_code_flow(github, "octocat")["name"] == "The Octocat"

    status, err = process.stop(signal.SIGTERM)
    assert status == 0, err


def test_redirect_uri_restricts_where_codes_go(serve: Callable[..., Any]) -> None:
    process = serve("github", "--redirect-uri", CALLBACK, "--json")
    github = process.read_json()["github"]
    assert github["redirect_uris"] == [CALLBACK]
    assert github_code_flow(github, "octocat")["login"] == "octocat"
    refused = requests.get(
        github["authorize_url"],
        params={"client_id": github["client_id"], "redirect_uri": "http://127.0.0.1:9/evil"},
        allow_redirects=False,
        timeout=5,
    )
    assert refused.status_code != 200 or "id='allow'" not in refused.text
    assert "Location" not in refused.headers or "127.0.0.1:9" not in refused.headers["Location"]
    assert process.stop()[0] == 0


def test_fixed_port_is_used(serve: Callable[..., Any], free_port: int) -> None:
    process = serve("google", "--google-port", str(free_port), "--json")
    assert process.read_json()["google"]["url"] == f"http://127.0.0.1:{free_port}"
    assert process.stop()[0] == 0


@pytest.fixture
def free_port() -> int:
    """A port that was free a moment ago (the OS picks it)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ipv6_loopback() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_ipv6_loopback_urls_are_bracketed_and_work(serve: Callable[..., Any]) -> None:
    process = serve("google", "--host", "::1", "--json")
    google = process.read_json()["google"]
    assert re.fullmatch(r"http://\[::1\]:\d+", google["url"])
    assert requests.get(google["discovery_url"], timeout=5).json()["issuer"] == google["url"]
    assert process.stop()[0] == 0


def test_serve_oidc_lets_authlib_log_in_and_validate_the_id_token(
    serve: Callable[..., Any],
) -> None:
    from authlib.integrations.requests_client import OAuth2Session
    from joserfc import jwt
    from joserfc.jwk import KeySet

    process = serve("oidc", "--json")
    details = process.read_json()
    oidc = details["oidc"]
    assert details["env"]["OIDC_DISCOVERY_URL"] == oidc["discovery_url"]
    assert oidc["client_secret"] == "mockkit-secret"
    assert oidc["users"] == ["Alice Example <alice@example.com>", "Bob Example <bob@example.com>"]
    discovery = requests.get(oidc["discovery_url"], timeout=5).json()
    assert discovery["issuer"] == oidc["issuer"] == oidc["url"]

    session = OAuth2Session(
        oidc["client_id"], oidc["client_secret"], scope="openid email", redirect_uri=CALLBACK
    )
    url, _state = session.create_authorization_url(discovery["authorization_endpoint"])
    decided = requests.post(
        url, data={"decision": "allow", "user": "bob@example.com"}, allow_redirects=False, timeout=5
    )
    assert decided.status_code in (302, 303), decided.text
    token = session.fetch_token(
        discovery["token_endpoint"], authorization_response=decided.headers["Location"]
    )
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=5).json())
    claims = jwt.decode(token["id_token"], keys).claims
    assert claims["iss"] == oidc["url"]
    assert claims["aud"] == oidc["client_id"]
    assert claims["email"] == "bob@example.com"
    assert process.stop()[0] == 0
