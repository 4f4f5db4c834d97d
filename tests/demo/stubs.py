"""Plain `responses` stubs for the demo shop's providers, kept in one place so they can be
swapped for mockkit's stateful fakes later without touching the tests' assertions.

- `GitHubStub`: token endpoint, `/user`, `/user/emails`.
- `GoogleStub`: discovery, token endpoint (a real RS256 ID token signed with joserfc), JWKS.
- `StripeStub`: PaymentIntents, Checkout Sessions, refunds, with a chosen outcome.
- `oauth_login(client, provider)`: run the real redirect + callback through the app.
- `signed_webhook(...)`: POST an event with a real `Stripe-Signature`.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses
import stripe
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.test import TestResponse

GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token"
GITHUB_API = "https://api.github.com"
GOOGLE_DISCOVERY_URL = "https://accounts.google.com/.well-known/openid-configuration"
GOOGLE_ISSUER = "https://accounts.google.com"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_JWKS_URL = "https://www.googleapis.com/oauth2/v3/certs"
STRIPE_API = "https://api.stripe.com"


def query(url: str) -> dict[str, str]:
    """The query parameters of `url`, one value each."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def form(body: str | bytes | None) -> dict[str, str]:
    """A form-encoded request body as a dict (Stripe's bracket keys kept as they are)."""
    if isinstance(body, bytes):
        body = body.decode()
    return {k: v[0] for k, v in parse_qs(body or "").items()}


class GitHubStub:
    """GitHub's token endpoint and REST API as `responses` stubs."""

    def __init__(
        self,
        rsps: responses.RequestsMock,
        *,
        user: dict[str, Any] | None = None,
        emails: list[dict[str, Any]] | None = None,
        token_response: dict[str, Any] | None = None,
        token_status: int = 200,
    ) -> None:
        self.user = user or {
            "id": 4242,
            "login": "octo",
            "name": "Octo Cat",
            "email": "octo@example.com",
        }
        self.emails = emails if emails is not None else []
        rsps.add(
            responses.POST,
            GITHUB_TOKEN_URL,
            json=token_response
            or {
                "access_token": "gho_test_token",
                "token_type": "bearer",
                "scope": "read:user,user:email",
            },
            status=token_status,
        )
        self.user_call = rsps.add(responses.GET, f"{GITHUB_API}/user", json=self.user)
        self.emails_call = rsps.add(responses.GET, f"{GITHUB_API}/user/emails", json=self.emails)


@functools.cache
def google_signing_key() -> RSAKey:
    """One RSA key for the whole run: generating one costs tens of milliseconds."""
    return RSAKey.generate_key(2048, parameters={"kid": "demo-test-key", "use": "sig"})


