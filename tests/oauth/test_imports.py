"""The package's names load on first use, whatever is imported first."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "statement",
    [
        "from mockkit.oauth import AuthorizeError, login",
        "from mockkit.oauth import LoginError; from mockkit.oauth import login",
        "import mockkit.oauth.driver; from mockkit.oauth import login",
        "from mockkit.oauth import login, AuthorizeError",
    ],
)
def test_login_is_the_function_whatever_came_first(statement: str) -> None:
    # A fresh interpreter: this process has long imported everything.
    code = f"{statement}\nimport inspect\nassert inspect.isfunction(login), login"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
