"""Events and webhook delivery: envelope, Stripe's signature, misbehaving delivery."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe
from flask import Flask, request

from mockkit.http import Request, Response
from mockkit.stripe import StripeFake, webhooks
from mockkit.transport import LoopbackServer
from tests.stripe.driver import CARD, Driver


def receiver(secret: str) -> tuple[Flask, list[str]]:
    """A webhook endpoint written the way Stripe's docs teach (raw body, construct_event)."""
    app = Flask(__name__)
    handled: list[str] = []

    @app.post("/webhooks/stripe")
    def hook() -> Any:
        try:
            event = stripe.Webhook.construct_event(
                request.get_data(), request.headers.get("Stripe-Signature", ""), secret
            )
        except stripe.SignatureVerificationError as exc:
            return {"error": str(exc)}, 400
        if event.id in handled:
            return {"duplicate": True}, 200
        handled.append(event.id)
        return {"received": event.type}, 200

    return app, handled


def test_events_have_stripes_envelope(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=1000, currency="usd", payment_method="pm_card_visa",
        confirm=True, **CARD,
    )  # fmt: skip
    event = sdk.fake.events[-1]
    assert event["type"] == "payment_intent.succeeded"
    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["livemode"] is False and event["api_version"] == "2026-10-28.endive"
    assert event["data"]["object"]["id"] == pi.id
    assert event["data"]["object"]["status"] == "succeeded"
    # The request that caused it, with its idempotency key (stripe-python sends one per POST).
    log = sdk.fake.request_log[-1]
    assert event["request"]["idempotency_key"] == log.idempotency_key is not None
    assert event["request"]["id"].startswith("req_")
    # The snapshot does not change when the object does later.
    sdk.create("refunds", payment_intent=pi.id)
    assert event["data"]["object"]["latest_charge"] == pi.latest_charge
    assert sdk.fake.events_of("charge.refunded")[0]["data"]["object"]["refunded"] is True


def test_signature_is_accepted_by_construct_event(fake: StripeFake) -> None:
    stripe.Customer.create(email="sig@example.com")
    body = webhooks.payload(fake.events[0])
    header = fake.sign(body)
    assert header.startswith("t=") and ",v1=" in header
    event = stripe.Webhook.construct_event(body, header, fake.webhook_secret)
    assert event.type == "customer.created"
    assert event.data.object.email == "sig@example.com"
    assert fake.webhook_secret.startswith("whsec_")
    # Matches stripe-python's own signer byte for byte (a public signer from 15 on, the
    # verifier's own digest before).
    ts = int(time.time())
    ours = fake.sign(body, timestamp=ts)
    signer = getattr(stripe.WebhookSignature, "generate_signature_header", None)
    if signer is not None:
        theirs = signer(body.decode(), fake.webhook_secret, timestamp=ts).split("v1=")[1]
    else:
        theirs = stripe.WebhookSignature._compute_signature(
            f"{ts}.{body.decode()}", fake.webhook_secret
        )
    assert ours.split(",v1=")[1] == theirs.split(",")[0]


def test_deliver_to_a_flask_test_client(fake: StripeFake) -> None:
    app, handled = receiver(fake.webhook_secret)
    stripe.Customer.create()
    stripe.Product.create(name="Hat")
    results = fake.deliver(app.test_client(), path="/webhooks/stripe")
    assert [r.status for r in results] == [200, 200]
    assert [r.type for r in results] == ["customer.created", "product.created"]
    assert handled == [e["id"] for e in fake.events]


def test_duplicates_and_reverse_order(fake: StripeFake) -> None:
    app, handled = receiver(fake.webhook_secret)
    stripe.Customer.create()
    stripe.Customer.create()
    results = fake.deliver(app.test_client(), path="/webhooks/stripe", duplicate=True, reverse=True)
    ids = [e["id"] for e in fake.events]
    assert [r.event_id for r in results] == [ids[1], ids[1], ids[0], ids[0]]
    assert [json.loads(r.body).get("duplicate", False) for r in results] == [False, True] * 2
    assert handled == [ids[1], ids[0]]


def test_shuffle_is_reproducible(fake: StripeFake) -> None:
    for _ in range(6):
        stripe.Customer.create()
    got = [r.event_id for r in fake.deliver(lambda body, headers: 200, shuffle=3)]
    again = [r.event_id for r in fake.deliver(lambda body, headers: 200, shuffle=3)]
    assert got == again and sorted(got) == sorted(e["id"] for e in fake.events)
    assert got != [e["id"] for e in fake.events]


def test_bad_signature_and_old_timestamp_are_rejected(fake: StripeFake) -> None:
    app, handled = receiver(fake.webhook_secret)
    stripe.Customer.create()
    client = app.test_client()
    bad = fake.deliver(client, path="/webhooks/stripe", bad_signature=True)
    assert bad[0].status == 400 and "No signatures found" in bad[0].body
    old = fake.deliver(client, path="/webhooks/stripe", old=True)
    assert old[0].status == 400 and "tolerance" in old[0].body
    assert handled == []
    fresh = fake.deliver(client, path="/webhooks/stripe", timestamp=time.time() - 200)
    assert fresh[0].status == 200


class Collector:
    """A loopback endpoint that keeps what it receives (method, body, signature)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.fail_first = fail_first

    def handle(self, req: Request) -> Response:
        if self.fail_first > 0:
            self.fail_first -= 1
            return Response(500, b"down")
        self.received.append((req.body, req.headers.get("Stripe-Signature", "")))
        return Response(200, b"ok")


def test_deliver_to_a_url_even_inside_the_in_process_block(fake: StripeFake) -> None:
    collector = Collector()
    stripe.Customer.create()
    with LoopbackServer(collector) as server:
        results = fake.deliver(server.url + "/hooks")
    assert results[0].ok
    body, header = collector.received[0]
    assert (
        stripe.Webhook.construct_event(body, header, fake.webhook_secret).type == "customer.created"
    )


def test_forward_webhooks_posts_every_new_event_and_retries(fake: StripeFake) -> None:
    collector = Collector(fail_first=1)
    with LoopbackServer(collector) as server:
        forwarder = fake.forward_webhooks(server.url, backoff=0.0)
        stripe.Customer.create()
        stripe.Product.create(name="Lamp")
        assert forwarder.wait(10)
        fake.stop_forwarding()
    types = [json.loads(body)["type"] for body, _ in collector.received]
    assert types == ["customer.created", "product.created"]
    assert [d.status for d in forwarder.deliveries] == [500, 200, 200]
    stripe.Customer.create()  # after stop: not forwarded, and nothing breaks
    assert len(collector.received) == 2


def test_forwarding_to_a_dead_url_never_breaks_the_fake(fake: StripeFake) -> None:
    forwarder = fake.forward_webhooks("http://127.0.0.1:9/nothing", retries=1, backoff=0.0)
    customer = stripe.Customer.create()
    assert forwarder.wait(10)
    fake.stop_forwarding()
    assert customer.id in fake.customers
    assert [d.ok for d in forwarder.deliveries] == [False, False]
    assert forwarder.deliveries[0].error is not None


@pytest.mark.parametrize("style", ["module", "client"])
def test_webhook_secret_can_be_chosen(style: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe, "api_key", "sk_test_x")
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake(webhook_secret="whsec_fixed") as fake:
        if style == "module":
            stripe.Customer.create()
        else:
            stripe.StripeClient("sk_test_x").v1.customers.create()
        app, handled = receiver("whsec_fixed")
        assert fake.deliver(app.test_client(), path="/webhooks/stripe")[0].status == 200
        assert len(handled) == 1
