"""Whatever a client or a signed-but-strange webhook sends, the answer is never a 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from demo_app.webhooks import HANDLERS
from tests.demo.stubs import StripeStub, signed_webhook

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
order_fields = st.sampled_from(["product", "payment_method", "quantity", ""])
order_bodies = json_values | st.dictionaries(
    order_fields,
    st.sampled_from(["coffee-mug", "unicorn", "pm_card_visa", ""]) | json_values,
    max_size=3,
)
FIXTURE_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FIXTURE_SETTINGS
@given(body=order_bodies)
def test_any_json_body_to_create_order_is_answered_cleanly(client, auth, rsps, body):
    if not rsps.registered():
        StripeStub(rsps)
        auth.login()
    response = client.post(
        "/api/orders", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (201, 400, 422), response.get_json()
    payload = response.get_json()
    if response.status_code == 201:
        assert payload["status"] in ("pending", "paid")
        assert payload["product"] == "coffee-mug"
    else:
        assert set(payload["error"]) >= {"code", "message"}


@FIXTURE_SETTINGS
@given(raw=st.binary(max_size=40))
def test_any_bytes_to_create_order_are_answered_cleanly(client, auth, raw):
    auth.login()
    response = client.post("/api/orders", data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)


object_fields = st.sampled_from(
    [
        "id",
        "object",
        "metadata",
        "client_reference_id",
        "payment_intent",
        "payment_status",
        "refunded",
        "refunds",
        "last_payment_error",
    ]
)


events = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=30) | json_values,
        "type": st.sampled_from(sorted(HANDLERS)) | st.text(max_size=20),
        "data": st.fixed_dictionaries(
            {"object": st.dictionaries(object_fields, json_values, max_size=6) | json_values}
        )
        | json_values,
    }
)


@settings(FIXTURE_SETTINGS, max_examples=100)
@given(event=events | json_values)
@example(event=[])
@example(event=None)
@example(event={"id": "evt_1", "type": "payment_intent.succeeded", "data": []})
@example(
    event={
        "id": "evt_2",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": 3, "metadata": "oops"}},
    }
)
@example(
    event={
        "id": "evt_3",
        "type": "charge.refunded",
        "data": {"object": {"refunded": True, "refunds": {"data": [1]}, "metadata": []}},
    }
)
def test_any_signed_event_is_answered_cleanly(client, event):
    response = signed_webhook(client, json.dumps(event))
    assert response.status_code in (200, 400), response.get_json()
    if response.status_code == 200:
        assert response.get_json()["received"] is True


@FIXTURE_SETTINGS
@given(header=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80))
def test_any_signature_header_that_is_not_valid_is_a_400(client, header):
    response = signed_webhook(client, json.dumps({"id": "evt_1"}), signature=header or "x")
    assert response.status_code == 400


HUGE = "99999999999999999999"  # beyond any database integer


def test_impossible_order_ids_are_404_not_500(client, auth):
    auth.login()
    for path in (f"/api/orders/{HUGE}", f"/orders/{HUGE}", f"/checkout/cancel?order_id={HUGE}"):
        assert client.get(path).status_code == 404, path
    for path in ("/checkout/cancel?order_id=-1", "/checkout/cancel?order_id=abc"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/api/orders/{HUGE}/refund", json={}).status_code == 404
    assert client.post(f"/orders/{HUGE}/refund").status_code == 404


def test_header_injection_in_next_is_ignored(client, rsps):
    from tests.demo.stubs import GitHubStub, oauth_login

    GitHubStub(rsps)
    response = oauth_login(client, "github", next="/%0d%0aSet-Cookie:%20x=1")
    assert response.headers["Location"] == "/"
    assert "x=1" not in response.headers.get("Set-Cookie", "")
