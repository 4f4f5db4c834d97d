"""The fake answers as the API version the request names (`Stripe-Version`), through the SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from mockkit.http import Request, Response
from mockkit.stripe import StripeFake, StripeServer, versions
from mockkit.transport import LoopbackServer, no_retry_sleep

KEY = "sk_test_mockkit_versions"
OLD = "2020-08-27"
CHARGES_LAST = "2022-08-01"
LATEST_CHARGE = "2022-11-15"
APM = "2023-08-16"
BASIL = "2025-03-31.basil"
ENDIVE = "2026-10-28.endive"
LINE_ITEMS = [
    {
        "price_data": {"currency": "usd", "unit_amount": 1500, "product_data": {"name": "Mug"}},
        "quantity": 1,
    }
]


@dataclass
class At:
    """stripe-python at one API version, in one style, against one fake."""

    fake: StripeFake
    style: str
    version: str
    base: str

    def call(self, service: str, action: str, *args: Any, **params: Any) -> Any:
        """`client.v1.<service>.<action>(...)` or the module-style class method."""
        if self.style == "client":
            client = stripe.StripeClient(
                KEY, stripe_version=self.version, base_addresses={"api": self.base}
            )
            node: Any = getattr(client, "v1", client)  # no `v1` before stripe-python 12
            for part in service.split("."):
                node = getattr(node, part)
            return getattr(node, action)(*args, params=params)
        cls: Any = {
            "payment_intents": stripe.PaymentIntent,
            "checkout.sessions": stripe.checkout.Session,
            "customers": stripe.Customer,
            "prices": stripe.Price,
            "subscriptions": stripe.Subscription,
            "invoices": stripe.Invoice,
            "coupons": stripe.Coupon,
            "promotion_codes": stripe.PromotionCode,
            "invoice_items": stripe.InvoiceItem,
        }[service]
        name = {"update": "modify"}.get(action, action)
        return getattr(cls, name)(*args, **params)


@pytest.fixture(scope="module")
def _server() -> Iterator[StripeServer]:
    with StripeFake().serve() as server:
        yield server


@pytest.fixture(
    params=[
        ("module", "inprocess"),
        ("client", "inprocess"),
        ("module", "served"),
        ("client", "served"),
    ],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def at(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`at(version)`: the SDK at that version (`stripe.api_version` or `stripe_version=`)."""
    style, transport = request.param
    monkeypatch.setattr(stripe, "api_key", KEY)

    def make(fake: StripeFake, base: str) -> Any:
        def at_version(version: str) -> At:
            monkeypatch.setattr(stripe, "api_version", version)
            return At(fake, style, version, base)

        return at_version

    if transport == "inprocess":
        monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
        with StripeFake() as fake:
            yield make(fake, "https://api.stripe.com")
        return
    server: StripeServer = request.getfixturevalue("_server")
    server.fake.reset()
    monkeypatch.setattr(stripe, "api_base", server.url)
    with no_retry_sleep():
        yield make(server.fake, server.url)


def test_an_old_version_takes_cards_without_return_url_and_lists_charges(at: Any) -> None:
    sdk = at(OLD)
    pi = sdk.call(
        "payment_intents",
        "create",
        amount=2000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
    )
    assert pi.status == "succeeded"
    assert pi.payment_method_types == ["card"]
    assert pi.automatic_payment_methods is None
    assert "latest_charge" not in pi
    assert pi.charges.object == "list"
    assert [c.amount for c in pi.charges.data] == [2000]
    assert pi.charges.data[0].payment_intent == pi.id
    assert pi.last_response.headers["Stripe-Version"] == OLD


def test_from_2023_08_16_automatic_payment_methods_need_a_return_url(at: Any) -> None:
    sdk = at(APM)
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.call(
            "payment_intents",
            "create",
            amount=2000,
            currency="usd",
            payment_method="pm_card_visa",
            confirm=True,
        )
    assert info.value.param == "return_url"
    assert sdk.fake.payment_intents == {}
    pi = sdk.call("payment_intents", "create", amount=2000, currency="usd")
    assert pi.automatic_payment_methods.enabled is True
    # Just before the change, the same intent is card-only.
    older = at("2023-01-11" if "2023-01-11" in versions.KNOWN else LATEST_CHARGE)
    pi = older.call("payment_intents", "create", amount=2000, currency="usd")
    assert pi.automatic_payment_methods is None
    assert pi.payment_method_types == ["card"]


