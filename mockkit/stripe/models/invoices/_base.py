"""Invoices, the building blocks: a draft's fields, its lines and their amounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mockkit.stripe import money
from mockkit.stripe.billing.amounts import Line, totals
from mockkit.stripe.errors import not_emulated
from mockkit.stripe.models.discounts import Discounts
from mockkit.stripe.models.invoiceitems import InvoiceItems, pricing
from mockkit.stripe.objects import build, list_object
from mockkit.stripe.resource import Resource, register
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["LINE_ITEM", "TIMES", "InvoicesBase", "describe_period_line", "short_date"]


TIMES = "\u00d7"


LINE_ITEM = register(
    Resource("line_item", "il_", expandable={"discounts": "discount"}, stored=False)
)


_PI_DESCRIPTIONS = {
    "subscription_create": "Subscription creation",
    "subscription_cycle": "Subscription cycle",
    "subscription_update": "Subscription update",
}


def short_date(t: int) -> str:
    """A date as Stripe writes it in line descriptions: `15 Feb 2030`."""
    return datetime.fromtimestamp(t, UTC).strftime("%d %b %Y")


def describe_period_line(quantity: int, name: str, price: Obj) -> str:
    """`2 x Gold (at $20.00 / month)` (with a multiplication sign), as Stripe writes it."""
    recurring = price["recurring"]
    count, interval = recurring["interval_count"], recurring["interval"]
    per = interval if count == 1 else f"every {count} {interval}s"
    return (
        f"{quantity} {TIMES} {name} "
        f"(at {money.shown(price['unit_amount'], price['currency'])} / {per})"
    )


@dataclass
class _Extra:
    """What the fake keeps about an invoice beside the public object."""

    lines: list[Obj] = field(default_factory=list)
    subscription: str | None = None
    pi: str | None = None
    payment: str | None = None
    #: Automatic payment attempts made so far (the first one and the retries).
    attempts: int = 0
    #: Set while the fake itself attempts a payment (vs. a client confirming the intent).
    automatic: bool = False
    preview: bool = False


def _invoice_item_of(line: Obj) -> str | None:
    parent = line["parent"]
    details = parent.get(parent["type"]) or {}
    ref = details.get("invoice_item")
    return str(ref) if ref else None


def _refuse_unemulated(p: Params) -> None:
    auto_tax = p.get("automatic_tax")
    if auto_tax and auto_tax.get("enabled"):
        raise not_emulated("automatic tax (Stripe Tax)", "automatic_tax")
    for name, what in (
        ("default_tax_rates", "tax rates"),
        ("from_invoice", "invoice revisions"),
        ("transfer_data", "Connect transfers"),
        ("application_fee_amount", "Connect application fees"),
        ("on_behalf_of", "Connect (on_behalf_of)"),
        ("shipping_cost", "shipping costs on invoices"),
        ("account_tax_ids", "tax ids"),
        # Shown on the invoice and its PDF, which the fake neither keeps nor renders.
        ("shipping_details", "shipping details on invoices"),
        ("custom_fields", "custom fields on invoices"),
        ("rendering", "invoice rendering (PDF) options"),
    ):
        if p.get(name):
            raise not_emulated(what, name)
    issuer = p.get("issuer")
    if isinstance(issuer, dict) and issuer.get("type") not in (None, "", "self"):
        raise not_emulated("Connect (an invoice issued by another account)", "issuer[type]")
    settings = p.get("payment_settings")
    kinds = settings.get("payment_method_types") if isinstance(settings, dict) else None
    # An array arrives decoded as an index-keyed dict.
    listed = kinds.items() if isinstance(kinds, dict) else enumerate(kinds or ())
    for i, kind in listed:
        if kind not in ("card", ""):
            raise not_emulated(
                f"{kind} payments on invoices (cards only)",
                f"payment_settings[payment_method_types][{i}]",
            )


class InvoicesBase(Model):
    """Invoice state shared by the invoice modules (building, lines, amounts)."""

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        self._extra: dict[str, _Extra] = {}
        #: Invoice ids per subscription, oldest first.
        self.by_subscription: dict[str, list[str]] = {}
        #: The invoice each PaymentIntent collects.
        self._by_pi: dict[str, str] = {}
        #: `days_until_due` of each send_invoice invoice (the due date is set when finalized).
        self._days: dict[str, int | None] = {}

    def new(
        self,
        customer: Obj,
        currency: str,
        billing_reason: str,
        *,
        collection_method: str = "charge_automatically",
        days_until_due: int | None = None,
        subscription: Obj | None = None,
        discounts: list[str] | None = None,
        period: tuple[int, int] | None = None,
        auto_advance: bool = True,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        default_payment_method: str | None = None,
        preview: bool = False,
    ) -> Obj:
        """A draft invoice (stored unless `preview`; no event: the caller emits it)."""
        s = self.state
        now = s.now()
        iid = "upcoming_in_" + s.new_id("", 24) if preview else s.new_id("invoice")
        parent = None
        if subscription is not None:
            parent = {
                "type": "subscription_details",
                "subscription_details": {
                    "metadata": dict(subscription["metadata"]),
                    "subscription": subscription["id"],
                    "subscription_proration_date": None,
                },
                "quote_details": None,
            }
        start, end = period or (now, now)
        invoice = build(
            "invoice",
            {
                "id": iid,
                "created": now,
                "currency": currency,
                "customer": customer["id"],
                "customer_address": customer.get("address"),
                "customer_email": customer.get("email"),
                "customer_name": customer.get("name"),
                "customer_phone": customer.get("phone"),
                "customer_shipping": customer.get("shipping"),
                "customer_tax_exempt": customer.get("tax_exempt") or "none",
                "billing_reason": billing_reason,
                "collection_method": collection_method,
                "auto_advance": auto_advance,
                "description": description,
                "discounts": list(discounts or []),
                "metadata": metadata or {},
                "period_start": start,
                "period_end": end,
                "parent": parent,
                "default_payment_method": default_payment_method,
                "test_clock": customer.get("test_clock"),
                "status": "draft",
                "webhooks_delivered_at": None if preview else now,
                "automatically_finalizes_at": None,
                "due_date": None,
                "lines": list_object([], f"/v1/invoices/{iid}/lines"),
            },
        )
        invoice.pop("subscription", None)  # removed from invoices in 2025-03-31.basil
        extra = _Extra(subscription=subscription["id"] if subscription else None, preview=preview)
        self._extra[iid] = extra
        self._days[iid] = days_until_due
        if not preview:
            self.store.add(invoice)
            if subscription is not None:
                self.by_subscription.setdefault(subscription["id"], []).append(iid)
        return invoice

    def extra(self, iid: str) -> _Extra:
        """What the fake keeps about invoice `iid`."""
        return self._extra[iid]

    def subscription_of(self, invoice: Obj) -> str | None:
        """The subscription an invoice bills, if any."""
        return self._extra[invoice["id"]].subscription

    def line(
        self,
        invoice: Obj,
        amount: int,
        description: str | None,
        *,
        period: tuple[int, int],
        quantity: int | None = 1,
        price: Obj | None = None,
        unit_amount: int | None = None,
        subscription: str | None = None,
        subscription_item: str | None = None,
        invoice_item: str | None = None,
        proration: bool = False,
        discountable: bool = True,
        discounts: list[str] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Obj:
        """A new line of `invoice` (added by the caller with `add_lines`)."""
        if subscription_item is not None:
            parent: dict[str, Any] = {
                "type": "subscription_item_details",
                "subscription_item_details": {
                    "invoice_item": invoice_item,
                    "proration": proration,
                    "proration_details": {"credited_items": None},
                    "subscription": subscription,
                    "subscription_item": subscription_item,
                },
                "invoice_item_details": None,
            }
        else:
            parent = {
                "type": "invoice_item_details",
                "invoice_item_details": {
                    "invoice_item": invoice_item,
                    "proration": proration,
                    "proration_details": {"credited_items": None},
                    "subscription": subscription,
                },
                "subscription_item_details": None,
            }
        unit = unit_amount if unit_amount is not None else amount
        return build(
            "line_item",
            {
                "id": self.state.new_id("line_item"),
                "amount": amount,
                "currency": invoice["currency"],
                "description": description,
                "discount_amounts": [],
                "discountable": discountable,
                "discounts": list(discounts or []),
                "invoice": invoice["id"],
                "metadata": metadata or {},
                "period": {"end": period[1], "start": period[0]},
                "quantity": quantity,
                "subscription": subscription,
                "pretax_credit_amounts": [],
                "taxes": [],
                "parent": parent,
                "pricing": pricing(price, unit),
                "subtotal": amount,
                "quantity_decimal": str(quantity) if quantity is not None else None,
            },
        )

    def item_line(self, invoice: Obj, item: Obj) -> Obj:
        """The line of an invoice item."""
        parent = item["parent"] or {}
        details = parent.get("subscription_details") or {}
        return self.line(
            invoice,
            item["amount"],
            item["description"],
            period=(item["period"]["start"], item["period"]["end"]),
            quantity=item["quantity"],
            unit_amount=int(item["pricing"]["unit_amount_decimal"]),
            price=self.state.stores["price"].by_id.get(
                (item["pricing"].get("price_details") or {}).get("price", "")
            ),
            subscription=details.get("subscription"),
            subscription_item=details.get("subscription_item"),
            invoice_item=item["id"],
            proration=item["proration"],
            discountable=item["discountable"],
            discounts=item["discounts"],
            metadata=item["metadata"],
        )

    def add_lines(self, invoice: Obj, lines: list[Obj], first: bool = False) -> None:
        """Add lines (at the start with `first`) and recompute the amounts."""
        extra = self._extra[invoice["id"]]
        extra.lines = lines + extra.lines if first else extra.lines + lines
        self.recompute(invoice)

    def attach_items(self, invoice: Obj, items: list[Obj]) -> None:
        """Put invoice items on the invoice (newest first, before any other line)."""
        for item in items:
            item["invoice"] = invoice["id"]
            ids = InvoiceItems.of(self.state).pending.get(item["customer"])
            if ids and item["id"] in ids:
                ids.remove(item["id"])
        ordered = sorted(items, key=lambda i: -self.state.stores["invoiceitem"].pos[i["id"]])
        self.add_lines(invoice, [self.item_line(invoice, i) for i in ordered], first=True)

    def refresh_items(self, invoice: Obj) -> None:
        """Rebuild the lines of invoice items after an item changed or was deleted."""
        extra = self._extra[invoice["id"]]
        items = self.state.stores["invoiceitem"].by_id
        fresh = []
        for line in extra.lines:
            ref = _invoice_item_of(line)
            if ref is None:
                fresh.append(line)
            elif ref in items:
                fresh.append({**self.item_line(invoice, items[ref]), "id": line["id"]})
        extra.lines = fresh
        self.recompute(invoice)

    def recompute(self, invoice: Obj) -> None:
        """Recompute the amounts of a draft from its lines and discounts."""
        extra = self._extra[invoice["id"]]
        disc = Discounts.of(self.state)
        lines = [
            Line(li["amount"], li["discountable"], [disc.off(d) for d in li["discounts"]])
            for li in extra.lines
        ]
        result = totals(lines, [disc.off(d) for d in invoice["discounts"]])
        fresh = []
        for li, calc in zip(extra.lines, lines, strict=True):
            amounts = [{"amount": a, "discount": d} for d, a in calc.discount_amounts]
            fresh.append(
                {**li, "discount_amounts": amounts} if amounts != li["discount_amounts"] else li
            )
        extra.lines = fresh
        due = max(result.total, 0)
        invoice["lines"] = list_object(
            extra.lines[:10], f"/v1/invoices/{invoice['id']}/lines", len(extra.lines) > 10
        )
        self.update(
            invoice,
            {
                "subtotal": result.subtotal,
                "subtotal_excluding_tax": result.subtotal,
                "total": result.total,
                "total_excluding_tax": result.total,
                "total_discount_amounts": [
                    {"amount": a, "discount": d} for d, a in result.discount_amounts
                ],
                "amount_due": due,
                "amount_remaining": due,
                "amount_paid": 0,
            },
        )

    def _subscriptions(self) -> Any:
        # By kind, not by class: subscriptions import the invoices.
        return self.state.models["subscription"]
