"""Races on Stripe Billing, on the served fake: clients at once, and the clock moving under them.

The same invariants as the rest of the Stripe fake's hostile tests: every answer a 2xx or
Stripe's own 4xx (never a 5xx, never a hang: every client has a timeout and the threads are
joined with one), each event emitted once and delivered once, money exact to the cent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from mockkit.stripe import StripeFake, StripeServer
from tests.reliability.concurrency import run_together
from tests.reliability.fuzzing import Tally

pytestmark = pytest.mark.concurrency

KEY = "sk_test_billing_races"
CLIENTS = 16
DAY = 86400


@pytest.fixture
def served() -> Iterator[StripeServer]:
    """A served Stripe fake with its clock stopped (it moves only when a test moves it)."""
    fake = StripeFake(KEY)
    now = fake.state.now()
    fake.clock = lambda: now
    with fake.serve() as server:
        yield server


def client_for(server: StripeServer) -> stripe.StripeClient:
    """A client of its own, as each thread of a real app would have (no retries: each answer
    is the fake's first)."""
    return stripe.StripeClient(KEY, base_addresses={"api": server.url}, max_network_retries=0)


def subscribed(client: stripe.StripeClient, **params: Any) -> Any:
    """An active monthly subscription of 20.00 for a new customer with a card."""
    customer = client.v1.customers.create(
        params={
            "email": "racer@example.com",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
            **params,
        }
    )
    price = client.v1.prices.create(
        params={
            "product_data": {"name": "Gold"},
            "unit_amount": 2000,
            "currency": "usd",
            "recurring": {"interval": "month"},
        }
    )
    return client.v1.subscriptions.create(
        params={"customer": customer.id, "items": [{"price": price.id}]}
    )


def attempt(call: Any) -> int:
    """The status of one call: 200, or the 4xx/5xx it was answered with."""
    try:
        call()
    except stripe.StripeError as exc:
        return exc.http_status or 0
    return 200


def subscription_of(invoice: dict[str, Any]) -> str | None:
    """The subscription an invoice bills (`parent.subscription_details` since 2025)."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return invoice.get("subscription") or details.get("subscription")


def assert_events_once(fake: StripeFake) -> None:
    ids = [e["id"] for e in fake.events]
    assert len(ids) == len(set(ids)) == len(fake.state.stores["event"])


def test_two_cancellations_of_one_subscription(served: StripeServer, tally: Tally) -> None:
    sub = subscribed(client_for(served))
    clients = [client_for(served) for _ in range(CLIENTS)]
    statuses = run_together(
        CLIENTS, lambda i: attempt(lambda: clients[i].v1.subscriptions.cancel(sub.id))
    )
    tally.add("stripe billing: one subscription canceled by many clients at once", CLIENTS)
    assert sorted(statuses) == [200] + [400] * (CLIENTS - 1), statuses
    fake = served.fake
    assert fake.objects("subscription")[sub.id]["status"] == "canceled"
    assert len(fake.events_of("customer.subscription.deleted")) == 1
    assert_events_once(fake)


def test_paying_one_invoice_from_many_clients(served: StripeServer, tally: Tally) -> None:
    client = client_for(served)
    customer = client.v1.customers.create(
        params={
            "email": "payer@example.com",
            "payment_method": "pm_card_visa",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    client.v1.invoice_items.create(
        params={"customer": customer.id, "amount": 1999, "currency": "usd"}
    )
    invoice = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 7,
            "pending_invoice_items_behavior": "include",
        }
    )
    invoice = client.v1.invoices.finalize_invoice(invoice.id)
    assert (invoice.status, invoice.amount_due) == ("open", 1999)
    clients = [client_for(served) for _ in range(CLIENTS)]
    statuses = run_together(
        CLIENTS, lambda i: attempt(lambda: clients[i].v1.invoices.pay(invoice.id))
    )
    tally.add("stripe billing: one invoice paid by many clients at once", CLIENTS)
    assert sorted(statuses) == [200] + [400] * (CLIENTS - 1), statuses
    fake = served.fake
    paid = fake.objects("invoice")[invoice.id]
    assert (paid["status"], paid["amount_paid"], paid["amount_remaining"]) == ("paid", 1999, 0)
    succeeded = [c for c in fake.charges.values() if c["status"] == "succeeded"]
    assert [c["amount"] for c in succeeded] == [1999]  # charged once, to the cent
    assert len(fake.events_of("invoice.paid")) == 1
    assert_events_once(fake)


class Collector:
    """A webhook endpoint on loopback that keeps every event id it is sent."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        event = json.loads(Request(environ).get_data())
        with self._lock:
            self.ids.append(event["id"])
        return Response("ok")(environ, start_response)


def test_advancing_a_test_clock_while_webhooks_go_out_and_subscriptions_change(
    served: StripeServer, tally: Tally
) -> None:
    fake = served.fake
    collector = Collector()
    endpoint = make_server("127.0.0.1", 0, collector, threaded=True)
    thread = threading.Thread(target=endpoint.serve_forever, daemon=True)
    thread.start()
    try:
        forwarder = fake.forward_webhooks(f"http://127.0.0.1:{endpoint.port}/hook")
        client = client_for(served)
        clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": fake.state.now()})
        subs = [subscribed(client, test_clock=clock.id) for _ in range(3)]
        months = 4
        clients = [client_for(served) for _ in range(4)]

        def work(i: int) -> list[int]:
            if i == 0:  # the clock, a month at a time
                statuses = []
                for month in range(1, months + 1):
                    statuses.append(
                        attempt(
                            lambda m=month: clients[0].v1.test_helpers.test_clocks.advance(
                                clock.id, params={"frozen_time": clock.frozen_time + m * 31 * DAY}
                            )
                        )
                    )
                return statuses
            # the others keep changing their subscription while time moves
            sub = subs[i - 1]
            return [
                attempt(
                    lambda n=n: clients[i].v1.subscriptions.update(
                        sub.id, params={"metadata": {"round": str(n)}}
                    )
                )
                for n in range(6)
            ]

        results = run_together(4, work)
        tally.add("stripe billing: test clock advanced while subscriptions change", 4 + 3 * 6)
        assert all(s == 200 for s in results[0]), results[0]
        assert all(s in (200, 400) for r in results[1:] for s in r), results
        forwarder.wait()
        fake.stop_forwarding()
    finally:
        endpoint.shutdown()
    assert_events_once(fake)
    emitted = [e["id"] for e in fake.events]
    assert sorted(collector.ids) == sorted(emitted)  # every event delivered, each once
    for sub in subs:
        invoices = [i for i in fake.objects("invoice").values() if subscription_of(i) == sub.id]
        paid = [i for i in invoices if i["status"] == "paid"]
        assert len(paid) == months + 1, (sub.id, [i["status"] for i in invoices])
        assert all(i["amount_paid"] == 2000 for i in paid)  # each month once, to the cent
