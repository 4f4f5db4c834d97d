"""The customer portal: its page (`/p/session/<secret>`) and the same actions in-process.

The page shows what the session's configuration turns on: the customer's subscriptions
(cancel, switch plan), invoice history, the payment method (a test card, through a
SetupIntent), a link back to `return_url`. Each action is the state's own
(`BillingPortalSessions.cancel`, `.switch`, `.update_card`), which calls the subscription,
customer and SetupIntent code the API uses, so it has the same effects and events. Like the
hosted Checkout page, each action runs in a transaction of the state: refused, it changes
nothing, and the customer sees why on a 4xx page, never a 500.

`PortalActions` gives `StripeFake` the in-process equivalents for tests without a browser:
`fake.portal_cancel(...)`, `fake.portal_switch_plan(...)`, `fake.portal_update_card(...)`.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qsl

from mockkit.http import Request, Response
from mockkit.stripe import checkout_page, portal_page
from mockkit.stripe.errors import StripeError
from mockkit.stripe.models.billing_portal_sessions import BillingPortalSessions
from mockkit.stripe.state import Obj, StripeState

__all__ = ["PortalActions", "PortalError", "page"]


class PortalError(Exception):
    """A portal action was refused (unknown or expired session, forbidden or invalid change)."""


def _view(state: StripeState, session: Obj, sessions: BillingPortalSessions) -> Any:
    config = sessions.configuration_of(session)
    cid = session["customer"]
    customer = state.stores["customer"].by_id.get(cid) or {"invoice_settings": {}}
    invoices = [
        inv
        for inv in state.stores["invoice"].newest_first()
        if inv["customer"] == cid and inv["status"] not in ("draft", None)
    ]
    pm_id = (customer.get("invoice_settings") or {}).get("default_payment_method")
    pm = state.stores["payment_method"].by_id.get(pm_id) if pm_id else None
    offered = [
        pid
        for entry in config["features"]["subscription_update"]["products"] or []
        for pid in entry["prices"]
    ]
    prices = {
        pid: state.stores["price"].by_id[pid]
        for pid in offered
        if pid in state.stores["price"].by_id
    }
    products = {pid: p["name"] for pid, p in state.stores["product"].by_id.items()}
    return portal_page.PortalView(
        session,
        config,
        sessions.subscriptions_of(session),
        invoices[:24],
        pm["card"] if pm else None,
        products,
        prices,
        sessions.pending_flow(session),
    )


def page(state: StripeState, request: Request) -> Response:
    """The portal at `/p/session/<secret>`: show it (GET), act on it (POST)."""
    parts = request.path.strip("/").split("/")
    if len(parts) != 3 or parts[:2] != ["p", "session"]:
        return Response.html(checkout_page.message_page("Not found", "No such portal page."), 404)
    if request.method not in ("GET", "POST"):
        return Response.html(
            checkout_page.message_page("Not allowed", "Use GET or POST on this page."), 405
        )
    sessions = BillingPortalSessions.of(state)
    try:
        with state.transaction():
            session = sessions.opened(parts[2])
    except StripeError as exc:
        title = "Session expired" if exc.status == 410 else "Not found"
        return Response.html(checkout_page.message_page(title, exc.message), exc.status)
    if request.method == "GET":
        notice = portal_page.NOTICES.get(dict(request.query).get("notice", ""))
        return Response.html(portal_page.portal_page(_view(state, session, sessions), notice))
    form = dict(parse_qsl(request.text, keep_blank_values=True))
    action = form.get("action", "")
    try:
        with state.serving(base_url=request.base_url, served=request.served):
            with state.transaction():
                notice, declined = _act(sessions, session, action, form)
    except StripeError as exc:
        # Refused as a whole (nothing was changed): the customer sees why, on the page.
        status = exc.status if 400 <= exc.status < 500 else 400
        view = _view(state, session, sessions)
        return Response.html(portal_page.portal_page(view, error=exc.message), status)
    if declined is not None:
        view = _view(state, session, sessions)
        return Response.html(portal_page.portal_page(view, error=declined.message), 402)
    return _after(session, notice, parts[2])


def _act(
    sessions: BillingPortalSessions, session: Obj, action: str, form: dict[str, str]
) -> tuple[str, StripeError | None]:
    """Carry out one form post: `(notice key, decline or None)`; refusals raise."""
    sub = form.get("subscription", "")
    if action == "cancel":
        done = sessions.cancel(session, sub, form.get("reason") or None)
        return ("canceled" if done["status"] == "canceled" else "cancels"), None
    if action == "switch":
        sessions.switch(session, sub, form.get("price", ""))
        return "switched", None
    if action == "card":
        card = form.get("card", "")
        if card not in checkout_page.PAGE_CARDS:
            raise StripeError(400, "invalid_request_error", f"Unknown test card: {card}")
        _, declined = sessions.update_card(session, card)
        return "card", declined
    raise StripeError(400, "invalid_request_error", f"Unknown portal action: {action or '(none)'}")


def _after(session: Obj, notice: str, secret: str) -> Response:
    """Where a completed action leads: the flow's `after_completion`, else the portal."""
    flow = session["flow"]
    after: dict[str, Any] = flow["after_completion"] if flow else {"type": "portal_homepage"}
    if after["type"] == "redirect":
        return Response.redirect(after["redirect"]["return_url"], 303)
    if after["type"] == "hosted_confirmation":
        message = (after["hosted_confirmation"] or {}).get("custom_message")
        return Response.html(
            portal_page.confirmation_page(
                message or portal_page.NOTICES[notice], session["return_url"]
            )
        )
    return Response.redirect(f"/p/session/{secret}?notice={notice}", 303)


