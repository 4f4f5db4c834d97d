"""Every failure on the demo shop's login, payment, refund and webhook paths, as one table each.

Each row injects one `mockkit.errors` fault into mockkit's own fakes (the shop is unmodified
and talks to the providers' real hosts, answered in-process), then checks what the shop's user
sees (status, error code, message) and what the database holds afterwards: nothing lost,
nothing half-written, the order's status true to what Stripe did. Stripe runs with its default
2 retries here (the shop's other tests use 0), so a retried failure really costs 3 attempts,
and no time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import stripe
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from demo_app.billing import new_order
from demo_app.db import db
from demo_app.models import Order, Product, User
from mockkit import errors
from mockkit.errors import Fault, oauth
from mockkit.errors import stripe as stripe_errors
from mockkit.oauth import GitHubFake, GoogleFake, OAuthFake, login
from mockkit.patching import Clock
from mockkit.stripe import StripeFake
from tests.demo.harness import TEST_CONFIG, AuthActions

PRODUCT = "coffee-mug"
INTENTS = "/v1/payment_intents"
REFUNDS = "/v1/refunds"


@dataclass(frozen=True)
class Row:
    """One line of a table: a fault where it strikes, and what the shop must make of it."""

    id: str
    fault: Callable[[], Fault]
    status: int
    code: str | None
    message: str
    after: str  # the order's status afterwards ("" on the login table: no user is created)
    attempts: int = 1
    path: str = ""
    times: int | None = None  # how often the fault fires (default: on every attempt of one call)


def rows(*table: Row) -> Any:
    return pytest.mark.parametrize("row", table, ids=[r.id for r in table])


@pytest.fixture
def shop(app_factory: Callable[..., Flask]) -> Flask:
    """The shop with stripe-python's default retries (the other demo tests turn them off)."""
    return app_factory(STRIPE_MAX_NETWORK_RETRIES=2)


@pytest.fixture
def customer(shop: Flask) -> FlaskClient:
    client = shop.test_client()
    AuthActions(shop, client).login()
    return client


@pytest.fixture
def stripe_fake() -> Iterator[StripeFake]:
    with StripeFake() as fake:
        yield fake


def orders(app: Flask) -> list[Order]:
    with app.app_context():
        found = list(db.session.scalars(select(Order).order_by(Order.id)))
        for order in found:
            db.session.expunge(order)
        return found


def error_of(response: Any) -> dict[str, Any]:
    body = response.get_json()
    assert body is not None and "error" in body, response.get_data(as_text=True)[:300]
    return dict(body["error"])


def buy(client: FlaskClient, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/orders",
        json={"product": PRODUCT, "payment_method": "pm_card_visa"},
        headers=headers,
    )


# ---- payment: POST /api/orders, the PaymentIntent create ------------------------------------

_TIMEOUT = "did not answer in time"
_UNREACHABLE = "cannot be reached"
_PROVIDER = "payment provider had a problem"
_REJECTED = "rejected the request"

