"""The invoice item endpoints: create, retrieve, update, delete, list (pending or by invoice)."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.billing.params import DISCOUNTS, ONE_TIME_PRICE_DATA
from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.invoiceitems import InvoiceItems
from mockkit.stripe.params import BOOL, INT, METADATA, STR, Arr, Coercer, Enum, Hash, Int, Str
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

_PERIOD = Hash({"start": INT, "end": INT}, ("start", "end"))
_EDITABLE: dict[str, Coercer] = {
    "amount": INT,
    "description": Str(5000),
    "discountable": BOOL,
    "discounts": DISCOUNTS,
    "metadata": METADATA,
    "period": _PERIOD,
    "price_data": ONE_TIME_PRICE_DATA,
    "pricing": Hash({"price": STR}),
    "quantity": Int(0),
    "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
    "tax_code": STR,
    "tax_rates": Arr(STR),
    "unit_amount_decimal": STR,
    "quantity_decimal": STR,
}


@endpoint(
    "POST",
    "/v1/invoiceitems",
    {
        **_EDITABLE,
        "customer": STR,
        "customer_account": STR,
        "currency": STR,
        "invoice": STR,
        "subscription": STR,
    },
    kind="invoiceitem",
)
def create_invoice_item(s: StripeState, p: dict[str, Any]) -> Any:
    """Create an invoice item (pending, or on a draft invoice)."""
    return InvoiceItems.of(s).create(p)


@endpoint("GET", "/v1/invoiceitems/{id}", kind="invoiceitem")
def retrieve_invoice_item(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve an invoice item."""
    return InvoiceItems.of(s).get(id)


@endpoint("POST", "/v1/invoiceitems/{id}", _EDITABLE, kind="invoiceitem")
def update_invoice_item(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a pending invoice item (or one on a draft)."""
    return InvoiceItems.of(s).modify(id, p)


@endpoint("DELETE", "/v1/invoiceitems/{id}", kind="deleted")
def delete_invoice_item(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Delete a pending invoice item (or one on a draft)."""
    return InvoiceItems.of(s).delete(id)


@endpoint(
    "GET",
    "/v1/invoiceitems",
    {**LIST_SPEC, "customer": STR, "customer_account": STR, "invoice": STR, "pending": BOOL},
    kind="list:invoiceitem",
)
def list_invoice_items(s: StripeState, p: dict[str, Any]) -> Any:
    """List invoice items (by customer, invoice, or pending ones)."""
    pending = p.get("pending")

    def keep(item: dict[str, Any]) -> bool:
        return pending is None or (item["invoice"] is None) == pending

    filters = {"customer": p.get("customer"), "invoice": p.get("invoice")}
    return paginate(s, "invoiceitem", p, "/v1/invoiceitems", filters, keep)
