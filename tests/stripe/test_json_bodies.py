"""Bodies as Stripe writes them: two-space indented, `id` and `object` first, never sorted."""

from __future__ import annotations

import json

import requests

from mockkit.stripe import StripeServer
from mockkit.stripe.encoding import dumps

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
