"""Customer portal configurations: what a portal session lets the customer do.

A real test-mode account that uses the portal has saved its default configuration in the
Dashboard; the fake starts as such an account: it holds a default configuration with the
Dashboard's defaults (invoice history, payment method update, cancel at period end), made
without an event (it predates the test). `StripeFake(billing_portal_default=False)` starts
as an account that never saved its portal settings: a session without `configuration` then
gets Stripe's 400.

What a configuration turns on is what the portal page (`mockkit.stripe.portal_page`) offers;
a feature the page cannot honour is refused as not emulated when it is enabled, never
accepted and ignored.
"""

from __future__ import annotations

import copy
import random
from typing import Any

from mockkit.stripe.errors import invalid_request, not_emulated, param_error
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["DEFAULT_FEATURES", "BillingPortalConfigurations"]

#: The features of a configuration saved with the Dashboard's defaults.
DEFAULT_FEATURES: dict[str, Any] = {
    "customer_update": {"allowed_updates": [], "enabled": False},
    "invoice_history": {"enabled": True},
    "payment_method_update": {"enabled": True, "payment_method_configuration": None},
    "subscription_cancel": {
        "cancellation_reason": {"enabled": False, "options": []},
        "enabled": True,
        "mode": "at_period_end",
        "proration_behavior": "none",
    },
    "subscription_pause": {
        "duration": {
            "interval_options": [{"interval": "month", "interval_count": 1}],
            "type": "interval_options",
        },
        "enabled": False,
    },
    "subscription_update": {
        "billing_cycle_anchor": None,
        "default_allowed_updates": [],
        "enabled": False,
        "products": [],
        "proration_behavior": "none",
        "schedule_at_period_end": {"conditions": []},
        "trial_update_behavior": "end_trial",
    },
}

#: What a feature holds when a request does not say (a created configuration's features).
_OFF: dict[str, Any] = {
    **DEFAULT_FEATURES,
    "invoice_history": {"enabled": False},
    "payment_method_update": {"enabled": False, "payment_method_configuration": None},
    "subscription_cancel": {**DEFAULT_FEATURES["subscription_cancel"], "enabled": False},
}

_NO_CONFIGURATION = (
    "No configuration provided and your test mode default configuration has not been created. "
    "Provide a configuration or create your default by saving your customer portal settings in "
    "test mode at https://dashboard.stripe.com/test/settings/billing/portal."
)


