"""Monkeypatch helpers: checked targets and signatures, SDK settings, authlib clients, time."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from flask import Flask

from mockkit import errors
from mockkit.errors import oauth
from mockkit.errors import stripe as stripe_errors
from mockkit.patching import Clock, Patched, Patcher, PatchError, check_signature, clock, resolve

from . import sample_app

APP = "tests.patching.sample_app"


def test_a_fault_replacing_an_app_function_raises_the_real_stripe_error(
    mockkit_patch: Callable[..., Patched],
) -> None:
    patched = mockkit_patch(f"{APP}:charge", stripe_errors.card_declined(), sdk="stripe")
    assert sample_app.checkout(7, 500) == {
        "status": "declined",
        "message": "Your card was declined.",
    }
    assert patched.calls == [((7, 500), {})]


def test_patching_the_sdk_itself_infers_stripe(mockkit_patch: Callable[..., Patched]) -> None:
    mockkit_patch("stripe.PaymentIntent.create", errors.read_timeout())
    assert sample_app.checkout(7, 500)["status"] == "pending"


def test_a_fault_still_enforces_the_original_signature(
    mockkit_patch: Callable[..., Patched],
) -> None:
    mockkit_patch(f"{APP}:charge", errors.read_timeout(), sdk="stripe")
    with pytest.raises(TypeError, match="called with arguments it does not take"):
        sample_app.charge(7, amout=500)  # type: ignore[call-arg]


def test_a_fitting_replacement_is_used_and_undone() -> None:
    original = sample_app.charge
    with Patcher() as patcher:
        patcher.patch(f"{APP}.charge", lambda order_id, amount, *, currency="usd": "pi_fake")
        assert sample_app.checkout(1, 100) == {"status": "paid", "intent": "pi_fake"}
    assert sample_app.charge is original


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        (f"{APP}:chrage", "Did you mean 'charge'"),
        (f"{APP}:Gateway.qoute", "Did you mean 'quote'"),
        ("tests.patching.sample_ap:charge", "no module named"),
    ],
)
def test_a_typo_in_the_target_fails_with_the_closest_name(target: str, hint: str) -> None:
    with Patcher() as patcher, pytest.raises(PatchError, match=hint):
        patcher.patch(target, lambda *a, **k: None)
    assert not hasattr(sample_app, "chrage")


@pytest.mark.parametrize(
    ("replacement", "problem"),
    [
        (lambda order_id: "x", "positional"),
        (lambda order_id, amount: "x", "no parameter 'currency'"),
        (lambda order_id, amount, *, currency="usd", retries: "x", "requires keyword 'retries'"),
        (lambda order, amount, *, currency="usd": "x", "no parameter 'order_id'"),
        ("pi_123", "not callable"),
    ],
)
def test_a_replacement_that_does_not_fit_fails(replacement: Any, problem: str) -> None:
    with Patcher() as patcher, pytest.raises(PatchError, match=problem):
        patcher.patch(f"{APP}:charge", replacement)
    assert sample_app.charge.__name__ == "charge"


def test_catch_all_replacements_fit_anything() -> None:
    check_signature(sample_app.charge, lambda *args, **kwargs: None)


def test_methods_of_every_kind_are_patched_and_restored() -> None:
    gateway = sample_app.Gateway()
    with Patcher() as patcher:
        patcher.patch(f"{APP}:Gateway.quote", lambda self, amount: amount * 2)
        patcher.patch(f"{APP}:Gateway.build", lambda region: "built")
        patcher.patch(f"{APP}:Gateway.cents", lambda amount: -1)
        patcher.patch(f"{APP}:Gateway.fee", 0)
        assert gateway.quote(10) == 20
        assert sample_app.Gateway.build("eu") == "built"
        assert sample_app.Gateway.cents(1.0) == -1
        assert sample_app.Gateway.fee == 0
    assert gateway.quote(10) == 40
    assert isinstance(sample_app.Gateway.build("eu"), sample_app.Gateway)
    assert sample_app.Gateway.cents(1.0) == 100
    with Patcher() as patcher, pytest.raises(PatchError, match="no parameter 'region'"):
        patcher.patch(f"{APP}:Gateway.build", lambda place: None)


def test_generic_fault_on_an_app_function_needs_the_sdk_named() -> None:
    with Patcher() as patcher, pytest.raises(PatchError, match="sdk='stripe'"):
        patcher.patch(f"{APP}:charge", errors.read_timeout())


def test_resolve_accepts_object_and_name() -> None:
    assert resolve((sample_app, "charge")) == (sample_app, "charge")
    with pytest.raises(PatchError, match="Did you mean 'charge'"):
        resolve((sample_app, "charg"))


def test_stripe_config_sets_and_restores_module_settings() -> None:
    before = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    client = stripe.RequestsClient(timeout=3)
    with Patcher() as patcher:
        patcher.stripe_config(
            api_base="http://127.0.0.1:9/",
            max_network_retries=0,
            http_client=client,
            enable_telemetry=False,
        )
        assert stripe.api_key == "sk_test_mockkit"
        assert stripe.api_base == "http://127.0.0.1:9"
        assert stripe.max_network_retries == 0
        assert stripe.default_http_client is client
        assert stripe.enable_telemetry is False
    assert (stripe.api_key, stripe.api_base, stripe.max_network_retries) == before


def test_stripe_config_refuses_live_keys_and_unknown_settings() -> None:
    with Patcher() as patcher:
        with pytest.raises(PatchError, match="live Stripe key"):
            patcher.stripe_config("sk_live_123")
        with pytest.raises(PatchError, match="Did you mean 'max_network_retries'"):
            patcher.stripe_config(max_network_retry=0)


def test_the_stripe_config_fixture_sets_a_test_key(mockkit_stripe_config: Any) -> None:
    assert stripe.api_key == "sk_test_mockkit"
    mockkit_stripe_config(max_network_retries=5)
    assert stripe.max_network_retries == 5


def _flask_oauth() -> Any:
    from authlib.integrations.flask_client import OAuth

    app = Flask(__name__)
    registry = OAuth(app)
    registry.register(
        "github",
        client_id="real-id",
        client_secret="real-secret",
        access_token_url="https://github.com/login/oauth/access_token",
        authorize_url="https://github.com/login/oauth/authorize",
        api_base_url="https://api.github.com/",
    )
    registry.register(
        "google",
        client_id="g-id",
        client_secret="g-secret",
        server_metadata_url="https://accounts.google.com/.well-known/openid-configuration",
    )
    return registry


def test_authlib_client_override_and_cached_discovery_are_restored() -> None:
    registry = _flask_oauth()
    google = registry.create_client("google")
    google.server_metadata.update(
        {"issuer": "https://old", "_loaded_at": 1.0, "jwks": {"keys": []}}
    )
    with Patcher() as patcher:
        patcher.authlib_client(registry, "github", client_id="mockkit-client")
        patcher.authlib_client(
            registry, "google", server_metadata_url="http://127.0.0.1:5000/.well-known/x"
        )
        assert registry.github.client_id == "mockkit-client"
        # Discovery will be fetched again from the new URL; the stale keys are gone.
        assert "_loaded_at" not in google.server_metadata
        assert "jwks" not in google.server_metadata
        assert google._server_metadata_url == "http://127.0.0.1:5000/.well-known/x"
    assert registry.github.client_id == "real-id"
    assert google.server_metadata["_loaded_at"] == 1.0
    assert google._server_metadata_url.startswith("https://accounts.google.com/")


def test_authlib_client_typos_fail() -> None:
    registry = _flask_oauth()
    with Patcher() as patcher:
        with pytest.raises(PatchError, match="Did you mean 'github'"):
            patcher.authlib_client(registry, "githb")
        with pytest.raises(PatchError, match="Did you mean 'client_secret'"):
            patcher.authlib_client(registry, "github", client_secrt="x")


def test_clock_moves_stripes_webhook_tolerance(mockkit_clock: Clock) -> None:
    payload = '{"id": "evt_1", "object": "event"}'
    secret = "whsec_mockkit"
    header = stripe.WebhookSignature.generate_signature_header(payload, secret)
    assert stripe.Webhook.construct_event(payload, header, secret)["id"] == "evt_1"
    mockkit_clock.advance(seconds=301)  # past stripe's 300 s tolerance
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(payload, header, secret)


def test_clock_is_frozen_and_jumps() -> None:
    with clock("2030-01-01T00:00:00Z") as frozen:
        first = time.time()
        assert time.time() == first  # frozen, not ticking
        assert frozen.now() == dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        frozen.advance(minutes=10)
        assert time.time() - first == 600
        frozen.move_to(dt.datetime(2031, 6, 1, tzinfo=dt.UTC))
        assert dt.datetime.now(dt.UTC).year == 2031
    assert dt.datetime.now(dt.UTC).year < 2030


def test_oauth_fault_on_a_patched_authlib_method_raises_oauth_error() -> None:
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.requests_client import OAuth2Session

    with Patcher() as patcher:
        patcher.patch(
            "authlib.integrations.requests_client:OAuth2Session.fetch_token", oauth.invalid_grant()
        )
        with pytest.raises(OAuthError) as caught:
            OAuth2Session("id", "secret").fetch_token("https://x.test/token", code="c")
    assert caught.value.error == "invalid_grant"


def _github_code(fake: Any) -> str:
    from urllib.parse import parse_qs, urlencode, urlsplit

    from requests.structures import CaseInsensitiveDict

    from mockkit.http import Request

    query = urlencode(
        {"client_id": "id", "redirect_uri": "https://app.test/cb", "state": "s", "scope": "user"}
    )
    consent = Request(
        "POST",
        f"https://github.com/login/oauth/authorize?{query}",
        headers=CaseInsensitiveDict({"Content-Type": "application/x-www-form-urlencoded"}),
        body=b"decision=allow&user=octocat",
    )
    location = fake.handle(consent).header("Location")
    return parse_qs(urlsplit(location).query)["code"][0]


@pytest.mark.parametrize(("wait", "works"), [(590, True), (601, False)])
def test_clock_expires_an_oauth_code_on_the_fake(
    mockkit_clock: Clock, wait: int, works: bool
) -> None:
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.requests_client import OAuth2Session

    from mockkit.oauth import GitHubFake

    fake = GitHubFake()
    fake.add_client("id", "secret")
    fake.add_user("octocat", email="octocat@example.com")
    with fake:
        code = _github_code(fake)
        mockkit_clock.advance(seconds=wait)  # GitHub codes live 10 minutes
        session = OAuth2Session("id", "secret", redirect_uri="https://app.test/cb")
        url = "https://github.com/login/oauth/access_token"
        if works:
            assert session.fetch_token(url, code=code)["access_token"].startswith("gho_")
        else:
            with pytest.raises(OAuthError, match="bad_verification_code"):
                session.fetch_token(url, code=code)