@pytest.mark.parametrize(("version", "has_charges"), [(CHARGES_LAST, True), (LATEST_CHARGE, False)])
def test_charges_until_2022_11_15_latest_charge_from_then(
    at: Any, version: str, has_charges: bool
) -> None:
    sdk = at(version)
    pi = sdk.call(
        "payment_intents",
        "create",
        amount=1200,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
        payment_method_types=["card"],
    )
    # The same stored intent, read at each shape.
    assert ("charges" in pi) is has_charges
    assert ("latest_charge" in pi) is not has_charges
    again = at(ENDIVE).call("payment_intents", "retrieve", pi.id)
    assert again.latest_charge.startswith("ch_")
    assert "charges" not in again


def test_endive_names_the_parameter_allowed_payment_method_types(at: Any) -> None:
    sdk = at(ENDIVE)
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.call(
            "payment_intents", "create", amount=500, currency="usd", payment_method_types=["card"]
        )
    # Stripe's own refusal of the retired name on PaymentIntents (as on SetupIntents).
    assert info.value.code == "payment_method_types_no_longer_supported"
    assert "allowed_payment_method_types" in str(info.value.user_message)
    assert info.value.param == "payment_method_types"
    assert sdk.fake.payment_intents == {}
    pi = sdk.call(
        "payment_intents",
        "create",
        amount=500,
        currency="usd",
        allowed_payment_method_types=["card"],
    )
    assert pi.payment_method_types == ["card"]
    assert pi.automatic_payment_methods is None
    # The request log shows the request as sent.
    assert "allowed_payment_method_types" in sdk.fake.request_log[-1].params
    updated = sdk.call("payment_intents", "update", pi.id, allowed_payment_method_types=["card"])
    assert updated.payment_method_types == ["card"]


def test_before_endive_the_parameter_is_payment_method_types(at: Any) -> None:
    sdk = at(BASIL)
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.call(
            "payment_intents",
            "create",
            amount=500,
            currency="usd",
            allowed_payment_method_types=["card"],
        )
    assert info.value.param == "allowed_payment_method_types"
    pi = sdk.call(
        "payment_intents", "create", amount=500, currency="usd", payment_method_types=["card"]
    )
    assert pi.payment_method_types == ["card"]


@pytest.mark.parametrize(
    "version",
    ["2020-13-45", "2019-13-01", "2019-12-03.basil", "1999-01-01", "latest", "2026-10-28.zinnia"],
)
def test_an_unknown_version_is_stripes_400(at: Any, version: str) -> None:
    sdk = at(version)
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.call("customers", "create", email="a@example.com")
    assert info.value.http_status == 400
    assert f"Invalid Stripe API version: {version}" in str(info.value.user_message)
    assert sdk.fake.customers == {}


def test_a_version_older_than_emulated_is_refused_as_not_emulated(at: Any) -> None:
    sdk = at("2019-12-03")
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.call("customers", "create")
    assert "does not emulate API version 2019-12-03" in str(info.value.user_message)


def test_versions_compare_by_release_date() -> None:
    assert list(versions.KNOWN) == sorted(versions.KNOWN)
    assert versions.KNOWN[0] == OLD
    assert versions.KNOWN[-1] == ENDIVE
    assert versions.before(OLD, APM)
    assert not versions.before(ENDIVE, "2026-09-30.endive")
    assert versions.default_version() == stripe._api_version._ApiVersion.CURRENT  # type: ignore[attr-defined]


def test_the_account_default_is_settable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert StripeFake().api_version == stripe._api_version._ApiVersion.CURRENT  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="Invalid Stripe API version: someday"):
        StripeFake(api_version="someday")
    fake = StripeFake(api_version=OLD)
    fake.reset()
    assert fake.api_version == OLD


