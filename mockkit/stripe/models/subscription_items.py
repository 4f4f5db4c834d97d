"""Subscription items: a price and a quantity on a subscription, with the item's period.

The rules that change items (prorations, payment behaviour) live with the subscription
(`Subscriptions.change_items`); this module keeps the objects and shapes them.
"""

from __future__ import annotations

from typing import Any

from mockkit.stripe.objects import build, list_object
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, StripeState
from mockkit.stripe.transaction import Tracked

__all__ = ["SubscriptionItems", "plan_of"]


def plan_of(price: Obj) -> Obj:
    """The legacy `plan` hash Stripe shows beside a recurring price (same id)."""
    recurring = price["recurring"]
    return {
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "id": price["id"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": price["metadata"],
        "meter": None,
        "nickname": price["nickname"],
        "object": "plan",
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": "licensed",
    }


class SubscriptionItems(Model):
    """The items of every subscription, by id and by subscription."""

    resource = Resource(
        "subscription_item",
        "si_",
        expandable={"price": "hash:price", "discounts": "discount"},
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        #: Item ids per subscription, in the order they were added.
        self.by_subscription: dict[str, list[str]] = {}

    def make(
        self,
        subscription: str,
        price: Obj,
        quantity: int,
        period: tuple[int, int],
        metadata: dict[str, str] | None = None,
        discounts: list[str] | None = None,
    ) -> Obj:
        """Store a new item of `subscription`."""
        item = build(
            "subscription_item",
            {
                "id": self.state.new_id("subscription_item"),
                "created": self.state.now(),
                "discounts": list(discounts or []),
                "metadata": metadata or {},
                "price": price.copy(),
                "plan": plan_of(price),
                "quantity": quantity,
                "subscription": subscription,
                "tax_rates": [],
                "current_period_start": period[0],
                "current_period_end": period[1],
                "billing_thresholds": None,
            },
        )
        self.store.add(item)
        self.by_subscription.setdefault(subscription, []).append(item["id"])
        return item

    def items_of(self, subscription: str) -> list[Obj]:
        """The current items of a subscription, in order."""
        by_id = self.store.by_id
        return [by_id[i] for i in self.by_subscription.get(subscription, ()) if i in by_id]

    def listing(self, subscription: str) -> Obj:
        """`subscription.items`: the list Stripe embeds in the subscription."""
        data = self.items_of(subscription)
        return list_object(
            data[:10], f"/v1/subscription_items?subscription={subscription}", len(data) > 10
        )

    def replace(self, item: Obj, changes: dict[str, Any]) -> Obj:
        """Apply changes as a new dict (items are shared with event snapshots of the list)."""
        fresh = Tracked({**item, **changes})  # stored: records its own changes
        if "price" in changes:
            fresh["plan"] = plan_of(changes["price"])
        self.store.by_id[item["id"]] = fresh
        return fresh

    def drop(self, item: Obj) -> None:
        """Remove an item from its subscription."""
        self.store.remove(item["id"])
        ids = self.by_subscription.get(item["subscription"])
        if ids and item["id"] in ids:
            ids.remove(item["id"])
