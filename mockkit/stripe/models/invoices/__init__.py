"""Invoices: draft -> open -> paid / uncollectible / void, their lines, amounts and payments.

Amounts follow `mockkit.stripe.billing.amounts` (exact to the smallest unit). A
`charge_automatically` invoice is collected with a PaymentIntent made when it is finalized;
its outcome comes back through `PaymentIntents.watchers`, so a payment confirmed later by the
client (a `default_incomplete` subscription, a 3D Secure challenge) pays the invoice just as
one made by the fake does. Failed automatic attempts are retried on the schedule of
`state.billing` (`fake.billing.retry_schedule`).
"""

from __future__ import annotations

from typing import Any

from mockkit.stripe import money
from mockkit.stripe.billing.schedule import Due
from mockkit.stripe.errors import invalid_request, no_such, not_emulated, param_error
from mockkit.stripe.models.discounts import Discounts
from mockkit.stripe.models.invoice_payments import InvoicePayments
from mockkit.stripe.models.invoiceitems import InvoiceItems
from mockkit.stripe.models.invoices._base import (
    LINE_ITEM,
    TIMES,
    _invoice_item_of,
    _refuse_unemulated,
    describe_period_line,
    short_date,
)
from mockkit.stripe.models.invoices._collection import InvoiceCollection
from mockkit.stripe.models.payment_methods import PaymentMethods
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.objects import list_object
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Obj, Params

__all__ = ["LINE_ITEM", "TIMES", "Invoices", "describe_period_line", "short_date"]


