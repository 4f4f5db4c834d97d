"""Bodies as Stripe writes them: two-space indented, `id` and `object` first, never sorted."""

from __future__ import annotations

import json

import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.stripe import StripeServer, encoding
from mockkit.stripe.encoding import dumps
from mockkit.stripe.transaction import Tracked, TrackedList

KEY = ("sk_test_json_bodies", "")


def test_an_object_reads_as_curl_shows_it_from_stripe(
    mockkit_stripe_server: StripeServer,
) -> None:
    made = requests.post(
        f"{mockkit_stripe_server.url}/v1/customers",
        data={"email": "curl@example.com", "metadata[plan]": "pro", "name": "Zoë"},
        auth=KEY,
        timeout=10,
    )
    body = made.text
    data = json.loads(body)
    assert body == json.dumps(data, indent=2)  # exactly json.dumps(indent=2), ASCII-escaped
    assert list(data)[:2] == ["id", "object"]
    assert body.startswith('{\n  "id": "cus_')
    assert "\\u00eb" in body  # non-ASCII escaped, as Stripe's bodies are


def test_lists_and_errors_too(mockkit_stripe_server: StripeServer) -> None:
    url = mockkit_stripe_server.url
    requests.post(f"{url}/v1/products", data={"name": "Pro"}, auth=KEY, timeout=10)
    listed = requests.get(f"{url}/v1/products", auth=KEY, timeout=10)
    data = json.loads(listed.text)
    assert listed.text == json.dumps(data, indent=2)
    assert list(data["data"][0])[:2] == ["id", "object"]
    missing = requests.get(f"{url}/v1/products/prod_nope", auth=KEY, timeout=10)
    assert missing.status_code == 404
    assert missing.text == json.dumps(json.loads(missing.text), indent=2)


def test_the_encoder_matches_json_dumps_on_awkward_values() -> None:
    value = {
        "id": "x",
        "object": "thing",
        "empty": {},
        "none": [],
        "nested": [{"a": None, "b": True, "c": -3, "d": 2.5}, 'text\n"quoted"'],
        "metadata": {"ключ": "значение", "emoji": "\U0001f600"},
    }
    assert dumps(value) == json.dumps(value, indent=2)


def test_json_responses_carry_their_headers_as_given_with_one_content_type() -> None:
    from mockkit.http import Response
    from mockkit.stripe.encoding import json_response

    for headers in (
        [("Request-Id", "req_1"), ("Stripe-Version", "2026-10-28.endive")],
        [("Request-Id", "req_1"), ("content-type", "application/json; charset=utf-8")],
        [("Retry-After", 3)],  # not a string: written as one, as any response writes it
        {"Request-Id": "req_2"},
        None,
    ):
        made = json_response({"id": "x"}, 402, headers)  # type: ignore[arg-type]
        plain = Response(402, dumps({"id": "x"}), headers, content_type="application/json")  # type: ignore[arg-type]
        assert (made.status, made.headers, made.body) == (plain.status, plain.headers, plain.body)
        assert sum(k.lower() == "content-type" for k, _ in made.headers) == 1


# Stripe-like values: ids and words (with non-ASCII, control characters and DEL), amounts
# (beyond 2**53 and 2**64 too), flags, nulls, percentages, and nested objects and lists, empty
# ones included, some held in the fake's own change-recording dict and list types.
_SCALARS = (
    st.text(max_size=12)
    | st.sampled_from(["pi_3Abc", "usd", "Zoë", "\x7f", "a\nb", "\u2028", "e-1", "0.00001"])
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([12.5, 1e-05, 0.0001, 1e16, 1e15, 1e-07, -0.0, 1e300, 5e-324])
)
_KEYS = st.text(max_size=8) | st.sampled_from(["id", "object", "amount", "métadonnée"])
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_KEYS, inner, max_size=5)
        | st.dictionaries(_KEYS, inner, max_size=3).map(Tracked)
        | st.lists(inner, max_size=3).map(TrackedList)
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(_VALUES)
def test_the_fast_encoder_writes_the_bytes_of_the_plain_one(data: object) -> None:
    # Whatever orjson is given, a body is exactly what the plain encoder (and json) writes:
    # where orjson's bytes could differ, the plain encoder writes the body.
    plain = encoding._slow(data)
    assert plain == json.dumps(data, indent=2)
    assert encoding.dumps(data) == plain
    fast = encoding._fast(data)
    assert fast is None or fast.decode("ascii") == plain


def test_the_fast_encoder_answers_a_plain_object_and_steps_aside_for_the_rest() -> None:
    # The speed is real only if orjson writes the usual body; the rest falls back.
    assert encoding._fast({"id": "pi_1", "amount": 2000, "metadata": {}, "list": []}) is not None
    assert encoding._fast({"name": "Zoë"}) is None  # non-ASCII: escaped by the plain encoder
    assert encoding._fast({"percent_off": 12.5}) == b'{\n  "percent_off": 12.5\n}'
    assert encoding._fast({"rate": 1e-05}) is None  # orjson: 0.00001
    assert encoding._fast({"rate": 1e-07}) is None  # orjson: 1e-7
    assert encoding._fast(-8.7e-07) is None  # a body starting with "-" is searched on too
    assert encoding._fast([-1, 2.5e-07]) is None
    assert encoding._fast({"x": "\x7f"}) is None  # DEL, escaped by json, raw in orjson
    assert encoding._fast({1: "a"}) is None  # a non-string key
    assert encoding._fast({"n": 2**64}) is None  # beyond 64 bits
    body = encoding.json_response({"id": "pi_1", "name": "Zoë"}).body
    assert body == json.dumps({"id": "pi_1", "name": "Zoë"}, indent=2).encode()
