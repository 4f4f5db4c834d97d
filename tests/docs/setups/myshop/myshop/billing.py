"""The reader's billing code: charges through stripe-python, tells the customer what happened."""

import stripe


def charge(amount: int, currency: str, payment_method: str) -> str:
    intent = stripe.PaymentIntent.create(
        amount=amount,
        currency=currency,
        payment_method=payment_method,
        confirm=True,
        allowed_payment_method_types=["card"],
    )
    return intent.id


def checkout(amount: int) -> str:
    try:
        charge(amount, "usd", "pm_card_visa")
    except stripe.CardError as exc:
        return f"Payment failed: {exc.user_message}"
    return "Thank you!"
