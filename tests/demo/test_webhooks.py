"""`POST /webhooks/stripe`: signatures, idempotency and what each event does to an order."""

from __future__ import annotations

import json
import time

import pytest
import stripe
from sqlalchemy import func, select

from demo_app.db import db
from demo_app.models import Order, Product, StripeEvent, User
from tests.demo.stubs import make_event, signed_webhook


@pytest.fixture
def order_factory(app):
    """Insert an order in a given state directly; returns its id."""

    def make(status="pending", payment_intent_id=None, checkout_session_id=None):
        with app.app_context():
            user = db.session.scalar(select(User).filter_by(provider_user_id="buyer"))
            if user is None:
                user = User(provider="github", provider_user_id="buyer", email="b@example.com")
                db.session.add(user)
            product = db.session.scalar(select(Product).filter_by(slug="coffee-mug"))
            order = Order(
                user=user,
                product=product,
                amount=product.amount,
                currency=product.currency,
                status=status,
                payment_intent_id=payment_intent_id,
                checkout_session_id=checkout_session_id,
            )
            db.session.add(order)
            db.session.flush()
            order.reference = reference(order.id)
            db.session.commit()
            return order.id

    return make


def reference(order_id):
    """The reference `order_factory` gives an order (the shop's own are random)."""
    return f"test-ref-{order_id}"


def order_state(app, order_id):
    with app.app_context():
        order = db.session.get(Order, order_id)
        return order.status, order.payment_intent_id, order.failure_reason, order.refund_id


def events_stored(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StripeEvent))


def intent(order_id, intent_id="pi_hook_1", **extra):
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": 1500,
        "currency": "usd",
        "metadata": {"order_id": str(order_id), "order_ref": reference(order_id)},
        **extra,
    }


def test_payment_intent_succeeded_marks_the_order_paid(app, client, order_factory):
    order_id = order_factory(payment_intent_id="pi_hook_1")
    response = signed_webhook(client, make_event("payment_intent.succeeded", intent(order_id)))
    assert response.status_code == 200
    assert response.get_json() == {
        "received": True,
        "duplicate": False,
        "handled": True,
        "order": order_id,
    }
    assert order_state(app, order_id)[0] == "paid"


def test_succeeded_finds_the_order_by_metadata_after_a_timeout(app, client, order_factory):
    # The create call timed out, so the shop never learned the PaymentIntent id.
    order_id = order_factory()
    signed_webhook(client, make_event("payment_intent.succeeded", intent(order_id, "pi_late")))
    assert order_state(app, order_id)[:2] == ("paid", "pi_late")


@pytest.mark.parametrize(
    "metadata",
    [
        {"order_id": "{id}"},  # an order id alone: ids restart, and repeat in every shop
        {"order_id": "{id}", "order_ref": "another-shops-reference"},
        {"order_id": "{id}", "order_ref": ""},
        {"order_ref": "test-ref-{id}"},  # the reference without its order id
    ],
)
@pytest.mark.parametrize("event_type", ["payment_intent.succeeded", "checkout.session.expired"])
def test_an_event_for_someone_elses_order_with_the_same_id_changes_nothing(
    app, client, order_factory, metadata, event_type
):
    """Another shop on the same Stripe account (or this one before `init-db --drop`) has an
    order with the same id: its events reach this endpoint too and must not touch ours."""
    order_id = order_factory()
    obj = {
        "id": "pi_other_shop" if event_type.startswith("payment") else "cs_other_shop",
        "object": "payment_intent" if event_type.startswith("payment") else "checkout.session",
        "metadata": {k: v.format(id=order_id) for k, v in metadata.items()},
        "client_reference_id": str(order_id),
    }
    response = signed_webhook(client, make_event(event_type, obj))
    assert response.status_code == 200
    assert response.get_json()["order"] is None
    assert order_state(app, order_id)[:2] == ("pending", None)


def test_payment_failed_marks_a_pending_order_failed_with_the_reason(app, client, order_factory):
    order_id = order_factory(payment_intent_id="pi_hook_1")
    obj = intent(order_id, last_payment_error={"message": "Your card has insufficient funds."})
    signed_webhook(client, make_event("payment_intent.payment_failed", obj))
    status, _pi, reason, _refund = order_state(app, order_id)
    assert status == "failed"
    assert reason == "Your card has insufficient funds."


def test_late_payment_failed_cannot_unpay_an_order(app, client, order_factory):
    order_id = order_factory(status="paid", payment_intent_id="pi_hook_1")
    signed_webhook(client, make_event("payment_intent.payment_failed", intent(order_id)))
    assert order_state(app, order_id)[0] == "paid"


def test_checkout_session_completed_marks_paid_and_records_the_intent(app, client, order_factory):
    order_id = order_factory(checkout_session_id="cs_test_9")
    session = {
        "id": "cs_test_9",
        "object": "checkout.session",
        "client_reference_id": str(order_id),
        "metadata": {"order_id": str(order_id)},
        "payment_status": "paid",
        "payment_intent": "pi_from_checkout",
    }
    signed_webhook(client, make_event("checkout.session.completed", session))
    assert order_state(app, order_id)[:2] == ("paid", "pi_from_checkout")


