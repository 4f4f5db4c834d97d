"""The account's event log: every state change becomes an Event, stored and handed to listeners.

Listeners (webhook forwarders) are called synchronously, in emission order, with the event;
inside a request (`mockkit.stripe.transaction.atomic`), once the request has committed, so a
refused request is never heard of.
Only event types some resource declares (`Resource.events`) can be emitted, so the list of
types a resource emits cannot drift from what it does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from mockkit.stripe.clock import AccountClock
from mockkit.stripe.ids import new_id
from mockkit.stripe.objects import build
from mockkit.stripe.resource import declares_event
from mockkit.stripe.store import Obj, Store
from mockkit.stripe.transaction import active

__all__ = ["EventLog", "RequestContext"]


@dataclass
class RequestContext:
    """The request being served: the `request` field of the events it causes, and its base URL."""

    request_id: str | None = None
    idempotency_key: str | None = None
    base_url: str | None = None
    served: bool = False
    #: The API version the request named (`Stripe-Version`), if any.
    api_version: str | None = None


class EventLog:
    """Events of one account, oldest first, and who is told about new ones."""

    def __init__(self, store: Store, clock: AccountClock, rng: random.Random) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng
        self.events: list[Obj] = []
        self.listeners: list[Callable[[Obj], None]] = []

    def emit(
        self,
        type: str,
        obj: Obj,
        previous: dict[str, Any] | None = None,
        context: RequestContext | None = None,
    ) -> Obj:
        """Record an Event of `type` about `obj` (a snapshot) and notify listeners."""
        if not declares_event(type):
            raise ValueError(f"no Stripe resource declares the event type {type!r}")
        data: dict[str, Any] = {"object": obj.copy()}
        if previous is not None:
            data["previous_attributes"] = previous
        ctx = context or RequestContext()
        event = build(
            "event",
            {
                "id": new_id("event", rng=self.rng),
                "created": self.clock.now(),
                "type": type,
                "data": data,
                "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
                "pending_webhooks": 1 if self.listeners else 0,
            },
        )
        self.store.add(event)
        tx = active()
        if tx is not None:
            tx.undo(partial(_truncate, self.events, len(self.events)))
            self.events.append(event)
            if self.listeners:  # none can be added while a request holds the fake
                tx.on_commit(partial(self._notify, event))
        else:
            self.events.append(event)
            self._notify(event)
        return event

    def _notify(self, event: Obj) -> None:
        for listener in self.listeners:
            listener(event)


def _truncate(events: list[Obj], length: int) -> None:
    del events[length:]
