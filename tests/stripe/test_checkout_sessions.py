"""Checkout Sessions through the real SDK: create, line items, complete, expire."""

from __future__ import annotations

import pytest
import stripe

from mockkit.stripe import CheckoutError, StripeFake
from tests.stripe.driver import Driver

SUCCESS = "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example/cart"


def _session(sdk: Driver, **extra: object) -> stripe.checkout.Session:
    product = sdk.create("products", name="Mug")
    price = sdk.create("prices", product=product.id, unit_amount=1200, currency="usd")
    params: dict[str, object] = {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "line_items": [
            {"price": price.id, "quantity": 2},
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 500,
                    "product_data": {"name": "Gift wrap"},
                },
                "quantity": 1,
            },
        ],
        "metadata": {"order_id": "42"},
    }
    params.update(extra)
    return sdk.create("checkout.sessions", **params)


def test_create_computes_totals_and_a_hosted_url(sdk: Driver) -> None:
    session = _session(sdk, client_reference_id="user-7")
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert session.amount_total == 2 * 1200 + 500 and session.currency == "usd"
    assert session.payment_intent is None  # created when the customer pays
    assert session.client_reference_id == "user-7"
    assert session.expires_at - session.created == 24 * 3600
    if sdk.served:
        assert session.url.startswith("http://127.0.0.1:") and session.id in session.url
    else:
        assert session.url.startswith(f"https://checkout.stripe.com/c/pay/{session.id}#")


def test_line_items_by_expand_and_sub_resource(sdk: Driver) -> None:
    session = _session(sdk)
    expanded = sdk.retrieve("checkout.sessions", session.id, expand=["line_items"])
    items = expanded.line_items.data
    assert [(li.description, li.quantity, li.amount_total) for li in items] == [
        ("Mug", 2, 2400),
        ("Gift wrap", 1, 500),
    ]
    assert items[0].id.startswith("li_") and items[0].price.unit_amount == 1200
    deep = sdk.retrieve("checkout.sessions", session.id, expand=["line_items.data.price.product"])
    assert [li.price.product.name for li in deep.line_items.data] == ["Mug", "Gift wrap"]
    if sdk.style == "module":
        listed = stripe.checkout.Session.list_line_items(session.id, limit=1)
    else:
        assert sdk.client is not None
        listed = sdk.client.v1.checkout.sessions.line_items.list(session.id, {"limit": 1})
    assert [li.description for li in listed.data] == ["Mug"]
    assert listed.has_more is True
    assert [li.description for li in listed.auto_paging_iter()] == ["Mug", "Gift wrap"]


def test_complete_checkout_creates_a_paid_intent_and_charge(sdk: Driver) -> None:
    session = _session(sdk, payment_intent_data={"metadata": {"order_id": "42"}})
    returned = sdk.fake.complete_checkout(session.id)
    assert returned["status"] == "complete"

    done = sdk.retrieve("checkout.sessions", session.id, expand=["payment_intent"])
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.url is None
    assert done.payment_intent.status == "succeeded"
    assert done.payment_intent.amount == 2900
    assert done.payment_intent.metadata["order_id"] == "42"
    charge = sdk.retrieve("charges", done.payment_intent.latest_charge)
    assert charge.paid is True and charge.amount == 2900
    types = [e["type"] for e in sdk.fake.events]
    assert types[-4:] == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.succeeded",
        "checkout.session.completed",
    ]
    completed = sdk.fake.events[-1]["data"]["object"]
    assert completed["metadata"] == {"order_id": "42"}
    assert completed["payment_intent"] == done.payment_intent.id


def test_declined_checkout_stays_open_and_emits_payment_failed(sdk: Driver) -> None:
    session = _session(sdk)
    with pytest.raises(CheckoutError, match="insufficient funds"):
        sdk.fake.complete_checkout(session.id, "pm_card_chargeDeclinedInsufficientFunds")
    still = sdk.retrieve("checkout.sessions", session.id)
    assert still.status == "open" and still.payment_status == "unpaid"
    assert sdk.fake.events[-1]["type"] == "payment_intent.payment_failed"
    # A second try with a good card reuses the intent and completes the session.
    sdk.fake.complete_checkout(session.id, "pm_card_visa")
    done = sdk.retrieve("checkout.sessions", session.id)
    assert done.status == "complete" and done.payment_intent == still.payment_intent


def test_expire_and_cannot_pay_expired(sdk: Driver) -> None:
    session = _session(sdk)
    expired = sdk.action("checkout.sessions", "expire", session.id)
    assert expired.status == "expired"
    assert sdk.fake.events[-1]["type"] == "checkout.session.expired"
    with pytest.raises(stripe.InvalidRequestError):
        sdk.action("checkout.sessions", "expire", session.id)
    with pytest.raises(CheckoutError, match="expired"):
        sdk.fake.complete_checkout(session.id)


def test_complete_checkout_refuses_complete_and_unknown_sessions(sdk: Driver) -> None:
    session = _session(sdk)
    sdk.fake.complete_checkout(session.id)
    with pytest.raises(CheckoutError, match="complete"):
        sdk.fake.complete_checkout(session.id)
    with pytest.raises(CheckoutError, match="No such checkout.session"):
        sdk.fake.complete_checkout("cs_test_nope")


def test_list_sessions_by_payment_intent(sdk: Driver) -> None:
    first = _session(sdk)
    _session(sdk)
    sdk.fake.complete_checkout(first.id)
    pi = sdk.retrieve("checkout.sessions", first.id).payment_intent
    found = sdk.list("checkout.sessions", payment_intent=pi)
    assert [s.id for s in found.data] == [first.id]
    complete = sdk.list("checkout.sessions", status="complete")
    assert [s.id for s in complete.data] == [first.id]


@pytest.mark.parametrize(
    ("line_item", "param"),
    [
        ({"price": "price_missing", "quantity": 1}, "line_items[0][price]"),
        (
            {"price_data": {"currency": "usd", "unit_amount": 100}, "quantity": 1},
            "line_items[0][price_data][product_data]",
        ),
        (
            {"price_data": {"currency": "usd", "product_data": {"name": "x"}, "unit_amount": 1}},
            "line_items[0][quantity]",
        ),
        ({"prise": "price_x", "quantity": 1}, "line_items[0][prise]"),
    ],
)
def test_bad_line_items_name_the_param(
    sdk: Driver, line_item: dict[str, object], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("checkout.sessions", mode="payment", success_url=SUCCESS, line_items=[line_item])
    assert info.value.param == param
    assert info.value.http_status == 400


def test_session_expires_when_the_fake_clock_passes_expires_at(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1_800_000_000.0]
    monkeypatch.setattr(stripe, "api_key", "sk_test_clock")
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake(clock=lambda: now[0]) as fake:
        price = stripe.Price.create(currency="usd", unit_amount=100, product_data={"name": "x"})
        session = stripe.checkout.Session.create(
            mode="payment",
            success_url=SUCCESS,
            line_items=[{"price": price.id, "quantity": 1}],
            expires_at=int(now[0]) + 3600,
        )
        assert session.created == 1_800_000_000
        now[0] += 3601
        assert stripe.checkout.Session.retrieve(session.id).status == "expired"
        assert fake.events[-1]["type"] == "checkout.session.expired"
        with pytest.raises(stripe.InvalidRequestError) as info:
            stripe.checkout.Session.create(
                mode="payment",
                success_url=SUCCESS,
                line_items=[{"price": price.id, "quantity": 1}],
                expires_at=int(now[0]) + 60,
            )
        assert info.value.param == "expires_at"
