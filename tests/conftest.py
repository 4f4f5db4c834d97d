"""What every test needs: the suite runs offline, and the reliability counts are summed up.

The demo shop's fixtures are in `tests/demo/conftest.py`; each area's shared helpers are plain
modules beside its tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockkit.transport import block_network

# The fuzz tests' example counts (the `tally` fixture and the hooks that add them up and check
# them against the docs): registered here so they work in every directory, and under xdist in
# the controller too, which loads only this conftest.
pytest_plugins = ["tests.reliability.summary"]


@pytest.fixture(scope="session", autouse=True)
def _offline_session() -> Iterator[None]:
    """The whole suite runs offline: connections, datagrams and DNS beyond loopback fail at once.

    Session-wide, so fixtures of every scope are covered too. Tests that start a subprocess
    (serve, the offline demo) or a browser run those in processes of their own.
    """
    with block_network():
        yield
