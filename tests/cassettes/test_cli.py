"""`python -m mockkit cassettes check` and `cassettes diff` on good and bad cassettes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import stripe
import yaml

from mockkit.cassettes import HostMap, use
from mockkit.cli import main
from mockkit.oauth import GitHubFake
from mockkit.stripe import StripeFake


def _stripe_cassette(path: Path) -> None:
    """Two Stripe calls recorded against the local sandbox (the second uses the first's id)."""
    with StripeFake().serve() as server:
        client = stripe.StripeClient("sk_test_mockkit", base_addresses={"api": server.url})
        with use(path, "rewrite", hosts={server.url: "https://api.stripe.com"}):
            customer = client.v1.customers.create(params={"email": "ada@example.com"})
            client.v1.customers.update(customer.id, params={"metadata": {"order": "42"}})


def _edit(path: Path, index: int, change: object) -> None:
    data = yaml.safe_load(path.read_text())
    response = data["interactions"][index]["response"]
    body = json.loads(response["body"]["string"])
    change(body, response)  # type: ignore[operator]
    response["body"]["string"] = json.dumps(body)
    path.write_text(yaml.safe_dump(data))


@pytest.fixture
def stripe_cassette(tmp_path: Path) -> Path:
    path = tmp_path / "cassettes" / "test_pay" / "test_customer.yaml"
    _stripe_cassette(path)
    return path


def test_check_passes_a_clean_cassette(
    stripe_cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cassettes", "check", str(stripe_cassette.parent.parent)]) == 0
    out = capsys.readouterr().out
    assert "test_customer.yaml: 2 interactions" in out
    assert "secrets: none found" in out
    assert "recorded 20" in out and "(0 days ago)" in out


def test_check_fails_on_a_secret_and_says_where(
    stripe_cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = stripe_cassette.read_text().replace(
        "Bearer <STRIPE_API_KEY>", "Bearer sk_live_" + "4" * 24, 1
    )
    stripe_cassette.write_text(text)
    assert main(["cassettes", "check", str(stripe_cassette)]) == 1
    out = capsys.readouterr().out
    assert "SECRETS FOUND (1)" in out
    assert (
        "interaction #0 (POST https://api.stripe.com/v1/customers), request header "
        "'Authorization': a Stripe live secret key" in out
    )
    assert "4" * 24 not in out


def test_check_fails_on_unreadable_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.yaml").write_text("interactions: [\n  - {request: \n")
    assert main(["cassettes", "check", str(tmp_path)]) == 1
    assert "ERROR" in capsys.readouterr().out


def test_check_passes_an_empty_or_absent_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cassettes", "check", str(tmp_path)]) == 0
    assert main(["cassettes", "check", str(tmp_path / "absent")]) == 0
    out = capsys.readouterr().out
    assert "no cassettes found" in out and "does not exist" in out


def test_check_reports_interactions_never_played_and_age(
    stripe_cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = stripe_cassette.parent.parent
    log = root / ".played" / "main-1.jsonl"
    with use(stripe_cassette, play_log=log):
        stripe.StripeClient("sk_test_x", max_network_retries=0).v1.customers.create(
            params={"email": "ada@example.com"}
        )
    data = yaml.safe_load(stripe_cassette.read_text())
    data["metadata"]["mockkit"]["recorded_at"] = "2020-01-01T00:00:00Z"
    # The play log describes the file as it was: after an edit it no longer applies...
    stripe_cassette.write_text(yaml.safe_dump(data))
    assert main(["cassettes", "check", str(root)]) == 0
    assert "no play log for this version" in capsys.readouterr().out
    # ...so replay the edited file again, then the report is about this version.
    with use(stripe_cassette, play_log=log):
        stripe.StripeClient("sk_test_x", max_network_retries=0).v1.customers.create(
            params={"email": "ada@example.com"}
        )
    assert main(["cassettes", "check", str(root), "--max-age-days", "30"]) == 0
    out = capsys.readouterr().out
    assert "never played (1):" in out
    assert "#1 POST https://api.stripe.com/v1/customers/" in out
    assert "days ago (more than 30)" in out
    assert main(["cassettes", "check", str(root), "--strict"]) == 1


def test_diff_finds_no_drift_when_the_sandbox_answers_the_same(
    stripe_cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stripe_cassette.read_bytes()
    assert main(["cassettes", "diff", str(stripe_cassette)]) == 0
    out = capsys.readouterr().out
    assert "#0 POST https://api.stripe.com/v1/customers: same" in out
    # The second request used the first one's id: the fresh id was carried forward.
    assert "#1 POST https://api.stripe.com/v1/customers/cus_" in out and "CHANGED" not in out
    assert "2 interactions compared, 0 changed, 0 skipped" in out
    assert stripe_cassette.read_bytes() == before  # the stored cassette is never touched


def test_diff_reports_field_level_drift(
    stripe_cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def drift(body: dict, response: dict) -> None:  # type: ignore[type-arg]
        body["email"] = "someone@else.example"
        body["legacy_field"] = "gone"
        del body["metadata"]
        body["balance"] = "0"

    _edit(stripe_cassette, 1, drift)
    assert main(["cassettes", "diff", str(stripe_cassette)]) == 1
    out = capsys.readouterr().out
    assert "#1 POST https://api.stripe.com/v1/customers/cus_" in out and "CHANGED" in out
    assert "~ field 'email': 'someone@else.example' -> 'ada@example.com'" in out
    assert "- field 'legacy_field' removed" in out
    assert "+ field 'metadata.order' added ('42')" in out
    assert "~ field 'balance': type str -> int" in out
    assert "#0 POST https://api.stripe.com/v1/customers: same" in out


def test_diff_skips_what_only_a_browser_login_can_provide(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "profile.yaml"
    interaction = {
        "request": {
            "method": "GET",
            "uri": "https://api.github.com/user",
            "body": None,
            "headers": {"Authorization": ["Bearer <ACCESS_TOKEN>"]},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Content-Type": ["application/json"]},
            "body": {"string": '{"login": "octocat"}'},
        },
    }
    path.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}))
    assert main(["cassettes", "diff", str(path)]) == 0
    out = capsys.readouterr().out
    assert "#0 GET https://api.github.com/user: skipped (needs a real credential" in out
    assert "0 interactions compared, 0 changed, 1 skipped" in out


def test_diff_replays_an_oauth_login_against_the_local_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "login.yaml"
    fake = GitHubFake().with_defaults()
    with fake.serve() as server:
        code = fake.provider.issue_code(
            "mockkit-client", fake.default_user(), "http://localhost/cb", "read:user"
        ).code
        with use(path, "rewrite", hosts=HostMap.for_served([(server.url, fake)])):
            token = requests.post(
                server.url + "/login/oauth/access_token",
                data={"code": code, "redirect_uri": "http://localhost/cb"},
                auth=("mockkit-client", "mockkit-secret"),
                headers={"Accept": "application/json"},
                timeout=5,
            ).json()["access_token"]
            requests.get(
                server.url + "/user", headers={"Authorization": f"Bearer {token}"}, timeout=5
            )
    # A fresh code and client credentials are minted by the sandbox's GitHub fake, and the
    # fresh access token is carried to the profile request.
    assert main(["cassettes", "diff", str(path)]) == 0
    out = capsys.readouterr().out
    assert "#0 POST https://github.com/login/oauth/access_token: same" in out
    assert "#1 GET https://api.github.com/user: same" in out

    def drift(body: dict, response: dict) -> None:  # type: ignore[type-arg]
        body["name"] = "Someone Else"

    _edit(path, 1, drift)
    assert main(["cassettes", "diff", str(path)]) == 1
    assert "~ field 'name': 'Someone Else' -> 'The Octocat'" in capsys.readouterr().out


def test_diff_errors_are_messages_not_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cassettes", "diff", str(tmp_path / "absent.yaml")]) == 2
    assert "no such cassette" in capsys.readouterr().err
    other = tmp_path / "other.yaml"
    other.write_text(
        yaml.safe_dump(
            {
                "interactions": [
                    {
                        "request": {
                            "method": "GET",
                            "uri": "https://api.example.org/x",
                            "body": None,
                            "headers": {},
                        },
                        "response": {
                            "status": {"code": 200, "message": "OK"},
                            "headers": {},
                            "body": {"string": ""},
                        },
                    }
                ]
            }
        )
    )
    assert main(["cassettes", "diff", str(other)]) == 2
    assert "the local sandbox has no fake for https://api.example.org" in capsys.readouterr().err


def test_diff_against_stripe_test_mode_keeps_the_key_out_of_the_fresh_recording(
    stripe_cassette: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Stripe test mode stood in for by the in-process fake answering https://api.stripe.com:
    # the same code path as the real one, without the network.
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_" + "k" * 24)
    keep = tmp_path / "fresh"
    with StripeFake():
        code = main(["cassettes", "diff", str(stripe_cassette), "--sandbox", "stripe-test",
                     "--keep", str(keep)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "re-recorded against the stripe-test sandbox" in out
    fresh = (keep / stripe_cassette.name).read_text()
    assert "uri: https://api.stripe.com/v1/customers" in fresh
    assert "k" * 24 not in fresh and "Bearer <STRIPE_API_KEY>" in fresh


def test_diff_refuses_a_live_key_and_needs_a_test_key(
    stripe_cassette: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STRIPE_API_KEY", "sk_live_" + "z" * 24)
    assert main(["cassettes", "diff", str(stripe_cassette), "--sandbox", "stripe-test"]) == 2
    assert "refuses to record with a live Stripe key" in capsys.readouterr().err
    monkeypatch.delenv("STRIPE_API_KEY")
    assert main(["cassettes", "diff", str(stripe_cassette), "--sandbox", "stripe-test"]) == 2
    assert "needs STRIPE_API_KEY=sk_test_" in capsys.readouterr().err
