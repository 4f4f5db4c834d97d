"""Refunds: full or partial, of a charge or of a PaymentIntent's charge; never more than paid."""

from __future__ import annotations

from mockkit.stripe import money
from mockkit.stripe.errors import invalid_request, param_error
from mockkit.stripe.objects import build, list_object
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params

__all__ = ["Refunds"]


class Refunds(Model):
    """The account's refunds (each also listed on its charge's `refunds`)."""

    resource = Resource(
        "refund",
        "re_",
        expandable={"charge": "charge", "payment_intent": "payment_intent"},
        events=("refund.created", "refund.updated"),
    )

    def create(self, p: Params) -> Obj:
        """POST /v1/refunds: full by default, partial with `amount`; never more than is left."""
        if p.get("charge"):
            charge = self.state.ref("charge", p["charge"], "charge")
        elif p.get("payment_intent"):
            pi = self.state.ref("payment_intent", p["payment_intent"], "payment_intent")
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise invalid_request(
                    f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
            charge = self.state.get("charge", pi["latest_charge"], "payment_intent", 400)
        else:
            raise param_error(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                None,
                "parameter_missing",
            )
        if charge["status"] != "succeeded":
            raise invalid_request(
                f"Charge {charge['id']} has failed and cannot be refunded.", param="charge"
            )
        if not charge["captured"]:
            raise invalid_request(
                f"Charge {charge['id']} has not been captured. Cancel its PaymentIntent to "
                "release the authorization instead.",
                param="charge",
            )
        # A partial capture reports the released rest as refunded already (see capture), so
        # what can still be refunded is the amount less everything refunded or released.
        remaining = charge["amount"] - charge["amount_refunded"]
        if charge["refunded"] or remaining <= 0:
            raise invalid_request(
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = p.get("amount")
        if amount is None:
            amount = remaining
        currency = charge["currency"]
        if amount > remaining:
            raise invalid_request(
                f"Refund amount ({money.shown(amount, currency)}) is greater than unrefunded "
                f"amount on charge ({money.shown(remaining, currency)})",
                param="amount",
            )
        refund = build(
            "refund",
            {
                "id": self.state.new_id("refund"),
                "created": self.state.now(),
                "amount": amount,
                "charge": charge["id"],
                "currency": charge["currency"],
                "payment_intent": charge["payment_intent"],
                "payment_method": charge["payment_method"],
                "customer": charge["customer"],
                "reason": p.get("reason"),
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
                "balance_transaction": self.state.new_id("txn_"),
                "status": "succeeded",
            },
        )
        self.store.add(refund)
        refunded_total = charge["amount_refunded"] + amount
        previous = self.update(
            charge,
            {
                "amount_refunded": refunded_total,
                "refunded": refunded_total >= charge["amount"],
                "refunds": self._list_of(charge["id"]),
            },
        )
        previous.pop("refunds", None)
        self.state.emit("refund.created", refund)
        self.state.emit("charge.refunded", charge, previous)
        return refund

    def _list_of(self, charge_id: str) -> Obj:
        data = [r for r in self.store.newest_first() if r["charge"] == charge_id]
        return list_object(data[:10], f"/v1/charges/{charge_id}/refunds", len(data) > 10)

    def modify(self, rid: str, p: Params) -> Obj:
        """POST /v1/refunds/{id} (metadata only, as on Stripe)."""
        refund = self.get(rid)
        previous = self.apply(refund, p, ())
        if previous:
            self.state.emit("refund.updated", refund, previous)
        return refund
