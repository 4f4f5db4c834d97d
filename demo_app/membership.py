"""The membership: a monthly plan bought through Stripe Checkout, kept true by webhooks.

"Become a member" (`POST /membership/checkout`, a CSRF-protected form) follows the shop's
three steps. **Before**: the user's `Membership` row is written with a random `reference`
(the base of the Idempotency-Key that creates their Stripe customer, and `member_ref`
metadata) and, per attempt, a random `checkout_reference` (the Checkout Session's key).
**The calls**, with no transaction open: the customer (once, ever: a retry replays it), then
a Checkout Session in `mode=subscription` for that customer. **After**: their ids are
recorded; should the database stay busy, the webhooks link them (the customer and the
subscription carry `member_ref`).

"Manage billing" (`POST /account/billing`, a form) sends a customer to Stripe's billing portal
(a portal session for their customer, returning to the account page), where they change the
card or cancel; what they do there reaches the shop as webhooks.

Webhooks (`checkout.session.completed` in subscription mode, `customer.subscription.*`,
`invoice.paid`, `invoice.payment_failed`) each re-read the customer's subscriptions from
Stripe and store what Stripe says now, instead of applying the event's own copy of the
object. Stripe delivers at least once and in no set order, and an event's `created` cannot
order them: events of one second tie (a Checkout completion emits a dozen), and on a test
clock the subscription's events carry the clock's time while the Checkout Session's carry
the real time. The current state read from Stripe is right whatever order the events came
in; a read is stored only if no later read was stored first (`Membership.synced_at`), so two
deliveries racing cannot leave the older answer behind.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import stripe
from flask import Blueprint, current_app, jsonify, redirect, url_for
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from demo_app.auth import current_user, login_required
from demo_app.billing import stripe_client
from demo_app.db import db, is_database_busy, release, write
from demo_app.errors import ShopError, from_stripe, provider_called
from demo_app.models import LIVE_STATUSES, Membership, Plan, StripeEvent, new_token

bp = Blueprint("membership", __name__)

#: The events that can change a membership; each makes the shop re-read the subscriptions.
EVENTS = frozenset(
    {
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "invoice.paid",
        "invoice.payment_failed",
    }
)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 255 else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    # bool is an int in Python, and never a Stripe timestamp.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def is_membership_event(event_type: str, obj: dict[str, Any]) -> bool:
    """Whether the event concerns memberships (a Checkout Session only in subscription mode)."""
    if event_type not in EVENTS:
        return False
    if event_type.startswith("checkout.session."):
        return obj.get("mode") == "subscription"
    return True


def current_plan() -> Plan | None:
    """The plan "Become a member" sells (the shop has one), or None before `seed`."""
    return db.session.scalar(select(Plan).order_by(Plan.id).limit(1))


def membership_of(user_id: int) -> Membership | None:
    """The user's membership row, or None if they never started one."""
    return db.session.scalar(select(Membership).filter_by(user_id=user_id))


def format_date(timestamp: int | None) -> str:
    """A Stripe timestamp as a date a person reads (UTC), e.g. "29 November 2026"."""
    if timestamp is None:
        return "—"
    day = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return f"{day.day} {day:%B %Y}"


# ---- reading Stripe's truth --------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionState:
    """What the account page shows of a subscription, read from Stripe."""

    subscription_id: str | None
    status: str | None
    current_period_end: int | None
    cancel_at: int | None
    cancel_at_period_end: bool
    next_payment_attempt: int | None


NO_SUBSCRIPTION = SubscriptionState(None, None, None, None, False, None)


def _state_of(sub: dict[str, Any]) -> SubscriptionState:
    items = _dict(sub.get("items")).get("data")
    # Since 2025-03-31.basil the billing period is on each item; earlier, on the subscription.
    ends = [
        end
        for item in (items if isinstance(items, list) else [])
        if (end := _int(_dict(item).get("current_period_end"))) is not None
    ]
    period_end = max(ends) if ends else _int(sub.get("current_period_end"))
    invoice = _dict(sub.get("latest_invoice"))
    retry = _int(invoice.get("next_payment_attempt")) if invoice.get("status") == "open" else None
    return SubscriptionState(
        subscription_id=_str(sub.get("id")),
        status=_str(sub.get("status")),
        current_period_end=period_end,
        cancel_at=_int(sub.get("cancel_at")),
        cancel_at_period_end=sub.get("cancel_at_period_end") is True,
        next_payment_attempt=retry,
    )