def test_checkout_completed_but_unpaid_stays_pending(app, client, order_factory):
    order_id = order_factory(checkout_session_id="cs_async")
    session = {
        "id": "cs_async",
        "object": "checkout.session",
        "client_reference_id": str(order_id),
        "payment_status": "unpaid",
        "payment_intent": "pi_async",
    }
    signed_webhook(client, make_event("checkout.session.completed", session))
    assert order_state(app, order_id)[:2] == ("pending", "pi_async")


def test_checkout_expired_cancels_a_pending_order(app, client, order_factory):
    order_id = order_factory(checkout_session_id="cs_old")
    session = {"id": "cs_old", "object": "checkout.session", "client_reference_id": str(order_id)}
    signed_webhook(client, make_event("checkout.session.expired", session))
    assert order_state(app, order_id)[0] == "canceled"


def test_charge_refunded_marks_the_order_refunded(app, client, order_factory):
    order_id = order_factory(status="paid", payment_intent_id="pi_r")
    charge = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_r",
        "refunded": True,
        "amount_refunded": 1500,
        "refunds": {"object": "list", "data": [{"id": "re_1", "object": "refund"}]},
    }
    signed_webhook(client, make_event("charge.refunded", charge))
    status, _pi, _reason, refund_id = order_state(app, order_id)
    assert (status, refund_id) == ("refunded", "re_1")


def test_refund_event_before_the_success_event_still_ends_refunded(app, client, order_factory):
    order_id = order_factory(payment_intent_id="pi_ooo")
    charge = {"id": "ch_3", "object": "charge", "payment_intent": "pi_ooo", "refunded": True}
    signed_webhook(client, make_event("charge.refunded", charge))
    signed_webhook(client, make_event("payment_intent.succeeded", intent(order_id, "pi_ooo")))
    assert order_state(app, order_id)[0] == "refunded"


def test_partial_refund_leaves_the_order_paid(app, client, order_factory):
    order_id = order_factory(status="paid", payment_intent_id="pi_p")
    charge = {"id": "ch_2", "object": "charge", "payment_intent": "pi_p", "refunded": False}
    signed_webhook(client, make_event("charge.refunded", charge))
    assert order_state(app, order_id)[0] == "paid"


def test_duplicate_event_is_a_no_op(app, client, order_factory):
    order_id = order_factory(payment_intent_id="pi_hook_1")
    event = make_event("payment_intent.payment_failed", intent(order_id), event_id="evt_dup")
    assert signed_webhook(client, event).get_json()["duplicate"] is False
    assert order_state(app, order_id)[0] == "failed"
    # The customer tries another card, so the order is pending again; a redelivery of the
    # old failure must not mark it failed a second time.
    with app.app_context():
        db.session.get(Order, order_id).status = "pending"
        db.session.commit()
    again = signed_webhook(client, event)
    assert again.status_code == 200
    assert again.get_json() == {"received": True, "duplicate": True}
    assert order_state(app, order_id)[0] == "pending"
    assert events_stored(app) == 1


def test_event_for_an_unknown_order_is_acknowledged(app, client, order_factory):
    order_id = order_factory()
    response = signed_webhook(
        client, make_event("payment_intent.succeeded", intent(99999, "pi_unknown"))
    )
    assert response.status_code == 200
    assert response.get_json()["order"] is None
    assert order_state(app, order_id)[0] == "pending"
    assert events_stored(app) == 1


def test_unhandled_event_type_is_acknowledged(app, client):
    response = signed_webhook(client, make_event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    assert response.get_json()["handled"] is False


def test_wrong_secret_is_400_and_changes_nothing(app, client, order_factory):
    order_id = order_factory(payment_intent_id="pi_hook_1")
    event = make_event("payment_intent.succeeded", intent(order_id))
    response = signed_webhook(client, event, secret="whsec_someone_else")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_signature"
    assert order_state(app, order_id)[0] == "pending"
    assert events_stored(app) == 0


def test_old_timestamp_is_400(app, client, order_factory):
    order_id = order_factory(payment_intent_id="pi_hook_1")
    event = make_event("payment_intent.succeeded", intent(order_id))
    response = signed_webhook(client, event, timestamp=int(time.time()) - 600)
    assert response.status_code == 400
    assert order_state(app, order_id)[0] == "pending"


def test_reserialised_body_fails_verification(app, client, order_factory):
    order_id = order_factory(payment_intent_id="pi_hook_1")
    event = make_event("payment_intent.succeeded", intent(order_id))
    original = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(original, "whsec_demo_shop_test")
    tampered = json.dumps(event, indent=2)  # same data, different bytes
    response = signed_webhook(client, tampered, signature=header)
    assert response.status_code == 400
    assert order_state(app, order_id)[0] == "pending"


def test_missing_signature_is_400(client):
    response = client.post("/webhooks/stripe", json=make_event("x", {}))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "missing_signature"


def test_malformed_payload_with_valid_signature_is_400(app, client):
    response = signed_webhook(client, "{this is not json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_payload"
    assert events_stored(app) == 0


def test_event_without_an_object_is_400(app, client):
    response = signed_webhook(client, {"id": "evt_1", "type": "payment_intent.succeeded"})
    assert response.status_code == 400
    assert events_stored(app) == 0


def test_webhooks_not_configured_is_503(app_factory):
    client = app_factory(STRIPE_WEBHOOK_SECRET=None).test_client()
    response = signed_webhook(client, make_event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 503


def test_webhook_needs_no_csrf_token_even_with_csrf_on(app_factory):
    client = app_factory(WTF_CSRF_ENABLED=True).test_client()
    response = signed_webhook(client, make_event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
