"""The refund endpoints: create, retrieve, update, list."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.refunds import Refunds
from mockkit.stripe.params import EMAIL, METADATA, STR, Enum, Int
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

__all__ = []


@endpoint(
    "POST",
    "/v1/refunds",
    {
        "charge": STR,
        "payment_intent": STR,
        "amount": Int(1),
        "reason": Enum("duplicate", "fraudulent", "requested_by_customer"),
        "metadata": METADATA,
        "instructions_email": EMAIL,
    },
    kind="refund",
)
def create_refund(s: StripeState, p: dict[str, Any]) -> Any:
    """Refund a charge or a PaymentIntent, fully or partly."""
    return Refunds.of(s).create(p)


@endpoint("GET", "/v1/refunds/{id}", kind="refund")
def retrieve_refund(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a refund."""
    return Refunds.of(s).get(id)


@endpoint("POST", "/v1/refunds/{id}", {"metadata": METADATA}, kind="refund")
def update_refund(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a refund's metadata."""
    return Refunds.of(s).modify(id, p)


@endpoint(
    "GET",
    "/v1/refunds",
    {**LIST_SPEC, "charge": STR, "payment_intent": STR},
    kind="list:refund",
)
def list_refunds(s: StripeState, p: dict[str, Any]) -> Any:
    """List refunds (by charge or PaymentIntent)."""
    filters = {"charge": p.get("charge"), "payment_intent": p.get("payment_intent")}
    return paginate(s, "refund", p, "/v1/refunds", filters)
