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
    from mockkit.cassettes import pytest_support as cassette_support

    cassette_support.add_options(parser, group)
    # </cassettes:options>
    del group


def pytest_configure(config: pytest.Config) -> None:
    """Register mockkit's markers."""
    # <cassettes:configure>
    from mockkit.cassettes import pytest_support as cassette_support

    cassette_support.configure(config)
    # </cassettes:configure>


@pytest.fixture
def mockkit_no_network() -> Iterator[None]:
    """Block every non-loopback connection and DNS lookup for the test.

    A blocked attempt raises `mockkit.NetworkBlockedError` naming the host, at once.
    """
    with block_network():
        yield


# <stripe:fixtures>
from typing import TYPE_CHECKING  # noqa: E402 - each section of this file keeps its own imports

if TYPE_CHECKING:  # stripe loads only when a Stripe fixture is used
    import mockkit.stripe


@pytest.fixture
def mockkit_stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[mockkit.stripe.StripeFake]:
    """An active in-process Stripe fake with fresh state; `stripe.api_key` is a test key.

    Every stripe-python call to https://api.stripe.com in the test (module style or a
    `StripeClient`) is answered by the fake; retries keep their count but skip their sleeps.
    Yields the `mockkit.stripe.StripeFake`: its `events`, `objects(kind)`, `request_log`,
    `complete_checkout()`, `deliver()` and `inject()`.
    """
    import stripe

    from mockkit.stripe import StripeFake

    monkeypatch.setattr(stripe, "api_key", "sk_test_mockkit")
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake() as fake:
        yield fake


@pytest.fixture
def mockkit_stripe_server(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[mockkit.stripe.StripeServer]:
    """A Stripe fake served over HTTP on 127.0.0.1, with `stripe.api_base` pointing at it.

    Yields the `mockkit.stripe.StripeServer`: `server.url` (for `StripeClient(...,
    base_addresses={"api": server.url})`, a browser, another process) and `server.fake`.
    `stripe.api_key` is a test key; retry sleeps are skipped.
    """
    import stripe

    from mockkit.stripe import StripeFake
    from mockkit.transport import no_retry_sleep

    with no_retry_sleep(), StripeFake().serve() as server:
        monkeypatch.setattr(stripe, "api_key", "sk_test_mockkit")
        monkeypatch.setattr(stripe, "api_base", server.url)
        yield server


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
from collections.abc import Callable  # noqa: E402 - each section keeps its own imports
from typing import TYPE_CHECKING, Any  # noqa: E402

if TYPE_CHECKING:
    import responses as _responses

    import mockkit.patching


@pytest.fixture
def mockkit_responses() -> Iterator[_responses.RequestsMock]:
    """A started `responses` mock for `mockkit.stubs` and `fault.stub(...)`; stopped after.

    Unmatched requests fail at once with `requests.ConnectionError`; stubs that were never
    called are not an error (assert on a stub's `call_count` instead). stripe-python's
    retries keep their count but skip their sleeps, as under a fake.
    """
    import responses

    from mockkit.transport import no_retry_sleep

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, no_retry_sleep():
        yield mock


@pytest.fixture
def mockkit_patcher() -> Iterator[mockkit.patching.Patcher]:
    """A `mockkit.patching.Patcher`: every patch, setting and clock it makes is undone after."""
    from mockkit.patching import Patcher

    with Patcher() as patcher:
        yield patcher


@pytest.fixture
def mockkit_patch(
    mockkit_patcher: mockkit.patching.Patcher,
) -> Callable[..., mockkit.patching.Patched]:
    """`mockkit_patch("app.billing:charge", replacement_or_fault, sdk=None)`, undone after.

    The target must exist (a typo fails the test naming the closest attribute) and the
    replacement must accept every call the original accepts. A `mockkit.errors` fault raises
    what the SDK raises (`stripe.CardError`, ...). Returns a `Patched` with the `calls` made.
    """
    return mockkit_patcher.patch


@pytest.fixture
def mockkit_stripe_config(mockkit_patcher: mockkit.patching.Patcher) -> Callable[..., None]:
    """stripe-python's module settings for the test, restored after; a test key is set at once.

    Call it for more: `mockkit_stripe_config(api_base=server.url, max_network_retries=0,
    http_client=...)`. Live keys are refused.
    """
    mockkit_patcher.stripe_config()
    return mockkit_patcher.stripe_config


@pytest.fixture
def mockkit_authlib_client(mockkit_patcher: mockkit.patching.Patcher) -> Callable[..., Any]:
    """`mockkit_authlib_client(oauth, "github", client_id=..., ...)`: override, restored after.

    Also forgets the discovery document and JWKS authlib cached for that client, so a fake's
    issuer and keys are fetched afresh. Unknown client names and settings fail the test.
    """
    return mockkit_patcher.authlib_client


@pytest.fixture
def mockkit_clock(mockkit_patcher: mockkit.patching.Patcher) -> mockkit.patching.Clock:
    """Time frozen at the test's start (time-machine); `advance(seconds=...)`, `move_to(...)`.

    Moves token and code expiries, ID-token checks and Stripe's webhook tolerance (300 s).
    """
    return mockkit_patcher.clock()


# </errors:fixtures>

# <cassettes:fixtures>
from typing import TYPE_CHECKING  # noqa: E402 - each section of this file keeps its own imports

if TYPE_CHECKING:
    import mockkit.cassettes
    import mockkit.cassettes.sandbox


@pytest.fixture
def mockkit_cassette(request: pytest.FixtureRequest) -> Iterator[mockkit.cassettes.Cassette]:
    """A mockkit cassette for the test, at `cassettes/<test module>/<test name>.yaml`.

    Replays by default with the network blocked; record mode from `--mockkit-record-mode`,
    `$MOCKKIT_RECORD_MODE`, the `mockkit_cassette` marker's `record_mode=`, the
    `mockkit_record_mode` ini setting, in that order (`CI=true` forces replay). Written only
    when the test passed, atomically, scrubbed, through the leak gate.
    """
    from mockkit.cassettes.pytest_support import cassette_for

    with cassette_for(request) as cassette:
        yield cassette


@pytest.fixture
def mockkit_sandbox(
    mockkit_cassette: mockkit.cassettes.Cassette,
) -> Iterator[mockkit.cassettes.sandbox.Sandbox]:
    """Where to point the app for this test's cassette: `mockkit_sandbox.url(canonical)`.

    The canonical URL when replaying (or recording with `MOCKKIT_SANDBOX=provider`); the URL of
    a mockkit fake served on loopback when recording against the local sandbox (the default).
    """
    from mockkit.cassettes.sandbox import Sandbox

    with Sandbox(mockkit_cassette) as sandbox:
        yield sandbox


# </cassettes:fixtures>
