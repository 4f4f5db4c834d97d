"""Fuzzing the Stripe fake's HTTP surface, in-process and served.

Whatever arrives (any method, path, query, body, header), the answer is what Stripe would
give a confused client: a 2xx JSON object, or a 4xx with Stripe's `{"error": {"type",
"message"}}` shape. Never a 5xx (the fake's last-resort 500 means a bug in the fake), never a
traceback, never a hang: every served request carries a client timeout.
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
from mockkit.stripe.routes import ROUTES
from tests.reliability.fuzzing import FUZZ, IN_PROCESS_EXAMPLES, SERVED_EXAMPLES, Tally
from tests.reliability.strategies import (
    METHODS,
    Call,
    broken_bodies,
    encode_pairs,
    form_pairs,
    nasty_text,
    paths,
    scalars,
    words,
)
from tests.stripe.driver import CARD

pytestmark = pytest.mark.fuzz

KEY = "sk_test_reliability"
TEMPLATES = sorted({r.template for r in ROUTES.all()})
#: Every parameter name some endpoint knows, so most keys pass the "unknown parameter" gate.
KNOWN = sorted({name for endpoint in ROUTES.endpoints() for name in endpoint.spec})

TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "mockkit fake failed")


def seed(fake: StripeFake) -> list[str]:
    """Objects of every kind, so fuzzed ids often name something that exists."""
    client = stripe.StripeClient(KEY, base_addresses={"api": "https://api.stripe.com"})
    with fake:
        customer = client.v1.customers.create(params={"email": "fuzz@example.com"})
        product = client.v1.products.create(params={"name": "Fuzz"})
        price = client.v1.prices.create(
            params={"currency": "usd", "unit_amount": 500, "product": product.id}
        )
        paid = client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "confirm": True,
                **CARD,
            }
        )
        open_pi = client.v1.payment_intents.create(params={"amount": 700, "currency": "eur"})
        session = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "https://shop.example/ok",
                "line_items": [{"price": price.id, "quantity": 1}],
            }
        )
    ids = [customer.id, product.id, price.id, paid.id, open_pi.id, session.id]
    ids += [str(paid.latest_charge), "pm_card_visa", fake.events[0]["id"]]
    return ids


FAKE = StripeFake(seed=7)
IDS = seed(FAKE)

auth_headers = st.one_of(
    st.just({"Authorization": f"Bearer {KEY}"}),
    st.sampled_from(
        [
            {},
            {"Authorization": "Bearer "},
            {"Authorization": "Bearer sk_live_123456789012345"},
            {"Authorization": "Bearer pk_test_abc"},
            {"Authorization": "Basic !!!notbase64"},
            {"Authorization": "Basic " + "c2tfdGVzdF94Og=="},  # sk_test_x:
            {"Authorization": "Basic /w=="},  # one byte, not UTF-8
            {"Authorization": "Token sk_test_abc"},
            {"Authorization": "Bearer " + "sk_test_" + "a" * 5000},
        ]
    ),
)
extra_headers = st.dictionaries(
    st.sampled_from(
        ["Idempotency-Key", "Stripe-Version", "Content-Type", "Stripe-Account", "Accept", "X-Odd"]
    ),
    st.one_of(
        words,
        st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
        st.sampled_from(
            [
                "application/json",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "x" * 4000,
            ]
        ),
    ),
    max_size=3,
)


def _body_for(method: str, known: list[str]) -> st.SearchStrategy[bytes]:
    if method not in ("POST", "PUT", "PATCH", "DELETE"):
        return st.just(b"")
    forms = st.builds(encode_pairs, form_pairs(known), st.booleans())
    if method == "DELETE":
        return st.one_of(st.just(b""), forms)
    return st.one_of(forms, forms, broken_bodies)


def _query_for(known: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.builds(lambda pairs: encode_pairs(pairs, False).decode(), form_pairs(known, 3)),
        nasty_text.map(lambda t: t.replace("#", "")),
    )


def _headers(method: str) -> st.SearchStrategy[dict[str, str]]:
    def merge(auth: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
        headers = {**auth, **extra}
        if method == "POST":
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return headers

    return st.builds(merge, auth_headers, extra_headers)


def _route_calls(method: str, template: str) -> st.SearchStrategy[Call]:
    """Requests aimed at one endpoint: its own parameter names, so validation runs deep."""
    found = ROUTES.match(method, template.replace("{id}", "x"))
    assert found is not None
    known = sorted(found[0].spec)
    return st.builds(
        Call,
        st.just(method),
        paths([template], IDS),
        _query_for(known) if method == "GET" else st.just(""),
        _body_for(method, known),
        _headers(method),
    )


def _chaos_calls() -> st.SearchStrategy[Call]:
    """Requests with any method on any path, hosted pages included."""
    every_path = st.one_of(
        paths(TEMPLATES, IDS),
        st.sampled_from(["/c/pay/" + IDS[5], "/c/pay/cs_nope", "/3d_secure_2/hosted/pi_x"]),
    )
    return st.one_of(
        [
            st.builds(
                Call, st.just(m), every_path, _query_for(KNOWN), _body_for(m, KNOWN), _headers(m)
            )
            for m in METHODS
        ]
    )


#: Three in four calls aim at a real endpoint with its own parameters; the rest is chaos.
stripe_calls = st.one_of(
    st.one_of([_route_calls(r.method, r.template) for r in ROUTES.all()]),
    st.one_of([_route_calls(r.method, r.template) for r in ROUTES.all()]),
    st.one_of([_route_calls(r.method, r.template) for r in ROUTES.all()]),
    _chaos_calls(),
)


def assert_stripe_shaped(call: Call, status: int, headers: Any, body: bytes) -> None:
    """The answer a user of the fake may rely on: provider-shaped, never a crash."""
    where = f"{call.method} {call.path}?{call.query[:80]} -> {status}: {body[:300]!r}"
    assert status < 500, where
    text = body.decode("utf-8", "replace")
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, where
    if call.method == "HEAD" or not body:
        assert status in (200, 204, 302, 303, 400, 401, 402, 404, 405, 409, 410), where
        return
    ctype = headers.get("Content-Type", "")
    if ctype.startswith("text/html"):
        # The served fake reads `//3d_secure_2/...` as `/3d_secure_2/...`, as HTTP servers do.
        path = "/" + call.path.lstrip("/")
        assert path.startswith(("/c/pay/", "/3d_secure_2/", "/p/")), where
        assert text.lstrip().lower().startswith("<!doctype html"), where
        return
    data = json.loads(body)
    if status >= 400:
        error = data["error"]
        assert isinstance(error["type"], str) and error["type"], where
        assert isinstance(error["message"], str) and error["message"], where
        assert headers.get("Request-Id", "").startswith("req_"), where
    else:
        assert isinstance(data, dict) and isinstance(data.get("object"), str), where


@pytest.fixture
def stripe_fake() -> Iterator[StripeFake]:
    """The module's seeded fake, active in-process (its state grows across examples)."""
    with FAKE:
        yield FAKE


