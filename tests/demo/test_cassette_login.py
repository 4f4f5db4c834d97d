"""The demo shop's GitHub login replayed from a committed cassette, offline.

Recorded against the local sandbox (mockkit's GitHub fake served on loopback) with

    MOCKKIT_RECORD_MODE=rewrite .venv/bin/python -m pytest -p no:xdist \\
        tests/demo/test_cassette_login.py

The browser's part of the login (the authorize page) never reaches the shop's server, so it is
not in the cassette: when recording, `mockkit.oauth.login` plays it on the fake; when
replaying, the test sends the callback itself with any code, since the OAuth matching preset
ignores the random `code` and `state` values. The cassette holds the token exchange on
`https://github.com` and the profile calls on `https://api.github.com`, scrubbed: no token,
no client secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from mockkit.oauth import login

WEB = "https://github.com"
API = "https://api.github.com"
# The GitHub fake's default OAuth app (`with_defaults()`); recorded with these credentials.
CLIENT_ID, CLIENT_SECRET = "mockkit-client", "mockkit-secret"


@pytest.fixture
def shop(app_factory: Callable[..., Flask], mockkit_sandbox: Any) -> Flask:
    web, api = mockkit_sandbox.url(WEB), mockkit_sandbox.url(API)
    return app_factory(
        GITHUB_CLIENT_ID=CLIENT_ID,
        GITHUB_CLIENT_SECRET=CLIENT_SECRET,
        GITHUB_AUTHORIZE_URL=f"{web}/login/oauth/authorize",
        GITHUB_ACCESS_TOKEN_URL=f"{web}/login/oauth/access_token",
        GITHUB_API_BASE_URL=f"{api}/",
    )


@pytest.mark.mockkit_cassette(secrets=[CLIENT_SECRET])
def test_github_login_creates_the_user(shop: Flask, mockkit_sandbox: Any) -> None:
    client = shop.test_client()
    fake = mockkit_sandbox.fake(WEB)
    if fake is not None:  # recording: the fake plays the browser's authorize step
        response = login(client, "/login/github", fake)
    else:  # replaying: the cassette answers the shop's token and profile requests
        start = client.get("/login/github")
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        response = client.get(
            "/auth/github/callback", query_string={"code": "replayed-code", "state": state}
        )
    assert response.status_code == 302, response.get_data(as_text=True)
    me = client.get("/api/me").get_json()
    assert me["provider"] == "github"
    assert me["email"] == "octocat@example.com"
