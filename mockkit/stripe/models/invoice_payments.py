"""InvoicePayments: the payments (PaymentIntents) made or attempted for an invoice."""

from __future__ import annotations

from mockkit.stripe.objects import build, list_object
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, StripeState

__all__ = ["InvoicePayments"]


class InvoicePayments(Model):
    """One record per PaymentIntent an invoice is collected with (`invoice.payments`)."""

    resource = Resource(
        "invoice_payment",
        "inpay_",
        expandable={
            "invoice": "invoice",
            "payment": {"payment_intent": "payment_intent", "charge": "charge"},
        },
        events=("invoice_payment.paid",),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        #: Payment ids per invoice, oldest first.
        self.by_invoice: dict[str, list[str]] = {}

    def open(self, invoice: Obj, pi: Obj) -> Obj:
        """Record that `pi` collects `invoice` (status `open` until it succeeds)."""
        payment = build(
            "invoice_payment",
            {
                "id": self.state.new_id("invoice_payment"),
                "amount_paid": None,
                "amount_requested": pi["amount"],
                "created": self.state.now(),
                "currency": pi["currency"],
                "invoice": invoice["id"],
                "is_default": True,
                "livemode": False,
                "payment": {"type": "payment_intent", "payment_intent": pi["id"]},
                "status": "open",
                "status_transitions": {"canceled_at": None, "paid_at": None},
            },
        )
        self.store.add(payment)
        self.by_invoice.setdefault(invoice["id"], []).append(payment["id"])
        return payment

    def of_invoice(self, invoice_id: str) -> list[Obj]:
        """The payments of an invoice, newest first."""
        ids = self.by_invoice.get(invoice_id, [])
        return [self.store.by_id[i] for i in reversed(ids) if i in self.store.by_id]

    def listing(self, invoice_id: str) -> Obj:
        """`invoice.payments` as Stripe includes it when expanded."""
        data = self.of_invoice(invoice_id)
        return list_object(data[:10], f"/v1/invoice_payments?invoice={invoice_id}", len(data) > 10)

    def paid(self, payment: Obj, amount: int) -> None:
        """The payment succeeded."""
        now = self.state.now()
        self.update(
            payment,
            {
                "amount_paid": amount,
                "status": "paid",
                "status_transitions": {"canceled_at": None, "paid_at": now},
            },
        )
        self.state.emit("invoice_payment.paid", payment)

    def canceled(self, payment: Obj) -> None:
        """The invoice was voided (or the subscription expired) before this payment succeeded."""
        if payment["status"] == "open":
            self.update(
                payment,
                {
                    "status": "canceled",
                    "status_transitions": {"canceled_at": self.state.now(), "paid_at": None},
                },
            )
