"""Benchmark 2: does the in-process Stripe fake slow down as it fills up? 10 vs 10,000 objects.

Two fakes are filled through the fake's state API (the code its routes call, without HTTP)
with N customers and N PaymentIntents each (N = 10 and 10,000, plus their events), then
the unmodified SDK makes three calls against each, in-process:

- ``retrieve``: `payment_intents.retrieve` of a PaymentIntent in the middle of the store;
- ``list``: `customers.list(limit=10)`, the newest page;
- ``create``: the same `payment_intents.create` as benchmark 1.

The small fake is refilled from scratch every round (outside the timed blocks), so it really
holds about ten objects: each round's create blocks add only a few dozen. The two
sizes alternate in short blocks, and each case's ratio (10,000 over 10) is taken per round.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import stripe

from bench import payloads
from bench.stripe_call import API_KEY, load_fake
from bench.timing import Row, Side, interleave, ratios

NAME = "stripe_scale"
TITLE = "2. Stripe fake per call, holding 10 vs 10,000 objects"
SIZES = (10, 10_000)
#: Largest allowed slowdown of a call on the big fake, as a fraction of the small one's.
BUDGET = 0.10


def fill(fake: Any, size: int) -> str:
    """Reset `fake` and store `size` customers and PaymentIntents; return a middle PI's id."""
    fake.reset()
    # The fake's state API: each resource's state, as its routes reach it.
    from mockkit.stripe.models.customers import Customers
    from mockkit.stripe.models.payment_intents import PaymentIntents

    customers = Customers.of(fake.state)
    intents = PaymentIntents.of(fake.state)
    middle = ""
    for i in range(size):
        customer = customers.create(
            {
                "email": f"customer{i}@example.com",
                "name": f"Customer {i}",
                "metadata": {"index": str(i)},
            }
        )
        pi = intents.create(
            {
                "amount": 1000 + i,
                "currency": "usd",
                "customer": customer["id"],
                "allowed_payment_method_types": ["card"],
                "metadata": {"order_id": str(i)},
            }
        )
        if i == size // 2:
            middle = pi["id"]
    return middle


def run(quick: bool) -> list[Row]:
    fake_cls = load_fake()
    if fake_cls is None:
        return [Row(NAME, "fake", note="skipped: mockkit.stripe.StripeFake absent")]
    rounds, blocks = (4, 2) if quick else (15, 10)
    if quick:
        inner = {"retrieve": 40, "list": 20, "create": 20}
    else:
        inner = {"retrieve": 200, "list": 100, "create": 60}
    client = stripe.StripeClient(API_KEY)
    fakes = {size: fake_cls(seed=size) for size in SIZES}
    middle: dict[int, str] = {}
    small, big = SIZES

    def refill(r: int) -> None:
        # The small fake is refilled every round, so it never holds more than a few dozen
        # objects; the big one only once (each round adds at most a few dozen to its 20,000).
        for size, fake in fakes.items():
            if r == 0 or size == small:
                middle[size] = fill(fake, size)

    def make_side(case: str, size: int) -> Side:
        fake = fakes[size]
        ops: dict[str, Callable[[], Any]] = {
            "retrieve": lambda: client.v1.payment_intents.retrieve(middle[size]),
            "list": lambda: client.v1.customers.list(params={"limit": 10}),
            "create": lambda: client.v1.payment_intents.create(
                params=payloads.PAYMENT_INTENT_PARAMS  # type: ignore[arg-type]
            ),
        }

        @contextlib.contextmanager
        def open_side() -> Iterator[Callable[[], Any]]:
            with fake:
                yield ops[case]

        return Side(f"{case} {size}", open_side, inner[case])

    # Each case's two sizes sit side by side, so the alternating order keeps them adjacent.
    sides = [make_side(case, size) for case in inner for size in SIZES]
    times = interleave(sides, rounds=rounds, inner=0, blocks=blocks, before_round=refill)

    rows: list[Row] = []
    for case in inner:
        base, mine = times[f"{case} {small}"], times[f"{case} {big}"]
        rows.append(Row(NAME, f"{case}, holding {small:,} (baseline)", base))
        row = Row(
            NAME,
            f"{case}, holding {big:,}",
            mine,
            f"holding {small}",
            ratios(mine, base),
            "x small",
            budget=f"<= {1 + BUDGET:.2f}x small",
        )
        summary = row.ratio
        # The budget guards against slowing down as the fake fills up; a big fake measured
        # faster than a small one is noise, not a failure.
        row.met = summary is not None and summary.median <= 1 + BUDGET
        rows.append(row)
    return rows
