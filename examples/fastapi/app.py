"""A small FastAPI shop: "Log in with GitHub" (authlib's Starlette client), async Stripe
payments (stripe-python's `*_async` methods over httpx) and a signed Stripe webhook.

Nothing in it knows about mockkit: its tests run it unmodified on mockkit's fakes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import stripe
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from starlette.middleware.sessions import SessionMiddleware

PRODUCTS = {"coffee-mug": 1200, "hoodie": 4500}


@dataclass
class Settings:
    """Configuration, from the environment by default."""

    secret_key: str = field(default_factory=lambda: os.environ.get("SECRET_KEY", "dev-secret"))
    github_client_id: str = field(default_factory=lambda: os.environ.get("GITHUB_CLIENT_ID", ""))
    github_client_secret: str = field(
        default_factory=lambda: os.environ.get("GITHUB_CLIENT_SECRET", "")
    )
    stripe_api_key: str = field(default_factory=lambda: os.environ.get("STRIPE_API_KEY", ""))
    stripe_webhook_secret: str = field(
        default_factory=lambda: os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    )
    stripe_max_network_retries: int = 2


class Order(BaseModel):
    """What the shop's `/orders` endpoint takes."""

    product: str
    payment_method: str


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application, configured by `settings` (default: from the environment)."""
    config = settings or Settings()
    app = FastAPI(title="mockkit FastAPI example")
    app.add_middleware(SessionMiddleware, secret_key=config.secret_key)
    app.state.orders = []
    app.state.events = []

    oauth = OAuth()
    oauth.register(
        "github",
        client_id=config.github_client_id,
        client_secret=config.github_client_secret,
        authorize_url="https://github.com/login/oauth/authorize",
        access_token_url="https://github.com/login/oauth/access_token",
        api_base_url="https://api.github.com/",
        client_kwargs={"scope": "read:user user:email"},
    )
    payments = stripe.StripeClient(
        config.stripe_api_key,
        http_client=stripe.HTTPXClient(),
        max_network_retries=config.stripe_max_network_retries,
    )

    @app.get("/login")
    async def login(request: Request) -> Any:
        redirect_uri = str(request.url_for("auth"))
        return await oauth.github.authorize_redirect(request, redirect_uri)

    @app.get("/auth", name="auth")
    async def auth(request: Request) -> Any:
        try:
            token = await oauth.github.authorize_access_token(request)
        except OAuthError as exc:
            return JSONResponse({"error": exc.error}, status_code=401)
        profile = await oauth.github.get("user", token=token)
        if profile.status_code != 200:
            return JSONResponse({"error": "github_unavailable"}, status_code=502)
        request.session["user"] = profile.json()["login"]
        return RedirectResponse("/me", status_code=303)

    @app.get("/me")
    async def me(request: Request) -> Any:
        user = request.session.get("user")
        if user is None:
            return JSONResponse({"error": "login_required"}, status_code=401)
        return {"login": user}

    @app.post("/orders")
    async def create_order(order: Order, request: Request) -> Any:
        user = request.session.get("user")
        if user is None:
            return JSONResponse({"error": "login_required"}, status_code=401)
        amount = PRODUCTS.get(order.product)
        if amount is None:
            return JSONResponse({"error": "unknown_product"}, status_code=404)
        try:
            intent = await payments.v1.payment_intents.create_async(
                params={
                    "amount": amount,
                    "currency": "usd",
                    "payment_method": order.payment_method,
                    "allowed_payment_method_types": ["card"],
                    "confirm": True,
                    "metadata": {"user": user, "product": order.product},
                }
            )
        except stripe.CardError as exc:
            return JSONResponse({"error": "card_declined", "code": exc.code}, status_code=402)
        except stripe.APIConnectionError:
            return JSONResponse({"error": "payment_provider_unreachable"}, status_code=504)
        except stripe.StripeError:
            return JSONResponse({"error": "payment_provider_error"}, status_code=502)
        app.state.orders.append(intent.id)
        return {"id": intent.id, "status": intent.status, "amount": intent.amount}

    @app.post("/webhooks/stripe")
    async def stripe_webhook(request: Request) -> Any:
        payload = await request.body()
        signature = request.headers.get("Stripe-Signature", "")
        try:
            event = stripe.Webhook.construct_event(payload, signature, config.stripe_webhook_secret)
        except (ValueError, stripe.SignatureVerificationError):
            return JSONResponse({"error": "bad_signature"}, status_code=400)
        app.state.events.append(event["type"])
        return {"received": event["type"]}

    return app
