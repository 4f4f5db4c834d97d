"""`python -m demo_app.offline` as a newcomer runs it: a banner, a working shop, a clean stop."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]

#: Settings that would switch the demo to real providers; removed so the tests stay offline.
CREDENTIALS = ("GITHUB_CLIENT_ID", "GOOGLE_CLIENT_ID", "STRIPE_API_KEY")


def start(module: str, **env: str) -> subprocess.Popen[str]:
    """Start `python -m module` with `env` on top of a credential-free environment."""
    environ = {k: v for k, v in os.environ.items() if k not in CREDENTIALS}
    environ.update(env, PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=REPO,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_banner(process: subprocess.Popen[str]) -> list[str]:
    """Stdout lines up to "Press Ctrl-C to stop." (fails with stderr if the demo exits)."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C to stop."):
            return lines
    process.wait(timeout=10)
    err = process.stderr.read() if process.stderr else ""
    raise AssertionError(f"the demo exited with {process.returncode}: {err}")


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Ctrl-C, then the exit status and stderr."""
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    return process.returncode, err


def test_offline_demo_serves_a_working_shop_and_stops_on_ctrl_c() -> None:
    process = start("demo_app.offline", PORT="0")
    try:
        banner = read_banner(process)
        match = re.match(r"mockkit demo shop, offline: (http://127\.0\.0\.1:\d+)$", banner[0])
        assert match, banner
        shop = match.group(1)
        text = "\n".join(banner)
        assert "Visa (succeeds)" in text and "visa ending 4242" in text
        assert f"webhooks -> {shop}/webhooks/stripe" in text
        fake_urls = dict(re.findall(r"^    (stripe|github|google)\s+(http://\S+)$", text, re.M))
        assert set(fake_urls) == {"stripe", "github", "google"}

        home = requests.get(shop + "/", timeout=10)
        assert home.status_code == 200
        for slug in ("sticker-pack", "coffee-mug", "hoodie"):
            assert f'data-testid="buy-{slug}"' in home.text
        login = requests.get(shop + "/login/github", allow_redirects=False, timeout=10)
        assert login.headers["Location"].startswith(fake_urls["github"] + "/login/oauth/authorize?")
        consent = requests.get(login.headers["Location"], timeout=10)
        assert "mockkit-demo-shop" in consent.text and "octocat" in consent.text
    finally:
        status, err = stop(process)
    assert status == 0, err
    assert "demo: stopped." in err
    assert "Traceback" not in err
    for url in (shop, *fake_urls.values()):
        try:
            requests.get(url, timeout=2)
        except requests.ConnectionError:
            continue
        raise AssertionError(f"{url} still answers after Ctrl-C")


def test_offline_demo_on_a_taken_port_says_so() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start("demo_app.offline", PORT=str(port))
        _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert f"cannot serve the shop on 127.0.0.1:{port}" in err
    assert "set PORT to another port" in err
    assert "Traceback" not in err


def test_offline_demo_rejects_a_bad_port_setting() -> None:
    process = start("demo_app.offline", PORT="http")
    _, err = process.communicate(timeout=30)
    assert process.returncode != 0
    assert "PORT must be a port number, got 'http'" in err
