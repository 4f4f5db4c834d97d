"""The shop's tables: users, products, orders, the membership plan and memberships, and the
Stripe events already handled."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from demo_app.db import db

#: Every status an order can have; the database is the record of what happened.
ORDER_STATUSES = ("pending", "paid", "failed", "refunded", "canceled")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_token() -> str:
    """A random, unguessable value (for order references and login sessions)."""
    return secrets.token_urlsafe(18)


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
    #: Stored in the session cookie at login and checked on every request; logging out
    #: replaces it, so a copied cookie stops working everywhere (the cookie alone is only
    #: signed, not revocable).
    session_token: Mapped[str] = mapped_column(String(64), default=new_token)

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
    #: Random and unique, made with the order: the base of every Stripe Idempotency-Key the
    #: order's attempt sends, and its `order_ref` metadata. Ids restart after `init-db
    #: --drop` and collide between two shops on one Stripe account; this never does.
    reference: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
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
        return idempotency_key(self.reference, "create-pi")

    @property
    def checkout_idempotency_key(self) -> str:
        """Stripe Idempotency-Key for this order's Checkout Session."""
        return idempotency_key(self.reference, "checkout")

    @property
    def refund_idempotency_key(self) -> str:
        """Stripe Idempotency-Key for this order's refund: one refund per order, ever."""
        return idempotency_key(self.reference, "refund")

    def stripe_metadata(self) -> dict[str, str]:
        """What the order's Stripe objects carry so that a webhook finds exactly this order."""
        return {"order_id": str(self.id), "order_ref": self.reference}

    def to_json(self, client_secret: str | None = None) -> dict[str, Any]:
        """The order as the API shows it; `client_secret` only right after creation."""
        return OrderSnapshot.of(self).to_json(client_secret=client_secret)


@dataclass
class OrderSnapshot:
    """An order's fields as plain values, detached from the database.

    Taken before a provider call, so the answer to the client can be built from what the
    provider said even when the database cannot be read or written at that moment. The
    status transitions below work on a snapshot and on an `Order` alike.
    """

    id: int
    product_slug: str
    amount: int
    currency: str
    status: str
    failure_reason: str | None
    payment_intent_id: str | None
    checkout_session_id: str | None
    refund_id: str | None
    created_at: str

    @classmethod
    def of(cls, order: Order) -> OrderSnapshot:
        """The snapshot of `order` as it is now."""
        created = order.created_at
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        return cls(
            id=order.id,
            product_slug=order.product.slug,
            amount=order.amount,
            currency=order.currency,
            status=order.status,
            failure_reason=order.failure_reason,
            payment_intent_id=order.payment_intent_id,
            checkout_session_id=order.checkout_session_id,
            refund_id=order.refund_id,
            created_at=created.isoformat(),
        )

    def to_json(self, client_secret: str | None = None) -> dict[str, Any]:
        """The order as the API shows it; `client_secret` only right after creation."""
        data: dict[str, Any] = {
            "id": self.id,
            "product": self.product_slug,
            "amount": self.amount,
            "currency": self.currency,
            "status": self.status,
            "failure_reason": self.failure_reason,
            "payment_intent": self.payment_intent_id,
            "checkout_session": self.checkout_session_id,
            "refund": self.refund_id,
            "created_at": self.created_at,
        }
        if client_secret is not None:
            data["client_secret"] = client_secret
        return data


class OrderState(Protocol):
    """What the status transitions read and change: an `Order` or an `OrderSnapshot`."""

    status: str
    failure_reason: str | None
    payment_intent_id: str | None
    checkout_session_id: str | None
    refund_id: str | None


# Status transitions, the same for the shop's own calls and for webhooks: they only move
# forward, so an answer or an event arriving late never undoes a later one.


def mark_paid(order: OrderState, intent_id: str | None) -> None:
    """Money was taken: that is the truth even for an order the customer had abandoned."""
    if order.status in ("pending", "failed", "canceled"):
        order.status = "paid"
        order.failure_reason = None
    if intent_id and not order.payment_intent_id:
        order.payment_intent_id = intent_id


def mark_failed(order: OrderState, reason: str, intent_id: str | None = None) -> None:
    """The payment failed for good (a decline): only a pending order becomes failed."""
    if order.status == "pending":
        order.status = "failed"
        order.failure_reason = reason[:500]
    if intent_id and not order.payment_intent_id:
        order.payment_intent_id = intent_id


