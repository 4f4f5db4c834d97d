"""Benchmark: Stripe Billing in the fake. A year of renewals, and calls among 10,000 subscriptions.

Two questions, each answered by sides timed in the same rounds (see `bench.timing`):

- ``renewals``: a test clock with 100 monthly subscriptions is advanced one month at a time
  through the unmodified SDK (`test_helpers.test_clocks.advance`); each advance runs 100
  renewals (draft invoice, an hour later finalization, PaymentIntent, charge, payment, and
  every event). Its time per renewal is compared with one `PaymentIntent` create+confirm
  (`confirm=true`) through the SDK, in-process. Budget: a renewal costs no more than that call.
- ``holding 10,000``: `subscriptions.retrieve` and `subscriptions.create` through the SDK on
  a fake holding 10 subscriptions and on one holding 10,000 (with their customers, invoices,
  PaymentIntents, charges and events, and 10,000 renewals scheduled). Budget: at most 10%
  slower.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import stripe

from bench.stripe_call import API_KEY, load_fake
from bench.timing import Row, Side, interleave, ratios

NAME = "stripe_billing"
TITLE = "6. Stripe Billing: renewals on a test clock, 10 vs 10,000 subscriptions"
SUBSCRIPTIONS = 100
SIZES = (10, 10_000)
#: A renewal may cost at most this many PaymentIntent create+confirm calls.
RENEWAL_BUDGET = 1.0
SCALE_BUDGET = 0.10
START = int(datetime(2031, 1, 15, 9, tzinfo=UTC).timestamp())
PI_PARAMS = {
    "amount": 2000,
    "currency": "usd",
    "payment_method": "pm_card_visa",
    "confirm": True,
    "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
}


def _month(n: int) -> int:
    """Two hours past the n-th monthly renewal after START (the draft hour included)."""
    dt = datetime.fromtimestamp(START, UTC)
    index = dt.year * 12 + dt.month - 1 + n
    return int(dt.replace(year=index // 12, month=index % 12 + 1).timestamp()) + 7200


def _subscribe(state: Any, price: str, clock: str | None, i: int) -> str:
    """One customer with a card and one monthly subscription, through the fake's state."""
    customers = state.models["customer"]
    params: dict[str, Any] = {
        "email": f"member{i}@example.com",
        "payment_method": "pm_card_visa",
        "invoice_settings": {"default_payment_method": "pm_card_visa"},
    }
    if clock is not None:
        params["test_clock"] = clock
    customer = customers.create(params)
    sub = state.models["subscription"].create(
        {"customer": customer["id"], "items": [{"price": price, "quantity": 1}]}
    )
    return str(sub["id"])


def _price(state: Any) -> str:
    price = state.models["price"].create(
        {
            "currency": "usd",
            "unit_amount": 1500,
            "product_data": {"name": "Membership"},
            "recurring": {"interval": "month"},
        }
    )
    return str(price["id"])


def run(quick: bool) -> list[Row]:
    fake_cls = load_fake()
    if fake_cls is None:
        return [Row(NAME, "fake", note="skipped: mockkit.stripe.StripeFake absent")]
    client = stripe.StripeClient(API_KEY)
    v1: Any = client.v1
    rows = _renewals(fake_cls, v1, quick)
    rows += _scale(fake_cls, v1, quick)
    return rows


