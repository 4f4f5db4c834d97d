"""Invoice items: one-off charges (and subscription prorations) waiting for, or on, an invoice."""

from __future__ import annotations

from typing import Any

from mockkit.stripe import money
from mockkit.stripe.errors import invalid_request, not_emulated, param_error
from mockkit.stripe.models.discounts import Discounts
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["InvoiceItems", "pricing"]


def pricing(price: Obj | None, unit_amount: Any) -> dict[str, Any]:
    """An invoice item's or line's `pricing`: `price_details` names its price and product; one
    made from an amount alone has no price, and Stripe leaves `price_details` out."""
    out: dict[str, Any] = {}
    if price:
        out["price_details"] = {"price": price["id"], "product": price["product"]}
    out.update(type="price_details", unit_amount_decimal=str(unit_amount))
    return out


class InvoiceItems(Model):
    """The account's invoice items; `invoice` is None while an item is pending."""

    resource = Resource(
        "invoiceitem",
        "ii_",
        expandable={"customer": "customer", "invoice": "invoice", "discounts": "discount"},
        events=("invoiceitem.created", "invoiceitem.deleted"),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        #: Pending item ids per customer, oldest first (what the next invoice picks up).
        self.pending: dict[str, list[str]] = {}

    def create(self, p: Params) -> Obj:
        """POST /v1/invoiceitems."""

        s = self.state
        if not p.get("customer"):
            raise param_error("Missing required param: customer.", "customer", "parameter_missing")
        customer = s.ref("customer", p["customer"], "customer")
        for name, what in (
            ("tax_rates", "tax rates"),
            ("tax_behavior", "tax"),
            ("unit_amount_decimal", "decimal unit amounts"),
            ("quantity_decimal", "decimal quantities"),
        ):
            if p.get(name):
                raise not_emulated(what, name)
        invoice = None
        if p.get("invoice"):
            invoice = s.ref("invoice", p["invoice"], "invoice")
            if invoice["customer"] != customer["id"]:
                raise invalid_request("The invoice belongs to another customer.", param="invoice")
            if invoice["status"] != "draft":
                raise invalid_request(
                    f"You can only add invoice items to draft invoices; {invoice['id']} is "
                    f"{invoice['status']}.",
                    param="invoice",
                    code="invoice_not_editable",
                )
        subscription = None
        if p.get("subscription"):
            subscription = s.ref("subscription", p["subscription"], "subscription")
            if subscription["customer"] != customer["id"]:
                raise invalid_request(
                    "The subscription belongs to another customer.", param="subscription"
                )
        quantity = p.get("quantity") or 1
        price = None
        description = p.get("description")
        pricing = p.get("pricing") or {}
        if pricing.get("price"):
            price = s.ref("price", pricing["price"], "pricing[price]")
            if price["type"] != "one_time":
                raise invalid_request(
                    "The price specified is a recurring price; invoice items take one-time prices.",
                    param="pricing[price]",
                )
            currency, unit = price["currency"], price["unit_amount"]
            if p.get("currency") and money.currency(p["currency"]) != currency:
                raise param_error("The currency must match the price's currency.", "currency")
        elif p.get("price_data"):
            data = p["price_data"]
            s.ref("product", data["product"], "price_data[product]")
            currency = money.currency(data["currency"], "price_data[currency]")
            unit = data.get("unit_amount")
            if unit is None:
                raise param_error(
                    "Missing required param: price_data[unit_amount].",
                    "price_data[unit_amount]",
                    "parameter_missing",
                )
        else:
            if p.get("amount") is None:
                raise param_error("Missing required param: amount.", "amount", "parameter_missing")
            if not p.get("currency"):
                raise param_error(
                    "Missing required param: currency.", "currency", "parameter_missing"
                )
            currency = money.currency(p["currency"])
            unit = None
        amount = p["amount"] if unit is None else unit * quantity
        if unit is None and p.get("quantity") not in (None, 1):
            raise param_error(
                "You may only pass quantity together with a price (pricing[price] or price_data).",
                "quantity",
            )
        if invoice is not None and invoice["currency"] != currency:
            raise invalid_request(
                f"The invoice is in {invoice['currency']}; this item is in {currency}.",
                param="currency",
            )
        product_name = None
        if price is not None:
            product = s.stores["product"].by_id.get(price["product"])
            product_name = product["name"] if product else None
        elif p.get("price_data"):
            product = s.stores["product"].by_id.get(p["price_data"]["product"])
            product_name = product["name"] if product else None
        pending = Discounts.of(s).resolve(p.get("discounts"), "discounts", customer, currency)
        with TestClocks.of(s).pinned(customer.get("test_clock")):
            item = self.add(
                customer,
                amount,
                currency,
                description=description or product_name,
                quantity=quantity,
                unit_amount=unit if unit is not None else amount,
                price=price,
                discountable=p.get("discountable", amount >= 0),
                metadata=self.merge_metadata({}, p.get("metadata") or {}),
                period=p.get("period"),
                subscription=subscription["id"] if subscription else None,
            )
            if pending:
                ids = [
                    Discounts.of(s).make(d, s.now(), customer["id"], invoice_item=item["id"])["id"]
                    for d in pending
                ]
                item["discounts"] = ids
            s.emit("invoiceitem.created", item)
            if invoice is not None:
                self._invoices().attach_items(invoice, [item])
        return item

    def _invoices(self) -> Any:
        # By kind, not by class: invoices import this module (their items' lines).
        return self.state.models["invoice"]

    def add(
        self,
        customer: Obj,
        amount: int,
        currency: str,
        *,
        description: str | None,
        quantity: int = 1,
        unit_amount: int | None = None,
        price: Obj | None = None,
        discountable: bool = True,
        metadata: dict[str, str] | None = None,
        period: dict[str, int] | None = None,
        subscription: str | None = None,
        subscription_item: str | None = None,
        proration: bool = False,
    ) -> Obj:
        """Store a pending item (no event: the caller emits `invoiceitem.created`)."""
        s = self.state
        now = s.now()
        parent: dict[str, Any] | None = None
        if subscription is not None:
            parent = {
                "type": "subscription_details",
                "subscription_details": {
                    "subscription": subscription,
                    "subscription_item": subscription_item,
                },
            }
        item = build(
            "invoiceitem",
            {
                "id": s.new_id("invoiceitem"),
                "amount": amount,
                "currency": currency,
                "customer": customer["id"],
                "date": now,
                "description": description,
                "discountable": discountable,
                "discounts": [],
                "invoice": None,
                "metadata": metadata or {},
                "period": period or {"end": now, "start": now},
                "proration": proration,
                "quantity": quantity,
                "tax_rates": [],
                "test_clock": customer.get("test_clock"),
                "parent": parent,
                "pricing": pricing(price, unit_amount if unit_amount is not None else amount),
                "net_amount": amount,
                "customer_account": None,
                "quantity_decimal": str(quantity),
            },
        )
        self.store.add(item)
        self.pending.setdefault(customer["id"], []).append(item["id"])
        return item

    def take_pending(self, customer_id: str, subscription: str | None = None) -> list[Obj]:
        """The customer's pending items an invoice picks up (removed from the pending list).

        Items made for one subscription go only to that subscription's invoices.
        """
        ids = self.pending.get(customer_id)
        if not ids:
            return []
        taken, kept = [], []
        for iid in ids:
            item = self.store.by_id.get(iid)
            if item is None or item["invoice"] is not None:
                continue
            owner = (item["parent"] or {}).get("subscription_details", {}).get("subscription")
            if owner is None or owner == subscription:
                taken.append(item)
            else:
                kept.append(iid)
        self.pending[customer_id] = kept
        return taken

    def pending_of(self, customer_id: str, subscription: str | None = None) -> list[Obj]:
        """The pending items an invoice for `subscription` would pick up (nothing changes)."""
        out = []
        for iid in self.pending.get(customer_id, ()):
            item = self.store.by_id.get(iid)
            if item is None or item["invoice"] is not None:
                continue
            owner = (item["parent"] or {}).get("subscription_details", {}).get("subscription")
            if owner is None or owner == subscription:
                out.append(item)
        return out

    def release(self, item: Obj) -> None:
        """Put an item back in the pending list (its draft invoice was deleted)."""
        item["invoice"] = None
        self.pending.setdefault(item["customer"], []).append(item["id"])

    def modify(self, iid: str, p: Params) -> Obj:
        """POST /v1/invoiceitems/{id}: pending items or items on a draft only."""
        s = self.state
        item = self.get(iid)
        invoice = s.stores["invoice"].by_id.get(item["invoice"]) if item["invoice"] else None
        if invoice is not None and invoice["status"] != "draft":
            raise invalid_request(
                "You can only update invoice items that are pending or on a draft invoice.",
                code="invoice_not_editable",
            )
        for name in ("tax_rates", "unit_amount_decimal", "quantity_decimal", "price_data"):
            if p.get(name):
                raise not_emulated(f"changing {name} of an invoice item", name)
        changes: dict[str, Any] = {}
        for key in ("description", "discountable", "period"):
            if key in p:
                changes[key] = p[key]
        if "amount" in p and p["amount"] is not None:
            changes["amount"] = p["amount"]
            changes["net_amount"] = p["amount"]
        if "metadata" in p:
            changes["metadata"] = self.merge_metadata(item["metadata"], p["metadata"])
        previous = self.update(item, changes)
        if invoice is not None and previous:
            self._invoices().refresh_items(invoice)
        return item

    def delete(self, iid: str) -> Obj:
        """DELETE /v1/invoiceitems/{id}: pending items or items on a draft only."""
        s = self.state
        item = self.get(iid)
        invoice = s.stores["invoice"].by_id.get(item["invoice"]) if item["invoice"] else None
        if invoice is not None and invoice["status"] != "draft":
            raise invalid_request(
                "You can only delete invoice items that are pending or on a draft invoice.",
                code="invoice_not_editable",
            )
        self.store.remove(iid)
        ids = self.pending.get(item["customer"])
        if ids and iid in ids:
            ids.remove(iid)
        if invoice is not None:
            self._invoices().refresh_items(invoice)
        s.emit("invoiceitem.deleted", item)
        return {"id": iid, "object": "invoiceitem", "deleted": True}