def _merge(old: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`given` over `old`, hash by hash (a nested hash keeps what `given` does not name)."""
    out = dict(old)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


class BillingPortalConfigurations(Model):
    """The account's customer portal configurations (one of them the default)."""

    resource = Resource(
        "billing_portal.configuration",
        "bpc_",
        events=("billing_portal.configuration.created", "billing_portal.configuration.updated"),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        # The Dashboard-saved default. Its id comes from a generator of its own, derived from
        # the account's seed without drawing from it, so every other id stays as it was.
        rng = random.Random(repr(state.rng.getstate()))
        now = state.now()
        self.store.add(
            build(
                "billing_portal.configuration",
                {
                    "id": "bpc_" + "".join(rng.choice(_ALNUM) for _ in range(24)),
                    "active": True,
                    "application": None,
                    "business_profile": {
                        "headline": None,
                        "privacy_policy_url": None,
                        "terms_of_service_url": None,
                    },
                    "created": now,
                    "updated": now,
                    "default_return_url": None,
                    "features": DEFAULT_FEATURES,
                    "is_default": True,
                    "login_page": {"enabled": False, "url": None},
                    "metadata": {},
                    "name": None,
                },
            )
        )

    def forget_default(self) -> None:
        """Start as an account that never saved its portal settings (no default yet)."""
        for config in list(self.store.by_id.values()):
            if config["is_default"]:
                self.store.remove(config["id"])

    def default(self) -> Obj:
        """The default configuration, or Stripe's 400 when the account has none."""
        for config in self.store.by_id.values():
            if config["is_default"]:
                return config
        raise invalid_request(_NO_CONFIGURATION)

    def usable(self, bpc: str, param: str = "configuration") -> Obj:
        """The active configuration `bpc` (a 400 naming `param` if unknown or inactive)."""
        config = self.store.by_id.get(bpc)
        if config is None:
            raise invalid_request(
                f"No such configuration: '{bpc}'", param=param, code="resource_missing"
            )
        if not config["active"]:
            raise invalid_request(
                f"The configuration {bpc} is not active. Activate it (active=true) or use "
                "an active configuration.",
                param=param,
            )
        return config

    def create(self, p: Params) -> Obj:
        """POST /v1/billing_portal/configurations."""
        s = self.state
        features = self._features(_OFF, p["features"])
        now = s.now()
        config = build(
            "billing_portal.configuration",
            {
                "id": s.new_id("billing_portal.configuration"),
                "active": True,
                "application": None,
                "business_profile": self._profile(
                    {"headline": None, "privacy_policy_url": None, "terms_of_service_url": None},
                    p.get("business_profile") or {},
                ),
                "created": now,
                "updated": now,
                "default_return_url": p.get("default_return_url"),
                "features": features,
                "is_default": False,
                "login_page": self._login_page(p.get("login_page")),
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
                "name": p.get("name"),
            },
        )
        self.store.add(config)
        s.emit("billing_portal.configuration.created", config)
        return config

    def modify(self, bpc: str, p: Params) -> Obj:
        """POST /v1/billing_portal/configurations/{id}."""
        config = self.get(bpc)
        changes: dict[str, Any] = {}
        if "features" in p:
            changes["features"] = self._features(config["features"], p["features"] or {})
        if "business_profile" in p:
            changes["business_profile"] = self._profile(
                config["business_profile"], p["business_profile"] or {}
            )
        if "login_page" in p:
            changes["login_page"] = self._login_page(p["login_page"])
        for key in ("default_return_url", "name"):
            if key in p:
                changes[key] = p[key]
        if "active" in p:
            if p["active"] is False and config["is_default"]:
                raise invalid_request(
                    "The default configuration cannot be deactivated.", param="active"
                )
            changes["active"] = p["active"]
        if "metadata" in p:
            changes["metadata"] = self.merge_metadata(config["metadata"] or {}, p["metadata"])
        previous = self.update(config, changes)
        if previous:
            previous["updated"] = config["updated"]
            config["updated"] = self.state.now()
            self.state.emit("billing_portal.configuration.updated", config, previous)
        return config

    @staticmethod
    def _profile(old: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        return {**old, **given}

    @staticmethod
    def _login_page(given: dict[str, Any] | None) -> dict[str, Any]:
        if given and given.get("enabled"):
            # Its URL would be a page where customers sign in by email link.
            raise not_emulated("the portal's hosted login page", "login_page[enabled]")
        return {"enabled": False, "url": None}

    def _features(self, old: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        """The features after `given`, checked whole (what the portal page can honour)."""
        features = copy.deepcopy(_merge(old, given))
        if features["customer_update"]["enabled"]:
            raise not_emulated(
                "the portal's customer details update", "features[customer_update][enabled]"
            )
        if features["subscription_pause"]["enabled"]:
            raise not_emulated(
                "pausing subscriptions in the portal", "features[subscription_pause][enabled]"
            )
        if features["payment_method_update"].get("payment_method_configuration"):
            raise not_emulated(
                "payment method configurations",
                "features[payment_method_update][payment_method_configuration]",
            )
        self._check_cancel(features["subscription_cancel"])
        features["subscription_update"] = self._check_update(features["subscription_update"])
        return features

    @staticmethod
    def _check_cancel(cancel: dict[str, Any]) -> None:
        name = "features[subscription_cancel][proration_behavior]"
        if cancel["proration_behavior"] == "always_invoice":
            raise param_error(
                "Invalid features[subscription_cancel][proration_behavior]: must be one of "
                "none or create_prorations",
                name,
            )
        if cancel["proration_behavior"] == "create_prorations" and cancel["mode"] != "immediately":
            raise param_error(
                "features[subscription_cancel][proration_behavior] can only be "
                "create_prorations when features[subscription_cancel][mode] is immediately.",
                name,
            )
        reason = cancel["cancellation_reason"]
        if reason.get("feedback_options"):
            raise not_emulated(
                "custom cancellation feedback options",
                "features[subscription_cancel][cancellation_reason][feedback_options]",
            )
        reason.pop("feedback_options", None)
        if reason["enabled"] and not reason["options"]:
            raise param_error(
                "features[subscription_cancel][cancellation_reason][options] must name at "
                "least one reason when the cancellation reason is enabled.",
                "features[subscription_cancel][cancellation_reason][options]",
            )

    def _check_update(self, update: dict[str, Any]) -> dict[str, Any]:
        prefix = "features[subscription_update]"
        if "promotion_code" in update["default_allowed_updates"]:
            raise not_emulated(
                "promotion codes entered in the portal", f"{prefix}[default_allowed_updates]"
            )
        if update["schedule_at_period_end"].get("conditions"):
            raise not_emulated(
                "updates scheduled at the end of the period (subscription schedules)",
                f"{prefix}[schedule_at_period_end][conditions]",
            )
        if update["billing_cycle_anchor"] == "now":
            raise not_emulated(
                "resetting the billing cycle anchor on portal updates",
                f"{prefix}[billing_cycle_anchor]",
            )
        products = []
        for i, entry in enumerate(update["products"] or []):
            products.append(self._product(entry, f"{prefix}[products][{i}]"))
        if len(products) > 10:
            raise param_error(
                f"{prefix}[products] can name at most 10 products.", f"{prefix}[products]"
            )
        if update["enabled"] and (not products or not update["default_allowed_updates"]):
            missing = "products" if not products else "default_allowed_updates"
            raise param_error(
                f"{prefix}[{missing}] is required when subscription updates are enabled.",
                f"{prefix}[{missing}]",
                "parameter_missing",
            )
        return {**update, "products": products}

    def _product(self, entry: dict[str, Any], name: str) -> dict[str, Any]:
        s = self.state
        product = s.ref("product", entry["product"], f"{name}[product]")
        if not entry["prices"]:
            raise param_error(f"{name}[prices] must name at least one price.", f"{name}[prices]")
        for j, pid in enumerate(entry["prices"]):
            price = s.ref("price", pid, f"{name}[prices][{j}]")
            if price["product"] != product["id"] or price["type"] != "recurring":
                raise param_error(
                    f"The price {pid} is not a recurring price of the product {product['id']}.",
                    f"{name}[prices][{j}]",
                )
        quantity = dict(entry.get("adjustable_quantity") or {"enabled": False})
        if quantity["enabled"]:
            raise not_emulated(
                "quantity changes in the portal", f"{name}[adjustable_quantity][enabled]"
            )
        return {
            "adjustable_quantity": {"enabled": False, "maximum": None, "minimum": 1},
            "prices": list(entry["prices"]),
            "product": product["id"],
        }


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
