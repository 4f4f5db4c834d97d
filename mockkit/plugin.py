"""mockkit's pytest plugin: hooks and fixtures only; the work lives in plain modules.

Registered through the `pytest11` entry point, so installing mockkit makes its fixtures
available in every test suite. Every name it adds is prefixed `mockkit` so it cannot clash with
pytest-recording (`vcr`, `--record-mode`) or a user's own fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockkit.transport import block_network


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register mockkit's command-line options and ini settings."""
    group = parser.getgroup("mockkit", "mockkit: provider fakes, stubs and cassettes")
    # <cassettes:options>
    # </cassettes:options>
    del group


def pytest_configure(config: pytest.Config) -> None:
    """Register mockkit's markers."""
    # <cassettes:configure>
    # </cassettes:configure>


@pytest.fixture
def mockkit_no_network() -> Iterator[None]:
    """Block every non-loopback connection and DNS lookup for the test.

    A blocked attempt raises `mockkit.NetworkBlockedError` naming the host, at once.
    """
    with block_network():
        yield


# <stripe:fixtures>
# </stripe:fixtures>

# <oauth:fixtures>
# </oauth:fixtures>

# <errors:fixtures>
# </errors:fixtures>

# <cassettes:fixtures>
# </cassettes:fixtures>
