"""Fuzzing the OAuth fakes' HTTP surface (GitHub, Google, generic OIDC), in-process and served.

Every endpoint (authorize with its consent form, token, userinfo, JWKS, discovery, revocation,
GitHub's `/user` and `/user/emails`, Google's legacy authorize/token, v1-v3 userinfo and
tokeninfo) gets random methods, queries, forms, JSON bodies (deeply nested, lone surrogates
too) and credentials, mixed with values that are real (the registered client, issued codes,
access and ID tokens), so the protocol checks run and not only the front-door ones. Every
answer must be what the provider would give: OAuth's `{"error": ...}` JSON (GitHub: its
`message` JSON or its HTTP-200 error forms; Google's APIs: their nested `error` object), an
HTML page or redirect at the authorize step, or a real success. Never a 5xx, never a
traceback. And a refused request changes nothing: no code issued or used, no token issued or
revoked, no user added (the one exception is the rule itself: a replayed code revokes what
it issued).
"""

from __future__ import annotations

import base64
import hashlib
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
from tests.reliability.fuzzing import FUZZ, IN_PROCESS_EXAMPLES, SERVED_EXAMPLES, Tally
from tests.reliability.strategies import METHODS, Call, broken_bodies, encode_pairs, nasty_text

pytestmark = pytest.mark.fuzz

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
    "id_token",
    "token_type_hint",
]


#: JSON bodies that broke parsers: nested past the recursion limit, lone surrogates.
HOSTILE_JSON = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"code":' * 20_000 + b"1" + b"}" * 20_000,
    b'{"grant_type": "\\ud800", "client_id": "\\udfff"}',
    b'{"client_id": "mockkit-client", "client_secret": "\\ud800", "code": "\\udc00"}',
    b'{"client_id": "mockkit-client", "client_secret": "mockkit-secret", "grant_type": '
    b'"authorization_code", "code": "x", "redirect_uri": "\\ud83d"}',
    b"1" * 5000,
]


def prepare(fake: OAuthFake, base: str | None = None) -> dict[str, list[str]]:
    """Register the default client and user, run one login, and return real values to reuse."""
    fake.with_defaults()
    fake.add_client("public-client", None)
    fake.add_client("other-client", "other-secret")
    # Registered callbacks put the redirect_uri rules (GitHub's "below the callback") in play.
    fake.add_client("registered-client", "registered-secret", redirect_uris=[REDIRECT])

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
        "client_id": [DEFAULT_CLIENT_ID, "public-client", "registered-client"],
        "client_secret": [DEFAULT_CLIENT_SECRET, "registered-secret"],
        "redirect_uri": [
            REDIRECT,
            REDIRECT + "/deeper",
            REDIRECT + "/../evil",
            REDIRECT + "/%2e%2e/evil",
            "javascript:alert(1)",
            "https://evil.example/cb",
            "https://[::1/cb",
            "https://app.example:99999/cb",
            "https://user@app.example/cb",
            "https://",
        ],
        "response_type": ["code", "token", "id_token"],
        "scope": ["openid email profile", "user:email", "openid"],
        "code": [code, *(c.code for c in fake.codes)],
        "code_challenge_method": ["S256", "plain", "none"],
        "code_challenge": ["!" * 43, "a" * 43, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"],
        "code_verifier": ["v" * 43, "short"],
        "grant_type": ["authorization_code", "refresh_token", "password", "client_credentials"],
        "refresh_token": [str(issued.get("refresh_token") or "r")],
        "token": [str(issued.get("access_token"))],
        "access_token": [str(issued.get("access_token"))],
        "id_token": [str(issued.get("id_token") or "x.y.z"), "eyJhbGciOiJub25lIn0.e30."],
        "token_type_hint": ["access_token", "refresh_token", "nonsense"],
        "decision": ["allow", "deny", "maybe"],
        "user": ["octocat", "alice@example.com", "nobody"],
    }
    return values


