"""A replayed authorization code revokes everything that code led to, refreshes included.

A code presented twice means it leaked (RFC 6749 4.1.2: the server SHOULD revoke all tokens
issued from it). The fakes promise "tokens issued from it are revoked"; that must hold for
the whole chain: the first access token, its refresh token, and every access token obtained
by refreshing before the replay. Otherwise an attacker holding the refresh token keeps access.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.oauth import GitHubFake, GoogleFake
from mockkit.oauth.base import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthFake
from tests.reliability.fuzzing import FUZZ, Tally

pytestmark = pytest.mark.fuzz

REDIRECT = "https://app.example/cb"
AUTH = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)


def token_call(fake: OAuthFake, **form: str) -> dict[str, Any]:
    answer = requests.post(
        fake.canonical_url("token"),
        data=form,
        auth=AUTH,
        headers={"Accept": "application/json"},
        timeout=5,
    )
    return dict(answer.json())


def api_status(fake: OAuthFake, access_token: str) -> int:
    """What the provider's API says of an access token (200 usable, 401 not)."""
    endpoint = "user" if isinstance(fake, GitHubFake) else "userinfo"
    answer = requests.get(
        fake.canonical_url(endpoint), headers={"Authorization": f"Bearer {access_token}"}, timeout=5
    )
    return answer.status_code


def test_a_replayed_code_revokes_the_whole_chain(tally: Tally) -> None:
    @settings(FUZZ, max_examples=40)
    @given(provider=st.sampled_from(["github", "google"]), refreshes=st.integers(0, 3))
    def check(provider: str, refreshes: int) -> None:
        tally.add("OAuth code replay after refreshes")
        fake: OAuthFake = (
            GitHubFake(expiring_tokens=True) if provider == "github" else GoogleFake()
        ).with_defaults()
        with fake:
            query = {
                "response_type": "code",
                "client_id": DEFAULT_CLIENT_ID,
                "redirect_uri": REDIRECT,
                "scope": "openid email user:email",
                "access_type": "offline",
                "nonce": "n",
            }
            page = requests.post(
                fake.canonical_url("authorize") + "?" + urlencode(query),
                data={"decision": "allow"},
                allow_redirects=False,
                timeout=5,
            )
            code = parse_qs(urlsplit(page.headers["Location"]).query)["code"][0]
            redeem = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
            first = token_call(fake, **redeem)
            refresh_token = first["refresh_token"]
            access = [first["access_token"]]
            for _ in range(refreshes):
                renewed = token_call(fake, grant_type="refresh_token", refresh_token=refresh_token)
                access.append(renewed["access_token"])
                refresh_token = renewed.get("refresh_token", refresh_token)
            assert [api_status(fake, t) for t in access] == [200] * len(access)

            assert "error" in token_call(fake, **redeem)  # the replay is refused...
            # ...and everything the code led to stops working.
            assert [api_status(fake, t) for t in access] == [401] * len(access)
            again = token_call(fake, grant_type="refresh_token", refresh_token=refresh_token)
            assert "access_token" not in again and again["error"] in (
                "invalid_grant",
                "bad_refresh_token",
            )

    check()
