"""Promotion codes: customer-facing codes for a coupon, with their own limits."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.billing.schedule import Due
from mockkit.stripe.errors import invalid_request, param_error
from mockkit.stripe.models.coupons import Coupons
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params

__all__ = ["PromotionCodes"]

_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class PromotionCodes(Model):
    """The account's promotion codes."""

    resource = Resource(
        "promotion_code",
        "promo_",
        expandable={"customer": "customer", "promotion": {"coupon": "coupon"}},
        events=("promotion_code.created", "promotion_code.updated"),
    )

    def create(self, p: Params) -> Obj:
        """POST /v1/promotion_codes."""
        s = self.state
        promotion = p["promotion"]
        if promotion.get("type") != "coupon" or not promotion.get("coupon"):
            raise param_error(
                "Missing required param: promotion[coupon].",
                "promotion[coupon]",
                "parameter_missing",
            )
        coupon = s.ref("coupon", promotion["coupon"], "promotion[coupon]")
        customer = p.get("customer")
        if customer is not None:
            s.ref("customer", customer, "customer")
        code = p.get("code")
        if code is None:
            code = "".join(s.rng.choice(_CODE_CHARS) for _ in range(8))
        elif not code.replace("-", "").isalnum() or not code.isascii():
            raise param_error(
                "Invalid code: a promotion code may contain only letters, digits and dashes.",
                "code",
            )
        active = p.get("active", True) is not False
        if active and self.find_active(code, customer) is not None:
            raise invalid_request(
                f"An active promotion code with `code: {code}` already exists.",
                param="code",
            )
        expires_at = p.get("expires_at")
        if expires_at is not None and expires_at <= s.now():
            raise param_error("Invalid expires_at: must be in the future.", "expires_at")
        restrictions = p.get("restrictions") or {}
        if restrictions.get("currency_options"):
            raise param_error(
                "mockkit's Stripe fake does not emulate promotion code restrictions per "
                "currency (restrictions[currency_options]).",
                "restrictions[currency_options]",
            )
        minimum = restrictions.get("minimum_amount")
        min_currency = restrictions.get("minimum_amount_currency")
        if (minimum is None) != (min_currency is None):
            raise param_error(
                "minimum_amount and minimum_amount_currency must be given together.",
                "restrictions[minimum_amount_currency]",
            )
        promo = build(
            "promotion_code",
            {
                "id": s.new_id("promotion_code"),
                "created": s.now(),
                "active": active,
                "code": code,
                "customer": customer,
                "expires_at": expires_at,
                "max_redemptions": p.get("max_redemptions"),
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
                "promotion": {"coupon": coupon["id"], "type": "coupon"},
                "restrictions": {
                    "first_time_transaction": bool(restrictions.get("first_time_transaction")),
                    "minimum_amount": minimum,
                    "minimum_amount_currency": min_currency.lower() if min_currency else None,
                },
                "times_redeemed": 0,
            },
        )
        self.store.add(promo)
        if expires_at is not None:
            TestClocks.of(s).schedule(None, expires_at, "promotion_code", "expire", promo["id"])
        s.emit("promotion_code.created", promo)
        return promo

    def find_active(self, code: str, customer: str | None = None) -> Obj | None:
        """The active code spelled `code` (case-insensitively) for `customer`, if any."""
        wanted = code.lower()
        for promo in self.store.by_id.values():
            if (
                promo["active"]
                and promo["code"].lower() == wanted
                and (promo["customer"] in (None, customer) or customer is None)
            ):
                return promo
        return None

    def modify(self, pid: str, p: Params) -> Obj:
        """POST /v1/promotion_codes/{id} (`active`, `metadata`)."""
        promo = self.get(pid)
        if p.get("active") and not promo["active"]:
            if not self._usable(promo):
                raise invalid_request(
                    "This promotion code cannot be reactivated: its coupon is no longer valid, "
                    "it expired or it reached its maximum redemptions.",
                    param="active",
                )
            if self.find_active(promo["code"], promo["customer"]) is not None:
                raise invalid_request(
                    f"An active promotion code with `code: {promo['code']}` already exists.",
                    param="active",
                )
        if p.get("restrictions"):
            raise param_error(
                "mockkit's Stripe fake does not emulate promotion code restrictions per "
                "currency (restrictions[currency_options]).",
                "restrictions",
            )
        previous = self.apply(promo, p, ("active",))
        if previous:
            self.state.emit("promotion_code.updated", promo, previous)
        return promo

    def _usable(self, promo: Obj) -> bool:
        coupon = Coupons.of(self.state).refresh(
            Coupons.of(self.state).find(promo["promotion"]["coupon"])
        )
        used_up = (
            promo["max_redemptions"] is not None
            and promo["times_redeemed"] >= promo["max_redemptions"]
        )
        expired = promo["expires_at"] is not None and promo["expires_at"] <= self.state.now()
        return bool(coupon["valid"]) and not used_up and not expired

    def check_redeemable(
        self, promo: Obj, param: str, customer: Obj, amount: int | None, currency: str
    ) -> Obj:
        """The coupon of `promo`, or Stripe's refusal if the code cannot be used here."""
        if not promo["active"] or not self._usable(promo):
            raise invalid_request(
                f"This promotion code cannot be redeemed: {promo['code']} is not active.",
                param=param,
                code="coupon_expired",
            )
        if promo["customer"] is not None and promo["customer"] != customer["id"]:
            raise invalid_request(
                "This promotion code cannot be redeemed by this customer.", param=param
            )
        restrictions: dict[str, Any] = promo["restrictions"]
        minimum = restrictions["minimum_amount"]
        if (
            minimum is not None
            and amount is not None
            and (restrictions["minimum_amount_currency"] != currency or amount < minimum)
        ):
            raise invalid_request(
                "This promotion code requires a minimum amount of "
                f"{minimum} {restrictions['minimum_amount_currency']}.",
                param=param,
            )
        if restrictions["first_time_transaction"] and self._has_paid(customer["id"]):
            raise invalid_request(
                "This promotion code is only valid for customers who have never paid before.",
                param=param,
            )
        coupon = Coupons.of(self.state).find(promo["promotion"]["coupon"])
        Coupons.of(self.state).check_redeemable(coupon, param, currency)
        return coupon

    def _has_paid(self, cid: str) -> bool:
        for charge in self.state.stores["charge"].by_id.values():
            if charge["customer"] == cid and charge["status"] == "succeeded":
                return True
        return False

    def redeem(self, promo: Obj) -> None:
        """Count one redemption; a code that reaches its limit becomes inactive."""
        promo["times_redeemed"] = promo["times_redeemed"] + 1
        if not self._usable(promo):
            promo["active"] = False

    def on_due(self, due: Due) -> None:
        """`expires_at` has come: the code is no longer active."""
        promo = self.store.by_id.get(due.oid)
        if promo is not None and promo["active"] and not self._usable(promo):
            promo["active"] = False
