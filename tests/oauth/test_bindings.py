"""An authorization code is bound to its client, redirect_uri and PKCE verifier: exactly.

For each fake, a fresh code is redeemed either exactly as issued (it must work) or with one
binding changed by a little (another registered client, a redirect_uri with a trailing slash
or another case, a verifier one character off, a code one character off, or a verifier
missing). Every changed redemption must be refused, and must not burn the code: its
rightful owner can still redeem it afterwards.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.oauth import GitHubFake, GoogleFake, OIDCProviderFake
from mockkit.oauth.base import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthFake
from tests.reliability.fuzzing import FUZZ, Tally

pytestmark = pytest.mark.fuzz

REDIRECT = "https://app.example/auth/cb"
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
verifiers = st.text(alphabet=UNRESERVED, min_size=43, max_size=128)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def nudge(text: str, at: int) -> str:
    """`text` with one character changed (still from the same alphabet)."""
    i = at % len(text)
    return text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]


FAKES = {
    "github": lambda: GitHubFake().with_defaults(),
    "google": lambda: GoogleFake().with_defaults(),
    "oidc": lambda: OIDCProviderFake().with_defaults(),
}
CHANGES = ["none", "client", "redirect_uri", "verifier", "no verifier", "code"]


def test_a_code_works_only_exactly_as_issued(tally: Tally) -> None:
    fakes = {name: make() for name, make in FAKES.items()}
    for fake in fakes.values():
        fake.add_client("other-client", "other-secret")
        fake.start()
    try:

        @settings(FUZZ, max_examples=300)
        @given(
            name=st.sampled_from(sorted(FAKES)),
            verifier=verifiers,
            method=st.sampled_from(["S256", "plain"]),
            change=st.sampled_from(CHANGES),
            at=st.integers(0, 200),
            variant=st.sampled_from(["/", "upper", "query"]),
        )
        def check(
            name: str, verifier: str, method: str, change: str, at: int, variant: str
        ) -> None:
            tally.add("OAuth code bindings (exact vs changed)")
            fake = fakes[name]
            challenge = s256(verifier) if method == "S256" else verifier
            code = _authorize(fake, challenge, method)
            form = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
            }
            auth = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
            if change == "client":
                auth = ("other-client", "other-secret")
            elif change == "redirect_uri":
                form["redirect_uri"] = {
                    "/": REDIRECT + "/",
                    "upper": REDIRECT.upper(),
                    "query": REDIRECT + "?x=1",
                }[variant]
            elif change == "verifier":
                form["code_verifier"] = nudge(verifier, at)
            elif change == "no verifier":
                del form["code_verifier"]
            elif change == "code":
                form["code"] = nudge(code, at)
            answer = _token(fake, form, auth)
            if change == "none":
                assert "access_token" in answer, answer
                return
            assert "access_token" not in answer and answer.get("error"), (change, answer)
            if change != "code":
                # The refused attempt did not burn the code: its owner can still redeem it.
                owner = {**form, "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
                retry = _token(fake, owner, (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET))
                assert "access_token" in retry, (change, retry)

        check()
    finally:
        for fake in fakes.values():
            fake.stop()


def _authorize(fake: OAuthFake, challenge: str, method: str) -> str:
    query = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid email",
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": method,
    }
    page = requests.post(
        fake.canonical_url("authorize") + "?" + urlencode(query),
        data={"decision": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    location = page.headers["Location"]
    return parse_qs(urlsplit(location).query)["code"][0]


def _token(fake: OAuthFake, form: dict[str, str], auth: tuple[str, str]) -> dict[str, Any]:
    answer = requests.post(
        fake.canonical_url("token"),
        data=form,
        auth=auth,
        headers={"Accept": "application/json"},
        timeout=5,
    )
    return dict(answer.json())
