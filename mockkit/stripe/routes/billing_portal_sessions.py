"""The customer portal session endpoint: create (Stripe has no retrieve or list)."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.models.billing_portal_sessions import BillingPortalSessions
from mockkit.stripe.params import INT, STR, URL, Arr, Enum, Hash, Int, Str
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

_LOCALES = Enum(
    "auto", "bg", "cs", "da", "de", "el", "en", "en-AU", "en-CA", "en-GB", "en-IE", "en-IN",
    "en-NZ", "en-SG", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr", "hu", "id", "it",
    "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl",
    "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
)  # fmt: skip
_SUBSCRIPTION = Hash({"subscription": STR}, ("subscription",))
_FLOW_DATA = Hash(
    {
        "after_completion": Hash(
            {
                "hosted_confirmation": Hash({"custom_message": Str(500)}),
                "redirect": Hash({"return_url": URL}, ("return_url",)),
                "type": Enum("hosted_confirmation", "portal_homepage", "redirect"),
            },
            ("type",),
        ),
        "subscription_cancel": Hash(
            {
                "retention": Hash(
                    {
                        "coupon_offer": Hash({"coupon": STR}, ("coupon",)),
                        "type": Enum("coupon_offer"),
                    },
                    ("coupon_offer", "type"),
                ),
                "subscription": STR,
            },
            ("subscription",),
        ),
        "subscription_pause": _SUBSCRIPTION,
        "subscription_update": _SUBSCRIPTION,
        "subscription_update_confirm": Hash(
            {
                "discounts": Arr(Hash({"coupon": STR, "promotion_code": STR})),
                "items": Arr(Hash({"id": STR, "price": STR, "quantity": Int(0)}, ("id",))),
                "subscription": STR,
            },
            ("items", "subscription"),
        ),
        "type": Enum(
            "customer_update",
            "payment_method_update",
            "subscription_cancel",
            "subscription_pause",
            "subscription_update",
            "subscription_update_confirm",
        ),
    },
    ("type",),
)


@endpoint(
    "POST",
    "/v1/billing_portal/sessions",
    {
        "after_expiration": Hash(
            {"customer_login": Hash({"expires_at": INT}), "type": Enum("customer_login")},
            ("type",),
        ),
        "configuration": STR,
        "customer": STR,
        "customer_account": STR,
        "flow_data": _FLOW_DATA,
        "locale": _LOCALES,
        "on_behalf_of": STR,
        "return_url": URL,
    },
    kind="billing_portal.session",
)
def create_billing_portal_session(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a portal session for a customer (the default configuration unless given)."""
    return BillingPortalSessions.of(s).create(p)