def test_in_process_every_answer_is_stripe_shaped(stripe_fake: StripeFake, tally: Tally) -> None:
    session = requests.Session()

    @settings(FUZZ, max_examples=IN_PROCESS_EXAMPLES)
    @given(call=stripe_calls)
    def check(call: Call) -> None:
        tally.add("stripe in-process")
        response = session.request(
            call.method,
            call.url("https://api.stripe.com"),
            data=call.body,
            headers=call.headers,
            timeout=5,
            allow_redirects=False,
        )
        assert_stripe_shaped(call, response.status_code, response.headers, response.content)

    check()
    assert tally.counts["stripe in-process"] >= IN_PROCESS_EXAMPLES // 2
    assert not [r for r in stripe_fake.requests if (r.status or 0) >= 500]


@pytest.fixture(scope="module")
def served() -> Iterator[StripeServer]:
    """The same seeded fake, served on 127.0.0.1."""
    with FAKE.serve() as server:
        yield server


def test_served_every_answer_is_stripe_shaped(served: StripeServer, tally: Tally) -> None:
    session = requests.Session()

    @settings(FUZZ, max_examples=SERVED_EXAMPLES)
    @given(call=stripe_calls)
    def check(call: Call) -> None:
        tally.add("stripe served")
        response = session.request(
            call.method,
            call.url(served.url),
            data=call.body,
            headers=call.headers,
            timeout=5,
            allow_redirects=False,
        )
        assert_stripe_shaped(call, response.status_code, response.headers, response.content)

    check()
    # The server still answers a plain, valid call afterwards.
    client = stripe.StripeClient(KEY, base_addresses={"api": served.url}, max_network_retries=0)
    assert client.v1.customers.create(params={"email": "after@example.com"}).email == (
        "after@example.com"
    )


@FUZZ
@given(value=scalars, key=words)
def test_metadata_values_round_trip_or_are_refused(value: str, key: str) -> None:
    """A metadata value is stored exactly as sent, or refused with a 400 naming it."""
    fake = StripeFake()
    with fake:
        response = requests.post(
            "https://api.stripe.com/v1/customers",
            data={f"metadata[{key}]": value},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=5,
        )
    if response.status_code == 200:
        stored = response.json()["metadata"]
        assert stored == ({key: value} if value else {})
    else:
        assert response.status_code == 400
        assert response.json()["error"]["param"] == f"metadata[{key}]"


HOSTILE_URLS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://shop.example/ok",
    "/checkout/success",
    "shop.example/ok",
    "//shop.example/ok",
    "https://",
    "http:///ok",
    " https://shop.example/ok",
]


@FUZZ
@given(
    url=st.one_of(
        st.sampled_from(HOSTILE_URLS),
        nasty_text.filter(lambda t: not t.strip().lower().startswith(("http://", "https://"))),
    ),
    field=st.sampled_from(["success_url", "cancel_url"]),
)
def test_checkout_urls_must_be_http_urls_as_on_stripe(url: str, field: str) -> None:
    """Stripe refuses a redirect URL that is not an absolute http(s) URL; so must the fake.

    Otherwise the served payment page would link (and redirect) to `javascript:` URLs.
    """
    params = {
        "mode": "payment",
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cancel",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "500",
        "line_items[0][price_data][product_data][name]": "Mug",
        "line_items[0][quantity]": "1",
        field: url,
    }
    if not url:
        return  # an empty value unsets an optional field: not a URL to check
    with StripeFake():
        answer = requests.post(
            "https://api.stripe.com/v1/checkout/sessions",
            data=params,
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=5,
        )
    assert answer.status_code == 400, (field, url, answer.text[:200])
    error = answer.json()["error"]
    assert error["param"] == field and error["type"] == "invalid_request_error"
