"""The subscription item endpoints: add, retrieve, update, delete, list a subscription's items."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.billing.params import DISCOUNTS, PRICE_DATA_RECURRING
from mockkit.stripe.errors import param_error
from mockkit.stripe.lists import PAGE_SPEC
from mockkit.stripe.models.subscription_items import SubscriptionItems
from mockkit.stripe.models.subscriptions import Subscriptions
from mockkit.stripe.objects import list_object
from mockkit.stripe.params import ANY, BOOL, INT, METADATA, STR, Arr, Coercer, Int
from mockkit.stripe.routes.subscriptions import PAYMENT_BEHAVIOR, PRORATION_BEHAVIOR
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

_CHANGE: dict[str, Coercer] = {
    "price": STR,
    "plan": STR,
    "price_data": PRICE_DATA_RECURRING,
    "quantity": Int(0),
    "metadata": METADATA,
    "discounts": DISCOUNTS,
    "payment_behavior": PAYMENT_BEHAVIOR,
    "proration_behavior": PRORATION_BEHAVIOR,
    "proration_date": INT,
    "off_session": BOOL,
    "tax_rates": Arr(STR),
    "billing_thresholds": ANY,
    "current_trial": ANY,
}
_OPTIONS = ("payment_behavior", "proration_behavior", "proration_date", "off_session")
_ITEM_FIELDS = (
    "price",
    "plan",
    "price_data",
    "quantity",
    "metadata",
    "discounts",
    "tax_rates",
    "billing_thresholds",
    "current_trial",
)


def _entry(p: dict[str, Any]) -> dict[str, Any]:
    """The `items[]` entry of a subscription update that does what this request asks."""
    return {k: p[k] for k in _ITEM_FIELDS if k in p}


def _through_subscription(
    s: StripeState, sub_id: str, entry: dict[str, Any], p: dict[str, Any]
) -> dict[str, Any]:
    params = {k: p[k] for k in _OPTIONS if k in p}
    params["items"] = [entry]
    return Subscriptions.of(s).modify(sub_id, params)


@endpoint(
    "POST",
    "/v1/subscription_items",
    # `off_session` is an update's (an item added is paid with the subscription's next invoice).
    {**{k: v for k, v in _CHANGE.items() if k != "off_session"}, "subscription": STR},
    ("subscription",),
    kind="subscription_item",
)
def create_subscription_item(s: StripeState, p: dict[str, Any]) -> Any:
    """Add an item to a subscription (prorated as `proration_behavior` says)."""
    sub = Subscriptions.of(s).get(p["subscription"], "subscription", 400)
    entry = _entry(p)
    items = SubscriptionItems.of(s)
    before = {i["id"] for i in items.items_of(sub["id"])}
    _through_subscription(s, sub["id"], entry, p)
    added = [i for i in items.items_of(sub["id"]) if i["id"] not in before]
    return added[0] if added else items.items_of(sub["id"])[-1]


@endpoint("GET", "/v1/subscription_items/{id}", kind="subscription_item")
def retrieve_subscription_item(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a subscription item."""
    return SubscriptionItems.of(s).get(id)


@endpoint("POST", "/v1/subscription_items/{id}", _CHANGE, kind="subscription_item")
def update_subscription_item(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Change an item's price or quantity (prorated as `proration_behavior` says)."""
    item = SubscriptionItems.of(s).get(id)
    entry = _entry(p)
    entry["id"] = id
    _through_subscription(s, item["subscription"], entry, p)
    return SubscriptionItems.of(s).get(id)


@endpoint(
    "DELETE",
    "/v1/subscription_items/{id}",
    {
        "clear_usage": BOOL,
        "payment_behavior": PAYMENT_BEHAVIOR,
        "proration_behavior": PRORATION_BEHAVIOR,
        "proration_date": INT,
    },
    kind="deleted",
)
def delete_subscription_item(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Remove an item from its subscription (never the last one)."""
    item = SubscriptionItems.of(s).get(id)
    _through_subscription(s, item["subscription"], {"id": id, "deleted": True}, p)
    return {"id": id, "object": "subscription_item", "deleted": True}


@endpoint(
    "GET",
    "/v1/subscription_items",
    {**PAGE_SPEC, "subscription": STR},
    ("subscription",),
    kind="list:subscription_item",
)
def list_subscription_items(s: StripeState, p: dict[str, Any]) -> Any:
    """List a subscription's items, in order."""
    sub_id = p["subscription"]
    Subscriptions.of(s).get(sub_id, "subscription", 400)
    data = SubscriptionItems.of(s).items_of(sub_id)
    ids = [i["id"] for i in data]
    start = 0
    if p.get("starting_after"):
        if p["starting_after"] not in ids:
            raise param_error(
                f"No such subscription item: '{p['starting_after']}'", "starting_after"
            )
        start = ids.index(p["starting_after"]) + 1
    limit = p.get("limit") or 10
    chunk = data[start : start + limit]
    url = f"/v1/subscription_items?subscription={sub_id}"
    return list_object(chunk, url, start + limit < len(data))
