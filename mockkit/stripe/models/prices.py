"""Prices: one-time or recurring, for an existing product or one made inline."""

from __future__ import annotations

from mockkit.stripe import money
from mockkit.stripe.errors import not_emulated, param_error
from mockkit.stripe.models.products import Products
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params

__all__ = ["Prices"]


class Prices(Model):
    """The account's prices."""

    resource = Resource(
        "price",
        "price_",
        expandable={"product": "product"},
        events=("price.created", "price.updated"),
    )

    def create(self, p: Params, emit: bool = True) -> Obj:
        """POST /v1/prices (`product` or `product_data`; `recurring` makes a recurring price).

        `emit=False`: an inline price (a Checkout line item's `price_data`), which Stripe
        creates without events.
        """
        s = self.state
        _refuse_unemulated(p)
        if p.get("product"):
            product_id = s.ref("product", p["product"], "product")["id"]
        elif p.get("product_data"):
            product_id = Products.of(s).create(p["product_data"], emit=emit)["id"]
        else:
            raise param_error(
                "You must specify either `product` or `product_data` when creating a price.",
                "product",
                "parameter_missing",
            )
        unit_amount = p.get("unit_amount")
        if unit_amount is None and p.get("unit_amount_decimal") is None:
            raise param_error(
                "Missing required param: unit_amount.", "unit_amount", "parameter_missing"
            )
        if unit_amount is None:
            unit_amount = int(p["unit_amount_decimal"].split(".")[0])
        recurring = p.get("recurring")
        if recurring is not None:
            recurring = {
                "interval": recurring["interval"],
                "interval_count": recurring.get("interval_count") or 1,
                "meter": None,
                "trial_period_days": recurring.get("trial_period_days"),
                "usage_type": "licensed",
            }
        fields = {
            "id": s.new_id("price"),
            "created": s.now(),
            "currency": money.currency(p["currency"]),
            "product": product_id,
            "unit_amount": unit_amount,
            "unit_amount_decimal": p.get("unit_amount_decimal") or str(unit_amount),
            "recurring": recurring,
            "type": "recurring" if recurring else "one_time",
            "metadata": self.merge_metadata({}, p.get("metadata") or {}),
        }
        for key in ("nickname", "lookup_key", "active", "tax_behavior"):
            if p.get(key) is not None:
                fields[key] = p[key]
        price = self.store.add(build("price", fields))
        if emit:
            s.emit("price.created", price)
        return price

    def modify(self, price_id: str, p: Params) -> Obj:
        """POST /v1/prices/{id}."""
        price = self.get(price_id)
        previous = self.apply(price, p, ("active", "nickname", "lookup_key"))
        if previous:
            self.state.emit("price.updated", price, previous)
        return price


#: The longest billing interval Stripe allows: three years, in each interval's unit.
_MAX_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}


def _refuse_unemulated(p: Params) -> None:
    """Refuse pricing the fake cannot bill faithfully, naming the parameter."""
    recurring = p.get("recurring") or {}
    if recurring.get("usage_type") == "metered" or recurring.get("meter"):
        name = "recurring[meter]" if recurring.get("meter") else "recurring[usage_type]"
        raise not_emulated("metered billing (usage-based prices and Billing Meters)", name)
    if recurring.get("aggregate_usage"):
        raise not_emulated("metered billing (aggregate_usage)", "recurring[aggregate_usage]")
    count = recurring.get("interval_count")
    if count is not None and count > _MAX_COUNT[recurring["interval"]]:
        raise param_error(
            "The maximum billing interval is three years "
            f"({_MAX_COUNT[recurring['interval']]} {recurring['interval']}s).",
            "recurring[interval_count]",
        )
    if p.get("billing_scheme") == "tiered" or p.get("tiers") or p.get("tiers_mode"):
        name = (
            "billing_scheme"
            if p.get("billing_scheme") == "tiered"
            else ("tiers" if p.get("tiers") else "tiers_mode")
        )
        raise not_emulated("tiered pricing", name)
    for name, what in (
        ("transform_quantity", "quantity transforms (package pricing)"),
        ("custom_unit_amount", "customer-chosen amounts (custom_unit_amount)"),
        ("currency_options", "multi-currency prices (currency_options)"),
    ):
        if p.get(name):
            raise not_emulated(what, name)
