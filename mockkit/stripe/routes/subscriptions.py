"""The subscription endpoints: create, retrieve, update, cancel, list, pause, resume."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.billing.params import (
    ADD_INVOICE_ITEMS,
    DISCOUNTS,
    PRICE_DATA_RECURRING,
    unix_or,
)
from mockkit.stripe.errors import param_error
from mockkit.stripe.lists import LIST_SPEC, RANGE, paginate
from mockkit.stripe.models.subscriptions import Subscriptions
from mockkit.stripe.params import (
    ANY,
    BOOL,
    INT,
    METADATA,
    STR,
    Arr,
    Coercer,
    Enum,
    Hash,
    Int,
    Str,
)
from mockkit.stripe.routing import endpoint
from mockkit.stripe.search import SEARCH_SPEC, Field, search
from mockkit.stripe.state import StripeState

__all__ = ["ITEM", "PAYMENT_BEHAVIOR", "PRORATION_BEHAVIOR"]

PRORATION_BEHAVIOR = Enum("create_prorations", "none", "always_invoice")
PAYMENT_BEHAVIOR = Enum(
    "allow_incomplete", "default_incomplete", "error_if_incomplete", "pending_if_incomplete"
)
ITEM = Hash(
    {
        "id": STR,
        "price": STR,
        "plan": STR,
        "price_data": PRICE_DATA_RECURRING,
        "quantity": Int(0),
        "metadata": METADATA,
        "discounts": DISCOUNTS,
        "deleted": BOOL,
        "clear_usage": BOOL,
        "tax_rates": Arr(STR),
        "billing_thresholds": ANY,
        "current_trial": ANY,
    }
)
#: An item of a new subscription: Stripe's create takes no `id`, `deleted` or `clear_usage`
#: (there is no existing item to name, delete or clear).
NEW_ITEM = Hash({k: v for k, v in ITEM.spec.items() if k not in ("id", "deleted", "clear_usage")})
_COMMON: dict[str, Coercer] = {
    "items": Arr(ITEM, 20),
    "add_invoice_items": ADD_INVOICE_ITEMS,
    "cancel_at": unix_or("min_period_end", "max_period_end", "max_billed_until"),
    "cancel_at_period_end": BOOL,
    "collection_method": Enum("charge_automatically", "send_invoice"),
    "days_until_due": Int(0, 730),
    "default_payment_method": STR,
    "description": Str(500),
    "discounts": DISCOUNTS,
    "metadata": METADATA,
    "off_session": BOOL,
    "payment_behavior": PAYMENT_BEHAVIOR,
    "payment_settings": Hash(
        {
            "save_default_payment_method": Enum("off", "on_subscription"),
            "payment_method_types": ANY,
            "payment_method_options": ANY,
        }
    ),
    "proration_behavior": PRORATION_BEHAVIOR,
    "trial_end": unix_or("now"),
    "trial_from_plan": BOOL,
    "trial_settings": Hash(
        {
            "end_behavior": Hash(
                {"missing_payment_method": Enum("cancel", "create_invoice", "pause")},
                ("missing_payment_method",),
            )
        }
    ),
    "invoice_settings": ANY,
    # Refused by the state as not emulated (named here so the refusal names them).
    "automatic_tax": Hash({"enabled": BOOL, "liability": ANY}),
    "default_tax_rates": Arr(STR),
    "transfer_data": ANY,
    "application_fee_percent": ANY,
    "on_behalf_of": STR,
    "billing_thresholds": ANY,
    "billing_schedules": ANY,
    "pending_invoice_item_interval": ANY,
    "default_source": STR,
}
CREATE_SPEC: dict[str, Coercer] = {
    **_COMMON,
    "items": Arr(NEW_ITEM, 20),
    "customer": STR,
    "customer_account": STR,
    "currency": STR,
    "billing_cycle_anchor": INT,
    "billing_cycle_anchor_config": Hash(
        {
            "day_of_month": Int(1, 31),
            "hour": Int(0, 23),
            "minute": Int(0, 59),
            "month": Int(1, 12),
            "second": Int(0, 59),
        },
        ("day_of_month",),
    ),
    "billing_mode": Hash(
        {
            "type": Enum("classic", "flexible"),
            "flexible": Hash({"proration_discounts": Enum("included", "itemized")}),
        },
        ("type",),
    ),
    "trial_period_days": Int(0, 730),
    "backdate_start_date": INT,
}
UPDATE_SPEC: dict[str, Coercer] = {
    **_COMMON,
    "billing_cycle_anchor": Hash({"type": Enum("now", "unchanged")}, ("type",)),
    "proration_date": INT,
    "cancellation_details": Hash(
        {
            "comment": Str(5000),
            "feedback": Enum(
                "customer_service",
                "low_quality",
                "missing_features",
                "other",
                "switched_service",
                "too_complex",
                "too_expensive",
                "unused",
            ),
        }
    ),
    "pause_collection": ANY,
}


@endpoint("POST", "/v1/subscriptions", CREATE_SPEC, kind="subscription")
def create_subscription(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a subscription (charging its first invoice as `payment_behavior` says)."""
    return Subscriptions.of(s).create(p)


