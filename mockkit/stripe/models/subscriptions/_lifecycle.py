"""Subscriptions over time: renewals, what invoices report, cancel, pause, resume."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.billing.amounts import prorate
from mockkit.stripe.billing.periods import (
    DAY,
    add_intervals,
    next_boundary,
    period_containing,
)
from mockkit.stripe.billing.schedule import Due
from mockkit.stripe.errors import (
    invalid_request,
    not_emulated,
)
from mockkit.stripe.models.discounts import Discounts
from mockkit.stripe.models.invoiceitems import InvoiceItems
from mockkit.stripe.models.invoices import Invoices
from mockkit.stripe.models.subscription_items import SubscriptionItems
from mockkit.stripe.models.subscriptions._base import (
    _ENDED,
    _paused,
)
from mockkit.stripe.models.subscriptions._changes import SubscriptionChanges
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.state import Obj, Params

__all__ = ["SubscriptionLifecycle"]


class SubscriptionLifecycle(SubscriptionChanges):
    """Subscriptions over time."""

    def on_due(self, due: Due) -> None:
        """Renewals, trial notices, `cancel_at`, incomplete expiry, upcoming invoices."""
        sub = self.store.by_id.get(due.oid)
        if sub is None:
            return
        extra = self._extra[sub["id"]]
        if due.action == "renew":
            if extra.period[1] == due.at and sub["status"] not in _ENDED:
                self._renew(sub, due.at)
        elif due.action == "trial_will_end":
            if sub["status"] == "trialing" and sub["trial_end"] and sub["trial_end"] > due.at:
                notice = sub["trial_end"] - int(self.state.billing.trial_will_end_days * DAY)
                if notice <= due.at:
                    self.state.emit("customer.subscription.trial_will_end", sub)
        elif due.action == "cancel_at":
            if sub["cancel_at"] == due.at and sub["status"] not in _ENDED:
                self._end(sub, due.at, "cancellation_requested")
        elif due.action == "expire":
            if (
                sub["status"] == "incomplete"
                and sub["created"] + self.state.billing.incomplete_seconds == due.at
            ):
                self._expire(sub)
        elif due.action == "upcoming":
            self._upcoming(sub, due.at)
        elif due.action == "pending_expire":
            pending = extra.pending
            if pending is not None and pending.expires_at == due.at:
                extra.pending = None
                previous = self.update(sub, {"pending_update": None})
                invoice = self.state.stores["invoice"].by_id.get(pending.invoice)
                if invoice is not None and invoice["status"] == "open":
                    Invoices.of(self.state).void_open(invoice)
                self.state.emit("customer.subscription.pending_update_expired", sub, previous)

    def _upcoming(self, sub: Obj, at: int) -> None:
        extra = self._extra[sub["id"]]
        if sub["status"] not in ("active", "past_due", "trialing"):
            return
        end = extra.period[1]
        if sub["cancel_at"] is not None and sub["cancel_at"] <= end:
            return
        days = self.state.billing.upcoming_days
        if days is None or end - int(days * DAY) != at:
            return
        preview = self.preview(sub, None)
        preview["id"] = None
        self.state.emit("invoice.upcoming", preview)

    def _renew(self, sub: Obj, at: int) -> None:
        s = self.state
        extra = self._extra[sub["id"]]
        if sub["status"] in ("incomplete", "paused"):
            return
        if sub["cancel_at"] is not None and sub["cancel_at"] <= at:
            self._end(sub, at, "cancellation_requested")
            return
        customer = s.get("customer", sub["customer"])
        trial_ending = sub["status"] == "trialing"
        if trial_ending and self._pm_for(customer, sub["default_payment_method"]) is None:
            behavior = sub["trial_settings"]["end_behavior"]["missing_payment_method"]
            if behavior == "cancel":
                self._end(sub, at, None)
                return
            if behavior == "pause":
                previous = self.update(
                    sub,
                    {
                        "status": "paused",
                        "status_details": _paused(at, "trial_end_without_payment_method"),
                    },
                )
                s.emit("customer.subscription.updated", sub, previous)
                s.emit("customer.subscription.paused", sub)
                return
        new_period = (
            at,
            next_boundary(sub["billing_cycle_anchor"], extra.interval, extra.count, at),
        )
        old_start = extra.period[0]
        extra.period = new_period
        changes = self._period_changes(sub, new_period)
        if trial_ending:
            changes["status"] = "active"
        active_discounts = self._discounts_for(sub, at)
        if active_discounts != sub["discounts"]:
            changes["discounts"] = active_discounts
        invoice = self._cycle_invoice(
            sub,
            customer,
            "subscription_cycle",
            new_period,
            (old_start, at),
            active_discounts,
            auto_advance=sub["status"] != "unpaid",
        )
        changes["latest_invoice"] = invoice["id"]
        previous = self.update(sub, changes)
        s.emit("customer.subscription.updated", sub, previous)
        s.emit("invoice.created", invoice)
        if invoice["auto_advance"]:
            Invoices.of(s).schedule_finalize(invoice)
        self._schedule_period(sub)

    def _expire(self, sub: Obj) -> None:
        s = self.state
        invoice = s.stores["invoice"].by_id.get(sub["latest_invoice"] or "")
        if invoice is not None and invoice["status"] == "open":
            Invoices.of(s).void_open(invoice)
        previous = self.update(sub, {"status": "incomplete_expired", "ended_at": s.now()})
        s.emit("customer.subscription.updated", sub, previous)

    def _sub_of(self, invoice: Obj) -> Obj | None:
        sid = Invoices.of(self.state).subscription_of(invoice)
        return self.store.by_id.get(sid) if sid else None

    def invoice_finalized(self, invoice: Obj) -> None:
        """A `once` discount is used up by the first invoice it reduces."""
        sub = self._sub_of(invoice)
        if sub is None:
            return
        disc = Discounts.of(self.state)
        extra = self._extra[sub["id"]]
        for d in invoice["discounts"]:
            if disc.duration(d) == "once":
                extra.once_used.add(d)

    def invoice_paid(self, invoice: Obj) -> None:
        """An invoice of the subscription was paid: it may become active again."""
        s = self.state
        sub = self._sub_of(invoice)
        if sub is None or sub["status"] in _ENDED:
            return
        extra = self._extra[sub["id"]]
        changes: dict[str, Any] = {}
        if extra.pending is not None and extra.pending.invoice == invoice["id"]:
            pending, extra.pending = extra.pending, None
            self._apply_changes(sub, pending.changes)
            changes["items"] = SubscriptionItems.of(s).listing(sub["id"])
            changes["pending_update"] = None
            previous = self.update(sub, changes)
            s.emit("customer.subscription.pending_update_applied", sub, previous)
            return
        if invoice["id"] != sub["latest_invoice"]:
            return
        if sub["status"] == "paused" and extra.resume_on_success:
            extra.resume_on_success = False
            previous = self.update(sub, {"status": "active", "status_details": None})
            s.emit("customer.subscription.resumed", sub, previous)
            return
        if sub["status"] in ("incomplete", "past_due", "unpaid"):
            changes["status"] = "active"
        save = sub["payment_settings"]["save_default_payment_method"] == "on_subscription"
        if save and sub["default_payment_method"] is None:
            pi_id = Invoices.of(s).extra(invoice["id"]).pi
            pi = s.stores["payment_intent"].by_id.get(pi_id or "")
            if pi is not None and pi["payment_method"]:
                changes["default_payment_method"] = pi["payment_method"]
        previous = self.update(sub, changes)
        if previous:
            s.emit("customer.subscription.updated", sub, previous)

    def invoice_failed(self, invoice: Obj, final: bool) -> None:
        """A payment of the subscription's invoice failed (`final`: no retry left)."""
        s = self.state
        sub = self._sub_of(invoice)
        if sub is None or sub["status"] in _ENDED:
            return
        extra = self._extra[sub["id"]]
        if extra.pending is not None and extra.pending.invoice == invoice["id"]:
            return  # the change waits; the subscription keeps its status
        if invoice["billing_reason"] != "subscription_create" and sub["status"] in (
            "active",
            "trialing",
        ):
            previous = self.update(sub, {"status": "past_due"})
            s.emit("customer.subscription.updated", sub, previous)
        if final:
            action = s.billing.after_final_failure
            if action == "cancel":
                self._end(sub, s.now(), "payment_failed")
            elif action == "unpaid" and sub["status"] != "unpaid":
                previous = self.update(sub, {"status": "unpaid"})
                s.emit("customer.subscription.updated", sub, previous)

    def setup_succeeded(self, si: Obj) -> None:
        """The subscription's `pending_setup_intent` succeeded: its card is the one to charge."""
        s = self.state
        for sid in self.by_customer.get(si["customer"], ()):
            sub = self.store.by_id.get(sid)
            if sub is None or sub["pending_setup_intent"] != si["id"]:
                continue
            changes: dict[str, Any] = {"pending_setup_intent": None}
            save = sub["payment_settings"]["save_default_payment_method"] == "on_subscription"
            if save and sub["default_payment_method"] is None:
                changes["default_payment_method"] = si["payment_method"]
            previous = self.update(sub, changes)
            s.emit("customer.subscription.updated", sub, previous)

    def invoice_overdue(self, invoice: Obj) -> None:
        """A sent invoice passed its due date unpaid: the subscription is past due."""
        sub = self._sub_of(invoice)
        if sub is not None and sub["status"] == "active" and invoice["id"] == sub["latest_invoice"]:
            previous = self.update(sub, {"status": "past_due"})
            self.state.emit("customer.subscription.updated", sub, previous)

    def cancel(self, sid: str, p: Params) -> Obj:
        """DELETE /v1/subscriptions/{id}: now, optionally invoicing and crediting unused time."""
        s = self.state
        sub = self.get(sid)
        if sub["status"] in _ENDED:
            raise invalid_request(
                f"This subscription has already been {sub['status'].replace('_', ' ')}."
            )
        with TestClocks.of(s).pinned(sub["test_clock"]):
            now = s.now()
            customer = s.get("customer", sub["customer"])
            items = InvoiceItems.of(s)
            if p.get("prorate") and sub["status"] in ("active", "past_due", "unpaid"):
                start, end = self._extra[sid].period
                self._credit_unused(sub, customer, now, start, end)
            invoice = None
            if p.get("invoice_now"):
                taken = items.take_pending(customer["id"], sid)
                taken = [i for i in taken if i["currency"] == sub["currency"]]
                if taken:
                    invoices = Invoices.of(s)
                    invoice = invoices.new(
                        customer,
                        sub["currency"],
                        "subscription_update",
                        collection_method=sub["collection_method"],
                        days_until_due=sub["days_until_due"],
                        subscription=sub,
                        period=(now, now),
                    )
                    invoices.attach_items(invoice, taken)
                    sub["latest_invoice"] = invoice["id"]
            elif not p.get("invoice_now"):
                for ii in items.pending_of(customer["id"], sid):
                    owner = (ii["parent"] or {}).get("subscription_details", {}).get("subscription")
                    if owner == sid and ii["proration"]:
                        items.delete(ii["id"])
            details = dict(sub["cancellation_details"])
            given = p.get("cancellation_details") or {}
            details.update({k: v for k, v in given.items() if k in ("comment", "feedback")})
            sub["cancellation_details"] = details
            self.update(sub, {"canceled_at": now})
            self._end(sub, now, "cancellation_requested")
            if invoice is not None:
                s.emit("invoice.created", invoice)
                Invoices.of(s).finalize_draft(invoice)
                if invoice["status"] == "open":
                    Invoices.of(s).collect(invoice)
        return sub

    def pause(self, sid: str, p: Params) -> Obj:
        """POST /v1/subscriptions/{id}/pause: stop billing until resumed."""
        s = self.state
        sub = self.get(sid)
        if sub["status"] not in ("active", "past_due", "trialing"):
            raise invalid_request(
                f"Only active, past_due or trialing subscriptions can be paused; this "
                f"subscription is {sub['status']}.",
            )
        unused = ((p.get("bill_for") or {}).get("unused_time_from") or {}).get("type") or "now"
        if p.get("invoicing_behavior") == "invoice":
            raise not_emulated("invoicing the credit of a pause at once", "invoicing_behavior")
        with TestClocks.of(s).pinned(sub["test_clock"]):
            now = s.now()
            start, end = self._extra[sid].period
            customer = s.get("customer", sub["customer"])
            if unused != "none" and sub["status"] != "trialing":
                self._credit_unused(sub, customer, now if unused == "now" else start, start, end)
            previous = self.update(
                sub, {"status": "paused", "status_details": _paused(now, "pause_requested")}
            )
            s.emit("customer.subscription.updated", sub, previous)
            s.emit("customer.subscription.paused", sub)
        return sub

    def resume(self, sid: str, p: Params) -> Obj:
        """POST /v1/subscriptions/{id}/resume: a paused subscription starts a new period."""
        s = self.state
        sub = self.get(sid)
        if sub["status"] != "paused":
            raise invalid_request(
                f"Only paused subscriptions can be resumed; this subscription is {sub['status']}."
            )
        anchor = p.get("billing_cycle_anchor")
        kind = (anchor.get("type") if isinstance(anchor, dict) else anchor) or "now"
        behavior = p.get("payment_behavior") or "resume_on_payment_attempt"
        proration = p.get("proration_behavior") or "create_prorations"
        with TestClocks.of(s).pinned(sub["test_clock"]):
            now = s.now()
            customer = s.get("customer", sub["customer"])
            extra = self._extra[sid]
            if kind == "now":
                period = (now, add_intervals(now, extra.interval, extra.count))
                new_anchor = now
                amounts = None
            else:
                period = period_containing(
                    sub["billing_cycle_anchor"], extra.interval, extra.count, now
                )
                new_anchor = sub["billing_cycle_anchor"]
                amounts = period
            pending = InvoiceItems.of(s).pending_of(customer["id"], sid)
            lines = [
                i["price"]["unit_amount"] * i["quantity"]
                if amounts is None
                else (
                    0
                    if proration == "none"
                    else prorate(
                        i["price"]["unit_amount"] * i["quantity"], period[0], period[1], now
                    )
                )
                for i in SubscriptionItems.of(s).items_of(sid)
            ]
            due = self._estimate(
                customer, sub["currency"], lines, pending, [], self._discounts_for(sub, now)
            )
            outcome = self._outcome(self._pm_for(customer, sub["default_payment_method"]), due)
            if sub["collection_method"] != "charge_automatically":
                outcome = "paid"
            extra.period = (now, period[1])
            changes = self._period_changes(sub, extra.period)
            changes["billing_cycle_anchor"] = new_anchor
            wait = behavior == "resume_on_payment_success" and outcome != "paid"
            if not wait:
                changes["status"] = "active"
                changes["status_details"] = None
            extra.resume_on_success = wait
            invoice = self._cycle_invoice(
                sub,
                customer,
                "subscription_update",
                extra.period,
                (now, now),
                self._discounts_for(sub, now),
            )
            if amounts is not None:
                invoices = Invoices.of(s)
                fresh = []
                for line, amount in zip(
                    invoices.extra(invoice["id"]).lines[-len(lines) :], lines, strict=True
                ):
                    fresh.append({**line, "amount": amount, "subtotal": amount})
                invoices.extra(invoice["id"]).lines[-len(lines) :] = fresh
                invoices.recompute(invoice)
            changes["latest_invoice"] = invoice["id"]
            previous = self.update(sub, changes)
            if not wait:
                s.emit("customer.subscription.resumed", sub, previous)
            s.emit("invoice.created", invoice)
            self._schedule_period(sub)
            invoices = Invoices.of(s)
            if sub["collection_method"] == "send_invoice":
                invoices.schedule_finalize(invoice)
            else:
                invoices.finalize_draft(invoice)
                if invoice["status"] == "open":
                    invoices.collect(invoice, automatic=True, off_session=False)
        return sub
