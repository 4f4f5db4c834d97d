"""Customers: create with an attached card, update, delete (a deleted customer stays answerable)."""

from __future__ import annotations

from typing import Any

from mockkit.stripe import objects
from mockkit.stripe.errors import invalid_request
from mockkit.stripe.models.payment_methods import PaymentMethods
from mockkit.stripe.models.test_helpers_test_clocks import TestClocks
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["Customers"]

_FIELDS = (
    "email",
    "name",
    "description",
    "phone",
    "address",
    "shipping",
    "preferred_locales",
    "balance",
    "tax_exempt",
)


class Customers(Model):
    """The account's customers."""

    resource = Resource(
        "customer",
        "cus_",
        id_length=14,
        expandable={
            "invoice_settings": {"default_payment_method": "payment_method"},
            "default_source": "payment_method",
        },
        events=("customer.created", "customer.updated", "customer.deleted"),
        deleted_stub=True,
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        #: Ids of deleted customers: Stripe still answers them, with a deleted stub.
        self.deleted: set[str] = set()

    def create(self, p: Params) -> Obj:
        """POST /v1/customers (on a test clock with `test_clock`: created at its time)."""
        clock = p.get("test_clock")
        if clock is None:
            return self._create(p)
        clocks = TestClocks.of(self.state)
        clocks.get(clock, "test_clock", 400)
        with clocks.pinned(clock):
            customer = self._create(p)
        clocks.attach(clock, customer)
        return customer

    def _create(self, p: Params) -> Obj:
        s = self.state
        fields = {k: p[k] for k in _FIELDS if p.get(k) is not None}
        fields.update(
            id=s.new_id("customer"),
            created=s.now(),
            invoice_prefix=s.new_id("", 8).upper(),
            metadata=self.merge_metadata({}, p.get("metadata") or {}),
        )
        # Everything is checked before anything is stored: a card that cannot be attached
        # means no customer, as on Stripe.
        methods = PaymentMethods.of(s)
        pm = None
        if p.get("payment_method"):
            pm = methods.lookup(p["payment_method"], "payment_method")
            methods.check_attachable(pm, "payment_method")
        settings = p.get("invoice_settings") or {}
        default = settings.get("default_payment_method")
        if default and (pm is None or default not in (p["payment_method"], pm["id"])):
            raise invalid_request(
                f"The customer does not have a payment method with the ID {default}. The "
                "payment method must be attached to the customer.",
                param="invoice_settings[default_payment_method]",
            )
        shown = _shown_settings(settings)
        if default or shown:
            fields["invoice_settings"] = {
                **objects.build("customer", {})["invoice_settings"],
                **shown,
                "default_payment_method": pm["id"] if default and pm else None,
            }
        customer = self.store.add(build("customer", fields))
        s.emit("customer.created", customer)
        if pm is not None:
            pm["customer"] = customer["id"]
            s.emit("payment_method.attached", pm)
        return customer

    def retrieve(self, cid: str) -> Obj:
        """GET /v1/customers/{id}: a deleted customer answers its deleted stub, as on Stripe."""
        if cid in self.deleted:
            return {"id": cid, "object": "customer", "deleted": True}
        return self.get(cid)

    def _set_default_pm(self, customer: Obj, pm_id: str | None) -> None:
        if pm_id is not None:
            pm = self.state.ref("payment_method", pm_id, "invoice_settings[default_payment_method]")
            if pm["customer"] != customer["id"]:
                raise invalid_request(
                    f"The customer does not have a payment method with the ID {pm_id}. The "
                    "payment method must be attached to the customer.",
                    param="invoice_settings[default_payment_method]",
                )
        settings = dict(customer["invoice_settings"])
        settings["default_payment_method"] = pm_id
        customer["invoice_settings"] = settings

    def modify(self, cid: str, p: Params) -> Obj:
        """POST /v1/customers/{id}."""
        customer = self.get(cid)
        before_settings = customer["invoice_settings"]
        previous: dict[str, Any] = self.apply(customer, p, _FIELDS)
        settings = p.get("invoice_settings")
        if settings and "default_payment_method" in settings:
            self._set_default_pm(customer, settings["default_payment_method"])
        if settings:
            shown = {k: v for k, v in settings.items() if k != "default_payment_method"}
            if shown:
                customer["invoice_settings"] = {
                    **customer["invoice_settings"],
                    **_shown_settings(shown, unset=True),
                }
        if customer["invoice_settings"] != before_settings:
            previous["invoice_settings"] = before_settings
        if previous:
            self.state.emit("customer.updated", customer, previous)
        return customer

    def forget(self, cid: str) -> None:
        """Remove a customer without an event (its test clock was deleted)."""
        if cid in self.store.by_id:
            self.store.remove(cid)
            self.deleted.add(cid)

    def delete(self, cid: str) -> Obj:
        """DELETE /v1/customers/{id}: detaches its payment methods, answers the deleted stub."""
        customer = self.get(cid)
        for pm in list(self.state.stores["payment_method"].by_id.values()):
            if pm["customer"] == cid:
                pm["customer"] = None
        self.store.remove(cid)
        self.deleted.add(cid)
        self.state.emit("customer.deleted", customer)
        return {"id": cid, "object": "customer", "deleted": True}


def _shown_settings(settings: Params, unset: bool = False) -> dict[str, Any]:
    """The invoice settings a customer shows as given (`footer`, `custom_fields`, ...).

    With `unset`, a value sent empty clears the setting (an update).
    """
    out: dict[str, Any] = {}
    for key in ("custom_fields", "footer", "rendering_options"):
        if key in settings and (unset or settings[key] is not None):
            value = settings[key]
            if key == "custom_fields" and value == []:
                value = None
            if key == "rendering_options":
                value = (
                    None
                    if value is None
                    else {"amount_tax_display": None, "template": None, **value}
                )
            out[key] = value
    return out