def fetch_state(client: stripe.StripeClient, customer_id: str) -> SubscriptionState:
    """The customer's subscription as Stripe has it now (raises `stripe.StripeError`).

    A customer may have more than one (two Checkout pages paid in two tabs): the newest that
    still bills wins, else the newest that ended.
    """
    page = client.v1.subscriptions.list(
        params={
            "customer": customer_id,
            "status": "all",
            "limit": 20,
            "expand": ["data.latest_invoice"],
        }
    )
    subs = [s.to_dict() for s in page.data]
    subs.sort(key=lambda s: _int(s.get("created")) or 0, reverse=True)
    live = [s for s in subs if s.get("status") in LIVE_STATUSES]
    chosen = (live or subs)[:1]
    return _state_of(chosen[0]) if chosen else NO_SUBSCRIPTION


def store_state(membership: Membership, state: SubscriptionState, read_at: int) -> bool:
    """Store a read of Stripe unless a later read was stored first; whether it was stored."""
    if membership.synced_at is not None and read_at < membership.synced_at:
        return False
    membership.subscription_id = state.subscription_id
    membership.status = state.status
    membership.current_period_end = state.current_period_end
    membership.cancel_at = state.cancel_at
    membership.cancel_at_period_end = state.cancel_at_period_end
    membership.next_payment_attempt = state.next_payment_attempt
    membership.synced_at = read_at
    return True


def _clock_us() -> int:
    return time.time_ns() // 1000


# ---- webhooks ------------------------------------------------------------------------------


def _customer_of(obj: dict[str, Any]) -> str | None:
    """The customer id an event's object names (as an id, or expanded)."""
    customer = obj.get("customer")
    return _str(customer) or _str(_dict(customer).get("id"))


def _find_membership(obj: dict[str, Any], customer_id: str) -> Membership | None:
    """The membership an event's object belongs to.

    By the customer id the shop recorded, else by the `member_ref` metadata its Stripe
    objects carry (for when the database was too busy to record the customer's id).
    """
    found = db.session.scalar(select(Membership).filter_by(stripe_customer_id=customer_id))
    if found is not None:
        return found
    details = _dict(_dict(obj.get("parent")).get("subscription_details"))
    for metadata in (obj.get("metadata"), details.get("metadata")):
        reference = _str(_dict(metadata).get("member_ref"))
        if reference is not None:
            found = db.session.scalar(select(Membership).filter_by(reference=reference))
            if found is not None and found.stripe_customer_id in (None, customer_id):
                return found
    return None


def apply_event(event_id: str, event_type: str, obj: dict[str, Any]) -> tuple[Response, int]:
    """Apply one membership event, once: re-read the member's subscription from Stripe.

    Stripe trouble answers 5xx with nothing recorded, so Stripe delivers the event again.
    """
    if db.session.get(StripeEvent, event_id) is not None:
        return jsonify({"received": True, "duplicate": True}), 200
    customer_id = _customer_of(obj)
    membership = _find_membership(obj, customer_id) if customer_id is not None else None
    if membership is None or customer_id is None:
        # Another shop's customer on the same account, or one this shop never made.
        def ignore() -> tuple[Response, int]:
            if db.session.get(StripeEvent, event_id) is not None:
                return jsonify({"received": True, "duplicate": True}), 200
            db.session.add(StripeEvent(id=event_id, type=event_type[:100]))
            db.session.flush()
            return jsonify({"received": True, "duplicate": False, "handled": False}), 200

        return write(ignore)

    membership_id = membership.id
    client = stripe_client()
    release()
    read_at = _clock_us()
    try:
        state = fetch_state(client, customer_id)
    except stripe.StripeError as exc:
        current_app.logger.warning("Event %s: reading the subscription failed: %r", event_id, exc)
        raise from_stripe(exc) from exc

    def apply() -> tuple[Response, int]:
        if db.session.get(StripeEvent, event_id) is not None:
            return jsonify({"received": True, "duplicate": True}), 200
        row = db.session.get(Membership, membership_id)
        assert row is not None
        if row.stripe_customer_id is None:
            row.stripe_customer_id = customer_id
        store_state(row, state, read_at)
        db.session.add(StripeEvent(id=event_id, type=event_type[:100]))
        db.session.flush()
        return jsonify(
            {"received": True, "duplicate": False, "handled": True, "membership": row.status}
        ), 200

    return write(apply)


# ---- Become a member ----------------------------------------------------------------------


def _record(membership_id: int, field: str, value: str, *, replace: bool) -> None:
    """Record an id Stripe made (a customer's only if none is recorded yet).

    When the database stays busy it is left unrecorded: the webhooks find the membership by
    its `member_ref` and record the customer.
    """

    def apply() -> None:
        row = db.session.get(Membership, membership_id)
        assert row is not None
        if replace or getattr(row, field) is None:
            setattr(row, field, value)

    try:
        write(apply)
    except OperationalError as exc:
        if not is_database_busy(exc):
            raise
        current_app.logger.warning(
            "Membership %s: the database stayed busy; %s not recorded", membership_id, field
        )


