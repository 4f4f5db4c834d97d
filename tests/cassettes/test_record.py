"""Recording: modes, atomic writes only on success, live keys refused, CI forced to replay,
parallel writers, and host mapping from the local sandbox to canonical hosts."""

from __future__ import annotations

import multiprocessing
import socket
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe

from mockkit import NetworkBlockedError
from mockkit.cassettes import LiveKeyError, load_cassette, resolve_mode, use
from mockkit.cassettes.hosts import HostMap
from mockkit.cassettes.store import atomic_write, dump_cassette, locked, parse_cassette
from mockkit.oauth import GitHubFake
from mockkit.stripe import StripeFake

TOY = "https://api.toy.test"


def _ids(path: Path) -> list[str]:
    return [i["request"]["uri"] for i in load_cassette(path).interactions]


def test_a_block_that_raises_never_overwrites_a_good_cassette(
    toy_server: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    with use(path, "rewrite", hosts={toy_server.url: TOY}):
        requests.get(toy_server.url + "/v1/good", timeout=5)
    good = path.read_bytes()
    with pytest.raises(AssertionError), use(path, "rewrite", hosts={toy_server.url: TOY}):
        requests.get(toy_server.url + "/v1/bad", timeout=5)
        raise AssertionError("the test failed")
    assert path.read_bytes() == good
    assert not [p for p in tmp_path.iterdir() if p.name != "c.yaml"]  # no temp file left


def test_record_modes(toy_server: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    hosts = {toy_server.url: TOY}
    with use(path, "once", hosts=hosts) as cassette:  # missing: records
        assert not cassette.replaying
        requests.get(toy_server.url + "/v1/a", timeout=5)
    with use(path, "once", hosts=hosts) as cassette:  # exists: replay only
        assert cassette.replaying
        assert requests.get(TOY + "/v1/a", timeout=5).json()["id"] == "obj_0000000001"
    with use(path, "new_episodes", hosts=hosts):  # plays /v1/a, records /v1/b
        assert requests.get(toy_server.url + "/v1/a", timeout=5).json()["id"] == "obj_0000000001"
        requests.get(toy_server.url + "/v1/b", timeout=5)
    assert _ids(path) == [TOY + "/v1/a", TOY + "/v1/b"]
    with use(path, "all", hosts=hosts):  # re-records /v1/b in place, keeps /v1/a
        requests.get(toy_server.url + "/v1/b", timeout=5)
    assert _ids(path) == [TOY + "/v1/a", TOY + "/v1/b"]
    with use(path, "rewrite", hosts=hosts):  # a fresh cassette: only what ran now
        requests.get(toy_server.url + "/v1/c", timeout=5)
    assert _ids(path) == [TOY + "/v1/c"]
    meta = load_cassette(path).mockkit
    assert meta["record_mode"] == "rewrite" and meta["recorded_at"].endswith("Z")


def test_a_live_stripe_key_is_refused(
    toy_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_" + "x" * 24)
    with pytest.raises(LiveKeyError, match="refuses to record with a live Stripe key"):
        with use(path, "once"):
            pass
    monkeypatch.delenv("STRIPE_API_KEY")
    with use(path, "once", hosts={toy_server.url: TOY}):
        with pytest.raises(LiveKeyError):
            requests.get(
                toy_server.url + "/v1/x",
                headers={"Authorization": "Bearer rk_live_" + "y" * 24},
                timeout=5,
            )
    assert not path.exists()


def test_ci_forces_replay_unless_explicitly_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"CI": "true", "MOCKKIT_RECORD_MODE": "rewrite"}
    mode = resolve_mode(environ=env)
    assert (mode.mode, mode.requested, mode.forced_by_ci) == ("none", "rewrite", True)
    assert "forced by CI=true" in mode.describe()
    assert resolve_mode(environ={**env, "MOCKKIT_ALLOW_CI_RECORDING": "1"}).mode == "rewrite"


def test_mode_precedence_cli_env_code_ini() -> None:
    env = {"MOCKKIT_RECORD_MODE": "new_episodes"}
    assert resolve_mode(cli="all", code="once", ini="rewrite", environ=env).mode == "all"
    assert resolve_mode(code="once", ini="rewrite", environ=env).mode == "new_episodes"
    assert resolve_mode(code="once", ini="rewrite", environ={}).mode == "once"
    assert resolve_mode(ini="rewrite", environ={}).mode == "rewrite"
    assert resolve_mode(environ={}).mode == "none"
    with pytest.raises(
        ValueError, match=r"unknown record mode 'sometimes' \(from \$MOCKKIT_RECORD_MODE\)"
    ):
        resolve_mode(environ={"MOCKKIT_RECORD_MODE": "sometimes"})


def _writer(path: str, n: int) -> None:
    interactions = [
        {
            "request": {
                "method": "GET",
                "uri": f"https://api.toy.test/{n}/{i}",
                "body": None,
                "headers": {},
            },
            "response": {
                "status": {"code": 200, "message": "OK"},
                "headers": {},
                "body": {"string": "x" * 5000},
            },
        }
        for i in range(50)
    ]
    text = dump_cassette(interactions, {})
    for _ in range(20):
        with locked(path):
            atomic_write(path, text)


def test_parallel_writers_never_leave_a_torn_cassette(tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    _writer(str(path), 0)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), n)) for n in (1, 2)]
    for worker in workers:
        worker.start()
    seen = 0
    while any(w.is_alive() for w in workers) or seen == 0:
        data = parse_cassette(path.read_bytes())  # would raise on a half-written file
        assert len(data.interactions) == 50
        seen += 1
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert not [p for p in tmp_path.iterdir() if p.name != "shared.yaml"]


