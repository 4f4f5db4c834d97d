"""The PaymentIntent endpoints: create, retrieve, update, confirm, capture, cancel, list."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.errors import not_emulated
from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.payment_intents import PaymentIntents
from mockkit.stripe.params import (
    ADDRESS,
    ANY,
    BOOL,
    EMAIL,
    METADATA,
    STATEMENT_DESCRIPTOR,
    STATEMENT_DESCRIPTOR_SUFFIX,
    STR,
    URL,
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

__all__ = ["CAPTURE_METHOD", "PI_COMMON", "SHIPPING", "refuse_unhonoured"]

CAPTURE_METHOD = Enum("automatic", "automatic_async", "manual")
SHIPPING = Hash(
    {"address": ADDRESS, "name": STR, "phone": STR, "carrier": STR, "tracking_number": STR}
)
PI_COMMON: dict[str, Coercer] = {
    "amount": Int(0),
    "currency": STR,
    "customer": STR,
    "description": Str(1000),
    "metadata": METADATA,
    "payment_method": STR,
    # `allowed_payment_method_types` from endive (`mockkit.stripe.versions` renames it).
    "payment_method_types": Arr(STR),
    "excluded_payment_method_types": Arr(STR),
    "receipt_email": EMAIL,
    "setup_future_usage": Enum("off_session", "on_session"),
    "shipping": SHIPPING,
    "statement_descriptor": STATEMENT_DESCRIPTOR,
    "statement_descriptor_suffix": STATEMENT_DESCRIPTOR_SUFFIX,
    "capture_method": CAPTURE_METHOD,
    "transfer_group": STR,
    "payment_method_options": ANY,
}


def _off_session(value: Any, name: str) -> Any:
    """`true` / `false`, or the kind of off-session payment (`one_off`, `recurring`): true."""
    if value in ("one_off", "recurring"):
        return True
    return BOOL(value, name)


_CONFIRM_EXTRA: dict[str, Coercer] = {
    "return_url": URL,
    "off_session": _off_session,
    "error_on_requires_action": BOOL,
    "use_stripe_sdk": BOOL,
    "mandate_data": ANY,
    "payment_method_data": ANY,
}


@endpoint(
    "POST",
    "/v1/payment_intents",
    {
        **PI_COMMON,
        **_CONFIRM_EXTRA,
        "confirm": BOOL,
        "confirmation_method": Enum("automatic", "manual"),
        "automatic_payment_methods": Hash(
            {"enabled": BOOL, "allow_redirects": Enum("always", "never")}, ("enabled",)
        ),
    },
    ("amount", "currency"),
    kind="payment_intent",
)
def create_payment_intent(s: StripeState, p: dict[str, Any]) -> Any:
    """Create (and with `confirm=true`, confirm) a PaymentIntent."""
    refuse_unhonoured(p)
    return PaymentIntents.of(s).create(p)


@endpoint("GET", "/v1/payment_intents/{id}", {"client_secret": STR}, kind="payment_intent")
def retrieve_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a PaymentIntent."""
    return PaymentIntents.of(s).get(id)


@endpoint("POST", "/v1/payment_intents/{id}", PI_COMMON, kind="payment_intent")
def update_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a PaymentIntent."""
    return PaymentIntents.of(s).modify(id, p)


@endpoint(
    "POST",
    "/v1/payment_intents/{id}/confirm",
    {
        **_CONFIRM_EXTRA,
        "payment_method": STR,
        "payment_method_types": Arr(STR),
        "excluded_payment_method_types": Arr(STR),
        "capture_method": CAPTURE_METHOD,
        "receipt_email": EMAIL,
        "setup_future_usage": Enum("off_session", "on_session"),
        "shipping": SHIPPING,
        "payment_method_options": ANY,
    },
    kind="payment_intent",
)
def confirm_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Confirm a PaymentIntent: succeed, decline (402), or ask for authentication."""
    refuse_unhonoured(p)
    pi, error = PaymentIntents.of(s).confirm(id, p)
    if error is not None:
        raise error
    return pi


@endpoint(
    "POST",
    "/v1/payment_intents/{id}/capture",
    {
        "amount_to_capture": Int(1),
        "metadata": METADATA,
        "statement_descriptor": STATEMENT_DESCRIPTOR,
        "statement_descriptor_suffix": STATEMENT_DESCRIPTOR_SUFFIX,
        "final_capture": BOOL,
    },
    kind="payment_intent",
)
def capture_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Capture an authorized PaymentIntent (fully, or partially with `amount_to_capture`)."""
    return PaymentIntents.of(s).capture(id, p)


@endpoint(
    "POST",
    "/v1/payment_intents/{id}/cancel",
    {"cancellation_reason": Enum("duplicate", "fraudulent", "requested_by_customer", "abandoned")},
    kind="payment_intent",
)
def cancel_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Cancel a PaymentIntent."""
    return PaymentIntents.of(s).cancel(id, p)


@endpoint("GET", "/v1/payment_intents", {**LIST_SPEC, "customer": STR}, kind="list:payment_intent")
def list_payment_intents(s: StripeState, p: dict[str, Any]) -> Any:
    """List PaymentIntents (optionally of one customer)."""
    return paginate(s, "payment_intent", p, "/v1/payment_intents", {"customer": p.get("customer")})


#: What Stripe lets payment_intents be searched by (its "query fields" for the resource).
PAYMENT_INTENTS_SEARCH_FIELDS: dict[str, Field] = {
    "amount": Field("amount", "number"),
    "created": Field("created", "number"),
    "currency": Field("currency", "token"),
    "customer": Field("customer", "token"),
    "metadata": Field("metadata"),
    "status": Field("status", "token"),
}


@endpoint(
    "GET", "/v1/payment_intents/search", SEARCH_SPEC, ("query",), kind="search:payment_intent"
)
def search_payment_intents(s: StripeState, p: dict[str, Any]) -> Any:
    """Search PaymentIntents with Stripe's search query language, newest first."""
    return search(s, "payment_intent", "payment_intents", PAYMENT_INTENTS_SEARCH_FIELDS, p)


def refuse_unhonoured(p: dict[str, Any]) -> None:
    """Refuse confirm parameters whose effect the fake does not reproduce.

    `payment_method_data` would create the PaymentMethod from its hash, and
    `request_three_d_secure=any|challenge` would force a 3D Secure challenge on any card;
    accepted and ignored, both would answer differently from Stripe.
    """
    if p.get("payment_method_data"):
        raise not_emulated(
            "payment_method_data (create the PaymentMethod first and pass `payment_method`)",
            "payment_method_data",
        )
    options = p.get("payment_method_options")
    card = options.get("card") if isinstance(options, dict) else None
    if isinstance(card, dict) and card.get("request_three_d_secure") in ("any", "challenge"):
        raise not_emulated(
            "forced 3D Secure (use a 3D Secure test card such as pm_card_threeDSecure2Required)",
            "payment_method_options[card][request_three_d_secure]",
        )