def fake_strategy(
    fake: OAuthFake, values: dict[str, list[str]], endpoints: list[str] | None = None
) -> st.SearchStrategy[Call]:
    """Hostile requests aimed at `fake`'s own endpoints (or the named ones), real values in."""
    value = {
        name: st.one_of(st.sampled_from(values[name]), nasty_text) if name in values else nasty_text
        for name in PARAMS
    }
    pair = st.sampled_from(PARAMS).flatmap(lambda n: st.tuples(st.just(n), value[n]))
    pairs = st.lists(pair, max_size=8)
    form = st.builds(encode_pairs, pairs, st.just(False))
    json_value = st.one_of(
        st.sampled_from([v for name in ("client_id", "code", "grant_type") for v in values[name]]),
        nasty_text,
        st.integers(),
        st.booleans(),
        st.none(),
        st.lists(st.integers()),
    )
    json_body = st.one_of(
        st.dictionaries(st.sampled_from(PARAMS), json_value, max_size=6).map(
            lambda d: json.dumps(d).encode()
        ),
        st.sampled_from(HOSTILE_JSON),
    )
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
    known_paths = sorted({fake.paths[name] for name in endpoints or fake.paths})
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
        # The authorize step's pages, or (served) the root page telling a browser what it is.
        pages = [fake.paths[name] for name in fake.authorize_endpoints]
        assert call.path in pages or call.path.strip("/") == "", where  # "//" is the root too
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
        elif isinstance(fake, GoogleFake) and isinstance(data.get("error"), dict):
            # Google's REST APIs (the legacy userinfo): {"error": {code, message, status}}.
            assert data["error"]["code"] == status, where
            assert isinstance(data["error"]["message"], str), where
        else:
            assert isinstance(data.get("error"), str) and data["error"], where


def state_of(fake: OAuthFake) -> dict[str, Any]:
    """Everything a request could change: codes (and their use), tokens (and revocation),
    users, clients."""
    return {
        "codes": {c.code: c.used for c in fake.codes},
        "tokens": {t.access_token: t.revoked for t in fake.tokens},
        "users": len(fake.users),
        "clients": sorted(fake.clients),
    }


def refused(status: int, headers: Any, body: bytes) -> bool:
    """Whether the provider said no: a 4xx, an error in the body (GitHub's HTTP-200 errors)
    or an error sent back to the client by redirect."""
    if status >= 400:
        return True
    location = headers.get("Location") or ""
    if 300 <= status < 400:
        return "error" in parse_qs(urlsplit(location).query)
    text = body.decode("utf-8", "replace")
    if text.startswith("{"):
        try:
            return "error" in json.loads(text)
        except ValueError:
            return False
    return "error" in parse_qs(text)


def assert_refusal_kept_state(
    fake: OAuthFake, call: Call, before: dict[str, Any], status: int, headers: Any, body: bytes
) -> None:
    """A refused request changed no state (a replayed code may revoke what it issued)."""
    if not refused(status, headers, body):
        return
    after = state_of(fake)
    where = f"{type(fake).__name__} {call.method} {call.path} -> {status}: {body[:200]!r}"
    used = [code for code, was_used in before["codes"].items() if was_used]
    sent = call.query + call.body.decode("utf-8", "replace")
    if any(code in sent for code in used):
        # RFC 6749 4.1.2: the replay of a used code revokes its tokens, and nothing else.
        assert after["tokens"].keys() == before["tokens"].keys(), where
        after["tokens"] = before["tokens"]
    assert after == before, where


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
        before = state_of(fake)
        response = session.request(
            call.method,
            call.url(_base(fake, known)),
            data=call.body,
            headers=call.headers,
            timeout=5,
            allow_redirects=False,
        )
        status, headers, body = response.status_code, response.headers, response.content
        assert_oauth_shaped(fake, call, status, headers, body)
        assert_refusal_kept_state(fake, call, before, status, headers, body)

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
            before = state_of(fake)
            response = session.request(
                call.method,
                call.url(server.url),
                data=call.body,
                headers=call.headers,
                timeout=5,
                allow_redirects=False,
            )
            status, headers, body = response.status_code, response.headers, response.content
            assert_oauth_shaped(fake, call, status, headers, body)
            assert_refusal_kept_state(fake, call, before, status, headers, body)

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


