"""Search endpoints through the real SDK: Stripe's query language, pages, refusals."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from mockkit.stripe import StripeFake, StripeServer
from tests.stripe.driver import CARD, Driver


def _customers(sdk: Driver, n: int = 12) -> list[Any]:
    return [
        sdk.create(
            "customers",
            email=f"member{i}@example.com",
            name=f"Member {i}",
            metadata={"tier": "gold" if i % 3 == 0 else "free"},
        )
        for i in range(n)
    ]


def test_exact_match_on_email_ignores_case(sdk: Driver) -> None:
    made = _customers(sdk)
    found = sdk.search("customers", query="email:'MEMBER4@example.com'")
    assert found.object == "search_result" and found.url == "/v1/customers/search"
    assert [c.id for c in found.data] == [made[4].id]
    assert found.has_more is False and found.next_page is None


def test_metadata_and_substring_clauses_newest_first(sdk: Driver) -> None:
    made = _customers(sdk)
    found = sdk.search("customers", query="metadata['tier']:'gold' AND name~'ember'")
    assert [c.id for c in found.data] == [made[i].id for i in (9, 6, 3, 0)]
    either = sdk.search("customers", query='email:"member1@example.com" OR name:"Member 2"')
    assert {c.id for c in either.data} == {made[1].id, made[2].id}
    negated = sdk.search("customers", query="-metadata['tier']:'gold'")
    assert len(negated.data) == 8


def test_pages_follow_next_page_to_the_end(sdk: Driver) -> None:
    made = _customers(sdk, 11)
    seen: list[str] = []
    page = sdk.search("customers", query="name~'Member'", limit=4)
    while True:
        seen += [c.id for c in page.data]
        if not page.has_more:
            break
        page = sdk.search("customers", query="name~'Member'", limit=4, page=page.next_page)
    assert seen == [c.id for c in reversed(made)]


def test_auto_paging_and_total_count(fake: StripeFake) -> None:
    for i in range(7):
        stripe.Customer.create(email=f"p{i}@example.com", metadata={"batch": "a"})
    stripe.Customer.create(email="other@example.com", metadata={"batch": "b"})
    pages = stripe.Customer.search(query="metadata['batch']:'a'", limit=2)
    assert len(list(pages.auto_paging_iter())) == 7
    counted = stripe.Customer.search(query="metadata['batch']:'a'", expand=["total_count"])
    assert counted.to_dict()["total_count"] == 7


def test_numbers_booleans_and_nested_fields(sdk: Driver) -> None:
    paid = sdk.create(
        "payment_intents", amount=4200, currency="usd", confirm=True,
        payment_method="pm_card_visa", metadata={"order": "7"}, **CARD,
    )  # fmt: skip
    sdk.create("payment_intents", amount=800, currency="eur", **CARD)
    found = sdk.search("payment_intents", query="amount>=1000 AND status:'succeeded'")
    assert [p.id for p in found.data] == [paid.id]
    assert len(sdk.search("payment_intents", query="-currency:'usd'").data) == 1
    charges = sdk.search(
        "charges",
        query="payment_method_details.card.last4:'4242' AND refunded:false AND amount:4200",
    )
    assert [c.payment_intent for c in charges.data] == [paid.id]
    assert sdk.search("charges", query="metadata['order']:'7'").data
    assert sdk.search("charges", query="metadata['coupon']:null").data


def test_prices_products_and_subscriptions(sdk: Driver) -> None:
    product = sdk.create("products", name="Pro plan", description="Monthly membership")
    price = sdk.create(
        "prices", product=product.id, unit_amount=900, currency="usd",
        recurring={"interval": "month"}, lookup_key="pro_monthly",
    )  # fmt: skip
    assert [p.id for p in sdk.search("prices", query="lookup_key:'pro_monthly'").data] == [price.id]
    assert [p.id for p in sdk.search("products", query="description~'member'").data] == [product.id]
    customer = sdk.create("customers", payment_method="pm_card_visa")
    pm = sdk.list("payment_methods", customer=customer.id).data[0]
    sub = sdk.create(
        "subscriptions", customer=customer.id, items=[{"price": price.id}],
        default_payment_method=pm.id, metadata={"seat": "1"},
    )  # fmt: skip
    assert [s.id for s in sdk.search("subscriptions", query="status:'active'").data] == [sub.id]
    invoices = sdk.search("invoices", query=f"subscription:'{sub.id}' AND total:900")
    assert [i.id for i in invoices.data] == [sub.latest_invoice]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("nickname:'x'", "unsupported search field for resource `customers`"),
        ("email:bare", "must be quoted"),
        ("email~'ab'", "at least 3 characters"),
        ("email:'a' OR name:'b' AND phone:'c'", "AND and OR cannot be combined"),
        ("created>soon", "not a number"),
        ("email>'a'", "does not support the `>` operator"),
        ("email:'a' (", "unable to parse"),
    ],
)
def test_bad_queries_are_stripes_400_naming_query(sdk: Driver, query: str, says: str) -> None:
    _customers(sdk, 1)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.search("customers", query=query)
    assert refused.value.http_status == 400 and refused.value.param == "query"
    assert says in str(refused.value.user_message)


def test_a_forged_page_token_is_refused(sdk: Driver) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.search("customers", query="email:'a@b.co'", page="not-a-token")
    assert refused.value.param == "page"


def test_missing_query_and_unknown_search_paths(mockkit_stripe_server: StripeServer) -> None:
    key = {"Authorization": "Bearer sk_test_mockkit"}
    missing = requests.get(f"{mockkit_stripe_server.url}/v1/customers/search", headers=key)
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "query"
    # Refunds have no search on Stripe: an unknown URL, not the refund called "search".
    unknown = requests.get(f"{mockkit_stripe_server.url}/v1/refunds/search?query=x", headers=key)
    assert unknown.status_code == 404
    assert "Unrecognized request URL" in unknown.json()["error"]["message"]
