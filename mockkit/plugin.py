"""mockkit's pytest plugin: hooks and fixtures only; the work lives in plain modules.

Registered through the `pytest11` entry point, so installing mockkit makes its fixtures
available in every test suite. Every name it adds is prefixed `mockkit` so it cannot clash with
pytest-recording (`vcr`, `--record-mode`) or a user's own fixtures. Each fixture wraps a context
manager or object that works without pytest too (`with StripeFake():`, `Patcher`, `use()`...).

The provider fakes come from the provider registry (`mockkit.providers`), which imports a fake's
module when its fixture is first used: this module is loaded in every pytest session, and a
suite that uses only the Stripe fake should not pay for loading authlib and the OAuth fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import responses

from mockkit import providers
from mockkit.cassettes import pytest_support as cassette_support
from mockkit.cassettes.core import Cassette
from mockkit.cassettes.sandbox import Sandbox
from mockkit.patching import Clock, Patched, Patcher
from mockkit.transport import block_network, no_retry_sleep

if TYPE_CHECKING:
    from mockkit.oauth import GitHubFake, GoogleFake, OIDCProviderFake
    from mockkit.stripe import StripeFake, StripeServer


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register mockkit's command-line options and ini settings."""
    group = parser.getgroup("mockkit", "mockkit: provider fakes, stubs and cassettes")
    cassette_support.add_options(parser, group)


def pytest_configure(config: pytest.Config) -> None:
    """Register mockkit's markers (and the cassette hooks)."""
    cassette_support.configure(config)


@pytest.fixture
def mockkit_no_network() -> Iterator[None]:
    """Block every non-loopback connection and DNS lookup for the test.

    A blocked attempt raises `mockkit.NetworkBlockedError` naming the host, at once.
    """
    with block_network():
        yield


@pytest.fixture
def mockkit_stripe(mockkit_patcher: Patcher) -> Iterator[StripeFake]:
    """An active in-process Stripe fake with fresh state; `stripe.api_key` is a test key.

    Every stripe-python call to https://api.stripe.com in the test (module style or a
    `StripeClient`) is answered by the fake; retries keep their count but skip their sleeps.
    Yields the `mockkit.stripe.StripeFake`: its `events`, `objects(kind)`, `request_log`,
    `complete_checkout()`, `deliver()` and `inject()`.
    """
    stripe = providers.get("stripe")
    mockkit_patcher.stripe_config(providers.TEST_API_KEY, api_base=stripe.hosts[0])
    with stripe.fake_class()() as fake:
        yield fake


@pytest.fixture
def mockkit_stripe_server(mockkit_patcher: Patcher) -> Iterator[StripeServer]:
    """A Stripe fake served over HTTP on 127.0.0.1, with `stripe.api_base` pointing at it.

    Yields the `mockkit.stripe.StripeServer`: `server.url` (for `StripeClient(...,
    base_addresses={"api": server.url})`, a browser, another process) and `server.fake`.
    `stripe.api_key` is a test key; retry sleeps are skipped.
    """
    with no_retry_sleep(), providers.get("stripe").fake_class()().serve() as server:
        mockkit_patcher.stripe_config(providers.TEST_API_KEY, api_base=server.url)
        yield server


@pytest.fixture
def mockkit_github() -> Iterator[GitHubFake]:
    """An active `GitHubFake` answering github.com and api.github.com in-process.

    Registered: client `mockkit-client` / `mockkit-secret` (any redirect_uri) and user
    `octocat` ("The Octocat", public email `octocat@example.com`). Log a Flask test client
    in with `mockkit.oauth.login(client, "/login/github", mockkit_github)`.
    """
    with providers.get("github").fake_class()().with_defaults() as fake:
        yield fake


@pytest.fixture
def mockkit_google() -> Iterator[GoogleFake]:
    """An active `GoogleFake` answering Google's OAuth/OIDC hosts in-process.

    Registered: client `mockkit-client` / `mockkit-secret` (any redirect_uri) and user
    `alice@example.com` ("Alice Example", verified). Discovery is at
    `https://accounts.google.com/.well-known/openid-configuration`.
    """
    with providers.get("google").fake_class()().with_defaults() as fake:
        yield fake


