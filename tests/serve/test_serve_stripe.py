"""`python -m mockkit serve stripe` as a subprocess: the real SDK talks to it, webhooks arrive."""

from __future__ import annotations

import json
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue[tuple[bytes, str]]]]:
    """A webhook endpoint on loopback: its URL and a queue of (body, Stripe-Signature)."""
    received: queue.Queue[tuple[bytes, str]] = queue.Queue()

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        received.put((request.get_data(), request.headers.get("Stripe-Signature", "")))
        return Response("ok")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    runner = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    runner.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/webhooks/stripe", received
    finally:
        server.shutdown()
        runner.join()
        server.server_close()


def test_stripe_sdk_works_against_it_and_events_are_forwarded_signed(
    serve: Callable[..., Any], receiver: tuple[str, queue.Queue[tuple[bytes, str]]]
) -> None:
    url, received = receiver
    process = serve("stripe", "--forward-webhooks", url, "--json")
    details = process.read_json()
    info = details["stripe"]
    assert info["forward_webhooks"] == url
    assert info["webhook_secret"].startswith("whsec_")
    assert details["env"]["STRIPE_API_BASE"] == info["url"]

    client = stripe.StripeClient(
        info["api_key"], base_addresses={"api": info["api_base"]}, max_network_retries=0
    )
    customer = client.v1.customers.create(params={"email": "jenny@example.com"})
    assert customer.id.startswith("cus_")
    assert client.v1.customers.retrieve(customer.id).email == "jenny@example.com"

    body, signature = received.get(timeout=10)
    event = stripe.Webhook.construct_event(body, signature, info["webhook_secret"])
    assert event.type == "customer.created"
    assert json.loads(body)["data"]["object"]["id"] == customer.id

    status, err = process.stop(signal.SIGINT)
    assert status == 0, err
    # Each delivery is reported as it happens, on stderr (stdout stays machine-readable).
    assert f"webhook customer.created {event.id} -> 200" in err
    with pytest.raises(requests.ConnectionError):
        requests.get(info["url"], timeout=2)


def test_checkout_sessions_get_a_payable_page_on_the_served_fake(
    serve: Callable[..., Any],
) -> None:
    process = serve("stripe", "--webhook-secret", "whsec_fixed_for_my_app", "--json")
    details = process.read_json()
    info = details["stripe"]
    assert info["forward_webhooks"] is None
    assert info["webhook_secret"] == "whsec_fixed_for_my_app"
    assert details["env"]["STRIPE_WEBHOOK_SECRET"] == "whsec_fixed_for_my_app"
    client = stripe.StripeClient(info["api_key"], base_addresses={"api": info["api_base"]})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "http://127.0.0.1:9/ok",
            "cancel_url": "http://127.0.0.1:9/cancel",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 500,
                        "product_data": {"name": "Sticker pack"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )
    assert session.url is not None and session.url.startswith(info["url"] + "/")
    page = requests.get(session.url, timeout=5)
    assert page.status_code == 200
    assert "id=pay" in page.text and "$5.00" in page.text
    assert process.stop(signal.SIGTERM)[0] == 0


def test_each_failed_webhook_delivery_is_reported_once(serve: Callable[..., Any]) -> None:
    import socket

    with socket.socket() as closed:  # a port nobody listens on once this block ends
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    process = serve("stripe", "--forward-webhooks", f"http://127.0.0.1:{port}/hook", "--json")
    info = process.read_json()["stripe"]
    client = stripe.StripeClient(
        info["api_key"], base_addresses={"api": info["api_base"]}, max_network_retries=0
    )
    client.v1.customers.create(params={"email": "jenny@example.com"})
    status, err = process.stop(signal.SIGINT)  # delivers (and retries) what is queued first
    assert status == 0, err
    lines = [line for line in err.splitlines() if "customer.created" in line]
    # The first attempt and its two retries, one line each (the forwarder's own log line for
    # each failure used to repeat it).
    assert len(lines) == 3, err
    assert all(line.startswith("webhook customer.created evt_") for line in lines), err