@endpoint("GET", "/v1/subscriptions/{id}", kind="subscription")
def retrieve_subscription(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a subscription."""
    return Subscriptions.of(s).get(id)


@endpoint("POST", "/v1/subscriptions/{id}", UPDATE_SPEC, kind="subscription")
def update_subscription(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a subscription (items with prorations, cancel at period end, trial, ...)."""
    return Subscriptions.of(s).modify(id, p)


@endpoint(
    "DELETE",
    "/v1/subscriptions/{id}",
    {
        "invoice_now": BOOL,
        "prorate": BOOL,
        "cancellation_details": UPDATE_SPEC["cancellation_details"],
    },
    kind="subscription",
)
def cancel_subscription(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Cancel a subscription now (answering the canceled subscription, as Stripe does)."""
    return Subscriptions.of(s).cancel(id, p)


@endpoint(
    "POST",
    "/v1/subscriptions/{id}/pause",
    {
        "type": Enum("subscription"),
        "bill_for": Hash(
            {
                "outstanding_usage_through": Hash({"type": Enum("none", "now")}),
                "unused_time_from": Hash(
                    {"type": Enum("item_current_period_start", "none", "now")}
                ),
            }
        ),
        "invoicing_behavior": Enum("invoice", "pending_invoice_item"),
    },
    kind="subscription",
)
def pause_subscription(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Pause a subscription (no invoices until it is resumed)."""
    return Subscriptions.of(s).pause(id, p)


@endpoint(
    "POST",
    "/v1/subscriptions/{id}/resume",
    {
        "billing_cycle_anchor": Hash({"type": Enum("now", "unchanged")}, ("type",)),
        "payment_behavior": Enum("resume_on_payment_attempt", "resume_on_payment_success"),
        "proration_behavior": PRORATION_BEHAVIOR,
        "proration_date": INT,
    },
    kind="subscription",
)
def resume_subscription(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Resume a paused subscription."""
    return Subscriptions.of(s).resume(id, p)


_STATUSES = (
    "active",
    "all",
    "canceled",
    "ended",
    "incomplete",
    "incomplete_expired",
    "past_due",
    "paused",
    "trialing",
    "unpaid",
)


@endpoint(
    "GET",
    "/v1/subscriptions",
    {
        **LIST_SPEC,
        "customer": STR,
        "price": STR,
        "plan": STR,
        "status": Enum(*_STATUSES),
        "collection_method": Enum("charge_automatically", "send_invoice"),
        "test_clock": STR,
        "current_period_start": RANGE,
        "current_period_end": RANGE,
        "automatic_tax": Hash({"enabled": BOOL}),
    },
    kind="list:subscription",
)
def list_subscriptions(s: StripeState, p: dict[str, Any]) -> Any:
    """List subscriptions (not canceled ones unless `status` asks for them)."""
    status = p.get("status")
    price = p.get("price") or p.get("plan")
    if p.get("automatic_tax") and p["automatic_tax"].get("enabled"):
        raise param_error(
            "mockkit's Stripe fake does not emulate automatic tax; no subscription has it.",
            "automatic_tax",
        )
    ranges = {k: p[k] for k in ("current_period_start", "current_period_end") if p.get(k)}

    def keep(sub: dict[str, Any]) -> bool:
        if status in (None, "ended"):
            ended = sub["status"] in ("canceled", "incomplete_expired")
            if ended != (status == "ended"):
                return False
        elif status != "all" and sub["status"] != status:
            return False
        if price is not None and all(i["price"]["id"] != price for i in sub["items"]["data"]):
            return False
        for key, bounds in ranges.items():
            value = sub["items"]["data"][0][key]
            for op, limit in bounds.items():
                if not _compare(op, value, limit):
                    return False
        return True

    filters = {
        "customer": p.get("customer"),
        "collection_method": p.get("collection_method"),
        "test_clock": p.get("test_clock"),
    }
    return paginate(s, "subscription", p, "/v1/subscriptions", filters, keep)


def _compare(op: str, value: int, limit: int) -> bool:
    return {
        "gt": value > limit,
        "gte": value >= limit,
        "lt": value < limit,
        "lte": value <= limit,
    }[op]


#: What Stripe lets subscriptions be searched by (its "query fields" for the resource).
SUBSCRIPTIONS_SEARCH_FIELDS: dict[str, Field] = {
    "created": Field("created", "number"),
    "metadata": Field("metadata"),
    "status": Field("status", "token"),
}


@endpoint("GET", "/v1/subscriptions/search", SEARCH_SPEC, ("query",), kind="search:subscription")
def search_subscriptions(s: StripeState, p: dict[str, Any]) -> Any:
    """Search subscriptions with Stripe's search query language, newest first."""
    return search(s, "subscription", "subscriptions", SUBSCRIPTIONS_SEARCH_FIELDS, p)