def test_stripe_recorded_against_the_local_sandbox_replays_for_the_real_host(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stripe.yaml"
    with StripeFake().serve() as server:
        local = stripe.StripeClient("sk_test_mockkit", base_addresses={"api": server.url})
        with use(path, "rewrite", hosts={server.url: "https://api.stripe.com"}):
            created = local.v1.customers.create(params={"email": "ada@example.com"})
    text = path.read_text()
    assert "127.0.0.1" not in text
    assert "uri: https://api.stripe.com/v1/customers" in text
    assert "sk_test_mockkit" not in text
    real = stripe.StripeClient("sk_test_other_key", max_network_retries=0)
    with use(path):
        replayed = real.v1.customers.create(params={"email": "ada@example.com"})
    assert replayed.id == created.id and replayed.email == "ada@example.com"


def test_github_paths_map_to_github_and_api_github(tmp_path: Path) -> None:
    fake = GitHubFake().with_defaults()
    with fake.serve() as server:
        hostmap = HostMap.for_served([(server.url, fake)])
        assert hostmap.map_url(server.url + "/login/oauth/access_token") == (
            "https://github.com/login/oauth/access_token"
        )
        assert hostmap.map_url(server.url + "/user/emails") == "https://api.github.com/user/emails"
        assert hostmap.map_text(f'{{"url": "{server.url}/login/oauth/authorize?x=1"}}') == (
            '{"url": "https://github.com/login/oauth/authorize?x=1"}'
        )


def test_the_sandbox_serves_fakes_only_when_recording_locally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockkit.cassettes.sandbox import Sandbox

    path = tmp_path / "c.yaml"
    with use(path, "rewrite") as cassette, Sandbox(cassette) as sandbox:
        url = sandbox.url("https://api.stripe.com")
        assert url.startswith("http://127.0.0.1:")
        assert sandbox.url("https://checkout.stripe.com") == url  # one fake, one port
        assert isinstance(sandbox.fake("https://api.stripe.com"), StripeFake)
        client = stripe.StripeClient("sk_test_mockkit", base_addresses={"api": url})
        client.v1.customers.create(params={"email": "grace@example.com"})
        # A request the test forgot to route to the sandbox never reaches the real Stripe.
        with pytest.raises(NetworkBlockedError):
            socket.getaddrinfo("api.stripe.com", 443)
    assert "uri: https://api.stripe.com/v1/customers" in path.read_text()
    with use(path) as cassette, Sandbox(cassette) as sandbox:
        assert sandbox.url("https://api.stripe.com") == "https://api.stripe.com"
        assert sandbox.fake("https://api.stripe.com") is None
    monkeypatch.setenv("MOCKKIT_SANDBOX", "provider")
    with use(tmp_path / "p.yaml", "rewrite") as cassette, Sandbox(cassette) as sandbox:
        assert sandbox.url("https://api.stripe.com/") == "https://api.stripe.com"


def test_a_parallel_writer_s_interactions_are_kept(toy_server: Any, tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    hosts = {toy_server.url: TOY}
    with use(path, "rewrite", hosts=hosts):
        requests.get(toy_server.url + "/v1/base", timeout=5)
    # Worker A loads the cassette and records /v1/a; meanwhile worker B loads the same file,
    # records /v1/b and saves first. A's save must not drop B's interaction.
    with use(path, "new_episodes", hosts=hosts):
        requests.get(toy_server.url + "/v1/a", timeout=5)
        with use(path, "new_episodes", hosts=hosts):
            requests.get(toy_server.url + "/v1/b", timeout=5)
        assert _ids(path) == [TOY + "/v1/base", TOY + "/v1/b"]
    assert _ids(path) == [TOY + "/v1/base", TOY + "/v1/b", TOY + "/v1/a"]


def test_following_the_recording_hint_cannot_reach_a_real_provider(
    tmp_path: Path, toy_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The missing-cassette message says to record with MOCKKIT_RECORD_MODE=once; an app
    that still points at the real provider must then fail at once, saying where to point it,
    instead of sending its traffic (and keys) to that provider."""
    from mockkit.cassettes import CassetteMiss

    path = tmp_path / "c.yaml"
    with pytest.raises(CassetteMiss) as missing, use(path):
        pass
    assert "mockkit_sandbox.url('https://api.stripe.com')" in str(missing.value)
    assert "MOCKKIT_SANDBOX=provider" in str(missing.value)

    monkeypatch.setenv("MOCKKIT_RECORD_MODE", "once")
    with use(path) as cassette:
        assert cassette.sandbox == "local"
        with pytest.raises(requests.ConnectionError, match="recording against the local sandbox"):
            requests.get("https://api.stripe.com/v1/customers", timeout=5)
        with pytest.raises(NetworkBlockedError, match="MOCKKIT_SANDBOX=provider"):
            socket.getaddrinfo("api.stripe.com", 443)
        # A served fake (loopback) records as before.
        requests.get(toy_server.url + "/v1/things", timeout=5)
    assert len(load_cassette(path).interactions) == 1

    # Recording against the real provider is an explicit choice: the recording no longer
    # blocks it (here the suite's own offline guard still does, with its generic message).
    monkeypatch.setenv("MOCKKIT_SANDBOX", "provider")
    with use(tmp_path / "p.yaml") as cassette:
        assert cassette.sandbox == "provider"
        with pytest.raises(NetworkBlockedError) as blocked:
            socket.getaddrinfo("api.stripe.com", 443)
        assert "recording against the local sandbox" not in str(blocked.value)
    monkeypatch.delenv("MOCKKIT_SANDBOX")
    with pytest.raises(ValueError, match="'local' or 'provider'"):
        use(path, sandbox="production")
