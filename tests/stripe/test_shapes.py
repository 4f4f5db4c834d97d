"""Object shapes: every top-level key of Stripe's published example, real id prefixes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake, objects
from mockkit.stripe.objects import API_VERSION
from tests.stripe.billing_helpers import billing_objects

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "stripe"
PREFIXES = {
    "customer": "cus_",
    "payment_method": "pm_",
    "product": "prod_",
    "price": "price_",
    "payment_intent": "pi_",
    "charge": "ch_",
    "refund": "re_",
    "checkout.session": "cs_test_",
    "event": "evt_",
    "subscription": "sub_",
    "subscription_item": "si_",
    "invoice": "in_",
    "invoiceitem": "ii_",
    "invoice_payment": "inpay_",
    "setup_intent": "seti_",
    "coupon": "",
    "promotion_code": "promo_",
    "discount": "di_",
    "test_helpers.test_clock": "clock_",
    "billing_portal.configuration": "bpc_",
    "billing_portal.session": "bps_",
}
#: Keys of Stripe's published example that the API version stripe-python pins removed
#: (`Invoice.subscription` went in 2025-03-31.basil; its `parent` says it now).
REMOVED = {"invoice": {"subscription"}}


def stripe_example_keys(kind: str) -> set[str]:
    """Top-level keys of Stripe's example, from the shared reference copy when present."""
    ref = REFERENCE / "fixtures3.json"
    if ref.exists():
        return set(json.loads(ref.read_text())["resources"][kind])
    return set(objects.template_keys(kind))


def one_of_each(fake: StripeFake) -> dict[str, dict[str, Any]]:
    """Drive the SDK until the fake holds one object of every kind; return their JSON."""
    customer = stripe.Customer.create(email="shape@example.com")
    pm = stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)
    product = stripe.Product.create(name="Shape")
    price = stripe.Price.create(product=product.id, unit_amount=1000, currency="usd")
    pi = stripe.PaymentIntent.create(
        amount=1000,
        currency="usd",
        customer=customer.id,
        payment_method=pm.id,
        confirm=True,
        allowed_payment_method_types=["card"],  # the module runs at the current version
    )
    charge = stripe.Charge.retrieve(pi.latest_charge)
    refund = stripe.Refund.create(charge=charge.id, amount=100)
    session = stripe.checkout.Session.create(
        mode="payment",
        success_url="https://x.example/ok",
        line_items=[{"price": price.id, "quantity": 1}],
    )
    event = stripe.Event.retrieve(fake.events[-1]["id"])
    portal = stripe.billing_portal.Session.create(customer=customer.id)
    configuration = stripe.billing_portal.Configuration.retrieve(portal.configuration)
    found = [customer, pm, product, price, pi, charge, refund, session, event, portal]
    found.append(configuration)
    got = {o.object: o.to_dict() for o in found}
    billing = billing_objects(fake)
    billing.pop("line_item")  # lives inside its invoice, not stored on its own
    return {**got, **billing}


def test_every_object_has_every_key_of_stripes_example(fake: StripeFake) -> None:
    got = one_of_each(fake)
    assert set(got) == set(PREFIXES)
    for kind, obj in got.items():
        missing = stripe_example_keys(kind) - REMOVED.get(kind, set()) - set(obj)
        assert not missing, f"{kind} lacks {sorted(missing)}"
        assert obj["id"].startswith(PREFIXES[kind]), obj["id"]
        if kind != "event" and "livemode" in stripe_example_keys(kind):
            assert obj.get("livemode") is False


def test_fresh_objects_have_no_placeholder_junk(fake: StripeFake) -> None:
    got = one_of_each(fake)
    assert got["customer"]["discount"] is None
    assert got["payment_intent"]["last_payment_error"] is None
    assert got["payment_intent"]["canceled_at"] is None
    assert got["checkout.session"]["shipping_cost"] is None
    assert got["charge"]["source"] is None


@pytest.mark.parametrize("kind", sorted(PREFIXES))
def test_factories_work_without_a_fake(kind: str) -> None:
    factory = {
        "customer": objects.customer,
        "payment_method": objects.payment_method,
        "product": objects.product,
        "price": objects.price,
        "payment_intent": objects.payment_intent,
        "charge": objects.charge,
        "refund": objects.refund,
        "checkout.session": objects.checkout_session,
        "event": lambda **kw: objects.event("customer.created", objects.customer(), **kw),
        "subscription": objects.subscription,
        "subscription_item": objects.subscription_item,
        "invoice": objects.invoice,
        "invoiceitem": objects.invoice_item,
        "invoice_payment": objects.invoice_payment,
        "setup_intent": objects.setup_intent,
        "coupon": objects.coupon,
        "promotion_code": objects.promotion_code,
        "discount": objects.discount,
        "test_helpers.test_clock": objects.test_clock,
        "billing_portal.configuration": objects.billing_portal_configuration,
        "billing_portal.session": objects.billing_portal_session,
    }[kind]
    if kind == "event":
        obj = factory()
        assert obj["data"]["object"]["id"].startswith("cus_")
        return
    obj = factory(metadata={"a": "1"})
    assert obj["id"].startswith(PREFIXES[kind])
    assert stripe_example_keys(kind) - REMOVED.get(kind, set()) <= set(obj)
    assert obj["metadata"] == {"a": "1"}
    # Independent objects: changing a nested value of one leaves the next untouched.
    for value in obj.values():
        if isinstance(value, dict):
            value["mockkit_marker"] = True
    fresh = factory()
    assert not any(isinstance(v, dict) and "mockkit_marker" in v for v in fresh.values())


def test_factory_objects_become_sdk_objects() -> None:
    pi = stripe.PaymentIntent.construct_from(
        objects.payment_intent(amount=4200, status="succeeded"), "sk_test_x"
    )
    assert isinstance(pi, stripe.PaymentIntent)
    assert (pi.amount, pi.status) == (4200, "succeeded")
    assert pi.client_secret.startswith(pi.id + "_secret_")
    session = objects.checkout_session()
    assert session["url"].startswith(f"https://checkout.stripe.com/c/pay/{session['id']}#")
    assert session["expires_at"] == session["created"] + 86400
