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
from typing import TYPE_CHECKING  # noqa: E402 - each section of this file keeps its own imports

if TYPE_CHECKING:  # the OAuth fakes import authlib: load them only when a fixture is used
    import mockkit.oauth


@pytest.fixture
def mockkit_github() -> Iterator[mockkit.oauth.GitHubFake]:
    """An active `GitHubFake` answering github.com and api.github.com in-process.

    Registered: client `mockkit-client` / `mockkit-secret` (any redirect_uri) and user
    `octocat` ("The Octocat", public email `octocat@example.com`). Log a Flask test client
    in with `mockkit.oauth.login(client, "/login/github", mockkit_github)`.
    """
    import mockkit.oauth

    with mockkit.oauth.GitHubFake().with_defaults() as fake:
        yield fake


@pytest.fixture
def mockkit_google() -> Iterator[mockkit.oauth.GoogleFake]:
    """An active `GoogleFake` answering Google's OAuth/OIDC hosts in-process.

    Registered: client `mockkit-client` / `mockkit-secret` (any redirect_uri) and user
    `alice@example.com` ("Alice Example", verified). Discovery is at
    `https://accounts.google.com/.well-known/openid-configuration`.
    """
    import mockkit.oauth

    with mockkit.oauth.GoogleFake().with_defaults() as fake:
        yield fake


@pytest.fixture
def mockkit_oidc() -> Iterator[mockkit.oauth.OIDCProviderFake]:
    """An active generic `OIDCProviderFake` at `https://oidc.mockkit.test`, in-process.

    Registered: client `mockkit-client` / `mockkit-secret` (any redirect_uri) and user
    `alice@example.com` ("Alice Example"). Use `mockkit_oidc.discovery_url` as the app's
    `server_metadata_url`.
    """
    import mockkit.oauth

    with mockkit.oauth.OIDCProviderFake().with_defaults() as fake:
        yield fake


# </oauth:fixtures>

# <errors:fixtures>
# </errors:fixtures>

# <cassettes:fixtures>
# </cassettes:fixtures>
