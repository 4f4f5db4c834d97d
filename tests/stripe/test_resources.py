"""Customers, payment methods, products, prices, refunds and lists through the real SDK."""

from __future__ import annotations

import pytest
import stripe

from mockkit.stripe import StripeFake
from tests.stripe.conftest import Driver

CARD = {"allowed_payment_method_types": ["card"]}


def test_customer_crud(sdk: Driver) -> None:
    c = sdk.create("customers", email="ada@example.com", name="Ada", metadata={"plan": "pro"})
    assert c.id.startswith("cus_") and c.object == "customer" and c.livemode is False
    assert (c.email, c.name, c.metadata["plan"]) == ("ada@example.com", "Ada", "pro")

    got = sdk.retrieve("customers", c.id)
    assert got.email == "ada@example.com"

    up = sdk.update("customers", c.id, name="Ada L.", metadata={"team": "x"})
    assert up.name == "Ada L." and up.metadata.to_dict() == {"plan": "pro", "team": "x"}
    updated = sdk.fake.events[-1]
    assert updated["type"] == "customer.updated"
    assert updated["data"]["previous_attributes"]["name"] == "Ada"

    gone = sdk.delete("customers", c.id)
    assert gone.deleted is True
    again = sdk.retrieve("customers", c.id)
    assert again.deleted is True
    assert [e["type"] for e in sdk.fake.events] == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
    ]


