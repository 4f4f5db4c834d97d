"""Browser tests: the offline demo shop driven by Debian's Chromium through Playwright.

Each xdist worker starts its own offline demo (`demo_app.offline.OfflineDemo`: the real app
under werkzeug plus the served fakes, all on port 0), the very thing `python -m
demo_app.offline` runs for a newcomer, and one headless Chromium. Each test gets a fresh
browser context, so no cookie or login leaks from one test into the next.

Browser rule: Playwright never downloads a browser here; it is always given the system's
Chromium. When none is installed the tests are skipped with the command that installs one,
except under CI (`CI` set to a true value), where a missing browser fails them: CI must run
them, and a skip there would hide that it did not.

A failing test leaves a full-page screenshot in `test-results/e2e/` (git-ignored), named after
the test.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Flags Chromium needs here: root needs --no-sandbox, and without the background-networking
#: flags it keeps trying to reach outside hosts (the tests must stay on 127.0.0.1).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Where screenshots of failed tests go (relative to the repository root).
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results" / "e2e"

#: Playwright's own timeout for actions and expectations. Generous against a loaded CI
#: machine; a passing test never waits for it.
TIMEOUT_MS = 15_000

INSTALL_HINT = "Chromium is not installed: apt-get install -y chromium"

_failed_key = pytest.StashKey[bool]()


def find_chromium() -> str | None:
    """The system Chromium to drive: /usr/bin/chromium or one on PATH.

    `MOCKKIT_CHROMIUM=/path/to/chromium` chooses another one (and only that one).
    """
    override = os.environ.get("MOCKKIT_CHROMIUM")
    if override:
        candidates = [override]
    else:
        candidates = [
            "/usr/bin/chromium",
            shutil.which("chromium"),
            shutil.which("chromium-browser"),
        ]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing(reason: str) -> None:
    # CI must run these tests: there a missing browser is a failure, not a skip.
    if _in_ci():
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Remember whether the test body failed, for the `page` fixture's screenshot."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_failed_key] = True
    return report


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium executable; skips (fails under CI) when there is none."""
    path = find_chromium()
    if path is None:
        _missing(INSTALL_HINT)
    assert path is not None
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    """One headless system Chromium per worker (Playwright's own browsers are never used)."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("Playwright is not installed: .venv/bin/pip install -e '.[dev]'")
    # Assertions wait as long as actions do (Playwright's own default is 5 s).
    expect.set_options(timeout=TIMEOUT_MS)
    # executable_path is always given, so Playwright never looks for (or fetches) its own
    # browser build.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def demo() -> Iterator[Any]:
    """The offline demo shop and its served fakes, started as `python -m demo_app.offline` does."""
    from demo_app.offline import OfflineDemo

    with OfflineDemo(port=0, quiet=True) as running:
        yield running


@pytest.fixture
def page(browser: Any, demo: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a fresh browser context whose relative URLs resolve against the shop."""
    context = browser.new_context(base_url=demo.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        if request.node.stash.get(_failed_key, False):
            RESULTS_DIR.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
            target = RESULTS_DIR / f"{name}.png"
            try:
                page.screenshot(path=str(target), full_page=True)
                print(f"\nscreenshot of the failed page: {target} (at {page.url})")
            except Exception as exc:  # the page may be gone; the failure itself matters more
                print(f"\nno screenshot: {exc}")
        context.close()


@pytest.fixture
def served_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A served Stripe fake with stripe-python pointed at it (for hosted-page browser tests)."""
    import stripe

    from mockkit.stripe import StripeFake

    key = "sk_test_browser"
    with StripeFake(key).serve() as server:
        monkeypatch.setattr(stripe, "api_key", key)
        monkeypatch.setattr(stripe, "api_base", server.url)
        yield server


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context, with the suite's timeout."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()
