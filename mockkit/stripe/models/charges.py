"""Charges: made by PaymentIntent payment attempts; retrievable, listable, updatable."""

from __future__ import annotations

from typing import Any

from mockkit.stripe import cards
from mockkit.stripe.cards import Card
from mockkit.stripe.objects import build, list_object
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params

__all__ = ["Charges"]


class Charges(Model):
    """The account's charges, one per payment attempt."""

    resource = Resource(
        "charge",
        "ch_",
        expandable={
            "customer": "customer",
            "payment_intent": "payment_intent",
            "refunds": "hash:list:refund",
        },
        events=(
            "charge.succeeded",
            "charge.failed",
            "charge.captured",
            "charge.refunded",
            "charge.updated",
        ),
    )

    def create_for(self, pi: Obj, pm: Obj, card: Card, fields: dict[str, Any]) -> Obj:
        """A new charge of `pi` paid with `pm` (`card`): the shared fields, then `fields`.

        `fields["_3ds"]`: the payment was authenticated with 3D Secure.
        """
        cid = self.state.new_id("charge")
        base = {
            "id": cid,
            "created": self.state.now(),
            "amount": pi["amount"],
            "currency": pi["currency"],
            "customer": pi["customer"],
            "description": pi["description"],
            "metadata": pi["metadata"],
            "payment_intent": pi["id"],
            "payment_method": pm["id"],
            "billing_details": pm["billing_details"],
            "payment_method_details": cards.charge_details(
                card,
                pi["amount"],
                fields.pop("_3ds", False),
                (pm["card"]["exp_month"], pm["card"]["exp_year"]),
            ),
            "receipt_email": pi["receipt_email"],
            "receipt_url": f"https://pay.stripe.com/receipts/payment/mockkit_{cid}",
            "refunds": list_object([], f"/v1/charges/{cid}/refunds"),
        }
        base.update(fields)
        return self.store.add(build("charge", base))

    def modify(self, cid: str, p: Params) -> Obj:
        """POST /v1/charges/{id}."""
        charge = self.get(cid)
        previous = self.apply(charge, p, ("description", "receipt_email"))
        if previous:
            self.state.emit("charge.updated", charge, previous)
        return charge
