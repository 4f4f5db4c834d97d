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
