"""Fixtures for the Stripe fake's tests: one SDK driver for every style and transport.

`sdk` is parametrized four ways: module style (`stripe.PaymentIntent.create`) or
`stripe.StripeClient`, each in-process (`with StripeFake():`) or served (`fake.serve()`). A
lifecycle test written once against `sdk` runs through all four.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from mockkit.stripe import StripeFake, StripeServer
from mockkit.stripe import state as state_module
from mockkit.transport import no_retry_sleep
from tests.stripe.driver import KEY, SDK_VERSION, Driver


@pytest.fixture(autouse=True)
def _module_api_version(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a module's tests at the API version it names in `STRIPE_VERSION`, if any.

    Modules that assert the current version's shapes (Billing: periods on subscription items,
    invoice `parent` and `payments`, ...) name it; with an older stripe-python (the SDK matrix)
    their requests then send that version, as an app that sets `stripe.api_version` does, and
    the fakes they make answer as it by default. The other modules run at the SDK's own pin;
    the older versions' shapes are tested in `test_versions.py` and `test_sdk_conformance.py`.
    """
    version = getattr(request.module, "STRIPE_VERSION", None)
    if version is None or version == SDK_VERSION:
        return
    monkeypatch.setattr(stripe, "api_version", version)
    monkeypatch.setattr(state_module, "default_version", lambda: version)


@pytest.fixture(scope="session")
def _served_fake() -> Iterator[StripeServer]:
    # One server per worker: starting and stopping one per test costs more than the tests.
    # (Retry sleeps are skipped per test, in `sdk`, not for the whole session.)
    with StripeFake().serve() as server:
        yield server


@pytest.fixture(
    params=[
        ("module", "inprocess"),
        ("client", "inprocess"),
        ("module", "served"),
        ("client", "served"),
    ],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def sdk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Driver]:
    """The real SDK in one style on one transport, talking to a fake with fresh state."""
    style, transport = request.param
    monkeypatch.setattr(stripe, "api_key", KEY)
    if transport == "inprocess":
        monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
        client = (
            stripe.StripeClient(KEY, stripe_version=stripe.api_version)
            if style == "client"
            else None
        )
        with StripeFake() as fake:
            yield Driver(style, fake, client, False)
        return
    server: StripeServer = request.getfixturevalue("_served_fake")
    server.fake.reset()
    server.fake.api_version = stripe.api_version  # the module's, for one that names one
    monkeypatch.setattr(stripe, "api_base", server.url)
    client = (
        stripe.StripeClient(
            KEY, base_addresses={"api": server.url}, stripe_version=stripe.api_version
        )
        if style == "client"
        else None
    )
    with no_retry_sleep():
        yield Driver(style, server.fake, client, True)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeFake]:
    """A fresh in-process fake with `stripe.api_key` set (module style)."""
    monkeypatch.setattr(stripe, "api_key", KEY)
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake() as f:
        yield f
