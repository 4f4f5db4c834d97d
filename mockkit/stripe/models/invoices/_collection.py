"""Invoices, collected: finalizing, PaymentIntents, payments, failures, retries, voiding."""

from __future__ import annotations

from typing import Any

from mockkit.stripe import money
from mockkit.stripe.billing.amounts import apply_balance
from mockkit.stripe.billing.periods import DAY
from mockkit.stripe.errors import StripeError, invalid_request
from mockkit.stripe.models.invoice_payments import InvoicePayments
from mockkit.stripe.models.invoices._base import _PI_DESCRIPTIONS, InvoicesBase
from mockkit.stripe.models.payment_intents import CANCELABLE, PaymentIntents
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.state import Obj

__all__ = ["InvoiceCollection"]


class InvoiceCollection(InvoicesBase):
    """How an open invoice gets paid (or does not)."""

    def schedule_finalize(self, invoice: Obj, at: int | None = None) -> None:
        """Finalize (and collect) the draft automatically, an hour from now by default."""
        when = at if at is not None else self.state.now() + self.state.billing.draft_seconds
        invoice["automatically_finalizes_at"] = when
        TestClocks.of(self.state).schedule(
            invoice["test_clock"], when, "invoice", "finalize", invoice["id"], rank=10
        )

    def finalize_draft(self, invoice: Obj) -> None:
        """draft -> open (paid at once if nothing is due); a PaymentIntent when one is needed."""
        s = self.state
        now = s.now()
        customer = s.get("customer", invoice["customer"])
        starting = customer["balance"]
        due, ending = apply_balance(invoice["total"], starting)
        minimum = money.MINIMUM_AMOUNTS.get(invoice["currency"], 50)
        if 0 < due < minimum and invoice["collection_method"] == "charge_automatically":
            # Stripe cannot charge less than its minimum: the amount moves to the balance.
            ending, due = due, 0
        seq = customer.get("next_invoice_sequence") or 1
        days = self._days.get(invoice["id"])
        due_date = invoice["due_date"]
        if invoice["collection_method"] == "send_invoice" and due_date is None:
            due_date = now + (days or 0) * DAY
        base = "https://invoice.stripe.com/i/acct_mockkit/test_"
        self.update(
            invoice,
            {
                "status": "open",
                "number": invoice["number"] or f"{customer['invoice_prefix']}-{seq:04d}",
                "starting_balance": starting,
                "ending_balance": ending,
                "amount_due": due,
                "amount_remaining": due,
                "effective_at": now,
                "due_date": due_date,
                "automatically_finalizes_at": None,
                "hosted_invoice_url": base + invoice["id"],
                "invoice_pdf": f"https://pay.stripe.com/invoice/acct_mockkit/test_{invoice['id']}/pdf",
                "status_transitions": {
                    "finalized_at": now,
                    "marked_uncollectible_at": None,
                    "paid_at": None,
                    "voided_at": None,
                },
            },
        )
        customer["next_invoice_sequence"] = seq + 1
        if ending != starting:
            previous = {"balance": starting}
            customer["balance"] = ending
            s.emit("customer.updated", customer, previous)
        sub_id = self._extra[invoice["id"]].subscription
        if sub_id is not None:
            self._subscriptions().invoice_finalized(invoice)
        s.emit("invoice.finalized", invoice)
        if due == 0:
            self._mark_paid(invoice, 0, None)
            return
        if invoice["collection_method"] == "charge_automatically":
            self._new_payment_intent(invoice)
        elif invoice["due_date"] is not None:
            TestClocks.of(s).schedule(
                invoice["test_clock"], invoice["due_date"], "invoice", "overdue", invoice["id"]
            )

    def _new_payment_intent(self, invoice: Obj) -> Obj:
        s = self.state
        pis = PaymentIntents.of(s)
        pi = pis.create(
            {
                "amount": invoice["amount_remaining"],
                "currency": invoice["currency"],
                "customer": invoice["customer"],
                "description": _PI_DESCRIPTIONS.get(
                    invoice["billing_reason"], "Payment for Invoice"
                ),
                "payment_method_types": ["card"],
                "setup_future_usage": "off_session",
                "metadata": {},
            }
        )
        extra = self._extra[invoice["id"]]
        extra.pi = pi["id"]
        self._by_pi[pi["id"]] = invoice["id"]
        extra.payment = InvoicePayments.of(s).open(invoice, pi)["id"]
        pis.watchers[pi["id"]] = self._payment_changed
        return pi

    def payment_method_for(self, invoice: Obj, given: str | None = None) -> str | None:
        """The payment method an invoice is charged with: Stripe's order of precedence.

        The one given to `pay`, then the invoice's default, its subscription's default, then
        the customer's `invoice_settings.default_payment_method`.
        """
        if given:
            return given
        if invoice["default_payment_method"]:
            return str(invoice["default_payment_method"])
        sub_id = self._extra[invoice["id"]].subscription
        if sub_id is not None:
            sub = self.state.stores["subscription"].by_id.get(sub_id)
            if sub is not None and sub["default_payment_method"]:
                return str(sub["default_payment_method"])
        customer = self.state.stores["customer"].by_id.get(invoice["customer"])
        if customer is not None:
            pm = customer["invoice_settings"].get("default_payment_method")
            return str(pm) if pm else None
        return None

    def collect(self, invoice: Obj, automatic: bool = True, off_session: bool = True) -> None:
        """Attempt to charge an open `charge_automatically` invoice with its payment method."""
        if invoice["status"] not in ("open", "uncollectible"):
            return
        if invoice["collection_method"] != "charge_automatically":
            return
        self.attempt(invoice, None, automatic=automatic, off_session=off_session)

    def attempt(
        self,
        invoice: Obj,
        pm_id: str | None,
        *,
        automatic: bool,
        off_session: bool = True,
        authenticated: bool = False,
    ) -> StripeError | None:
        """One payment attempt; the outcome reaches the invoice through `_payment_changed`.

        `authenticated`: the customer is present and passes 3D Secure on a hosted page
        (Checkout), so a card that asks for authentication is charged.
        """
        s = self.state
        extra = self._extra[invoice["id"]]
        pis = PaymentIntents.of(s)
        pi = s.stores["payment_intent"].by_id.get(extra.pi) if extra.pi else None
        if pi is None or pi["status"] not in (
            "requires_payment_method",
            "requires_confirmation",
            "requires_action",
        ):
            pi = self._new_payment_intent(invoice)
        if automatic:
            extra.attempts += 1
        pm = self.payment_method_for(invoice, pm_id)
        if pm is None:
            extra.automatic = automatic
            try:
                self._payment_failed(invoice, automatic, None)
            finally:
                extra.automatic = False
            # The failed attempt is recorded (`invoice.payment_failed`), then answered.
            return invalid_request(
                "This customer has no attached payment source or default payment method. "
                "Please consider adding a default payment method. For more information, visit "
                "https://stripe.com/docs/billing/subscriptions/payment-methods-setting"
                "#payment-method-priority.",
                code="resource_missing",
                keep_state=True,
            )
        extra.automatic = automatic
        try:
            attempt: dict[str, Any] = {
                "payment_method": pm,
                "off_session": off_session,
                "_checkout": True,
                "_invoice": True,
            }
            if authenticated:
                attempt["_authenticated"] = True
            _, error = pis.attempt(pi, attempt)
        finally:
            extra.automatic = False
        return error

    def _payment_changed(self, pi: Obj) -> None:
        """A PaymentIntent collecting an invoice moved: pay, fail or wait for the customer."""
        iid = self._by_pi.get(pi["id"])
        invoice = self.store.by_id.get(iid) if iid else None
        if invoice is None or invoice["status"] not in ("open", "uncollectible"):
            return
        extra = self._extra[invoice["id"]]
        status = pi["status"]
        if status == "succeeded":
            payment = InvoicePayments.of(self.state).store.by_id.get(extra.payment or "")
            self._mark_paid(invoice, pi["amount_received"], payment)
        elif status == "requires_action":
            self._payment_failed(invoice, extra.automatic, pi, action=True)
        elif status == "requires_payment_method" and pi["last_payment_error"]:
            code = pi["last_payment_error"].get("code")
            self._payment_failed(
                invoice, extra.automatic, pi, action=code == "authentication_required"
            )

    def _mark_paid(
        self, invoice: Obj, amount: int, payment: Obj | None, out_of_band: bool = False
    ) -> None:
        s = self.state
        now = s.now()
        transitions = dict(invoice["status_transitions"])
        transitions["paid_at"] = now
        changes: dict[str, Any] = {
            "status": "paid",
            "amount_paid": invoice["amount_paid"] + amount,
            "amount_remaining": 0,
            "next_payment_attempt": None,
            "status_transitions": transitions,
        }
        if payment is not None or invoice["amount_due"] == 0:
            changes["attempted"] = True
            if invoice["attempt_count"] == 0 and payment is not None:
                changes["attempt_count"] = 1
        if out_of_band:
            changes["amount_paid"] = invoice["amount_paid"]
        previous = self.update(invoice, changes)
        s.emit("invoice.updated", invoice, previous)
        s.emit("invoice.paid", invoice)
        if not out_of_band:
            s.emit("invoice.payment_succeeded", invoice)
        if payment is not None:
            InvoicePayments.of(s).paid(payment, amount)
        if self._extra[invoice["id"]].subscription is not None:
            self._subscriptions().invoice_paid(invoice)

    def _payment_failed(
        self, invoice: Obj, automatic: bool, pi: Obj | None, action: bool = False
    ) -> None:
        s = self.state
        extra = self._extra[invoice["id"]]
        changes: dict[str, Any] = {"attempted": True}
        if automatic or invoice["attempt_count"] == 0:
            changes["attempt_count"] = invoice["attempt_count"] + 1
        final = False
        retryable = (
            automatic
            and invoice["auto_advance"]
            and invoice["billing_reason"] != "subscription_create"
            and invoice["status"] == "open"
        )
        if retryable:
            delays = s.billing.retry_delays()
            if extra.attempts <= len(delays):
                when = s.now() + delays[extra.attempts - 1]
                changes["next_payment_attempt"] = when
                TestClocks.of(s).schedule(
                    invoice["test_clock"], when, "invoice", "retry", invoice["id"], rank=30
                )
            else:
                changes["next_payment_attempt"] = None
                final = True
        previous = self.update(invoice, changes)
        s.emit("invoice.updated", invoice, previous)
        if action:
            s.emit("invoice.payment_action_required", invoice)
        if not action or pi is None or pi["status"] != "requires_action":
            s.emit("invoice.payment_failed", invoice)
        if final and s.billing.invoice_after_final_failure == "mark_uncollectible":
            self._mark_uncollectible(invoice)
        if extra.subscription is not None:
            self._subscriptions().invoice_failed(invoice, final)

    def _cancel_open_payment(self, invoice: Obj) -> None:
        extra = self._extra[invoice["id"]]
        if extra.pi is None:
            return
        pi = self.state.stores["payment_intent"].by_id.get(extra.pi)
        if pi is not None and pi["status"] in CANCELABLE:
            PaymentIntents.of(self.state).cancel(pi["id"], {})
        payment = InvoicePayments.of(self.state).store.by_id.get(extra.payment or "")
        if payment is not None:
            InvoicePayments.of(self.state).canceled(payment)

    def void_open(self, invoice: Obj) -> None:
        """Void an open invoice (its PaymentIntent is canceled)."""
        s = self.state
        transitions = dict(invoice["status_transitions"])
        transitions["voided_at"] = s.now()
        self.update(
            invoice,
            {
                "status": "void",
                "amount_remaining": 0,
                "next_payment_attempt": None,
                "auto_advance": False,
                "status_transitions": transitions,
            },
        )
        s.emit("invoice.voided", invoice)
        self._cancel_open_payment(invoice)

    def _mark_uncollectible(self, invoice: Obj) -> None:
        transitions = dict(invoice["status_transitions"])
        transitions["marked_uncollectible_at"] = self.state.now()
        self.update(
            invoice,
            {
                "status": "uncollectible",
                "next_payment_attempt": None,
                "status_transitions": transitions,
            },
        )
        self.state.emit("invoice.marked_uncollectible", invoice)