def mark_canceled(order: OrderState) -> None:
    """Nothing will be paid for this order any more: only a pending order becomes canceled."""
    if order.status == "pending":
        order.status = "canceled"


def mark_refunded(order: OrderState, refund_id: str | None) -> None:
    """The money went back in full; nothing moves a refunded order anywhere else."""
    if order.status != "refunded":
        order.status = "refunded"
    if refund_id and not order.refund_id:
        order.refund_id = refund_id


def note_attempt(order: OrderState, intent_id: str | None, reason: str | None) -> None:
    """Record a payment attempt that settled nothing yet (its intent, or why it stalled)."""
    if intent_id and not order.payment_intent_id:
        order.payment_intent_id = intent_id
    if order.status == "pending":
        order.failure_reason = reason[:500] if reason else None


def idempotency_key(reference: str, action: str) -> str:
    """The Stripe Idempotency-Key of one action (`create-pi`, `checkout`, `refund`) of an order."""
    return f"demo-{reference}-{action}"


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


class Plan(db.Model):  # type: ignore[name-defined,misc]
    """A membership plan: a recurring price, billed every `interval` through Stripe Billing.

    Like the products, plans live in the shop's database (`flask --app demo_app seed`) and
    reach Stripe as inline `price_data` when a customer subscribes, so the shop needs no
    catalogue set up in the Stripe account beforehand.
    """

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    interval: Mapped[str] = mapped_column(String(10), default="month")


#: Subscription statuses that make the user a member (past due: payment is being retried).
MEMBER_STATUSES = ("active", "trialing", "past_due")

#: Statuses of a subscription that still exists and bills: a new one would charge twice.
LIVE_STATUSES = ("active", "trialing", "past_due", "unpaid", "paused", "incomplete")


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A user's Stripe customer and the state of their subscription, as Stripe last told us.

    One row per user, made when they first press "Become a member". Its status is Stripe's
    own subscription status (None: never subscribed); webhooks keep it true (see
    `demo_app.membership`).
    """

    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    #: Random and unique: the base of the Idempotency-Key that creates the Stripe customer,
    #: and the `member_ref` metadata on it and on the subscription, which lets a webhook find
    #: this row even if the customer's id could not be recorded.
    reference: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: Random per "Become a member" attempt, stored before Stripe is called: the base of that
    #: attempt's Checkout Idempotency-Key.
    checkout_reference: Mapped[str | None] = mapped_column(String(64))
    checkout_session_id: Mapped[str | None] = mapped_column(String(255))
    subscription_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(30))
    # Unix times as Stripe gives them (BigInteger: past 2038 on every database).
    current_period_end: Mapped[int | None] = mapped_column(BigInteger)
    cancel_at: Mapped[int | None] = mapped_column(BigInteger)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    next_payment_attempt: Mapped[int | None] = mapped_column(BigInteger)
    #: When (the shop's clock, microseconds) the state above was read from Stripe; an older
    #: read finishing late never overwrites a newer one.
    synced_at: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now, onupdate=_now)

    user: Mapped[User] = relationship()
    plan: Mapped[Plan | None] = relationship()

    @property
    def is_member(self) -> bool:
        """Whether the subscription gives membership now (past due included, with a banner)."""
        return self.status in MEMBER_STATUSES

    @property
    def has_live_subscription(self) -> bool:
        """Whether a subscription still exists that bills (so another must not be started)."""
        return self.status in LIVE_STATUSES

    @property
    def ends_at(self) -> int | None:
        """When a subscription set to cancel ends, or None if it renews."""
        if self.status not in LIVE_STATUSES:
            return None
        if self.cancel_at is not None:
            return self.cancel_at
        return self.current_period_end if self.cancel_at_period_end else None

    @property
    def customer_idempotency_key(self) -> str:
        """Stripe Idempotency-Key that creates this member's customer: one customer, ever."""
        return idempotency_key(self.reference, "customer")

    @property
    def checkout_idempotency_key(self) -> str:
        """Stripe Idempotency-Key of the current "Become a member" attempt's Checkout Session."""
        assert self.checkout_reference is not None
        return idempotency_key(self.checkout_reference, "membership-checkout")

    def stripe_metadata(self) -> dict[str, str]:
        """What the member's Stripe objects carry so that a webhook finds exactly this row."""
        return {"user_id": str(self.user_id), "member_ref": self.reference}
