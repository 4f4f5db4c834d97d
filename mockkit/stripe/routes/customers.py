"""The customer endpoints: create, retrieve, update, delete, list, and a customer's cards."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import LIST_SPEC, PAGE_SPEC, paginate
from mockkit.stripe.models.customers import Customers
from mockkit.stripe.params import (
    ADDRESS,
    EMAIL,
    INT,
    METADATA,
    STR,
    Arr,
    Coercer,
    Enum,
    Hash,
    Str,
)
from mockkit.stripe.routing import endpoint
from mockkit.stripe.search import SEARCH_SPEC, Field, search
from mockkit.stripe.state import StripeState

__all__ = ["CUSTOMER_SPEC"]

CUSTOMER_SPEC: dict[str, Coercer] = {
    "email": EMAIL,
    "name": Str(256),
    "description": STR,
    "phone": Str(20),
    "metadata": METADATA,
    "address": ADDRESS,
    "shipping": Hash({"address": ADDRESS, "name": STR, "phone": STR}),
    "preferred_locales": Arr(STR),
    "balance": INT,
    "tax_exempt": Enum("none", "exempt", "reverse"),
    "invoice_settings": Hash(
        {
            "default_payment_method": STR,
            "custom_fields": Arr(Hash({"name": Str(40), "value": Str(140)}, ("name", "value")), 4),
            "footer": STR,
            "rendering_options": Hash(
                {
                    "amount_tax_display": Enum("exclude_tax", "include_inclusive_tax"),
                    "template": STR,
                }
            ),
        }
    ),
}


@endpoint(
    "POST",
    "/v1/customers",
    {**CUSTOMER_SPEC, "payment_method": STR, "test_clock": STR},
    kind="customer",
)
def create_customer(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a customer."""
    return Customers.of(s).create(p)


@endpoint("GET", "/v1/customers/{id}", kind="customer")
def retrieve_customer(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a customer (a deleted one answers its deleted stub, as Stripe does)."""
    return Customers.of(s).retrieve(id)


@endpoint("POST", "/v1/customers/{id}", CUSTOMER_SPEC, kind="customer")
def update_customer(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a customer."""
    return Customers.of(s).modify(id, p)


@endpoint("DELETE", "/v1/customers/{id}", kind="deleted")
def delete_customer(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Delete a customer."""
    return Customers.of(s).delete(id)


@endpoint(
    "GET",
    "/v1/customers",
    {**LIST_SPEC, "email": Str(512), "test_clock": STR},
    kind="list:customer",
)
def list_customers(s: StripeState, p: dict[str, Any]) -> Any:
    """List customers, newest first."""
    # Stripe leaves customers on test clocks out unless the clock is asked for.
    clock = p.get("test_clock")
    return paginate(
        s,
        "customer",
        p,
        "/v1/customers",
        {"email": p.get("email")},
        lambda c: c.get("test_clock") == clock,
    )


@endpoint(
    "GET",
    "/v1/customers/{id}/payment_methods",
    {**PAGE_SPEC, "type": STR, "allow_redisplay": STR},
    kind="list:payment_method",
)
def list_customer_payment_methods(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """List a customer's payment methods."""
    Customers.of(s).get(id)
    return paginate(
        s,
        "payment_method",
        p,
        f"/v1/customers/{id}/payment_methods",
        {"customer": id, "type": p.get("type")},
    )


#: What Stripe lets customers be searched by (its "query fields" for the resource).
CUSTOMERS_SEARCH_FIELDS: dict[str, Field] = {
    "created": Field("created", "number"),
    "email": Field("email", substring=True),
    "metadata": Field("metadata"),
    "name": Field("name", substring=True),
    "phone": Field("phone", substring=True),
}


@endpoint("GET", "/v1/customers/search", SEARCH_SPEC, ("query",), kind="search:customer")
def search_customers(s: StripeState, p: dict[str, Any]) -> Any:
    """Search customers with Stripe's search query language, newest first."""
    return search(s, "customer", "customers", CUSTOMERS_SEARCH_FIELDS, p)
