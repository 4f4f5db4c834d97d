"""What real apps hit running unmodified against the fake, each through the real SDK.

Manual confirmation after 3D Secure, `off_session` without `confirm`, empty `created`
filters, typed card details, values the fake cannot honour.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import unquote

import pytest
import requests
import stripe

from mockkit.stripe.objects import API_VERSION
from mockkit.stripe.routes import ROUTES
from tests.stripe.driver import KEY, Driver

CARD_ONLY = {"allowed_payment_method_types": ["card"]}
#: These tests send the current version's parameters; an older stripe-python (the SDK
#: matrix) sends this version too, as an app that sets `stripe.api_version` does.
STRIPE_VERSION = API_VERSION


def test_manual_confirmation_after_3ds_waits_for_the_server_to_confirm(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents",
        amount=2500,
        currency="usd",
        payment_method="pm_card_threeDSecure2Required",
        confirmation_method="manual",
        confirm=True,
        **CARD_ONLY,
    )
    assert pi.status == "requires_action"
    sdk.fake.authenticate(pi.id)  # the customer passes the challenge in the browser
    waiting = sdk.retrieve("payment_intents", pi.id)
    assert waiting.status == "requires_confirmation"
    assert waiting.next_action is None
    assert waiting.latest_charge is None
    assert not sdk.fake.events_of("payment_intent.succeeded")
    paid = sdk.action("payment_intents", "confirm", pi.id)
    assert paid.status == "succeeded"
    assert paid.amount_received == 2500
    charge = sdk.retrieve("charges", paid.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"


def test_automatic_confirmation_after_3ds_still_succeeds_at_once(sdk: Driver) -> None:
    pi = sdk.create(
        "payment_intents",
        amount=2500,
        currency="usd",
        payment_method="pm_card_threeDSecure2Required",
        confirm=True,
        **CARD_ONLY,
    )
    sdk.fake.authenticate(pi.id)
    assert sdk.retrieve("payment_intents", pi.id).status == "succeeded"


@pytest.mark.parametrize("name", ["off_session", "return_url"])
def test_confirm_only_parameters_without_confirm_are_refused(sdk: Driver, name: str) -> None:
    value: Any = True if name == "off_session" else "https://shop.example/back"
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(
            "payment_intents",
            amount=1000,
            currency="usd",
            payment_method="pm_card_visa",
            **{name: value},
            **CARD_ONLY,
        )
    assert info.value.http_status == 400
    assert info.value.param == name
    assert "confirm" in str(info.value.user_message)
    assert sdk.fake.payment_intents == {}
    assert sdk.fake.events == []


@pytest.mark.parametrize("kind", [True, "one_off", "recurring"])
def test_off_session_with_confirm_charges_a_saved_card(sdk: Driver, kind: Any) -> None:
    customer = sdk.create("customers", payment_method="pm_card_visa")
    pm = sdk.list("payment_methods", customer=customer.id, type="card").data[0]
    pi = sdk.create(
        "payment_intents",
        amount=1000,
        currency="usd",
        customer=customer.id,
        payment_method=pm.id,
        off_session=kind,
        confirm=True,
        **CARD_ONLY,
    )
    assert pi.status == "succeeded"


def _list_endpoints_with_created() -> list[str]:
    return sorted(
        ep.template
        for ep in ROUTES.endpoints()
        if ep.method == "GET" and "created" in ep.spec and ep.kind.startswith("list:")
    )


@pytest.mark.parametrize("template", _list_endpoints_with_created())
@pytest.mark.parametrize("value", ["", {"gt": ""}, {"lte": ""}])
def test_an_empty_created_filter_is_a_400_naming_it(sdk: Driver, template: str, value: Any) -> None:
    sdk.create("customers", email="a@example.com")  # something to compare against
    path = template.replace("{id}", "x_1")
    with pytest.raises(stripe.InvalidRequestError) as info:
        _raw(sdk).raw_request("get", path, created=value)
    assert info.value.http_status == 400
    expected = "created" if value == "" else f"created[{next(iter(value))}]"
    assert info.value.param == expected


def test_every_list_with_created_is_covered() -> None:
    # The seven lists real apps filter by `created` most, at least.
    assert {
        "/v1/customers",
        "/v1/charges",
        "/v1/payment_intents",
        "/v1/checkout/sessions",
        "/v1/events",
        "/v1/invoices",
        "/v1/subscriptions",
    } <= set(_list_endpoints_with_created())


def test_created_filters_still_filter(sdk: Driver) -> None:
    old = sdk.create("customers", email="old@example.com")
    later = old.created + 10
    sdk.fake.clock = lambda: later
    new = sdk.create("customers", email="new@example.com")
    assert [c.id for c in sdk.list("customers", created={"gt": old.created}).data] == [new.id]
    assert [c.id for c in sdk.list("customers", created=old.created).data] == [old.id]


@pytest.mark.parametrize("name", ["due_date", "current_period_end"])
def test_empty_timestamp_bounds_of_billing_lists_are_400s(sdk: Driver, name: str) -> None:
    service = "invoices" if name == "due_date" else "subscriptions"
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.list(service, **{name: {"lt": ""}})
    assert info.value.param == f"{name}[lt]"


def _card(**overrides: Any) -> dict[str, Any]:
    year = time.gmtime().tm_year
    return {"number": "4242424242424242", "exp_month": 7, "exp_year": year + 3, **overrides}


def test_a_typed_card_keeps_its_expiry(sdk: Driver) -> None:
    card = _card(cvc="123")
    pm = sdk.create("payment_methods", type="card", card=card)
    assert (pm.card.exp_month, pm.card.exp_year) == (7, card["exp_year"])
    assert pm.card.last4 == "4242"
    assert pm.card.checks.cvc_check == "unchecked"
    pi = sdk.create(
        "payment_intents",
        amount=900,
        currency="usd",
        payment_method=pm.id,
        confirm=True,
        **CARD_ONLY,
    )
    charge = sdk.retrieve("charges", pi.latest_charge)
    assert charge.payment_method_details.card.exp_month == 7
    assert charge.payment_method_details.card.exp_year == card["exp_year"]


def test_a_typed_card_without_cvc_has_no_cvc_check(sdk: Driver) -> None:
    pm = sdk.create("payment_methods", type="card", card=_card(exp_year=time.gmtime().tm_year + 1))
    assert pm.card.checks.cvc_check is None


@pytest.mark.parametrize(
    ("overrides", "code", "param"),
    [
        ({"exp_year": 2019}, "invalid_expiry_year", "card[exp_year]"),
        ({"exp_year": 2200}, "invalid_expiry_year", "card[exp_year]"),
        ({"exp_month": 13}, "invalid_expiry_month", "card[exp_month]"),
        ({"exp_month": 0}, "invalid_expiry_month", "card[exp_month]"),
        ({"cvc": "12a"}, "invalid_cvc", "card[cvc]"),
    ],
)
def test_an_invalid_typed_card_is_refused(
    sdk: Driver, overrides: dict[str, Any], code: str, param: str
) -> None:
    with pytest.raises(stripe.CardError) as info:
        sdk.create("payment_methods", type="card", card=_card(**overrides))
    assert info.value.code == code
    assert info.value.param == param
    assert sdk.fake.payment_methods == {}


def test_a_card_that_expired_this_year_is_expired_card(sdk: Driver) -> None:
    now = time.gmtime()
    if now.tm_mon == 1:
        sdk.fake.clock = lambda: time.mktime((now.tm_year, 3, 1, 0, 0, 0, 0, 0, 0))
    year = time.gmtime(sdk.fake.clock()).tm_year
    with pytest.raises(stripe.CardError) as info:
        sdk.create("payment_methods", type="card", card=_card(exp_month=1, exp_year=year))
    assert info.value.code == "expired_card"
    assert sdk.fake.payment_methods == {}


def test_a_typed_card_needs_its_expiry(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("payment_methods", type="card", card={"number": "4242424242424242"})
    assert info.value.param == "card[exp_month]"


def test_a_token_takes_no_card_details(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("payment_methods", type="card", card={"token": "tok_visa", "exp_month": 1})
    assert info.value.param == "card[exp_month]"


LINE = {
    "price_data": {"currency": "usd", "unit_amount": 1500, "product_data": {"name": "Mug"}},
    "quantity": 1,
}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"automatic_tax": {"enabled": True}}, "automatic_tax[enabled]"),
        ({"phone_number_collection": {"enabled": True}}, "phone_number_collection[enabled]"),
        (
            {"shipping_address_collection": {"allowed_countries": ["US"]}},
            "shipping_address_collection",
        ),
        ({"custom_text": {"submit": {"message": "Thanks"}}}, "custom_text"),
        (
            {"line_items": [{**LINE, "adjustable_quantity": {"enabled": True}}]},
            "line_items[0][adjustable_quantity][enabled]",
        ),
        ({"line_items": [{**LINE, "tax_rates": ["txr_1"]}]}, "line_items[0][tax_rates]"),
    ],
)
def test_checkout_refuses_what_its_page_does_not_do(
    sdk: Driver, params: dict[str, Any], param: str
) -> None:
    base = {"mode": "payment", "success_url": "https://shop.example/ok", "line_items": [LINE]}
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("checkout.sessions", **{**base, **params})
    assert info.value.param == param
    assert "does not emulate" in str(info.value.user_message)
    assert sdk.fake.checkout_sessions == {}
    # Switched off, the same parameters are what the fake does anyway.
    off = sdk.create(
        "checkout.sessions",
        **base,
        automatic_tax={"enabled": False},
        phone_number_collection={"enabled": False},
    )
    assert off.status == "open"


@pytest.mark.parametrize(
    ("params", "param"),
    [
        (
            # Keys Stripe knows (stripe-python declares no `payment_method_data[card]`: that
            # one is Stripe's "Received unknown parameter").
            {"payment_method_data": {"type": "card", "billing_details": {"name": "Jenny Rosen"}}},
            "payment_method_data",
        ),
        (
            {"payment_method_options": {"card": {"request_three_d_secure": "any"}}},
            "payment_method_options[card][request_three_d_secure]",
        ),
    ],
)
def test_payment_intents_refuse_what_the_fake_cannot_do(
    sdk: Driver, params: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(
            "payment_intents",
            amount=1000,
            currency="usd",
            payment_method="pm_card_visa",
            confirm=True,
            **params,
            **CARD_ONLY,
        )
    assert info.value.param == param
    assert sdk.fake.payment_intents == {}


def test_customer_invoice_settings_are_kept_as_sent(sdk: Driver) -> None:
    customer = sdk.create(
        "customers",
        invoice_settings={
            "footer": "Thank you",
            "custom_fields": [{"name": "VAT", "value": "GB123"}],
            "rendering_options": {"amount_tax_display": "exclude_tax"},
        },
    )
    settings = customer.invoice_settings
    assert settings.footer == "Thank you"
    assert settings.custom_fields[0].value == "GB123"
    assert settings.rendering_options.amount_tax_display == "exclude_tax"
    updated = sdk.update("customers", customer.id, invoice_settings={"footer": ""})
    assert updated.invoice_settings.footer is None
    assert updated.invoice_settings.custom_fields[0].name == "VAT"
    event = sdk.fake.events_of("customer.updated")[-1]
    assert event["data"]["previous_attributes"]["invoice_settings"]["footer"] == "Thank you"


def _raw(sdk: Driver) -> stripe.StripeClient:
    if not hasattr(stripe.StripeClient, "raw_request"):
        pytest.skip(f"stripe-python {stripe.VERSION} has no StripeClient.raw_request")
    return sdk.client or stripe.StripeClient(
        KEY,
        base_addresses={"api": stripe.api_base or "https://api.stripe.com"},
        stripe_version=stripe.api_version,
    )


@pytest.mark.parametrize(
    ("method", "path", "says", "never"),
    [
        (
            "get",
            "/v1/subscriptions/sub_123/resum",
            "closest supported: POST /v1/subscriptions/{id}",
            "checkout",
        ),
        (
            "delete",
            "/v1/checkout/sessions/cs_test_1",
            "this path is emulated for GET only",
            "closest",
        ),
        (
            "post",
            "/v1/subscriptions/sub_1/pause",
            None,  # emulated: answered (404 for the unknown id), not unrecognized
            "Unrecognized",
        ),
        ("get", "/v1/subscriptionz", "closest supported: GET /v1/subscriptions,", "checkout"),
        ("post", "/v1/quotes", "does not emulate this endpoint. See", "closest"),
        ("post", "/v1/customers/search", "this path is emulated for GET only", "DELETE"),
        (
            "get",
            "/v1/refunds/search",
            "search is emulated only at GET /v1/charges/search",
            "this path",
        ),
    ],
)
def test_the_unknown_url_error_names_only_what_is_really_there(
    sdk: Driver, method: str, path: str, says: str | None, never: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        _raw(sdk).raw_request(method, path)
    message = str(info.value.user_message)
    assert info.value.http_status == 404
    if says is not None:
        assert f"({method.upper()}: {path})" in message
        assert says in message
    assert never not in message


def test_the_checkout_url_has_stripes_form_and_opens_the_page(sdk: Driver) -> None:
    session = sdk.create(
        "checkout.sessions",
        mode="payment",
        success_url="https://shop.example/ok?s={CHECKOUT_SESSION_ID}",
        line_items=[LINE],
    )
    page, _, fragment = session.url.partition("#")
    assert page.endswith(f"/c/pay/{session.id}")
    if not sdk.served:
        assert page.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    decoded = bytes(b ^ 5 for b in base64.b64decode(unquote(fragment)))
    assert json.loads(decoded)["referrerOrigin"] == "https://shop.example"
    # The fragment stays in the browser: the URL as given opens the hosted page.
    opened = requests.get(session.url, timeout=10)
    assert opened.status_code == 200
    assert session.id in opened.text
    paid = requests.post(
        session.url, data={"card": "pm_card_visa"}, allow_redirects=False, timeout=10
    )
    assert paid.status_code == 303
    assert sdk.retrieve("checkout.sessions", session.id).status == "complete"
