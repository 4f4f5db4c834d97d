"""The customer portal page under hostile input and at once from many clients.

- Random and forged form posts (any action, subscription, price, card, reason, extra fields,
  on live, unknown and foreign sessions): always an HTML 2xx, 3xx or 4xx, never a 5xx; a
  refused post (a 4xx other than a decline's 402) stores nothing and emits nothing; a decline
  records only what Stripe records (the failed SetupIntent and its card).
- One subscription canceled from the portal page by many clients at once, on the served
  fake: applied once, its event emitted once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.stripe import StripeFake, StripeServer
from mockkit.stripe.checkout_page import PAGE_CARDS
from tests.reliability.concurrency import run_together
from tests.reliability.fuzzing import FUZZ, Tally

KEY = "sk_test_portal_hostile"
CLIENTS = 16
#: Forged posts per run: each is a real HTTP request through `requests` (in-process).
EXAMPLES = 300


def _stores(fake: StripeFake, leave: tuple[str, ...] = ()) -> str:
    return json.dumps(
        {k: dict(v.by_id) for k, v in fake.state.stores.items() if k not in leave},
        sort_keys=True,
        default=str,
    )


def _member(**params: Any) -> tuple[Any, Any]:
    customer = stripe.Customer.create(
        email="member@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    price = stripe.Price.create(
        product_data={"name": "Gold"},
        unit_amount=2000,
        currency="usd",
        recurring={"interval": "month"},
    )
    sub = stripe.Subscription.create(customer=customer.id, items=[{"price": price.id}], **params)
    return customer, sub


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """An in-process fake with two members and a portal session of the first one."""
    monkeypatch.setattr(stripe, "api_key", KEY)
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake() as fake:
        now = fake.state.now()
        fake.clock = lambda: now  # the session never expires during the run
        customer, sub = _member()
        other, foreign = _member()
        price = sub["items"].data[0].price
        dearer = stripe.Price.create(
            product=price.product, unit_amount=5000, currency="usd",
            recurring={"interval": "month"},
        )  # fmt: skip
        config = stripe.billing_portal.Configuration.create(
            features={
                "invoice_history": {"enabled": True},
                "payment_method_update": {"enabled": True},
                "subscription_cancel": {
                    "enabled": True,
                    "mode": "at_period_end",
                    "cancellation_reason": {"enabled": True, "options": ["unused", "other"]},
                },
                "subscription_update": {
                    "enabled": True,
                    "default_allowed_updates": ["price"],
                    "proration_behavior": "create_prorations",
                    "products": [{"product": price.product, "prices": [price.id, dearer.id]}],
                },
            }
        )
        session = stripe.billing_portal.Session.create(
            customer=customer.id, configuration=config.id
        )
        foreign_session = stripe.billing_portal.Session.create(customer=other.id)
        yield {
            "fake": fake,
            "url": session.url,
            "foreign_url": foreign_session.url,
            "subs": [sub.id, foreign.id, "sub_nope", "", "' OR 1=1", "<script>"],
            "prices": [price.id, dearer.id, "price_nope", ""],
        }


_JUNK = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)


@pytest.mark.fuzz
@settings(FUZZ, max_examples=EXAMPLES)
@given(data=st.data())
def test_forged_portal_posts_never_5xx_and_refusals_change_nothing(
    portal: dict[str, Any], data: st.DataObject, tally: Tally
) -> None:
    fake: StripeFake = portal["fake"]
    url = data.draw(
        st.sampled_from(
            [portal["url"]] * 6
            + [portal["foreign_url"], "https://billing.stripe.com/p/session/test_nope",
               "https://billing.stripe.com/p/session/", "https://billing.stripe.com/p/x/y/z"]
        )
    )  # fmt: skip
    form = data.draw(
        st.fixed_dictionaries(
            {"action": st.sampled_from(["cancel", "switch", "card", "", "refund"]) | _JUNK},
            optional={
                "subscription": st.sampled_from(portal["subs"]) | _JUNK,
                "price": st.sampled_from(portal["prices"]) | _JUNK,
                "card": st.sampled_from([*PAGE_CARDS, "pm_card_nope", "4242"]) | _JUNK,
                "reason": st.sampled_from(["unused", "other", "too_expensive", ""]) | _JUNK,
                "extra": _JUNK,
            },
        )
    )
    method = data.draw(st.sampled_from(["POST"] * 8 + ["GET", "PUT", "DELETE"]))
    kept = ("setup_intent", "payment_method", "event")
    before, partial, events = _stores(fake), _stores(fake, kept), len(fake.events)
    answer = requests.request(method, url, data=form, allow_redirects=False, timeout=10)
    tally.add("stripe billing portal: forged form posts")
    assert answer.status_code < 500, (method, url, form, answer.text[:500])
    if answer.status_code != 303:
        assert "text/html" in answer.headers.get("Content-Type", "")
    if answer.status_code == 402:
        # A decline: Stripe keeps the failed SetupIntent (and the card it tried), no more.
        assert _stores(fake, kept) == partial, (url, form)
        kinds = {e["type"] for e in fake.events[events:]}
        assert kinds <= {"setup_intent.created", "setup_intent.setup_failed"}, kinds
    elif answer.status_code >= 400 or method == "GET":
        assert _stores(fake) == before, (method, url, form)
        assert len(fake.events) == events
    ids = [e["id"] for e in fake.events]
    assert len(ids) == len(set(ids))


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeServer]:
    """A served fake with its clock stopped, the SDK pointed at it."""
    fake = StripeFake(KEY)
    now = fake.state.now()
    fake.clock = lambda: now
    with fake.serve() as server:
        monkeypatch.setattr(stripe, "api_key", KEY)
        monkeypatch.setattr(stripe, "api_base", server.url)
        yield server


@pytest.mark.concurrency
@pytest.mark.parametrize("mode", ["at_period_end", "immediately"])
def test_one_subscription_canceled_from_the_portal_by_many_clients(
    served: StripeServer, mode: str, tally: Tally
) -> None:
    customer, sub = _member()
    config = stripe.billing_portal.Configuration.create(
        features={"subscription_cancel": {"enabled": True, "mode": mode}}
    )
    session = stripe.billing_portal.Session.create(customer=customer.id, configuration=config.id)
    assert requests.get(session.url, timeout=10).status_code == 200
    since = len(served.fake.events)

    def cancel(i: int) -> int:
        with requests.Session() as browser:  # each client its own connection
            answer = browser.post(
                session.url,
                data={"action": "cancel", "subscription": sub.id},
                allow_redirects=False,
                timeout=30,
            )
        return answer.status_code

    statuses = run_together(CLIENTS, cancel)
    tally.add("stripe billing portal: one subscription canceled by many clients at once", CLIENTS)
    assert sorted(statuses) == [303] + [409] * (CLIENTS - 1), statuses
    kinds = [e["type"] for e in served.fake.events[since:]]
    expected = (
        "customer.subscription.deleted"
        if mode == "immediately"
        else ("customer.subscription.updated")
    )
    assert kinds.count(expected) == 1, kinds
    got = stripe.Subscription.retrieve(sub.id)
    assert (got.status == "canceled") == (mode == "immediately")
    assert got.cancel_at_period_end == (mode == "at_period_end")
    ids = [e["id"] for e in served.fake.events]
    assert len(ids) == len(set(ids))
