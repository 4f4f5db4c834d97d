"""Discounts: a coupon (or promotion code) applied to a subscription, an invoice or an item.

Discounts have no endpoints of their own; they are made when a `discounts` parameter is
accepted and are expandable wherever their ids appear (`subscription.discounts`,
`invoice.discounts`, a line's `discount_amounts[].discount`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockkit.stripe.billing.amounts import Off
from mockkit.stripe.billing.periods import add_intervals
from mockkit.stripe.errors import param_error
from mockkit.stripe.models.coupons import Coupons
from mockkit.stripe.models.promotion_codes import PromotionCodes
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj

__all__ = ["Discounts", "PendingDiscount"]


@dataclass
class PendingDiscount:
    """A `discounts[]` entry that passed every check, not yet applied (nothing counted yet)."""

    coupon: Obj
    promotion_code: Obj | None = None
    #: An existing discount given by id (`discounts[][discount]`): reused, not made again.
    existing: Obj | None = None


class Discounts(Model):
    """The discounts made by subscriptions, invoices and invoice items."""

    resource = Resource(
        "discount",
        "di_",
        expandable={
            "customer": "customer",
            "promotion_code": "promotion_code",
            "source": {"coupon": "coupon"},
        },
    )

    def resolve(
        self,
        entries: list[dict[str, Any]] | None,
        param: str,
        customer: Obj,
        currency: str,
        amount: int | None = None,
    ) -> list[PendingDiscount]:
        """Check a `discounts` parameter; change nothing (so a refused request leaves no trace)."""
        s = self.state
        out: list[PendingDiscount] = []
        seen: set[str] = set()
        for i, entry in enumerate(entries or []):
            name = f"{param}[{i}]"
            given = [k for k in ("coupon", "promotion_code", "discount") if entry.get(k)]
            if len(given) != 1:
                raise param_error(
                    f"Each entry of {param} needs exactly one of coupon, promotion_code or "
                    "discount.",
                    name,
                )
            key = given[0]
            if key == "coupon":
                coupon = s.ref("coupon", entry["coupon"], f"{name}[coupon]")
                Coupons.of(s).check_redeemable(coupon, f"{name}[coupon]", currency)
                pending = PendingDiscount(coupon)
            elif key == "promotion_code":
                promo = s.ref("promotion_code", entry["promotion_code"], f"{name}[promotion_code]")
                coupon = PromotionCodes.of(s).check_redeemable(
                    promo, f"{name}[promotion_code]", customer, amount, currency
                )
                pending = PendingDiscount(coupon, promo)
            else:
                existing = s.ref("discount", entry["discount"], f"{name}[discount]")
                if existing["customer"] != customer["id"]:
                    raise param_error(
                        f"Discount {existing['id']} belongs to another customer.",
                        f"{name}[discount]",
                    )
                coupon = Coupons.of(s).find(existing["source"]["coupon"])
                pending = PendingDiscount(coupon, existing=existing)
            if coupon["id"] in seen:
                raise param_error(
                    f"The coupon {coupon['id']} is applied more than once.", f"{name}[{key}]"
                )
            seen.add(coupon["id"])
            out.append(pending)
        return out

    def make(
        self,
        pending: PendingDiscount,
        start: int,
        customer: str,
        **links: str | None,
    ) -> Obj:
        """Apply a checked discount: count the redemption and store the Discount object.

        `links` are the object it belongs to: `subscription=`, `invoice=`, `invoice_item=`.
        """
        if pending.existing is not None:
            return pending.existing
        coupon = pending.coupon
        Coupons.of(self.state).redeem(coupon)
        if pending.promotion_code is not None:
            PromotionCodes.of(self.state).redeem(pending.promotion_code)
        end = None
        if coupon["duration"] == "repeating":
            end = add_intervals(start, "month", coupon["duration_in_months"])
        fields: dict[str, Any] = {
            "id": self.state.new_id("discount"),
            "customer": customer,
            "end": end,
            "start": start,
            "promotion_code": pending.promotion_code["id"] if pending.promotion_code else None,
            "source": {"coupon": coupon["id"], "type": "coupon"},
            "checkout_session": None,
            "invoice": None,
            "invoice_item": None,
            "subscription": None,
            "subscription_item": None,
            "customer_account": None,
        }
        fields.update(links)
        return self.store.add(build("discount", fields))

    def off(self, discount_id: str) -> Off:
        """What the discount takes off (for the amounts arithmetic)."""
        discount = self.store.by_id[discount_id]
        return Coupons.of(self.state).off(discount["source"]["coupon"], discount_id)

    def duration(self, discount_id: str) -> str:
        """`once`, `repeating` or `forever`: the duration of the discount's coupon."""
        discount = self.store.by_id[discount_id]
        duration: str = Coupons.of(self.state).find(discount["source"]["coupon"])["duration"]
        return duration

    def applies_at(self, discount_id: str, t: int) -> bool:
        """Whether the discount still applies to a period starting at `t`."""
        end = self.store.by_id[discount_id]["end"]
        return end is None or t < end