def _copy(obj: Obj) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(obj))
    return copied


class PortalActions:
    """What a customer does in the portal, for tests without a browser (mixed into StripeFake).

    Each takes the portal session's id (`bps_...`), counts as a visit of its link (so an
    expired session is refused, as the page refuses it) and does what the page's button does,
    with the same effects and events. A refused action raises `PortalError` and changes
    nothing.
    """

    state: StripeState
    _lock: threading.RLock

    def _portal(self, session_id: str, act: Any) -> Any:
        with self._lock:
            try:
                with self.state.serving(), self.state.transaction():
                    sessions = BillingPortalSessions.of(self.state)
                    session = sessions.store.by_id.get(session_id)
                    if session is None:
                        raise StripeError(
                            404, "invalid_request_error", f"No such portal session: {session_id}"
                        )
                    return act(sessions, sessions.visit(session))
            except StripeError as exc:
                raise PortalError(exc.message) from None

    def portal_cancel(
        self, session_id: str, subscription_id: str, *, reason: str | None = None
    ) -> dict[str, Any]:
        """Cancel a subscription in the portal, as its "Cancel plan" button does.

        At the period end (`cancel_at_period_end`, `customer.subscription.updated`) or at once
        (`customer.subscription.deleted`, with a prorated credit when the configuration's
        `proration_behavior` is `create_prorations`), as the session's configuration says.
        `reason`: one of the configuration's cancellation reasons, recorded as
        `cancellation_details.feedback`. Returns the subscription.
        """
        sub = self._portal(
            session_id, lambda s, session: s.cancel(session, subscription_id, reason)
        )
        return _copy(sub)

    def portal_switch_plan(
        self, session_id: str, subscription_id: str, price_id: str
    ) -> dict[str, Any]:
        """Move a subscription to another price the configuration offers ("Update plan").

        Prorated as the configuration's `features.subscription_update.proration_behavior`
        says. Returns the subscription.
        """
        sub = self._portal(
            session_id, lambda s, session: s.switch(session, subscription_id, price_id)
        )
        return _copy(sub)

    def portal_update_card(
        self, session_id: str, payment_method: str = "pm_card_visa"
    ) -> dict[str, Any]:
        """Save a new card (a test id such as `pm_card_visa`) as the customer's default.

        Through a SetupIntent, as the portal does; the card becomes the customer's
        `invoice_settings.default_payment_method` and their subscriptions' default. A declined
        card raises `PortalError` with the decline message (the failed SetupIntent stays, as
        on Stripe). Returns the customer.
        """
        customer, declined = self._portal(
            session_id, lambda s, session: s.update_card(session, payment_method)
        )
        if declined is not None:
            raise PortalError(declined.message)
        return _copy(customer)
