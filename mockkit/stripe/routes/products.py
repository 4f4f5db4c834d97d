"""The product endpoints: create (with a default price), retrieve, update, delete, list."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.products import Products
from mockkit.stripe.params import BOOL, METADATA, STATEMENT_DESCRIPTOR, STR, Arr, Coercer
from mockkit.stripe.routes.prices import PRICE_DATA
from mockkit.stripe.routing import endpoint
from mockkit.stripe.search import SEARCH_SPEC, Field, search
from mockkit.stripe.state import StripeState

__all__ = ["PRODUCT_SPEC"]

PRODUCT_SPEC: dict[str, Coercer] = {
    "name": STR,
    "description": STR,
    "active": BOOL,
    "metadata": METADATA,
    "images": Arr(STR, 8),
    "url": STR,
    "shippable": BOOL,
    "statement_descriptor": STATEMENT_DESCRIPTOR,
    "unit_label": STR,
    "tax_code": STR,
}


@endpoint(
    "POST",
    "/v1/products",
    {**PRODUCT_SPEC, "id": STR, "default_price_data": PRICE_DATA},
    ("name",),
    kind="product",
)
def create_product(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a product."""
    return Products.of(s).create(p)


@endpoint("GET", "/v1/products/{id}", kind="product")
def retrieve_product(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a product."""
    return Products.of(s).get(id)


@endpoint("POST", "/v1/products/{id}", {**PRODUCT_SPEC, "default_price": STR}, kind="product")
def update_product(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a product."""
    return Products.of(s).modify(id, p)


@endpoint("DELETE", "/v1/products/{id}", kind="deleted")
def delete_product(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Delete a product that no price uses."""
    return Products.of(s).delete(id)


@endpoint(
    "GET",
    "/v1/products",
    {**LIST_SPEC, "active": BOOL, "ids": Arr(STR), "shippable": BOOL, "url": STR},
    kind="list:product",
)
def list_products(s: StripeState, p: dict[str, Any]) -> Any:
    """List products."""
    result = paginate(s, "product", p, "/v1/products", {"active": p.get("active")})
    if p.get("ids"):
        result["data"] = [o for o in result["data"] if o["id"] in p["ids"]]
    return result


#: What Stripe lets products be searched by (its "query fields" for the resource).
PRODUCTS_SEARCH_FIELDS: dict[str, Field] = {
    "active": Field("active", "boolean"),
    "description": Field("description", substring=True),
    "metadata": Field("metadata"),
    "name": Field("name", substring=True),
    "shippable": Field("shippable", "boolean"),
    "url": Field("url"),
}


@endpoint("GET", "/v1/products/search", SEARCH_SPEC, ("query",), kind="search:product")
def search_products(s: StripeState, p: dict[str, Any]) -> Any:
    """Search products with Stripe's search query language, newest first."""
    return search(s, "product", "products", PRODUCTS_SEARCH_FIELDS, p)
