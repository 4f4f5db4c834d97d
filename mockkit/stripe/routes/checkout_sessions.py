"""The Checkout Session endpoints: create, retrieve, expire, list, and their line items."""

from __future__ import annotations

from typing import Any

from mockkit.stripe import versions
from mockkit.stripe.errors import no_such, not_emulated, param_error
from mockkit.stripe.lists import LIST_SPEC, PAGE_SPEC, paginate
from mockkit.stripe.models.checkout_sessions import CheckoutSessions
from mockkit.stripe.objects import list_object
from mockkit.stripe.params import (
    ANY,
    BOOL,
    DECIMAL,
    EMAIL,
    INT,
    METADATA,
    STATEMENT_DESCRIPTOR,
    STATEMENT_DESCRIPTOR_SUFFIX,
    STR,
    URL,
    Arr,
    Enum,
    Hash,
    Int,
    Str,
)
from mockkit.stripe.routes.payment_intents import CAPTURE_METHOD, SHIPPING
from mockkit.stripe.routes.prices import INLINE_RECURRING
from mockkit.stripe.routing import endpoint
from mockkit.stripe.shapes import RENAMED_VALUES
from mockkit.stripe.state import StripeState

__all__ = ["LINE_ITEM"]


#: Checkout's UI modes from each version on (stripe-python's `ui_mode` Literals): dahlia
#: renamed them.
_UI_MODES: dict[str, tuple[str, ...]] = {
    "": ("embedded", "hosted"),
    "2025-03-31.basil": ("custom", "embedded", "hosted"),
    RENAMED_VALUES["checkout.session"]["ui_mode"][0]: (
        "elements",
        "embedded_page",
        "form",
        "hosted_page",
    ),
}

LINE_ITEM = Hash(
    {
        "price": STR,
        "price_data": Hash(
            {
                "currency": STR,
                "unit_amount": Int(0),
                "unit_amount_decimal": DECIMAL,
                "product": STR,
                "product_data": Hash(
                    {
                        "name": STR,
                        "description": STR,
                        "images": Arr(STR, 8),
                        "metadata": METADATA,
                        "tax_code": STR,
                    },
                    ("name",),
                ),
                "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
                "recurring": INLINE_RECURRING,
            },
            ("currency",),
        ),
        "quantity": Int(1),
        "adjustable_quantity": Hash({"enabled": BOOL, "maximum": INT, "minimum": INT}),
        "tax_rates": Arr(STR),
        "dynamic_tax_rates": Arr(STR),
    }
)


