"""Stripe's card declines, one table: the `code`, `decline_code`, message and `param` of each.

The fake's test cards (`mockkit.stripe.cards`) and the fault factories
(`mockkit.errors.stripe.card_declined()`, ...) both read this table, so a decline looks the
same wherever it comes from. Messages are Stripe's customer-facing ones.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DECLINES", "Decline", "decline"]


@dataclass(frozen=True)
class Decline:
    """How a card is declined: the `code`, `decline_code`, message and `param` Stripe sends.

    `advice_code` is Stripe's hint on what to do next (`try_again_later`), when it gives one.
    """

    code: str
    decline_code: str | None
    message: str
    param: str | None = None
    advice_code: str | None = None


_DECLINED = "Your card was declined."

#: Every decline mockkit knows, by `decline_code`.
DECLINES: dict[str, Decline] = {
    d.decline_code or d.code: d
    for d in (
        Decline("card_declined", "generic_decline", _DECLINED),
        Decline("card_declined", "insufficient_funds", "Your card has insufficient funds."),
        Decline("card_declined", "lost_card", _DECLINED),
        Decline("card_declined", "stolen_card", _DECLINED),
        Decline("card_declined", "fraudulent", _DECLINED),
        Decline("card_declined", "do_not_honor", _DECLINED),
        Decline(
            "card_declined", "card_velocity_exceeded", "Your card has exceeded its velocity limit."
        ),
        Decline("expired_card", "expired_card", "Your card has expired.", "exp_month"),
        Decline("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect.", "cvc"),
        Decline(
            "processing_error",
            "processing_error",
            "An error occurred while processing your card. Try again in a little bit.",
            advice_code="try_again_later",
        ),
        Decline(
            "authentication_required",
            "authentication_required",
            "Your card was declined. This transaction requires authentication.",
        ),
    )
}


def decline(decline_code: str) -> Decline:
    """The decline for `decline_code`; an unknown code is a generic `card_declined` with it."""
    found = DECLINES.get(decline_code)
    return found if found is not None else Decline("card_declined", decline_code, _DECLINED)
