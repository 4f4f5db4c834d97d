"""The demo page's one-example tour, verbatim: docs/demo.md shows this file."""

import mockkit
from mockkit.oauth import login


def test_shop_login_payments_failures_and_webhooks(app_factory, mockkit_github, mockkit_stripe):
    app = app_factory(STRIPE_WEBHOOK_SECRET=mockkit_stripe.webhook_secret)  # your app factory
    mockkit_github.add_client(app.config["GITHUB_CLIENT_ID"], app.config["GITHUB_CLIENT_SECRET"])
    client = app.test_client()

    login(client, "/login/github", mockkit_github)  # as the default user, consent given
    assert client.get("/api/me").get_json()["email"] == "octocat@example.com"

    order = {"product": "coffee-mug", "payment_method": "pm_card_visa"}
    assert client.post("/api/orders", json=order).get_json()["status"] == "paid"
    declined = {"product": "hoodie", "payment_method": "pm_card_chargeDeclined"}
    assert client.post("/api/orders", json=declined).status_code == 402

    mockkit_stripe.inject(mockkit.errors.read_timeout(), path="/v1/payment_intents")
    assert client.post("/api/orders", json=order).status_code == 504  # never a 500

    deliveries = mockkit_stripe.deliver(client, path="/webhooks/stripe")  # signed, in order
    assert {d.status for d in deliveries} == {200}
    statuses = [o["status"] for o in client.get("/api/orders").get_json()["orders"]]
    assert statuses == ["pending", "failed", "paid"]  # newest first; the timed-out one is retryable


def test_the_readme_shows_this_file_verbatim():
    from pathlib import Path

    here = Path(__file__).read_text()
    example = here[here.index("import mockkit") : here.index("\n\n\ndef test_the_readme")]
    page = (Path(__file__).parents[2] / "docs" / "demo.md").read_text()
    assert f"```python\n{example}\n```" in page
