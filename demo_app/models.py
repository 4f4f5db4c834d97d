"""The shop's tables: users, products, orders and the Stripe events already handled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from demo_app.db import db

#: Every status an order can have; the database is the record of what happened.
ORDER_STATUSES = ("pending", "paid", "failed", "refunded", "canceled")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class User(db.Model):  # type: ignore[name-defined,misc]
    """Someone who logged in through an OAuth provider; one row per provider account."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("provider", "provider_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    provider_user_id: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)

    orders: Mapped[list[Order]] = relationship(back_populates="user")

    def to_json(self) -> dict[str, Any]:
        """The user as `GET /api/me` shows it."""
        return {
            "id": self.id,
            "provider": self.provider,
            "email": self.email,
            "name": self.name,
        }


class Product(db.Model):  # type: ignore[name-defined,misc]
    """Something the shop sells, priced in the currency's smallest unit (cents)."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="usd")

    def to_json(self) -> dict[str, Any]:
        """The product as the API shows it."""
        return {
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "amount": self.amount,
            "currency": self.currency,
        }


class Order(db.Model):  # type: ignore[name-defined,misc]
    """One attempt to buy one product, and everything Stripe told us about it."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("user_id", "request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    #: The client's own Idempotency-Key for `POST /api/orders`, so a retried request
    #: finds this order again instead of creating (and charging) a second one.
    request_key: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    refund_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now, onupdate=_now)

    user: Mapped[User] = relationship(back_populates="orders")
    product: Mapped[Product] = relationship()

    @property
    def payment_idempotency_key(self) -> str:
        """Stripe Idempotency-Key for this order's PaymentIntent: retries never charge twice."""
        return f"order-{self.id}-create-pi"

    @property
    def checkout_idempotency_key(self) -> str:
        """Stripe Idempotency-Key for this order's Checkout Session."""
        return f"order-{self.id}-checkout"

    @property
    def refund_idempotency_key(self) -> str:
        """Stripe Idempotency-Key for this order's refund: one refund per order, ever."""
        return f"order-{self.id}-refund"

    def to_json(self, client_secret: str | None = None) -> dict[str, Any]:
        """The order as the API shows it; `client_secret` only right after creation."""
        data: dict[str, Any] = {
            "id": self.id,
            "product": self.product.slug,
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "payment_intent": self.payment_intent_id,
            "checkout_session": self.checkout_session_id,
            "refund": self.refund_id,
            "created_at": self.created_at.replace(tzinfo=dt.UTC).isoformat()
            if self.created_at.tzinfo is None
            else self.created_at.isoformat(),
        }
        if client_secret is not None:
            data["client_secret"] = client_secret
        return data


#: Largest id a database integer column holds; larger ids in URLs simply match nothing.
MAX_ID = 2**63 - 1


def owned_order(order_id: int | None, user: User | None) -> Order | None:
    """Order `order_id` if it belongs to `user`; None otherwise, or for an impossible id."""
    if order_id is None or user is None or not 0 < order_id <= MAX_ID:
        return None
    order = db.session.get(Order, order_id)
    return order if order is not None and order.user_id == user.id else None


class StripeEvent(db.Model):  # type: ignore[name-defined,misc]
    """A Stripe webhook event already handled; a redelivery of it changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    processed_at: Mapped[dt.datetime] = mapped_column(default=_now)
