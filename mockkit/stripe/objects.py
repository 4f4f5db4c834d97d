"""Realistic Stripe objects, built from Stripe's published examples (`fixtures.json`).

Each factory returns a new `dict` with every top-level key Stripe's example for that resource
has, the placeholder values of the example replaced by what a freshly created test-mode object
carries, and any keyword overrides applied on top::

    from mockkit.stripe import objects
    pi = objects.payment_intent(amount=2000, status="succeeded")

They are pure functions, usable without a fake (e.g. to build single-endpoint `responses` stubs).
The fake itself uses `build()`, a cheaper variant that shares nested template values between
objects; the fake never mutates a nested value in place, it replaces top-level keys.
"""

from __future__ import annotations

import base64
import json
import time
from importlib import resources
from typing import Any
from urllib.parse import quote, urlsplit

from mockkit.stripe.ids import new_id
from mockkit.stripe.resource import KINDS
from mockkit.stripe.transaction import Tracked

__all__ = [
    "API_VERSION",
    "KINDS",
    "billing_portal_configuration",
    "billing_portal_session",
    "build",
    "charge",
    "checkout_session",
    "checkout_url",
    "coupon",
    "customer",
    "discount",
    "event",
    "invoice",
    "invoice_item",
    "invoice_payment",
    "line_item",
    "list_object",
    "new_id",
    "payment_intent",
    "payment_method",
    "price",
    "product",
    "promotion_code",
    "refund",
    "setup_intent",
    "subscription",
    "subscription_item",
    "template_keys",
    "test_clock",
]

#: The API version stripe-python 16.1 pins (sent as `Stripe-Version`, used in events).
API_VERSION = "2026-10-28.endive"


def _load() -> dict[str, dict[str, Any]]:
    text = resources.files("mockkit.stripe").joinpath("fixtures.json").read_text("utf-8")
    data: dict[str, dict[str, Any]] = json.loads(text)
    return data


#: Stripe's published examples, untouched (for shape checks).
FIXTURES: dict[str, dict[str, Any]] = _load()

_NULL_ADDRESS = {
    "city": None,
    "country": None,
    "line1": None,
    "line2": None,
    "postal_code": None,
    "state": None,
}