@pytest.fixture
def mockkit_oidc() -> Iterator[OIDCProviderFake]:
    """An active generic `OIDCProviderFake` at `https://oidc.mockkit.test`, in-process.

    Registered: client `mockkit-client` / `mockkit-secret` (any redirect_uri) and user
    `alice@example.com` ("Alice Example"). Use `mockkit_oidc.discovery_url` as the app's
    `server_metadata_url`.
    """
    with providers.get("oidc").fake_class()().with_defaults() as fake:
        yield fake


@pytest.fixture
def mockkit_responses() -> Iterator[responses.RequestsMock]:
    """A started `responses` mock for `mockkit.stubs` and `fault.stub(...)`; stopped after.

    Unmatched requests fail at once with `requests.ConnectionError`; stubs that were never
    called are not an error (assert on a stub's `call_count` instead). stripe-python's
    retries keep their count but skip their sleeps, as under a fake.
    """
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock, no_retry_sleep():
        yield mock


@pytest.fixture
def mockkit_patcher() -> Iterator[Patcher]:
    """A `mockkit.patching.Patcher`: every patch, setting and clock it makes is undone after."""
    with Patcher() as patcher:
        yield patcher


@pytest.fixture
def mockkit_patch(mockkit_patcher: Patcher) -> Callable[..., Patched]:
    """`mockkit_patch("app.billing:charge", replacement_or_fault, sdk=None)`, undone after.

    The target must exist (a typo fails the test naming the closest attribute) and the
    replacement must accept every call the original accepts. A `mockkit.errors` fault raises
    what the SDK raises (`stripe.CardError`, ...). Returns a `Patched` with the `calls` made.
    """
    return mockkit_patcher.patch


@pytest.fixture
def mockkit_stripe_config(mockkit_patcher: Patcher) -> Callable[..., None]:
    """stripe-python's module settings for the test, restored after; a test key is set at once.

    Call it for more: `mockkit_stripe_config(api_base=server.url, max_network_retries=0,
    http_client=...)`. Live keys are refused.
    """
    mockkit_patcher.stripe_config()
    return mockkit_patcher.stripe_config


@pytest.fixture
def mockkit_authlib_client(mockkit_patcher: Patcher) -> Callable[..., Any]:
    """`mockkit_authlib_client(oauth, "github", client_id=..., ...)`: override, restored after.

    Also forgets the discovery document and JWKS authlib cached for that client, so a fake's
    issuer and keys are fetched afresh. Unknown client names and settings fail the test.
    """
    return mockkit_patcher.authlib_client


@pytest.fixture
def mockkit_clock(mockkit_patcher: Patcher) -> Clock:
    """Time frozen at the test's start (time-machine); `advance(seconds=...)`, `move_to(...)`.

    Moves token and code expiries, ID-token checks and Stripe's webhook tolerance (300 s).
    """
    return mockkit_patcher.clock()


@pytest.fixture
def mockkit_cassette(request: pytest.FixtureRequest) -> Iterator[Cassette]:
    """A mockkit cassette for the test, at `cassettes/<test module>/<test name>.yaml`.

    Replays by default with the network blocked; record mode from `--mockkit-record-mode`,
    `$MOCKKIT_RECORD_MODE`, the `mockkit_cassette` marker's `record_mode=`, the
    `mockkit_record_mode` ini setting, in that order (`CI=true` forces replay). Written only
    when the test passed, atomically, scrubbed, through the leak gate.
    """
    with cassette_support.cassette_for(request) as cassette:
        yield cassette


@pytest.fixture
def mockkit_sandbox(mockkit_cassette: Cassette) -> Iterator[Sandbox]:
    """Where to point the app for this test's cassette: `mockkit_sandbox.url(canonical)`.

    The canonical URL when replaying (or recording with `MOCKKIT_SANDBOX=provider`); the URL of
    a mockkit fake served on loopback when recording against the local sandbox (the default).
    """
    with Sandbox(mockkit_cassette) as sandbox:
        yield sandbox