PAYMENT = (
    Row("card_declined", stripe_errors.card_declined, 402, "card_declined",
        "Your card was declined.", "failed"),
    Row("insufficient_funds", lambda: stripe_errors.card_declined("insufficient_funds"), 402,
        "card_declined", "Your card has insufficient funds.", "failed"),
    Row("expired_card", stripe_errors.expired_card, 402, "card_declined",
        "Your card has expired.", "failed"),
    Row("incorrect_cvc", stripe_errors.incorrect_cvc, 402, "card_declined",
        "security code is incorrect", "failed"),
    Row("processing_error", stripe_errors.processing_error, 402, "card_declined",
        "error occurred while processing", "failed"),
    Row("authentication_required", stripe_errors.authentication_required, 402, "card_declined",
        "requires authentication", "failed"),
    Row("read_timeout", errors.read_timeout, 504, "payment_provider_timeout", _TIMEOUT,
        "pending", attempts=3),
    Row("connect_timeout", errors.connect_timeout, 504, "payment_provider_timeout", _TIMEOUT,
        "pending", attempts=3),
    Row("slow_past_timeout", lambda: errors.slow(120), 504, "payment_provider_timeout",
        _TIMEOUT, "pending", attempts=3),
    Row("connection_refused", errors.connection_refused, 503, "payment_provider_unreachable",
        _UNREACHABLE, "pending", attempts=3),
    Row("connection_reset", errors.connection_reset, 503, "payment_provider_unreachable",
        _UNREACHABLE, "pending", attempts=3),
    Row("dns_failure", errors.dns_failure, 503, "payment_provider_unreachable", _UNREACHABLE,
        "pending", attempts=3),
    Row("ssl_error", errors.ssl_error, 503, "payment_provider_unreachable", _UNREACHABLE,
        "pending"),
    Row("truncated_body", errors.truncated_body, 503, "payment_provider_unreachable",
        _UNREACHABLE, "pending"),
    Row("malformed_json", errors.malformed_json, 502, "payment_provider_error", _PROVIDER,
        "pending"),
    Row("empty_body", errors.empty_body, 502, "payment_provider_error", _PROVIDER, "pending"),
    Row("server_error_500", errors.server_error, 502, "payment_provider_error", _PROVIDER,
        "pending", attempts=3),
    Row("api_error_no_retry", lambda: stripe_errors.api_error(should_retry=False), 502,
        "payment_provider_error", _PROVIDER, "pending"),
    Row("idempotency_conflict", lambda: stripe_errors.idempotency_error(concurrent=True), 502,
        "payment_provider_error", _PROVIDER, "pending", attempts=3),
    Row("rate_limited", errors.rate_limited, 503, "payment_provider_busy", "busy", "pending"),
    Row("stripe_rate_limit", stripe_errors.rate_limit, 503, "payment_provider_busy", "busy",
        "pending"),
    Row("idempotency_error", stripe_errors.idempotency_error, 502, "payment_request_rejected",
        _REJECTED, "pending"),
    # The client's payment method does not exist: refused as a whole, no order kept.
    Row("resource_missing", lambda: stripe_errors.resource_missing("payment_method", "pm_x",
        param="payment_method"), 422, "validation_error", "not valid", ""),
    Row("invalid_api_key", stripe_errors.invalid_api_key, 502, "payment_provider_error",
        "misconfigured on our side", "pending"),
    Row("permission_denied", stripe_errors.permission_denied, 502, "payment_provider_error",
        "misconfigured on our side", "pending"),
    # Absorbed by stripe-python's retries: the customer never notices.
    Row("two_timeouts_then_ok", errors.read_timeout, 201, None, "", "paid", attempts=3,
        times=2),
    Row("two_resets_then_ok", errors.connection_reset, 201, None, "", "paid", attempts=3,
        times=2),
)  # fmt: skip


@rows(*PAYMENT)
def test_payment_failures(
    row: Row, shop: Flask, customer: FlaskClient, stripe_fake: StripeFake
) -> None:
    stripe_fake.inject(row.fault(), method="POST", path=INTENTS, times=row.times or row.attempts)
    response = buy(customer)

    assert response.status_code == row.status, response.get_data(as_text=True)[:300]
    attempts = list(stripe_fake.calls("POST", INTENTS))
    assert len(attempts) == row.attempts
    assert len({r.headers["Idempotency-Key"] for r in attempts}) == 1  # one payment, retried
    if not row.after:
        assert error_of(response)["code"] == row.code
        assert orders(shop) == [] and not stripe_fake.objects("payment_intent")
        return
    [order] = orders(shop)  # exactly one order, whatever happened
    assert order.status == row.after
    intents = stripe_fake.objects("payment_intent")
    if row.code is None:
        assert list(intents) == [order.payment_intent_id]
        assert intents[order.payment_intent_id]["status"] == "succeeded"
        assert order.failure_reason is None
        return
    error = error_of(response)
    assert error["code"] == row.code
    assert row.message in error["message"]
    assert error["order"]["status"] == row.after
    # The fault answered in Stripe's place: Stripe holds no payment, the shop claims none.
    assert not intents
    assert order.payment_intent_id is None
    assert order.failure_reason  # the customer's order page says why
    assert "sk_test" not in response.get_data(as_text=True)  # keys never leak


def test_a_timeout_then_a_retry_with_the_same_key_pays_once(
    shop: Flask, customer: FlaskClient, stripe_fake: StripeFake
) -> None:
    stripe_fake.inject(errors.read_timeout(), method="POST", path=INTENTS, times=3)
    first = buy(customer, key="cart-7")
    assert first.status_code == 504
    second = buy(customer, key="cart-7")
    assert second.status_code == 201
    [order] = orders(shop)
    assert (order.status, second.get_json()["id"]) == ("paid", order.id)
    assert list(stripe_fake.objects("payment_intent")) == [order.payment_intent_id]
    keys = {r.headers["Idempotency-Key"] for r in stripe_fake.calls("POST", INTENTS)}
    assert len(keys) == 1  # the shop reused its Stripe idempotency key


