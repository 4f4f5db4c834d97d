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

# (place, how the client sends it / how the provider returns it)
REQUEST_PLACES = {
    "Authorization Bearer": lambda s: {"headers": {"Authorization": f"Bearer {s}"}},
    "Authorization Basic": lambda s: {
        "headers": {"Authorization": "Basic " + base64.b64encode(f"id:{s}".encode()).decode()}
    },
    "Cookie": lambda s: {"headers": {"Cookie": f"session={s}; theme=dark"}},
    "Idempotency-Key": lambda s: {"headers": {"Idempotency-Key": s}},
    "X-Stripe-Client-User-Agent": lambda s: {
        "headers": {"X-Stripe-Client-User-Agent": json.dumps({"uname": s, "lang": "python"})}
    },
    "X-Stripe-Client-Telemetry": lambda s: {
        "headers": {"X-Stripe-Client-Telemetry": json.dumps({"last_request_metrics": s})}
    },
    "form client_secret": lambda s: {"data": {"client_secret": s, "grant_type": "x"}},
    "form code": lambda s: {"data": {"code": s, "grant_type": "authorization_code"}},
    "form code_verifier": lambda s: {"data": {"code_verifier": s}},
    "form refresh_token": lambda s: {"data": {"refresh_token": s, "grant_type": "refresh_token"}},
    "query code": lambda s: {"params": {"code": s, "x": "1"}},
    "query state": lambda s: {"params": {"state": s}},
    "query access_token": lambda s: {"params": {"access_token": s}},
    "JSON request client_secret": lambda s: {"json": {"client_secret": s, "n": 1}},
}
RESPONSE_PLACES = {
    "JSON access_token": lambda s: ({"access_token": s}, []),
    "JSON refresh_token": lambda s: ({"refresh_token": s}, []),
    "JSON id_token": lambda s: ({"id_token": s}, []),
    "JSON client_secret": lambda s: ({"client_secret": s}, []),
    "JSON webhook secret": lambda s: ({"webhook": {"secret": s}}, []),
    "JSON nested access_token": lambda s: ({"data": [{"auth": {"access_token": s}}]}, []),
    "Set-Cookie": lambda s: ({}, [("Set-Cookie", f"sid={s}; Path=/; HttpOnly")]),
}

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _record(path: Path, server_url: str, send: dict[str, Any], route: str = "/v1/things") -> None:
    path.unlink(missing_ok=True)
    try:
        with use(path, "rewrite", hosts={server_url: TOY}):
            response = requests.post(server_url + route, timeout=5, **send)
            assert response.status_code == 200
    except CassetteLeakError:
        assert not path.exists()


@pytest.mark.parametrize("place", sorted(REQUEST_PLACES))
def test_a_secret_sent_by_the_client_never_reaches_the_file(
    place: str, toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"

    @SETTINGS
    @given(secret=secrets)
    def check(secret: str) -> None:
        _record(path, toy_server.url, REQUEST_PLACES[place](secret))
        if path.exists():
            text = path.read_text()
            assert secret not in text
            # Scrubbed with a placeholder, not dropped: the cassette still records the request.
            assert "https://api.toy.test/v1/things" in text

    check()


@pytest.mark.parametrize("place", sorted(RESPONSE_PLACES))
def test_a_secret_returned_by_the_provider_never_reaches_the_file(
    place: str, toy: Any, toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"

    @SETTINGS
    @given(secret=secrets)
    def check(secret: str) -> None:
        toy.extra, toy.extra_headers = RESPONSE_PLACES[place](secret)
        _record(path, toy_server.url, {})
        if path.exists():
            assert secret not in path.read_text()

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
