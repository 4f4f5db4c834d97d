"""`/api/orders`: JSON shapes, validation, payment outcomes, idempotency, refunds, ownership."""

from __future__ import annotations

import pytest
import responses
from sqlalchemy import func, select

from demo_app.db import db
from demo_app.models import Order
from tests.demo.stubs import StripeStub


def orders_in_db(app):
    with app.app_context():
        return [
            (o.id, o.status, o.payment_intent_id, o.failure_reason, o.request_key)
            for o in db.session.scalars(select(Order).order_by(Order.id))
        ]


def reference_of(app, order_id):
    """The order's random reference: the base of its Stripe keys and its `order_ref`."""
    with app.app_context():
        return db.session.get(Order, order_id).reference


def order_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Order))


# --- auth gates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/me"),
        ("get", "/api/orders"),
        ("post", "/api/orders"),
        ("get", "/api/orders/1"),
        ("post", "/api/orders/1/refund"),
    ],
)
def test_api_needs_login(client, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401
    assert response.get_json() == {
        "error": {"code": "login_required", "message": "Log in to use this endpoint."}
    }


def test_products_are_public(client):
    response = client.get("/api/products")
    assert response.status_code == 200
    products = response.get_json()["products"]
    assert [p["slug"] for p in products] == ["sticker-pack", "coffee-mug", "hoodie"]
    assert products[0] == {
        "slug": "sticker-pack",
        "name": "Sticker pack",
        "description": "Five vinyl stickers for your laptop.",
        "amount": 500,
        "currency": "usd",
    }


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_json_405(client, auth):
    auth.login()
    response = client.delete("/api/orders")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


# --- validation ---------------------------------------------------------------------------


def test_malformed_json_is_400(app, client, auth):
    auth.login()
    response = client.post(
        "/api/orders", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"
    assert order_count(app) == 0


def test_json_that_is_not_an_object_is_400(app, client, auth):
    auth.login()
    response = client.post("/api/orders", json=["coffee-mug"])
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The request body must be a JSON object."


def test_form_body_is_415(app, client, auth):
    auth.login()
    response = client.post("/api/orders", data={"product": "coffee-mug"})
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"
    assert order_count(app) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "product"),
        ({"product": ""}, "product"),
        ({"product": 7}, "product"),
        ({"product": "coffee-mug", "payment_method": 12}, "payment_method"),
        ({"product": "coffee-mug", "quantity": 2}, "quantity"),
    ],
)
def test_invalid_fields_are_422_naming_the_field(app, client, auth, body, field):
    auth.login()
    response = client.post("/api/orders", json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert order_count(app) == 0


def test_unknown_product_is_422(app, client, auth, rsps):
    stripe = StripeStub(rsps)
    auth.login()
    response = client.post("/api/orders", json={"product": "unicorn"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"product": "Unknown product 'unicorn'."}
    assert order_count(app) == 0
    assert stripe.calls == []


def test_oversized_body_is_413_json(client, auth):
    auth.login()
    response = client.post(
        "/api/orders",
        data='{"product": "' + "x" * (2 * 1024 * 1024) + '"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


# --- payment outcomes ---------------------------------------------------------------------


def test_order_with_card_is_paid(app, client, auth, rsps):
    stripe = StripeStub(rsps, outcome="succeeded")
    auth.login()
    response = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "paid"
    assert body["product"] == "coffee-mug"
    assert body["amount"] == 1500
    assert body["currency"] == "usd"
    assert body["payment_intent"].startswith("pi_test_")
    assert body["client_secret"].startswith(body["payment_intent"] + "_secret_")
    [(form, headers)] = stripe.posts("/v1/payment_intents")
    assert form["amount"] == "1500"
    assert form["confirm"] == "true"
    assert form["payment_method"] == "pm_card_visa"
    reference = reference_of(app, body["id"])
    assert form["metadata[order_id]"] == str(body["id"])
    assert form["metadata[order_ref]"] == reference
    assert headers["Idempotency-Key"] == f"demo-{reference}-create-pi"
    assert headers["Authorization"] == "Bearer sk_test_demo_shop"
    assert orders_in_db(app) == [(body["id"], "paid", body["payment_intent"], None, None)]


def test_order_without_card_is_pending_with_client_secret(app, client, auth, rsps):
    stripe = StripeStub(rsps, outcome="requires_payment_method")
    auth.login()
    response = client.post("/api/orders", json={"product": "hoodie"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["client_secret"]
    [(form, _headers)] = stripe.posts("/v1/payment_intents")
    assert form["automatic_payment_methods[enabled]"] == "true"
    assert "confirm" not in form


def test_declined_card_is_402_and_the_order_failed(app, client, auth, rsps):
    StripeStub(rsps, outcome="decline")
    auth.login()
    response = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_chargeDeclined"}
    )
    assert response.status_code == 402
    error = response.get_json()["error"]
    assert error["code"] == "card_declined"
    assert error["message"] == "Your card was declined."
    assert error["decline_code"] == "generic_decline"
    assert error["order"]["status"] == "failed"
    [(order_id, status, intent, reason, _key)] = orders_in_db(app)
    assert order_id == error["order"]["id"]
    assert status == "failed"
    assert intent and intent.startswith("pi_test_")
    assert "declined" in reason and "generic_decline" in reason


@pytest.mark.parametrize(
    ("outcome", "status", "code"),
    [
        ("timeout", 504, "payment_provider_timeout"),
        ("connection_error", 503, "payment_provider_unreachable"),
        ("server_error", 502, "payment_provider_error"),
        ("rate_limit", 503, "payment_provider_busy"),
        ("auth_error", 502, "payment_provider_error"),
    ],
)
def test_provider_trouble_keeps_the_order_pending(app, client, auth, rsps, outcome, status, code):
    StripeStub(rsps, outcome=outcome)
    auth.login()
    response = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    )
    assert response.status_code == status
    body = response.get_json()
    assert body["error"]["code"] == code
    assert "sk_test" not in response.get_data(as_text=True)
    assert body["error"]["order"]["status"] == "pending"
    [(_id, db_status, intent, reason, _key)] = orders_in_db(app)
    assert (db_status, intent) == ("pending", None)
    assert reason.startswith("Last payment attempt failed")


def test_an_unknown_payment_method_is_422_and_stores_nothing(app, client, auth, rsps):
    stripe = StripeStub(rsps, outcome="invalid_payment_method")
    auth.login()
    headers = {"Idempotency-Key": "pm-typo"}
    response = client.post(
        "/api/orders", json={"product": "hoodie", "payment_method": "pm_nope"}, headers=headers
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and "payment_method" in error["fields"]
    assert orders_in_db(app) == []  # Stripe made nothing, so neither does the shop
    stripe.outcome = "succeeded"
    fixed = client.post(
        "/api/orders", json={"product": "hoodie", "payment_method": "pm_card_visa"}, headers=headers
    )
    assert fixed.status_code == 201
    assert fixed.get_json()["status"] == "paid"
    assert order_count(app) == 1


def test_unknown_product_is_reported_with_other_field_errors(client, auth):
    auth.login()
    response = client.post("/api/orders", json={"product": "unicorn", "payment_method": 5})
    assert set(response.get_json()["error"]["fields"]) == {"product", "payment_method"}


def test_malformed_success_answer_from_stripe_is_502_and_the_order_pending(app, client, auth, rsps):
    rsps.add(
        responses.POST,
        "https://api.stripe.com/v1/payment_intents",
        json={"object": "payment_intent"},
    )
    auth.login()
    response = client.post(
        "/api/orders", json={"product": "hoodie", "payment_method": "pm_card_visa"}
    )
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "payment_provider_error"
    [(_id, status, intent, reason, _key)] = orders_in_db(app)
    assert (status, intent) == ("pending", None)
    assert "without an id or status" in reason


def test_retry_with_same_idempotency_key_reuses_order_and_stripe_key(app, client, auth, rsps):
    stripe = StripeStub(rsps, outcome="timeout")
    auth.login()
    request = {"product": "coffee-mug", "payment_method": "pm_card_visa"}
    headers = {"Idempotency-Key": "client-attempt-1"}
    first = client.post("/api/orders", json=request, headers=headers)
    assert first.status_code == 504
    order_id = first.get_json()["error"]["order"]["id"]

    stripe.outcome = "succeeded"
    second = client.post("/api/orders", json=request, headers=headers)
    assert second.status_code == 201
    assert second.get_json()["id"] == order_id
    assert second.get_json()["status"] == "paid"

    third = client.post("/api/orders", json=request, headers=headers)
    assert third.status_code == 200
    assert third.get_json()["id"] == order_id

    keys = [h["Idempotency-Key"] for _form, h in stripe.posts("/v1/payment_intents")]
    # The same attempt, the same stored key; the third call never reached Stripe.
    assert keys == [f"demo-{reference_of(app, order_id)}-create-pi"] * 2
    assert order_count(app) == 1


def test_idempotency_key_for_another_product_is_409(app, client, auth, rsps):
    StripeStub(rsps)
    auth.login()
    headers = {"Idempotency-Key": "k1"}
    client.post("/api/orders", json={"product": "coffee-mug"}, headers=headers)
    response = client.post("/api/orders", json={"product": "hoodie"}, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert order_count(app) == 1


def test_idempotency_keys_are_per_user(app, client, auth, rsps):
    StripeStub(rsps)
    auth.login(provider_user_id="1")
    client.post("/api/orders", json={"product": "coffee-mug"}, headers={"Idempotency-Key": "k"})
    auth.login(provider_user_id="2")
    response = client.post(
        "/api/orders", json={"product": "coffee-mug"}, headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 201
    assert order_count(app) == 2


def test_payments_not_configured_is_503(app_factory, rsps):
    from tests.demo.harness import AuthActions

    app = app_factory(STRIPE_API_KEY=None)
    client = app.test_client()
    AuthActions(app, client).login()
    response = client.post("/api/orders", json={"product": "coffee-mug"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "payments_not_configured"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


# --- reading orders -------------------------------------------------------------------------


def test_list_and_get_own_orders(client, auth, rsps):
    StripeStub(rsps)
    auth.login()
    first = client.post("/api/orders", json={"product": "coffee-mug"}).get_json()
    second = client.post("/api/orders", json={"product": "hoodie"}).get_json()
    listed = client.get("/api/orders").get_json()["orders"]
    assert [o["id"] for o in listed] == [second["id"], first["id"]]
    assert "client_secret" not in listed[0]
    one = client.get(f"/api/orders/{first['id']}").get_json()
    assert set(one) == {
        "id",
        "product",
        "amount",
        "currency",
        "status",
        "failure_reason",
        "payment_intent",
        "checkout_session",
        "refund",
        "created_at",
    }
    assert one["product"] == "coffee-mug"


def test_other_users_orders_are_404_and_not_listed(client, auth, rsps):
    StripeStub(rsps)
    auth.login(provider_user_id="owner")
    order = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    ).get_json()
    auth.login(provider_user_id="intruder")
    assert client.get(f"/api/orders/{order['id']}").status_code == 404
    assert client.get("/api/orders").get_json() == {"orders": []}
    refund = client.post(f"/api/orders/{order['id']}/refund", json={})
    assert refund.status_code == 404
    assert refund.get_json()["error"]["code"] == "order_not_found"


def test_missing_order_is_404(client, auth):
    auth.login()
    assert client.get("/api/orders/999").status_code == 404


# --- refunds -----------------------------------------------------------------------------


def paid_order(client, auth, stripe):
    auth.login()
    return client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    ).get_json()


def test_refund_a_paid_order(app, client, auth, rsps):
    stripe = StripeStub(rsps)
    order = paid_order(client, auth, stripe)
    response = client.post(f"/api/orders/{order['id']}/refund", json={})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "refunded"
    assert body["refund"].startswith("re_test_")
    [(form, headers)] = stripe.posts("/v1/refunds")
    assert form["payment_intent"] == order["payment_intent"]
    assert headers["Idempotency-Key"] == f"demo-{reference_of(app, order['id'])}-refund"
    assert orders_in_db(app)[0][1] == "refunded"


def test_refund_twice_calls_stripe_once(client, auth, rsps):
    stripe = StripeStub(rsps)
    order = paid_order(client, auth, stripe)
    client.post(f"/api/orders/{order['id']}/refund", json={})
    again = client.post(f"/api/orders/{order['id']}/refund")
    assert again.status_code == 415  # API posts need a JSON content type
    again = client.post(
        f"/api/orders/{order['id']}/refund", headers={"Content-Type": "application/json"}
    )
    assert again.status_code == 200
    assert again.get_json()["status"] == "refunded"
    assert len(stripe.posts("/v1/refunds")) == 1


def test_refund_of_a_pending_order_is_409(client, auth, rsps):
    stripe = StripeStub(rsps, outcome="requires_payment_method")
    auth.login()
    order = client.post("/api/orders", json={"product": "coffee-mug"}).get_json()
    response = client.post(f"/api/orders/{order['id']}/refund", json={})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "order_not_refundable"
    assert stripe.posts("/v1/refunds") == []


def test_refund_provider_failure_keeps_the_order_paid(app, client, auth, rsps):
    stripe = StripeStub(rsps, refund_outcome="server_error")
    order = paid_order(client, auth, stripe)
    response = client.post(f"/api/orders/{order['id']}/refund", json={})
    assert response.status_code == 502
    assert orders_in_db(app)[0][1] == "paid"


def test_refund_that_stripe_reports_failed_is_502_and_recorded(app, client, auth, rsps):
    stripe = StripeStub(rsps, refund_status="failed")
    order = paid_order(client, auth, stripe)
    response = client.post(f"/api/orders/{order['id']}/refund", json={})
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "refund_failed"
    [(_id, status, _pi, reason, _key)] = orders_in_db(app)
    assert status == "paid"
    assert "ended failed" in reason


def test_concurrent_request_with_the_same_key_is_409_not_500(app, client, auth, rsps, monkeypatch):
    import demo_app.api

    stripe = StripeStub(rsps)
    auth.login()
    headers = {"Idempotency-Key": "race"}
    first = client.post("/api/orders", json={"product": "hoodie"}, headers=headers)
    assert first.status_code == 201
    # The second request looks before the first has written its row (a race), then inserts.
    monkeypatch.setattr(demo_app.api, "order_for_key", lambda user, key: None)
    second = client.post("/api/orders", json={"product": "hoodie"}, headers=headers)
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "idempotency_key_in_use"
    assert order_count(app) == 1
    assert len(stripe.posts("/v1/payment_intents")) == 1