# ---- refund: POST /api/orders/<id>/refund ------------------------------------------------------

REFUND = (
    Row("read_timeout", errors.read_timeout, 504, "payment_provider_timeout", _TIMEOUT, "paid",
        attempts=3),
    Row("connection_reset", errors.connection_reset, 503, "payment_provider_unreachable",
        _UNREACHABLE, "paid", attempts=3),
    Row("server_error_503", lambda: errors.server_error(503), 502, "payment_provider_error",
        _PROVIDER, "paid", attempts=3),
    Row("rate_limited", errors.rate_limited, 503, "payment_provider_busy", "busy", "paid"),
    Row("malformed_json", errors.malformed_json, 502, "payment_provider_error", _PROVIDER,
        "paid"),
    Row("resource_missing", lambda: stripe_errors.resource_missing("charge", "ch_x",
        param="payment_intent"), 502, "payment_request_rejected", _REJECTED, "paid"),
    Row("invalid_api_key", stripe_errors.invalid_api_key, 502, "payment_provider_error",
        "misconfigured on our side", "paid"),
    Row("timeout_then_ok", errors.read_timeout, 200, None, "", "refunded", attempts=3,
        times=2),
)  # fmt: skip


@rows(*REFUND)
def test_refund_failures(
    row: Row, shop: Flask, customer: FlaskClient, stripe_fake: StripeFake
) -> None:
    paid = buy(customer).get_json()
    assert paid["status"] == "paid"
    stripe_fake.inject(row.fault(), method="POST", path=REFUNDS, times=row.times or row.attempts)

    response = customer.post(f"/api/orders/{paid['id']}/refund", json={})

    assert response.status_code == row.status, response.get_data(as_text=True)[:300]
    assert len(list(stripe_fake.calls("POST", REFUNDS))) == row.attempts
    [order] = orders(shop)
    assert order.status == row.after
    refunds = stripe_fake.objects("refund")
    if row.code is None:
        assert list(refunds) == [order.refund_id]
        return
    error = error_of(response)
    assert error["code"] == row.code and row.message in error["message"]
    assert not refunds and order.refund_id is None  # still paid, and truly so
    # Once Stripe answers again, the refund goes through exactly once.
    again = customer.post(f"/api/orders/{paid['id']}/refund", json={})
    assert (again.status_code, again.get_json()["status"]) == (200, "refunded")
    assert len(stripe_fake.objects("refund")) == 1


# ---- webhooks: POST /webhooks/stripe ----------------------------------------------------------

SECRET = TEST_CONFIG["STRIPE_WEBHOOK_SECRET"]


#: An order as its Stripe objects name it: (id, the order's random reference).
OrderRef = tuple[int, str]


def _ref(shop: Flask, order_id: int) -> OrderRef:
    with shop.app_context():
        order = db.session.get(Order, order_id)
        assert order is not None
        return order_id, order.reference


def _event(order: OrderRef, type: str = "payment_intent.succeeded") -> str:
    order_id, reference = order
    intent = {
        "id": "pi_webhook_1",
        "object": "payment_intent",
        "status": "succeeded" if type.endswith("succeeded") else "requires_payment_method",
        "metadata": {"order_id": str(order_id), "order_ref": reference},
        "last_payment_error": None
        if type.endswith("succeeded")
        else {"message": "Your card was declined.", "code": "card_declined"},
    }
    return json.dumps(
        {"id": f"evt_{type}", "object": "event", "type": type, "data": {"object": intent}}
    )


def _post(client: FlaskClient, payload: str, header: str) -> Any:
    return client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def _sign(payload: str, secret: str = SECRET) -> str:
    return str(stripe.WebhookSignature.generate_signature_header(payload, secret))


def _valid(c: FlaskClient, order_id: OrderRef, clock: Clock) -> Any:
    return _post(c, _event(order_id), _sign(_event(order_id)))


def _wrong_secret(c: FlaskClient, order_id: OrderRef, clock: Clock) -> Any:
    return _post(c, _event(order_id), _sign(_event(order_id), "whsec_other"))


