"""Recurring prices, coupons and promotion codes through the real SDK."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake
from mockkit.stripe.objects import API_VERSION
from tests.stripe.driver import Driver

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION


def product() -> Any:
    return stripe.Product.create(name="Gold")


# ---- recurring prices -------------------------------------------------------------------------


def test_recurring_price_has_stripes_recurring_hash_and_is_a_plan(sdk: Driver) -> None:
    prod = sdk.create("products", name="Gold")
    price = sdk.create(
        "prices",
        product=prod.id,
        unit_amount=1500,
        currency="eur",
        recurring={"interval": "month", "interval_count": 3},
        lookup_key="gold_quarterly",
    )
    assert price.type == "recurring"
    assert price.recurring.to_dict() == {
        "interval": "month",
        "interval_count": 3,
        "meter": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }
    assert price.billing_scheme == "per_unit"
    listed = sdk.list("prices", type="recurring", lookup_keys=["gold_quarterly"])
    assert [p.id for p in listed.data] == [price.id]


@pytest.mark.parametrize(
    "recurring,param",
    [
        ({"interval": "month", "usage_type": "metered"}, "recurring[usage_type]"),
        ({"interval": "month", "meter": "mtr_123"}, "recurring[meter]"),
    ],
)
def test_metered_prices_are_refused_as_not_emulated(
    fake: StripeFake, recurring: dict[str, Any], param: str
) -> None:
    prod = product()
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Price.create(product=prod.id, unit_amount=100, currency="usd", recurring=recurring)
    assert info.value.param == param
    assert "not emulate" in str(info.value.user_message)
    assert list(fake.prices) == []


@pytest.mark.parametrize(
    "extra,param",
    [
        ({"billing_scheme": "tiered", "tiers_mode": "volume"}, "billing_scheme"),
        ({"tiers": [{"up_to": "inf", "unit_amount": 100}]}, "tiers"),
        ({"transform_quantity": {"divide_by": 10, "round": "up"}}, "transform_quantity"),
        ({"custom_unit_amount": {"enabled": True}}, "custom_unit_amount"),
        ({"currency_options": {"eur": {"unit_amount": 90}}}, "currency_options"),
    ],
)
def test_other_pricing_models_are_refused_as_not_emulated(
    fake: StripeFake, extra: dict[str, Any], param: str
) -> None:
    prod = product()
    params: dict[str, Any] = {"product": prod.id, "currency": "usd", "unit_amount": 100, **extra}
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Price.create(**params)
    assert info.value.param == param
    assert "not emulate" in str(info.value.user_message)
    assert list(fake.prices) == []


def test_interval_count_is_limited_to_three_years(fake: StripeFake) -> None:
    prod = product()
    ok = stripe.Price.create(
        product=prod.id,
        unit_amount=100,
        currency="usd",
        recurring={"interval": "week", "interval_count": 156},
    )
    assert ok.recurring.interval_count == 156
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Price.create(
            product=prod.id,
            unit_amount=100,
            currency="usd",
            recurring={"interval": "month", "interval_count": 37},
        )
    assert info.value.param == "recurring[interval_count]"


# ---- coupons ----------------------------------------------------------------------------------


def test_coupon_lifecycle_with_events(sdk: Driver) -> None:
    coupon = sdk.create("coupons", percent_off=25.5, duration="repeating", duration_in_months=3)
    assert coupon.object == "coupon"
    assert (coupon.percent_off, coupon.amount_off, coupon.currency) == (25.5, None, None)
    assert (coupon.duration, coupon.duration_in_months) == ("repeating", 3)
    assert coupon.valid is True and coupon.times_redeemed == 0
    named = sdk.create("coupons", id="WELCOME", amount_off=500, currency="usd", name="Welcome")
    assert named.id == "WELCOME" and named.duration == "once" and named.duration_in_months is None
    updated = sdk.update("coupons", "WELCOME", name="Welcome back", metadata={"a": "1"})
    assert updated.name == "Welcome back" and updated.metadata.to_dict() == {"a": "1"}
    assert [c.id for c in sdk.list("coupons").data] == ["WELCOME", coupon.id]
    gone = sdk.delete("coupons", coupon.id)
    assert gone.deleted is True and gone.id == coupon.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.retrieve("coupons", coupon.id)
    assert info.value.http_status == 404
    types = [e["type"] for e in sdk.fake.events]
    assert types == ["coupon.created", "coupon.created", "coupon.updated", "coupon.deleted"]
    assert sdk.fake.events_of("coupon.updated")[0]["data"]["previous_attributes"] == {
        "name": "Welcome",
        "metadata": {},
    }


@pytest.mark.parametrize(
    "params,param,fragment",
    [
        ({"duration": "once"}, "percent_off", "percent_off or amount_off"),
        (
            {"percent_off": 10, "amount_off": 100, "currency": "usd"},
            "amount_off",
            "only specify one",
        ),
        ({"amount_off": 100}, "currency", "currency"),
        ({"percent_off": 0}, "percent_off", ""),
        ({"percent_off": 100.5}, "percent_off", ""),
        ({"percent_off": 10, "duration": "repeating"}, "duration_in_months", ""),
        ({"percent_off": 10, "duration_in_months": 3}, "duration_in_months", ""),
        ({"percent_off": 10, "redeem_by": 1}, "redeem_by", "future"),
        ({"percent_off": 10, "applies_to": {"products": ["prod_x"]}}, "applies_to", ""),
    ],
)
def test_bad_coupons_are_refused_and_create_nothing(
    fake: StripeFake, params: dict[str, Any], param: str, fragment: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Coupon.create(**params)
    assert info.value.param == param
    assert fragment in str(info.value.user_message)
    assert fake.events == []


def test_duplicate_coupon_id_is_refused(fake: StripeFake) -> None:
    stripe.Coupon.create(id="SAME", percent_off=10)
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Coupon.create(id="SAME", percent_off=20)
    assert info.value.code == "resource_already_exists"


def test_coupon_with_redeem_by_becomes_invalid_when_it_passes(fake: StripeFake) -> None:
    coupon = stripe.Coupon.create(percent_off=10, redeem_by=fake.state.now() + 3600)
    assert coupon.valid is True
    fake.advance(3601)
    assert stripe.Coupon.retrieve(coupon.id).valid is False


# ---- promotion codes --------------------------------------------------------------------------


def test_promotion_code_lifecycle(sdk: Driver) -> None:
    coupon = sdk.create("coupons", percent_off=20, duration="forever")
    promo = sdk.create(
        "promotion_codes",
        promotion={"type": "coupon", "coupon": coupon.id},
        code="FALL20",
        max_redemptions=5,
        restrictions={"minimum_amount": 1000, "minimum_amount_currency": "usd"},
    )
    assert promo.id.startswith("promo_")
    assert promo.code == "FALL20" and promo.active is True
    assert promo.promotion.to_dict() == {"type": "coupon", "coupon": coupon.id}
    assert promo.restrictions.minimum_amount == 1000
    assert promo.times_redeemed == 0
    found = sdk.list("promotion_codes", code="FALL20")
    assert [p.id for p in found.data] == [promo.id]
    off = sdk.update("promotion_codes", promo.id, active=False)
    assert off.active is False
    assert sdk.list("promotion_codes", code="FALL20", active=True).data == []
    types = [e["type"] for e in sdk.fake.events]
    assert types == ["coupon.created", "promotion_code.created", "promotion_code.updated"]


def test_promotion_code_generates_a_code_and_refuses_a_duplicate_active_one(
    fake: StripeFake,
) -> None:
    coupon = stripe.Coupon.create(percent_off=20)
    generated = stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id})
    assert generated.code and generated.code.isalnum() and generated.code.isupper()
    stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": coupon.id}, code="SPRING")
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.PromotionCode.create(
            promotion={"type": "coupon", "coupon": coupon.id}, code="spring"
        )
    assert info.value.param == "code"
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.PromotionCode.create(promotion={"type": "coupon", "coupon": "nope"})
    assert info.value.code == "resource_missing"
    assert info.value.param == "promotion[coupon]"
    assert len(fake.objects("promotion_code")) == 2


def test_expanding_the_coupon_of_a_promotion_code(fake: StripeFake) -> None:
    coupon = stripe.Coupon.create(amount_off=300, currency="usd")
    promo = stripe.PromotionCode.create(
        promotion={"type": "coupon", "coupon": coupon.id}, expand=["promotion.coupon"]
    )
    assert promo.promotion.coupon.amount_off == 300
