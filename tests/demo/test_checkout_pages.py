"""HTML pages and the Stripe Checkout flow: redirects, statuses, test ids, friendly errors."""

from __future__ import annotations

import pytest
import responses
from sqlalchemy import select

from demo_app.db import db
from demo_app.models import Order
from tests.demo.stubs import StripeStub, make_event, signed_webhook


def all_orders(app):
    with app.app_context():
        return [
            (o.status, o.checkout_session_id, o.failure_reason)
            for o in db.session.scalars(select(Order).order_by(Order.id))
        ]


# --- pages -------------------------------------------------------------------------------


def test_home_shows_products_with_buy_forms_and_login_buttons(client):
    page = client.get("/").get_data(as_text=True)
    assert 'id="login-github"' in page
    assert 'id="login-google"' in page
    for slug in ("sticker-pack", "coffee-mug", "hoodie"):
        assert f'data-testid="buy-{slug}"' in page
        assert f'action="/checkout/{slug}"' in page
    assert "15.00 USD" in page
    assert 'id="logout"' not in page


def test_home_when_logged_in_shows_name_and_logout(client, auth):
    auth.login(name="Ada Lovelace")
    page = client.get("/").get_data(as_text=True)
    assert "Ada Lovelace" in page
    assert 'id="logout"' in page
    assert 'id="login-github"' not in page


def test_home_without_products_says_how_to_seed(app_factory):
    page = app_factory(seed=False).test_client().get("/").get_data(as_text=True)
    assert 'id="no-products"' in page


@pytest.mark.parametrize("path", ["/orders", "/orders/1", "/account"])
def test_pages_redirect_to_login_when_logged_out(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


def test_login_page_keeps_next_for_the_buttons(client):
    page = client.get("/login?next=/orders").get_data(as_text=True)
    assert 'href="/login/github?next=/orders"' in page
    evil = client.get("/login?next=https://evil.example").get_data(as_text=True)
    assert "evil.example" not in evil


def test_account_page(client, auth):
    auth.login(provider="google", email="g@example.com", name="Grace")
    page = client.get("/account").get_data(as_text=True)
    assert 'data-testid="account-email">g@example.com<' in page
    assert 'data-testid="account-provider">Google<' in page


def test_orders_page_lists_only_my_orders_with_status(client, auth, rsps):
    StripeStub(rsps)
    auth.login(provider_user_id="someone-else")
    client.post("/api/orders", json={"product": "hoodie"})
    auth.login()
    client.post("/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"})
    page = client.get("/orders").get_data(as_text=True)
    assert page.count('data-testid="order-status"') == 1
    assert 'data-testid="order-status">paid<' in page
    assert "Coffee mug" in page
    assert "Hoodie" not in page


def test_order_page_is_404_for_another_user(client, auth, rsps):
    StripeStub(rsps)
    auth.login(provider_user_id="owner")
    order = client.post("/api/orders", json={"product": "hoodie"}).get_json()
    assert client.get(f"/orders/{order['id']}").status_code == 200
    auth.login(provider_user_id="intruder")
    response = client.get(f"/orders/{order['id']}")
    assert response.status_code == 404
    assert 'data-testid="error"' in response.get_data(as_text=True)