@endpoint(
    "POST",
    "/v1/checkout/sessions",
    {
        "mode": Enum("payment", "setup", "subscription"),
        "line_items": Arr(LINE_ITEM),
        "success_url": URL,
        "cancel_url": URL,
        "customer": STR,
        "customer_email": EMAIL,
        "customer_creation": Enum("always", "if_required"),
        "client_reference_id": Str(200),
        "metadata": METADATA,
        "payment_intent_data": Hash(
            {
                "metadata": METADATA,
                "capture_method": CAPTURE_METHOD,
                "description": STR,
                "receipt_email": EMAIL,
                "setup_future_usage": Enum("off_session", "on_session"),
                "statement_descriptor": STATEMENT_DESCRIPTOR,
                "statement_descriptor_suffix": STATEMENT_DESCRIPTOR_SUFFIX,
                "transfer_group": STR,
                "shipping": SHIPPING,
            }
        ),
        "payment_method_types": Arr(Enum("card")),
        "excluded_payment_method_types": Arr(STR),
        "expires_at": INT,
        "locale": STR,
        "submit_type": Enum("auto", "book", "donate", "pay", "subscribe"),
        "billing_address_collection": Enum("auto", "required"),
        "allow_promotion_codes": BOOL,
        "currency": STR,
        "discounts": Arr(Hash({"coupon": STR, "promotion_code": STR}), 20),
        "subscription_data": Hash(
            {
                "trial_period_days": INT,
                "trial_end": INT,
                "metadata": METADATA,
                "description": Str(500),
                "billing_cycle_anchor": ANY,
                "proration_behavior": ANY,
                "trial_settings": ANY,
                "default_tax_rates": ANY,
                "application_fee_percent": ANY,
                "on_behalf_of": ANY,
                "transfer_data": ANY,
                "invoice_settings": ANY,
                "billing_mode": ANY,
            }
        ),
        "setup_intent_data": Hash(
            {"description": Str(1000), "metadata": METADATA, "on_behalf_of": STR}
        ),
        "ui_mode": Enum(*sorted({m for modes in _UI_MODES.values() for m in modes})),
        "automatic_tax": Hash({"enabled": BOOL, "liability": ANY}),
        "phone_number_collection": Hash({"enabled": BOOL}),
        "shipping_address_collection": Hash({"allowed_countries": Arr(STR, 250)}),
        "custom_text": ANY,
    },
    ("mode", "success_url"),
    kind="checkout.session",
)
def create_checkout_session(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a Checkout Session (mode=payment, subscription or setup)."""
    _ui_mode(p.get("ui_mode"), s.version())
    _refuse_unhonoured(p)
    return CheckoutSessions.of(s).create(p)


@endpoint("GET", "/v1/checkout/sessions/{id}", kind="checkout.session")
def retrieve_checkout_session(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a Checkout Session (expiring it if its time has passed)."""
    return CheckoutSessions.of(s).refresh(CheckoutSessions.of(s).get(id))


@endpoint("POST", "/v1/checkout/sessions/{id}/expire", kind="checkout.session")
def expire_checkout_session(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Expire an open Checkout Session."""
    return CheckoutSessions.of(s).expire(id)


@endpoint("GET", "/v1/checkout/sessions/{id}/line_items", PAGE_SPEC, kind="list:item")
def list_checkout_line_items(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """List a Checkout Session's line items (in the order given, as Stripe answers them)."""
    items = CheckoutSessions.of(s).line_items(id)
    ids = [li["id"] for li in items]
    start = 0
    after, before = p.get("starting_after"), p.get("ending_before")
    limit = p.get("limit") or 10
    if after is not None:
        if after not in ids:
            raise no_such("line item", after, "starting_after", 400)
        start = ids.index(after) + 1
    if before is not None:
        if before not in ids:
            raise no_such("line item", before, "ending_before", 400)
        end = ids.index(before)
        start = max(0, end - limit)
        chunk = items[start:end]
        return list_object(chunk, f"/v1/checkout/sessions/{id}/line_items", start > 0)
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return list_object(chunk, f"/v1/checkout/sessions/{id}/line_items", more)


@endpoint(
    "GET",
    "/v1/checkout/sessions",
    {
        **LIST_SPEC,
        "customer": STR,
        "payment_intent": STR,
        "status": Enum("open", "complete", "expired"),
        "payment_link": STR,
    },
    kind="list:checkout.session",
)
def list_checkout_sessions(s: StripeState, p: dict[str, Any]) -> Any:
    """List Checkout Sessions (by customer, PaymentIntent or status)."""
    filters = {k: p.get(k) for k in ("customer", "payment_intent", "status")}
    return paginate(s, "checkout.session", p, "/v1/checkout/sessions", filters)


def _ui_mode(mode: str | None, version: str) -> None:
    """Only Stripe's hosted page, named as `version` names it: `hosted` before dahlia,
    `hosted_page` from it (the state keeps the current name; `shapes.RENAMED_VALUES` shows the
    old one). Another mode Stripe has at the version is not emulated."""
    if mode is None:
        return
    since = max((v for v in _UI_MODES if not versions.before(version, v)), default="")
    known = _UI_MODES[since]
    if mode not in known:
        options = ", ".join(known[:-1]) + f", or {known[-1]}"
        raise param_error(f"Invalid ui_mode: must be one of {options}", "ui_mode")
    if mode not in ("hosted", "hosted_page"):
        raise not_emulated(
            f"the Checkout ui_mode `{mode}` (only Stripe's hosted page: leave ui_mode out)",
            "ui_mode",
        )


def _refuse_unhonoured(p: dict[str, Any]) -> None:
    """Refuse what the hosted page would have to do but the fake's page does not.

    Tax, phone and shipping collection, custom text and adjustable quantities change what
    the customer sees and what the session records; accepted and ignored they would pass a
    test that fails on Stripe.
    """
    if (p.get("automatic_tax") or {}).get("enabled"):
        raise not_emulated("automatic tax (Stripe Tax)", "automatic_tax[enabled]")
    if (p.get("phone_number_collection") or {}).get("enabled"):
        raise not_emulated(
            "phone number collection on the Checkout page", "phone_number_collection[enabled]"
        )
    if p.get("shipping_address_collection"):
        raise not_emulated(
            "shipping address collection on the Checkout page", "shipping_address_collection"
        )
    if p.get("custom_text"):
        raise not_emulated("custom text on the Checkout page", "custom_text")
    for i, item in enumerate(p.get("line_items") or []):
        if (item.get("adjustable_quantity") or {}).get("enabled"):
            raise not_emulated(
                "adjustable quantities on the Checkout page",
                f"line_items[{i}][adjustable_quantity][enabled]",
            )
        for name in ("tax_rates", "dynamic_tax_rates"):
            if item.get(name):
                raise not_emulated("tax rates", f"line_items[{i}][{name}]")
