"""Fuzzing the OAuth fakes' HTTP surface (GitHub, Google, generic OIDC), in-process and served.

Every endpoint (authorize with its consent form, token, userinfo, JWKS, discovery, revocation,
GitHub's `/user` and `/user/emails`) gets random methods, queries, forms, JSON bodies and
credentials, mixed with values that are real (the registered client, issued codes and tokens),
so the protocol checks run and not only the front-door ones. Every answer must be what the
provider would give: OAuth's `{"error": ...}` JSON (GitHub: its `message` JSON or its HTTP-200
error forms), an HTML page or redirect at the authorize step, or a real success. Never a 5xx,
never a traceback.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.oauth import GitHubFake, GoogleFake, OIDCProviderFake
from mockkit.oauth.base import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OAuthFake
from tests.reliability.conftest import FUZZ, IN_PROCESS_EXAMPLES, SERVED_EXAMPLES, Tally
from tests.reliability.strategies import METHODS, Call, broken_bodies, encode_pairs, nasty_text

REDIRECT = "https://app.example/cb"
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "mockkit fake failed")
PARAMS = [
    "client_id",
    "client_secret",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "grant_type",
    "refresh_token",
    "token",
    "access_token",
    "decision",
    "user",
    "new_user",
    "access_type",
    "prompt",
]


def prepare(fake: OAuthFake, base: str | None = None) -> dict[str, list[str]]:
    """Register the default client and user, run one login, and return real values to reuse."""
    fake.with_defaults()
    fake.add_client("public-client", None)

    def url(endpoint: str) -> str:
        return base + fake.paths[endpoint] if base else fake.canonical_url(endpoint)

    query = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid email profile user:email",
        "state": "s1",
        "nonce": "n1",
        "access_type": "offline",
    }
    answer = requests.post(
        url("authorize") + "?" + urlencode(query),
        data={"decision": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    issued = requests.post(
        url("token"),
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        headers={"Accept": "application/json"},
        timeout=5,
    ).json()
    assert issued.get("access_token"), issued
    values = {
        "client_id": [DEFAULT_CLIENT_ID, "public-client"],
        "client_secret": [DEFAULT_CLIENT_SECRET],
        "redirect_uri": [REDIRECT, "javascript:alert(1)", "https://evil.example/cb"],
        "response_type": ["code", "token", "id_token"],
        "scope": ["openid email profile", "user:email", "openid"],
        "code": [code, *(c.code for c in fake.codes)],
        "code_challenge_method": ["S256", "plain", "none"],
        "code_verifier": ["v" * 43, "short"],
        "grant_type": ["authorization_code", "refresh_token", "password", "client_credentials"],
        "refresh_token": [str(issued.get("refresh_token") or "r")],
        "token": [str(issued.get("access_token"))],
        "access_token": [str(issued.get("access_token"))],
        "decision": ["allow", "deny", "maybe"],
        "user": ["octocat", "alice@example.com", "nobody"],
    }
    return values


def fake_strategy(fake: OAuthFake, values: dict[str, list[str]]) -> st.SearchStrategy[Call]:
    """Hostile requests aimed at `fake`'s own endpoints, with its real values mixed in."""
    value = {
        name: st.one_of(st.sampled_from(values[name]), nasty_text) if name in values else nasty_text
        for name in PARAMS
    }
    pair = st.sampled_from(PARAMS).flatmap(lambda n: st.tuples(st.just(n), value[n]))
    pairs = st.lists(pair, max_size=8)
    form = st.builds(encode_pairs, pairs, st.just(False))
    json_body = st.dictionaries(
        st.sampled_from(PARAMS),
        st.one_of(nasty_text, st.integers(), st.booleans(), st.none(), st.lists(st.integers())),
        max_size=6,
    ).map(lambda d: json.dumps(d).encode())
    token = values["access_token"][0]
    basic = base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
    auth = st.sampled_from(
        [
            {},
            {"Authorization": f"Bearer {token}"},
            {"Authorization": f"token {token}"},
            {"Authorization": f"Basic {basic}"},
            {"Authorization": "Basic !!!"},
            {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:x").decode()},
            {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
            {"Authorization": "Bearer " + "x" * 5000},
            {"Authorization": "Digest abc"},
        ]
    )
    content_type = st.sampled_from(
        [
            {"Content-Type": "application/x-www-form-urlencoded"},
            {"Content-Type": "application/json"},
            {"Content-Type": "text/plain"},
            {},
        ]
    )
    accept = st.sampled_from([{}, {"Accept": "application/json"}, {"Accept": "text/html"}])
    headers = st.builds(lambda a, c, x: {**a, **c, **x}, auth, content_type, accept)
    known_paths = sorted(set(fake.paths.values()))
    path = st.one_of(
        st.sampled_from(known_paths),
        st.sampled_from(known_paths),
        st.sampled_from(known_paths).map(lambda p: p + "/"),
        st.sampled_from(["/", "/nope", "/%ff", "//", "/login/oauth/%00"]),
    )
    query = st.one_of(st.just(""), st.builds(lambda p: encode_pairs(p, False).decode(), pairs))
    body = st.one_of(st.just(b""), form, form, json_body, broken_bodies)
    return st.builds(Call, st.sampled_from(METHODS), path, query, body, headers)


def assert_oauth_shaped(
    fake: OAuthFake, call: Call, status: int, headers: Any, body: bytes
) -> None:
    """Provider-shaped: OAuth JSON error, a page or redirect at authorize, or a real success."""
    where = f"{type(fake).__name__} {call.method} {call.path}?{call.query[:80]} -> {status}"
    where += f": {body[:300]!r}"
    assert status < 500, where
    text = body.decode("utf-8", "replace")
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, where
    if status in (301, 302, 303, 307):
        assert headers.get("Location"), where
        return
    if call.method == "HEAD" or not body:
        return
    ctype = headers.get("Content-Type", "")
    if ctype.startswith("text/html"):
        assert call.path == fake.paths["authorize"], where
        return
    if ctype.startswith("application/x-www-form-urlencoded"):
        assert isinstance(fake, GitHubFake), where
        form = parse_qs(text)
        assert "error" in form or "access_token" in form, where
        return
    data = json.loads(body)
    if status >= 400:
        assert isinstance(data, dict), where
        if isinstance(fake, GitHubFake) and "error" not in data:
            assert isinstance(data.get("message"), str), where
        else:
            assert isinstance(data.get("error"), str) and data["error"], where


FAKES = {"github": GitHubFake, "google": GoogleFake, "oidc": OIDCProviderFake}


@pytest.fixture(params=sorted(FAKES))
def in_process(request: pytest.FixtureRequest) -> Iterator[tuple[OAuthFake, dict[str, list[str]]]]:
    """Each OAuth fake, active in-process, with a client, a user and one finished login."""
    with FAKES[request.param]() as fake:
        yield fake, prepare(fake)


def _base(fake: OAuthFake, path: str) -> str:
    url = fake.canonical_url(next(k for k, p in fake.paths.items() if p == path))
    return url[: -len(path)]


def test_in_process_every_answer_is_oauth_shaped(
    in_process: tuple[OAuthFake, dict[str, list[str]]], tally: Tally
) -> None:
    fake, values = in_process
    session = requests.Session()
    surface = f"{type(fake).__name__} in-process"

    @settings(FUZZ, max_examples=IN_PROCESS_EXAMPLES * 7 // 10)
    @given(call=fake_strategy(fake, values))
    def check(call: Call) -> None:
        tally.add(surface)
        known = call.path if call.path in fake.paths.values() else fake.paths["token"]
        response = session.request(
            call.method,
            call.url(_base(fake, known)),
            data=call.body,
            headers=call.headers,
            timeout=5,
            allow_redirects=False,
        )
        assert_oauth_shaped(fake, call, response.status_code, response.headers, response.content)

    check()
    assert not [r for r in fake.requests if (r.status or 0) >= 500]


@pytest.mark.parametrize("name", sorted(FAKES))
def test_served_every_answer_is_oauth_shaped(name: str, tally: Tally) -> None:
    fake = FAKES[name]()
    with fake.serve() as server:
        values = prepare(fake, server.url)
        session = requests.Session()
        surface = f"{type(fake).__name__} served"

        @settings(FUZZ, max_examples=SERVED_EXAMPLES * 4 // 10)
        @given(call=fake_strategy(fake, values))
        def check(call: Call) -> None:
            tally.add(surface)
            response = session.request(
                call.method,
                call.url(server.url),
                data=call.body,
                headers=call.headers,
                timeout=5,
                allow_redirects=False,
            )
            assert_oauth_shaped(
                fake, call, response.status_code, response.headers, response.content
            )

        check()
        # Still serving: the discovery document (or GitHub's 401) answers a plain request.
        after = requests.get(server.url + sorted(fake.paths.values())[0], timeout=5)
        assert after.status_code < 500


@pytest.mark.parametrize("name", sorted(FAKES))
def test_any_granted_scope_is_answered_on_every_transport(name: str, tally: Tally) -> None:
    """Whatever scope a client asked for (any Unicode), the API answers for the token: the
    served fake must not choke writing it into a header (a hang, for the client)."""
    fake = FAKES[name]().with_defaults()
    api = "user" if name == "github" else "userinfo"
    with fake.serve() as server:

        @settings(FUZZ, max_examples=40)
        @given(extra=st.text(min_size=1, max_size=12).filter(lambda t: t.strip() != ""))
        def check(extra: str) -> None:
            tally.add(f"{type(fake).__name__} served: any scope, then the API")
            query = {
                "response_type": "code",
                "client_id": DEFAULT_CLIENT_ID,
                "redirect_uri": REDIRECT,
                "scope": f"openid email user:email {extra}",
                "nonce": "n",
            }
            page = requests.post(
                server.url + fake.paths["authorize"] + "?" + urlencode(query),
                data={"decision": "allow"},
                allow_redirects=False,
                timeout=5,
            )
            code = parse_qs(urlsplit(page.headers["Location"]).query)["code"][0]
            issued = requests.post(
                server.url + fake.paths["token"],
                data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
                auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
                headers={"Accept": "application/json"},
                timeout=5,
            ).json()
            answer = requests.get(
                server.url + fake.paths[api],
                headers={"Authorization": f"Bearer {issued['access_token']}"},
                timeout=5,
            )
            assert answer.status_code == 200, answer.text[:200]

        check()