# ---- refused requests change nothing, with fresh state for every example ---------------------

#: Stand-ins replaced, in each example, by a code, tokens and an ID token issued just before.
FRESH = {
    "MKFRESHCODE": "code",
    "MKUSEDCODE": "used_code",
    "MKFRESHACCESS": "access_token",
    "MKFRESHREFRESH": "refresh_token",
    "MKFRESHIDTOKEN": "id_token",
}
VERIFIER = "mockkit-verifier-" + "v" * 30
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")


def issue_fresh(fake: OAuthFake) -> dict[str, str]:
    """Two codes (one redeemed, one not, both with PKCE) and the redeemed one's tokens."""
    query = {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid email profile user:email",
        "nonce": "n1",
        "access_type": "offline",
        "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256",
    }
    codes = []
    for _ in range(2):
        answer = requests.post(
            fake.canonical_url("authorize") + "?" + urlencode(query),
            data={"decision": "allow"},
            allow_redirects=False,
            timeout=5,
        )
        codes.append(parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0])
    issued = requests.post(
        fake.canonical_url("token"),
        data={"grant_type": "authorization_code", "code": codes[0], "redirect_uri": REDIRECT,
              "code_verifier": VERIFIER},
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        headers={"Accept": "application/json"},
        timeout=5,
    ).json()  # fmt: skip
    return {
        "code": codes[1],
        "used_code": codes[0],
        "access_token": issued["access_token"],
        "refresh_token": issued["refresh_token"],
        "id_token": issued.get("id_token", "x.y.z"),
    }


def with_fresh(call: Call, fresh: dict[str, str]) -> Call:
    """`call` with the stand-ins replaced by this example's fresh values."""
    query, body = call.query, call.body
    for stand_in, name in FRESH.items():
        query = query.replace(stand_in, fresh[name])
        body = body.replace(stand_in.encode(), fresh[name].encode())
    return Call(call.method, call.path, query, body, call.headers)