def test_refund_button_on_a_paid_order(app, client, auth, rsps):
    stripe = StripeStub(rsps)
    auth.login()
    order = client.post(
        "/api/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    ).get_json()
    page = client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert 'id="refund"' in page
    response = client.post(f"/orders/{order['id']}/refund", follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'data-testid="order-status">refunded<' in text
    assert "Your refund is on its way." in text
    assert len(stripe.posts("/v1/refunds")) == 1


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Not found" in text
    assert 'id="flash"' in text


# --- checkout ------------------------------------------------------------------------------


def test_buy_redirects_to_stripe_checkout(app, client, auth, rsps):
    stripe = StripeStub(rsps)
    auth.login(email="ada@example.com")
    response = client.post("/checkout/coffee-mug")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [(form, headers)] = stripe.posts("/v1/checkout/sessions")
    [(status, session_id, _reason)] = all_orders(app)
    assert status == "pending"
    assert session_id and session_id.startswith("cs_test_")
    with app.app_context():
        order_id = db.session.scalar(select(Order.id))
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == "1500"
    assert form["line_items[0][quantity]"] == "1"
    with app.app_context():
        reference = db.session.get(Order, order_id).reference
    assert form["client_reference_id"] == str(order_id)
    assert form["metadata[order_id]"] == str(order_id)
    assert form["metadata[order_ref]"] == reference
    assert form["payment_intent_data[metadata][order_ref]"] == reference
    assert form["customer_email"] == "ada@example.com"
    assert (
        form["success_url"] == "http://localhost/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    )
    assert form["cancel_url"] == f"http://localhost/checkout/cancel?order_id={order_id}"
    assert headers["Idempotency-Key"] == f"demo-{reference}-checkout"


def test_buy_when_logged_out_goes_to_login(app, client, rsps):
    stripe = StripeStub(rsps)
    response = client.post("/checkout/coffee-mug")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert stripe.calls == []
    assert all_orders(app) == []


def test_buy_when_payments_are_not_configured_is_a_503_page_and_no_order(app_factory):
    from tests.demo.harness import AuthActions

    app = app_factory(STRIPE_API_KEY=None)
    client = app.test_client()
    AuthActions(app, client).login()
    response = client.post("/checkout/hoodie")
    assert response.status_code == 503
    assert 'data-code="payments_not_configured"' in response.get_data(as_text=True)
    assert all_orders(app) == []


def test_error_message_is_in_the_flash_region(client, auth):
    auth.login()
    page = client.post("/checkout/unicorn").get_data(as_text=True)
    flash = page.split('id="flash"', 1)[1].split("</div>", 1)[0]
    assert "There is no product" in flash


def test_buy_unknown_product_is_404_page(app, client, auth, rsps):
    stripe = StripeStub(rsps)
    auth.login()
    response = client.post("/checkout/unicorn")
    assert response.status_code == 404
    assert "There is no product" in response.get_data(as_text=True)
    assert stripe.calls == []
    assert all_orders(app) == []


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("timeout", 504), ("server_error", 502), ("rate_limit", 503), ("connection_error", 503)],
)
def test_checkout_provider_trouble_is_a_friendly_page_and_a_failed_order(
    app, client, auth, rsps, outcome, status
):
    StripeStub(rsps, checkout_outcome=outcome)
    auth.login()
    response = client.post("/checkout/coffee-mug")
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert 'data-testid="error-message"' in text
    assert "Traceback" not in text
    [(db_status, session_id, reason)] = all_orders(app)
    assert (db_status, session_id) == ("failed", None)
    assert reason.startswith("Checkout could not start")


def test_checkout_answer_without_a_url_is_a_502_page_and_a_failed_order(app, client, auth, rsps):
    rsps.add(
        responses.POST,
        "https://api.stripe.com/v1/checkout/sessions",
        json={"id": "cs_test_nourl", "object": "checkout.session", "url": None},
    )
    auth.login()
    response = client.post("/checkout/hoodie")
    assert response.status_code == 502
    [(status, session_id, reason)] = all_orders(app)
    assert (status, session_id) == ("failed", None)
    assert "no checkout page" in reason


def test_success_page_shows_the_order_then_the_webhook_confirms_it(app, client, auth, rsps):
    StripeStub(rsps)
    auth.login()
    client.post("/checkout/hoodie")
    with app.app_context():
        order = db.session.scalar(select(Order))
        order_id, session_id = order.id, order.checkout_session_id
    page = client.get(f"/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert 'data-testid="order-status">pending<' in page
    assert '<meta http-equiv="refresh"' in page  # keeps refreshing until the webhook lands
    session = {
        "id": session_id,
        "object": "checkout.session",
        "client_reference_id": str(order_id),
        "payment_status": "paid",
        "payment_intent": "pi_checkout",
    }
    assert (
        signed_webhook(client, make_event("checkout.session.completed", session)).status_code == 200
    )
    page = client.get(f"/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert 'data-testid="order-status">paid<' in page
    assert "Your payment is confirmed." in page
    assert 'http-equiv="refresh"' not in page


def test_success_page_for_someone_elses_session_is_404(app, client, auth, rsps):
    StripeStub(rsps)
    auth.login(provider_user_id="owner")
    client.post("/checkout/hoodie")
    with app.app_context():
        session_id = db.session.scalar(select(Order.checkout_session_id))
    auth.login(provider_user_id="other")
    assert client.get(f"/checkout/success?session_id={session_id}").status_code == 404
    assert client.get("/checkout/success").status_code == 404


def test_the_cancel_page_changes_nothing_and_offers_a_form(app, client, auth, rsps):
    """Stripe's cancel link (or any other site) opening the page cancels nothing."""
    stripe = StripeStub(rsps)
    auth.login()
    client.post("/checkout/hoodie")
    with app.app_context():
        order_id = db.session.scalar(select(Order.id))
    page = client.get(f"/checkout/cancel?order_id={order_id}").get_data(as_text=True)
    assert "You have not been charged." in page
    assert f'action="/orders/{order_id}/cancel"' in page and 'id="cancel-order"' in page
    assert all_orders(app)[0][0] == "pending"
    assert [path for _m, path, _f, _h in stripe.calls] == ["/v1/checkout/sessions"]


def test_the_cancel_form_expires_the_checkout_then_cancels_the_order(app, client, auth, rsps):
    stripe = StripeStub(rsps)
    auth.login()
    client.post("/checkout/hoodie")
    with app.app_context():
        order_id, session_id = db.session.execute(select(Order.id, Order.checkout_session_id)).one()
    response = client.post(f"/orders/{order_id}/cancel", follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert 'data-testid="order-status">canceled<' in text
    assert "You have not been charged." in text
    assert stripe.sessions[session_id]["status"] == "expired"  # Stripe's page can't be paid
    assert all_orders(app)[0][0] == "canceled"
    # Once canceled, there is nothing left to cancel.
    again = client.post(f"/orders/{order_id}/cancel")
    assert again.status_code == 409
    assert 'data-code="order_not_cancelable"' in again.get_data(as_text=True)


def test_a_checkout_paid_meanwhile_is_not_canceled(app, client, auth, rsps):
    stripe = StripeStub(rsps)
    auth.login()
    client.post("/checkout/hoodie")
    with app.app_context():
        order_id, session_id = db.session.execute(select(Order.id, Order.checkout_session_id)).one()
    stripe.sessions[session_id]["status"] = "complete"  # paid, webhook not delivered yet
    response = client.post(f"/orders/{order_id}/cancel", follow_redirects=True)
    assert response.status_code == 200
    assert "already completed" in response.get_data(as_text=True)
    assert all_orders(app)[0][0] == "pending"  # the webhook will say paid


def test_cancel_page_for_someone_elses_order_is_404_and_changes_nothing(app, client, auth, rsps):
    StripeStub(rsps)
    auth.login(provider_user_id="owner")
    client.post("/checkout/hoodie")
    with app.app_context():
        order_id = db.session.scalar(select(Order.id))
    auth.login(provider_user_id="other")
    assert client.get(f"/checkout/cancel?order_id={order_id}").status_code == 404
    assert client.get("/checkout/cancel?order_id=abc").status_code == 404
    assert client.post(f"/orders/{order_id}/cancel").status_code == 404
    assert all_orders(app)[0][0] == "pending"
