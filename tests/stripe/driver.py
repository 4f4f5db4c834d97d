"""Helpers of the Stripe fake's tests: one SDK driver for every style, and an outage fault.

A plain module: tests import `Driver`, `KEY` and `ServerError` from here; the fixtures that
build them (`sdk`, `fake`) are in `conftest.py`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from dataclasses import dataclass
from typing import Any

import pytest
import stripe

from mockkit.http import Request, Response
from mockkit.stripe import StripeFake, versions
from mockkit.stripe.errors import error_response

KEY = "sk_test_mockkit_tests"

#: The API version the installed stripe-python pins: what it sends, so what the fake answers as.
SDK_VERSION: str = stripe._api_version._ApiVersion.CURRENT  # type: ignore[attr-defined]

#: A card-only PaymentIntent or Checkout Session, in the parameter the SDK's version names:
#: `allowed_payment_method_types` from endive on, `payment_method_types` before.
CARD: dict[str, list[str]] = {
    (
        "payment_method_types"
        if versions.before(SDK_VERSION, versions.ALLOWED_PAYMENT_METHOD_TYPES)
        else "allowed_payment_method_types"
    ): ["card"]
}

if importlib.util.find_spec("stripe._v1_services") is None:
    # stripe-python before 12 serves `client.customers` (there is no `v1` namespace); the
    # tests write `client.v1.<service>`, which this alias maps onto those releases.
    stripe.StripeClient.v1 = property(lambda self: self)  # type: ignore[attr-defined]

#: Module-style classes for the services `Driver` knows, by the class's dotted name under
#: `stripe`; a release without one (InvoicePayment arrived with 12) leaves it out.
_CLASS_NAMES = {
    "customers": "Customer",
    "payment_methods": "PaymentMethod",
    "products": "Product",
    "prices": "Price",
    "payment_intents": "PaymentIntent",
    "charges": "Charge",
    "refunds": "Refund",
    "checkout.sessions": "checkout.Session",
    "events": "Event",
    "subscriptions": "Subscription",
    "subscription_items": "SubscriptionItem",
    "invoices": "Invoice",
    "invoice_items": "InvoiceItem",
    "invoice_payments": "InvoicePayment",
    "coupons": "Coupon",
    "promotion_codes": "PromotionCode",
    "setup_intents": "SetupIntent",
    "test_helpers.test_clocks": "test_helpers.TestClock",
    "billing_portal.configurations": "billing_portal.Configuration",
    "billing_portal.sessions": "billing_portal.Session",
}


def _resolve(dotted: str) -> Any:
    node: Any = stripe
    for part in dotted.split("."):
        node = getattr(node, part, None)
        if node is None:
            return None
    return node


CLASSES: dict[str, Any] = {
    service: cls
    for service, cls in ((s, _resolve(name)) for s, name in _CLASS_NAMES.items())
    if cls is not None
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
        # `client.v1.<service>` from stripe-python 12 on, `client.<service>` before.
        node: Any = getattr(self.client, "v1", self.client)
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

    def at(self, version: str, monkeypatch: pytest.MonkeyPatch) -> Driver:
        """This driver sending `version`: `stripe.api_version`, or a client pinned to it."""
        monkeypatch.setattr(stripe, "api_version", version)
        if self.client is None:
            return self
        client = stripe.StripeClient(
            KEY, stripe_version=version, base_addresses={"api": stripe.api_base}
        )
        return dataclasses.replace(self, client=client)


@dataclass
class ServerError:
    """A fault answering Stripe's 500 `api_error` (what an outage looks like)."""

    def respond(self, request: Request) -> Response:
        return error_response(500, "api_error", "Something went wrong on Stripe's end.")
