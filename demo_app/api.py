"""The JSON API under `/api`: who am I, products, orders, refunds.

Every answer is JSON. Errors are `{"error": {"code": ..., "message": ...}}` with the status
(401 logged out, 404 someone else's order, 400 malformed JSON, 415 not JSON, 422 invalid
fields, 402 declined, 502/503/504 provider trouble). State-changing calls need a logged-in
session cookie *and* `Content-Type: application/json`, which is why they need no CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from demo_app.auth import api_login_required, current_user
from demo_app.billing import find_product, new_order, pay_order, refund_order, stripe_client
from demo_app.db import db
from demo_app.errors import ShopError
from demo_app.models import Order, Product, User, owned_order

bp = Blueprint("api", __name__, url_prefix="/api")

_MAX_KEY_LENGTH = 255


def _json_body(allow_empty: bool = False) -> dict[str, Any]:
    """The request's JSON object, or a clear 415/400 explaining what is wrong with it."""
    if not request.is_json:
        raise ShopError(415, "unsupported_media_type", "Send the request body as application/json.")
    if allow_empty and not request.get_data():
        return {}
    try:
        body = request.get_json()
    except BadRequest:
        raise ShopError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ShopError(400, "invalid_json", "The request body must be a JSON object.")
    return body


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
    body = _json_body()
    fields: dict[str, str] = {}
    slug = body.get("product")
    payment_method = body.get("payment_method")
    unknown = sorted(set(body) - {"product", "payment_method"})
    if not isinstance(slug, str) or not slug:
        fields["product"] = 'Required: the slug of a product, e.g. "coffee-mug".'
    if payment_method is not None and (not isinstance(payment_method, str) or not payment_method):
        fields["payment_method"] = 'Must be a Stripe PaymentMethod id such as "pm_card_visa".'
    for name in unknown:
        fields[name] = "Unknown field."
    product = find_product(slug) if isinstance(slug, str) and slug else None
    if "product" not in fields and product is None:
        fields["product"] = f"Unknown product {slug!r}."
    if fields or product is None:
        raise ShopError(422, "validation_error", "The order is not valid.", fields=fields)

    request_key = request.headers.get("Idempotency-Key") or None
    if request_key is not None and len(request_key) > _MAX_KEY_LENGTH:
        raise ShopError(
            422,
            "validation_error",
            "The order is not valid.",
            fields={"Idempotency-Key": f"At most {_MAX_KEY_LENGTH} characters."},
        )
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
            client_secret = pay_order(existing, payment_method)
            return jsonify(existing.to_json(client_secret=client_secret)), 201

    try:
        order = new_order(user, product, request_key=request_key)
    except IntegrityError:
        # Another request with the same key wrote its order between our lookup and insert.
        db.session.rollback()
        raise ShopError(
            409,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        ) from None
    client_secret = pay_order(order, payment_method)
    return jsonify(order.to_json(client_secret=client_secret)), 201


@bp.get("/orders/<int:order_id>")
@api_login_required
def get_order(order_id: int) -> Response:
    """One of the user's orders."""
    return jsonify(_owned_order(order_id).to_json())


@bp.post("/orders/<int:order_id>/refund")
@api_login_required
def refund(order_id: int) -> Response:
    """Refund one of the user's paid orders in full (a JSON body, possibly empty)."""
    _json_body(allow_empty=True)
    order = _owned_order(order_id)
    refund_order(order)
    return jsonify(order.to_json())
