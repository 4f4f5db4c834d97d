"""Fixtures for the demo shop's integration tests: network guard and provider stubs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from mockkit.transport import block_network


@pytest.fixture(autouse=True)
def _offline() -> Iterator[None]:
    """Every demo test runs offline: a connection to anything but 127.0.0.1 fails at once."""
    with block_network():
        yield


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    """A `responses` mock for the test; a request no stub matches fails with ConnectionError."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
