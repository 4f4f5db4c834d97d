"""The coupon endpoints: create, retrieve, update (name, metadata), delete, list."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.billing.params import PERCENT
from mockkit.stripe.errors import not_emulated
from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.coupons import Coupons
from mockkit.stripe.params import ANY, INT, METADATA, STR, Enum, Hash, Int, Str
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState


@endpoint(
    "POST",
    "/v1/coupons",
    {
        "id": Str(200),
        "name": Str(40),
        "percent_off": PERCENT,
        "amount_off": Int(1),
        "currency": STR,
        "duration": Enum("once", "repeating", "forever"),
        "duration_in_months": Int(1, 1200),
        "max_redemptions": Int(1),
        "redeem_by": INT,
        "metadata": METADATA,
        "applies_to": Hash({"products": ANY}),
        "currency_options": ANY,
    },
    kind="coupon",
)
def create_coupon(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a coupon."""
    return Coupons.of(s).create(p)


@endpoint("GET", "/v1/coupons/{id}", kind="coupon")
def retrieve_coupon(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a coupon (its `valid` as of now)."""
    return Coupons.of(s).refresh(Coupons.of(s).get(id))


@endpoint(
    "POST",
    "/v1/coupons/{id}",
    {"name": Str(40), "metadata": METADATA, "currency_options": ANY},
    kind="coupon",
)
def update_coupon(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a coupon's name or metadata."""
    if p.get("currency_options"):
        raise not_emulated("coupon currency_options", "currency_options")
    return Coupons.of(s).modify(id, p)


@endpoint("DELETE", "/v1/coupons/{id}", kind="deleted")
def delete_coupon(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Delete a coupon (discounts already made with it keep working)."""
    return Coupons.of(s).delete(id)


@endpoint("GET", "/v1/coupons", LIST_SPEC, kind="list:coupon")
def list_coupons(s: StripeState, p: dict[str, Any]) -> Any:
    """List coupons, newest first."""
    return paginate(s, "coupon", p, "/v1/coupons")
