"""Helpers of the Stripe fake's tests: one SDK driver for every style, and an outage fault.

A plain module: tests import `Driver`, `KEY` and `ServerError` from here; the fixtures that
build them (`sdk`, `fake`) are in `conftest.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

from mockkit.http import Request, Response
from mockkit.stripe import StripeFake
from mockkit.stripe.errors import error_response

KEY = "sk_test_mockkit_tests"

#: Module-style classes for the services `Driver` knows.
CLASSES: dict[str, Any] = {
    "customers": stripe.Customer,
    "payment_methods": stripe.PaymentMethod,
    "products": stripe.Product,
    "prices": stripe.Price,
    "payment_intents": stripe.PaymentIntent,
    "charges": stripe.Charge,
    "refunds": stripe.Refund,
    "checkout.sessions": stripe.checkout.Session,
    "events": stripe.Event,
    "subscriptions": stripe.Subscription,
    "subscription_items": stripe.SubscriptionItem,
    "invoices": stripe.Invoice,
    "invoice_items": stripe.InvoiceItem,
    "invoice_payments": stripe.InvoicePayment,
    "coupons": stripe.Coupon,
    "promotion_codes": stripe.PromotionCode,
    "setup_intents": stripe.SetupIntent,
    "test_helpers.test_clocks": stripe.test_helpers.TestClock,
    "billing_portal.configurations": stripe.billing_portal.Configuration,
    "billing_portal.sessions": stripe.billing_portal.Session,
}


@dataclass
class Driver:
    """Calls the real SDK in one style: `module` (class methods) or `client` (StripeClient)."""

    style: str
    fake: StripeFake
    client: stripe.StripeClient | None
    served: bool

    def _service(self, name: str) -> Any:
        assert self.client is not None
        node: Any = self.client.v1
        for part in name.split("."):
            node = getattr(node, part)
        return node

    def create(self, name: str, /, **params: Any) -> Any:
        """`Resource.create(**params)` / `client.v1.<name>.create(params=...)`."""
        if self.style == "module":
            return CLASSES[name].create(**params)
        return self._service(name).create(params=params)

    def retrieve(self, name: str, oid: str, /, **params: Any) -> Any:
        """Retrieve one object."""
        if self.style == "module":
            return CLASSES[name].retrieve(oid, **params)
        return self._service(name).retrieve(oid, params=params)

    def update(self, name: str, oid: str, /, **params: Any) -> Any:
        """Update one object."""
        if self.style == "module":
            return CLASSES[name].modify(oid, **params)
        return self._service(name).update(oid, params=params)

    def delete(self, name: str, oid: str) -> Any:
        """Delete one object."""
        if self.style == "module":
            return CLASSES[name].delete(oid)
        return self._service(name).delete(oid)

    def list(self, name: str, /, **params: Any) -> Any:
        """One page of a list."""
        if self.style == "module":
            return CLASSES[name].list(**params)
        return self._service(name).list(params=params)

    def search(self, name: str, /, **params: Any) -> Any:
        """One page of a search (`Resource.search(query=...)`)."""
        if self.style == "module":
            return CLASSES[name].search(**params)
        return self._service(name).search(params=params)

    def action(self, name: str, action: str, oid: str, /, **params: Any) -> Any:
        """A custom method such as `confirm`, `capture`, `cancel`, `attach`, `expire`."""
        if self.style == "module":
            return getattr(CLASSES[name], action)(oid, **params)
        return getattr(self._service(name), action)(oid, params=params)


@dataclass
class ServerError:
    """A fault answering Stripe's 500 `api_error` (what an outage looks like)."""

    def respond(self, request: Request) -> Response:
        return error_response(500, "api_error", "Something went wrong on Stripe's end.")