@bp.post("/membership/checkout")
@login_required
def become_member() -> Response:
    """Start Stripe Checkout for the membership and send the browser to Stripe's page."""
    user = current_user()
    assert user is not None  # login_required
    plan = current_plan()
    if plan is None:
        raise ShopError(404, "membership_unavailable", "Memberships are not on sale yet.")
    existing = membership_of(user.id)
    if existing is not None and existing.has_live_subscription:
        raise ShopError(
            409,
            "already_member",
            "You already have a membership. Use Manage billing on your account page to "
            "change or cancel it.",
        )
    client = stripe_client()  # a clear 503 before anything is written when payments are off
    user_id, email, plan_id = user.id, user.email, plan.id

    def begin_attempt() -> int:
        row = membership_of(user_id)
        if row is None:
            row = Membership(user_id=user_id, reference=new_token())
            db.session.add(row)
        row.plan_id = plan_id
        row.checkout_reference = new_token()
        db.session.flush()
        return int(row.id)

    membership_id = write(begin_attempt)
    row = db.session.get(Membership, membership_id)
    assert row is not None and row.plan is not None
    customer_id = row.stripe_customer_id
    metadata = row.stripe_metadata()
    customer_key = row.customer_idempotency_key
    checkout_key = row.checkout_idempotency_key
    plan_row = row.plan
    line_item = {
        "price_data": {
            "currency": plan_row.currency,
            "unit_amount": plan_row.amount,
            "product_data": {"name": plan_row.name},
            "recurring": {"interval": plan_row.interval},
        },
        "quantity": 1,
    }
    test_clock = current_app.config.get("STRIPE_TEST_CLOCK")
    account = url_for("shop.account", _external=True)
    release()
    provider_called()
    try:
        if customer_id is None:
            params: dict[str, Any] = {"metadata": metadata}
            if email:
                params["email"] = email
            if test_clock:
                params["test_clock"] = test_clock
            customer = client.v1.customers.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": customer_key},
            )
            customer_id = _str(getattr(customer, "id", None))
            if customer_id is None:
                raise ShopError(
                    502, "payment_provider_error", "Stripe sent a customer without an id."
                )
            _record(membership_id, "stripe_customer_id", customer_id, replace=False)
        session = client.v1.checkout.sessions.create(
            params={  # type: ignore[arg-type]
                "mode": "subscription",
                "customer": customer_id,
                "line_items": [line_item],
                "success_url": account + "?membership=welcome",
                "cancel_url": account + "?membership=checkout-canceled",
                "client_reference_id": str(user_id),
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
            },
            options={"idempotency_key": checkout_key},
        )
    except stripe.StripeError as exc:
        current_app.logger.warning("Membership checkout for user %s failed: %r", user_id, exc)
        raise from_stripe(exc) from exc
    session_id = _str(getattr(session, "id", None))
    url = getattr(session, "url", None)
    if session_id is None or not isinstance(url, str) or not url:
        raise ShopError(502, "payment_provider_error", "Stripe returned no checkout page.")
    _record(membership_id, "checkout_session_id", session_id, replace=True)
    return redirect(url, code=303)


# ---- Manage billing ------------------------------------------------------------------------


@bp.post("/account/billing")
@login_required
def manage_billing() -> Response:
    """Send the member to Stripe's billing portal (a CSRF-protected form).

    Stripe's portal changes the card, cancels or resumes; its changes reach the shop as
    webhooks. Each press is a new portal session (nothing to retry: stripe-python's own
    Idempotency-Key covers its retries of the one call).
    """
    user = current_user()
    assert user is not None  # login_required
    user_id = user.id
    row = membership_of(user_id)
    customer_id = row.stripe_customer_id if row is not None else None
    if customer_id is None:
        raise ShopError(
            409,
            "no_billing_account",
            "You have no billing account yet: become a member first.",
        )
    client = stripe_client()
    return_url = url_for("shop.account", _external=True)
    release()
    try:
        portal = client.v1.billing_portal.sessions.create(
            params={"customer": customer_id, "return_url": return_url}
        )
    except stripe.StripeError as exc:
        current_app.logger.warning("Billing portal for user %s failed: %r", user_id, exc)
        raise from_stripe(exc) from exc
    url = getattr(portal, "url", None)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ShopError(502, "payment_provider_error", "Stripe returned no billing portal page.")
    return redirect(url, code=303)