class GoogleStub:
    """Google's discovery document, token endpoint and JWKS as `responses` stubs.

    The token endpoint answers with an ID token signed by `google_signing_key()`, whose
    `nonce` is the one the app sent in its authorize redirect (set `nonce` before the
    callback, as `oauth_login` does). `claims` overrides any claim, to build bad tokens.
    """

    def __init__(
        self,
        rsps: responses.RequestsMock,
        *,
        client_id: str = "google-client-id.apps.googleusercontent.com",
        sub: str = "109876543210",
        email: str = "grace@example.com",
        name: str = "Grace Hopper",
        claims: dict[str, Any] | None = None,
        discovery_status: int = 200,
    ) -> None:
        self.client_id = client_id
        self.nonce: str | None = None
        self.claims = {
            "sub": sub,
            "email": email,
            "email_verified": True,
            "name": name,
            **(claims or {}),
        }
        rsps.add(
            responses.GET,
            GOOGLE_DISCOVERY_URL,
            json={
                "issuer": GOOGLE_ISSUER,
                "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
                "token_endpoint": GOOGLE_TOKEN_URL,
                "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
                "jwks_uri": GOOGLE_JWKS_URL,
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["plain", "S256"],
            },
            status=discovery_status,
        )
        self.token_call = rsps.add_callback(responses.POST, GOOGLE_TOKEN_URL, callback=self._token)
        rsps.add(
            responses.GET,
            GOOGLE_JWKS_URL,
            json=KeySet([google_signing_key()]).as_dict(private=False),
        )
        self.token_requests: list[dict[str, str]] = []

    def _token(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self.token_requests.append(form(request.body))
        now = int(time.time())
        claims = {
            "iss": GOOGLE_ISSUER,
            "aud": self.client_id,
            "azp": self.client_id,
            "iat": now,
            "exp": now + 3600,
            "nonce": self.nonce,
            **self.claims,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        key = google_signing_key()
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        body = {
            "access_token": "ya29.test-access-token",
            "token_type": "Bearer",
            "expires_in": 3599,
            "scope": "openid email profile",
            "id_token": id_token,
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(body)


def oauth_login(
    client: FlaskClient,
    provider: str,
    *,
    google: GoogleStub | None = None,
    next: str | None = None,
    callback_args: dict[str, str] | None = None,
) -> TestResponse:
    """Run a real login through the app: `/login/<provider>`, then the callback with a code.

    Returns the callback's response. `callback_args` replaces the code (e.g. an `error`).
    """
    url = f"/login/{provider}" + (f"?next={next}" if next else "")
    start = client.get(url)
    assert start.status_code == 302, start.get_data(as_text=True)
    params = query(start.headers["Location"])
    if google is not None:
        google.nonce = params.get("nonce")
    args = {"state": params["state"], **(callback_args or {"code": "test-code"})}
    return client.get(f"/auth/{provider}/callback", query_string=args)


class StripeStub:
    """Stripe's PaymentIntent, Checkout Session and Refund endpoints as `responses` callbacks.

    `outcome` decides what creating a PaymentIntent does: "succeeded", "requires_payment_method",
    "decline", "timeout", "connection_error", "server_error" (500), "rate_limit" (429),
    "auth_error" (401), "invalid_payment_method" (400 with `param=payment_method`).
    `checkout_outcome` and `refund_outcome` work the same way for those endpoints ("ok" or
    an error name). Every request is kept in `calls` as
    `(method, path, form, headers)`.
    """

    _ids = itertools.count(1)

    def __init__(
        self,
        rsps: responses.RequestsMock,
        *,
        outcome: str = "succeeded",
        checkout_outcome: str = "ok",
        refund_outcome: str = "ok",
        refund_status: str = "succeeded",
    ) -> None:
        self.outcome = outcome
        self.checkout_outcome = checkout_outcome
        self.refund_outcome = refund_outcome
        self.refund_status = refund_status
        self.calls: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self.intents: dict[str, dict[str, Any]] = {}  # by Idempotency-Key, as Stripe replays
        self.sessions: dict[str, dict[str, Any]] = {}
        for path, handler in (
            ("/v1/payment_intents", self._payment_intent),
            ("/v1/checkout/sessions", self._checkout),
            ("/v1/refunds", self._refund),
        ):
            rsps.add_callback(responses.POST, STRIPE_API + path, callback=handler)
        session_url = re.compile(re.escape(STRIPE_API) + r"/v1/checkout/sessions/(cs_[^/]+)")
        rsps.add_callback(
            responses.POST, re.compile(session_url.pattern + "/expire$"), callback=self._expire
        )
        rsps.add_callback(
            responses.GET, re.compile(session_url.pattern + "$"), callback=self._session
        )

    def _record(self, request: requests.PreparedRequest) -> dict[str, str]:
        data = form(request.body)
        path = urlsplit(request.url or "").path
        self.calls.append((request.method or "", path, data, dict(request.headers)))
        return data

    def posts(self, path: str) -> list[tuple[dict[str, str], dict[str, str]]]:
        """The (form, headers) of every POST to `path`."""
        return [(data, headers) for method, p, data, headers in self.calls if p == path]

    @staticmethod
    def _error(status: int, error: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        headers = {"Content-Type": "application/json", "Request-Id": "req_test"}
        return status, headers, json.dumps({"error": error})

    def _failure(self, outcome: str) -> tuple[int, dict[str, str], str]:
        if outcome == "timeout":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=5)")
        if outcome == "connection_error":
            raise requests.exceptions.ConnectionError("Connection refused")
        if outcome == "server_error":
            return self._error(500, {"type": "api_error", "message": "Something went wrong."})
        if outcome == "rate_limit":
            return self._error(
                429,
                {
                    "type": "invalid_request_error",
                    "code": "rate_limit",
                    "message": "Too many requests.",
                },
            )
        if outcome == "invalid_payment_method":
            return self._error(
                400,
                {
                    "type": "invalid_request_error",
                    "code": "resource_missing",
                    "param": "payment_method",
                    "message": "No such PaymentMethod: 'pm_nope'",
                },
            )
        if outcome == "auth_error":
            return self._error(
                401,
                {
                    "type": "invalid_request_error",
                    "message": "Invalid API Key provided: sk_test_***",
                },
            )
        raise AssertionError(f"unknown outcome {outcome!r}")

    def _payment_intent(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        data = self._record(request)
        key = request.headers.get("Idempotency-Key", "")
        if key in self.intents:
            return 200, {"Idempotent-Replayed": "true"}, json.dumps(self.intents[key])
        n = next(self._ids)
        intent = {
            "id": f"pi_test_{n}",
            "object": "payment_intent",
            "amount": int(data["amount"]),
            "currency": data["currency"],
            "client_secret": f"pi_test_{n}_secret_abc",
            "metadata": {
                "order_id": data.get("metadata[order_id]"),
                "order_ref": data.get("metadata[order_ref]"),
            },
            "status": "requires_payment_method",
            "livemode": False,
        }
        if self.outcome == "decline":
            intent["last_payment_error"] = {
                "code": "card_declined",
                "decline_code": "generic_decline",
            }
            return self._error(
                402,
                {
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": "Your card was declined.",
                    "payment_intent": intent,
                },
            )
        if self.outcome not in ("succeeded", "requires_payment_method"):
            return self._failure(self.outcome)
        if self.outcome == "succeeded" and data.get("confirm") == "true":
            intent["status"] = "succeeded"
        self.intents[key] = intent
        return 200, {"Content-Type": "application/json"}, json.dumps(intent)

    def _checkout(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        data = self._record(request)
        if self.checkout_outcome != "ok":
            return self._failure(self.checkout_outcome)
        n = next(self._ids)
        session = {
            "id": f"cs_test_{n}",
            "object": "checkout.session",
            "url": f"https://checkout.stripe.com/c/pay/cs_test_{n}",
            "status": "open",
            "payment_status": "unpaid",
            "mode": "payment",
            "client_reference_id": data.get("client_reference_id"),
            "metadata": {
                "order_id": data.get("metadata[order_id]"),
                "order_ref": data.get("metadata[order_ref]"),
            },
            "success_url": data.get("success_url"),
            "cancel_url": data.get("cancel_url"),
        }
        self.sessions[session["id"]] = session
        return 200, {"Content-Type": "application/json"}, json.dumps(session)

    def _session_of(self, request: requests.PreparedRequest) -> dict[str, Any] | None:
        path = urlsplit(request.url or "").path
        return self.sessions.get(path.split("/")[4])

    def _session(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        self._record(request)
        session = self._session_of(request)
        if session is None:
            return self._error(404, {"type": "invalid_request_error", "code": "resource_missing"})
        return 200, {"Content-Type": "application/json"}, json.dumps(session)

    def _expire(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        """Expire an open session; Stripe refuses a session that is not open any more."""
        self._record(request)
        session = self._session_of(request)
        if session is None:
            return self._error(404, {"type": "invalid_request_error", "code": "resource_missing"})
        if session["status"] != "open":
            return self._error(
                400,
                {
                    "type": "invalid_request_error",
                    "message": "Only Checkout Sessions with a status in [open] can be expired."
                    f" This Checkout Session has a status of {session['status']}.",
                },
            )
        session["status"] = "expired"
        return 200, {"Content-Type": "application/json"}, json.dumps(session)

    def _refund(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        data = self._record(request)
        if self.refund_outcome != "ok":
            return self._failure(self.refund_outcome)
        n = next(self._ids)
        refund = {
            "id": f"re_test_{n}",
            "object": "refund",
            "payment_intent": data.get("payment_intent"),
            "status": self.refund_status,
        }
        return 200, {"Content-Type": "application/json"}, json.dumps(refund)


def make_event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """A Stripe event envelope around `obj`."""
    return {
        "id": event_id or f"evt_test_{next(StripeStub._ids)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }


def signed_webhook(
    client: FlaskClient,
    event: dict[str, Any] | str | bytes,
    *,
    secret: str = "whsec_demo_shop_test",
    timestamp: int | None = None,
    signature: str | None = None,
) -> TestResponse:
    """POST `event` to `/webhooks/stripe` with a real `Stripe-Signature` (or `signature`)."""
    payload = event if isinstance(event, str | bytes) else json.dumps(event)
    text = payload.decode() if isinstance(payload, bytes) else payload
    header = signature or stripe.WebhookSignature.generate_signature_header(
        text, secret, timestamp=timestamp
    )
    return client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
