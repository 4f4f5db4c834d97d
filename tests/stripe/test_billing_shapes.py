"""Billing object shapes: every top-level key of Stripe's example, endive's changes, id prefixes."""

from __future__ import annotations

import stripe

from mockkit.stripe import StripeFake
from mockkit.stripe.objects import API_VERSION
from tests.stripe.billing_helpers import billing_objects as one_of_each
from tests.stripe.test_shapes import REMOVED, stripe_example_keys

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION

BILLING_PREFIXES = {
    "subscription": "sub_",
    "subscription_item": "si_",
    "invoice": "in_",
    "line_item": "il_",
    "invoiceitem": "ii_",
    "invoice_payment": "inpay_",
    "setup_intent": "seti_",
    "coupon": "",
    "promotion_code": "promo_",
    "discount": "di_",
    "test_helpers.test_clock": "clock_",
}


def test_every_billing_object_has_every_key_of_stripes_example(fake: StripeFake) -> None:
    got = one_of_each(fake)
    assert set(got) == set(BILLING_PREFIXES)
    for kind, obj in got.items():
        wanted = stripe_example_keys(kind) - REMOVED.get(kind, set())
        missing = wanted - set(obj)
        assert not missing, f"{kind} lacks {sorted(missing)}"
        assert obj["id"].startswith(BILLING_PREFIXES[kind]), obj["id"]
        assert obj.get("livemode") in (False, None), kind


def test_endive_shapes(fake: StripeFake) -> None:
    got = one_of_each(fake)
    sub, invoice = got["subscription"], got["invoice"]
    # Periods live on the items; `discount` is gone, `discounts` holds the discounts.
    assert "current_period_start" not in sub and "discount" not in sub
    assert {"current_period_start", "current_period_end"} <= set(got["subscription_item"])
    assert "payment_intent" not in invoice and "paid" not in invoice and "charge" not in invoice
    assert "subscription" not in invoice
    assert invoice["parent"]["type"] == "subscription_details"
    # Includable fields appear only when expanded.
    plain = stripe.Invoice.retrieve(invoice["id"]).to_dict()
    assert "payments" not in plain and "confirmation_secret" not in plain
    assert got["discount"]["source"]["type"] == "coupon"
    assert got["promotion_code"]["promotion"]["type"] == "coupon"
    assert got["invoice_payment"]["payment"]["type"] == "payment_intent"


def test_fresh_billing_objects_have_no_placeholder_junk(fake: StripeFake) -> None:
    got = one_of_each(fake)
    sub = got["subscription"]
    assert sub["pending_update"] is None and sub["transfer_data"] is None
    assert sub["pause_collection"] is None and sub["cancel_at"] is None
    assert sub["billing_thresholds"] is None and sub["ended_at"] is None
    invoice = got["invoice"]
    assert invoice["last_finalization_error"] is None and invoice["shipping_cost"] is None
    assert invoice["from_invoice"] is None and invoice["amount_overpaid"] == 0
    assert got["setup_intent"]["last_setup_error"] is None
    assert got["setup_intent"]["next_action"] is None
    assert got["coupon"]["redeem_by"] is None
