"""The customer portal's actions: in-process (`fake.portal_*`) and on its page, like the API.

Set up through stripe-python; the page is driven over HTTP as a browser would (GET the
session's `url`, POST its forms), in-process (`billing.stripe.com` answered by the fake) and
served (the session's `url` on the server).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
import stripe

from mockkit.stripe import PortalError, StripeFake
from mockkit.stripe.cards import CARDS
from mockkit.stripe.objects import API_VERSION
from tests.stripe.billing_helpers import DAY, T0, freeze, member, types
from tests.stripe.driver import Driver

#: These tests assert the current API version's shapes (see `conftest.py`).
STRIPE_VERSION = API_VERSION

RETURN = "https://shop.example/account"


def snapshot(fake: StripeFake) -> str:
    """Every stored object and event, as JSON (what a refused action must leave as it was)."""
    stores = {kind: dict(store.by_id) for kind, store in fake.state.stores.items()}
    return json.dumps(stores, sort_keys=True, default=str)


def plans_config(sdk: Driver, plan: Any, **features: Any) -> tuple[Any, Any]:
    """A configuration offering `plan` and a dearer price of its product: (config, dearer)."""
    dearer = sdk.create(
        "prices", product=plan.product, unit_amount=5000, currency="usd",
        recurring={"interval": "month"},
    )  # fmt: skip
    config = sdk.create(
        "billing_portal.configurations",
        features={
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True},
            "subscription_cancel": {"enabled": True},
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price"],
                "proration_behavior": "always_invoice",
                "products": [{"product": plan.product, "prices": [plan.id, dearer.id]}],
            },
            **features,
        },
    )
    return config, dearer


# ---- in-process actions -----------------------------------------------------------------------


def test_cancel_at_period_end_is_the_api_call(sdk: Driver) -> None:
    freeze(sdk.fake)
    cus, _plan, sub = member(sdk)
    _, _, twin = member(sdk)
    session = sdk.create("billing_portal.sessions", customer=cus.id, return_url=RETURN)
    since = len(sdk.fake.events)
    done = sdk.fake.portal_cancel(session.id, sub.id)
    portal_events = types(sdk.fake, since)
    since = len(sdk.fake.events)
    api = sdk.update("subscriptions", twin.id, cancel_at_period_end=True)
    assert portal_events == types(sdk.fake, since) == ["customer.subscription.updated"]
    assert done["cancel_at_period_end"] is True and done["status"] == "active"
    assert done["cancel_at"] == api.cancel_at == api["items"].data[0].current_period_end
    got = sdk.retrieve("subscriptions", sub.id)
    assert got.cancel_at_period_end is True
    # At the period end it ends, as any subscription set to cancel does.
    sdk.fake.advance(32 * DAY)
    assert sdk.retrieve("subscriptions", sub.id).status == "canceled"


def test_cancel_immediately_with_prorations_credits_the_unused_time(sdk: Driver) -> None:
    freeze(sdk.fake)
    cus, plan, sub = member(sdk, 3000)
    config, _ = plans_config(
        sdk,
        plan,
        subscription_cancel={
            "enabled": True,
            "mode": "immediately",
            "proration_behavior": "create_prorations",
            "cancellation_reason": {"enabled": True, "options": ["too_expensive", "unused"]},
        },
    )
    sdk.fake.advance(10 * DAY)
    session = sdk.create("billing_portal.sessions", customer=cus.id, configuration=config.id)
    since = len(sdk.fake.events)
    done = sdk.fake.portal_cancel(session.id, sub.id, reason="too_expensive")
    assert done["status"] == "canceled"
    assert done["cancellation_details"]["feedback"] == "too_expensive"
    kinds = types(sdk.fake, since)
    assert "customer.subscription.deleted" in kinds
    # The unused 18 of 28 days (31 Jan to 28 Feb), to the cent, is the customer's credit.
    start, end = sub["items"].data[0].current_period_start, sub["items"].data[0].current_period_end
    assert (start, end) == (T0, T0 + 28 * DAY)
    unused = round(3000 * 18 / 28)
    assert sdk.retrieve("customers", cus.id).balance == -unused


def test_switch_plan_is_the_api_call_with_the_configurations_proration(sdk: Driver) -> None:
    freeze(sdk.fake)
    cus, plan, sub = member(sdk)
    twin_customer = sdk.create(
        "customers",
        email="twin@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    twin = sdk.create("subscriptions", customer=twin_customer.id, items=[{"price": plan.id}])
    config, dearer = plans_config(sdk, plan)
    sdk.fake.advance(7 * DAY)
    session = sdk.create("billing_portal.sessions", customer=cus.id, configuration=config.id)
    since = len(sdk.fake.events)
    done = sdk.fake.portal_switch_plan(session.id, sub.id, dearer.id)
    portal_events = types(sdk.fake, since)
    since = len(sdk.fake.events)
    api = sdk.update(
        "subscriptions",
        twin.id,
        items=[{"id": twin["items"].data[0].id, "price": dearer.id}],
        proration_behavior="always_invoice",
    )
    assert portal_events == types(sdk.fake, since)
    assert "invoice.paid" in portal_events  # always_invoice: the difference is charged now
    assert done["items"]["data"][0]["price"]["id"] == dearer.id
    mine = sdk.retrieve("invoices", done["latest_invoice"])
    theirs = sdk.retrieve("invoices", api.latest_invoice)
    assert mine.billing_reason == theirs.billing_reason == "subscription_update"
    # 21 of 28 days left: 3000 more for them, to the cent, as the API computes it.
    assert mine.amount_paid == theirs.amount_paid == round(5000 * 21 / 28) - round(2000 * 21 / 28)


def test_update_card_sets_the_customer_and_subscription_default(sdk: Driver) -> None:
    cus, _plan, sub = member(sdk)
    sdk.update(
        "subscriptions", sub.id, default_payment_method=cus.invoice_settings.default_payment_method
    )
    session = sdk.create("billing_portal.sessions", customer=cus.id)
    since = len(sdk.fake.events)
    done = sdk.fake.portal_update_card(session.id, "pm_card_mastercard")
    new_pm = done["invoice_settings"]["default_payment_method"]
    assert new_pm != cus.invoice_settings.default_payment_method
    assert sdk.retrieve("payment_methods", new_pm).card.brand == "mastercard"
    assert sdk.retrieve("subscriptions", sub.id).default_payment_method == new_pm
    kinds = types(sdk.fake, since)
    for kind in (
        "setup_intent.created",
        "payment_method.attached",
        "setup_intent.succeeded",
        "customer.updated",
        "customer.subscription.updated",
    ):
        assert kind in kinds


def test_a_declined_card_is_shown_and_changes_no_default(sdk: Driver) -> None:
    cus, _, _ = member(sdk)
    session = sdk.create("billing_portal.sessions", customer=cus.id)
    with pytest.raises(PortalError, match="Your card was declined"):
        sdk.fake.portal_update_card(session.id, "pm_card_chargeDeclined")
    got = sdk.retrieve("customers", cus.id)
    assert (
        got.invoice_settings.default_payment_method == cus.invoice_settings.default_payment_method
    )
    # As on Stripe, the failed SetupIntent stays.
    assert sdk.fake.events[-1]["type"] == "setup_intent.setup_failed"


def test_refused_actions_change_nothing(sdk: Driver) -> None:
    freeze(sdk.fake)
    cus, plan, sub = member(sdk)
    _other, _, foreign = member(sdk)
    config, dearer = plans_config(sdk, plan)
    stranger = sdk.create(
        "prices", product_data={"name": "Other"}, unit_amount=100, currency="usd",
        recurring={"interval": "month"},
    )  # fmt: skip
    session = sdk.create("billing_portal.sessions", customer=cus.id, configuration=config.id)
    default = sdk.create("billing_portal.sessions", customer=cus.id)
    cases = [
        lambda: sdk.fake.portal_cancel("bps_nope", sub.id),
        lambda: sdk.fake.portal_cancel(session.id, foreign.id),
        lambda: sdk.fake.portal_cancel(session.id, "sub_nope"),
        lambda: sdk.fake.portal_cancel(session.id, sub.id, reason="unused"),
        lambda: sdk.fake.portal_switch_plan(session.id, sub.id, "price_nope"),
        lambda: sdk.fake.portal_switch_plan(session.id, sub.id, stranger.id),
        lambda: sdk.fake.portal_switch_plan(session.id, sub.id, plan.id),
        lambda: sdk.fake.portal_switch_plan(default.id, sub.id, dearer.id),
        lambda: sdk.fake.portal_update_card(session.id, "pm_nope"),
    ]
    sdk.fake.portal_cancel(session.id, sub.id)  # now set to cancel: a second time is refused
    cases.append(lambda: sdk.fake.portal_cancel(session.id, sub.id))
    before, count = snapshot(sdk.fake), len(sdk.fake.events)
    for case in cases:
        with pytest.raises(PortalError):
            case()
        assert snapshot(sdk.fake) == before
        assert len(sdk.fake.events) == count


def test_sessions_expire(sdk: Driver) -> None:
    freeze(sdk.fake)
    cus, _, sub = member(sdk)
    late = sdk.create("billing_portal.sessions", customer=cus.id)
    used = sdk.create("billing_portal.sessions", customer=cus.id)
    sdk.fake.portal_update_card(used.id, "pm_card_visa")  # the first visit
    sdk.fake.advance(301)
    with pytest.raises(PortalError, match="not opened within 5 minutes"):
        sdk.fake.portal_cancel(late.id, sub.id)
    sdk.fake.portal_update_card(used.id, "pm_card_mastercard")  # within its hour
    sdk.fake.advance(3600)
    with pytest.raises(PortalError, match="expired"):
        sdk.fake.portal_cancel(used.id, sub.id)
    assert sdk.retrieve("subscriptions", sub.id).cancel_at_period_end is False


def test_a_flow_session_acts_on_its_subscription_only_then_is_used_up(sdk: Driver) -> None:
    cus, plan, sub = member(sdk)
    second = sdk.create("subscriptions", customer=cus.id, items=[{"price": plan.id}])
    session = sdk.create(
        "billing_portal.sessions",
        customer=cus.id,
        flow_data={
            "type": "subscription_cancel",
            "subscription_cancel": {"subscription": sub.id},
            "after_completion": {"type": "redirect", "redirect": {"return_url": RETURN}},
        },
    )
    with pytest.raises(PortalError, match=f"for the subscription {sub.id} only"):
        sdk.fake.portal_cancel(session.id, second.id)
    with pytest.raises(PortalError, match="subscription cancel only"):
        sdk.fake.portal_update_card(session.id)
    sdk.fake.portal_cancel(session.id, sub.id)
    with pytest.raises(PortalError, match="flow is complete"):
        sdk.fake.portal_cancel(session.id, second.id)
    assert sdk.retrieve("subscriptions", second.id).cancel_at_period_end is False


# ---- the page ---------------------------------------------------------------------------------


def _form_post(url: str, **fields: str) -> requests.Response:
    return requests.post(url, data=fields, allow_redirects=False, timeout=10)


def test_the_page_shows_the_portal_and_cancels(sdk: Driver) -> None:
    cus, plan, sub = member(sdk)
    config, dearer = plans_config(sdk, plan)
    session = sdk.create(
        "billing_portal.sessions", customer=cus.id, configuration=config.id, return_url=RETURN
    )
    shown = requests.get(session.url, timeout=10)
    assert shown.status_code == 200
    html = shown.text
    assert f"id=sub-{sub.id}" in html and "Gold: $20.00 / month" in html
    assert f"id=cancel-{sub.id}" in html and f'value="{dearer.id}"' in html
    assert "id=invoices" in html and "Visa" in html
    assert f'id=return href="{RETURN}"' in html
    since = len(sdk.fake.events)
    posted = _form_post(session.url, action="cancel", subscription=sub.id)
    assert posted.status_code == 303
    assert posted.headers["Location"].endswith("?notice=cancels")
    assert types(sdk.fake, since) == ["customer.subscription.updated"]
    assert sdk.retrieve("subscriptions", sub.id).cancel_at_period_end is True
    location = posted.headers["Location"]
    back = requests.get(
        re.sub(r"^.*(/p/session/)", session.url.split("/p/session/")[0] + r"\1", location),
        timeout=10,
    )
    assert "will be canceled at the end of the billing period" in back.text
    assert f"id=cancel-{sub.id}" not in back.text and "cancels on" in back.text


def test_the_page_switches_plan_and_card(sdk: Driver) -> None:
    cus, plan, sub = member(sdk)
    config, dearer = plans_config(sdk, plan)
    session = sdk.create("billing_portal.sessions", customer=cus.id, configuration=config.id)
    assert (
        _form_post(session.url, action="switch", subscription=sub.id, price=dearer.id).status_code
        == 303
    )
    assert sdk.retrieve("subscriptions", sub.id)["items"].data[0].price.id == dearer.id
    declined = _form_post(session.url, action="card", card="pm_card_chargeDeclined")
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert _form_post(session.url, action="card", card="pm_card_amex").status_code == 303
    page = requests.get(session.url, timeout=10).text
    assert f"id=current-card>amex &bull;&bull;&bull;&bull; {CARDS['pm_card_amex'].last4}" in page


def test_flow_after_completion_redirects_or_confirms(sdk: Driver) -> None:
    cus, _plan, sub = member(sdk)
    redirect = sdk.create(
        "billing_portal.sessions",
        customer=cus.id,
        flow_data={
            "type": "payment_method_update",
            "after_completion": {"type": "redirect", "redirect": {"return_url": RETURN + "?ok=1"}},
        },
    )
    page = requests.get(redirect.url, timeout=10).text
    assert "id=update-card" in page and "id=subscriptions" not in page
    done = _form_post(redirect.url, action="card", card="pm_card_visa")
    assert (done.status_code, done.headers["Location"]) == (303, RETURN + "?ok=1")
    confirm = sdk.create(
        "billing_portal.sessions",
        customer=cus.id,
        return_url=RETURN,
        flow_data={
            "type": "subscription_cancel",
            "subscription_cancel": {"subscription": sub.id},
            "after_completion": {
                "type": "hosted_confirmation",
                "hosted_confirmation": {"custom_message": "See you soon"},
            },
        },
    )
    done = _form_post(confirm.url, action="cancel", subscription=sub.id)
    assert done.status_code == 200 and "See you soon" in done.text and RETURN in done.text


def test_bad_input_on_the_page_is_a_4xx_and_changes_nothing(sdk: Driver) -> None:
    freeze(sdk.fake)
    cus, plan, sub = member(sdk)
    _, _, foreign = member(sdk)
    config, dearer = plans_config(sdk, plan)
    session = sdk.create("billing_portal.sessions", customer=cus.id, configuration=config.id)
    base = session.url.split("/p/session/")[0]
    assert requests.get(session.url, timeout=10).status_code == 200
    before, count = snapshot(sdk.fake), len(sdk.fake.events)
    cases: list[tuple[str, str, dict[str, str], int]] = [
        ("GET", base + "/p/session/test_nope", {}, 404),
        ("POST", base + "/p/session/test_nope", {"action": "cancel"}, 404),
        ("GET", base + "/p/nothing", {}, 404),
        ("POST", session.url, {}, 400),
        ("POST", session.url, {"action": "explode"}, 400),
        ("POST", session.url, {"action": "cancel", "subscription": foreign.id}, 404),
        ("POST", session.url, {"action": "cancel", "subscription": "sub_' <x>"}, 404),
        ("POST", session.url, {"action": "cancel", "subscription": sub.id, "reason": "x"}, 400),
        ("POST", session.url, {"action": "switch", "subscription": sub.id, "price": "nope"}, 404),
        ("POST", session.url, {"action": "switch", "subscription": sub.id, "price": plan.id}, 409),
        ("POST", session.url, {"action": "switch", "subscription": foreign.id,
                               "price": dearer.id}, 404),
        ("POST", session.url, {"action": "card", "card": "pm_card_nope"}, 400),
        ("POST", session.url, {"action": "card", "card": "4242424242424242"}, 400),
    ]  # fmt: skip
    for method, url, data, status in cases:
        answer = requests.request(method, url, data=data, allow_redirects=False, timeout=10)
        assert answer.status_code == status, (method, url, data, answer.text[:300])
        assert "text/html" in answer.headers["Content-Type"]
        assert snapshot(sdk.fake) == before, data
        assert len(sdk.fake.events) == count
    sdk.fake.advance(3601)
    expired = requests.get(session.url, timeout=10)
    assert expired.status_code == 410 and "expired" in expired.text


def test_the_served_session_url_points_at_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe, "api_key", "sk_test_portal")
    with StripeFake() as fake, fake.serve() as server:
        client = stripe.StripeClient("sk_test_portal", base_addresses={"api": server.url})
        cus = client.v1.customers.create(params={"email": "member@example.com"})
        session = client.v1.billing_portal.sessions.create(params={"customer": cus.id})
        assert session.url.startswith(server.url + "/p/session/test_")
        assert requests.get(session.url, timeout=10).status_code == 200
        in_process = stripe.billing_portal.Session.create(customer=cus.id)
        assert in_process.url.startswith("https://billing.stripe.com/p/session/test_")
        assert requests.get(in_process.url, timeout=10).status_code == 200
