"""The served fake's hosted pages (Checkout, 3D Secure) and the pytest fixtures."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import stripe

from mockkit.stripe import StripeFake, StripeServer

SUCCESS = "https://shop.example/thanks?session_id={CHECKOUT_SESSION_ID}"


def _session(name: str = "Poster", **extra: Any) -> stripe.checkout.Session:
    return stripe.checkout.Session.create(
        mode="payment",
        success_url=SUCCESS,
        cancel_url="https://shop.example/cart",
        line_items=[
            {
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 1250,
                    "product_data": {"name": name},
                },
                "quantity": 2,
            }
        ],
        **extra,
    )


def test_checkout_page_pays_and_redirects_to_success_url(
    mockkit_stripe_server: StripeServer,
) -> None:
    session = _session()
    assert session.url.startswith(mockkit_stripe_server.url + "/c/pay/")
    page = requests.get(session.url, timeout=5)
    assert page.status_code == 200
    html = page.text
    for element in ("id=card", "id=pay", "id=cancel", "id=email", "id=total"):
        assert element in html
    assert "Poster" in html and "$25.00" in html
    assert 'href="https://shop.example/cart"' in html

    paid = requests.post(session.url, data={"card": "pm_card_visa", "email": "buyer@example.com"},
                         allow_redirects=False, timeout=5)  # fmt: skip
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"https://shop.example/thanks?session_id={session.id}"
    done = stripe.checkout.Session.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.customer_details.email == "buyer@example.com"
    assert mockkit_stripe_server.fake.events[-1]["type"] == "checkout.session.completed"
    again = requests.get(session.url, timeout=5)
    assert "Already paid" in again.text


def test_declined_card_on_the_page_shows_the_error_and_keeps_the_session_open(
    mockkit_stripe_server: StripeServer,
) -> None:
    session = _session()
    page = requests.post(session.url, data={"card": "pm_card_chargeDeclined"}, timeout=5)
    assert page.status_code == 402
    assert "id=error" in page.text and "Your card was declined." in page.text
    assert stripe.checkout.Session.retrieve(session.id).status == "open"
    assert mockkit_stripe_server.fake.events[-1]["type"] == "payment_intent.payment_failed"


def test_page_escapes_what_the_merchant_sent(mockkit_stripe_server: StripeServer) -> None:
    session = _session(name="<script>alert(1)</script>")
    html = requests.get(session.url, timeout=5).text
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_expired_and_unknown_sessions_get_a_page_not_a_crash(
    mockkit_stripe_server: StripeServer,
) -> None:
    session = _session()
    stripe.checkout.Session.expire(session.id)
    gone = requests.get(f"{mockkit_stripe_server.url}/c/pay/{session.id}", timeout=5)
    assert gone.status_code == 410 and "expired" in gone.text
    missing = requests.get(f"{mockkit_stripe_server.url}/c/pay/cs_test_nope", timeout=5)
    assert missing.status_code == 404


def test_three_d_secure_page_completes_and_returns(mockkit_stripe_server: StripeServer) -> None:
    pi = stripe.PaymentIntent.create(
        amount=4000, currency="usd", payment_method="pm_card_threeDSecure2Required",
        confirm=True, return_url="https://shop.example/return",
    )  # fmt: skip
    url = pi.next_action.redirect_to_url.url
    assert url.startswith(mockkit_stripe_server.url)
    assert "id=complete" in requests.get(url, timeout=5).text
    back = requests.post(url, data={"action": "complete"}, allow_redirects=False, timeout=5)
    assert back.status_code == 303
    assert back.headers["Location"].startswith(
        "https://shop.example/return?payment_intent=" + pi.id
    )
    assert "redirect_status=succeeded" in back.headers["Location"]
    assert stripe.PaymentIntent.retrieve(pi.id).status == "succeeded"


def test_in_process_checkout_url_answers_too(mockkit_stripe: StripeFake) -> None:
    session = _session()
    assert session.url.startswith("https://checkout.stripe.com/c/pay/")
    page = requests.get(session.url, timeout=5)
    assert page.status_code == 200 and "id=pay" in page.text


def test_in_process_and_served_share_state(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe, "api_key", "sk_test_shared")
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")
    with StripeFake() as fake, fake.serve() as server:
        made = stripe.Customer.create(email="both@example.com")  # in-process
        client = stripe.StripeClient("sk_test_shared", base_addresses={"api": server.url})
        assert client.v1.customers.retrieve(made.id).email == "both@example.com"  # served
        assert server.fake is fake


def test_mockkit_stripe_fixture(mockkit_stripe: StripeFake) -> None:
    assert stripe.api_key is not None and stripe.api_key.startswith("sk_test_")
    customer = stripe.Customer.create()
    assert customer.id in mockkit_stripe.customers
    assert mockkit_stripe.request_log[0].path == "/v1/customers"


def test_mockkit_stripe_server_fixture(mockkit_stripe_server: StripeServer) -> None:
    assert stripe.api_base == mockkit_stripe_server.url
    stripe.Product.create(name="Served")
    assert [p["name"] for p in mockkit_stripe_server.fake.products.values()] == ["Served"]


def test_server_started_before_entering_in_process_stays_reachable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stripe, "api_key", "sk_test_order")
    fake = StripeFake()
    with fake.serve() as server, fake:
        monkeypatch.setattr(stripe, "api_base", server.url)
        assert stripe.Customer.create(email="late@example.com").email == "late@example.com"
    assert len(fake.customers) == 1


def test_served_retries_keep_their_count_without_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockkit.transport import requested_sleeps
    from tests.stripe.driver import ServerError

    fake = StripeFake()
    with fake.serve() as server:
        client = stripe.StripeClient(
            "sk_test_retry", base_addresses={"api": server.url}, max_network_retries=2
        )
        fake.inject(ServerError(), method="POST", path="/v1/customers", times=2)
        before = len(requested_sleeps)
        customer = client.v1.customers.create()
        assert len(requested_sleeps) - before == 2  # asked for, not slept
    assert [r.status for r in fake.request_log] == [500, 500, 200]
    assert list(fake.customers) == [customer.id]
