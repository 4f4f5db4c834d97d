"""Coupons: a percentage or an amount off, once, for some months, or forever."""

from __future__ import annotations

from decimal import Decimal

from mockkit.stripe import money
from mockkit.stripe.billing.amounts import Off
from mockkit.stripe.billing.schedule import Due
from mockkit.stripe.errors import invalid_request, not_emulated, param_error
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["Coupons"]

_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class Coupons(Model):
    """The account's coupons (deleted ones are kept aside: existing discounts still use them)."""

    resource = Resource(
        "coupon",
        "",
        id_length=8,
        events=("coupon.created", "coupon.updated", "coupon.deleted"),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        self.deleted: dict[str, Obj] = {}
        # The exact percentage given (the object shows it as a float, as Stripe's JSON does).
        self._percent: dict[str, Decimal | None] = {}

    def create(self, p: Params) -> Obj:
        """POST /v1/coupons."""
        s = self.state
        percent, amount = p.get("percent_off"), p.get("amount_off")
        if percent is None and amount is None:
            raise param_error(
                "You must pass either percent_off or amount_off.",
                "percent_off",
                "parameter_missing",
            )
        if percent is not None and amount is not None:
            raise param_error(
                "You may only specify one of these parameters: amount_off, percent_off.",
                "amount_off",
            )
        currency = None
        if amount is not None:
            if not p.get("currency"):
                raise param_error(
                    "You must pass currency when passing amount_off.",
                    "currency",
                    "parameter_missing",
                )
            currency = money.currency(p["currency"])
        elif p.get("currency"):
            currency = money.currency(p["currency"])
        if percent is not None and not Decimal(0) < percent <= Decimal(100):
            raise param_error(
                "Invalid percent_off: must be greater than 0 and less than or equal to 100.",
                "percent_off",
            )
        duration = p.get("duration") or "once"
        months = p.get("duration_in_months")
        if duration == "repeating" and months is None:
            raise param_error(
                "You must pass duration_in_months when duration is repeating.",
                "duration_in_months",
                "parameter_missing",
            )
        if duration != "repeating" and months is not None:
            raise param_error(
                "You may only pass duration_in_months when duration is repeating.",
                "duration_in_months",
            )
        redeem_by = p.get("redeem_by")
        if redeem_by is not None and redeem_by <= s.now():
            raise param_error("Invalid redeem_by: must be in the future.", "redeem_by")
        if p.get("applies_to"):
            raise not_emulated("coupons restricted to products (applies_to)", "applies_to")
        if p.get("currency_options"):
            raise not_emulated("coupon currency_options", "currency_options")
        cid = p.get("id") or "".join(s.rng.choice(_ID_CHARS) for _ in range(8))
        if cid in self.store.by_id:
            raise invalid_request(
                f"Coupon already exists: {cid}", param="id", code="resource_already_exists"
            )
        coupon = build(
            "coupon",
            {
                "id": cid,
                "created": s.now(),
                "amount_off": amount,
                "currency": currency,
                "duration": duration,
                "duration_in_months": months,
                "max_redemptions": p.get("max_redemptions"),
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
                "name": p.get("name"),
                "percent_off": float(percent) if percent is not None else None,
                "redeem_by": redeem_by,
                "times_redeemed": 0,
                "valid": True,
            },
        )
        self.store.add(coupon)
        self._percent[cid] = percent
        if redeem_by is not None:
            TestClocks.of(s).schedule(None, redeem_by, "coupon", "expire", cid)
        s.emit("coupon.created", coupon)
        return coupon

    def modify(self, cid: str, p: Params) -> Obj:
        """POST /v1/coupons/{id} (name and metadata only, as on Stripe)."""
        coupon = self.get(cid)
        previous = self.apply(coupon, p, ("name",))
        if previous:
            self.state.emit("coupon.updated", coupon, previous)
        return coupon

    def delete(self, cid: str) -> Obj:
        """DELETE /v1/coupons/{id}: discounts already made with it keep working."""
        coupon = self.get(cid)
        self.store.remove(cid)
        self.deleted[cid] = coupon
        self.state.emit("coupon.deleted", coupon)
        return {"id": cid, "object": "coupon", "deleted": True}

    def find(self, cid: str) -> Obj:
        """A coupon by id, deleted or not (for the discounts that use it)."""
        return self.store.by_id.get(cid) or self.deleted[cid]

    def off(self, cid: str, discount_id: str) -> Off:
        """What coupon `cid` takes off, for the amounts arithmetic."""
        coupon = self.find(cid)
        percent = self._percent.get(cid)
        if percent is None and coupon["percent_off"] is not None:
            percent = Decimal(str(coupon["percent_off"]))
        return Off(discount_id, percent, coupon["amount_off"])

    def check_redeemable(self, coupon: Obj, param: str, currency: str | None = None) -> None:
        """Refuse a coupon that cannot be applied (expired, used up, other currency)."""
        self.refresh(coupon)
        if not coupon["valid"]:
            raise invalid_request(
                f"Coupon expired: {coupon['id']}", param=param, code="coupon_expired"
            )
        if (
            currency is not None
            and coupon["amount_off"] is not None
            and coupon["currency"] not in (None, currency)
        ):
            raise invalid_request(
                f"The coupon currency ({coupon['currency']}) does not match the currency "
                f"of this subscription or invoice ({currency}).",
                param=param,
            )

    def redeem(self, coupon: Obj) -> None:
        """Count one redemption; a coupon that reaches `max_redemptions` is no longer valid."""
        coupon["times_redeemed"] = coupon["times_redeemed"] + 1
        self.refresh(coupon)

    def refresh(self, coupon: Obj) -> Obj:
        """Recompute `valid` (redemptions used up, `redeem_by` passed on the fake's clock)."""
        used_up = (
            coupon["max_redemptions"] is not None
            and coupon["times_redeemed"] >= coupon["max_redemptions"]
        )
        expired = coupon["redeem_by"] is not None and coupon["redeem_by"] <= self.state.now()
        coupon["valid"] = not (used_up or expired)
        return coupon

    def on_due(self, due: Due) -> None:
        """`redeem_by` has come: the coupon is no longer valid."""
        coupon = self.store.by_id.get(due.oid)
        if coupon is not None:
            self.refresh(coupon)
