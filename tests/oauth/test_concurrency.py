"""Many clients at once against the OAuth fakes: an authorization code is redeemed once.

Each client is a thread with its own `requests.Session`; all start together behind a barrier
(`tests.reliability.concurrency.run_together`), in-process and served.
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from mockkit.oauth import GitHubFake, GoogleFake
from mockkit.oauth.base import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthFake
from tests.reliability.concurrency import THREADS, run_together
from tests.reliability.fuzzing import Tally

pytestmark = pytest.mark.concurrency


def _oauth_login(fake: OAuthFake, base: str) -> str:
    query = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": "https://app.example/cb",
        "scope": "openid email profile user:email",
        "state": "s",
        "nonce": "n",
    }
    answer = requests.post(
        base + fake.paths["authorize"] + "?" + urlencode(query),
        data={"decision": "allow"},
        allow_redirects=False,
        timeout=10,
    )
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


@pytest.mark.parametrize("transport", ["served", "in-process"])
@pytest.mark.parametrize("fake_class", [GitHubFake, GoogleFake], ids=["github", "google"])
def test_a_code_is_redeemed_at_most_once_under_races(
    fake_class: type[OAuthFake], transport: str, tally: Tally
) -> None:
    fake = fake_class().with_defaults()
    rounds = 5
    with contextlib.ExitStack() as stack:
        if transport == "served":
            base = stack.enter_context(fake.serve()).url
            token_url = base + fake.paths["token"]
        else:
            stack.enter_context(fake)
            base = fake.canonical_url("authorize")[: -len(fake.paths["authorize"])]
            token_url = fake.canonical_url("token")
        for _ in range(rounds):
            code = _oauth_login(fake, base)

            def work(i: int, code: str = code) -> dict[str, Any]:
                with requests.Session() as session:
                    answer = session.post(
                        token_url,
                        data={
                            "grant_type": "authorization_code",
                            "code": code,
                            "redirect_uri": "https://app.example/cb",
                        },
                        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
                        headers={"Accept": "application/json"},
                        timeout=30,
                    )
                assert answer.status_code in (200, 400), answer.text
                return dict(answer.json())

            results = run_together(THREADS, work)
            winners = [r for r in results if "access_token" in r]
            assert len(winners) == 1, results
            losers = [r["error"] for r in results if "access_token" not in r]
            assert set(losers) == {
                "bad_verification_code" if fake_class is GitHubFake else "invalid_grant"
            }
            # The code was replayed after it was used, so its token is revoked (RFC 6749 4.1.2).
            token = fake.provider.tokens[winners[0]["access_token"]]
            assert token.revoked
        tally.add(
            f"concurrency: OAuth code races ({fake_class.__name__}, {transport})", rounds * THREADS
        )
