"""The JSON API under `/api`: who am I, products, orders, refunds.

Every answer is JSON. Errors are `{"error": {"code": ..., "message": ...}}` with the status
(401 logged out, 404 someone else's order, 400 malformed JSON, 415 not JSON, 422 invalid
fields, 402 declined, 502/503/504 provider trouble). State-changing calls need a logged-in
session cookie *and* `Content-Type: application/json`, which is why they need no CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from demo_app.auth import api_login_required, current_user
from demo_app.billing import find_product, new_order, pay_order, refund_order, stripe_client
from demo_app.db import db
from demo_app.errors import ShopError
from demo_app.models import Order, Product, User, owned_order
from demo_app.validation import header_token, invalid, is_text, json_body, refuse_unknown

bp = Blueprint("api", __name__, url_prefix="/api")

_MAX_KEY_LENGTH = 255


def order_for_key(user: User, request_key: str) -> Order | None:
    """The user's order created with this Idempotency-Key, if any."""
    return db.session.scalar(select(Order).filter_by(user_id=user.id, request_key=request_key))


def _owned_order(order_id: int) -> Order:
    """The current user's order `order_id`; 404 for anybody else's (no hint it exists)."""
    order = owned_order(order_id, current_user())
    if order is None:
        raise ShopError(404, "order_not_found", f"No order {order_id}.")
    return order


@bp.get("/me")
@api_login_required
def me() -> Response:
    """The logged-in user."""
    user = current_user()
    assert user is not None
    return jsonify(user.to_json())


@bp.get("/products")
def products() -> Response:
    """Everything for sale (public)."""
    rows = db.session.scalars(select(Product).order_by(Product.amount))
    return jsonify({"products": [p.to_json() for p in rows]})


@bp.get("/orders")
@api_login_required
def list_orders() -> Response:
    """The user's orders, newest first."""
    user = current_user()
    assert user is not None
    rows = db.session.scalars(select(Order).filter_by(user_id=user.id).order_by(Order.id.desc()))
    return jsonify({"orders": [o.to_json() for o in rows]})


@bp.post("/orders")
@api_login_required
def create_order() -> tuple[Response, int]:
    """Create an order and its PaymentIntent.

    Body: `{"product": "<slug>", "payment_method": "pm_..."}` (`payment_method` optional: with
    it the payment is confirmed at once, without it the answer carries a `client_secret` for
    Stripe.js). An `Idempotency-Key` header makes the request safe to retry: the same key
    returns the same order and, if its payment never started, retries it under the same
    Stripe idempotency key.
    """
    user = current_user()
    assert user is not None
    # Everything the request says is checked before anything is looked up or written.
    body = json_body()
    fields: dict[str, str] = {}
    slug = body.get("product")
    payment_method = body.get("payment_method")
    refuse_unknown(body, {"product", "payment_method"}, fields)
    if not isinstance(slug, str) or not slug or len(slug) > 80:
        fields["product"] = 'Required: the slug of a product, e.g. "coffee-mug".'
    if payment_method is not None and (
        not isinstance(payment_method, str) or not 0 < len(payment_method) <= 255
    ):
        fields["payment_method"] = 'Must be a Stripe PaymentMethod id such as "pm_card_visa".'
    request_key = header_token("Idempotency-Key", _MAX_KEY_LENGTH)
    product: Product | None = None
    if "product" not in fields and isinstance(slug, str) and is_text(slug):
        product = find_product(slug)
        if product is None:
            fields["product"] = f"Unknown product {slug!r}."
    if fields or product is None:
        raise invalid(fields, "The order is not valid.")

    stripe_client()  # a clear 503 before any order is written when payments are off
    if request_key is not None:
        existing = order_for_key(user, request_key)
        if existing is not None:
            if existing.product_id != product.id:
                raise ShopError(
                    409,
                    "idempotency_key_reused",
                    "This Idempotency-Key was already used for a different order.",
                )
            if existing.payment_intent_id or existing.status != "pending":
                return jsonify(existing.to_json()), 200
            # The same attempt again: the order's stored Stripe key makes Stripe replay
            # what it did the first time, if it got that far.
            order_json, client_secret = pay_order(existing.id, payment_method)
            return jsonify(_with_secret(order_json, client_secret)), 201

    try:
        order_id = new_order(user.id, product.id, request_key=request_key)
    except IntegrityError:
        # Another request with the same key wrote its order between our lookup and insert.
        raise ShopError(
            409,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        ) from None
    order_json, client_secret = pay_order(order_id, payment_method)
    return jsonify(_with_secret(order_json, client_secret)), 201


def _with_secret(order_json: dict[str, Any], client_secret: str | None) -> dict[str, Any]:
    if isinstance(client_secret, str):
        return {**order_json, "client_secret": client_secret}
    return order_json


@bp.get("/orders/<int:order_id>")
@api_login_required
def get_order(order_id: int) -> Response:
    """One of the user's orders."""
    return jsonify(_owned_order(order_id).to_json())


@bp.post("/orders/<int:order_id>/refund")
@api_login_required
def refund(order_id: int) -> Response:
    """Refund one of the user's paid orders in full (a JSON body, possibly empty)."""
    body = json_body(allow_empty=True)
    fields: dict[str, str] = {}
    refuse_unknown(body, set(), fields)
    if fields:
        raise invalid(fields, "A refund takes no fields.")
    return jsonify(refund_order(_owned_order(order_id)))