class Invoices(InvoiceCollection):
    """The account's invoices and the state machine that moves them."""

    resource = Resource(
        "invoice",
        "in_",
        expandable={
            "customer": "customer",
            "default_payment_method": "payment_method",
            "discounts": "discount",
            "test_clock": "test_helpers.test_clock",
            "payments": "list:invoice_payment",
            "confirmation_secret": "list:confirmation_secret",
        },
        events=(
            "invoice.created",
            "invoice.finalized",
            "invoice.updated",
            "invoice.paid",
            "invoice.payment_succeeded",
            "invoice.payment_failed",
            "invoice.payment_action_required",
            "invoice.voided",
            "invoice.marked_uncollectible",
            "invoice.sent",
            "invoice.deleted",
            "invoice.overdue",
            "invoice.upcoming",
        ),
        deleted_stub=False,
    )

    def create(self, p: Params) -> Obj:
        """POST /v1/invoices: a draft for a customer (pending items only if asked)."""
        s = self.state
        if not p.get("customer"):
            raise param_error("Missing required param: customer.", "customer", "parameter_missing")
        customer = s.ref("customer", p["customer"], "customer")
        _refuse_unemulated(p)
        method = p.get("collection_method") or "charge_automatically"
        if method == "send_invoice" and p.get("days_until_due") is None and not p.get("due_date"):
            raise param_error(
                "Missing required param: days_until_due or due_date (required for "
                "collection_method=send_invoice).",
                "days_until_due",
                "parameter_missing",
            )
        if method != "send_invoice":
            for name in ("days_until_due", "due_date"):
                if p.get(name) is not None:
                    raise param_error(
                        f"{name} can only be set when collection_method is send_invoice.", name
                    )
        subscription = None
        if p.get("subscription"):
            subscription = s.ref("subscription", p["subscription"], "subscription")
        pm = p.get("default_payment_method")
        if pm is not None:
            self._check_pm(customer, pm, "default_payment_method")
        items = InvoiceItems.of(s)
        include = p.get("pending_invoice_items_behavior") == "include" or subscription is not None
        pending = items.pending_of(customer["id"], subscription["id"] if subscription else None)
        if not include:
            pending = []
        currency = p.get("currency")
        if currency:
            currency = money.currency(currency)
            pending = [i for i in pending if i["currency"] == currency]
        else:
            currency = pending[0]["currency"] if pending else (customer.get("currency") or "usd")
            pending = [i for i in pending if i["currency"] == currency]
        discounts = Discounts.of(s).resolve(p.get("discounts"), "discounts", customer, currency)
        with TestClocks.of(s).pinned(customer.get("test_clock")):
            now = s.now()
            invoice = self.new(
                customer,
                currency,
                "manual",
                collection_method=method,
                days_until_due=p.get("days_until_due"),
                subscription=subscription,
                auto_advance=bool(p.get("auto_advance", False)),
                description=p.get("description"),
                metadata=self.merge_metadata({}, p.get("metadata") or {}),
                default_payment_method=pm,
            )
            invoice["footer"] = p.get("footer")
            invoice["statement_descriptor"] = p.get("statement_descriptor")
            if p.get("number"):
                invoice["number"] = p["number"]
            if p.get("due_date"):
                invoice["due_date"] = p["due_date"]
            made = [
                Discounts.of(s).make(d, now, customer["id"], invoice=invoice["id"])["id"]
                for d in discounts
            ]
            invoice["discounts"] = made
            if pending:
                items.take_pending(customer["id"], subscription["id"] if subscription else None)
                self.attach_items(invoice, pending)
            else:
                self.recompute(invoice)
            s.emit("invoice.created", invoice)
            if invoice["auto_advance"]:
                self.schedule_finalize(invoice, p.get("automatically_finalizes_at"))
        return invoice

    def _check_pm(self, customer: Obj, pm_id: str, param: str) -> None:
        pm = self.state.ref("payment_method", pm_id, param)
        if pm["customer"] != customer["id"]:
            raise invalid_request(
                f"The customer does not have a payment method with the ID {pm_id}. The payment "
                "method must be attached to the customer.",
                param=param,
            )

    def retrieve(self, iid: str) -> Obj:
        """GET /v1/invoices/{id}."""
        return self.get(iid)

    def modify(self, iid: str, p: Params) -> Obj:
        """POST /v1/invoices/{id}: a draft fully, a finalized invoice's metadata and a few more."""
        s = self.state
        invoice = self.get(iid)
        _refuse_unemulated(p)
        draft_only = (
            "collection_method",
            "days_until_due",
            "due_date",
            "discounts",
            "description",
            "footer",
            "statement_descriptor",
            "number",
            "automatically_finalizes_at",
        )
        if invoice["status"] != "draft":
            for name in draft_only:
                if name in p:
                    raise invalid_request(
                        f"You can only update {name} on a draft invoice; this invoice is "
                        f"{invoice['status']}.",
                        param=name,
                        code="invoice_not_editable",
                    )
        if invoice["status"] in ("paid", "void") and (
            "auto_advance" in p or "default_payment_method" in p
        ):
            raise invalid_request(
                f"This invoice is {invoice['status']}: only its metadata can be updated.",
                code="invoice_not_editable",
            )
        customer = s.get("customer", invoice["customer"])
        if p.get("default_payment_method"):
            self._check_pm(customer, p["default_payment_method"], "default_payment_method")
        discounts = None
        if "discounts" in p:
            discounts = Discounts.of(s).resolve(
                p["discounts"], "discounts", customer, invoice["currency"]
            )
        changes: dict[str, Any] = {
            k: p[k]
            for k in (
                "auto_advance",
                "collection_method",
                "description",
                "footer",
                "statement_descriptor",
                "number",
                "due_date",
                "default_payment_method",
            )
            if k in p
        }
        if "days_until_due" in p:
            self._days[iid] = p["days_until_due"]
        if "metadata" in p:
            changes["metadata"] = self.merge_metadata(invoice["metadata"], p["metadata"])
        with TestClocks.of(s).pinned(invoice["test_clock"]):
            if discounts is not None:
                changes["discounts"] = [
                    Discounts.of(s).make(d, s.now(), customer["id"], invoice=iid)["id"]
                    for d in discounts
                ]
            before = {k: invoice.get(k) for k in ("total", "amount_due", "subtotal")}
            previous = self.update(invoice, changes)
            if "discounts" in previous:
                self.recompute(invoice)
                previous.update({k: v for k, v in before.items() if invoice[k] != v})
            if invoice["status"] == "draft" and previous.get("auto_advance") is False:
                self.schedule_finalize(invoice, p.get("automatically_finalizes_at"))
            if previous:
                s.emit("invoice.updated", invoice, previous)
        return invoice

    def finalize(self, iid: str, p: Params) -> Obj:
        """POST /v1/invoices/{id}/finalize."""
        invoice = self.get(iid)
        if invoice["status"] != "draft":
            raise invalid_request(
                f"This invoice is already finalized (status {invoice['status']}); only a draft "
                "invoice can be finalized.",
                code="invoice_not_editable" if invoice["status"] != "draft" else None,
            )
        with TestClocks.of(self.state).pinned(invoice["test_clock"]):
            if "auto_advance" in p and p["auto_advance"] is not None:
                invoice["auto_advance"] = p["auto_advance"]
            self.finalize_draft(invoice)
            if invoice["status"] == "open" and invoice["auto_advance"]:
                self.collect(invoice)
        return invoice

    def pay(self, iid: str, p: Params) -> Obj:
        """POST /v1/invoices/{id}/pay: charge now, or record a payment made outside Stripe."""
        s = self.state
        invoice = self.get(iid)
        for name, what in (("source", "sources"), ("mandate", "mandates")):
            if p.get(name):
                raise not_emulated(what, name)
        if p.get("forgive"):
            raise not_emulated("forgiving part of an invoice (forgive)", "forgive")
        if invoice["status"] in ("paid", "void"):
            raise invalid_request(
                f"Invoice is already {invoice['status']}.",
                code="invoice_not_editable" if invoice["status"] == "void" else None,
            )
        customer = s.get("customer", invoice["customer"])
        pm = p.get("payment_method")
        with TestClocks.of(s).pinned(invoice["test_clock"]):
            if pm is not None:
                pm = PaymentMethods.of(s).lookup(pm, "payment_method")["id"]
                found = s.stores["payment_method"].by_id[pm]
                if found["customer"] is None:
                    PaymentMethods.of(s).attach(pm, customer["id"], "payment_method")
                elif found["customer"] != customer["id"]:
                    raise invalid_request(
                        "The payment method belongs to another customer.", param="payment_method"
                    )
            if invoice["status"] == "draft":
                self.finalize_draft(invoice)
                if invoice["status"] == "paid":
                    return invoice
            if p.get("paid_out_of_band"):
                self._cancel_open_payment(invoice)
                self._mark_paid(invoice, 0, None, out_of_band=True)
                return invoice
            if (
                invoice["collection_method"] == "send_invoice"
                and pm is None
                and not self.payment_method_for(invoice)
            ):
                raise invalid_request(
                    "This invoice cannot be paid: the customer has no payment method. Pass "
                    "payment_method or paid_out_of_band=true.",
                    param="payment_method",
                )
            error = self.attempt(
                invoice, pm, automatic=False, off_session=p.get("off_session", True) is not False
            )
        if error is not None:
            raise error
        return invoice

    def void(self, iid: str) -> Obj:
        """POST /v1/invoices/{id}/void: an open or uncollectible invoice only."""
        invoice = self.get(iid)
        if invoice["status"] not in ("open", "uncollectible"):
            raise invalid_request(
                f"You can only void an open or uncollectible invoice; this invoice is "
                f"{invoice['status']}."
                + (" Delete a draft instead." if invoice["status"] == "draft" else ""),
                code="invoice_not_editable" if invoice["status"] != "draft" else None,
            )
        with TestClocks.of(self.state).pinned(invoice["test_clock"]):
            self.void_open(invoice)
        return invoice

    def mark_uncollectible(self, iid: str) -> Obj:
        """POST /v1/invoices/{id}/mark_uncollectible: an open invoice only."""
        invoice = self.get(iid)
        if invoice["status"] != "open":
            raise invalid_request(
                f"You can only mark an open invoice uncollectible; this invoice is "
                f"{invoice['status']}.",
                code="invoice_not_editable" if invoice["status"] != "draft" else None,
            )
        with TestClocks.of(self.state).pinned(invoice["test_clock"]):
            self._mark_uncollectible(invoice)
        return invoice

    def send(self, iid: str) -> Obj:
        """POST /v1/invoices/{id}/send: test mode sends no email, but emits `invoice.sent`."""
        invoice = self.get(iid)
        with TestClocks.of(self.state).pinned(invoice["test_clock"]):
            if invoice["status"] == "draft":
                self.finalize_draft(invoice)
            if invoice["status"] not in ("open", "uncollectible"):
                raise invalid_request(
                    f"You can only send an open invoice; this invoice is {invoice['status']}.",
                    code="invoice_not_editable",
                )
            self.state.emit("invoice.sent", invoice)
        return invoice

    def delete(self, iid: str) -> Obj:
        """DELETE /v1/invoices/{id}: a one-off draft only; its items become pending again."""
        invoice = self.get(iid)
        if self._extra[iid].subscription is not None and invoice["billing_reason"] != "manual":
            raise invalid_request("You can't delete invoices created by subscriptions.")
        if invoice["status"] != "draft":
            raise invalid_request(
                f"You can only delete draft invoices; this invoice is {invoice['status']}. "
                "Void it instead.",
                code="invoice_not_editable",
            )
        items = InvoiceItems.of(self.state)
        for line in self._extra[iid].lines:
            ref = _invoice_item_of(line)
            if ref is not None and ref in items.store.by_id:
                items.release(items.store.by_id[ref])
        self.store.remove(iid)
        self.state.emit("invoice.deleted", invoice)
        return {"id": iid, "object": "invoice", "deleted": True}

    def lines_of(self, iid: str) -> list[Obj]:
        """Every line of an invoice, in Stripe's order."""
        if iid not in self._extra or (iid not in self.store.by_id):
            raise no_such("invoice", iid)
        return self._extra[iid].lines

    def expand_list(self, field: str, obj: Obj) -> Obj:
        """`payments` and `confirmation_secret`, which Stripe includes only when expanded."""
        extra = self._extra.get(obj["id"])
        if field == "payments":
            if extra is None or extra.preview:
                return list_object([], f"/v1/invoice_payments?invoice={obj['id']}")
            return InvoicePayments.of(self.state).listing(obj["id"])
        if field == "confirmation_secret":
            pi = (
                self.state.stores["payment_intent"].by_id.get(extra.pi)
                if extra and extra.pi
                else None
            )
            if pi is None:
                return None  # type: ignore[return-value]
            return {"client_secret": pi["client_secret"], "type": "payment_intent"}
        raise KeyError(field)

    def on_due(self, due: Due) -> None:
        """Finalize a draft, retry a payment, or mark a sent invoice overdue."""
        invoice = self.store.by_id.get(due.oid)
        if invoice is None:
            return
        if due.action == "finalize":
            if (
                invoice["status"] == "draft"
                and invoice["auto_advance"]
                and invoice["automatically_finalizes_at"] == due.at
            ):
                self.finalize_draft(invoice)
                if invoice["status"] == "open":
                    if invoice["collection_method"] == "charge_automatically":
                        self.collect(invoice)
                    else:
                        self.state.emit("invoice.sent", invoice)
        elif due.action == "retry":
            if invoice["status"] == "open" and invoice["next_payment_attempt"] == due.at:
                self.collect(invoice)
        elif (
            due.action == "overdue"
            and invoice["status"] == "open"
            and invoice["due_date"] == due.at
        ):
            self.state.emit("invoice.overdue", invoice)
            if self._extra[invoice["id"]].subscription is not None:
                self._subscriptions().invoice_overdue(invoice)
