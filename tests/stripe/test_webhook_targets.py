"""`fake.deliver()` posts signed events through whichever test client the app is tested with.

Flask's test client, Starlette's / FastAPI's `TestClient` (httpx) and Django's test `Client`
each reach the app's own webhook view in-process; the view checks the signature with
stripe-python, so a delivery only counts when the SDK accepts it.
"""

from __future__ import annotations

import json
import sys
import types
from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake
from mockkit.stripe.objects import API_VERSION

CARD = {"allowed_payment_method_types": ["card"]}
#: These tests send the current version's parameters; an older stripe-python (the SDK
#: matrix) sends this version too, as an app that sets `stripe.api_version` does.
STRIPE_VERSION = API_VERSION


def paid_events(fake: StripeFake) -> list[str]:
    """Make a payment on `fake`; the types of the events it emitted."""
    client = stripe.StripeClient("sk_test_webhook_targets", stripe_version=stripe.api_version)
    client.v1.payment_intents.create(
        params={
            "amount": 1200,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            **CARD,  # type: ignore[typeddict-item]
        }
    )
    return [event["type"] for event in fake.events]


def check(fake: StripeFake, client: Any, received: list[str]) -> None:
    """Deliver every event through `client`: accepted in order; forged ones refused."""
    with fake:
        emitted = paid_events(fake)
    assert emitted and "payment_intent.succeeded" in emitted
    deliveries = fake.deliver(client, path="/webhooks/stripe")
    assert [(d.status, d.type) for d in deliveries] == [(200, t) for t in emitted]
    assert json.loads(deliveries[-1].body) == {"received": emitted[-1]}
    assert received == emitted
    refused = fake.deliver(client, path="/webhooks/stripe", bad_signature=True)
    refused += fake.deliver(client, path="/webhooks/stripe", old=True)
    assert {d.status for d in refused} == {400}
    assert received == emitted  # nothing forged got through


def verify(
    secret: str, body: bytes, signature: str, received: list[str]
) -> tuple[int, dict[str, str]]:
    """What a webhook view does: stripe-python checks the signature, then the event is kept."""
    try:
        event = stripe.Webhook.construct_event(body, signature, secret)
    except (ValueError, stripe.SignatureVerificationError):
        return 400, {"error": "bad_signature"}
    received.append(event["type"])
    return 200, {"received": event["type"]}


def test_starlette_testclient() -> None:
    pytest.importorskip("starlette")
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    fake = StripeFake()
    received: list[str] = []

    async def hook(request: Request) -> JSONResponse:
        status, answer = verify(
            fake.webhook_secret,
            await request.body(),
            request.headers.get("Stripe-Signature", ""),
            received,
        )
        return JSONResponse(answer, status_code=status)

    app = Starlette(routes=[Route("/webhooks/stripe", hook, methods=["POST"])])
    with TestClient(app) as client:
        check(fake, client, received)


def test_flask_test_client() -> None:
    from flask import Flask, request

    fake = StripeFake()
    received: list[str] = []
    app = Flask(__name__)

    @app.post("/webhooks/stripe")
    def hook() -> Any:
        status, answer = verify(
            fake.webhook_secret,
            request.get_data(),
            request.headers.get("Stripe-Signature", ""),
            received,
        )
        return answer, status

    check(fake, app.test_client(), received)


def test_django_test_client() -> None:
    pytest.importorskip("django")
    # Django's settings are the process's: configured once, as the login test needs them;
    # this test brings its own URLs with override_settings.
    from tests.transport.test_login_frameworks import _django_app

    _django_app()
    from django.http import HttpRequest, HttpResponse, JsonResponse
    from django.test import Client, override_settings
    from django.urls import path

    fake = StripeFake()
    received: list[str] = []

    def hook(request: HttpRequest) -> HttpResponse:
        status, answer = verify(
            fake.webhook_secret,
            request.body,
            request.headers.get("Stripe-Signature", ""),
            received,
        )
        return JsonResponse(answer, status=status)

    urls = types.ModuleType("mockkit_webhook_django_urls")
    urls.urlpatterns = [path("webhooks/stripe", hook)]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    try:
        with override_settings(ROOT_URLCONF=urls.__name__):
            check(fake, Client(), received)
    finally:
        del sys.modules[urls.__name__]


def test_an_async_client_is_refused_with_what_deliver_takes() -> None:
    httpx = pytest.importorskip("httpx")
    fake = StripeFake()
    with fake:
        stripe.StripeClient("sk_test_webhook_targets").v1.customers.create()
    client = httpx.AsyncClient(base_url="http://testserver")
    with pytest.raises(TypeError, match="TestClient"):
        fake.deliver(client, path="/webhooks/stripe")
