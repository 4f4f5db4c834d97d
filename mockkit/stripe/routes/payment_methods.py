"""The PaymentMethod endpoints: create from a test card, retrieve, update, attach, detach, list."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import PAGE_SPEC, paginate
from mockkit.stripe.models.payment_methods import PaymentMethods
from mockkit.stripe.params import ADDRESS, EMAIL, INT, METADATA, STR, Enum, Hash
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

__all__ = ["BILLING"]

BILLING = Hash({"address": ADDRESS, "email": EMAIL, "name": STR, "phone": STR, "tax_id": STR})


@endpoint(
    "POST",
    "/v1/payment_methods",
    {
        "type": STR,
        "card": Hash({"token": STR, "number": STR, "exp_month": INT, "exp_year": INT, "cvc": STR}),
        "billing_details": BILLING,
        "metadata": METADATA,
        "allow_redisplay": Enum("always", "limited", "unspecified"),
    },
    ("type",),
    kind="payment_method",
)
def create_payment_method(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a card PaymentMethod from a test token or test card number."""
    return PaymentMethods.of(s).create(p)


@endpoint("GET", "/v1/payment_methods/{id}", kind="payment_method")
def retrieve_payment_method(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a PaymentMethod (`pm_card_visa` and friends yield a new test card)."""
    return PaymentMethods.of(s).lookup(id, "id", 404)


@endpoint(
    "POST",
    "/v1/payment_methods/{id}",
    {
        "billing_details": BILLING,
        "metadata": METADATA,
        "allow_redisplay": Enum("always", "limited", "unspecified"),
    },
    kind="payment_method",
)
def update_payment_method(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a PaymentMethod."""
    return PaymentMethods.of(s).modify(id, p)


@endpoint(
    "POST",
    "/v1/payment_methods/{id}/attach",
    {"customer": STR},
    ("customer",),
    kind="payment_method",
)
def attach_payment_method(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Attach a PaymentMethod to a customer."""
    return PaymentMethods.of(s).attach(id, p["customer"])


@endpoint("POST", "/v1/payment_methods/{id}/detach", kind="payment_method")
def detach_payment_method(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Detach a PaymentMethod from its customer."""
    return PaymentMethods.of(s).detach(id)


@endpoint(
    "GET",
    "/v1/payment_methods",
    {**PAGE_SPEC, "customer": STR, "type": STR},
    kind="list:payment_method",
)
def list_payment_methods(s: StripeState, p: dict[str, Any]) -> Any:
    """List PaymentMethods (by customer, as Stripe requires for card methods)."""
    if p.get("customer"):
        s.ref("customer", p["customer"], "customer")
    return paginate(
        s,
        "payment_method",
        p,
        "/v1/payment_methods",
        {"customer": p.get("customer"), "type": p.get("type")},
    )