def test_unknown_customer_is_404_resource_missing(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.retrieve("customers", "cus_doesnotexist")
    err = info.value
    assert err.http_status == 404
    assert err.code == "resource_missing"
    assert err.param == "id"
    assert "No such customer: 'cus_doesnotexist'" in str(err.user_message)


def test_list_pagination_walks_every_page(sdk: Driver) -> None:
    ids = [sdk.create("customers", email=f"u{i}@example.com").id for i in range(23)]
    first = sdk.list("customers", limit=5)
    assert [c.id for c in first.data] == ids[::-1][:5]
    assert first.has_more is True
    walked = [c.id for c in first.auto_paging_iter()]
    assert walked == ids[::-1]

    after = sdk.list("customers", limit=3, starting_after=ids[10])
    assert [c.id for c in after.data] == [ids[9], ids[8], ids[7]]
    before = sdk.list("customers", limit=3, ending_before=ids[10])
    assert [c.id for c in before.data] == [ids[13], ids[12], ids[11]]
    assert before.has_more is True
    last = sdk.list("customers", limit=100)
    assert len(last.data) == 23 and last.has_more is False


def test_list_filters_by_email(sdk: Driver) -> None:
    sdk.create("customers", email="a@example.com")
    target = sdk.create("customers", email="b@example.com")
    found = sdk.list("customers", email="b@example.com")
    assert [c.id for c in found.data] == [target.id]


def test_payment_methods_attach_list_detach(sdk: Driver) -> None:
    customer = sdk.create("customers", email="pm@example.com")
    visa = sdk.action("payment_methods", "attach", "pm_card_visa", customer=customer.id)
    master = sdk.action("payment_methods", "attach", "pm_card_mastercard", customer=customer.id)
    assert visa.id.startswith("pm_") and visa.customer == customer.id
    assert visa.card.brand == "visa" and master.card.last4 == "4444"

    listed = sdk.list("payment_methods", customer=customer.id, type="card")
    assert [pm.id for pm in listed.data] == [master.id, visa.id]

    detached = sdk.action("payment_methods", "detach", visa.id)
    assert detached.customer is None
    listed = sdk.list("payment_methods", customer=customer.id)
    assert [pm.id for pm in listed.data] == [master.id]
    types = [e["type"] for e in sdk.fake.events]
    assert types.count("payment_method.attached") == 2
    assert types[-1] == "payment_method.detached"


def test_customer_created_with_a_payment_method(sdk: Driver) -> None:
    customer = sdk.create(
        "customers",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    pms = sdk.list("payment_methods", customer=customer.id)
    assert len(pms.data) == 1
    assert customer.invoice_settings.default_payment_method == pms.data[0].id
    types = [e["type"] for e in sdk.fake.events]
    assert types == ["customer.created", "payment_method.attached"]
    created = sdk.fake.events[0]["data"]["object"]
    assert created["invoice_settings"]["default_payment_method"] == pms.data[0].id
    # A card that cannot be attached means no customer at all.
    with pytest.raises(stripe.CardError):
        sdk.create("customers", email="no@example.com", payment_method="pm_card_chargeDeclined")
    assert [c.id for c in sdk.list("customers").data] == [customer.id]


def test_attaching_a_declining_card_fails(sdk: Driver) -> None:
    customer = sdk.create("customers")
    with pytest.raises(stripe.CardError) as info:
        sdk.action("payment_methods", "attach", "pm_card_chargeDeclined", customer=customer.id)
    assert info.value.code == "card_declined"


def test_charge_customer_fail_attaches_then_declines(sdk: Driver) -> None:
    customer = sdk.create("customers")
    pm = sdk.action("payment_methods", "attach", "pm_card_chargeCustomerFail", customer=customer.id)
    assert pm.customer == customer.id
    with pytest.raises(stripe.CardError):
        sdk.create(
            "payment_intents", amount=1000, currency="usd", customer=customer.id,
            payment_method=pm.id, confirm=True, **CARD,
        )  # fmt: skip


def test_payment_method_from_token(sdk: Driver) -> None:
    pm = sdk.create("payment_methods", type="card", card={"token": "tok_mastercard"})
    assert pm.card.brand == "mastercard"
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("payment_methods", type="card", card={"token": "tok_nonsense"})
    assert info.value.param == "card[token]"


def test_products_and_prices(sdk: Driver) -> None:
    product = sdk.create("products", name="T-shirt", metadata={"sku": "TS"})
    assert product.id.startswith("prod_") and product.active is True
    price = sdk.create("prices", product=product.id, unit_amount=2500, currency="usd")
    assert price.id.startswith("price_")
    assert (price.type, str(price.unit_amount_decimal), price.recurring) == (
        "one_time",
        "2500",
        None,
    )
    monthly = sdk.create(
        "prices",
        currency="usd",
        unit_amount=900,
        recurring={"interval": "month"},
        product_data={"name": "Plan"},
    )
    assert monthly.type == "recurring" and monthly.recurring.interval == "month"

    listed = sdk.list("prices", product=product.id)
    assert [p.id for p in listed.data] == [price.id]
    expanded = sdk.retrieve("prices", price.id, expand=["product"])
    assert expanded.product.name == "T-shirt"
    off = sdk.update("prices", price.id, active=False)
    assert off.active is False
    with pytest.raises(stripe.InvalidRequestError):
        sdk.delete("products", product.id)  # prices still use it


def test_full_and_partial_refunds(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents", amount=3000, currency="usd", payment_method="pm_card_visa",
        confirm=True, **CARD,
    )  # fmt: skip
    first = sdk.create("refunds", payment_intent=pi.id, amount=1000, reason="requested_by_customer")
    assert first.id.startswith("re_") and first.status == "succeeded"
    assert first.charge == pi.latest_charge and first.amount == 1000
    charge = sdk.retrieve("charges", pi.latest_charge)
    assert charge.amount_refunded == 1000 and charge.refunded is False

    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("refunds", charge=charge.id, amount=2001)
    assert info.value.param == "amount"
    assert "greater than unrefunded amount" in str(info.value.user_message)

    rest = sdk.create("refunds", charge=charge.id)  # no amount: what is left
    assert rest.amount == 2000
    charge = sdk.retrieve("charges", charge.id)
    assert charge.amount_refunded == 3000 and charge.refunded is True
    assert [r.id for r in charge.refunds.data] == [rest.id, first.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("refunds", charge=charge.id, amount=1)
    assert info.value.code == "charge_already_refunded"

    refunded = [e for e in sdk.fake.events if e["type"] == "charge.refunded"]
    assert [e["data"]["object"]["amount_refunded"] for e in refunded] == [1000, 3000]
    listed = sdk.list("refunds", payment_intent=pi.id)
    assert [r.amount for r in listed.data] == [2000, 1000]


def test_refund_of_unknown_charge_names_the_param(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("refunds", charge="ch_missing")
    assert (info.value.http_status, info.value.param, info.value.code) == (
        400,
        "charge",
        "resource_missing",
    )


def test_expand_on_create_retrieve_and_list(sdk: Driver) -> None:
    customer = sdk.create("customers", email="exp@example.com")
    pi = sdk.create(
        "payment_intents", amount=1000, currency="usd", customer=customer.id,
        payment_method="pm_card_visa", confirm=True, expand=["customer", "latest_charge"], **CARD,
    )  # fmt: skip
    assert pi.customer.email == "exp@example.com"
    assert pi.latest_charge.object == "charge"
    deep = sdk.retrieve("payment_intents", pi.id, expand=["latest_charge.customer"])
    assert deep.latest_charge.customer.id == customer.id
    listed = sdk.list("charges", expand=["data.payment_intent"])
    assert listed.data[0].payment_intent.id == pi.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.list("charges", expand=["payment_intent"])
    assert "data.payment_intent" in str(info.value.user_message)
    with pytest.raises(stripe.InvalidRequestError):
        sdk.retrieve("payment_intents", pi.id, expand=["amount"])


def test_events_list_and_retrieve(sdk: Driver) -> None:
    sdk.create("customers")
    sdk.create("products", name="P")
    events = sdk.list("events", type="customer.*")
    assert [e.type for e in events.data] == ["customer.created"]
    one = sdk.retrieve("events", sdk.fake.events[-1]["id"])
    assert one.type == "product.created"
    assert one.data.object.name == "P"


def test_customer_payment_methods_sub_resource_and_charge_filters(fake: StripeFake) -> None:
    customer = stripe.Customer.create()
    stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)
    listed = stripe.Customer.list_payment_methods(customer.id)
    assert [pm.card.last4 for pm in listed.data] == ["4242"]
    pi = stripe.PaymentIntent.create(
        amount=900, currency="usd", customer=customer.id, payment_method=listed.data[0].id,
        confirm=True, **CARD,
    )  # fmt: skip
    stripe.PaymentIntent.create(
        amount=700, currency="usd", payment_method="pm_card_visa", confirm=True, **CARD
    )
    by_intent = stripe.Charge.list(payment_intent=pi.id)
    assert [c.amount for c in by_intent.data] == [900]
    by_customer = stripe.Charge.list(customer=customer.id)
    assert [c.id for c in by_customer.data] == [pi.latest_charge]
    assert len(stripe.Charge.list().data) == 2
