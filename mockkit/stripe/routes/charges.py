"""The charge endpoints: retrieve, update, list, and a charge's refunds."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.charges import Charges
from mockkit.stripe.params import EMAIL, METADATA, STR
from mockkit.stripe.routing import endpoint
from mockkit.stripe.search import SEARCH_SPEC, Field, search
from mockkit.stripe.state import StripeState

__all__ = []


@endpoint("GET", "/v1/charges/{id}", kind="charge")
def retrieve_charge(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a charge."""
    return Charges.of(s).get(id)


@endpoint(
    "POST",
    "/v1/charges/{id}",
    {"description": STR, "metadata": METADATA, "receipt_email": EMAIL},
    kind="charge",
)
def update_charge(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a charge."""
    return Charges.of(s).modify(id, p)


@endpoint(
    "GET",
    "/v1/charges",
    {**LIST_SPEC, "customer": STR, "payment_intent": STR},
    kind="list:charge",
)
def list_charges(s: StripeState, p: dict[str, Any]) -> Any:
    """List charges (by customer or PaymentIntent)."""
    filters = {"customer": p.get("customer"), "payment_intent": p.get("payment_intent")}
    return paginate(s, "charge", p, "/v1/charges", filters)


@endpoint("GET", "/v1/charges/{id}/refunds", LIST_SPEC, kind="list:refund")
def list_charge_refunds(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """List one charge's refunds."""
    Charges.of(s).get(id)
    return paginate(s, "refund", p, f"/v1/charges/{id}/refunds", {"charge": id})


#: What Stripe lets charges be searched by (its "query fields" for the resource).
CHARGES_SEARCH_FIELDS: dict[str, Field] = {
    "amount": Field("amount", "number"),
    "billing_details.address.postal_code": Field("billing_details.address.postal_code"),
    "created": Field("created", "number"),
    "currency": Field("currency", "token"),
    "customer": Field("customer", "token"),
    "disputed": Field("disputed", "boolean"),
    "metadata": Field("metadata"),
    "payment_method_details.card.brand": Field("payment_method_details.card.brand", "token"),
    "payment_method_details.card.exp_month": Field(
        "payment_method_details.card.exp_month", "number"
    ),
    "payment_method_details.card.exp_year": Field("payment_method_details.card.exp_year", "number"),
    "payment_method_details.card.fingerprint": Field(
        "payment_method_details.card.fingerprint", "token"
    ),
    "payment_method_details.card.last4": Field("payment_method_details.card.last4"),
    "refunded": Field("refunded", "boolean"),
    "status": Field("status", "token"),
}


@endpoint("GET", "/v1/charges/search", SEARCH_SPEC, ("query",), kind="search:charge")
def search_charges(s: StripeState, p: dict[str, Any]) -> Any:
    """Search charges with Stripe's search query language, newest first."""
    return search(s, "charge", "charges", CHARGES_SEARCH_FIELDS, p)
