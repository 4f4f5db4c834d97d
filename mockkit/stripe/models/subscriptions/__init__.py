"""Subscriptions: statuses, trials, periods, renewals, changes with prorations, cancels.

A subscription's periods follow its `billing_cycle_anchor` (`mockkit.stripe.billing.periods`);
each renewal, trial end, `cancel_at`, incomplete expiry and upcoming-invoice notice is due work
on the clock of its customer (`TestClocks`). Invoices tell the subscription how their payments
went (`invoice_paid`, `invoice_failed`, ...), which moves its status.

Every request is checked whole before anything changes, and the outcome of a first payment is
known before the subscription is stored (the fake's test cards decide it), so a refused request
(a 400, or the 402 of `error_if_incomplete`) leaves no subscription, invoice or event behind,
and `customer.subscription.created` shows the status the subscription ends the request in.
"""

from __future__ import annotations

from typing import Any

from mockkit.stripe.billing.periods import (
    add_intervals,
)
from mockkit.stripe.errors import (
    invalid_request,
    not_emulated,
    param_error,
)
from mockkit.stripe.models.discounts import Discounts
from mockkit.stripe.models.invoiceitems import InvoiceItems
from mockkit.stripe.models.invoices import Invoices
from mockkit.stripe.models.subscription_items import SubscriptionItems
from mockkit.stripe.models.subscriptions._base import (
    _ENDED,
    ItemChange,
    _Pending,
)
from mockkit.stripe.models.subscriptions._create import SubscriptionCreate
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Obj, Params

__all__ = ["ItemChange", "Subscriptions"]


