"""The event endpoints: retrieve and list (with `type` wildcards, as Stripe's)."""

from __future__ import annotations

import fnmatch
from typing import Any

from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.events import Events
from mockkit.stripe.params import BOOL, STR, Arr
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

__all__ = []


@endpoint("GET", "/v1/events/{id}", kind="event")
def retrieve_event(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve an event."""
    return Events.of(s).get(id)


@endpoint(
    "GET",
    "/v1/events",
    {
        **LIST_SPEC,
        "type": STR,
        "types": Arr(STR, 20),
        "delivery_success": BOOL,
    },
    kind="list:event",
)
def list_events(s: StripeState, p: dict[str, Any]) -> Any:
    """List events, newest first (`type` accepts a `*` wildcard, as Stripe's does)."""
    wanted = p.get("type")
    types = p.get("types")
    if not wanted and not types:
        return paginate(s, "event", p, "/v1/events")

    def keep(e: dict[str, Any]) -> bool:
        if wanted and not fnmatch.fnmatchcase(e["type"], wanted):
            return False
        return not types or e["type"] in types

    return paginate(s, "event", p, "/v1/events", keep=keep)
