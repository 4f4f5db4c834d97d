"""Provider URLs and timeouts come from configuration alone (how fakes and sandboxes plug in)."""

from __future__ import annotations

import responses

from tests.demo.harness import AuthActions
from tests.demo.stubs import StripeStub, oauth_login, query


def test_stripe_calls_go_to_the_configured_base_with_the_configured_timeout(app_factory, rsps):
    app = app_factory(STRIPE_API_BASE="http://127.0.0.1:12111", PROVIDER_TIMEOUT=3.0)
    rsps.add(
        responses.POST,
        "http://127.0.0.1:12111/v1/payment_intents",
        json={
            "id": "pi_local",
            "object": "payment_intent",
            "status": "succeeded",
            "client_secret": "pi_local_secret_x",
        },
    )
    client = app.test_client()
    AuthActions(app, client).login()
    response = client.post(
        "/api/orders", json={"product": "hoodie", "payment_method": "pm_card_visa"}
    )
    assert response.status_code == 201
    assert response.get_json()["payment_intent"] == "pi_local"
    [call] = rsps.calls
    assert call.request.req_kwargs["timeout"] == 3.0


def test_github_urls_and_timeout_come_from_configuration(app_factory, rsps):
    app = app_factory(
        GITHUB_AUTHORIZE_URL="http://127.0.0.1:9000/login/oauth/authorize",
        GITHUB_ACCESS_TOKEN_URL="http://127.0.0.1:9000/login/oauth/access_token",
        GITHUB_API_BASE_URL="http://127.0.0.1:9001/",
        PROVIDER_TIMEOUT=4.0,
    )
    client = app.test_client()
    start = client.get("/login/github")
    assert start.headers["Location"].startswith("http://127.0.0.1:9000/login/oauth/authorize?")
    rsps.add(
        responses.POST,
        "http://127.0.0.1:9000/login/oauth/access_token",
        json={"access_token": "gho_local", "token_type": "bearer"},
    )
    rsps.add(
        responses.GET,
        "http://127.0.0.1:9001/user",
        json={"id": 1, "login": "local", "name": "Local", "email": "local@example.com"},
    )
    response = client.get(
        "/auth/github/callback",
        query_string={"code": "c", "state": query(start.headers["Location"])["state"]},
    )
    assert response.status_code == 302
    assert client.get("/api/me").get_json()["email"] == "local@example.com"
    assert [c.request.req_kwargs["timeout"] for c in rsps.calls] == [4.0, 4.0]


def test_google_discovery_url_comes_from_configuration(app_factory, rsps):
    app = app_factory(GOOGLE_DISCOVERY_URL="http://127.0.0.1:9002/.well-known/openid-configuration")
    rsps.add(
        responses.GET,
        "http://127.0.0.1:9002/.well-known/openid-configuration",
        json={
            "issuer": "http://127.0.0.1:9002",
            "authorization_endpoint": "http://127.0.0.1:9002/authorize",
            "token_endpoint": "http://127.0.0.1:9002/token",
            "jwks_uri": "http://127.0.0.1:9002/jwks",
        },
    )
    response = app.test_client().get("/login/google")
    assert response.headers["Location"].startswith("http://127.0.0.1:9002/authorize?")


def test_stub_helpers_work_with_the_default_urls(client, rsps):
    # The defaults are the real providers; the stubs answer there, in-process.
    from tests.demo.stubs import GitHubStub

    GitHubStub(rsps)
    assert oauth_login(client, "github").status_code == 302
    StripeStub(rsps)
    assert client.post("/api/orders", json={"product": "hoodie"}).status_code == 201
