"""Replay: offline, network blocked, O(1) lookups, clear misses, canonical hosts."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
import vcr

import mockkit.cassettes.replay as replay_module
from mockkit import NetworkBlockedError
from mockkit.cassettes import CassetteMiss, MockkitPerformanceWarning, load_cassette, use
from mockkit.transport import requested_sleeps

TOY = "https://api.toy.test"


def _record_things(path: Path, server_url: str, count: int = 3) -> None:
    with use(path, "rewrite", hosts={server_url: TOY}):
        for i in range(count):
            requests.post(
                server_url + "/v1/things",
                data={"amount": str(1000 + i), "currency": "usd", "metadata[order]": str(i)},
                timeout=5,
            )


def test_replay_answers_from_the_file_for_the_canonical_host(
    toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    _record_things(path, toy_server.url)
    toy_server.stop()  # the sandbox is gone: only the cassette can answer now
    with use(path) as cassette:
        bodies = [
            requests.post(
                TOY + "/v1/things",
                data={"metadata[order]": str(i), "currency": "usd", "amount": str(1000 + i)},
                timeout=5,
            ).json()
            for i in range(3)
        ]
    assert [b["id"] for b in bodies] == ["obj_0000000001", "obj_0000000002", "obj_0000000003"]
    # Absolute URLs the sandbox put in bodies point at the canonical host, not the dead port.
    assert bodies[0]["self"] == "https://api.toy.test/v1/things/obj_0000000001"
    assert cassette.played == [0, 1, 2]


def test_identical_requests_replay_in_recorded_order_then_miss(
    toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with use(path, "rewrite", hosts={toy_server.url: TOY}):
        for _ in range(2):
            requests.get(toy_server.url + "/v1/things/same", timeout=5)
    with use(path):
        first = requests.get(TOY + "/v1/things/same", timeout=5).json()["id"]
        second = requests.get(TOY + "/v1/things/same", timeout=5).json()["id"]
        with pytest.raises(
            CassetteMiss, match=r"recorded 2 times \(#0, #1\) and every one was already played"
        ):
            requests.get(TOY + "/v1/things/same", timeout=5)
    assert (first, second) == ("obj_0000000001", "obj_0000000002")
    with use(path, allow_playback_repeats=True):
        ids = [requests.get(TOY + "/v1/things/same", timeout=5).json()["id"] for _ in range(3)]
    assert ids == ["obj_0000000001", "obj_0000000002", "obj_0000000002"]


def test_a_miss_names_the_closest_request_and_the_differing_fields(
    toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    _record_things(path, toy_server.url)
    with use(path), pytest.raises(CassetteMiss) as caught:
        requests.post(
            TOY + "/v1/things",
            data={"amount": "2000", "currency": "eur", "metadata[order]": "1"},
            timeout=5,
        )
    message = str(caught.value)
    assert "has no unplayed answer for POST https://api.toy.test/v1/things" in message
    assert "Closest recorded request: #1 POST https://api.toy.test/v1/things" in message
    assert "form field 'amount': recorded '1001', sent '2000'" in message
    assert "form field 'currency': recorded 'usd', sent 'eur'" in message
    assert "MOCKKIT_RECORD_MODE=new_episodes" in message


def test_json_bodies_are_compared_key_by_key(toy_server: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with use(path, "rewrite", hosts={toy_server.url: TOY}):
        requests.post(toy_server.url + "/v2/things", json={"a": 1, "nested": {"b": "x"}}, timeout=5)
    with use(path):
        # Key order does not matter...
        requests.post(TOY + "/v2/things", json={"nested": {"b": "x"}, "a": 1}, timeout=5)
    with use(path), pytest.raises(CassetteMiss) as caught:
        requests.post(TOY + "/v2/things", json={"a": 1, "nested": {"b": "y"}, "c": True}, timeout=5)
    assert "JSON field 'nested.b': recorded '\"x\"', sent '\"y\"'" in str(caught.value)
    assert "JSON field 'c': not recorded, sent 'true'" in str(caught.value)


def test_oauth_random_values_do_not_break_a_replay(toy_server: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    with use(path, "rewrite", hosts={toy_server.url: TOY}):
        requests.post(
            toy_server.url + "/token",
            data={
                "code": "first-code",
                "code_verifier": "v" * 43,
                "state": "s1",
                "grant_type": "authorization_code",
            },
            timeout=5,
        )
    with use(path):
        token = requests.post(
            TOY + "/token",
            data={
                "code": "another-code",
                "code_verifier": "w" * 43,
                "state": "s2",
                "grant_type": "authorization_code",
            },
            timeout=5,
        ).json()
    assert token["access_token"] == "<ACCESS_TOKEN>"


def test_replay_blocks_the_network_at_once(toy_server: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _record_things(path, toy_server.url, 1)
    with use(path):
        with pytest.raises(NetworkBlockedError, match="DNS lookup of 'example.com'"):
            socket.getaddrinfo("example.com", 443)
        with socket.socket() as sock, pytest.raises(NetworkBlockedError, match="connection to"):
            sock.connect(("93.184.216.34", 80))


def test_a_stripe_miss_raises_once_without_retry_sleeps(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("interactions: []\nversion: 1\n")
    client = stripe.StripeClient("sk_test_mockkit", max_network_retries=2)
    before = len(requested_sleeps)
    with use(path), pytest.raises(stripe.APIConnectionError) as caught:
        client.v1.customers.retrieve("cus_missing")
    assert "mockkit cassette" in str(caught.value)
    assert "cassette holds no interactions" in str(caught.value)
    assert len(requested_sleeps) == before  # the SDK never asked to back off: no retry at all


def test_a_missing_cassette_says_so(tmp_path: Path) -> None:
    # At once, before the code under test runs: every request would miss anyway.
    with pytest.raises(CassetteMiss, match=r"nope.yaml does not exist \(record mode 'none'"):
        with use(tmp_path / "nope.yaml"):
            pass


def test_lookups_do_not_scan_the_cassette(
    toy_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    with use(path, "rewrite", hosts={toy_server.url: TOY}):
        for i in range(300):
            requests.get(f"{toy_server.url}/v1/things/{i}", timeout=5)
    with use(path):
        calls = []
        real = replay_module.normalize
        monkeypatch.setattr(
            replay_module, "normalize", lambda *a, **k: calls.append(1) or real(*a, **k)
        )
        for i in (299, 0, 150):
            assert (
                requests.get(f"{TOY}/v1/things/{i}", timeout=5).json()["path"] == f"/v1/things/{i}"
            )
    # One normalisation per request, whatever the cassette's size: a dict lookup, no scan.
    assert len(calls) == 3


def test_plain_vcrpy_replays_a_mockkit_cassette(toy_server: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _record_things(path, toy_server.url, 2)
    with vcr.VCR(record_mode="none").use_cassette(str(path)):
        body = requests.post(
            TOY + "/v1/things",
            data={"amount": "1000", "currency": "usd", "metadata[order]": "0"},
            timeout=5,
        ).json()
    assert body["id"] == "obj_0000000001"
    assert load_cassette(path).mockkit["sandbox"] == "local"


def test_a_missing_libyaml_is_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    import mockkit.cassettes.store as store

    monkeypatch.setattr(store, "HAVE_LIBYAML", False)
    monkeypatch.setattr(store, "_warned_no_libyaml", False)
    with pytest.warns(MockkitPerformanceWarning, match="without libyaml"):
        store.parse_cassette("interactions: []\nversion: 1\n")


def test_a_gzipped_body_from_a_plain_vcrpy_cassette_replays(tmp_path: Path) -> None:
    import gzip

    import yaml

    body = gzip.compress(b'{"id": "cus_gz", "object": "customer"}')
    path = tmp_path / "gz.yaml"
    interaction = {
        "request": {"method": "GET", "uri": "https://api.stripe.com/v1/customers/cus_gz",
                    "body": None, "headers": {}},
        "response": {"status": {"code": 200, "message": "OK"},
                     "headers": {"Content-Type": ["application/json"],
                                 "Content-Encoding": ["gzip"]},
                     "body": {"string": body}},
    }  # fmt: skip
    path.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}))
    with use(path):
        assert (
            requests.get("https://api.stripe.com/v1/customers/cus_gz", timeout=5).json()["id"]
            == "cus_gz"
        )
