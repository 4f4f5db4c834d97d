"""`python -m demo_app` (the README's demo command): offline by default, real with credentials."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

REPO = Path(__file__).resolve().parents[2]
CREDENTIALS = ("GITHUB_CLIENT_ID", "GOOGLE_CLIENT_ID", "STRIPE_API_KEY")


def run_demo(**env: str) -> subprocess.Popen[str]:
    """Start `python -m demo_app` with `env` on top of a credential-free environment."""
    environ = {k: v for k, v in os.environ.items() if k not in CREDENTIALS}
    environ.update(env, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", "demo_app"],
        cwd=REPO,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    """A port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_without_credentials_the_demo_runs_on_the_served_fakes() -> None:
    process = run_demo(PORT="0")
    assert process.stdout is not None
    try:
        first = process.stdout.readline()
        assert first.startswith("mockkit demo shop, offline: http://127.0.0.1:"), first
        shop = first.split(": ", 1)[1].strip()
        login = requests.get(shop + "/login/google", allow_redirects=False, timeout=10)
        assert login.status_code == 302
        assert urlsplit(login.headers["Location"]).hostname == "127.0.0.1"
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err


def test_with_credentials_the_demo_talks_to_the_real_providers() -> None:
    port = free_port()
    process = run_demo(
        PORT=str(port), GITHUB_CLIENT_ID="Iv1.realapp", GITHUB_CLIENT_SECRET="real-secret"
    )
    shop = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                login = requests.get(shop + "/login/github", allow_redirects=False, timeout=5)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)  # the server is still starting
        # Building the redirect needs no network: GitHub's real authorize page, real client id.
        location = urlsplit(login.headers["Location"])
        assert (location.scheme, location.hostname) == ("https", "github.com")
        assert parse_qs(location.query)["client_id"] == ["Iv1.realapp"]
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=20)
    assert "offline" not in out
