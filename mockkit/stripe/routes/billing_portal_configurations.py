"""The customer portal configuration endpoints: create, retrieve, update, list."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import PAGE_SPEC, paginate
from mockkit.stripe.models.billing_portal_configurations import BillingPortalConfigurations
from mockkit.stripe.params import BOOL, METADATA, STR, URL, Arr, Coercer, Enum, Hash, Int, Str
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

__all__ = ["CONFIGURATION_SPEC"]

_PRORATION = Enum("always_invoice", "create_prorations", "none")
_REASONS = Enum(
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
)
_FEATURES = Hash(
    {
        "customer_update": Hash(
            {
                "allowed_updates": Arr(
                    Enum("address", "email", "name", "phone", "shipping", "tax_id")
                ),
                "enabled": BOOL,
            }
        ),
        "invoice_history": Hash({"enabled": BOOL}, ("enabled",)),
        "payment_method_update": Hash({"enabled": BOOL, "payment_method_configuration": STR}),
        "subscription_cancel": Hash(
            {
                "cancellation_reason": Hash(
                    {"enabled": BOOL, "feedback_options": Arr(STR), "options": Arr(_REASONS)},
                    ("enabled",),
                ),
                "enabled": BOOL,
                "mode": Enum("at_period_end", "immediately"),
                "proration_behavior": _PRORATION,
            }
        ),
        "subscription_pause": Hash(
            {
                "duration": Hash(
                    {
                        "interval_options": Arr(
                            Hash(
                                {
                                    "interval": Enum("day", "month", "week", "year"),
                                    "interval_count": Int(1),
                                },
                                ("interval",),
                            )
                        ),
                        "type": Enum("indefinite", "interval_options"),
                    },
                    ("type",),
                ),
                "enabled": BOOL,
            }
        ),
        "subscription_update": Hash(
            {
                "billing_cycle_anchor": Enum("now", "unchanged"),
                "default_allowed_updates": Arr(Enum("price", "promotion_code", "quantity")),
                "enabled": BOOL,
                "products": Arr(
                    Hash(
                        {
                            "adjustable_quantity": Hash(
                                {"enabled": BOOL, "maximum": Int(1), "minimum": Int(0)},
                                ("enabled",),
                            ),
                            "prices": Arr(STR),
                            "product": STR,
                        },
                        ("prices", "product"),
                    )
                ),
                "proration_behavior": _PRORATION,
                "schedule_at_period_end": Hash(
                    {
                        "conditions": Arr(
                            Hash(
                                {"type": Enum("decreasing_item_amount", "shortening_interval")},
                                ("type",),
                            )
                        )
                    }
                ),
                "trial_update_behavior": Enum("continue_trial", "end_trial"),
            }
        ),
    }
)

CONFIGURATION_SPEC: dict[str, Coercer] = {
    "business_profile": Hash(
        {"headline": Str(60), "privacy_policy_url": URL, "terms_of_service_url": URL}
    ),
    "default_return_url": URL,
    "features": _FEATURES,
    "login_page": Hash({"enabled": BOOL}, ("enabled",)),
    "metadata": METADATA,
    "name": Str(256),
}


@endpoint(
    "POST",
    "/v1/billing_portal/configurations",
    CONFIGURATION_SPEC,
    ("features",),
    kind="billing_portal.configuration",
)
def create_billing_portal_configuration(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a portal configuration."""
    return BillingPortalConfigurations.of(s).create(p)


@endpoint("GET", "/v1/billing_portal/configurations/{id}", kind="billing_portal.configuration")
def retrieve_billing_portal_configuration(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a portal configuration."""
    return BillingPortalConfigurations.of(s).get(id)


@endpoint(
    "POST",
    "/v1/billing_portal/configurations/{id}",
    {**CONFIGURATION_SPEC, "active": BOOL},
    kind="billing_portal.configuration",
)
def update_billing_portal_configuration(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a portal configuration (features are merged; `active`; metadata)."""
    return BillingPortalConfigurations.of(s).modify(id, p)


@endpoint(
    "GET",
    "/v1/billing_portal/configurations",
    {**PAGE_SPEC, "active": BOOL, "is_default": BOOL},
    kind="list:billing_portal.configuration",
)
def list_billing_portal_configurations(s: StripeState, p: dict[str, Any]) -> Any:
    """List portal configurations, newest first (by `active`, `is_default`)."""
    filters = {"active": p.get("active"), "is_default": p.get("is_default")}
    return paginate(
        s, "billing_portal.configuration", p, "/v1/billing_portal/configurations", filters
    )
