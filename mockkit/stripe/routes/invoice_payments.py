"""The invoice payment endpoints: retrieve one, list an invoice's payments."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.invoice_payments import InvoicePayments
from mockkit.stripe.params import STR, Enum, Hash
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState


@endpoint("GET", "/v1/invoice_payments/{id}", kind="invoice_payment")
def retrieve_invoice_payment(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve an invoice payment."""
    return InvoicePayments.of(s).get(id)


@endpoint(
    "GET",
    "/v1/invoice_payments",
    {
        **LIST_SPEC,
        "invoice": STR,
        "status": Enum("canceled", "open", "paid"),
        "payment": Hash(
            {
                "type": Enum("payment_intent", "payment_record"),
                "payment_intent": STR,
                "payment_record": STR,
            }
        ),
    },
    kind="list:invoice_payment",
)
def list_invoice_payments(s: StripeState, p: dict[str, Any]) -> Any:
    """List invoice payments (by invoice, status or PaymentIntent)."""
    wanted = (p.get("payment") or {}).get("payment_intent")

    def keep(payment: dict[str, Any]) -> bool:
        return wanted is None or payment["payment"].get("payment_intent") == wanted

    filters = {"invoice": p.get("invoice"), "status": p.get("status")}
    return paginate(s, "invoice_payment", p, "/v1/invoice_payments", filters, keep)
