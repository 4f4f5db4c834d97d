"""Events: what every state change leaves behind, retrievable and listable like Stripe's."""

from __future__ import annotations

from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model

__all__ = ["Events"]


class Events(Model):
    """The account's events (emitted through `StripeState.emit`, see `mockkit.stripe.eventlog`)."""

    resource = Resource("event", "evt_")
