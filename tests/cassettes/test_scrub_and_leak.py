"""A secret placed anywhere a provider puts one never reaches the cassette file.

Property-based: hypothesis draws random secrets (plain, with real-world prefixes, JWT-shaped)
and each test records a real exchange with the secret in one place, through vcrpy's stubs over
loopback, then reads the file back. Either the scrubber replaced it or the leak gate refused the
write; in both cases the bytes on disk never contain it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockkit.cassettes import (
    DEFAULT_SCRUBBER,
    CassetteLeakError,
    find_leaks,
    load_cassette,
    use,
)

TOY = "https://api.toy.test"

_alnum = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    min_size=16,
    max_size=40,
)


def _jwt(payload: str) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(b'{"alg":"RS256","kid":"k1"}')
    claims = b64(json.dumps({"sub": payload, "iss": "https://accounts.google.com"}).encode())
    return f"{header}.{claims}.{b64(payload.encode() * 2)}"


secrets = st.one_of(
    _alnum,
    _alnum.map(lambda s: "gho_" + s),
    _alnum.map(lambda s: "ghr_" + s),
    _alnum.map(lambda s: "sk_test_" + s),
    _alnum.map(lambda s: "whsec_" + s),
    _alnum.map(_jwt),
)

Pairs = list[tuple[str, str]]


def _at(pairs: Pairs, position: int, item: tuple[str, str]) -> Pairs:
    """`item` inserted among the filler pairs at `position` (clamped)."""
    position = min(position, len(pairs))
    return [*pairs[:position], item, *pairs[position:]]


def _nest(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = {f"level{level}": value} if level % 2 == 0 else [value]
    return value


# How the client sends a secret in each place: f(secret, filler pairs, position, depth).
REQUEST_PLACES = {
    "Authorization Bearer": lambda s, f, p, d: {"headers": {"Authorization": f"Bearer {s}"}},
    "Authorization Basic": lambda s, f, p, d: {
        "headers": {"Authorization": "Basic " + base64.b64encode(f"id:{s}".encode()).decode()}
    },
    "Cookie": lambda s, f, p, d: {
        "headers": {"Cookie": "; ".join(f"{k}={v}" for k, v in _at(f, p, ("session", s)))}
    },
    "Idempotency-Key": lambda s, f, p, d: {"headers": {"Idempotency-Key": s}},
    "X-Stripe-Client-User-Agent": lambda s, f, p, d: {
        "headers": {"X-Stripe-Client-User-Agent": json.dumps({"uname": s, "lang": "python"})}
    },
    "X-Stripe-Client-Telemetry": lambda s, f, p, d: {
        "headers": {"X-Stripe-Client-Telemetry": json.dumps({"last_request_metrics": s})}
    },
    "form client_secret": lambda s, f, p, d: {"data": _at(f, p, ("client_secret", s))},
    "form code": lambda s, f, p, d: {"data": _at(f, p, ("code", s))},
    "form code_verifier": lambda s, f, p, d: {"data": _at(f, p, ("code_verifier", s))},
    "form refresh_token": lambda s, f, p, d: {"data": _at(f, p, ("refresh_token", s))},
    "query code": lambda s, f, p, d: {"params": _at(f, p, ("code", s))},
    "query state": lambda s, f, p, d: {"params": _at(f, p, ("state", s))},
    "query access_token": lambda s, f, p, d: {"params": _at(f, p, ("access_token", s))},
    "JSON request client_secret": lambda s, f, p, d: {
        "json": _nest({**dict(f), "client_secret": s}, d)
    },
}
# Where the provider returns one: f(secret, filler pairs, depth) -> (JSON fields, headers).
RESPONSE_PLACES = {
    "JSON access_token": lambda s, f, d: ({"x": _nest({**dict(f), "access_token": s}, d)}, []),
    "JSON refresh_token": lambda s, f, d: ({"x": _nest({**dict(f), "refresh_token": s}, d)}, []),
    "JSON id_token": lambda s, f, d: ({"x": _nest({**dict(f), "id_token": s}, d)}, []),
    "JSON client_secret": lambda s, f, d: ({"x": _nest({**dict(f), "client_secret": s}, d)}, []),
    "JSON webhook secret": lambda s, f, d: ({"webhook": _nest({**dict(f), "secret": s}, d)}, []),
    "Set-Cookie": lambda s, f, d: ({}, [("Set-Cookie", f"sid={s}; Path=/; HttpOnly")]),
}

fillers = st.lists(
    st.tuples(
        st.sampled_from(["amount", "currency", "grant_type", "expand[0]", "scope", "x"]),
        st.text(alphabet="abcdef0123", min_size=1, max_size=6),
    ),
    max_size=4,
    unique_by=lambda pair: pair[0],
)

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _record(path: Path, server_url: str, send: dict[str, Any], route: str = "/v1/things") -> None:
    path.unlink(missing_ok=True)
    with use(path, "rewrite", hosts={server_url: TOY}):
        response = requests.post(server_url + route, timeout=5, **send)
        assert response.status_code == 200


@pytest.mark.parametrize("place", sorted(REQUEST_PLACES))
def test_a_secret_sent_by_the_client_is_scrubbed_before_the_file(
    place: str, toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"

    @SETTINGS
    @given(secret=secrets, filler=fillers, position=st.integers(0, 4), depth=st.integers(0, 3))
    def check(secret: str, filler: Pairs, position: int, depth: int) -> None:
        # Scrubbed by default, so the leak gate has nothing to refuse: the file is written...
        _record(path, toy_server.url, REQUEST_PLACES[place](secret, filler, position, depth))
        text = path.read_text()
        # ...without the secret, and still records the request.
        assert secret not in text
        assert "https://api.toy.test/v1/things" in text

    check()


@pytest.mark.parametrize("place", sorted(RESPONSE_PLACES))
def test_a_secret_returned_by_the_provider_is_scrubbed_before_the_file(
    place: str, toy: Any, toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"

    @SETTINGS
    @given(secret=secrets, filler=fillers, depth=st.integers(0, 3))
    def check(secret: str, filler: Pairs, depth: int) -> None:
        toy.extra, toy.extra_headers = RESPONSE_PLACES[place](secret, filler, depth)
        _record(path, toy_server.url, {})
        assert secret not in path.read_text()

    check()


@pytest.mark.parametrize("where", ["json", "header", "query"])
def test_a_secret_anywhere_else_is_refused_by_the_leak_gate(
    where: str, toy: Any, toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("interactions: []\nversion: 1\n")

    @SETTINGS
    @given(secret=secrets.filter(lambda s: not s.isalnum()), filler=fillers)
    def check(secret: str, filler: Pairs) -> None:
        # A field no scrubber rule names: only the secret's shape gives it away.
        send: dict[str, Any] = {}
        toy.extra = {}
        if where == "json":
            toy.extra = {**dict(filler), "unexpected": secret}
        elif where == "header":
            send = {"headers": {"X-Custom-Auth": secret}}
        else:
            send = {"params": _at(filler, 1, ("custom", secret))}
        with pytest.raises(CassetteLeakError) as caught:
            with use(path, "rewrite", hosts={toy_server.url: TOY}):
                requests.post(toy_server.url + "/v1/things", timeout=5, **send)
        assert secret not in str(caught.value)
        assert path.read_text() == "interactions: []\nversion: 1\n"

    check()


def test_scrubbed_fields_keep_stable_placeholders(
    toy: Any, toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    toy.extra = {"refresh_token": "r" * 30}
    toy.extra_headers = [("Set-Cookie", "sid=abcdefabcdef; Path=/")]
    with use(path, "rewrite", hosts={toy_server.url: TOY}):
        requests.post(
            toy_server.url + "/token?state=xyz",
            data={
                "code": "c0de",
                "client_secret": "s3cret-value",
                "grant_type": "authorization_code",
            },
            headers={"Authorization": "Bearer sk_test_" + "k" * 24, "Idempotency-Key": "idem-1"},
            timeout=5,
        )
    item = load_cassette(path).interactions[0]
    request, response = item["request"], item["response"]
    assert request["uri"] == "https://api.toy.test/token?state=<OAUTH_STATE>"
    assert request["body"] == (
        "code=<OAUTH_CODE>&client_secret=<CLIENT_SECRET>&grant_type=authorization_code"
    )
    assert request["headers"]["Authorization"] == ["Bearer <STRIPE_API_KEY>"]
    assert request["headers"]["Idempotency-Key"] == ["<IDEMPOTENCY_KEY>"]
    body = json.loads(response["body"]["string"])
    assert body["access_token"] == "<ACCESS_TOKEN>"
    assert body["refresh_token"] == "<REFRESH_TOKEN>"
    assert response["headers"]["Set-Cookie"] == ["sid=<COOKIE>; Path=/"]
    # The stored length matches the scrubbed body, so a plain vcrpy replay reads it whole.
    assert int(response["headers"]["Content-Length"][0]) == len(response["body"]["string"].encode())


def test_the_leak_gate_names_the_interaction_and_field_and_keeps_the_old_file(
    toy: Any, toy_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    with use(path, "rewrite", hosts={toy_server.url: TOY}):
        requests.get(toy_server.url + "/v1/first", timeout=5)
    good = path.read_bytes()

    monkeypatch.setenv("ACME_API_TOKEN", "acme-very-secret-value-42")
    toy.extra = {"note": "acme-very-secret-value-42", "leaked": "ghp_" + "Z" * 36}
    with pytest.raises(CassetteLeakError) as caught:
        with use(path, "rewrite", hosts={toy_server.url: TOY}):
            requests.get(toy_server.url + "/v1/first", timeout=5)
            requests.get(toy_server.url + "/v1/second", timeout=5)
    message = str(caught.value)
    assert "interaction #0 (GET https://api.toy.test/v1/first)" in message
    assert "response body JSON field 'note': the value of $ACME_API_TOKEN" in message
    assert "response body JSON field 'leaked': a GitHub token" in message
    assert "acme-very-secret-value-42" not in message  # the error never prints the secret
    assert path.read_bytes() == good


def test_users_can_scrub_their_own_fields_and_values(
    toy: Any, toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    toy.extra = {"api_secret": "custom-secret-1234567", "echo": "my-tenant-id-9876"}
    scrub = DEFAULT_SCRUBBER.add(
        json={"api_secret": "<API_SECRET>"}, values={"my-tenant-id-9876": "<TENANT>"}
    )
    with use(path, "rewrite", hosts={toy_server.url: TOY}, scrub=scrub):
        requests.get(
            toy_server.url + "/v1/things", params={"tenant": "my-tenant-id-9876"}, timeout=5
        )
    text = path.read_text()
    assert "custom-secret-1234567" not in text and "my-tenant-id-9876" not in text
    assert "<API_SECRET>" in text and "tenant=<TENANT>" in text


def test_find_leaks_reports_nothing_for_placeholders_and_ids() -> None:
    interactions = [
        {
            "request": {
                "method": "GET",
                "uri": "https://api.stripe.com/v1/customers/cus_123",
                "headers": {},
            },
            "response": {
                "headers": {},
                "body": {"string": '{"id": "pi_3Nabcdefgh", "key": "<STRIPE_API_KEY>"}'},
            },
        }
    ]
    assert find_leaks(json.dumps(interactions), interactions, secrets={}) == []


def test_environment_secrets_are_credentials_not_endpoints() -> None:
    from mockkit.cassettes.leak import environment_secrets

    found = environment_secrets(
        {
            "GITHUB_CLIENT_SECRET": "a-real-client-secret",
            "STRIPE_API_KEY": "sk_test_abcdefghij",
            "DATABASE_PASSWORD": "hunter2hunter2",
            "GITHUB_ACCESS_TOKEN_URL": "http://127.0.0.1:5000/login/oauth/access_token",
            "TOKEN_ENDPOINT": "https://oauth2.googleapis.com/token",
            "SECRET_FILE_PATH": "/run/secrets/stripe",
            "PROXY_TOKEN_URL": "https://user:p4ssw0rd-secret@proxy.example/token",
            "API_KEY_ENABLED": "true",
            "SECRET_PORT": "12345678",
            "HOME": "/root/not-a-secret-at-all",
        }
    )
    assert found == {
        "a-real-client-secret": "$GITHUB_CLIENT_SECRET",
        "sk_test_abcdefghij": "$STRIPE_API_KEY",
        "hunter2hunter2": "$DATABASE_PASSWORD",
        "https://user:p4ssw0rd-secret@proxy.example/token": "$PROXY_TOKEN_URL",
    }
