"""The customer portal API through the real SDK: configurations and sessions, errors, events."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from mockkit.stripe import StripeFake
from mockkit.stripe.objects import API_VERSION
from tests.stripe.billing_helpers import freeze, member, types
from tests.stripe.driver import Driver

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION

RETURN = "https://shop.example/account"


# ---- configurations ---------------------------------------------------------------------------


def test_the_account_starts_with_the_dashboards_default_configuration(sdk: Driver) -> None:
    page = sdk.list("billing_portal.configurations")
    assert len(page.data) == 1
    default = page.data[0]
    assert default.id.startswith("bpc_") and default.object == "billing_portal.configuration"
    assert default.is_default is True and default.active is True and default.livemode is False
    features = default.features
    assert features.invoice_history.enabled is True
    assert features.payment_method_update.enabled is True
    assert features.subscription_cancel.enabled is True
    assert features.subscription_cancel.mode == "at_period_end"
    assert features.subscription_update.enabled is False
    # Saved before the test began: no event tells of it.
    assert sdk.fake.events == []


def test_configuration_lifecycle(sdk: Driver) -> None:
    plan = sdk.create(
        "prices",
        product_data={"name": "Gold"},
        unit_amount=2000,
        currency="usd",
        recurring={"interval": "month"},
    )
    other = sdk.create(
        "prices", product=plan.product, unit_amount=5000, currency="usd",
        recurring={"interval": "month"},
    )  # fmt: skip
    created = sdk.create(
        "billing_portal.configurations",
        business_profile={"headline": "Shop billing", "privacy_policy_url": "https://x.example/p"},
        default_return_url=RETURN,
        features={
            "invoice_history": {"enabled": True},
            "subscription_cancel": {
                "enabled": True,
                "mode": "immediately",
                "proration_behavior": "create_prorations",
            },
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price"],
                "proration_behavior": "always_invoice",
                "products": [{"product": plan.product, "prices": [plan.id, other.id]}],
            },
        },
        metadata={"team": "billing"},
        name="Members",
    )
    assert created.id.startswith("bpc_") and created.is_default is False
    assert created.business_profile.headline == "Shop billing"
    assert created.default_return_url == RETURN and created.name == "Members"
    assert created.features.payment_method_update.enabled is False
    update = created.features.subscription_update
    assert update.products[0].prices == [plan.id, other.id]
    assert update.proration_behavior == "always_invoice"
    assert created.metadata.to_dict() == {"team": "billing"}

    got = sdk.retrieve("billing_portal.configurations", created.id)
    assert got.to_dict() == created.to_dict()

    changed = sdk.update(
        "billing_portal.configurations",
        created.id,
        features={"subscription_cancel": {"mode": "at_period_end", "proration_behavior": "none"}},
        active=False,
    )
    assert changed.active is False
    assert changed.features.subscription_cancel.mode == "at_period_end"
    # Features not named keep their settings.
    assert changed.features.subscription_update.products[0].prices == [plan.id, other.id]
    assert changed.features.invoice_history.enabled is True

    active = sdk.list("billing_portal.configurations", active=True)
    assert [c.id for c in active.data] == [got.id for got in active.data if got.is_default]
    defaults = sdk.list("billing_portal.configurations", is_default=False)
    assert [c.id for c in defaults.data] == [created.id]
    kinds = types(sdk.fake)
    assert kinds.count("billing_portal.configuration.created") == 1
    assert kinds.count("billing_portal.configuration.updated") == 1
    updated = sdk.fake.events_of("billing_portal.configuration.updated")[0]
    assert updated["data"]["previous_attributes"]["active"] is True
    assert "features" in updated["data"]["previous_attributes"]


@pytest.mark.parametrize(
    ("features", "param"),
    [
        ({"customer_update": {"enabled": True}}, "features[customer_update][enabled]"),
        ({"subscription_pause": {"enabled": True}}, "features[subscription_pause][enabled]"),
        (
            {"subscription_cancel": {"enabled": True, "proration_behavior": "always_invoice"}},
            "features[subscription_cancel][proration_behavior]",
        ),
        (
            {"subscription_cancel": {"enabled": True, "proration_behavior": "create_prorations"}},
            "features[subscription_cancel][proration_behavior]",
        ),
        (
            {"subscription_update": {"enabled": True, "default_allowed_updates": ["price"]}},
            "features[subscription_update][products]",
        ),
        (
            {
                "subscription_update": {
                    "enabled": True,
                    "default_allowed_updates": ["price"],
                    "products": [{"product": "prod_nope", "prices": ["price_nope"]}],
                }
            },
            "features[subscription_update][products][0][product]",
        ),
        (
            {
                "subscription_update": {
                    "enabled": False,
                    "default_allowed_updates": ["promotion_code"],
                }
            },
            "features[subscription_update][default_allowed_updates]",
        ),
        # The SDK sends nothing for an empty hash: the required `features` is missing.
        ({"invoice_history": {}}, "features"),
    ],
)
def test_refused_configurations_change_nothing(
    sdk: Driver, features: dict[str, Any], param: str
) -> None:
    before = dict(sdk.fake.objects("billing_portal.configuration"))
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.create("billing_portal.configurations", features=features)
    assert refused.value.param == param
    assert dict(sdk.fake.objects("billing_portal.configuration")) == before
    assert sdk.fake.events == []


def test_the_default_configuration_cannot_be_deactivated(sdk: Driver) -> None:
    default = sdk.list("billing_portal.configurations", is_default=True).data[0]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.update("billing_portal.configurations", default.id, active=False)
    assert refused.value.param == "active"
    assert sdk.retrieve("billing_portal.configurations", default.id).active is True


def test_unknown_configuration_is_a_404(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk.retrieve("billing_portal.configurations", "bpc_nope")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"


# ---- sessions ---------------------------------------------------------------------------------


def test_session_for_a_customer_uses_the_default_configuration(sdk: Driver) -> None:
    freeze(sdk.fake)
    cus = sdk.create("customers", email="member@example.com")
    since = len(sdk.fake.events)
    session = sdk.create("billing_portal.sessions", customer=cus.id, return_url=RETURN)
    default = sdk.list("billing_portal.configurations", is_default=True).data[0]
    assert session.id.startswith("bps_") and session.object == "billing_portal.session"
    assert session.customer == cus.id and session.configuration == default.id
    assert session.return_url == RETURN and session.flow is None and session.livemode is False
    assert session.created == sdk.fake.clock()
    if sdk.served:
        server_url = stripe.api_base if sdk.style == "module" else None
        assert "/p/session/test_" in session.url
        if server_url:
            assert session.url.startswith(server_url + "/p/session/test_")
    else:
        assert session.url.startswith("https://billing.stripe.com/p/session/test_")
    assert types(sdk.fake, since) == ["billing_portal.session.created"]
    event = sdk.fake.events[-1]
    assert event["data"]["object"]["id"] == session.id


def test_session_with_a_configuration_takes_its_default_return_url(sdk: Driver) -> None:
    cus = sdk.create("customers", email="member@example.com")
    config = sdk.create(
        "billing_portal.configurations",
        features={"invoice_history": {"enabled": True}},
        default_return_url=RETURN,
    )
    session = sdk.create(
        "billing_portal.sessions",
        customer=cus.id,
        configuration=config.id,
        locale="fr",
        expand=["configuration"],
    )
    assert session.configuration.id == config.id
    assert session.return_url == RETURN and session.locale == "fr"


def test_without_a_saved_default_a_session_needs_a_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stripe, "api_key", "sk_test_portal")
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake(billing_portal_default=False) as fake:
        assert stripe.billing_portal.Configuration.list().data == []
        cus = stripe.Customer.create(email="member@example.com")
        with pytest.raises(stripe.InvalidRequestError) as refused:
            stripe.billing_portal.Session.create(customer=cus.id, return_url=RETURN)
        assert refused.value.http_status == 400
        assert str(refused.value.user_message).startswith(
            "No configuration provided and your test mode default configuration has not been "
            "created. Provide a configuration or create your default by saving your customer "
            "portal settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal."
        )
        assert fake.objects("billing_portal.session") == {}
        # reset() keeps the choice.
        fake.reset()
        assert fake.objects("billing_portal.configuration") == {}
        config = stripe.billing_portal.Configuration.create(
            features={"invoice_history": {"enabled": True}}
        )
        cus = stripe.Customer.create(email="member@example.com")
        session = stripe.billing_portal.Session.create(customer=cus.id, configuration=config.id)
        assert session.configuration == config.id


def _refusals(cus: Any, sub: Any, plan: Any, inactive: str) -> list[tuple[dict[str, Any], str]]:
    return [
        ({}, "customer"),
        ({"customer": "cus_nope"}, "customer"),
        ({"customer": cus.id, "return_url": "javascript:alert(1)"}, "return_url"),
        ({"customer": cus.id, "configuration": "bpc_nope"}, "configuration"),
        ({"customer": cus.id, "configuration": inactive}, "configuration"),
        ({"customer": cus.id, "on_behalf_of": "acct_1"}, "on_behalf_of"),
        ({"customer": cus.id, "locale": "xx"}, "locale"),
        (
            {"customer": cus.id, "flow_data": {"type": "subscription_pause",
                                               "subscription_pause": {"subscription": sub.id}}},
            "flow_data[type]",
        ),
        (
            {"customer": cus.id, "flow_data": {"type": "subscription_cancel"}},
            "flow_data[subscription_cancel]",
        ),
        (
            {"customer": cus.id, "flow_data": {"type": "subscription_cancel",
                                               "subscription_cancel": {"subscription": "sub_x"}}},
            "flow_data[subscription_cancel][subscription]",
        ),
        (
            {"customer": cus.id, "flow_data": {
                "type": "subscription_cancel",
                "subscription_cancel": {"subscription": sub.id, "retention": {
                    "type": "coupon_offer", "coupon_offer": {"coupon": "X"}}}}},
            "flow_data[subscription_cancel][retention]",
        ),
        (
            {"customer": cus.id, "flow_data": {"type": "subscription_update",
                                               "subscription_update": {"subscription": sub.id}}},
            "flow_data[type]",
        ),
        (
            {"customer": cus.id, "flow_data": {
                "type": "payment_method_update",
                "after_completion": {"type": "redirect"}}},
            "flow_data[after_completion][redirect][return_url]",
        ),
        (
            {"customer": cus.id, "flow_data": {
                "type": "payment_method_update",
                "after_completion": {"type": "redirect", "redirect": {"return_url": "ftp://x"}}}},
            "flow_data[after_completion][redirect][return_url]",
        ),
    ]  # fmt: skip


def test_refused_sessions_store_nothing_and_emit_nothing(sdk: Driver) -> None:
    cus, plan, sub = member(sdk)
    inactive = sdk.create(
        "billing_portal.configurations", features={"invoice_history": {"enabled": True}}
    )
    sdk.update("billing_portal.configurations", inactive.id, active=False)
    other = sdk.create("customers", email="other@example.com")
    cases = _refusals(cus, sub, plan, inactive.id)
    cases.append(
        (
            {"customer": other.id, "flow_data": {"type": "subscription_cancel",
                                                 "subscription_cancel": {"subscription": sub.id}}},
            "flow_data[subscription_cancel][subscription]",
        )
    )  # fmt: skip
    since = len(sdk.fake.events)
    for params, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            sdk.create("billing_portal.sessions", **params)
        assert refused.value.param == param, (params, refused.value.user_message)
        assert refused.value.http_status == 400
    assert sdk.fake.objects("billing_portal.session") == {}
    assert len(sdk.fake.events) == since


def test_flows_the_fake_carries_out(sdk: Driver) -> None:
    cus, plan, sub = member(sdk)
    better = sdk.create(
        "prices", product=plan.product, unit_amount=5000, currency="usd",
        recurring={"interval": "month"},
    )  # fmt: skip
    config = sdk.create(
        "billing_portal.configurations",
        features={
            "payment_method_update": {"enabled": True},
            "subscription_cancel": {"enabled": True},
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price"],
                "products": [{"product": plan.product, "prices": [plan.id, better.id]}],
            },
        },
    )
    card = sdk.create(
        "billing_portal.sessions",
        customer=cus.id,
        flow_data={
            "type": "payment_method_update",
            "after_completion": {"type": "redirect", "redirect": {"return_url": RETURN}},
        },
    )
    assert card.flow.type == "payment_method_update"
    assert card.flow.after_completion.type == "redirect"
    assert card.flow.after_completion.redirect.return_url == RETURN
    assert card.flow.after_completion.hosted_confirmation is None
    cancel = sdk.create(
        "billing_portal.sessions",
        customer=cus.id,
        configuration=config.id,
        flow_data={
            "type": "subscription_cancel",
            "subscription_cancel": {"subscription": sub.id},
            "after_completion": {
                "type": "hosted_confirmation",
                "hosted_confirmation": {"custom_message": "Sorry to see you go"},
            },
        },
    )
    assert cancel.flow.subscription_cancel.subscription == sub.id
    assert cancel.flow.subscription_cancel.retention is None
    assert cancel.flow.after_completion.hosted_confirmation.custom_message == "Sorry to see you go"
    update = sdk.create(
        "billing_portal.sessions",
        customer=cus.id,
        configuration=config.id,
        flow_data={"type": "subscription_update", "subscription_update": {"subscription": sub.id}},
    )
    assert update.flow.subscription_update.subscription == sub.id
    assert update.flow.after_completion.type == "portal_homepage"
    item = sub["items"].data[0]
    confirm = sdk.create(
        "billing_portal.sessions",
        customer=cus.id,
        configuration=config.id,
        flow_data={
            "type": "subscription_update_confirm",
            "subscription_update_confirm": {
                "subscription": sub.id,
                "items": [{"id": item.id, "price": better.id}],
            },
        },
    )
    confirmed = confirm.flow.subscription_update_confirm
    assert confirmed.subscription == sub.id
    assert confirmed["items"][0].to_dict() == {"id": item.id, "price": better.id, "quantity": 1}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.create(
            "billing_portal.sessions",
            customer=cus.id,
            configuration=config.id,
            flow_data={
                "type": "subscription_update_confirm",
                "subscription_update_confirm": {
                    "subscription": sub.id,
                    "items": [{"id": item.id, "price": plan.id.replace("price_", "price_x")}],
                },
            },
        )
    assert refused.value.param == "flow_data[subscription_update_confirm][items][0][price]"
    assert types(sdk.fake).count("billing_portal.session.created") == 4
