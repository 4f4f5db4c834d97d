"""Subscriptions, the building blocks: checks, payment outcomes, periods, cycle invoices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockkit.stripe import money
from mockkit.stripe.billing.amounts import Line, apply_balance, prorate, totals
from mockkit.stripe.billing.periods import (
    DAY,
)
from mockkit.stripe.errors import (
    StripeError,
    card_error,
    invalid_request,
    not_emulated,
    param_error,
)
from mockkit.stripe.models.coupons import Coupons
from mockkit.stripe.models.discounts import Discounts, PendingDiscount
from mockkit.stripe.models.invoiceitems import InvoiceItems
from mockkit.stripe.models.invoices import TIMES, Invoices, describe_period_line, short_date
from mockkit.stripe.models.payment_methods import PaymentMethods
from mockkit.stripe.models.subscription_items import SubscriptionItems
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["ItemChange", "SubscriptionsBase"]


_ENDED = ("canceled", "incomplete_expired")


_NO_PM = (
    "This customer has no attached payment source or default payment method. Please consider "
    "adding a default payment method. For more information, visit "
    "https://stripe.com/docs/billing/subscriptions/payment-methods-setting"
    "#payment-method-priority."
)


_UNEMULATED = (
    ("automatic_tax", "automatic tax (Stripe Tax)"),
    ("default_tax_rates", "tax rates"),
    ("transfer_data", "Connect transfers"),
    ("application_fee_percent", "Connect application fees"),
    ("on_behalf_of", "Connect (on_behalf_of)"),
    ("billing_thresholds", "billing thresholds"),
    ("billing_schedules", "billing schedules"),
    ("pending_invoice_item_interval", "pending invoice item intervals"),
    ("backdate_start_date", "backdated subscriptions"),
    ("pause_collection", "pausing collection (pause_collection)"),
    ("default_source", "sources (default_source)"),
    ("customer_account", "Accounts v2 (customer_account)"),
)


@dataclass
class ItemChange:
    """One entry of an `items` parameter, checked: what happens to which item."""

    op: str  # "add", "update" or "delete"
    item: Obj | None = None
    price: Obj | None = None
    quantity: int | None = None
    metadata: dict[str, str | None] | None = None
    discounts: list[PendingDiscount] | None = None


@dataclass
class _Pending:
    """A change kept aside by `pending_if_incomplete` until its invoice is paid."""

    changes: list[ItemChange]
    invoice: str
    expires_at: int


@dataclass
class _Extra:
    """What the fake keeps about a subscription beside the public object."""

    interval: str
    count: int
    period: tuple[int, int]
    once_used: set[str] = field(default_factory=set)
    pending: _Pending | None = None
    #: Resume once the payment succeeds (`resume_on_payment_success`).
    resume_on_success: bool = False


def _paused(at: int, reason: str) -> dict[str, Any]:
    return {
        "paused": {
            "transitioned_at": at,
            "type": "subscription",
            "subscription": {"type": reason},
        }
    }


class SubscriptionsBase(Model):
    """Subscription state shared by the subscription modules."""

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        self._extra: dict[str, _Extra] = {}
        #: Subscription ids per customer, oldest first.
        self.by_customer: dict[str, list[str]] = {}

    def of_customer(self, cid: str) -> list[Obj]:
        """A customer's subscriptions, oldest first."""
        by_id = self.store.by_id
        return [by_id[s] for s in self.by_customer.get(cid, ()) if s in by_id]

    def forget_customer(self, cid: str) -> None:
        """Drop a customer's subscriptions and their items (the customer's clock was deleted)."""
        items = SubscriptionItems.of(self.state)
        for sid in self.by_customer.pop(cid, []):
            for item in items.items_of(sid):
                items.drop(item)
            self.store.remove(sid)

    def period_of(self, sub: Obj) -> tuple[int, int]:
        """The current period `(start, end)`."""
        return self._extra[sub["id"]].period

    def _clock(self, sub: Obj) -> str | None:
        clock: str | None = sub["test_clock"]
        return clock

    def _refuse_unemulated(self, p: Params) -> None:
        for name, what in _UNEMULATED:
            value = p.get(name)
            if name == "automatic_tax":
                if value and value.get("enabled"):
                    raise not_emulated(what, name)
            elif value:
                raise not_emulated(what, name)
        mode = p.get("billing_mode")
        if mode and (mode.get("flexible") or {}).get("proration_discounts") == "itemized":
            raise not_emulated(
                "itemized proration discounts", "billing_mode[flexible][proration_discounts]"
            )
        for i, item in enumerate(p.get("items") or []):
            for name, what in (
                ("tax_rates", "tax rates"),
                ("billing_thresholds", "billing thresholds"),
                ("current_trial", "trial offers"),
            ):
                if item.get(name):
                    raise not_emulated(what, f"items[{i}][{name}]")
        for i, item in enumerate(p.get("add_invoice_items") or []):
            for name in ("tax_rates", "period"):
                if item.get(name):
                    raise not_emulated(
                        f"{name} of added invoice items", f"add_invoice_items[{i}][{name}]"
                    )

    def _price(self, entry: dict[str, Any], param: str, customer: Obj) -> Obj:
        s = self.state
        if entry.get("plan") and not entry.get("price"):
            entry = {**entry, "price": entry["plan"]}
        if entry.get("price"):
            price = s.ref("price", entry["price"], f"{param}[price]")
            if not price["active"]:
                raise invalid_request(
                    "The price specified is inactive. This field only accepts active prices.",
                    param=f"{param}[price]",
                )
        elif entry.get("price_data"):
            data = dict(entry["price_data"])
            s.ref("product", data["product"], f"{param}[price_data][product]")
            from mockkit.stripe.models.prices import Prices

            price = Prices.of(s).create(data, emit=False)
            price["active"] = False  # inline prices cannot be reused, as on Stripe
        else:
            raise param_error(
                f"You must specify either `price` or `price_data` in {param}.",
                f"{param}[price]",
                "parameter_missing",
            )
        if price["type"] != "recurring":
            raise invalid_request(
                "The price specified is set to `type=one_time` but this field only accepts "
                "prices with `type=recurring`.",
                param=f"{param}[price]",
            )
        return price

    def _check_consistent(self, prices: list[Obj], currency: str | None, param: str) -> None:
        currencies = {p["currency"] for p in prices}
        if currency is not None:
            currencies.add(currency)
        if len(currencies) > 1:
            raise invalid_request(
                "Currency and interval fields must match across all plans on this "
                "subscription. Found mismatch in currency field.",
                param=param,
            )
        intervals = {(p["recurring"]["interval"], p["recurring"]["interval_count"]) for p in prices}
        if len(intervals) > 1:
            raise invalid_request(
                "mockkit's Stripe fake does not emulate subscriptions whose items bill on "
                "different intervals; all prices must share one interval and interval_count.",
                param=param,
            )
        seen: set[str] = set()
        for price in prices:
            if price["id"] in seen:
                raise invalid_request(
                    "Cannot add multiple subscription items with the same price.", param=param
                )
            seen.add(price["id"])

    def _default_pm(self, customer: Obj, pm_id: str | None, param: str) -> str | None:
        if not pm_id:
            return None
        pm = self.state.ref("payment_method", pm_id, param)
        if pm["customer"] != customer["id"]:
            raise invalid_request(
                f"The customer does not have a payment method with the ID {pm_id}. The payment "
                "method must be attached to the customer.",
                param=param,
            )
        return str(pm["id"])

    def _pm_for(self, customer: Obj, sub_pm: str | None) -> str | None:
        if sub_pm:
            return sub_pm
        pm = customer["invoice_settings"].get("default_payment_method")
        return str(pm) if pm else None

    def _outcome(self, pm: str | None, due: int, off_session: bool = False) -> str:
        """How charging `due` to `pm` will go: `paid`, `declined`, `action` or `no_pm`."""
        if due <= 0:
            return "paid"
        if pm is None:
            return "no_pm"
        card = PaymentMethods.of(self.state).card_of(pm)
        if card.action == "3ds":
            return "declined" if off_session else "action"
        if card.decline is not None:
            return "declined"
        return "paid"

    def _refusal(self, pm: str | None, outcome: str) -> StripeError:
        """The 402 of `error_if_incomplete` (nothing is created or changed)."""
        if outcome == "no_pm":
            return invalid_request(_NO_PM, code="resource_missing")
        assert pm is not None
        card = PaymentMethods.of(self.state).card_of(pm)
        if outcome == "action" or card.decline is None:
            return card_error("authentication_required")
        return card_error(card.decline)

    def _estimate(
        self,
        customer: Obj,
        currency: str,
        amounts: list[int],
        pending_items: list[Obj],
        discounts: list[PendingDiscount],
        existing_discounts: list[str] | None = None,
    ) -> int:
        """The amount a new invoice would ask for (before it exists)."""
        disc = Discounts.of(self.state)
        lines = [Line(a) for a in amounts]
        lines += [
            Line(i["amount"], i["discountable"], [disc.off(d) for d in i["discounts"]])
            for i in pending_items
        ]
        offs = [disc.off(d) for d in existing_discounts or []]
        offs += [Coupons.of(self.state).off(d.coupon["id"], d.coupon["id"]) for d in discounts]
        total = totals(lines, offs).total
        due, _ = apply_balance(total, customer["balance"])
        return 0 if due < money.MINIMUM_AMOUNTS.get(currency, 50) else due

    def _check_added_items(
        self, entries: list[dict[str, Any]] | None, currency: str
    ) -> list[dict[str, Any]]:
        s = self.state
        out = []
        for i, entry in enumerate(entries or []):
            param = f"add_invoice_items[{i}]"
            quantity = entry.get("quantity") or 1
            if entry.get("price"):
                price = s.ref("price", entry["price"], f"{param}[price]")
                if price["type"] != "one_time":
                    raise invalid_request(
                        "add_invoice_items takes one-time prices only.", param=f"{param}[price]"
                    )
                unit = price["unit_amount"]
            elif entry.get("price_data"):
                data = entry["price_data"]
                s.ref("product", data["product"], f"{param}[price_data][product]")
                price = None
                unit = data.get("unit_amount")
                if unit is None:
                    raise param_error(
                        f"Missing required param: {param}[price_data][unit_amount].",
                        f"{param}[price_data][unit_amount]",
                        "parameter_missing",
                    )
                if money.currency(data["currency"]) != currency:
                    raise param_error(
                        "The currency must match the subscription's currency.",
                        f"{param}[price_data][currency]",
                    )
            else:
                raise param_error(
                    f"You must specify either `price` or `price_data` in {param}.",
                    f"{param}[price]",
                    "parameter_missing",
                )
            if price is not None and price["currency"] != currency:
                raise param_error(
                    "The currency must match the subscription's currency.", f"{param}[price]"
                )
            product = s.stores["product"].by_id.get(
                price["product"] if price else entry["price_data"]["product"]
            )
            out.append(
                {
                    "amount": unit * quantity,
                    "quantity": quantity,
                    "unit_amount": unit,
                    "price": price,
                    "description": product["name"] if product else None,
                }
            )
        return out

    def _product_name(self, price: Obj) -> str:
        product = self.state.stores["product"].by_id.get(price["product"])
        return str(product["name"]) if product else str(price["id"])

    @staticmethod
    def _qty_name(item: Obj, name: str) -> str:
        return name if item["quantity"] == 1 else f"{item['quantity']} {TIMES} {name}"

    def _schedule(self, sub: Obj, at: int, action: str, rank: int = 50) -> None:
        TestClocks.of(self.state).schedule(
            sub["test_clock"], at, "subscription", action, sub["id"], rank
        )

    def _schedule_period(self, sub: Obj) -> None:
        extra = self._extra[sub["id"]]
        end = extra.period[1]
        self._schedule(sub, end, "renew", rank=20)
        days = self.state.billing.upcoming_days
        if days is not None:
            notice = end - int(days * DAY)
            if notice > extra.period[0] and notice > self.state.now():
                self._schedule(sub, notice, "upcoming", rank=60)

    def _schedule_trial_notice(self, sub: Obj) -> None:
        notice = sub["trial_end"] - int(self.state.billing.trial_will_end_days * DAY)
        self._schedule(sub, max(notice, self.state.now()), "trial_will_end", rank=40)

    def _period_changes(self, sub: Obj, period: tuple[int, int]) -> dict[str, Any]:
        items = SubscriptionItems.of(self.state)
        for item in items.items_of(sub["id"]):
            items.replace(
                item, {"current_period_start": period[0], "current_period_end": period[1]}
            )
        return {"items": items.listing(sub["id"])}

    def _discounts_for(self, sub: Obj, start: int) -> list[str]:
        disc = Discounts.of(self.state)
        extra = self._extra[sub["id"]]
        return [
            d for d in sub["discounts"] if disc.applies_at(d, start) and d not in extra.once_used
        ]

    def _cycle_invoice(
        self,
        sub: Obj,
        customer: Obj,
        reason: str,
        period: tuple[int, int],
        usage_period: tuple[int, int],
        discounts: list[str],
        auto_advance: bool = True,
        preview: bool = False,
        items: list[Obj] | None = None,
        pending: list[Obj] | None = None,
    ) -> Obj:
        """An invoice for one period of the subscription's items, with its pending items."""
        invoices = Invoices.of(self.state)
        invoice = invoices.new(
            customer,
            sub["currency"],
            "upcoming" if preview else reason,
            collection_method=sub["collection_method"],
            days_until_due=sub["days_until_due"],
            subscription=sub,
            discounts=discounts,
            period=usage_period,
            auto_advance=auto_advance,
            preview=preview,
        )
        lines = []
        for item in (
            items if items is not None else SubscriptionItems.of(self.state).items_of(sub["id"])
        ):
            name = self._product_name(item["price"])
            lines.append(
                invoices.line(
                    invoice,
                    item["price"]["unit_amount"] * item["quantity"],
                    describe_period_line(item["quantity"], name, item["price"]),
                    period=period,
                    quantity=item["quantity"],
                    price=item["price"],
                    unit_amount=item["price"]["unit_amount"],
                    subscription=sub["id"],
                    subscription_item=item.get("id"),
                    discounts=[
                        d
                        for d in item["discounts"]
                        if Discounts.of(self.state).applies_at(d, period[0])
                    ],
                )
            )
        invoices.add_lines(invoice, lines)
        if pending is None:
            pending = InvoiceItems.of(self.state).take_pending(customer["id"], sub["id"])
        pending = [i for i in pending if i["currency"] == sub["currency"]]
        if pending:
            if preview:
                ordered = sorted(
                    pending, key=lambda i: -self.state.stores["invoiceitem"].pos[i["id"]]
                )
                invoices.add_lines(
                    invoice, [invoices.item_line(invoice, i) for i in ordered], first=True
                )
            else:
                invoices.attach_items(invoice, pending)
        return invoice

    def _end(self, sub: Obj, at: int, reason: str | None) -> None:
        """The subscription is canceled for good (no event about its invoices)."""
        details = dict(sub["cancellation_details"] or {"comment": None, "feedback": None})
        details["reason"] = reason
        self.update(
            sub,
            {
                "status": "canceled",
                "ended_at": at,
                "canceled_at": sub["canceled_at"] or at,
                "cancellation_details": details,
                "pending_update": None,
            },
        )
        self._extra[sub["id"]].pending = None
        self._stop_collection(sub)
        self.state.emit("customer.subscription.deleted", sub)

    def _stop_collection(self, sub: Obj) -> None:
        # Stripe stops automatic collection of the subscription's open invoices.
        invoices = Invoices.of(self.state)
        for iid in invoices.by_subscription.get(sub["id"], ()):
            invoice = invoices.store.by_id.get(iid)
            if invoice is not None and invoice["status"] in ("open", "draft"):
                invoice["auto_advance"] = False
                invoice["next_payment_attempt"] = None

    def _credit_unused(self, sub: Obj, customer: Obj, at: int, start: int, end: int) -> None:
        """Pending proration items crediting each item's unused time from `at` to `end`."""
        items = InvoiceItems.of(self.state)
        for item in SubscriptionItems.of(self.state).items_of(sub["id"]):
            credit = prorate(item["price"]["unit_amount"] * item["quantity"], start, end, at)
            if not credit:
                continue
            name = self._qty_name(item, self._product_name(item["price"]))
            ii = items.add(
                customer,
                -credit,
                sub["currency"],
                description=f"Unused time on {name} after {short_date(at)}",
                quantity=item["quantity"],
                unit_amount=item["price"]["unit_amount"],
                price=item["price"],
                discountable=False,
                period={"end": end, "start": at},
                subscription=sub["id"],
                subscription_item=item["id"],
                proration=True,
            )
            self.state.emit("invoiceitem.created", ii)
