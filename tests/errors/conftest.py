"""The fault tests' fixture: a fresh `EchoFake` (see `echo.py`)."""

from __future__ import annotations

import pytest

from tests.errors.echo import EchoFake


@pytest.fixture
def echo() -> EchoFake:
    """A fake answering every request with a small PaymentIntent-like object."""
    return EchoFake()
