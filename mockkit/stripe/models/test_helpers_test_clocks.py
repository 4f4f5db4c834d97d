"""Test clocks, and the due work of every clock: what runs when time moves on.

Billing objects schedule their time-based work here (a renewal at the end of a period, the
finalization of a draft an hour after it was created, a payment retry, the expiry of an
incomplete subscription, a `cancel_at`): on the test clock of their customer, or on the
account's own clock for customers on no test clock.

- A test clock runs its due work when it is advanced (`POST .../advance`): every entry due up
  to the new `frozen_time`, in time order, each with the clock's time set to when it was due,
  so objects and events carry the simulated times.
- The account's own clock runs its due work whenever the fake's time is read for a request
  (at the start of every API request) and when the test calls `fake.advance(seconds)`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

from mockkit.stripe.billing.periods import add_intervals
from mockkit.stripe.billing.schedule import Due, Timeline
from mockkit.stripe.errors import invalid_request, param_error
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["TestClocks"]

#: Stripe deletes a test clock (and everything on it) this long after it was created.
_LIFETIME = 30 * 86400


class TestClocks(Model):
    """The account's test clocks and the due work of every clock (see the module docstring)."""

    __test__ = False  # not a pytest test class, whatever its name

    resource = Resource(
        "test_helpers.test_clock",
        "clock_",
        events=(
            "test_helpers.test_clock.created",
            "test_helpers.test_clock.advancing",
            "test_helpers.test_clock.ready",
            "test_helpers.test_clock.deleted",
        ),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        #: Due work per clock id; None is the account's own clock.
        self.timelines: dict[str | None, Timeline] = {None: Timeline()}
        #: Customers attached to each clock, oldest first.
        self.customers: dict[str, list[str]] = {}
        self._running = False

    # ---- scheduling --------------------------------------------------------------------------

    def schedule(
        self, clock_id: str | None, at: int, kind: str, action: str, oid: str, rank: int = 50
    ) -> Due:
        """Run `state.models[kind].on_due(due)` for `oid` when `clock_id` reaches `at`."""
        timeline = self.timelines.get(clock_id)
        if timeline is None:
            timeline = self.timelines[clock_id] = Timeline()
        return timeline.add(at, f"{kind}:{action}", oid, rank)

    def now_of(self, clock_id: str | None) -> int:
        """The time on `clock_id` (the frozen time of a test clock, else the account's)."""
        if clock_id is None:
            return self.state.now()
        clock = self.store.by_id.get(clock_id)
        return clock["frozen_time"] if clock is not None else self.state.now()

    def pinned(self, clock_id: str | None) -> AbstractContextManager[None]:
        """While inside, the fake's "now" is `clock_id`'s time (no-op for the account's clock)."""
        if clock_id is None:
            return nullcontext()
        return self.state.pinned(self.now_of(clock_id))

    def due(self) -> bool:
        """Whether `run_due` would run anything now (asked before every request)."""
        if self._running:
            return False
        timeline = self.timelines.get(None)
        at = timeline.next_at() if timeline is not None else None
        return at is not None and at <= self.state.now()

    def run_due(self) -> int:
        """Run the account clock's work that is due now; the number of entries run."""
        if self._running:
            return 0
        return self._run(None, self.state.now())

    def _run(self, clock_id: str | None, until: int) -> int:
        timeline = self.timelines.get(clock_id)
        if timeline is None or timeline.next_at() is None or timeline.next_at() > until:  # type: ignore[operator]
            return 0
        done = 0
        self._running = True
        try:
            while (due := timeline.pop_due(until)) is not None:
                kind, _, action = due.action.partition(":")
                with self.state.pinned(due.at):
                    self.state.models[kind].on_due(Due(due.at, due.rank, due.seq, action, due.oid))
                done += 1
        finally:
            self._running = False
        return done

    # ---- the API -----------------------------------------------------------------------------

    def create(self, p: Params) -> Obj:
        """POST /v1/test_helpers/test_clocks."""
        s = self.state
        frozen = p["frozen_time"]
        clock = build(
            "test_helpers.test_clock",
            {
                "id": s.new_id("test_helpers.test_clock"),
                "created": s.now(),
                "deletes_after": s.now() + _LIFETIME,
                "frozen_time": frozen,
                "name": p.get("name"),
                "status": "ready",
                "status_details": {},
            },
        )
        self.store.add(clock)
        self.customers[clock["id"]] = []
        s.emit("test_helpers.test_clock.created", clock)
        if p.get("customer"):
            customer = s.ref("customer", p["customer"], "customer")
            if customer.get("test_clock"):
                raise invalid_request(
                    f"Customer {customer['id']} is already attached to a test clock.",
                    param="customer",
                )
            self.attach(clock["id"], customer)
        return clock

    def attach(self, clock_id: str, customer: Obj) -> None:
        """Put `customer` on the clock (for good, as on Stripe)."""
        customer["test_clock"] = clock_id
        self.customers.setdefault(clock_id, []).append(customer["id"])

    def advance(self, clock_id: str, p: Params) -> Obj:
        """POST /v1/test_helpers/test_clocks/{id}/advance: run everything due, in time order."""
        s = self.state
        clock = self.get(clock_id)
        target = p["frozen_time"]
        current = clock["frozen_time"]
        if target <= current:
            raise param_error(
                f"The frozen_time must be after the test clock's current frozen_time ({current}).",
                "frozen_time",
            )
        limit = self.advance_limit(clock_id)
        if target > limit:
            raise param_error(
                f"Cannot advance the test clock beyond {limit}: a test clock may advance at "
                "most two intervals of its shortest subscription at a time (two years when it "
                "has no subscriptions).",
                "frozen_time",
            )
        self.update(
            clock,
            {
                "status": "advancing",
                "status_details": {"advancing": {"target_frozen_time": target}},
            },
        )
        with s.pinned(current):
            s.emit("test_helpers.test_clock.advancing", clock)
        timeline = self.timelines.get(clock_id)
        if timeline is not None:
            while (due := timeline.pop_due(target)) is not None:
                clock["frozen_time"] = max(due.at, current)
                kind, _, action = due.action.partition(":")
                with s.pinned(due.at):
                    s.models[kind].on_due(Due(due.at, due.rank, due.seq, action, due.oid))
        self.update(clock, {"frozen_time": target, "status": "ready", "status_details": {}})
        with s.pinned(target):
            s.emit("test_helpers.test_clock.ready", clock)
        return clock

    def advance_limit(self, clock_id: str) -> int:
        """The furthest `frozen_time` one advance may reach (Stripe's rule)."""
        current = self.get(clock_id)["frozen_time"]
        shortest: int | None = None
        # By kind, not by class: subscriptions schedule their work here.
        subs: Any = self.state.models["subscription"]
        for cid in self.customers.get(clock_id, ()):
            for sub in subs.of_customer(cid):
                if sub["status"] in ("canceled", "incomplete_expired"):
                    continue
                recurring = sub["items"]["data"][0]["price"]["recurring"]
                end = add_intervals(current, recurring["interval"], 2 * recurring["interval_count"])
                shortest = end if shortest is None else min(shortest, end)
        return shortest if shortest is not None else add_intervals(current, "year", 2)

    def delete(self, clock_id: str) -> Obj:
        """DELETE /v1/test_helpers/test_clocks/{id}: its customers and their objects go too."""
        clock = self.get(clock_id)
        # By kind, not by class: customers and subscriptions import this module.
        customers: Any = self.state.models["customer"]
        subs: Any = self.state.models["subscription"]
        for cid in self.customers.pop(clock_id, []):
            subs.forget_customer(cid)
            customers.forget(cid)
        self.timelines.pop(clock_id, None)
        self.store.remove(clock_id)
        self.state.emit("test_helpers.test_clock.deleted", clock)
        return {"id": clock_id, "object": "test_helpers.test_clock", "deleted": True}
