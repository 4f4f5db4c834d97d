"""The FastAPI example's suite: login, async payments, failures and webhooks on the fakes."""

from __future__ import annotations

from fastapi.testclient import TestClient

import mockkit
from mockkit.oauth import GitHubFake, login
from mockkit.stripe import StripeFake


def test_login_with_github_through_authlibs_starlette_client(
    client: TestClient, github: GitHubFake
) -> None:
    assert client.get("/me").status_code == 401
    callback = login(client, "/login", github)
    assert callback.status_code == 303
    assert client.get("/me").json() == {"login": "octocat"}
    # The browser steps (authorize, consent), then the app's own calls through httpx2:
    assert [r.path for r in github.requests][-2:] == ["/login/oauth/access_token", "/user"]


def test_login_denied_by_the_user_leaves_them_logged_out(
    client: TestClient, github: GitHubFake
) -> None:
    answer = login(client, "/login", github, consent=False)
    assert answer.status_code == 401
    assert answer.json() == {"error": "access_denied"}
    assert client.get("/me").status_code == 401


def test_a_token_endpoint_failure_is_a_clear_401(client: TestClient, github: GitHubFake) -> None:
    github.inject(mockkit.errors.oauth.github_error(), path=github.paths["token"])
    answer = login(client, "/login", github)
    assert answer.json() == {"error": "bad_verification_code"}


def test_async_payment_succeeds_and_is_declined(
    client: TestClient, github: GitHubFake, stripe_fake: StripeFake
) -> None:
    login(client, "/login", github)
    paid = client.post("/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"})
    assert paid.status_code == 200
    assert paid.json()["status"] == "succeeded"
    assert paid.json()["amount"] == 1200
    declined = client.post(
        "/orders", json={"product": "hoodie", "payment_method": "pm_card_chargeDeclined"}
    )
    assert declined.status_code == 402
    assert declined.json() == {"error": "card_declined", "code": "card_declined"}
    assert stripe_fake.state is not None
    assert [e["type"] for e in stripe_fake.events][-1] == "payment_intent.payment_failed"


def test_a_stripe_timeout_is_retried_then_a_504(
    client: TestClient, github: GitHubFake, stripe_fake: StripeFake
) -> None:
    login(client, "/login", github)
    rule = stripe_fake.inject(mockkit.errors.read_timeout(), path="/v1/payment_intents", times=None)
    answer = client.post(
        "/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    )
    assert answer.status_code == 504
    assert rule.fired == 3  # the app's two retries ran, without their backoff sleeps
    stripe_fake.clear_faults()
    retried = client.post(
        "/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"}
    )
    assert retried.json()["status"] == "succeeded"


def test_signed_webhooks_are_accepted_and_forged_ones_refused(
    client: TestClient,
    github: GitHubFake,
    stripe_fake: StripeFake,
) -> None:
    login(client, "/login", github)
    client.post("/orders", json={"product": "coffee-mug", "payment_method": "pm_card_visa"})
    # deliver() posts each event, signed, through the app's own TestClient.
    deliveries = stripe_fake.deliver(client, path="/webhooks/stripe")
    assert {d.status for d in deliveries} == {200}
    assert [d.body for d in deliveries][-1] == '{"received":"payment_intent.succeeded"}'
    assert client.app.state.events == [d.type for d in deliveries]  # type: ignore[attr-defined]
    # A wrong secret, or a timestamp past stripe-python's tolerance: refused, nothing recorded.
    refused = stripe_fake.deliver(client, path="/webhooks/stripe", bad_signature=True)
    refused += stripe_fake.deliver(client, path="/webhooks/stripe", old=True)
    assert {d.status for d in refused} == {400}
    assert client.app.state.events == [d.type for d in deliveries]  # type: ignore[attr-defined]
    forged = client.post(
        "/webhooks/stripe",
        content=b'{"id": "evt_forged", "type": "payment_intent.succeeded"}',
        headers={"Stripe-Signature": "t=1,v1=deadbeef"},
    )
    assert forged.status_code == 400


def test_an_order_needs_a_login(client: TestClient) -> None:
    answer = client.post("/orders", json={"product": "coffee-mug", "payment_method": "x"})
    assert answer.status_code == 401
