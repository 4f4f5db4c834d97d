"""The examples of docs/oauth.md run as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mockkit.oauth import GoogleFake

OAUTH_DOCS = Path(__file__).resolve().parents[2] / "docs" / "oauth.md"


def _examples() -> dict[str, Any]:
    """Every python block of the page, run in one namespace (the tests they define)."""
    text = OAUTH_DOCS.read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "docs_oauth"}
    for block in text.split("```python\n")[1:]:
        code = block.split("```")[0]
        exec(compile(code, str(OAUTH_DOCS), "exec"), namespace)
    return namespace


def test_flask_dance_example(mockkit_google: GoogleFake) -> None:
    _examples()["test_flask_dance_google"](mockkit_google)


def test_requests_oauthlib_example(monkeypatch: pytest.MonkeyPatch) -> None:
    _examples()["test_requests_oauthlib_github"](monkeypatch)