# What differs between Stripe's documentation example and a freshly created test-mode object:
# the examples fill optional sub-objects with placeholder junk (a discount on every customer, a
# `last_payment_error` on a new PaymentIntent, random shipping costs); a real new object has
# nulls there. Applied once at import, so creating an object costs a shallow copy.
_FRESH: dict[str, dict[str, Any]] = {
    "customer": {
        "currency": None,
        "discount": None,
        "shipping": None,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
    },
    "payment_method": {
        "billing_details": {
            "address": _NULL_ADDRESS,
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "metadata": {},
    },
    "product": {
        "default_price": None,
        "description": None,
        "package_dimensions": None,
        "type": "service",
        "name": "",
    },
    "price": {
        "custom_unit_amount": None,
        "recurring": None,
        "transform_quantity": None,
        "type": "one_time",
        "product": None,
    },
    "payment_intent": {
        "allowed_payment_method_types": None,
        "amount_details": {"tip": {}},
        "automatic_payment_methods": None,
        "canceled_at": None,
        "client_secret": None,
        "last_payment_error": None,
        "next_action": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "processing": None,
        "shipping": None,
        "transfer_data": None,
        "managed_payments": None,
    },
    "charge": {
        "amount_captured": 0,
        "balance_transaction": None,
        "billing_details": {
            "address": _NULL_ADDRESS,
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "MOCKKIT",
        "description": None,
        "outcome": None,
        "payment_method": None,
        "payment_method_details": None,
        "receipt_url": None,
        "shipping": None,
        "source": None,
        "transfer_data": None,
        "refunds": None,
    },
    "refund": {
        "charge": None,
        "destination_details": {
            "card": {
                "reference": None,
                "reference_status": "pending",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        },
    },
    "checkout.session": {
        "allowed_payment_method_types": None,
        "after_expiration": None,
        "amount_subtotal": 0,
        "amount_total": 0,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "cancel_url": None,
        "consent": None,
        "consent_collection": None,
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer_creation": "if_required",
        "customer_details": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "payment_intent": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "shipping_address_collection": None,
        "shipping_cost": None,
        "success_url": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",  # `hosted` before dahlia (`shapes.RENAMED_VALUES`)
        "url": None,
        "adaptive_pricing": {"enabled": False},
        "discounts": [],
        "collected_information": None,
        "permissions": None,
        "wallet_options": None,
        "currency_conversion": None,
        "managed_payments": None,
    },
    "event": {"api_version": API_VERSION, "data": {"object": {}}},
    "item": {"adjustable_quantity": None, "metadata": {}},
    "subscription": {
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": {"proration_discounts": "included"}, "type": "flexible"},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "managed_payments": None,
        "next_pending_invoice_item_invoice": None,
        "pause_collection": None,
        "pending_invoice_item_interval": None,
        "pending_update": None,
        "presentment_details": None,
        "status_details": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_start": None,
    },
    "subscription_item": {"billing_thresholds": None},
    "invoice": {
        "account_name": "mockkit",
        "amount_overpaid": 0,
        "amount_paid_off_stripe": 0,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "custom_fields": None,
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "from_invoice": None,
        "last_finalization_error": None,
        "next_payment_attempt": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "status_details": None,
        "threshold_reason": None,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
    },
    "line_item": {"pretax_credit_amounts": [], "taxes": []},
    "invoiceitem": {},
    "invoice_payment": {},
    "setup_intent": {
        "allowed_payment_method_types": None,
        "automatic_payment_methods": None,
        "last_setup_error": None,
        "next_action": None,
        "payment_method_configuration_details": None,
    },
    "coupon": {"duration_in_months": None, "percent_off": None, "redeem_by": None},
    "promotion_code": {"active": True, "expires_at": None},
    "discount": {},
    "test_helpers.test_clock": {"status_details": {}},
    "billing_portal.configuration": {
        "business_profile": {
            "headline": None,
            "privacy_policy_url": None,
            "terms_of_service_url": None,
        },
        "features": {
            "customer_update": {"allowed_updates": [], "enabled": False},
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True, "payment_method_configuration": None},
            "subscription_cancel": {
                "cancellation_reason": {"enabled": False, "options": []},
                "enabled": True,
                "mode": "at_period_end",
                "proration_behavior": "none",
            },
            "subscription_update": {
                "billing_cycle_anchor": None,
                "default_allowed_updates": [],
                "enabled": False,
                "products": [],
                "proration_behavior": "none",
                "schedule_at_period_end": {"conditions": []},
                "trial_update_behavior": "end_trial",
            },
        },
        "is_default": False,
        "metadata": {},
    },
    "billing_portal.session": {"flow": None, "return_url": None},
}


def _id_first(value: Any) -> Any:
    """`value` with every object's `id` and `object` first, as Stripe writes them."""
    if isinstance(value, list):
        return [_id_first(v) for v in value]
    if not isinstance(value, dict):
        return value
    first = {k: value[k] for k in ("id", "object") if k in value}
    return {**first, **{k: _id_first(v) for k, v in value.items() if k not in first}}


def _fresh_templates() -> dict[str, dict[str, Any]]:
    out = {}
    for kind, fixture in FIXTURES.items():
        template = json.loads(json.dumps(fixture))
        template.update(json.loads(json.dumps(_FRESH.get(kind, {}))))
        if "livemode" in template:  # not every object has it (refunds, items)
            template["livemode"] = False
        # Built in Stripe's order once, here: objects copied from the template keep it, and
        # the encoder never sorts.
        out[kind] = _id_first(template)
    return out


_TEMPLATES = _fresh_templates()
_TEMPLATE_JSON = {kind: json.dumps(t) for kind, t in _TEMPLATES.items()}


def template_keys(kind: str) -> frozenset[str]:
    """The top-level keys of Stripe's published example for `kind` (e.g. `"charge"`)."""
    return frozenset(FIXTURES[kind])


def build(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A new object of `kind`: the fresh template, shallow-copied, with `fields` on top.

    Nested values are shared with the template: callers must replace top-level keys, never
    mutate nested values in place. Used by the fake on every create, so it stays cheap. The
    object is `Tracked`: once stored, its changes in a refused request are undone.
    """
    obj = Tracked(_TEMPLATES[kind])
    dict.update(obj, fields)
    return obj


def _public(kind: str, defaults: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    # Public factories hand out independent objects: a caller may mutate them freely.
    obj: dict[str, Any] = json.loads(_TEMPLATE_JSON[kind])
    obj["id"] = new_id(kind)
    obj["created"] = int(time.time())
    obj.update(defaults)
    obj.update(overrides)
    return obj


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    """A list envelope: `{"object": "list", "data": [...], "has_more": ..., "url": ...}`."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def customer(**overrides: Any) -> dict[str, Any]:
    """A new test-mode Customer (`cus_...`) with `overrides` applied."""
    return _public("customer", {"invoice_prefix": new_id("", 8).upper()}, overrides)


def payment_method(**overrides: Any) -> dict[str, Any]:
    """A new card PaymentMethod (`pm_...`, a Visa 4242 unless `card=` says otherwise)."""
    from mockkit.stripe.cards import CARDS, card_details

    return _public("payment_method", {"card": card_details(CARDS["pm_card_visa"])}, overrides)


def product(**overrides: Any) -> dict[str, Any]:
    """A new Product (`prod_...`) with `overrides` applied (`updated` follows `created`)."""
    obj = _public("product", {"name": "Product"}, overrides)
    if "updated" not in overrides:
        obj["updated"] = obj["created"]
    return obj


def price(**overrides: Any) -> dict[str, Any]:
    """A new one-time Price (`price_...`); `unit_amount_decimal` follows `unit_amount`."""
    obj = _public("price", {"product": new_id("product")}, overrides)
    if "unit_amount_decimal" not in overrides and obj.get("unit_amount") is not None:
        obj["unit_amount_decimal"] = str(obj["unit_amount"])
    return obj


def payment_intent(**overrides: Any) -> dict[str, Any]:
    """A new PaymentIntent (`pi_...`, `requires_payment_method`) with a matching client_secret."""
    obj = _public("payment_intent", {}, overrides)
    if "client_secret" not in overrides:
        obj["client_secret"] = f"{obj['id']}_secret_{new_id('', 25)}"
    return obj


def charge(**overrides: Any) -> dict[str, Any]:
    """A new succeeded, captured Charge (`ch_...`) with an empty `refunds` list."""
    obj = _public(
        "charge",
        {
            "amount_captured": overrides.get("amount", 100),
            "captured": True,
            "paid": True,
            "status": "succeeded",
            "balance_transaction": new_id("txn_"),
        },
        overrides,
    )
    if "refunds" not in overrides:
        obj["refunds"] = list_object([], f"/v1/charges/{obj['id']}/refunds")
    return obj


def refund(**overrides: Any) -> dict[str, Any]:
    """A new succeeded Refund (`re_...`)."""
    return _public("refund", {"balance_transaction": new_id("txn_")}, overrides)


def checkout_session(**overrides: Any) -> dict[str, Any]:
    """A new open Checkout Session (`cs_test_...`) whose `url` points at Stripe's hosted page."""
    obj = _public("checkout.session", {}, overrides)
    if "expires_at" not in overrides:
        obj["expires_at"] = obj["created"] + 86400
    if "url" not in overrides:
        obj["url"] = checkout_url("https://checkout.stripe.com", obj["id"], obj["success_url"])
    return obj


def checkout_url(base: str, session_id: str, success_url: str | None = None) -> str:
    """A Checkout Session's `url` in Stripe's form: `{base}/c/pay/{id}#{fragment}`.

    Stripe's fragment is read by the page's script, never sent to the server: base64 of a
    small JSON object (the publishable key the page uses, the merchant's origin), each byte
    XORed with 5. The fake's page ignores it; it is there so the URL looks, and is split, as
    Stripe's is.
    """
    origin = ""
    if success_url:
        parts = urlsplit(success_url)
        origin = f"{parts.scheme}://{parts.netloc}"
    payload = json.dumps(
        {"apiKey": "pk_test_mockkit", "referrerOrigin": origin}, separators=(",", ":")
    )
    token = base64.b64encode(bytes(b ^ 5 for b in payload.encode("utf-8"))).decode("ascii")
    return f"{base}/c/pay/{session_id}#{quote(token, safe='')}"


def line_item(**overrides: Any) -> dict[str, Any]:
    """A new Checkout line item (`li_...`, object `item`)."""
    return _public("item", {}, overrides)


def subscription(**overrides: Any) -> dict[str, Any]:
    """A new active Subscription (`sub_...`) with no items unless `items=` says otherwise."""
    obj = _public("subscription", {"status": "active"}, overrides)
    if "items" not in overrides:
        obj["items"] = list_object([], f"/v1/subscription_items?subscription={obj['id']}")
    return obj


def subscription_item(**overrides: Any) -> dict[str, Any]:
    """A new SubscriptionItem (`si_...`)."""
    return _public("subscription_item", {}, overrides)


def invoice(**overrides: Any) -> dict[str, Any]:
    """A new draft Invoice (`in_...`) with no lines unless `lines=` says otherwise."""
    obj = _public("invoice", {"status": "draft"}, overrides)
    obj.pop("subscription", None)  # gone from invoices since 2025-03-31.basil
    if "lines" not in overrides:
        obj["lines"] = list_object([], f"/v1/invoices/{obj['id']}/lines")
    return obj


def invoice_item(**overrides: Any) -> dict[str, Any]:
    """A new pending InvoiceItem (`ii_...`)."""
    return _public("invoiceitem", {}, overrides)


def invoice_payment(**overrides: Any) -> dict[str, Any]:
    """A new InvoicePayment (`inpay_...`)."""
    return _public("invoice_payment", {"status": "open"}, overrides)


def setup_intent(**overrides: Any) -> dict[str, Any]:
    """A new SetupIntent (`seti_...`, `requires_payment_method`) with a matching client_secret."""
    obj = _public("setup_intent", {"status": "requires_payment_method"}, overrides)
    if "client_secret" not in overrides:
        obj["client_secret"] = f"{obj['id']}_secret_{new_id('', 25)}"
    return obj


def coupon(**overrides: Any) -> dict[str, Any]:
    """A new Coupon (an 8-character id), 25% off once unless overridden."""
    return _public("coupon", {"percent_off": 25.0, "duration": "once"}, overrides)


def promotion_code(**overrides: Any) -> dict[str, Any]:
    """A new active PromotionCode (`promo_...`)."""
    return _public("promotion_code", {}, overrides)


def discount(**overrides: Any) -> dict[str, Any]:
    """A new Discount (`di_...`)."""
    return _public("discount", {}, overrides)


def test_clock(**overrides: Any) -> dict[str, Any]:
    """A new ready TestClock (`clock_...`) frozen at its creation time."""
    obj = _public("test_helpers.test_clock", {}, overrides)
    if "frozen_time" not in overrides:
        obj["frozen_time"] = obj["created"]
    return obj


def billing_portal_configuration(**overrides: Any) -> dict[str, Any]:
    """A new customer portal configuration (`bpc_...`) with the Dashboard's default features."""
    obj = _public("billing_portal.configuration", {}, overrides)
    if "updated" not in overrides:
        obj["updated"] = obj["created"]
    return obj


def billing_portal_session(**overrides: Any) -> dict[str, Any]:
    """A new customer portal session (`bps_...`) whose `url` points at Stripe's portal."""
    obj = _public("billing_portal.session", {}, overrides)
    if "url" not in overrides:
        obj["url"] = f"https://billing.stripe.com/p/session/test_{new_id('', 40)}"
    return obj


test_clock.__test__ = False  # type: ignore[attr-defined]  # a factory, not a pytest test


def event(type: str, data_object: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A new Event (`evt_...`) of `type` carrying `data_object` in Stripe's envelope."""
    defaults = {
        "type": type,
        "data": {"object": data_object},
        "request": {"id": None, "idempotency_key": None},
    }
    return _public("event", defaults, overrides)
