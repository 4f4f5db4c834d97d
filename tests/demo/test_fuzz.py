"""Fuzzing the demo shop's whole HTTP surface, on the real fakes.

Every route the shop has, with random methods, path arguments (real ids, someone else's,
huge or nonsense), queries, bodies (forms, JSON, bytes) and headers, logged in or not, while
the Stripe, GitHub and Google fakes answer its provider calls. Whatever arrives, the shop
answers in its own shape (JSON errors under `/api` and `/webhooks`, its error page
elsewhere, or a redirect) and never with a 500 or a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.oauth import GitHubFake, GoogleFake
from mockkit.stripe import StripeFake
from tests.demo.harness import TEST_CONFIG, AuthActions
from tests.demo.invariants import check_money, snapshot
from tests.reliability.fuzzing import FUZZ, Tally
from tests.reliability.strategies import METHODS, broken_bodies, encode_pairs, nasty_text, words

pytestmark = pytest.mark.fuzz


@pytest.fixture
def world(app: Flask) -> Iterator[tuple[Flask, list[int], StripeFake]]:
    """The shop on all three fakes, with a user who has a paid and a failed order."""
    stripe_fake = StripeFake(webhook_secret=TEST_CONFIG["STRIPE_WEBHOOK_SECRET"])
    github, google = GitHubFake(), GoogleFake()
    github.add_client(TEST_CONFIG["GITHUB_CLIENT_ID"], TEST_CONFIG["GITHUB_CLIENT_SECRET"])
    google.add_client(TEST_CONFIG["GOOGLE_CLIENT_ID"], TEST_CONFIG["GOOGLE_CLIENT_SECRET"])
    github.add_default_user()
    google.add_default_user()
    with stripe_fake, github, google:
        client = app.test_client()
        AuthActions(app, client).login()
        ids = []
        for method in ("pm_card_visa", "pm_card_chargeDeclined"):
            answer = client.post(
                "/api/orders", json={"product": "coffee-mug", "payment_method": method}
            )
            body = answer.get_json()
            ids.append(
                int(body["id"] if answer.status_code == 201 else body["error"]["order"]["id"])
            )
        yield app, ids, stripe_fake


def route_calls(app: Flask, ids: list[int]) -> st.SearchStrategy[tuple[str, str]]:
    """(method, path) for every route of the shop, arguments real or hostile.

    Three calls in four use a method the route takes, so the views run, not only the 405s.
    """
    args = {
        "order_id": st.one_of(st.sampled_from(ids), st.integers(0, 2**70)),
        "slug": st.one_of(st.sampled_from(["coffee-mug", "unicorn", ""]), words, nasty_text),
        "provider": st.one_of(st.sampled_from(["github", "google", "facebook"]), words),
    }
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]

    def build(rule: Any) -> st.SearchStrategy[tuple[str, str]]:
        own = sorted((rule.methods or set()) - {"OPTIONS"})
        method = st.one_of(st.sampled_from(own), st.sampled_from(own), st.sampled_from(own))
        path = st.fixed_dictionaries({n: args[n] for n in sorted(rule.arguments)}).map(
            lambda values, r=rule: _build(r, values)
        )
        return st.tuples(st.one_of(method, st.sampled_from(METHODS)), path)

    odd = st.sampled_from(["/", "/nope", "/api/nope", "/orders/-1", "/static/../x"])
    return st.one_of([build(r) for r in rules] + [st.tuples(st.sampled_from(METHODS), odd)])


def _build(rule: Any, values: dict[str, Any]) -> str:
    try:
        return str(rule.build(values, append_unknown=False)[1])
    except Exception:  # a value the converter refuses: send the template's literal parts
        return rule.rule.replace("<", "").replace(">", "")


query_names = st.sampled_from(["next", "session_id", "order_id", "code", "state", "error", "x"])
headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(
            ["application/json", "application/x-www-form-urlencoded", "text/plain", "x/y"]
        ),
        "Idempotency-Key": st.one_of(words, st.just("k" * 300)),
        "Stripe-Signature": st.one_of(words, st.just("t=1,v1=" + "0" * 64)),
        "Accept": st.sampled_from(["application/json", "text/html", "*/*"]),
    },
)
json_bodies = st.dictionaries(
    st.sampled_from(["product", "payment_method", "quantity", "id", "type", "data"]),
    st.one_of(nasty_text, st.integers(), st.none(), st.lists(words, max_size=2)),
    max_size=4,
).map(lambda d: json.dumps(d).encode())

#: JSON that parses badly or not at all: deep nesting (Python's parser recurses), text that
#: is not valid Unicode (a lone surrogate, which no database or provider can store), the
#: non-standard constants, duplicate keys, numbers past every limit. Drawn as a short recipe
#: and built by `hostile_body`, so a failing example prints the recipe, not 200 KB of brackets.
_SURROGATES = ["\\ud800", "\\udfff", "\\ud83d", "x\\udc00y"]
_ODD = [
    b'{"product": "coffee-mug", "\\ud800": 1}',
    b'{"product": NaN}',
    b'{"product": "coffee-mug", "payment_method": Infinity}',
    b'{"product": "coffee-mug", "payment_method": -Infinity}',
    b'{"product": "coffee-mug", "product": "hoodie", "payment_method": "pm_card_visa"}',
    b'{"product": 1e999}',
    b'{"product": "' + b"9" * 5000 + b'"}',
    b'{"product": ' + b"9" * 5000 + b"}",
    b'{"product": "coffee-mug", "payment_method": "pm_card_visa"}',
    b"{}",
]

hostile_json = st.one_of(
    st.tuples(
        st.just("deep"),
        st.sampled_from(["product", "payment_method", "x", ""]),
        st.sampled_from([33, 1_000, 5_000, 100_000]),
    ),
    st.tuples(
        st.just("surrogate"),
        st.sampled_from(["product", "payment_method"]),
        st.sampled_from(_SURROGATES),
    ),
    st.tuples(st.just("odd"), st.just(""), st.integers(0, len(_ODD) - 1)),
)


def hostile_body(recipe: bytes | tuple[str, str, Any]) -> bytes:
    """The request body a `hostile_json` recipe stands for (other bodies as they are)."""
    if isinstance(recipe, bytes):
        return recipe
    kind, field, value = recipe
    if kind == "deep":
        nested = "[" * value + "]" * value
        return (f'{{"{field}": {nested}}}' if field else nested).encode()
    if kind == "surrogate":
        other = "payment_method" if field == "product" else "product"
        return f'{{"{field}": "coffee-mug{value}", "{other}": "pm_card_visa"}}'.encode()
    return _ODD[value]


def test_every_route_answers_in_the_shops_shape(
    world: tuple[Flask, list[int], StripeFake], tally: Tally
) -> None:
    app, ids, stripe_fake = world

    @settings(FUZZ, max_examples=500)
    @given(
        call=route_calls(app, ids),
        query=st.lists(st.tuples(query_names, nasty_text), max_size=3),
        body=st.one_of(
            st.just(b""),
            json_bodies,
            hostile_json,
            broken_bodies,
            st.lists(st.tuples(words, nasty_text)).map(lambda pairs: encode_pairs(pairs, False)),
        ),
        extra=headers,
        logged_in=st.booleans(),
    )
    def check(
        call: tuple[str, str],
        query: list[tuple[str, str]],
        body: Any,
        extra: dict[str, str],
        logged_in: bool,
    ) -> None:
        tally.add("demo shop over HTTP (every route)")
        method, path = call
        body = hostile_body(body)
        client = app.test_client()
        if logged_in:
            AuthActions(app, client).login()
        before = snapshot(app, stripe_fake)
        answer = client.open(path, method=method, query_string=query, data=body, headers=extra)
        where = f"{method} {path} {query} -> {answer.status_code}"
        text = answer.get_data(as_text=True)
        # The fakes answer every provider call, so nothing here is the provider's trouble.
        assert answer.status_code < 500, (where, text[:300])
        assert "Traceback" not in text, where
        if answer.status_code >= 400 and answer.status_code != 402:
            # Refused as a whole: nothing stored, nothing sent to Stripe.
            assert snapshot(app, stripe_fake) == before, (where, text[:300])
        if answer.status_code in (301, 302, 303, 307, 308):
            assert answer.headers.get("Location"), where
        elif answer.status_code >= 400 and method != "HEAD":
            if path.startswith(("/api/", "/webhooks/")):
                error = answer.get_json()["error"]
                assert error["code"] and error["message"], where
            else:
                assert 'id="error"' in text and "data-code=" in text, (where, text[:300])

    check()
    check_money(app, stripe_fake)


def test_every_json_endpoint_reads_the_whole_body_before_changing_anything(
    world: tuple[Flask, list[int], StripeFake], tally: Tally
) -> None:
    """The shop's JSON endpoints (orders, refunds, and webhooks signed with the real secret)
    with hostile and random JSON: a 2xx, or a 4xx that stored nothing and sent nothing."""
    app, ids, stripe_fake = world
    client = app.test_client()
    AuthActions(app, client).login()

    @settings(FUZZ, max_examples=300)
    @given(
        target=st.sampled_from(["order", "refund", "webhook"]),
        order_id=st.sampled_from(ids),
        body=st.one_of(hostile_json, json_bodies),
    )
    def check(target: str, order_id: int, body: Any) -> None:
        tally.add("demo: hostile JSON on the JSON endpoints")
        body = hostile_body(body)
        before = snapshot(app, stripe_fake)
        headers = {"Content-Type": "application/json"}
        if target == "order":
            answer = client.post("/api/orders", data=body, headers=headers)
        elif target == "refund":
            answer = client.post(f"/api/orders/{order_id}/refund", data=body, headers=headers)
        else:
            headers["Stripe-Signature"] = stripe_fake.sign(body)
            answer = client.post("/webhooks/stripe", data=body, headers=headers)
        text = answer.get_data(as_text=True)
        assert answer.status_code < 500, (target, body[:80], text[:300])
        assert "Traceback" not in text
        error = answer.get_json().get("error") if answer.status_code >= 400 else None
        if error is not None:
            assert error["code"] and error["message"]
            if answer.status_code != 402:
                assert snapshot(app, stripe_fake) == before, (target, body[:80], text[:300])

    check()
    check_money(app, stripe_fake)
