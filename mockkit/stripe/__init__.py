"""mockkit's Stripe fake: a stateful test-mode Stripe for the real stripe-python SDK.

`StripeFake` is the fake; `objects` holds factories of realistic Stripe objects usable
without it; `cards` lists the test payment methods and their outcomes; `BillingSettings` is
what `fake.billing` holds (retry schedule and the like); `PortalError` is what a refused
in-process portal action (`fake.portal_cancel(...)`) raises.
"""

from mockkit.stripe import cards, objects
from mockkit.stripe.billing.settings import BillingSettings
from mockkit.stripe.fake import CheckoutError, LoggedRequest, StripeFake, StripeServer
from mockkit.stripe.portal import PortalError
from mockkit.stripe.webhooks import Delivery, WebhookForwarder

__all__ = [
    "BillingSettings",
    "CheckoutError",
    "Delivery",
    "LoggedRequest",
    "PortalError",
    "StripeFake",
    "StripeServer",
    "WebhookForwarder",
    "cards",
    "objects",
]
