"""The account's event log: every state change becomes an Event, stored and handed to listeners.

Listeners (webhook forwarders) are called synchronously, in emission order, with the event.
Only event types some resource declares (`Resource.events`) can be emitted, so the list of
types a resource emits cannot drift from what it does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockkit.stripe.clock import Clock
from mockkit.stripe.ids import new_id
from mockkit.stripe.objects import build
from mockkit.stripe.resource import declares_event
from mockkit.stripe.store import Obj, Store

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

    def __init__(self, store: Store, clock: Clock, rng: random.Random) -> None:
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
        self.events.append(event)
        for listener in self.listeners:
            listener(event)
        return event
