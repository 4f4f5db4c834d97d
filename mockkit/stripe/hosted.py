"""The fake's hosted pages: Checkout's payment page and the 3D Secure challenge page.

What a customer's browser does on `checkout.stripe.com/c/pay/<id>` and
`hooks.stripe.com/3d_secure_2/hosted/<id>` (or their served equivalents). The HTML lives in
`mockkit.stripe.checkout_page`; the rules in the Checkout Session and PaymentIntent state.
What a page does runs in a transaction of the state, as an API request does: refused, it
changes nothing, and the customer is shown why (a 4xx page, never a 500).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from mockkit.http import Request, Response
from mockkit.stripe import checkout_codes, checkout_page
from mockkit.stripe.errors import StripeError
from mockkit.stripe.models.checkout_sessions import CheckoutSessions
from mockkit.stripe.models.payment_intents import PaymentIntents
from mockkit.stripe.models.setup_intents import SetupIntents
from mockkit.stripe.state import StripeState

__all__ = ["challenge", "checkout"]


def checkout(state: StripeState, request: Request) -> Response:
    """The Checkout page at `/c/pay/<session id>`: show it (GET), pay on it (POST)."""
    parts = request.path.strip("/").split("/")
    if len(parts) != 3 or parts[:2] != ["c", "pay"]:
        return Response.html(checkout_page.message_page("Not found", "No such Checkout page."), 404)
    sid = parts[2]
    sessions = CheckoutSessions.of(state)
    session = sessions.store.by_id.get(sid)
    if session is None:
        return Response.html(
            checkout_page.message_page("Not found", f"No such Checkout Session: {sid}"), 404
        )
    with state.transaction():
        sessions.refresh(session)
    if session["status"] == "complete":
        return Response.html(
            checkout_page.message_page(
                "Already paid",
                "This Checkout Session is complete.",
                _success_url(session),
                "Back to the shop",
            )
        )
    if session["status"] == "expired":
        return Response.html(
            checkout_page.message_page(
                "Session expired",
                "This Checkout Session has expired.",
                session["cancel_url"],
                "Back to the shop",
            ),
            410,
        )
    items = sessions.line_items(sid)
    if request.method != "POST":
        return Response.html(checkout_page.checkout_page(session, items))
    form = dict(parse_qsl(request.text, keep_blank_values=True))
    code = form.get("promotion_code", "").strip() or None
    if form.get("op") == "apply":
        try:
            with state.transaction():
                checkout_codes.apply(state, sid, code or "")
        except StripeError as exc:
            # The code is refused as a whole (nothing changed): the customer sees why.
            page = checkout_page.checkout_page(session, items, exc.message, code_error=True)
            return Response.html(page, exc.status if 400 <= exc.status < 500 else 400)
        return Response.html(checkout_page.checkout_page(session, items))
    card = form.get("card") or "pm_card_visa"
    if card not in checkout_page.PAGE_CARDS:
        return Response.html(
            checkout_page.checkout_page(session, items, f"Unknown test card: {card}"), 400
        )
    try:
        with state.serving(base_url=request.base_url, served=request.served):
            with state.transaction():
                result = checkout_codes.complete(state, sid, card, form.get("email") or None, code)
    except StripeError as exc:
        # Refused as a whole (nothing was changed): the customer sees why, on the page.
        status = exc.status if 400 <= exc.status < 500 else 400
        return Response.html(checkout_page.checkout_page(session, items, exc.message), status)
    if result.error is not None:
        return Response.html(checkout_page.checkout_page(session, items, result.error.message), 402)
    return Response.redirect(_success_url(session) or "/", 303)


def _success_url(session: dict[str, Any]) -> str | None:
    url = session.get("success_url")
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"]) if url else None


def challenge(state: StripeState, request: Request) -> Response:
    """The 3D Secure page of a Payment- or SetupIntent: show it (GET), complete or fail it."""
    pid = request.path.rsplit("/", 1)[-1]
    setup = pid.startswith("seti_")
    intents: PaymentIntents | SetupIntents = (
        SetupIntents.of(state) if setup else PaymentIntents.of(state)
    )
    label = "SetupIntent" if setup else "PaymentIntent"
    pi = intents.store.by_id.get(pid)
    if pi is None:
        return Response.html(
            checkout_page.message_page("Not found", f"No such {label}: {pid}"), 404
        )
    if request.method != "POST":
        if pi["status"] != "requires_action":
            return Response.html(
                checkout_page.message_page(
                    "Nothing to authenticate", f"This {label} is {pi['status']}."
                ),
                409,
            )
        return Response.html(checkout_page.challenge_page(pi))
    action = dict(parse_qsl(request.text)).get("action", "complete")
    try:
        with state.transaction():
            intents.authenticate(pid, succeed=action == "complete")
    except StripeError as exc:
        return Response.html(checkout_page.message_page("Cannot authenticate", exc.message), 409)
    return_url = intents.return_url_of(pid)
    if not return_url:
        return Response.html(checkout_page.message_page("Done", f"{label} {pid}."))
    sep = "&" if "?" in return_url else "?"
    status = "succeeded" if action == "complete" else "failed"
    name = "setup_intent" if setup else "payment_intent"
    return Response.redirect(
        f"{return_url}{sep}{name}={pid}"
        f"&{name}_client_secret={pi['client_secret']}&redirect_status={status}",
        303,
    )
