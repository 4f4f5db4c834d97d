"""The browser-test harness itself: screenshots of failures, and the skip-or-fail rule.

Each test runs pytest in a subprocess on a copy of this directory's conftest, as a user's
`pytest` run would, and checks what that user would see.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]

INNER_TESTS = """
def test_passes(page):
    page.goto("/")
    assert page.locator("#login-github").count() == 1


def test_fails(page):
    page.goto("/")
    assert page.title() == "not the shop"
"""


def run_inner(tmp_path: Path, tests: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `tests` beside a copy of the e2e conftest in a fresh project at `tmp_path`."""
    inner = tmp_path / "tests" / "e2e"
    inner.mkdir(parents=True)
    shutil.copy(Path(__file__).with_name("conftest.py"), inner / "conftest.py")
    (inner / "test_inner.py").write_text(tests)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nfilterwarnings =\n    error\n    ignore::ResourceWarning:asyncio\n"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environ.pop("CI", None)
    environ.update(env)
    environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", str(inner)],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_failing_browser_test_leaves_a_screenshot(tmp_path: Path, chromium_path: str) -> None:
    # The inner run needs a browser to fail in: `chromium_path` applies the outer rule (skip
    # with the install command, fail under CI) instead of letting the inner tests skip and
    # this check read their skip as a missing screenshot.
    result = run_inner(tmp_path, INNER_TESTS)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout

    shots = sorted((tmp_path / "test-results" / "e2e").glob("*.png"))
    assert [shot.name for shot in shots] == ["tests_e2e_test_inner.py_test_fails.png"]
    data = shots[0].read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 2000  # a rendered page, not an empty image
    assert "screenshot of the failed page" in result.stdout


def test_without_chromium_the_tests_skip_with_the_install_command(tmp_path: Path) -> None:
    result = run_inner(tmp_path, INNER_TESTS, MOCKKIT_CHROMIUM=str(tmp_path / "no-chromium"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout
    assert "Chromium is not installed: apt-get install -y chromium" in result.stdout


def test_under_ci_a_missing_chromium_fails_instead(tmp_path: Path) -> None:
    result = run_inner(
        tmp_path, INNER_TESTS, MOCKKIT_CHROMIUM=str(tmp_path / "no-chromium"), CI="true"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 errors" in result.stdout
    assert "CI is set, so the browser tests must run" in result.stdout