def near_valid(fake: OAuthFake, values: dict[str, list[str]]) -> st.SearchStrategy[Call]:
    """Requests that would succeed (authorize, code exchange, refresh, revocation with this
    example's fresh values), each changed in up to three ways: a parameter dropped, repeated
    or replaced (by another real value or hostile text), credentials dropped or wrong, the
    body re-typed, the method changed. Most are refused; some still succeed."""
    credentials = f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()
    basic = "Basic " + base64.b64encode(credentials).decode()
    authorize = {
        "response_type": "code", "client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT,
        "scope": "openid email", "state": "s", "nonce": "n", "code_challenge": CHALLENGE.decode(),
        "code_challenge_method": "S256", "decision": "allow",
    }  # fmt: skip
    templates: list[tuple[str, dict[str, str], set[str]]] = [
        (fake.paths[name], dict(authorize), {"decision"}) for name in fake.authorize_endpoints
    ]
    tokens = [n for n in fake.paths if n in ("token", "legacy_token")]
    for name in tokens:
        templates.append((fake.paths[name], {"grant_type": "authorization_code",
                          "code": "MKFRESHCODE", "redirect_uri": REDIRECT,
                          "code_verifier": VERIFIER}, set()))  # fmt: skip
        templates.append((fake.paths[name], {"grant_type": "refresh_token",
                          "refresh_token": "MKFRESHREFRESH"}, set()))  # fmt: skip
    if "revoke" in fake.paths:
        for value in ("MKFRESHACCESS", "MKFRESHREFRESH"):
            templates.append((fake.paths["revoke"], {"token": value}, set()))
    alternatives = {
        name: st.one_of(st.sampled_from(values.get(name) or ["x"]), nasty_text) for name in PARAMS
    }
    # Mostly one change to a parameter the request really has: the closest misses.
    kinds = ["replace"] * 4 + ["drop", "repeat", "extra", "auth", "type", "method"]
    change = st.tuples(st.sampled_from(kinds), st.sampled_from(PARAMS), st.data())

    @st.composite
    def build(draw: st.DrawFn) -> Call:
        path, params, in_body = draw(st.sampled_from(templates))
        params = dict(params)
        pairs_extra: list[tuple[str, str]] = []
        headers = {
            "Authorization": basic,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        method = "POST"
        for kind, name, data in draw(st.lists(change, min_size=1, max_size=2)):
            key = data.draw(st.sampled_from(sorted(params))) if params else name
            if kind == "drop":
                params.pop(key, None)
            elif kind == "repeat":
                pairs_extra.append((key, data.draw(alternatives[key])))
            elif kind == "replace":
                params[key] = data.draw(alternatives[key])
            elif kind == "extra":
                params[name] = data.draw(alternatives[name])
            elif kind == "auth":
                headers["Authorization"] = data.draw(st.sampled_from([
                    "", "Basic " + base64.b64encode(b"mockkit-client:wrong").decode(),
                    "Basic " + base64.b64encode(b"other-client:other-secret").decode(),
                    "Basic " + base64.b64encode(b"public-client:").decode(), "Basic !!",
                    "Bearer MKFRESHACCESS",
                ]))  # fmt: skip
            elif kind == "type":
                headers["Content-Type"] = data.draw(
                    st.sampled_from(["", "application/json", "text/plain"])
                )
            else:
                method = data.draw(st.sampled_from(["GET", "PUT", "DELETE"]))
        at_authorize = path in [fake.paths[n] for n in fake.authorize_endpoints]
        query_pairs = [(k, v) for k, v in params.items() if at_authorize and k not in in_body]
        body_pairs = [(k, v) for k, v in params.items() if (k, v) not in query_pairs]
        body_pairs += pairs_extra
        headers = {k: v for k, v in headers.items() if v}
        return Call(method, path, encode_pairs(query_pairs, False).decode(),
                    encode_pairs(body_pairs, False), headers)  # fmt: skip

    return build()


STATEFUL = {
    "github": lambda: GitHubFake(expiring_tokens=True),
    "google": GoogleFake,
    "oidc": OIDCProviderFake,
}


@pytest.mark.parametrize("name", sorted(STATEFUL))
def test_a_refused_request_changes_nothing(name: str, tally: Tally) -> None:
    """Each example gets a fresh unused code, a used one and live tokens, then one hostile
    request at a state-changing endpoint: refused, it must leave codes, tokens and users as
    they were (a refused exchange does not burn the code, a refused revocation revokes
    nothing, a refused authorization issues no code)."""
    fake = STATEFUL[name]()
    with fake:
        values = prepare(fake)
        values.update(
            code=["MKFRESHCODE", "MKUSEDCODE"],
            code_verifier=[VERIFIER, VERIFIER[:-1] + "w", "short"],
            refresh_token=["MKFRESHREFRESH"],
            token=["MKFRESHACCESS", "MKFRESHREFRESH"],
            access_token=["MKFRESHACCESS"],
            id_token=["MKFRESHIDTOKEN"],
        )
        endpoints = [n for n in fake.paths if "token" in n or "authorize" in n or n == "revoke"]
        surface = f"{type(fake).__name__}: refused requests change nothing"
        session = requests.Session()

        @settings(FUZZ, max_examples=IN_PROCESS_EXAMPLES * 3 // 10)
        @given(call=st.one_of(near_valid(fake, values), fake_strategy(fake, values, endpoints)))
        def check(call: Call) -> None:
            tally.add(surface)
            call = with_fresh(call, issue_fresh(fake))
            before = state_of(fake)
            response = session.request(
                call.method,
                call.url(_base(fake, call.path) if call.path in fake.paths.values()
                         else _base(fake, fake.paths["token"])),
                data=call.body,
                headers=call.headers,
                timeout=5,
                allow_redirects=False,
            )  # fmt: skip
            status, headers, body = response.status_code, response.headers, response.content
            assert_oauth_shaped(fake, call, status, headers, body)
            assert_refusal_kept_state(fake, call, before, status, headers, body)

        check()