def _stale(c: FlaskClient, order_id: OrderRef, clock: Clock) -> Any:
    header = _sign(_event(order_id))
    clock.advance(seconds=301)  # delivered past stripe-python's 300 s tolerance
    return _post(c, _event(order_id), header)


def _reserialized(c: FlaskClient, order_id: OrderRef, clock: Clock) -> Any:
    # A framework that re-serialises the JSON before verifying breaks the signature.
    return _post(c, _event(order_id).replace(" ", ""), _sign(_event(order_id)))


def _unsigned(c: FlaskClient, order_id: OrderRef, clock: Clock) -> Any:
    return c.post("/webhooks/stripe", data=_event(order_id))


def _not_json(c: FlaskClient, order_id: OrderRef, clock: Clock) -> Any:
    return _post(c, "{not json", _sign("{not json"))


def _failed(c: FlaskClient, order_id: OrderRef, clock: Clock) -> Any:
    event = _event(order_id, "payment_intent.payment_failed")
    return _post(c, event, _sign(event))


WEBHOOK = (
    pytest.param(_valid, 200, "", "paid", id="valid"),
    pytest.param(_wrong_secret, 400, "invalid_signature", "pending", id="wrong_secret"),
    pytest.param(_stale, 400, "invalid_signature", "pending", id="stale_signature"),
    pytest.param(_reserialized, 400, "invalid_signature", "pending", id="reserialized_body"),
    pytest.param(_unsigned, 400, "missing_signature", "pending", id="no_signature"),
    pytest.param(_not_json, 400, "invalid_payload", "pending", id="not_json"),
    pytest.param(_failed, 200, "", "failed", id="payment_failed"),
)


@pytest.mark.parametrize(("send", "status", "code", "after"), WEBHOOK)
def test_webhook_failures(
    send: Callable[[FlaskClient, OrderRef, Clock], Any],
    status: int,
    code: str,
    after: str,
    shop: Flask,
    customer: FlaskClient,
    mockkit_clock: Clock,
) -> None:
    with shop.app_context():
        user = db.session.scalar(select(User))
        assert user is not None
        product = db.session.scalar(select(Product).filter_by(slug=PRODUCT))
        # pending, as after a Checkout redirect
        order_id = new_order(user.id, product.id)

    response = send(shop.test_client(), _ref(shop, order_id), mockkit_clock)

    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if code:
        assert error_of(response)["code"] == code
    [order] = orders(shop)
    assert order.status == after


def test_webhook_duplicates_and_late_failures_do_not_undo_a_payment(
    shop: Flask, customer: FlaskClient, stripe_fake: StripeFake
) -> None:
    paid = buy(customer).get_json()
    succeeded = _event(_ref(shop, paid["id"]))
    first = _post(shop.test_client(), succeeded, _sign(succeeded))
    again = _post(shop.test_client(), succeeded, _sign(succeeded))
    failed = _event(_ref(shop, paid["id"]), "payment_intent.payment_failed")
    late = _post(shop.test_client(), failed, _sign(failed))
    assert [r.status_code for r in (first, again, late)] == [200, 200, 200]
    assert again.get_json()["duplicate"] is True
    [order] = orders(shop)
    assert order.status == "paid"


# ---- login: GitHub and Google through authlib ---------------------------------------------------

_TROUBLE = "is having trouble"
_REFUSED = "refused the login"
_NO_ANSWER = "did not answer in time"
_UNREACHABLE_LOGIN = "cannot be reached"
_GARBLED = "could not understand"

# (provider, endpoint) -> path on the fake
PATHS = {
    ("github", "authorize"): "/login/oauth/authorize",
    ("github", "token"): "/login/oauth/access_token",
    ("github", "user"): "/user",
    ("google", "authorize"): "/o/oauth2/v2/auth",
    ("google", "token"): "/token",
    ("google", "jwks"): "/oauth2/v3/certs",
}

