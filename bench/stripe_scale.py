"""Benchmark 2: does the in-process Stripe fake slow down as it fills up? 10 vs 10,000 objects.

Two fakes are filled through the fake's state API (the code its routes call, without HTTP)
with N customers and N PaymentIntents each (N = 10 and 10,000, plus their events), then
the unmodified SDK makes three calls against each, in-process:

- ``retrieve``: `payment_intents.retrieve` of a PaymentIntent in the middle of the store;
- ``list``: `customers.list(limit=10)`, the newest page;
- ``create``: the same `payment_intents.create` as benchmark 1.

Every round refills both fakes from scratch (outside the timed blocks), so the small one
really holds about ten objects: each round's create block adds only its own few dozen. The
sizes alternate round by round, and each case's ratio (10,000 over 10) is taken per round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import stripe

from bench import payloads
from bench.stripe_call import API_KEY, load_fake
from bench.timing import Row, ratios, time_block

NAME = "stripe_scale"
TITLE = "2. Stripe fake per call, holding 10 vs 10,000 objects"
SIZES = (10, 10_000)
#: Largest allowed slowdown of a call on the big fake, as a fraction of the small one's.
BUDGET = 0.10


def fill(fake: Any, size: int) -> str:
    """Reset `fake` and store `size` customers and PaymentIntents; return a middle PI's id."""
    fake.reset()
    state = fake.state
    middle = ""
    for i in range(size):
        customer = state.create_customer(
            {
                "email": f"customer{i}@example.com",
                "name": f"Customer {i}",
                "metadata": {"index": str(i)},
            }
        )
        pi, _ = state.create_payment_intent(
            {
                "amount": 1000 + i,
                "currency": "usd",
                "customer": customer["id"],
                "payment_method_types": ["card"],
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
    rounds = 4 if quick else 15
    if quick:
        inner = {"retrieve": 40, "list": 20, "create": 20}
    else:
        inner = {"retrieve": 200, "list": 100, "create": 50}
    client = stripe.StripeClient(API_KEY)
    fakes = {size: fake_cls(seed=size) for size in SIZES}
    times: dict[tuple[str, int], list[float]] = {(c, n): [] for c in inner for n in SIZES}

    for r in range(rounds):
        order = SIZES if r % 2 == 0 else tuple(reversed(SIZES))
        for size in order:
            fake = fakes[size]
            middle = fill(fake, size)
            ops: dict[str, Callable[[], Any]] = {
                "retrieve": lambda m=middle: client.v1.payment_intents.retrieve(m),
                "list": lambda: client.v1.customers.list(params={"limit": 10}),
                "create": lambda: client.v1.payment_intents.create(
                    params=payloads.PAYMENT_INTENT_PARAMS  # type: ignore[arg-type]
                ),
            }
            with fake:
                for case, op in ops.items():  # create last: it is the one that adds objects
                    for _ in range(3):
                        op()
                    times[(case, size)].append(time_block(op, inner[case]) / inner[case])

    rows: list[Row] = []
    small, big = SIZES
    for case in inner:
        rows.append(Row(NAME, f"{case}, holding {small:,} (baseline)", times[(case, small)]))
        row = Row(
            NAME,
            f"{case}, holding {big:,}",
            times[(case, big)],
            f"holding {small}",
            ratios(times[(case, big)], times[(case, small)]),
            "x small",
            budget=f"<= {1 + BUDGET:.2f}x small",
        )
        summary = row.ratio
        # The budget guards against slowing down as the fake fills up; a big fake measured
        # faster than a small one is noise, not a failure.
        row.met = summary is not None and summary.median <= 1 + BUDGET
        rows.append(row)
    return rows
