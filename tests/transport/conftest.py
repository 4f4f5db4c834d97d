"""Async tests here run on asyncio through anyio's pytest plugin (`@pytest.mark.anyio`)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    """asyncio only: stripe-python's and authlib's async clients are used on asyncio."""
    return "asyncio"