LOGIN = (
    Row("access_denied", oauth.access_denied, 200, None, "Login was cancelled.", "",
        path="authorize"),
    Row("authorize_server_error", oauth.server_error, 503, "login_provider_unavailable",
        _TROUBLE, "", path="authorize"),
    Row("authorize_temporarily_unavailable", oauth.temporarily_unavailable, 503,
        "login_provider_unavailable", _TROUBLE, "", path="authorize"),
    Row("invalid_grant", oauth.invalid_grant, 502, "login_provider_error",
        "(invalid_grant)", "", path="token"),
    Row("invalid_client", oauth.invalid_client, 502, "login_provider_error",
        "(invalid_client)", "", path="token"),
    Row("token_server_error", oauth.server_error, 503, "login_provider_unavailable", _TROUBLE,
        "", path="token"),
    Row("token_500_page", errors.server_error, 503, "login_provider_unavailable", _TROUBLE, "",
        path="token"),
    Row("token_429", errors.rate_limited, 503, "login_provider_unavailable", _TROUBLE, "",
        path="token"),
    Row("token_read_timeout", errors.read_timeout, 504, "login_provider_timeout", _NO_ANSWER,
        "", path="token"),
    Row("token_connect_timeout", errors.connect_timeout, 504, "login_provider_timeout",
        _NO_ANSWER, "", path="token"),
    Row("token_reset", errors.connection_reset, 503, "login_provider_unreachable",
        _UNREACHABLE_LOGIN, "", path="token"),
    Row("token_dns", errors.dns_failure, 503, "login_provider_unreachable",
        _UNREACHABLE_LOGIN, "", path="token"),
    Row("token_ssl", errors.ssl_error, 503, "login_provider_unreachable", _UNREACHABLE_LOGIN,
        "", path="token"),
    Row("token_malformed_json", errors.malformed_json, 502, "login_provider_error", _GARBLED,
        "", path="token"),
    Row("token_empty_body", errors.empty_body, 502, "login_provider_error", _GARBLED, "",
        path="token"),
    Row("token_truncated", errors.truncated_body, 502, "login_provider_error", _GARBLED, "",
        path="token"),
)  # fmt: skip

GITHUB_ONLY = (
    Row("github_200_error", oauth.github_error, 502, "login_provider_error",
        "(bad_verification_code)", "", path="token"),
    Row("user_timeout", errors.read_timeout, 504, "login_provider_timeout", _NO_ANSWER, "",
        path="user"),
    Row("user_502", lambda: errors.server_error(502), 503, "login_provider_unavailable",
        _TROUBLE, "", path="user"),
    Row("user_bad_credentials", oauth.invalid_token, 502, "login_provider_error", _GARBLED, "",
        path="user"),
)  # fmt: skip

GOOGLE_ONLY = (
    Row("jwks_timeout", errors.read_timeout, 504, "login_provider_timeout", _NO_ANSWER, "",
        path="jwks"),
    Row("jwks_503", lambda: errors.server_error(503), 503, "login_provider_unavailable",
        _TROUBLE, "", path="jwks"),
)  # fmt: skip

LOGIN_ROWS = [("github", r) for r in (*LOGIN, *GITHUB_ONLY)] + [
    ("google", r) for r in (*LOGIN, *GOOGLE_ONLY)
]


@pytest.fixture
def oauth_fakes() -> Iterator[dict[str, OAuthFake]]:
    github, google = GitHubFake(), GoogleFake()
    github.add_client(TEST_CONFIG["GITHUB_CLIENT_ID"], TEST_CONFIG["GITHUB_CLIENT_SECRET"])
    github.add_user("octocat", name="The Octocat", email="octocat@example.com")
    google.add_client(TEST_CONFIG["GOOGLE_CLIENT_ID"], TEST_CONFIG["GOOGLE_CLIENT_SECRET"])
    google.add_user(email="alice@example.com", name="Alice Example")
    with github, google:
        yield {"github": github, "google": google}


@pytest.mark.parametrize(
    ("provider", "row"), LOGIN_ROWS, ids=[f"{p}-{r.id}" for p, r in LOGIN_ROWS]
)
def test_login_failures(
    provider: str, row: Row, shop: Flask, oauth_fakes: dict[str, OAuthFake]
) -> None:
    fake = oauth_fakes[provider]
    fake.inject(row.fault(), path=PATHS[(provider, row.path)])
    client = shop.test_client()

    response = login(client, f"/login/{provider}", fake, follow_redirects=True)

    assert response.status_code == row.status, response.get_data(as_text=True)[:300]
    assert row.message in response.get_data(as_text=True)
    if row.code is not None:
        assert row.code in response.get_data(as_text=True)
    # Nobody was logged in, and no user row was half-created.
    assert client.get("/api/me").status_code == 401
    with shop.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
