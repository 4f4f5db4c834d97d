"""A stand-in for an app's billing module: the targets the patching tests replace."""

from __future__ import annotations

from typing import Any

import stripe


def charge(order_id: int, amount: int, *, currency: str = "usd") -> str:
    """Charge an order through Stripe; returns the PaymentIntent id."""
    intent = stripe.PaymentIntent.create(
        amount=amount, currency=currency, metadata={"order": str(order_id)}
    )
    return str(intent.id)


def checkout(order_id: int, amount: int) -> dict[str, Any]:
    """What the app's view does: charge, and turn failures into a message for the customer."""
    try:
        return {"status": "paid", "intent": charge(order_id, amount)}
    except stripe.CardError as exc:
        return {"status": "declined", "message": exc.user_message}
    except stripe.APIConnectionError:
        return {"status": "pending", "message": "Payment service unreachable, try again."}


class Gateway:
    """A class with the three kinds of methods."""

    fee = 30

    def quote(self, amount: int) -> int:
        return amount + self.fee

    @classmethod
    def build(cls, region: str) -> Gateway:
        return cls()

    @staticmethod
    def cents(amount: float) -> int:
        return round(amount * 100)