class Collector:
    """A loopback webhook endpoint that keeps the bodies it receives."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def handle(self, req: Request) -> Response:
        self.bodies.append(json.loads(req.body))
        return Response(200, b"ok")


def _paid(fake: StripeFake) -> None:
    client = stripe.StripeClient(KEY, stripe_version=ENDIVE)
    client.v1.payment_intents.create(
        params={
            "amount": 900,
            "currency": "usd",
            "payment_method": "pm_card_visa",
            "confirm": True,
            "allowed_payment_method_types": ["card"],
        }
    )


def test_events_follow_the_endpoint_version_default_the_accounts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake(api_version=OLD) as fake:
        _paid(fake)
        got: list[tuple[bytes, str]] = []

        def endpoint(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
            got.append((body, headers["Stripe-Signature"]))
            return 200, ""

        fake.deliver(endpoint)
        at_account = [stripe.Webhook.construct_event(b, h, fake.webhook_secret) for b, h in got]
        got.clear()
        fake.deliver(endpoint, api_version=ENDIVE)
        at_endive = [json.loads(b) for b, _ in got]
        with pytest.raises(ValueError, match="Invalid Stripe API version"):
            fake.deliver(endpoint, api_version="nope")
    succeeded = next(e for e in at_account if e.type == "payment_intent.succeeded")
    assert succeeded.api_version == OLD
    assert succeeded.data.object.charges.data[0].amount == 900
    assert "latest_charge" not in succeeded.data.object
    endive = next(e for e in at_endive if e["type"] == "payment_intent.succeeded")
    assert endive["api_version"] == ENDIVE
    assert endive["data"]["object"]["latest_charge"].startswith("ch_")
    assert "charges" not in endive["data"]["object"]


def test_forwarded_events_are_rendered_at_the_endpoint_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    collector = Collector()
    with StripeFake() as fake, LoopbackServer(collector) as server:
        forwarder = fake.forward_webhooks(server.url, backoff=0.0, api_version=CHARGES_LAST)
        _paid(fake)
        assert forwarder.wait(10)
        fake.stop_forwarding()
    succeeded = next(e for e in collector.bodies if e["type"] == "payment_intent.succeeded")
    assert succeeded["api_version"] == CHARGES_LAST
    assert succeeded["data"]["object"]["charges"]["data"][0]["amount"] == 900


PRE_BASIL = "2024-06-20"
PRE_CLOVER = "2025-08-27.basil"


def _subscribed(sdk: At) -> tuple[Any, Any]:
    customer = sdk.call(
        "customers",
        "create",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    price = sdk.call(
        "prices",
        "create",
        unit_amount=1500,
        currency="usd",
        recurring={"interval": "month"},
        product_data={"name": "Club"},
    )
    coupon = sdk.call("coupons", "create", percent_off=10, duration="forever")
    return customer, sdk.call(
        "subscriptions",
        "create",
        customer=customer.id,
        items=[{"price": price.id}],
        **({"coupon": coupon.id} if versions.before(sdk.version, BASIL) else {}),
        **({} if versions.before(sdk.version, BASIL) else {"discounts": [{"coupon": coupon.id}]}),
    )


def test_before_basil_a_subscription_and_its_invoice_have_their_old_fields(at: Any) -> None:
    old = at(PRE_BASIL)
    _, sub = _subscribed(old)
    item = sub["items"].data[0]
    assert sub.current_period_end > sub.current_period_start
    assert "current_period_end" not in item
    assert sub.discount.coupon.percent_off == 10  # the single discount, its coupon whole
    invoice = old.call("invoices", "retrieve", sub.latest_invoice)
    assert invoice.subscription == sub.id and invoice.paid is True
    assert invoice.payment_intent.startswith("pi_") and invoice.charge.startswith("ch_")
    assert invoice.paid_out_of_band is False
    assert "parent" not in invoice and "payments" not in invoice
    line = invoice.lines.data[0]
    assert (line.type, line.price.id, line.proration) == ("subscription", item.price.id, False)
    assert old.call("payment_intents", "retrieve", invoice.payment_intent).invoice == invoice.id
    # The same objects at the current version: periods on the items, the invoice's parent.
    new = at(ENDIVE)
    now = new.call("subscriptions", "retrieve", sub.id)
    assert now["items"].data[0].current_period_end == sub.current_period_end
    assert "current_period_end" not in now and "discount" not in now
    invoice = new.call("invoices", "retrieve", sub.latest_invoice)
    assert invoice.parent.subscription_details.subscription == sub.id
    assert "subscription" not in invoice and "paid" not in invoice
    # And at basil itself, already the new shape.
    assert "current_period_end" not in at(BASIL).call("subscriptions", "retrieve", sub.id)


def test_basil_refuses_the_old_parameters_and_old_versions_the_new(at: Any) -> None:
    _, sub = _subscribed(at(BASIL))
    with pytest.raises(stripe.InvalidRequestError) as info:
        at(BASIL).call("subscriptions", "update", sub.id, coupon="nope")
    assert info.value.param == "coupon"
    assert "Received unknown parameter: coupon" in str(info.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as info:
        at(PRE_BASIL).call(
            "invoice_items", "create", customer=sub.customer, pricing={"price": "price_x"}
        )
    assert info.value.param == "pricing"


def test_before_clover_promotion_codes_name_their_coupon(at: Any) -> None:
    old = at(PRE_CLOVER)
    coupon = old.call("coupons", "create", amount_off=500, currency="usd", duration="once")
    promo = old.call("promotion_codes", "create", coupon=coupon.id, code="SPRING")
    assert promo.coupon.id == coupon.id and "promotion" not in promo
    with pytest.raises(stripe.InvalidRequestError) as info:
        old.call("promotion_codes", "create", promotion={"type": "coupon", "coupon": coupon.id})
    assert info.value.param == "promotion"
    clover = at("2025-10-29.clover").call("promotion_codes", "retrieve", promo.id)
    assert clover.promotion.coupon == coupon.id and "coupon" not in clover


def test_a_parameter_stripe_knows_but_the_fake_does_not_emulate_is_named(at: Any) -> None:
    sdk = at(PRE_BASIL)
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.call("customers", "create", coupon="SPRING")  # Stripe had it before basil
    assert info.value.param == "coupon"
    assert "does not emulate the parameter `coupon`" in str(info.value.user_message)
    assert sdk.fake.customers == {}


def test_invoice_payments_and_their_events_do_not_exist_before_basil(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    monkeypatch.setattr(stripe, "api_key", KEY)
    with StripeFake() as fake:
        _subscribed(At(fake, "client", ENDIVE, "https://api.stripe.com"))
        got: list[dict[str, Any]] = []

        def endpoint(body: bytes, headers: dict[str, str]) -> tuple[int, str]:
            got.append(json.loads(body))
            return 200, ""

        fake.deliver(endpoint, api_version=PRE_BASIL)
        old_types = {e["type"] for e in got}
        got.clear()
        fake.deliver(endpoint, api_version=ENDIVE)
        new_types = {e["type"] for e in got}
    assert "invoice_payment.paid" in new_types
    assert "invoice_payment.paid" not in old_types and "invoice.paid" in old_types
    paid = next(e for e in got if e["type"] == "invoice.paid")["data"]["object"]
    assert "parent" in paid and "subscription" not in paid


@pytest.mark.parametrize(
    ("version", "at_creation"),
    [("2020-08-27", True), ("2022-08-01", False), ("2023-08-16", False), (ENDIVE, False)],
)
def test_checkout_makes_its_payment_intent_at_creation_before_2022_08_01(
    at: Any, version: str, at_creation: bool
) -> None:
    sdk = at(version)
    card_param = (
        "allowed_payment_method_types"
        if not versions.before(version, versions.ALLOWED_PAYMENT_METHOD_TYPES)
        else "payment_method_types"
    )
    session = sdk.call(
        "checkout.sessions",
        "create",
        mode="payment",
        success_url="https://shop.example/ok",
        line_items=[
            {"price_data": {"currency": "usd", "product_data": {"name": "Mug"},
                            "unit_amount": 1500}, "quantity": 2}
        ],
        **{card_param: ["card"]},
    )  # fmt: skip
    if at_creation:
        assert session.payment_intent is not None
        pi = sdk.fake.state.stores["payment_intent"].by_id[session.payment_intent]
        assert (pi["status"], pi["amount"]) == ("requires_payment_method", 3000)
        assert "payment_intent.created" in [e["type"] for e in sdk.fake.events]
    else:
        assert session.payment_intent is None
        assert not sdk.fake.state.stores["payment_intent"].by_id
    sdk.fake.complete_checkout(session.id)
    done = sdk.call("checkout.sessions", "retrieve", session.id)
    assert done.status == "complete" and done.payment_status == "paid"
    if at_creation:
        assert done.payment_intent == session.payment_intent  # the same intent was paid
        assert done.customer is not None  # every payment made a customer then
    paid = sdk.fake.state.stores["payment_intent"].by_id[done.payment_intent]
    assert (paid["status"], paid["amount_received"]) == ("succeeded", 3000)


def test_an_expired_old_session_abandons_its_payment_intent(at: Any) -> None:
    sdk = at("2020-08-27")
    session = sdk.call(
        "checkout.sessions",
        "create",
        mode="payment",
        success_url="https://shop.example/ok",
        line_items=[
            {"price_data": {"currency": "usd", "product_data": {"name": "Mug"}, "unit_amount": 900},
             "quantity": 1}
        ],
        payment_method_types=["card"],
    )  # fmt: skip
    sdk.call("checkout.sessions", "expire", session.id)
    pi = sdk.fake.state.stores["payment_intent"].by_id[session.payment_intent]
    assert (pi["status"], pi["cancellation_reason"]) == ("canceled", "abandoned")
