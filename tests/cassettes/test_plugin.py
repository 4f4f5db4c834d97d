"""The pytest plugin end to end, in a throwaway project run by a real pytest process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import requests
import yaml

TEST_FILE = textwrap.dedent(
    """
    import pytest
    import requests

    from mockkit import BaseFake, Response

    TOY = "https://api.toy.test"


    class Toy(BaseFake):
        hosts = (TOY,)

        def dispatch(self, request):
            return Response.json({"path": request.path, "access_token": "gho_" + "s" * 30})


    @pytest.fixture
    def base(mockkit_cassette):
        if mockkit_cassette.replaying:
            yield TOY
            return
        with Toy().serve() as server:
            mockkit_cassette.add_hosts({server.url: TOY})
            yield server.url


    @pytest.mark.mockkit_cassette
    def test_passes(base):
        assert requests.get(base + "/v1/things", timeout=5).json()["path"] == "/v1/things"


    @pytest.mark.mockkit_cassette
    def test_fails(base):
        requests.get(base + "/v1/other", timeout=5)
        assert False, "this test fails after its request"


    @pytest.mark.mockkit_cassette(path="test_shop/test_passes.yaml")
    def test_swallowed_miss(base):
        try:
            requests.get(base + "/v1/unrecorded", timeout=5)
        except Exception:
            pass  # an app that turns every provider failure into an error page
        assert False, "the shop showed its error page"


    @pytest.mark.mockkit_cassette(record_mode="once", path="custom/named.yaml")
    def test_marker_options(base):
        assert requests.get(base + "/v1/marker", timeout=5).status_code == 200
    """
)


def _run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "MOCKKIT_RECORD_MODE", "MOCKKIT_ALLOW_CI_RECORDING")
        and not k.startswith(("PYTEST_", "COV_"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
        cwd=project,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_record_replay_and_failing_tests_through_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "test_shop.py").write_text(TEST_FILE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    cassettes = tmp_path / "cassettes"

    # 1. Record. The failing test's cassette is never written; the marker's path is used.
    run = _run(tmp_path, "--mockkit-record-mode=rewrite")
    assert "2 failed, 2 passed" in run.stdout, run.stdout + run.stderr
    passed = cassettes / "test_shop" / "test_passes.yaml"
    assert passed.is_file()
    assert not (cassettes / "test_shop" / "test_fails.yaml").exists()
    assert (cassettes / "custom" / "named.yaml").is_file()
    data = yaml.safe_load(passed.read_text())
    assert data["interactions"][0]["request"]["uri"] == "https://api.toy.test/v1/things"
    assert data["metadata"]["mockkit"]["test"] == "test_shop.py::test_passes"
    assert "gho_" not in passed.read_text()
    recorded = passed.read_bytes()

    # 2. Replay, with CI=true forcing it even though re-recording is asked for: the tests
    # pass offline from the files, nothing is rewritten, the play log says what was played,
    # and the test whose cassette was never written errors at once, saying why.
    run = _run(tmp_path, MOCKKIT_RECORD_MODE="rewrite", CI="true")
    assert "1 failed, 2 passed, 1 error" in run.stdout, run.stdout + run.stderr
    assert passed.read_bytes() == recorded
    assert "test_fails.yaml does not exist (record mode 'none' (forced by CI=true" in run.stdout
    logs = list((cassettes / ".played").glob("*.jsonl"))
    assert logs and '"played": [0]' in logs[0].read_text()
    # A miss the code under test swallowed still shows in the failing test's report.
    assert "mockkit cassette miss" in run.stdout
    assert "no unplayed answer for GET https://api.toy.test/v1/unrecorded" in run.stdout


def test_unknown_marker_arguments_are_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.mockkit_cassette(recordmode='once')\n"
        "def test_x():\n    pass\n"
    )
    run = _run(tmp_path)
    assert "unknown mockkit_cassette argument(s): recordmode" in run.stdout + run.stderr


BARE_USE = textwrap.dedent(
    """
    import requests

    from mockkit.cassettes import use

    TOY = "https://api.toy.test"


    def test_replays():
        with use("data/toy.yaml"):
            assert requests.get(TOY + "/v1/things", timeout=5).json()["path"] == "/v1/things"


    def test_swallowed_miss():
        with use("data/toy.yaml"):
            try:
                requests.get(TOY + "/v1/unrecorded", timeout=5)
            except Exception:
                pass  # an app that turns every provider failure into an error page
        assert False, "the shop showed its error page"


    def test_missing_cassette():
        with use("data/missing.yaml"):
            pass
    """
)


def test_bare_use_reports_misses_and_writes_play_logs(tmp_path: Path, toy_server: Any) -> None:
    from mockkit.cassettes import use

    data = tmp_path / "data"
    with use(data / "toy.yaml", "rewrite", hosts={toy_server.url: "https://api.toy.test"}):
        requests.get(toy_server.url + "/v1/things", timeout=5)
    (tmp_path / "test_bare.py").write_text(BARE_USE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")

    run = _run(tmp_path)
    assert "2 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    # The miss the app swallowed is in the failing test's report, as for marker cassettes.
    assert "mockkit cassette miss" in run.stdout
    assert "no unplayed answer for GET https://api.toy.test/v1/unrecorded" in run.stdout
    # The missing cassette says how to record it without reaching a real provider.
    assert "point the client at mockkit's local sandbox" in run.stdout
    assert "MOCKKIT_SANDBOX=provider" in run.stdout

    # The replays were logged beside the cassette (kept out of git), so `check` knows them.
    assert (data / ".played" / ".gitignore").read_text() == "*\n"
    check = subprocess.run(
        [sys.executable, "-m", "mockkit", "cassettes", "check", "data"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "toy.yaml: 1 interaction," in check.stdout
    assert "played: every interaction" in check.stdout
    assert "no play log" not in check.stdout
    assert "1 cassette checked" in check.stdout
