"""Many concurrent httpx requests on one fake: money exact to the cent, each event once.

Async clients put many requests in flight at once: stripe-python's `*_async` methods on
several event loops (one per thread) against one in-process fake, and `httpx.AsyncClient`
against one served fake, whose server answers each connection on its own thread. Every run is
bounded (client timeouts, `run_together`'s join); the invariants are read from the answers
and from the fake's own state and event log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import stripe

from mockkit.stripe import StripeFake, StripeServer
from tests.reliability.concurrency import run_together
from tests.reliability.fuzzing import Tally

pytestmark = pytest.mark.concurrency

KEY = "sk_test_httpx_concurrency"
CARD = {"payment_method": "pm_card_visa", "allowed_payment_method_types": ["card"], "confirm": True}
#: Threads, each running one event loop with this many calls in flight at once.
LOOPS, IN_FLIGHT = 4, 16


@pytest.fixture
def heard_fake() -> Iterator[tuple[StripeFake, list[str]]]:
    """A Stripe fake with a listener that records every event it hears."""
    fake = StripeFake()
    heard: list[str] = []
    fake.state.listeners.append(lambda event: heard.append(event["id"]))
    yield fake, heard


def assert_events_once(fake: StripeFake, heard: list[str]) -> None:
    ids = [event["id"] for event in fake.events]
    assert len(set(ids)) == len(ids), "an event was emitted twice"
    assert sorted(heard) == sorted(ids), "a listener did not hear each event exactly once"


def test_async_payments_and_refunds_from_several_loops_on_one_fake(
    heard_fake: tuple[StripeFake, list[str]], tally: Tally
) -> None:
    fake, heard = heard_fake

    async def pay_and_refund(loop_index: int) -> list[tuple[str, int, int]]:
        client = stripe.StripeClient(KEY, http_client=stripe.HTTPXClient(), max_network_retries=0)

        async def one(i: int) -> tuple[str, int, int]:
            amount = 1000 + 100 * loop_index + i  # every amount distinct
            intent = await client.v1.payment_intents.create_async(
                params={"amount": amount, "currency": "usd", **CARD},  # type: ignore[typeddict-item]
                options={"idempotency_key": f"pay-{loop_index}-{i}"},
            )
            refund = await client.v1.refunds.create_async(
                params={"payment_intent": intent.id, "amount": amount // 3}
            )
            assert intent.status == "succeeded" and refund.status == "succeeded"
            return intent.id, amount, refund.amount

        return list(await asyncio.gather(*(one(i) for i in range(IN_FLIGHT))))

    with fake:
        results = run_together(LOOPS, lambda n: asyncio.run(pay_and_refund(n)))
    tally.add(f"concurrency: httpx async, {LOOPS} loops x {IN_FLIGHT} payments", LOOPS * IN_FLIGHT)
    done = [item for batch in results for item in batch]
    assert len({pid for pid, _, _ in done}) == LOOPS * IN_FLIGHT
    for pid, amount, refunded in done:
        intent = fake.payment_intents[pid]
        charge = fake.charges[intent["latest_charge"]]
        assert (intent["amount_received"], charge["amount"]) == (amount, amount)
        assert charge["amount_refunded"] == refunded == amount // 3
    assert sum(c["amount"] for c in fake.charges.values()) == sum(a for _, a, _ in done)
    assert sum(r["amount"] for r in fake.refunds.values()) == sum(r for _, _, r in done)
    assert len(fake.events_of("payment_intent.succeeded")) == LOOPS * IN_FLIGHT
    assert len(fake.events_of("refund.created")) == LOOPS * IN_FLIGHT
    assert_events_once(fake, heard)


@pytest.fixture
def served(heard_fake: tuple[StripeFake, list[str]]) -> Iterator[StripeServer]:
    with heard_fake[0].serve() as server:
        yield server


async def _refund_all(url: str, payment_intent: str, count: int, amount: int) -> list[Any]:
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    ) as client:

        async def refund(i: int) -> tuple[int, Any]:
            answer = await client.post(
                "/v1/refunds",
                data={"payment_intent": payment_intent, "amount": str(amount)},
                headers={"Idempotency-Key": f"refund-{i}"},
            )
            return answer.status_code, answer.json()

        return list(await asyncio.gather(*(refund(i) for i in range(count))))


async def test_concurrent_async_refunds_on_a_served_fake_stop_at_the_charge(
    served: StripeServer, heard_fake: tuple[StripeFake, list[str]], tally: Tally
) -> None:
    """48 refunds of 2.50 in flight at once on a 100.00 charge: exactly 40 go through."""
    fake, heard = heard_fake
    setup = stripe.StripeClient(KEY, base_addresses={"api": served.url}, max_network_retries=0)
    intent = setup.v1.payment_intents.create(params={"amount": 10_000, "currency": "usd", **CARD})  # type: ignore[typeddict-item]
    results = await _refund_all(served.url, intent.id, 48, 250)
    tally.add("concurrency: httpx async, 48 refunds on a served fake", 48)
    refunded = [body["amount"] for status, body in results if status == 200]
    refused = [body["error"] for status, body in results if status != 200]
    assert len(refunded) == 40 and sum(refunded) == 10_000
    assert len(refused) == 8
    assert {(error["type"], error.get("code")) for error in refused} <= {
        ("invalid_request_error", "charge_already_refunded"),
        ("invalid_request_error", "amount_too_large"),
    }
    charge = fake.charges[str(intent.latest_charge)]
    assert charge["amount_refunded"] == 10_000 and charge["refunded"] is True
    assert len(fake.refunds) == 40
    assert len(fake.events_of("refund.created")) == 40
    assert len(fake.events_of("charge.refunded")) == 40
    assert_events_once(fake, heard)
