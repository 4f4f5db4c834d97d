"""Many clients at once against the Stripe fake: state stays consistent, nothing is lost.

Each client is a thread with its own `requests.Session` (or its own `StripeClient`) on
127.0.0.1; all start together behind a barrier; every run is bounded in threads (at most 32),
requests (a few hundred) and time (a join with a timeout). The invariants are read from the
answers and from the fake's own state and request log.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe
from werkzeug.serving import make_server

from mockkit.stripe import StripeFake, StripeServer
from tests.reliability.concurrency import THREADS, TIMEOUT, run_together
from tests.reliability.fuzzing import Tally
from tests.stripe.driver import CARD

pytestmark = pytest.mark.concurrency

KEY = "sk_test_reliability"


@pytest.fixture
def served() -> Iterator[StripeServer]:
    """A fresh served Stripe fake."""
    with StripeFake().serve() as server:
        yield server


def _client(server: StripeServer) -> stripe.StripeClient:
    # One client (and so one connection pool) per thread; no retries: every attempt counts.
    return stripe.StripeClient(KEY, base_addresses={"api": server.url}, max_network_retries=0)


def test_one_idempotency_key_creates_one_object(served: StripeServer, tally: Tally) -> None:
    def work(i: int) -> tuple[str, str | None]:
        with requests.Session() as session:
            answer = session.post(
                served.url + "/v1/payment_intents",
                data={
                    "amount": "2500",
                    "currency": "usd",
                    "payment_method": "pm_card_visa",
                    "confirm": "true",
                    "allowed_payment_method_types[0]": "card",
                },
                headers={"Authorization": f"Bearer {KEY}", "Idempotency-Key": "order-1-pay"},
                timeout=30,
            )
        assert answer.status_code == 200, answer.text
        return answer.json()["id"], answer.headers.get("Idempotent-Replayed")

    results = run_together(THREADS, work)
    tally.add(f"concurrency: one idempotency key x {THREADS} clients", THREADS)
    assert len({pid for pid, _ in results}) == 1
    assert sorted(str(replayed) for _, replayed in results).count("true") == THREADS - 1
    fake = served.fake
    assert len(fake.payment_intents) == 1
    assert len(fake.charges) == 1  # charged once, not 32 times
    assert len(fake.events_of("payment_intent.succeeded")) == 1


def test_one_key_with_different_params_creates_one_object(
    served: StripeServer, tally: Tally
) -> None:
    """32 clients reuse one key for 32 different amounts: one wins, the rest are refused."""

    def work(i: int) -> tuple[int, Any]:
        with requests.Session() as session:
            answer = session.post(
                served.url + "/v1/customers",
                data={"email": f"client{i}@example.com"},
                headers={"Authorization": f"Bearer {KEY}", "Idempotency-Key": "shared-key"},
                timeout=30,
            )
        return answer.status_code, answer.json()

    results = run_together(THREADS, work)
    tally.add(f"concurrency: one key, different params x {THREADS} clients", THREADS)
    created = [body for status, body in results if status == 200]
    refused = [body["error"]["type"] for status, body in results if status == 400]
    assert len(created) == 1 and len(refused) == THREADS - 1
    assert set(refused) == {"idempotency_error"}
    (customer,) = served.fake.customers.values()
    assert customer["email"] == created[0]["email"]


def test_concurrent_refunds_never_exceed_the_charge(served: StripeServer, tally: Tally) -> None:
    setup = _client(served)
    intent = setup.v1.payment_intents.create(
        params={
            "amount": 10_000,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            **CARD,
        }
    )
    amounts = [700 + 37 * i for i in range(THREADS)]  # 32 refunds asking for 40,752 in all

    def work(i: int) -> tuple[str, Any]:
        client = _client(served)
        try:
            refund = client.v1.refunds.create(
                params={"payment_intent": intent.id, "amount": amounts[i]},
                options={"idempotency_key": f"refund-{i}"},
            )
        except stripe.InvalidRequestError as exc:
            return "refused", exc.code
        return "refunded", refund.amount

    results = run_together(THREADS, work)
    tally.add(f"concurrency: refunds x {THREADS} clients", THREADS)
    refunded = [amount for outcome, amount in results if outcome == "refunded"]
    refused = [code for outcome, code in results if outcome == "refused"]
    assert len(refunded) + len(refused) == THREADS
    assert refunded and refused
    assert sum(refunded) <= 10_000
    charge = served.fake.charges[str(intent.latest_charge)]
    assert charge["amount_refunded"] == sum(refunded)
    assert sum(r["amount"] for r in served.fake.refunds.values()) == sum(refunded)
    assert set(refused) <= {"charge_already_refunded", "amount_too_large", None}
    # Every refund that was refused asked for more than what was left when it ran.
    assert 10_000 - sum(refunded) < max(amounts)


@pytest.mark.parametrize("transport", ["served", "in-process"])
def test_no_request_is_lost_or_answered_twice(
    transport: str, served: StripeServer, tally: Tally
) -> None:
    per_thread = 12  # 32 x 12 = 384 requests
    base = served.url if transport == "served" else "https://api.stripe.com"

    def work(i: int) -> list[tuple[str, str, int]]:
        seen = []
        with requests.Session() as session:
            for j in range(per_thread):
                answer = session.post(
                    base + "/v1/customers",
                    data={"metadata[client]": str(i), "metadata[seq]": str(j)},
                    headers={"Authorization": f"Bearer {KEY}"},
                    timeout=30,
                )
                assert answer.status_code == 200, answer.text
                body = answer.json()
                # The answer is for this request, not a neighbour's.
                assert body["metadata"] == {"client": str(i), "seq": str(j)}
                seen.append((body["id"], answer.headers["Request-Id"], j))
        return seen

    before = len(served.fake.requests)
    if transport == "served":
        results = run_together(THREADS, work)
    else:
        with served.fake:  # the same fake, answering api.stripe.com through `responses`
            results = run_together(THREADS, work)
    total = THREADS * per_thread
    tally.add(f"concurrency: {total} requests from {THREADS} clients ({transport})", total)
    answers = [item for seen in results for item in seen]
    assert len(answers) == total
    assert len({cid for cid, _, _ in answers}) == total  # one object per request
    assert len({rid for _, rid, _ in answers}) == total  # one answer per request
    logged = served.fake.requests[before:]
    assert len(logged) == total  # every request reached the fake exactly once
    assert all(r.status == 200 for r in logged)
    stored = {
        (c["metadata"]["client"], c["metadata"]["seq"]) for c in served.fake.customers.values()
    }
    assert stored == {(str(i), str(j)) for i in range(THREADS) for j in range(per_thread)}


def test_mixed_operations_keep_every_object_consistent(served: StripeServer, tally: Tally) -> None:
    """Create, confirm, capture, cancel and list at once: every object ends in a valid state."""

    def work(i: int) -> str:
        client = _client(served)
        intent = client.v1.payment_intents.create(
            params={
                "amount": 1000 + i,
                "currency": "usd",
                "capture_method": "manual" if i % 2 else "automatic",
                **CARD,
            }
        )
        if i % 4 == 3:
            client.v1.payment_intents.cancel(intent.id)
            return "canceled"
        confirmed = client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_visa"}
        )
        if confirmed.status == "requires_capture":
            client.v1.payment_intents.capture(intent.id)
        client.v1.payment_intents.list(params={"limit": 5})
        return "succeeded"

    outcomes = run_together(THREADS, work)
    tally.add(f"concurrency: mixed lifecycle x {THREADS} clients", THREADS)
    fake = served.fake
    statuses = sorted(pi["status"] for pi in fake.payment_intents.values())
    assert statuses == sorted(outcomes)
    for pi in fake.payment_intents.values():
        if pi["status"] == "succeeded":
            charge = fake.charges[pi["latest_charge"]]
            assert charge["amount_captured"] == pi["amount"] == pi["amount_received"]
    assert len(fake.charges) == outcomes.count("succeeded")


def test_every_event_is_forwarded_once_under_load(served: StripeServer, tally: Tally) -> None:
    """32 clients pay at once while the fake forwards webhooks: each event arrives once."""
    received: list[str] = []
    lock = threading.Lock()

    def collector(environ: Any, start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        header = environ.get("HTTP_STRIPE_SIGNATURE", "")
        event = stripe.Webhook.construct_event(body, header, served.fake.webhook_secret)
        with lock:
            received.append(event.id)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    sink = make_server("127.0.0.1", 0, collector, threaded=True)
    thread = threading.Thread(target=sink.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    forwarder = served.fake.forward_webhooks(f"http://127.0.0.1:{sink.server_port}/hook")
    try:

        def work(i: int) -> str:
            intent = _client(served).v1.payment_intents.create(
                params={
                    "amount": 100 + i,
                    "currency": "usd",
                    "payment_method": "pm_card_visa",
                    "confirm": True,
                    **CARD,
                }
            )
            return str(intent.id)

        intents = run_together(THREADS, work)
        assert forwarder.wait(timeout=TIMEOUT)
    finally:
        served.fake.stop_forwarding()
        sink.shutdown()
        sink.server_close()
        thread.join(timeout=5)
    emitted = [e["id"] for e in served.fake.events]
    tally.add(f"concurrency: webhooks forwarded while {THREADS} clients pay", len(emitted))
    assert len(set(intents)) == THREADS
    assert sorted(received) == sorted(emitted)  # every event, each exactly once
    assert all(d.ok for d in forwarder.deliveries)
    assert len(served.fake.events_of("payment_intent.succeeded")) == THREADS


def test_a_checkout_page_paid_from_many_tabs_charges_once(
    served: StripeServer, tally: Tally
) -> None:
    """16 browser tabs press Pay on one hosted Checkout page at once: one payment."""
    session = _client(served).v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://shop.example/ok?session_id={CHECKOUT_SESSION_ID}",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 1500,
                        "product_data": {"name": "Mug"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )
    assert session.url and session.url.startswith(served.url)

    def work(i: int) -> int:
        with requests.Session() as tab:
            answer = tab.post(
                str(session.url), data={"card": "pm_card_visa"}, allow_redirects=False, timeout=30
            )
        return answer.status_code

    statuses = run_together(16, work)
    tally.add("concurrency: one Checkout page paid from 16 tabs", 16)
    assert statuses.count(303) >= 1 and set(statuses) <= {200, 303}  # paid, or "already paid"
    fake = served.fake
    assert len(fake.events_of("checkout.session.completed")) == 1
    assert len(fake.charges) == 1
    assert fake.checkout_sessions[session.id]["status"] == "complete"
