"""Subscriptions, changed: item changes, their prorations, previews."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.billing.amounts import apply_balance, prorate
from mockkit.stripe.billing.periods import (
    add_intervals,
    next_boundary,
)
from mockkit.stripe.errors import (
    invalid_request,
    not_emulated,
    param_error,
)
from mockkit.stripe.models.discounts import Discounts
from mockkit.stripe.models.invoiceitems import InvoiceItems
from mockkit.stripe.models.invoices import TIMES, Invoices, describe_period_line, short_date
from mockkit.stripe.models.subscription_items import SubscriptionItems
from mockkit.stripe.models.subscriptions._base import (
    ItemChange,
    SubscriptionsBase,
)
from mockkit.stripe.state import Obj, Params

__all__ = ["SubscriptionChanges"]


class SubscriptionChanges(SubscriptionsBase):
    """Subscriptions, changed."""

    def plan_changes(
        self, sub: Obj, entries: list[dict[str, Any]], customer: Obj, param: str = "items"
    ) -> list[ItemChange]:
        """Check an `items` parameter of an update; change nothing."""
        s = self.state
        current = {i["id"]: i for i in SubscriptionItems.of(s).items_of(sub["id"])}
        changes: list[ItemChange] = []
        for i, entry in enumerate(entries):
            name = f"{param}[{i}]"
            pending = None
            if entry.get("discounts") is not None:
                pending = Discounts.of(s).resolve(
                    entry["discounts"], f"{name}[discounts]", customer, sub["currency"]
                )
            if entry.get("id"):
                item = current.get(entry["id"])
                if item is None:
                    raise invalid_request(
                        f"No such subscription item: '{entry['id']}' on this subscription.",
                        param=f"{name}[id]",
                        code="resource_missing",
                    )
                if entry.get("deleted"):
                    changes.append(ItemChange("delete", item))
                    continue
                price = None
                if entry.get("price") or entry.get("price_data") or entry.get("plan"):
                    price = self._price(entry, name, customer)
                changes.append(
                    ItemChange(
                        "update",
                        item,
                        price,
                        entry.get("quantity"),
                        entry.get("metadata"),
                        pending,
                    )
                )
            else:
                if entry.get("deleted"):
                    raise param_error(
                        f"Missing required param: {name}[id] (to delete an item).",
                        f"{name}[id]",
                        "parameter_missing",
                    )
                price = self._price(entry, name, customer)
                changes.append(
                    ItemChange(
                        "add",
                        None,
                        price,
                        entry.get("quantity") or 1,
                        entry.get("metadata"),
                        pending,
                    )
                )
        # What the subscription would hold afterwards.
        after = dict(current)
        prices = []
        for c in changes:
            if c.op == "delete":
                assert c.item is not None
                after.pop(c.item["id"], None)
        for item in after.values():
            replaced = next((c.price for c in changes if c.item is item and c.price), None)
            prices.append(replaced or item["price"])
        prices += [c.price for c in changes if c.op == "add" and c.price is not None]
        if not prices:
            raise invalid_request(
                "A subscription must have at least one active item; cancel the subscription "
                "instead of deleting its last item.",
                param=param,
            )
        self._check_consistent(prices, sub["currency"], param)
        extra = self._extra[sub["id"]]
        first = prices[0]["recurring"]
        if (first["interval"], first["interval_count"]) != (extra.interval, extra.count):
            raise not_emulated(
                "changing the billing interval of a subscription (the new price bills on a "
                "different interval)",
                param,
            )
        return changes

    def _proration_lines(
        self, sub: Obj, changes: list[ItemChange], at: int
    ) -> list[tuple[int, str, Obj, int, Obj | None]]:
        """(amount, description, price, quantity, item) of each proration the changes make."""
        start, end = self._extra[sub["id"]].period
        out: list[tuple[int, str, Obj, int, Obj | None]] = []
        date = short_date(at)
        for c in changes:
            old = c.item
            if c.op in ("update", "delete") and old is not None:
                new_price = c.price or old["price"]
                new_qty = c.quantity if c.quantity is not None else old["quantity"]
                changed = (
                    c.op == "delete"
                    or new_price["id"] != old["price"]["id"]
                    or new_qty != old["quantity"]
                )
                if not changed:
                    continue
                name = self._product_name(old["price"])
                credit = prorate(old["price"]["unit_amount"] * old["quantity"], start, end, at)
                if credit:
                    out.append(
                        (
                            -credit,
                            f"Unused time on {self._qty_name(old, name)} after {date}",
                            old["price"],
                            old["quantity"],
                            old,
                        )
                    )
                if c.op == "update":
                    new_name = self._product_name(new_price)
                    debit = prorate(new_price["unit_amount"] * new_qty, start, end, at)
                    if debit:
                        label = new_name if new_qty == 1 else f"{new_qty} {TIMES} {new_name}"
                        out.append(
                            (
                                debit,
                                f"Remaining time on {label} after {date}",
                                new_price,
                                new_qty,
                                old,
                            )
                        )
            elif c.op == "add" and c.price is not None:
                qty = c.quantity or 1
                debit = prorate(c.price["unit_amount"] * qty, start, end, at)
                if debit:
                    name = self._product_name(c.price)
                    label = name if qty == 1 else f"{qty} {TIMES} {name}"
                    out.append(
                        (debit, f"Remaining time on {label} after {date}", c.price, qty, None)
                    )
        return out

    def _apply_changes(self, sub: Obj, changes: list[ItemChange]) -> list[Obj]:
        """Apply checked item changes; returns the items added (for their proration lines)."""
        s = self.state
        items = SubscriptionItems.of(s)
        period = self._extra[sub["id"]].period
        added = []
        customer = sub["customer"]
        for c in changes:
            discounts = None
            if c.discounts is not None:
                discounts = [
                    Discounts.of(s).make(d, s.now(), customer, subscription=sub["id"])["id"]
                    for d in c.discounts
                ]
            if c.op == "delete" and c.item is not None:
                items.drop(items.store.by_id.get(c.item["id"], c.item))
            elif c.op == "update" and c.item is not None:
                current = items.store.by_id[c.item["id"]]
                update: dict[str, Any] = {}
                if c.price is not None:
                    update["price"] = c.price.copy()
                if c.quantity is not None:
                    update["quantity"] = c.quantity
                if c.metadata is not None:
                    update["metadata"] = self.merge_metadata(current["metadata"], c.metadata)
                if discounts is not None:
                    update["discounts"] = discounts
                if update:
                    items.replace(current, update)
            elif c.op == "add" and c.price is not None:
                added.append(
                    items.make(
                        sub["id"],
                        c.price,
                        c.quantity or 1,
                        period,
                        self.merge_metadata({}, c.metadata or {}),
                        discounts,
                    )
                )
        return added

    def _pending_item(self, change: ItemChange) -> Obj:
        item = change.item or {}
        price = change.price or item.get("price")
        return {
            "id": item.get("id"),
            "object": "subscription_item",
            "price": price,
            "quantity": change.quantity if change.quantity is not None else item.get("quantity"),
            "deleted": change.op == "delete",
        }

    def preview(
        self,
        sub: Obj,
        changes: list[ItemChange] | None,
        proration: str = "create_prorations",
        at: int | None = None,
    ) -> Obj:
        """The invoice the subscription's next renewal (or an item change) would make.

        Nothing is stored, counted or emitted.
        """
        s = self.state
        customer = s.get("customer", sub["customer"])
        extra = self._extra[sub["id"]]
        start, end = extra.period
        at = s.now() if at is None else at
        invoices = Invoices.of(s)
        pending = list(InvoiceItems.of(s).pending_of(customer["id"], sub["id"]))
        items = SubscriptionItems.of(s).items_of(sub["id"])
        proration_lines: list[tuple[int, str, Obj, int, Obj | None]] = []
        if changes:
            if sub["status"] in ("active", "past_due") and proration != "none":
                proration_lines = self._proration_lines(sub, changes, at)
            items = self._items_after(sub, changes)
        if changes and proration == "always_invoice":
            invoice = invoices.new(
                customer,
                sub["currency"],
                "upcoming",
                subscription=sub,
                discounts=self._discounts_for(sub, at),
                period=(at, at),
                preview=True,
            )
            lines_src: list[Obj] = []
        else:
            nxt = next_boundary(sub["billing_cycle_anchor"], extra.interval, extra.count, end)
            invoice = self._cycle_invoice(
                sub,
                customer,
                "upcoming",
                (end, nxt),
                (start, end),
                self._discounts_for(sub, end),
                preview=True,
                items=items,
                pending=pending,
            )
            lines_src = []
        extra_lines = [
            invoices.line(
                invoice,
                amount,
                description,
                period=(at, end),
                quantity=qty,
                price=price,
                unit_amount=price["unit_amount"],
                subscription=sub["id"],
                subscription_item=item["id"] if item else None,
                proration=True,
                discountable=False,
            )
            for amount, description, price, qty, item in proration_lines
        ]
        if changes and proration == "always_invoice":
            extra_lines += [invoices.item_line(invoice, i) for i in pending]
        invoices.add_lines(invoice, extra_lines + lines_src, first=True)
        self._finish_preview(invoice, customer)
        return invoice

    def _items_after(self, sub: Obj, changes: list[ItemChange]) -> list[Obj]:
        current = [dict(i) for i in SubscriptionItems.of(self.state).items_of(sub["id"])]
        out = []
        for item in current:
            change = next(
                (c for c in changes if c.item is not None and c.item["id"] == item["id"]), None
            )
            if change is None:
                out.append(item)
            elif change.op == "update":
                if change.price is not None:
                    item["price"] = change.price
                if change.quantity is not None:
                    item["quantity"] = change.quantity
                out.append(item)
        for c in changes:
            if c.op == "add" and c.price is not None:
                out.append(
                    {"id": None, "price": c.price, "quantity": c.quantity or 1, "discounts": []}
                )
        return out

    def preview_new(self, customer: Obj, p: Params) -> Obj:
        """The first invoice a new subscription with these items would have."""
        s = self.state
        details = p.get("subscription_details") or {}
        entries = details["items"]
        prices = [
            self._price(e, f"subscription_details[items][{i}]", customer)
            for i, e in enumerate(entries)
        ]
        self._check_consistent(prices, None, "subscription_details[items]")
        now = s.now()
        interval = prices[0]["recurring"]["interval"]
        count = prices[0]["recurring"]["interval_count"]
        period = (now, add_intervals(now, interval, count))
        trial_end = details.get("trial_end")
        invoices = Invoices.of(s)
        invoice = invoices.new(
            customer, prices[0]["currency"], "upcoming", period=(now, now), preview=True
        )
        lines = []
        for price, entry in zip(prices, entries, strict=True):
            qty = entry.get("quantity") or 1
            name = self._product_name(price)
            trial = isinstance(trial_end, int) and trial_end > now
            line_period = (now, trial_end) if isinstance(trial_end, int) and trial else period
            lines.append(
                invoices.line(
                    invoice,
                    0 if trial else price["unit_amount"] * qty,
                    f"Trial period for {name}" if trial else describe_period_line(qty, name, price),
                    period=line_period,
                    quantity=qty,
                    price=price,
                    unit_amount=price["unit_amount"],
                )
            )
        pending = [
            i
            for i in InvoiceItems.of(s).pending_of(customer["id"], None)
            if i["currency"] == invoice["currency"]
        ]
        invoices.add_lines(invoice, [invoices.item_line(invoice, i) for i in pending] + lines)
        self._finish_preview(invoice, customer)
        return invoice

    def _finish_preview(self, invoice: Obj, customer: Obj) -> None:
        due, ending = apply_balance(invoice["total"], customer["balance"])
        invoice.update(
            amount_due=due,
            amount_remaining=due,
            starting_balance=customer["balance"],
            ending_balance=ending,
            webhooks_delivered_at=None,
        )

    def next_to_renew(self, cid: str) -> Obj | None:
        """The customer's subscription that renews soonest (for a preview without one)."""
        best = None
        for sub in self.of_customer(cid):
            if sub["status"] not in ("active", "past_due", "trialing", "unpaid"):
                continue
            if best is None or self.period_of(sub)[1] < self.period_of(best)[1]:
                best = sub
        return best