def _renewals(fake_cls: type, v1: Any, quick: bool) -> list[Row]:
    rounds = 3 if quick else 8
    months = 4 if quick else 12
    pi_fake = fake_cls(seed=1)
    clock_fake = fake_cls(seed=2)

    @contextlib.contextmanager
    def pi_side() -> Iterator[Callable[[], Any]]:
        pi_fake.reset()
        with pi_fake:
            yield lambda: v1.payment_intents.create(params=PI_PARAMS)

    @contextlib.contextmanager
    def clock_side() -> Iterator[Callable[[], Any]]:
        clock_fake.reset()
        state = clock_fake.state
        clock = state.models["test_helpers.test_clock"].create({"frozen_time": START})
        price = _price(state)
        for i in range(SUBSCRIPTIONS):
            _subscribe(state, price, clock["id"], i)
        month = iter(range(1, 100))

        def advance() -> Any:
            target = _month(next(month))
            return v1.test_helpers.test_clocks.advance(clock["id"], params={"frozen_time": target})

        with clock_fake:
            yield advance

    sides = [
        Side("pi create+confirm", pi_side, inner=40),
        Side("clock month", clock_side, inner=months),
    ]
    times = interleave(sides, rounds=rounds, inner=0, blocks=1, warmup=1)
    per_renewal = [t / SUBSCRIPTIONS for t in times["clock month"]]
    pi_times = times["pi create+confirm"]
    row = Row(
        NAME,
        f"renewal (a month of {SUBSCRIPTIONS} subs on a test clock, per subscription)",
        per_renewal,
        "pi create+confirm",
        ratios(per_renewal, pi_times),
        "x PI create+confirm",
        budget=f"<= {RENEWAL_BUDGET}x PI create+confirm",
        note=f"{months} months per round",
    )
    summary = row.ratio
    row.met = summary is not None and summary.median <= RENEWAL_BUDGET
    return [Row(NAME, "PaymentIntent create+confirm (baseline)", pi_times), row]


def _scale(fake_cls: type, v1: Any, quick: bool) -> list[Row]:
    rounds, blocks = (3, 2) if quick else (10, 6)
    inner = {"retrieve": 40, "create": 20} if quick else {"retrieve": 150, "create": 60}
    fakes = {size: fake_cls(seed=size) for size in SIZES}
    middle: dict[int, str] = {}
    customer: dict[int, str] = {}
    price: dict[int, str] = {}
    small, big = SIZES

    def fill(size: int) -> None:
        fake = fakes[size]
        fake.reset()
        state = fake.state
        price[size] = _price(state)
        for i in range(size):
            sid = _subscribe(state, price[size], None, i)
            if i == size // 2:
                middle[size] = sid
        made = state.models["customer"].create(
            {
                "payment_method": "pm_card_visa",
                "invoice_settings": {"default_payment_method": "pm_card_visa"},
            }
        )
        customer[size] = made["id"]

    def refill(r: int) -> None:
        # The small fake is refilled every round, so it never holds more than a few dozen
        # subscriptions; the big one only once.
        for size in SIZES:
            if r == 0 or size == small:
                fill(size)

    def make_side(case: str, size: int) -> Side:
        fake = fakes[size]
        ops: dict[str, Callable[[], Any]] = {
            "retrieve": lambda: v1.subscriptions.retrieve(middle[size]),
            "create": lambda: v1.subscriptions.create(
                params={"customer": customer[size], "items": [{"price": price[size]}]}
            ),
        }

        @contextlib.contextmanager
        def open_side() -> Iterator[Callable[[], Any]]:
            with fake:
                yield ops[case]

        return Side(f"{case} {size}", open_side, inner[case])

    sides = [make_side(case, size) for case in inner for size in SIZES]
    times = interleave(sides, rounds=rounds, inner=0, blocks=blocks, before_round=refill)
    rows: list[Row] = []
    for case in inner:
        base, mine = times[f"{case} {small}"], times[f"{case} {big}"]
        rows.append(Row(NAME, f"subscription {case}, holding {small:,} (baseline)", base))
        row = Row(
            NAME,
            f"subscription {case}, holding {big:,}",
            mine,
            f"holding {small}",
            ratios(mine, base),
            "x small",
            budget=f"<= {1 + SCALE_BUDGET:.2f}x small",
        )
        summary = row.ratio
        row.met = summary is not None and summary.median <= 1 + SCALE_BUDGET
        rows.append(row)
    return rows
