"""The Stripe fake as a state machine: random sequences of real SDK calls, checked against a model.

Hypothesis drives stripe-python through random interleavings of creating and deleting
customers, listing them page by page (`auto_paging_iter` with random page sizes and filters),
paying, refunding random amounts and replaying idempotent requests. After every step the
fake must agree with a plain model of what Stripe would hold: lists return every live object
once, newest first; refunds add up and never pass the charge; a replayed key answers the
first answer, byte for byte.
"""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mockkit.stripe import StripeFake
from tests.reliability.fuzzing import FUZZ, Tally
from tests.stripe.driver import CARD

pytestmark = pytest.mark.fuzz

KEY = "sk_test_reliability"
STEPS = {"n": 0}


class StripeModel(RuleBasedStateMachine):
    """A real SDK client on an in-process fake, beside a model of the expected state."""

    def __init__(self) -> None:
        super().__init__()
        self.fake = StripeFake()
        self.fake.start()
        self.client = stripe.StripeClient(
            KEY, base_addresses={"api": "https://api.stripe.com"}, max_network_retries=0
        )
        self.customers: list[str] = []  # live ids, oldest first
        self.tags: dict[str, str] = {}
        self.charges: dict[str, tuple[int, int]] = {}  # payment intent -> (amount, refunded)
        self.replies: dict[str, str] = {}  # idempotency key -> first answer's id

    def teardown(self) -> None:
        self.fake.stop()

    @rule(tag=st.sampled_from(["a", "b", ""]), key=st.one_of(st.none(), st.sampled_from("xyz")))
    def create_customer(self, tag: str, key: str | None) -> None:
        STEPS["n"] += 1
        options = {"idempotency_key": f"cus-{key}-{tag}"} if key else {}
        customer = self.client.v1.customers.create(
            params={"metadata": {"tag": tag}} if tag else {}, options=options
        )
        if key and f"cus-{key}-{tag}" in self.replies:
            assert customer.id == self.replies[f"cus-{key}-{tag}"]  # replayed, not created
            return
        if key:
            self.replies[f"cus-{key}-{tag}"] = customer.id
        self.customers.append(customer.id)
        self.tags[customer.id] = tag

    @precondition(lambda self: self.customers)
    @rule(data=st.data())
    def delete_customer(self, data: st.DataObject) -> None:
        STEPS["n"] += 1
        victim = data.draw(st.sampled_from(self.customers))
        assert self.client.v1.customers.delete(victim).deleted is True
        self.customers.remove(victim)

    @rule(limit=st.integers(1, 7))
    def list_customers(self, limit: int) -> None:
        STEPS["n"] += 1
        pages = self.client.v1.customers.list(params={"limit": limit})
        seen = [c.id for c in pages.auto_paging_iter()]
        assert seen == list(reversed(self.customers))  # every live one once, newest first

    @rule(amount=st.integers(50, 5000))
    def pay(self, amount: int) -> None:
        STEPS["n"] += 1
        intent = self.client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                **CARD,
            }
        )
        assert intent.status == "succeeded"
        self.charges[intent.id] = (amount, 0)

    @precondition(lambda self: self.charges)
    @rule(data=st.data(), part=st.integers(1, 6000))
    def refund(self, data: st.DataObject, part: int) -> None:
        STEPS["n"] += 1
        intent = data.draw(st.sampled_from(sorted(self.charges)))
        amount, refunded = self.charges[intent]
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": intent, "amount": part}
            )
        except stripe.InvalidRequestError:
            assert refunded + part > amount  # refused only when it would pass the charge
            return
        assert refunded + part <= amount and refund.amount == part
        self.charges[intent] = (amount, refunded + part)

    @invariant()
    def state_matches_the_model(self) -> None:
        assert sorted(self.fake.customers) == sorted(self.customers)
        for intent, (amount, refunded) in self.charges.items():
            charge = self.fake.charges[self.fake.payment_intents[intent]["latest_charge"]]
            assert charge["amount_refunded"] == refunded
            assert charge["refunded"] is (refunded == amount)


def test_random_sdk_sequences_match_the_model(tally: Tally) -> None:
    machine: Any = StripeModel.TestCase
    machine.settings = settings(FUZZ, max_examples=60, stateful_step_count=25)
    before = STEPS["n"]
    machine().runTest()
    assert STEPS["n"] - before > 500  # the machine really ran that many calls
    tally.add("stripe state machine (SDK calls in random sequences)", STEPS["n"] - before)


def test_after_a_partial_capture_everything_captured_can_be_refunded(tally: Tally) -> None:
    """Capture C of A, then refund in parts: exactly C can be refunded, never more or less.

    Stripe reports the released A - C as refunded on the charge, so the refundable rest is
    `amount - amount_refunded`, not `amount_captured - amount_refunded`.
    """
    client = stripe.StripeClient(
        KEY, base_addresses={"api": "https://api.stripe.com"}, max_network_retries=0
    )

    @settings(FUZZ, max_examples=60)
    @given(
        amount=st.integers(100, 10_000),
        share=st.floats(0.01, 1.0),
        parts=st.lists(st.integers(1, 5_000), max_size=6),
    )
    def check(amount: int, share: float, parts: list[int]) -> None:
        tally.add("stripe partial capture then refunds")
        captured = max(1, int(amount * share))
        with StripeFake() as fake:
            intent = client.v1.payment_intents.create(
                params={
                    "amount": amount,
                    "currency": "usd",
                    "capture_method": "manual",
                    "payment_method": "pm_card_visa",
                    "confirm": True,
                    **CARD,
                }
            )
            client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": captured})
            refunded = 0
            for part in parts:
                try:
                    client.v1.refunds.create(params={"payment_intent": intent.id, "amount": part})
                except stripe.InvalidRequestError:
                    assert refunded + part > captured
                    continue
                refunded += part
                assert refunded <= captured
            if refunded < captured:  # a full refund takes exactly what is left
                rest = client.v1.refunds.create(params={"payment_intent": intent.id})
                assert rest.amount == captured - refunded
            charge = fake.charges[str(intent.latest_charge)]
            assert charge["amount_refunded"] == amount  # released + refunded
            assert charge["refunded"] is True
            assert sum(r["amount"] for r in fake.refunds.values()) == captured

    check()