class Subscriptions(SubscriptionCreate):
    """The account's subscriptions and the state machine that moves them."""

    resource = Resource(
        "subscription",
        "sub_",
        event_prefix="customer.subscription",
        expandable={
            "customer": "customer",
            "default_payment_method": "payment_method",
            "latest_invoice": "invoice",
            "discounts": "discount",
            "pending_setup_intent": "setup_intent",
            "test_clock": "test_helpers.test_clock",
            "items": "hash:list:subscription_item",
        },
        events=(
            "customer.subscription.created",
            "customer.subscription.updated",
            "customer.subscription.deleted",
            "customer.subscription.trial_will_end",
            "customer.subscription.paused",
            "customer.subscription.resumed",
            "customer.subscription.pending_update_applied",
            "customer.subscription.pending_update_expired",
        ),
    )

    def retrieve(self, sid: str) -> Obj:
        """GET /v1/subscriptions/{id}."""
        return self.get(sid)

    def modify(self, sid: str, p: Params) -> Obj:
        """POST /v1/subscriptions/{id}."""
        sub = self.get(sid)
        with TestClocks.of(self.state).pinned(sub["test_clock"]):
            return self._modify(sub, p)

    def _modify(self, sub: Obj, p: Params, item_response: bool = False) -> Obj:
        s = self.state
        now = s.now()
        customer = s.get("customer", sub["customer"])
        given = {k for k, v in p.items() if k != "expand"}
        if sub["status"] in _ENDED:
            if given - {"metadata", "cancellation_details"}:
                raise invalid_request(
                    f"A canceled subscription can only update its cancellation_details and "
                    f"metadata; this subscription is {sub['status']}.",
                    code="invalid_canceled_subscription_fields",
                )
        elif sub["status"] == "incomplete" and given - {
            "metadata",
            "default_payment_method",
            "payment_settings",
            "description",
        }:
            raise invalid_request(
                "A subscription whose first invoice is unpaid (status incomplete) can only "
                "update its metadata and default payment method.",
            )
        self._refuse_unemulated(p)
        behavior = p.get("payment_behavior") or "allow_incomplete"
        proration = p.get("proration_behavior") or "create_prorations"
        extra = self._extra[sub["id"]]
        start, end = extra.period
        at = p.get("proration_date") or now
        if p.get("proration_date") is not None and not start <= at <= end:
            raise param_error(
                "Cannot specify proration date outside of current subscription period",
                "proration_date",
            )
        if behavior == "pending_if_incomplete":
            allowed = {
                "items",
                "proration_behavior",
                "proration_date",
                "payment_behavior",
                "billing_cycle_anchor",
                "trial_end",
                "trial_from_plan",
                "add_invoice_items",
                "metadata",
                "off_session",
            }
            extra_params = given - allowed
            if extra_params:
                raise param_error(
                    "payment_behavior=pending_if_incomplete cannot be used with "
                    + ", ".join(sorted(extra_params))
                    + ".",
                    "payment_behavior",
                )
            if sub["collection_method"] == "send_invoice":
                raise param_error(
                    "payment_behavior=pending_if_incomplete is not available for "
                    "collection_method=send_invoice subscriptions.",
                    "payment_behavior",
                )
        changes = self.plan_changes(sub, p["items"], customer) if p.get("items") else []
        pm = sub["default_payment_method"]
        if "default_payment_method" in p:
            pm = self._default_pm(customer, p["default_payment_method"], "default_payment_method")
        discounts = None
        if "discounts" in p:
            discounts = Discounts.of(s).resolve(
                p["discounts"], "discounts", customer, sub["currency"]
            )
        cancel_at = sub["cancel_at"]
        cancel_at_period_end = sub["cancel_at_period_end"]
        canceled_at = sub["canceled_at"]
        if "cancel_at_period_end" in p and p["cancel_at_period_end"] is not None:
            cancel_at_period_end = p["cancel_at_period_end"]
            cancel_at = end if cancel_at_period_end else None
            canceled_at = now if cancel_at_period_end else None
        if "cancel_at" in p:
            raw = p["cancel_at"]
            if raw in ("min_period_end", "max_period_end", "max_billed_until"):
                raw = end
            if raw is not None and raw <= now:
                raise param_error("cancel_at must be in the future.", "cancel_at")
            if raw is not None and p.get("cancel_at_period_end"):
                raise param_error(
                    "You may only specify one of these parameters: cancel_at, "
                    "cancel_at_period_end.",
                    "cancel_at",
                )
            cancel_at = raw
            cancel_at_period_end = raw is not None and raw == end
            canceled_at = now if raw is not None else None
        details = p.get("cancellation_details")
        if details is not None and cancel_at is None and sub["status"] not in _ENDED:
            raise invalid_request(
                "`cancellation_details` can only be set on subscriptions that are set to cancel.",
                param="cancellation_details",
            )
        method = p.get("collection_method") or sub["collection_method"]
        days = p.get("days_until_due", sub["days_until_due"] if method == "send_invoice" else None)
        if method == "send_invoice" and days is None:
            raise param_error(
                "Missing required param: days_until_due.", "days_until_due", "parameter_missing"
            )
        if method != "send_invoice" and p.get("days_until_due") is not None:
            raise param_error(
                "days_until_due can only be set when collection_method is send_invoice.",
                "days_until_due",
            )
        trial_end = p.get("trial_end")
        if trial_end is not None:
            if sub["status"] != "trialing" and trial_end != "now":
                raise not_emulated(
                    "adding a trial to a subscription that is not trialing", "trial_end"
                )
            if trial_end != "now" and trial_end <= now:
                raise param_error("trial_end must be in the future or `now`.", "trial_end")
        anchor = p.get("billing_cycle_anchor")
        reset_anchor = False
        if anchor is not None:
            kind = anchor.get("type") if isinstance(anchor, dict) else anchor
            if kind not in ("now", "unchanged"):
                raise param_error(
                    "Invalid billing_cycle_anchor: must be {type: now} or {type: unchanged}.",
                    "billing_cycle_anchor",
                )
            reset_anchor = kind == "now"
        add_items = self._check_added_items(p.get("add_invoice_items"), sub["currency"])
        # Does this update invoice now, and how would the payment go?
        active = sub["status"] in ("active", "past_due", "unpaid")
        prorations = (
            self._proration_lines(sub, changes, at)
            if changes and active and proration != "none"
            else []
        )
        ends_trial = sub["status"] == "trialing" and trial_end == "now"
        invoice_now = bool(
            (changes and proration == "always_invoice" and active and prorations)
            or reset_anchor
            or ends_trial
        )
        outcome = "paid"
        if invoice_now and sub["collection_method"] == "charge_automatically":
            if reset_anchor or ends_trial:
                base = sum(
                    (c.price or (c.item or {}).get("price") or {}).get("unit_amount", 0)
                    for c in changes
                )
                amounts = (
                    [
                        i["price"]["unit_amount"] * i["quantity"]
                        for i in SubscriptionItems.of(s).items_of(sub["id"])
                    ]
                    if not base
                    else [base]
                )
            else:
                amounts = []
            amounts += [a for a, *_ in prorations] + [a["amount"] for a in add_items]
            due = self._estimate(
                customer,
                sub["currency"],
                amounts,
                InvoiceItems.of(s).pending_of(customer["id"], sub["id"]),
                discounts or [],
                sub["discounts"] if discounts is None else None,
            )
            if behavior != "default_incomplete":
                outcome = self._outcome(self._pm_for(customer, pm), due, bool(p.get("off_session")))
                if outcome != "paid" and behavior == "error_if_incomplete":
                    raise self._refusal(self._pm_for(customer, pm), outcome)
        # Everything is checked: change.
        previous: dict[str, Any] = {}
        before_items = sub["items"]
        pending_change = behavior == "pending_if_incomplete" and outcome != "paid" and bool(changes)
        proration_items = []
        for amount, description, price, qty, item in prorations:
            ii = InvoiceItems.of(s).add(
                customer,
                amount,
                sub["currency"],
                description=description,
                quantity=qty,
                unit_amount=price["unit_amount"],
                price=price,
                discountable=False,
                period={"end": end, "start": at},
                subscription=sub["id"],
                subscription_item=item["id"] if item else None,
                proration=True,
            )
            proration_items.append(ii)
        for a in add_items:
            proration_items.append(
                InvoiceItems.of(s).add(
                    customer,
                    a["amount"],
                    sub["currency"],
                    description=a["description"],
                    quantity=a["quantity"],
                    unit_amount=a["unit_amount"],
                    price=a["price"],
                    subscription=sub["id"],
                )
            )
        for ii in proration_items:
            s.emit("invoiceitem.created", ii)
        if changes and not pending_change:
            self._apply_changes(sub, changes)
        updates: dict[str, Any] = {
            "cancel_at": cancel_at,
            "cancel_at_period_end": cancel_at_period_end,
            "canceled_at": canceled_at,
            "collection_method": method,
            "days_until_due": days,
            "default_payment_method": pm,
        }
        if "description" in p:
            updates["description"] = p["description"]
        if "metadata" in p:
            updates["metadata"] = self.merge_metadata(sub["metadata"], p["metadata"])
        if details is not None:
            merged = dict(sub["cancellation_details"])
            merged.update({k: v for k, v in details.items() if k in ("comment", "feedback")})
            updates["cancellation_details"] = merged
        if p.get("payment_settings") and "save_default_payment_method" in p["payment_settings"]:
            settings = dict(sub["payment_settings"])
            settings["save_default_payment_method"] = (
                p["payment_settings"]["save_default_payment_method"] or "off"
            )
            updates["payment_settings"] = settings
        if p.get("trial_settings"):
            behavior_end = (p["trial_settings"].get("end_behavior") or {}).get(
                "missing_payment_method"
            )
            if behavior_end:
                updates["trial_settings"] = {
                    "end_behavior": {"missing_payment_method": behavior_end}
                }
        if discounts is not None:
            updates["discounts"] = [
                Discounts.of(s).make(d, now, customer["id"], subscription=sub["id"])["id"]
                for d in discounts
            ]
        if trial_end is not None and trial_end != "now":
            extra.period = (start, trial_end)
            updates["trial_end"] = trial_end
            updates["billing_cycle_anchor"] = trial_end
            updates.update(self._period_changes(sub, extra.period))
        if reset_anchor or ends_trial:
            extra.period = (now, add_intervals(now, extra.interval, extra.count))
            updates["billing_cycle_anchor"] = now
            updates.update(self._period_changes(sub, extra.period))
            if ends_trial:
                updates["trial_end"] = now
                updates["status"] = "active"
        if changes and not pending_change:
            updates["items"] = SubscriptionItems.of(s).listing(sub["id"])
        invoice = None
        if invoice_now:
            reason = "subscription_update"
            if reset_anchor or ends_trial:
                invoice = self._cycle_invoice(
                    sub,
                    customer,
                    reason,
                    extra.period,
                    (start, now),
                    self._discounts_for(sub, now) if discounts is None else updates["discounts"],
                )
            else:
                invoices = Invoices.of(s)
                invoice = invoices.new(
                    customer,
                    sub["currency"],
                    reason,
                    collection_method=sub["collection_method"],
                    days_until_due=sub["days_until_due"],
                    subscription=sub,
                    discounts=self._discounts_for(sub, now)
                    if discounts is None
                    else updates["discounts"],
                    period=(at, at),
                )
                taken = InvoiceItems.of(s).take_pending(customer["id"], sub["id"])
                invoices.attach_items(
                    invoice, [i for i in taken if i["currency"] == sub["currency"]]
                )
            updates["latest_invoice"] = invoice["id"]
        if pending_change and invoice is not None:
            expires = now + s.billing.incomplete_seconds
            extra.pending = _Pending(changes, invoice["id"], expires)
            updates["pending_update"] = {
                "billing_cycle_anchor": None,
                "discounts": None,
                "expires_at": expires,
                "subscription_items": [self._pending_item(c) for c in changes],
                "trial_end": None,
                "trial_from_plan": None,
                "metadata": None,
            }
            self._schedule(sub, expires, "pending_expire")
        previous = self.update(sub, updates)
        if "items" in previous:
            previous["items"] = before_items
        if previous:
            s.emit("customer.subscription.updated", sub, previous)
        if cancel_at is not None and cancel_at != end and "cancel_at" in previous:
            self._schedule(sub, cancel_at, "cancel_at")
        if reset_anchor or ends_trial or (trial_end is not None and trial_end != "now"):
            self._schedule_period(sub)
        if trial_end is not None and trial_end != "now":
            self._schedule_trial_notice(sub)
        if invoice is not None:
            s.emit("invoice.created", invoice)
            invoices = Invoices.of(s)
            if sub["collection_method"] == "send_invoice":
                invoices.schedule_finalize(invoice)
            else:
                invoices.finalize_draft(invoice)
                if invoice["status"] == "open":
                    if behavior == "default_incomplete":
                        if sub["status"] == "active":
                            prev = self.update(sub, {"status": "past_due"})
                            s.emit("customer.subscription.updated", sub, prev)
                    else:
                        invoices.collect(
                            invoice, automatic=True, off_session=bool(p.get("off_session"))
                        )
        return sub
