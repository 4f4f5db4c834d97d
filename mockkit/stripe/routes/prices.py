"""The price endpoints: create, retrieve, update, list (by product, type, lookup key, ...)."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.prices import Prices
from mockkit.stripe.params import (
    ANY,
    BOOL,
    DECIMAL,
    METADATA,
    STATEMENT_DESCRIPTOR,
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

__all__ = ["INLINE_RECURRING", "PRICE_DATA", "PRICE_SPEC", "RECURRING"]

RECURRING = Hash(
    {
        "interval": Enum("day", "week", "month", "year"),
        "interval_count": Int(1, 1095),
        "usage_type": Enum("licensed", "metered"),
        "meter": STR,
        "trial_period_days": Int(0, 730),
        "aggregate_usage": ANY,
    },
    ("interval",),
)
#: The `recurring` of a price made inline (a product's `default_price_data`, a Checkout line
#: item's `price_data`): Stripe takes only the interval there (usage types, meters and trial
#: days are a standalone price's).
INLINE_RECURRING = Hash(
    {"interval": Enum("day", "week", "month", "year"), "interval_count": Int(1, 1095)},
    ("interval",),
)
PRICE_DATA = Hash(
    {
        "currency": STR,
        "unit_amount": Int(0),
        "unit_amount_decimal": DECIMAL,
        "recurring": INLINE_RECURRING,
        "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
    },
    ("currency",),
)


PRICE_SPEC: dict[str, Coercer] = {
    "currency": STR,
    "unit_amount": Int(0),
    "unit_amount_decimal": DECIMAL,
    "product": STR,
    "product_data": Hash(
        {
            "name": STR,
            "active": BOOL,
            "metadata": METADATA,
            "statement_descriptor": STATEMENT_DESCRIPTOR,
            "unit_label": STR,
            "tax_code": STR,
        },
        ("name",),
    ),
    "recurring": RECURRING,
    "nickname": STR,
    "lookup_key": Str(200),
    "active": BOOL,
    "metadata": METADATA,
    "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
    "billing_scheme": Enum("per_unit", "tiered"),
    # Refused by the state as not emulated (named here so the refusal names them).
    "tiers": ANY,
    "tiers_mode": Enum("graduated", "volume"),
    "transform_quantity": ANY,
    "custom_unit_amount": ANY,
    "currency_options": ANY,
}


@endpoint("POST", "/v1/prices", PRICE_SPEC, ("currency",), kind="price")
def create_price(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a price."""
    return Prices.of(s).create(p)


@endpoint("GET", "/v1/prices/{id}", kind="price")
def retrieve_price(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a price."""
    return Prices.of(s).get(id)


@endpoint(
    "POST",
    "/v1/prices/{id}",
    {"active": BOOL, "nickname": STR, "lookup_key": Str(200), "metadata": METADATA},
    kind="price",
)
def update_price(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a price."""
    return Prices.of(s).modify(id, p)


@endpoint(
    "GET",
    "/v1/prices",
    {
        **LIST_SPEC,
        "product": STR,
        "active": BOOL,
        "type": Enum("one_time", "recurring"),
        "currency": STR,
        "lookup_keys": Arr(STR, 10),
    },
    kind="list:price",
)
def list_prices(s: StripeState, p: dict[str, Any]) -> Any:
    """List prices (by product, active, type, currency or lookup keys)."""
    filters = {k: p.get(k) for k in ("product", "active", "type", "currency")}
    result = paginate(s, "price", p, "/v1/prices", filters)
    if p.get("lookup_keys"):
        result["data"] = [o for o in result["data"] if o["lookup_key"] in p["lookup_keys"]]
    return result


#: What Stripe lets prices be searched by (its "query fields" for the resource).
PRICES_SEARCH_FIELDS: dict[str, Field] = {
    "active": Field("active", "boolean"),
    "currency": Field("currency", "token"),
    "lookup_key": Field("lookup_key"),
    "metadata": Field("metadata"),
    "product": Field("product", "token"),
    "type": Field("type", "token"),
}


@endpoint("GET", "/v1/prices/search", SEARCH_SPEC, ("query",), kind="search:price")
def search_prices(s: StripeState, p: dict[str, Any]) -> Any:
    """Search prices with Stripe's search query language, newest first."""
    return search(s, "price", "prices", PRICES_SEARCH_FIELDS, p)
