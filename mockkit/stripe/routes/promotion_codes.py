"""The promotion code endpoints: create, retrieve, update (active, metadata), list."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.promotion_codes import PromotionCodes
from mockkit.stripe.params import ANY, BOOL, INT, METADATA, STR, Enum, Hash, Int, Str
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

_RESTRICTIONS = Hash(
    {
        "first_time_transaction": BOOL,
        "minimum_amount": Int(0),
        "minimum_amount_currency": STR,
        "currency_options": ANY,
    }
)


@endpoint(
    "POST",
    "/v1/promotion_codes",
    {
        "promotion": Hash({"type": Enum("coupon"), "coupon": STR}, ("type",)),
        "code": Str(500),
        "active": BOOL,
        "customer": STR,
        "expires_at": INT,
        "max_redemptions": Int(1),
        "metadata": METADATA,
        "restrictions": _RESTRICTIONS,
    },
    ("promotion",),
    kind="promotion_code",
)
def create_promotion_code(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a promotion code for a coupon."""
    return PromotionCodes.of(s).create(p)


@endpoint("GET", "/v1/promotion_codes/{id}", kind="promotion_code")
def retrieve_promotion_code(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a promotion code."""
    return PromotionCodes.of(s).get(id)


@endpoint(
    "POST",
    "/v1/promotion_codes/{id}",
    {"active": BOOL, "metadata": METADATA, "restrictions": Hash({"currency_options": ANY})},
    kind="promotion_code",
)
def update_promotion_code(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Activate or deactivate a promotion code, or change its metadata."""
    return PromotionCodes.of(s).modify(id, p)


@endpoint(
    "GET",
    "/v1/promotion_codes",
    {**LIST_SPEC, "active": BOOL, "code": STR, "coupon": STR, "customer": STR},
    kind="list:promotion_code",
)
def list_promotion_codes(s: StripeState, p: dict[str, Any]) -> Any:
    """List promotion codes (by code, coupon, customer, active)."""
    code = p.get("code")
    coupon = p.get("coupon")

    def keep(promo: dict[str, Any]) -> bool:
        if code is not None and promo["code"].lower() != code.lower():
            return False
        return coupon is None or promo["promotion"]["coupon"] == coupon

    filters = {"active": p.get("active"), "customer": p.get("customer")}
    return paginate(s, "promotion_code", p, "/v1/promotion_codes", filters, keep)
