"""Promotion codes entered on the hosted Checkout page (`allow_promotion_codes=true`).

The customer types a code; an active code the session's customer may use applies its coupon
to the session: `discounts`, `amount_total` and `total_details.amount_discount` (and each
line item's `amount_discount`) follow, exact to the cent by the invoice arithmetic
(`mockkit.stripe.billing.amounts`). When the session is paid the code is redeemed: in
`mode=subscription` it is the subscription's discount (its first invoice and, per the coupon's
duration, later ones); in `mode=payment` a Discount naming the session is made and the code and
coupon count the redemption. A code that does not exist, expired, is used up or does not apply
gets a message and changes nothing.

`complete()` is what the page's Pay button and `fake.complete_checkout(..., promotion_code=)`
run: the code (if any), a last check that it still applies, the payment, the redemption, all
in the caller's transaction.
"""

from __future__ import annotations

from mockkit.stripe import money
from mockkit.stripe.billing.amounts import Line, totals
from mockkit.stripe.errors import StripeError, invalid_request
from mockkit.stripe.models.checkout_sessions import CheckoutResult, CheckoutSessions
from mockkit.stripe.models.coupons import Coupons
from mockkit.stripe.models.discounts import Discounts, PendingDiscount
from mockkit.stripe.models.payment_intents import PaymentIntents
from mockkit.stripe.state import Obj, StripeState

__all__ = ["apply", "complete"]

_INVALID = "This code is invalid."
_EXPIRED = "This code has expired or is no longer available."


def _who(state: StripeState, session: Obj) -> Obj:
    found = state.stores["customer"].by_id.get(session["customer"] or "")
    return found or {"id": "", "balance": 0}


def _find(state: StripeState, code: str, customer: str | None) -> Obj:
    """The promotion code spelled `code` (any case) that this customer may enter."""
    wanted = code.strip().lower()
    matches = [
        promo
        for promo in state.stores["promotion_code"].by_id.values()
        if promo["code"].lower() == wanted and promo["customer"] in (None, customer)
    ]
    if not wanted or not matches:
        raise invalid_request(_INVALID, param="promotion_code", code="resource_missing")
    active = [promo for promo in matches if promo["active"]]
    if not active:
        raise invalid_request(_EXPIRED, param="promotion_code", code="coupon_expired")
    return active[0]


def _pending(state: StripeState, session: Obj, promo_id: str) -> PendingDiscount:
    """The code checked against the session as it is (any refusal is Stripe's message)."""
    try:
        (pending,) = Discounts.of(state).resolve(
            [{"promotion_code": promo_id}],
            "promotion_code",
            _who(state, session),
            session["currency"],
            session["amount_subtotal"],
        )
    except StripeError as exc:
        if exc.code == "coupon_expired":
            raise invalid_request(_EXPIRED, param="promotion_code", code="coupon_expired") from None
        raise
    return pending


def apply(state: StripeState, sid: str, code: str) -> Obj:
    """Apply the promotion code `code` to the open session `sid`; return the session."""
    sessions = CheckoutSessions.of(state)
    session = sessions.refresh(sessions.get(sid))
    if session["status"] != "open":
        raise invalid_request(
            f"Checkout Session {sid} is {session['status']}; codes apply to open sessions only."
        )
    if not session.get("allow_promotion_codes"):
        raise invalid_request(
            "This Checkout Session does not accept promotion codes (allow_promotion_codes).",
            param="promotion_code",
        )
    promo = _find(state, code, session["customer"])
    pending = _pending(state, session, promo["id"])
    extra = sessions.priced(sid)
    items = extra.line_items
    trial = extra.trial_end is not None
    lines = [
        Line(0 if trial and li["price"]["type"] == "recurring" else li["amount_subtotal"])
        for li in items
    ]
    coupon = pending.coupon["id"]
    figures = totals(lines, [Coupons.of(state).off(coupon, coupon)])
    if session["mode"] == "payment":
        # What is left must still be chargeable (a free order is not emulated in payment mode).
        money.check_total(figures.total, session["currency"], "promotion_code")
    for li, line in zip(items, lines, strict=True):
        cut = sum(amount for _, amount in line.discount_amounts)
        sessions.update(li, {"amount_discount": cut, "amount_total": li["amount_subtotal"] - cut})
    details = dict(session["total_details"] or {})
    details["amount_discount"] = figures.subtotal - figures.total
    sessions.update(
        session,
        {
            "amount_total": figures.total,
            "total_details": details,
            "discounts": [{"coupon": None, "promotion_code": promo["id"]}],
        },
    )
    extra.discounts = [{"promotion_code": promo["id"]}]
    pid = session["payment_intent"]
    if pid and PaymentIntents.of(state).get(pid)["status"] == "requires_payment_method":
        # A PaymentIntent made by an earlier, declined attempt is charged the new total.
        PaymentIntents.of(state).modify(pid, {"amount": figures.total})
    return session


def complete(
    state: StripeState,
    sid: str,
    payment_method: str,
    email: str | None,
    promotion_code: str | None = None,
) -> CheckoutResult:
    """Pay the session (after applying `promotion_code`), redeeming its code when paid."""
    sessions = CheckoutSessions.of(state)
    if promotion_code is not None:
        apply(state, sid, promotion_code)
    session = sessions.get(sid)
    extra = sessions.priced(sid)
    codes = [d["promotion_code"] for d in extra.discounts if d.get("promotion_code")]
    pending = None
    if codes and session["mode"] == "payment" and session["status"] == "open":
        pending = _pending(state, session, codes[0])  # still usable, before anything is charged
    result = sessions.complete(sid, payment_method, email)
    if pending is not None and result.error is None and result.session["status"] == "complete":
        # Made as Stripe makes it in payment mode: naming the session (and its customer, if any).
        customer = result.session["customer"]
        Discounts.of(state).make(pending, state.now(), customer, checkout_session=sid)
    return result
