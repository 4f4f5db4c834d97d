"""Parameters whose name or form depends on the API version, and what invoices refuse.

Each test runs through the real SDK in both styles, in-process and served (the `sdk` fixture),
at the versions where Stripe differs: a SetupIntent's payment method types before and after
2023-08-16 and at endive, endive's `allowed_payment_method_types` on confirm and update,
`excluded_payment_method_types`, a subscription update's `billing_cycle_anchor` (a string
before endive, a hash from endive on), and what an invoice cannot keep.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from mockkit.stripe.objects import API_VERSION
from tests.stripe.billing_helpers import DAY, T0, freeze, member
from tests.stripe.driver import KEY, Driver

#: The module's requests name their versions; by default the current one, which an older
#: stripe-python (the SDK matrix) then sends too.
STRIPE_VERSION = API_VERSION

OLD = "2020-08-27"
LATEST_CHARGE = "2022-11-15"
APM = "2023-08-16"
BASIL = "2025-03-31.basil"
ENDIVE = API_VERSION
EVERY = [OLD, LATEST_CHARGE, APM, BASIL, ENDIVE]
BEFORE_ENDIVE = [OLD, LATEST_CHARGE, APM, BASIL]


def _error(excinfo: pytest.ExceptionInfo[stripe.InvalidRequestError]) -> dict[str, Any]:
    body = excinfo.value.json_body or {}
    return dict(body.get("error") or {})


# ---- billing_cycle_anchor --------------------------------------------------------------------


def _subscription(sdk: Driver) -> Any:
    freeze(sdk.fake)
    return member(sdk)[2]


@pytest.mark.parametrize("version", EVERY)
def test_billing_cycle_anchor_on_update_is_a_string_before_endive_and_a_hash_from_it(
    sdk: Driver, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    sub = _subscription(sdk)
    assert sub.billing_cycle_anchor == T0
    sdk.fake.advance(5 * DAY)
    endive = version == ENDIVE
    wrong, right = ("now", {"type": "now"}) if endive else ({"type": "now"}, "now")
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.update("subscriptions", sub.id, billing_cycle_anchor=wrong)
    assert info.value.param == "billing_cycle_anchor"
    assert ("Invalid object" if endive else "Invalid string") in str(info.value.user_message)
    # Refused: nothing changed, no invoice.
    assert sdk.retrieve("subscriptions", sub.id).billing_cycle_anchor == T0
    assert len(sdk.list("invoices", subscription=sub.id).data) == 1
    updated = sdk.update("subscriptions", sub.id, billing_cycle_anchor=right)
    assert updated.billing_cycle_anchor == T0 + 5 * DAY
    # A new period from now, invoiced at once.
    assert len(sdk.list("invoices", subscription=sub.id).data) == 2
    # The request log keeps the request as sent.
    assert sdk.fake.request_log[-2].params["billing_cycle_anchor"] == right


@pytest.mark.parametrize("version", [OLD, BASIL, ENDIVE])
def test_billing_cycle_anchor_on_resume_follows_the_version_too(
    sdk: Driver, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    sub = _subscription(sdk)
    # Paused at endive (the SDK at hand may not have the pause endpoint).
    paused = requests.post(
        f"{stripe.api_base}/v1/subscriptions/{sub.id}/pause",
        data={"type": "subscription"},
        headers={"Authorization": f"Bearer {KEY}", "Stripe-Version": ENDIVE},
        timeout=10,
    )
    assert paused.json()["status"] == "paused"
    sdk.fake.advance(3 * DAY)
    endive = version == ENDIVE
    wrong, right = (
        ("unchanged", {"type": "unchanged"}) if endive else ({"type": "unchanged"}, "unchanged")
    )
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.action("subscriptions", "resume", sub.id, billing_cycle_anchor=wrong)
    assert info.value.param == "billing_cycle_anchor"
    assert sdk.retrieve("subscriptions", sub.id).status == "paused"
    resumed = sdk.action("subscriptions", "resume", sub.id, billing_cycle_anchor=right)
    assert resumed.status == "active"
    assert resumed.billing_cycle_anchor == T0  # unchanged: the old anchor stays


@pytest.mark.parametrize("version", [OLD, ENDIVE])
def test_billing_cycle_anchor_on_create_is_a_timestamp_at_every_version(
    sdk: Driver, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    first = _subscription(sdk)
    anchor = T0 + 10 * DAY
    sub = sdk.create(
        "subscriptions",
        customer=first.customer,
        items=[{"price": first["items"].data[0].price.id}],
        billing_cycle_anchor=anchor,
    )
    assert sub.billing_cycle_anchor == anchor
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(
            "subscriptions",
            customer=first.customer,
            items=[{"price": first["items"].data[0].price.id}],
            billing_cycle_anchor={"type": "now"},
        )
    assert info.value.param == "billing_cycle_anchor"


# ---- invoices --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"custom_fields": [{"name": "PO", "value": "42"}]}, "custom_fields"),
        ({"rendering": {"amount_tax_display": "include_inclusive_tax"}}, "rendering"),
        (
            {"shipping_details": {"name": "Ada", "address": {"line1": "1 Main St"}}},
            "shipping_details",
        ),
        ({"issuer": {"type": "account", "account": "acct_123"}}, "issuer[type]"),
        (
            {"payment_settings": {"payment_method_types": ["card", "sepa_debit"]}},
            "payment_settings[payment_method_types][1]",
        ),
    ],
)
@pytest.mark.parametrize("version", [OLD, BASIL, ENDIVE])
def test_invoices_refuse_what_they_would_drop(
    sdk: Driver,
    version: str,
    params: dict[str, Any],
    param: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sdk = sdk.at(version, monkeypatch)
    cus = sdk.create("customers", email="inv@example.com")
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create("invoices", customer=cus.id, **params)
    assert info.value.param == param
    assert "does not emulate" in str(info.value.user_message)
    assert not sdk.fake.objects("invoice")
    draft = sdk.create(
        "invoices",
        customer=cus.id,
        issuer={"type": "self"},
        payment_settings={"payment_method_types": ["card"]},
    )
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.update("invoices", draft.id, **params)
    assert info.value.param == param
    assert sdk.retrieve("invoices", draft.id).to_dict() == draft.to_dict()


# ---- payment method types of intents ---------------------------------------------------------

#: What each version calls the list of types a request allows.
LISTED = {v: "payment_method_types" for v in BEFORE_ENDIVE} | {
    ENDIVE: "allowed_payment_method_types"
}


@pytest.mark.parametrize("version", EVERY)
def test_a_setup_intent_without_types_is_card_only_before_2023_08_16(
    sdk: Driver, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    cus = sdk.create("customers", email="si@example.com")
    si = sdk.create("setup_intents", customer=cus.id, payment_method="pm_card_visa")
    assert si.payment_method_types == ["card"]
    if version < APM:
        assert si.automatic_payment_methods is None
        # Cards only: no redirect can happen, so no return_url is needed.
        done = sdk.action("setup_intents", "confirm", si.id)
        assert done.status == "succeeded"
        return
    assert si.automatic_payment_methods.enabled is True
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.action("setup_intents", "confirm", si.id)
    assert info.value.param == "return_url"
    assert sdk.retrieve("setup_intents", si.id).status == "requires_confirmation"
    done = sdk.action("setup_intents", "confirm", si.id, return_url="https://shop.example/back")
    assert done.status == "succeeded"


@pytest.mark.parametrize("kind", ["payment_intents", "setup_intents"])
@pytest.mark.parametrize("version", EVERY)
def test_the_type_list_has_the_versions_name(
    sdk: Driver, version: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    amount = {"amount": 700, "currency": "usd"} if kind == "payment_intents" else {}
    name = LISTED[version]
    other = "payment_method_types" if version == ENDIVE else "allowed_payment_method_types"
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(kind, **amount, **{other: ["card"]})
    assert info.value.param == other
    if version == ENDIVE:
        # Stripe's own refusal of the name endive retired, on PaymentIntents and SetupIntents.
        assert info.value.code == "payment_method_types_no_longer_supported"
    else:
        assert "Received unknown parameter: allowed_payment_method_types" in str(
            info.value.user_message
        )
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(kind, **amount, **{name: ["card", "sepa_debit"]})
    assert info.value.param == f"{name}[1]"
    assert "does not emulate sepa_debit payments" in str(info.value.user_message)
    assert not sdk.fake.objects(kind[:-1])
    intent = sdk.create(kind, **amount, **{name: ["card"]})
    assert intent.payment_method_types == ["card"]
    assert intent.automatic_payment_methods is None


@pytest.mark.parametrize("kind", ["payment_intents", "setup_intents"])
@pytest.mark.parametrize("version", [APM, BASIL, ENDIVE])
def test_confirm_takes_the_type_list_where_stripe_does(
    sdk: Driver, version: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    amount = {"amount": 700, "currency": "usd"} if kind == "payment_intents" else {}
    intent = sdk.create(kind, **amount, payment_method="pm_card_visa")
    assert intent.automatic_payment_methods.enabled is True
    # A SetupIntent's confirm has the list only from endive (`allowed_payment_method_types`);
    # a PaymentIntent's under each version's name.
    if kind == "setup_intents" and version != ENDIVE:
        with pytest.raises(stripe.InvalidRequestError) as info:
            sdk.action(kind, "confirm", intent.id, allowed_payment_method_types=["card"])
        assert "Received unknown parameter" in str(info.value.user_message)
        assert sdk.retrieve(kind, intent.id).status == "requires_confirmation"
        return
    name = "allowed_payment_method_types" if kind == "setup_intents" else LISTED[version]
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.action(kind, "confirm", intent.id, **{name: ["klarna"]})
    assert info.value.param == f"{name}[0]"
    unchanged = sdk.retrieve(kind, intent.id)
    assert unchanged.status == "requires_confirmation"
    assert unchanged.automatic_payment_methods.enabled is True
    # Cards only from this confirm on: no return_url needed.
    done = sdk.action(kind, "confirm", intent.id, **{name: ["card"]})
    assert done.status == "succeeded"
    assert done.payment_method_types == ["card"]
    assert done.automatic_payment_methods is None


@pytest.mark.parametrize("kind", ["payment_intents", "setup_intents"])
@pytest.mark.parametrize("version", [OLD, BASIL, ENDIVE])
def test_update_takes_the_type_list_and_turns_automatic_methods_off(
    sdk: Driver, version: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    amount = {"amount": 700, "currency": "usd"} if kind == "payment_intents" else {}
    intent = sdk.create(kind, **amount, automatic_payment_methods={"enabled": True})
    name = LISTED[version]
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.update(kind, intent.id, **{name: ["card", "ideal"]})
    assert info.value.param == f"{name}[1]"
    assert sdk.retrieve(kind, intent.id).automatic_payment_methods.enabled is True
    updated = sdk.update(kind, intent.id, **{name: ["card"]})
    assert updated.payment_method_types == ["card"]
    assert updated.automatic_payment_methods is None


# ---- excluded_payment_method_types -----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "since"),
    [("payment_intents", BASIL), ("setup_intents", ENDIVE), ("checkout.sessions", ENDIVE)],
)
@pytest.mark.parametrize("version", [APM, BASIL, ENDIVE])
def test_excluded_types_leave_the_automatic_set_and_cards_cannot_be_excluded(
    sdk: Driver, version: str, kind: str, since: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    base: dict[str, Any] = {
        "payment_intents": {"amount": 700, "currency": "usd"},
        "setup_intents": {},
        "checkout.sessions": {
            "mode": "payment",
            "success_url": "https://shop.example/ok",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 700,
                        "product_data": {"name": "Mug"},
                    },
                    "quantity": 1,
                }
            ],
        },
    }[kind]
    stored = {"checkout.sessions": "checkout.session"}.get(kind, kind[:-1])
    if version < since:
        # Stripe has the parameter here from a later version only.
        with pytest.raises(stripe.InvalidRequestError) as info:
            sdk.create(kind, **base, excluded_payment_method_types=["ideal"])
        assert "Received unknown parameter: excluded_payment_method_types" in str(
            info.value.user_message
        )
        assert not sdk.fake.objects(stored)
        return
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.create(kind, **base, excluded_payment_method_types=["ideal", "card"])
    assert info.value.param == "excluded_payment_method_types[1]"
    assert "does not emulate payments without cards" in str(info.value.user_message)
    assert not sdk.fake.objects(stored)
    made = sdk.create(kind, **base, excluded_payment_method_types=["ideal"])
    assert made.excluded_payment_method_types == ["ideal"]
    assert made.payment_method_types == ["card"]


def test_the_same_names_are_judged_anew_at_each_version(
    sdk: Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fake remembers request shapes it has let through; one accepted at basil must still
    # be refused at 2023-08-16, before and after, and nothing is made by a refused one.
    params: dict[str, Any] = {
        "amount": 700,
        "currency": "usd",
        "excluded_payment_method_types": ["ideal"],
    }
    for version in [BASIL, APM, BASIL, APM]:
        pinned = sdk.at(version, monkeypatch)
        before = len(sdk.fake.objects("payment_intent"))
        if version == APM:
            with pytest.raises(stripe.InvalidRequestError) as info:
                pinned.create("payment_intents", **params)
            assert info.value.param == "excluded_payment_method_types"
            assert len(sdk.fake.objects("payment_intent")) == before
        else:
            made = pinned.create("payment_intents", **params)
            assert made.excluded_payment_method_types == ["ideal"]


@pytest.mark.parametrize("kind", ["payment_intents", "setup_intents"])
def test_update_and_confirm_replace_the_excluded_types(
    sdk: Driver, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(ENDIVE, monkeypatch)
    amount = {"amount": 700, "currency": "usd"} if kind == "payment_intents" else {}
    intent = sdk.create(kind, **amount, excluded_payment_method_types=["ideal"])
    updated = sdk.update(kind, intent.id, excluded_payment_method_types=["ideal", "klarna"])
    assert updated.excluded_payment_method_types == ["ideal", "klarna"]
    with pytest.raises(stripe.InvalidRequestError) as info:
        sdk.update(kind, intent.id, excluded_payment_method_types=["card"])
    assert info.value.param == "excluded_payment_method_types[0]"
    assert sdk.retrieve(kind, intent.id).excluded_payment_method_types == ["ideal", "klarna"]
    if kind == "payment_intents":
        done = sdk.action(
            kind,
            "confirm",
            intent.id,
            payment_method="pm_card_visa",
            return_url="https://shop.example/back",
            excluded_payment_method_types=["sofort"],
        )
        assert done.status == "succeeded"
        assert done.excluded_payment_method_types == ["sofort"]


@pytest.mark.parametrize("version", [OLD, ENDIVE])
def test_an_invoice_preview_refuses_another_issuer(
    sdk: Driver, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    sub = _subscription(sdk)
    params = {"customer": sub.customer, "subscription": sub.id}

    def preview(**extra: Any) -> Any:
        if sdk.client is None:
            return stripe.Invoice.create_preview(**params, **extra)
        return sdk.client.v1.invoices.create_preview(params={**params, **extra})

    with pytest.raises(stripe.InvalidRequestError) as info:
        preview(issuer={"type": "account", "account": "acct_123"})
    assert info.value.param == "issuer[type]"
    assert "does not emulate Connect" in str(info.value.user_message)
    assert preview(issuer={"type": "self"}).total == 2000
