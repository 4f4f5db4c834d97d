"""Subscriptions, created: every check first, the first invoice, the first payment."""

from __future__ import annotations

from mockkit.stripe import money
from mockkit.stripe.billing.amounts import prorate
from mockkit.stripe.billing.periods import (
    DAY,
    add_intervals,
    anchor_from_config,
    period_containing,
)
from mockkit.stripe.errors import (
    invalid_request,
    param_error,
)
from mockkit.stripe.models.discounts import Discounts
from mockkit.stripe.models.invoiceitems import InvoiceItems
from mockkit.stripe.models.invoices import Invoices, describe_period_line, short_date
from mockkit.stripe.models.setup_intents import SetupIntents
from mockkit.stripe.models.subscription_items import SubscriptionItems
from mockkit.stripe.models.subscriptions._base import (
    _NO_PM,
    _Extra,
)
from mockkit.stripe.models.subscriptions._lifecycle import SubscriptionLifecycle
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.objects import build
from mockkit.stripe.state import Obj, Params

__all__ = ["SubscriptionCreate"]


class SubscriptionCreate(SubscriptionLifecycle):
    """Subscriptions, created."""

    def create(self, p: Params) -> Obj:
        """POST /v1/subscriptions."""
        s = self.state
        if not p.get("customer"):
            raise param_error("Missing required param: customer.", "customer", "parameter_missing")
        customer = s.ref("customer", p["customer"], "customer")
        if not p.get("items"):
            raise param_error("Missing required param: items.", "items", "parameter_missing")
        self._refuse_unemulated(p)
        with TestClocks.of(s).pinned(customer.get("test_clock")):
            return self._create(customer, p)

    def _create(self, customer: Obj, p: Params) -> Obj:
        s = self.state
        now = s.now()
        entries = p["items"]
        if len(entries) > 20:
            raise param_error("A subscription can have at most 20 items.", "items")
        prices = [self._price(e, f"items[{i}]", customer) for i, e in enumerate(entries)]
        self._check_consistent(prices, p.get("currency") and money.currency(p["currency"]), "items")
        currency = prices[0]["currency"]
        interval = prices[0]["recurring"]["interval"]
        count = prices[0]["recurring"]["interval_count"]
        method = p.get("collection_method") or "charge_automatically"
        days = p.get("days_until_due")
        if method == "send_invoice" and days is None:
            raise param_error(
                "Missing required param: days_until_due (required for "
                "collection_method=send_invoice).",
                "days_until_due",
                "parameter_missing",
            )
        if method != "send_invoice" and days is not None:
            raise param_error(
                "days_until_due can only be set when collection_method is send_invoice.",
                "days_until_due",
            )
        behavior = p.get("payment_behavior") or "allow_incomplete"
        if behavior == "pending_if_incomplete":
            raise param_error(
                "payment_behavior=pending_if_incomplete can only be used when updating a "
                "subscription.",
                "payment_behavior",
            )
        proration = p.get("proration_behavior") or "create_prorations"
        if proration == "always_invoice":
            proration = "create_prorations"
        pm = self._default_pm(customer, p.get("default_payment_method"), "default_payment_method")
        # Trials.
        trial_end = p.get("trial_end")
        if trial_end is not None and p.get("trial_period_days") is not None:
            raise param_error(
                "You may only specify one of these parameters: trial_end, trial_period_days.",
                "trial_period_days",
            )
        if p.get("trial_from_plan") and (trial_end is not None or p.get("trial_period_days")):
            raise param_error(
                "You may not specify trial_from_plan together with trial_end or trial_period_days.",
                "trial_from_plan",
            )
        if trial_end == "now":
            trial_end = None
        elif trial_end is not None:
            if trial_end <= now:
                raise param_error(
                    "Invalid timestamp: must be an integer Unix timestamp in the future.",
                    "trial_end",
                )
            if trial_end > add_intervals(now, "year", 2):
                raise param_error(
                    "trial_end cannot be more than 2 years in the future.", "trial_end"
                )
        elif p.get("trial_period_days"):
            trial_end = now + p["trial_period_days"] * DAY
        elif p.get("trial_from_plan") and prices[0]["recurring"].get("trial_period_days"):
            trial_end = now + prices[0]["recurring"]["trial_period_days"] * DAY
        # The anchor.
        anchor = p.get("billing_cycle_anchor")
        config = p.get("billing_cycle_anchor_config")
        if anchor is not None and config is not None:
            raise param_error(
                "You may only specify one of these parameters: billing_cycle_anchor, "
                "billing_cycle_anchor_config.",
                "billing_cycle_anchor_config",
            )
        if config is not None:
            if interval not in ("month", "year"):
                raise param_error(
                    "billing_cycle_anchor_config can only be used with monthly or yearly prices.",
                    "billing_cycle_anchor_config",
                )
            anchor = anchor_from_config(
                trial_end or now,
                interval,
                config["day_of_month"],
                config.get("hour"),
                config.get("minute"),
                config.get("second"),
                config.get("month"),
            )
        start_of_billing = trial_end or now
        if anchor is not None:
            if anchor < start_of_billing:
                raise param_error(
                    "billing_cycle_anchor must be in the future (and after any trial).",
                    "billing_cycle_anchor",
                )
            natural = add_intervals(start_of_billing, interval, count)
            if anchor > natural:
                raise invalid_request(
                    f"billing_cycle_anchor cannot be later than next natural billing date "
                    f"({natural}) for plan",
                    param="billing_cycle_anchor",
                )
        # Cancellation.
        cancel_at = p.get("cancel_at")
        if isinstance(cancel_at, str):
            cancel_at = None  # "min_period_end" etc. resolve below, when the period is known
        # Discounts (checked, not yet counted).
        pending = Discounts.of(s).resolve(p.get("discounts"), "discounts", customer, currency)
        item_discounts = [
            Discounts.of(s).resolve(
                e.get("discounts"), f"items[{i}][discounts]", customer, currency
            )
            for i, e in enumerate(entries)
        ]
        add_items = self._check_added_items(p.get("add_invoice_items"), currency)
        # Periods and the first invoice's amounts.
        if trial_end is not None:
            period = (now, trial_end)
            first_amounts = [0 for _ in prices]
            billing_anchor = anchor or trial_end
            if anchor is not None and anchor != trial_end:
                raise param_error(
                    "mockkit's Stripe fake does not emulate a billing_cycle_anchor other than "
                    "the trial end on a subscription with a trial.",
                    "billing_cycle_anchor",
                )
        elif anchor is not None and anchor > now:
            period = (now, anchor)
            full_start, _ = period_containing(anchor, interval, count, now)
            first_amounts = [
                0
                if proration == "none"
                else prorate(pr["unit_amount"] * (e.get("quantity") or 1), full_start, anchor, now)
                for pr, e in zip(prices, entries, strict=True)
            ]
            billing_anchor = anchor
        else:
            period = (now, add_intervals(now, interval, count))
            first_amounts = [
                pr["unit_amount"] * (e.get("quantity") or 1)
                for pr, e in zip(prices, entries, strict=True)
            ]
            billing_anchor = now
        raw_cancel = p.get("cancel_at")
        if raw_cancel in ("min_period_end", "max_period_end", "max_billed_until"):
            cancel_at = period[1]
        if cancel_at is not None and cancel_at <= now:
            raise param_error("cancel_at must be in the future.", "cancel_at")
        if p.get("cancel_at_period_end") and cancel_at is not None:
            raise param_error(
                "You may only specify one of these parameters: cancel_at, cancel_at_period_end.",
                "cancel_at",
            )
        if p.get("cancel_at_period_end"):
            cancel_at = period[1]
        pending_items = InvoiceItems.of(s).pending_of(customer["id"], None)
        pending_items = [i for i in pending_items if i["currency"] == currency]
        due = self._estimate(
            customer,
            currency,
            first_amounts + [a["amount"] for a in add_items],
            pending_items,
            pending,
        )
        # The outcome of the first payment decides the status before anything is stored.
        if trial_end is not None:
            status, outcome = "trialing", "paid"
        elif method == "send_invoice":
            status, outcome = "active", "later"
        elif due == 0:
            status, outcome = "active", "paid"
        elif behavior == "default_incomplete":
            status, outcome = "incomplete", "later"
        else:
            charge_pm = self._pm_for(customer, pm)
            outcome = self._outcome(charge_pm, due)
            if outcome == "no_pm":
                raise invalid_request(_NO_PM, code="resource_missing")
            if outcome != "paid" and behavior == "error_if_incomplete":
                raise self._refusal(charge_pm, outcome)
            status = "active" if outcome == "paid" else "incomplete"
        save = (p.get("payment_settings") or {}).get("save_default_payment_method") or "off"
        if save == "on_subscription" and outcome == "paid" and pm is None and due > 0:
            pm = self._pm_for(customer, None)
        # Everything is checked: store.
        sid = s.new_id("subscription")
        trial_behavior = ((p.get("trial_settings") or {}).get("end_behavior") or {}).get(
            "missing_payment_method"
        ) or "create_invoice"
        sub = build(
            "subscription",
            {
                "id": sid,
                "created": now,
                "start_date": now,
                "customer": customer["id"],
                "currency": currency,
                "status": status,
                "collection_method": method,
                "days_until_due": days,
                "default_payment_method": pm,
                "description": p.get("description"),
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
                "billing_cycle_anchor": billing_anchor,
                "billing_cycle_anchor_config": config,
                "cancel_at": cancel_at,
                "cancel_at_period_end": bool(p.get("cancel_at_period_end")),
                "canceled_at": now if cancel_at is not None else None,
                "trial_start": now if trial_end is not None else None,
                "trial_end": trial_end,
                "trial_settings": {"end_behavior": {"missing_payment_method": trial_behavior}},
                "payment_settings": {
                    "payment_method_options": None,
                    "payment_method_types": None,
                    "save_default_payment_method": save,
                },
                "test_clock": customer.get("test_clock"),
                "billing_mode": {
                    "type": ((p.get("billing_mode") or {}).get("type")) or "flexible",
                    "flexible": {"proration_discounts": "included"},
                    "updated_at": now,
                },
                "discounts": [],
                "latest_invoice": None,
                "status_details": None,
            },
        )
        self.store.add(sub)
        self.by_customer.setdefault(customer["id"], []).append(sid)
        self._extra[sid] = _Extra(interval, count, period)
        disc = Discounts.of(s)
        sub["discounts"] = [
            disc.make(d, now, customer["id"], subscription=sid)["id"] for d in pending
        ]
        items = SubscriptionItems.of(s)
        made_items = []
        for i, (price, entry) in enumerate(zip(prices, entries, strict=True)):
            item = items.make(
                sid,
                price,
                entry.get("quantity") or 1,
                period,
                self.merge_metadata({}, entry.get("metadata") or {}),
            )
            if item_discounts[i]:
                item = items.replace(
                    item,
                    {
                        "discounts": [
                            disc.make(
                                d,
                                now,
                                customer["id"],
                                subscription=sid,
                                subscription_item=item["id"],
                            )["id"]
                            for d in item_discounts[i]
                        ]
                    },
                )
            made_items.append(item)
        sub["items"] = items.listing(sid)
        # The first invoice.
        invoices = Invoices.of(s)
        invoice = invoices.new(
            customer,
            currency,
            "subscription_create",
            collection_method=method,
            days_until_due=days,
            subscription=sub,
            discounts=list(sub["discounts"]),
            period=(now, now),
        )
        lines = []
        for item, amount in zip(made_items, first_amounts, strict=True):
            name = self._product_name(item["price"])
            if trial_end is not None:
                description = f"Trial period for {name}"
            elif amount != item["price"]["unit_amount"] * item["quantity"] and amount:
                description = (
                    f"Remaining time on {self._qty_name(item, name)} after {short_date(now)}"
                )
            else:
                description = describe_period_line(item["quantity"], name, item["price"])
            lines.append(
                invoices.line(
                    invoice,
                    amount,
                    description,
                    period=period,
                    quantity=item["quantity"],
                    price=item["price"],
                    unit_amount=item["price"]["unit_amount"],
                    subscription=sid,
                    subscription_item=item["id"],
                    proration=amount not in (0, item["price"]["unit_amount"] * item["quantity"]),
                    discounts=item["discounts"],
                )
            )
        invoices.add_lines(invoice, lines)
        extra_items = [
            InvoiceItems.of(s).add(
                customer,
                a["amount"],
                currency,
                description=a["description"],
                quantity=a["quantity"],
                unit_amount=a["unit_amount"],
                price=a["price"],
                subscription=sid,
            )
            for a in add_items
        ]
        taken = InvoiceItems.of(s).take_pending(customer["id"], sid)
        taken = [i for i in taken if i["currency"] == currency]
        if taken:
            invoices.attach_items(invoice, taken)
        sub["latest_invoice"] = invoice["id"]
        if behavior == "default_incomplete" and method == "charge_automatically" and due == 0:
            # Nothing to pay now (a trial, a free first period): Stripe hands the client a
            # SetupIntent to collect the card the renewals will need.
            setup = SetupIntents.of(s)
            si = setup.create({"customer": customer["id"], "usage": "off_session"})
            setup.watchers[si["id"]] = self.setup_succeeded
            sub["pending_setup_intent"] = si["id"]
        s.emit("customer.subscription.created", sub)
        for item in extra_items:
            s.emit("invoiceitem.created", item)
        s.emit("invoice.created", invoice)
        self._schedule_period(sub)
        if trial_end is not None:
            self._schedule_trial_notice(sub)
        if cancel_at is not None and cancel_at != period[1]:
            self._schedule(sub, cancel_at, "cancel_at")
        if status == "incomplete":
            self._schedule(sub, now + s.billing.incomplete_seconds, "expire")
        if method == "send_invoice" and invoice["total"] > 0:
            invoices.schedule_finalize(invoice)
            return sub
        invoices.finalize_draft(invoice)
        if invoice["status"] == "open" and behavior != "default_incomplete":
            invoices.collect(invoice, automatic=True, off_session=False)
        return sub
