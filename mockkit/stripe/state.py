"""The Stripe fake's state: stored objects, their state machines and the events they emit.

Knows nothing of HTTP. Methods take parameters already decoded and type-checked by the routes
(`mockkit.stripe.routes`) and either return the object to answer with or raise `StripeError`
(which carries Stripe's status and error shape). Every state change emits an Event.

Objects are plain dicts shaped like Stripe's. A stored object is never mutated below its top
level: changes replace top-level values (a new `metadata` dict, a new `refunds` list), so a
shallow copy is a faithful snapshot (event payloads, idempotent replays).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mockkit.stripe import cards, objects
from mockkit.stripe.cards import Card
from mockkit.stripe.errors import StripeError, invalid_request, no_such, param_error
from mockkit.stripe.objects import build, list_object

__all__ = ["CheckoutResult", "Store", "StripeState"]

Obj = dict[str, Any]

#: Smallest chargeable amount per currency, in the smallest unit (Stripe's minimums).
MINIMUM_AMOUNTS = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50}
CURRENCIES = frozenset(
    (
        *("usd", "eur", "gbp", "cad", "aud", "chf", "jpy", "sek", "nok", "dkk"),
        *("pln", "czk", "huf", "nzd", "sgd", "hkd", "mxn", "brl", "inr"),
    )
)
ZERO_DECIMAL = frozenset({"jpy"})

_PI_CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")
_PI_CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


class Store:
    """Objects of one kind: lookup by id in O(1), listing newest first by insertion position."""

    def __init__(self) -> None:
        self.by_id: dict[str, Obj] = {}
        self.order: list[str] = []
        self.pos: dict[str, int] = {}

    def add(self, obj: Obj) -> Obj:
        """Store `obj` (newest)."""
        oid = obj["id"]
        self.pos[oid] = len(self.order)
        self.order.append(oid)
        self.by_id[oid] = obj
        return obj

    def remove(self, oid: str) -> None:
        """Forget `oid` (its slot in the order stays as a tombstone, skipped by listings)."""
        self.by_id.pop(oid, None)

    def __len__(self) -> int:
        return len(self.by_id)

    def newest_first(self, before: int | None = None) -> Iterator[Obj]:
        """Stored objects from position `before - 1` (default: the newest) down to the oldest."""
        start = len(self.order) - 1 if before is None else before - 1
        order, by_id = self.order, self.by_id
        for i in range(start, -1, -1):
            obj = by_id.get(order[i])
            if obj is not None:
                yield obj

    def page(
        self,
        limit: int,
        starting_after: str | None,
        ending_before: str | None,
        keep: Callable[[Obj], bool] | None = None,
    ) -> tuple[list[Obj], bool]:
        """One page of a newest-first list and whether more follow in that direction.

        Cursors are found by position, so a page costs O(limit) when unfiltered.
        """
        if ending_before is not None:
            # The `limit` objects just newer than the cursor, still answered newest first.
            found: list[Obj] = []
            for i in range(self.pos[ending_before] + 1, len(self.order)):
                obj = self.by_id.get(self.order[i])
                if obj is not None and (keep is None or keep(obj)):
                    found.append(obj)
                    if len(found) > limit:
                        break
            has_more = len(found) > limit
            return list(reversed(found[:limit])), has_more
        before = self.pos[starting_after] if starting_after is not None else None
        out: list[Obj] = []
        for obj in self.newest_first(before):
            if keep is None or keep(obj):
                out.append(obj)
                if len(out) > limit:
                    break
        return out[:limit], len(out) > limit


@dataclass
class CheckoutResult:
    """What a customer paying on the hosted Checkout page achieved."""

    session: Obj
    #: The decline (code, decline_code, message) when the card was refused; None on success.
    error: dict[str, Any] | None = None


@dataclass
class _Context:
    """The request being served, for the `request` field of the events it causes."""

    request_id: str | None = None
    idempotency_key: str | None = None
    base_url: str | None = None
    served: bool = False


@dataclass
class _PIExtra:
    """What Stripe keeps about a PaymentIntent but does not show on the object."""

    return_url: str | None = None
    card: Card | None = None
    pm_id: str | None = None


@dataclass
class _SessionExtra:
    line_items: list[Obj] = field(default_factory=list)
    payment_intent_data: dict[str, Any] = field(default_factory=dict)


KINDS = (
    "customer",
    "payment_method",
    "product",
    "price",
    "payment_intent",
    "charge",
    "refund",
    "checkout.session",
    "event",
)


class StripeState:
    """Everything a Stripe account in test mode holds, and the rules that change it."""

    def __init__(self, clock: Callable[[], float] | None = None, seed: int | None = None) -> None:
        self.clock: Callable[[], float] = clock or time.time
        self.rng = random.Random(seed)
        self.stores: dict[str, Store] = {kind: Store() for kind in KINDS}
        self.events: list[Obj] = []
        self.listeners: list[Callable[[Obj], None]] = []
        self.context = _Context()
        self._pi_extra: dict[str, _PIExtra] = {}
        self._sessions: dict[str, _SessionExtra] = {}
        # Which test card each stored PaymentMethod is; kept beside the public object.
        self._cards: dict[str, Card] = {}
        #: Ids of deleted customers: Stripe still answers them, with a deleted stub.
        self.deleted_customers: set[str] = set()

    # ---- basics ------------------------------------------------------------------------------

    def now(self) -> int:
        """The fake's current time, in Unix seconds."""
        return int(self.clock())

    def new_id(self, kind: str, length: int | None = None) -> str:
        """A fresh id for `kind` (or a raw prefix such as `txn_`)."""
        return objects.new_id(kind, length, self.rng)

    def get(self, kind: str, oid: str, param: str = "id", status: int = 404) -> Obj:
        """The stored object, or Stripe's `resource_missing` error naming `param`."""
        obj = self.stores[kind].by_id.get(oid)
        if obj is None:
            raise no_such(kind, oid, param, status)
        return obj

    def ref(self, kind: str, oid: str, param: str) -> Obj:
        """An object referenced from a request body: unknown ids are a 400 naming `param`."""
        return self.get(kind, oid, param, 400)

    def emit(self, type: str, obj: Obj, previous: dict[str, Any] | None = None) -> Obj:
        """Record an Event of `type` about `obj` (a snapshot) and notify listeners."""
        data: dict[str, Any] = {"object": obj.copy()}
        if previous is not None:
            data["previous_attributes"] = previous
        ctx = self.context
        event = build(
            "event",
            {
                "id": self.new_id("event"),
                "created": self.now(),
                "type": type,
                "data": data,
                "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
                "pending_webhooks": 1 if self.listeners else 0,
            },
        )
        self.stores["event"].add(event)
        self.events.append(event)
        for listener in self.listeners:
            listener(event)
        return event

    def _update(self, obj: Obj, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply top-level `changes`; return the previous values of the keys that changed."""
        previous = {}
        for key, value in changes.items():
            old = obj.get(key)
            if old != value:
                previous[key] = old
                obj[key] = value
        return previous

    @staticmethod
    def merge_metadata(old: dict[str, str], new: dict[str, str | None]) -> dict[str, str]:
        """Stripe's metadata update: keys merge, an empty value deletes a key, `""` clears all."""
        if not new:
            return {}
        merged = dict(old)
        for key, value in new.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    def _apply(
        self, kind: str, obj: Obj, p: dict[str, Any], fields: tuple[str, ...]
    ) -> dict[str, Any]:
        changes = {k: p[k] for k in fields if k in p}
        if "metadata" in p:
            changes["metadata"] = self.merge_metadata(obj["metadata"] or {}, p["metadata"])
        return self._update(obj, changes)

    # ---- customers ---------------------------------------------------------------------------

    _CUSTOMER_FIELDS = (
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

    def create_customer(self, p: dict[str, Any]) -> Obj:
        """POST /v1/customers."""
        now = self.now()
        fields = {k: p[k] for k in self._CUSTOMER_FIELDS if p.get(k) is not None}
        fields.update(
            id=self.new_id("customer"),
            created=now,
            invoice_prefix=self.new_id("", 8).upper(),
            metadata=self.merge_metadata({}, p.get("metadata") or {}),
        )
        # Everything is checked before anything is stored: a card that cannot be attached
        # means no customer, as on Stripe.
        pm = None
        if p.get("payment_method"):
            pm = self.payment_method(p["payment_method"], "payment_method")
            self._check_attachable(pm, "payment_method")
        settings = p.get("invoice_settings") or {}
        default = settings.get("default_payment_method")
        if default:
            if pm is None or default not in (p["payment_method"], pm["id"]):
                raise invalid_request(
                    f"The customer does not have a payment method with the ID {default}. The "
                    "payment method must be attached to the customer.",
                    param="invoice_settings[default_payment_method]",
                )
            fields["invoice_settings"] = {
                **objects.build("customer", {})["invoice_settings"],
                "default_payment_method": pm["id"],
            }
        customer = self.stores["customer"].add(build("customer", fields))
        self.emit("customer.created", customer)
        if pm is not None:
            pm["customer"] = customer["id"]
            self.emit("payment_method.attached", pm)
        return customer

    def _check_attachable(self, pm: Obj, param: str) -> None:
        if pm["customer"] is not None:
            raise invalid_request(
                "The payment method you provided has already been attached to a customer.",
                param=param,
                code="payment_method_unexpected_state",
            )
        card = self.card_of(pm["id"])
        if card.decline is not None and not card.fail_on_charge_only:
            # Stripe checks the card when attaching: a declining test card cannot be saved.
            raise self._card_error(card, payment_method=pm)

    def _set_default_pm(self, customer: Obj, pm_id: str | None) -> None:
        if pm_id is not None:
            pm = self.ref("payment_method", pm_id, "invoice_settings[default_payment_method]")
            if pm["customer"] != customer["id"]:
                raise invalid_request(
                    f"The customer does not have a payment method with the ID {pm_id}. The "
                    "payment method must be attached to the customer.",
                    param="invoice_settings[default_payment_method]",
                )
        settings = dict(customer["invoice_settings"])
        settings["default_payment_method"] = pm_id
        customer["invoice_settings"] = settings

    def update_customer(self, cid: str, p: dict[str, Any]) -> Obj:
        """POST /v1/customers/{id}."""
        customer = self.get("customer", cid)
        before_settings = customer["invoice_settings"]
        previous = self._apply("customer", customer, p, self._CUSTOMER_FIELDS)
        settings = p.get("invoice_settings")
        if settings and "default_payment_method" in settings:
            self._set_default_pm(customer, settings["default_payment_method"])
            if customer["invoice_settings"] != before_settings:
                previous["invoice_settings"] = before_settings
        if previous:
            self.emit("customer.updated", customer, previous)
        return customer

    def delete_customer(self, cid: str) -> Obj:
        """DELETE /v1/customers/{id}: detaches its payment methods, answers the deleted stub."""
        customer = self.get("customer", cid)
        for pm in list(self.stores["payment_method"].by_id.values()):
            if pm["customer"] == cid:
                pm["customer"] = None
        self.stores["customer"].remove(cid)
        self.deleted_customers.add(cid)
        self.emit("customer.deleted", customer)
        return {"id": cid, "object": "customer", "deleted": True}

    # ---- payment methods ---------------------------------------------------------------------

    def _new_payment_method(self, card: Card, p: dict[str, Any] | None = None) -> Obj:
        p = p or {}
        billing = objects.build("payment_method", {})["billing_details"]
        if p.get("billing_details"):
            billing = {**billing, **p["billing_details"]}
        pm = build(
            "payment_method",
            {
                "id": self.new_id("payment_method"),
                "created": self.now(),
                "card": cards.card_details(card),
                "billing_details": billing,
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
            },
        )
        self.stores["payment_method"].add(pm)
        self._cards[pm["id"]] = card
        return pm

    def card_of(self, pm_id: str) -> Card:
        """The test card behind a stored PaymentMethod."""
        return self._cards.get(pm_id) or cards.CARDS["pm_card_visa"]

    def payment_method(self, ref: str, param: str, status: int = 400) -> Obj:
        """A stored PaymentMethod, or a new one for a test id such as `pm_card_visa`.

        Stripe treats the test ids as templates: each use yields a new `pm_...` object.
        """
        pm = self.stores["payment_method"].by_id.get(ref)
        if pm is not None:
            return pm
        card = cards.lookup(ref) if ref.startswith(("pm_card_", "tok_")) else None
        if card is None:
            raise no_such("PaymentMethod", ref, param, status)
        return self._new_payment_method(card)

    def create_payment_method(self, p: dict[str, Any]) -> Obj:
        """POST /v1/payment_methods (type=card with `card[token]=tok_visa` or a test number)."""
        if p["type"] != "card":
            raise param_error(
                f"mockkit's Stripe fake emulates only card PaymentMethods, not {p['type']!r}.",
                "type",
            )
        details = p.get("card") or {}
        ref = details.get("token") or details.get("number")
        if not ref:
            raise param_error(
                "Missing required param: card[token]. mockkit's Stripe fake takes a test token "
                "(tok_visa, tok_chargeDeclined, ...) or a test card number.",
                "card[token]",
                "parameter_missing",
            )
        card = cards.lookup(ref)
        if card is None:
            param = "card[token]" if details.get("token") else "card[number]"
            raise invalid_request(
                f"No such token or test card: '{ref}'. Use one of Stripe's test cards.",
                param=param,
                code="resource_missing",
            )
        pm = self._new_payment_method(card, p)
        return pm

    def update_payment_method(self, pm_id: str, p: dict[str, Any]) -> Obj:
        """POST /v1/payment_methods/{id}."""
        pm = self.get("payment_method", pm_id)
        previous = self._apply("payment_method", pm, p, ("allow_redisplay",))
        if p.get("billing_details"):
            previous["billing_details"] = pm["billing_details"]
            pm["billing_details"] = {**pm["billing_details"], **p["billing_details"]}
        if previous:
            self.emit("payment_method.updated", pm, previous)
        return pm

    def attach_payment_method(self, pm_ref: str, cid: str, param: str = "id") -> Obj:
        """POST /v1/payment_methods/{id}/attach."""
        customer = self.ref("customer", cid, "customer")
        pm = self.payment_method(pm_ref, param, 404 if param == "id" else 400)
        if pm["customer"] == customer["id"]:
            return pm
        self._check_attachable(pm, param)
        pm["customer"] = customer["id"]
        self.emit("payment_method.attached", pm)
        return pm

    def detach_payment_method(self, pm_id: str) -> Obj:
        """POST /v1/payment_methods/{id}/detach."""
        pm = self.get("payment_method", pm_id)
        if pm["customer"] is None:
            raise invalid_request(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                code="payment_method_unexpected_state",
            )
        previous = {"customer": pm["customer"]}
        customer = self.stores["customer"].by_id.get(pm["customer"])
        pm["customer"] = None
        if customer and customer["invoice_settings"].get("default_payment_method") == pm_id:
            self._set_default_pm(customer, None)
        self.emit("payment_method.detached", pm, previous)
        return pm

    def _card_error(
        self, card: Card, *, payment_method: Obj | None = None, **extra: Any
    ) -> StripeError:
        decline = card.decline
        assert decline is not None
        if payment_method is not None:
            extra["payment_method"] = payment_method.copy()
        return StripeError(
            402,
            "card_error",
            decline.message,
            code=decline.code,
            decline_code=decline.decline_code,
            param=decline.param,
            advice_code="try_again_later" if decline.code == "processing_error" else None,
            **extra,
        )

    # ---- products and prices -----------------------------------------------------------------

    _PRODUCT_FIELDS = (
        "name",
        "description",
        "active",
        "images",
        "url",
        "shippable",
        "statement_descriptor",
        "unit_label",
        "tax_code",
    )

    def create_product(self, p: dict[str, Any], emit: bool = True) -> Obj:
        """POST /v1/products."""
        now = self.now()
        fields = {k: p[k] for k in self._PRODUCT_FIELDS if p.get(k) is not None}
        fields.update(
            id=p.get("id") or self.new_id("product"),
            created=now,
            updated=now,
            metadata=self.merge_metadata({}, p.get("metadata") or {}),
        )
        if fields["id"] in self.stores["product"].by_id:
            raise invalid_request(
                f"Product already exists: {fields['id']}",
                param="id",
                code="resource_already_exists",
            )
        product = self.stores["product"].add(build("product", fields))
        if emit:
            self.emit("product.created", product)
        if p.get("default_price_data"):
            data = dict(p["default_price_data"])
            data["product"] = product["id"]
            price = self.create_price(data)
            product["default_price"] = price["id"]
        return product

    def update_product(self, prod_id: str, p: dict[str, Any]) -> Obj:
        """POST /v1/products/{id}."""
        product = self.get("product", prod_id)
        fields = (*self._PRODUCT_FIELDS, "default_price")
        if p.get("default_price"):
            self.ref("price", p["default_price"], "default_price")
        previous = self._apply("product", product, p, fields)
        if previous:
            product["updated"] = self.now()
            self.emit("product.updated", product, previous)
        return product

    def delete_product(self, prod_id: str) -> Obj:
        """DELETE /v1/products/{id} (refused while prices use it, as Stripe does)."""
        product = self.get("product", prod_id)
        if any(pr["product"] == prod_id for pr in self.stores["price"].by_id.values()):
            raise invalid_request(
                "This product cannot be deleted because it has one or more user-created prices.",
            )
        self.stores["product"].remove(prod_id)
        self.emit("product.deleted", product)
        return {"id": prod_id, "object": "product", "deleted": True}

    def create_price(self, p: dict[str, Any], emit: bool = True) -> Obj:
        """POST /v1/prices (`product` or `product_data`; `recurring` makes a recurring price)."""
        if p.get("product"):
            product_id = self.ref("product", p["product"], "product")["id"]
        elif p.get("product_data"):
            product_id = self.create_product(p["product_data"], emit=emit)["id"]
        else:
            raise param_error(
                "You must specify either `product` or `product_data` when creating a price.",
                "product",
                "parameter_missing",
            )
        unit_amount = p.get("unit_amount")
        if unit_amount is None and p.get("unit_amount_decimal") is None:
            raise param_error(
                "Missing required param: unit_amount.", "unit_amount", "parameter_missing"
            )
        if unit_amount is None:
            unit_amount = int(p["unit_amount_decimal"].split(".")[0])
        recurring = p.get("recurring")
        if recurring is not None:
            recurring = {
                "interval": recurring["interval"],
                "interval_count": recurring.get("interval_count") or 1,
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            }
        fields = {
            "id": self.new_id("price"),
            "created": self.now(),
            "currency": self._currency(p["currency"]),
            "product": product_id,
            "unit_amount": unit_amount,
            "unit_amount_decimal": p.get("unit_amount_decimal") or str(unit_amount),
            "recurring": recurring,
            "type": "recurring" if recurring else "one_time",
            "metadata": self.merge_metadata({}, p.get("metadata") or {}),
        }
        for key in ("nickname", "lookup_key", "active", "tax_behavior"):
            if p.get(key) is not None:
                fields[key] = p[key]
        price = self.stores["price"].add(build("price", fields))
        if emit:
            self.emit("price.created", price)
        return price

    def update_price(self, price_id: str, p: dict[str, Any]) -> Obj:
        """POST /v1/prices/{id}."""
        price = self.get("price", price_id)
        previous = self._apply("price", price, p, ("active", "nickname", "lookup_key"))
        if previous:
            self.emit("price.updated", price, previous)
        return price

    @staticmethod
    def _currency(value: str, param: str = "currency") -> str:
        cur = value.lower()
        if cur not in CURRENCIES:
            raise param_error(
                f"Invalid currency: {value}. mockkit's Stripe fake supports: "
                + ", ".join(sorted(CURRENCIES)),
                param,
            )
        return cur

    # ---- payment intents ---------------------------------------------------------------------

    _PI_FIELDS = (
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
        "setup_future_usage",
        "shipping",
        "transfer_group",
    )

    def _check_amount(self, amount: int, currency: str) -> None:
        minimum = MINIMUM_AMOUNTS.get(currency, 50)
        if amount < minimum:
            shown = (
                f"${minimum / 100:.2f} usd"
                if currency == "usd"
                else f"{minimum} {currency} (in the currency's smallest unit)"
            )
            raise invalid_request(
                f"Amount must be at least {shown}", param="amount", code="amount_too_small"
            )
        if amount > 99999999:
            raise invalid_request(
                "Amount must be no more than $999,999.99", param="amount", code="amount_too_large"
            )

    def create_payment_intent(self, p: dict[str, Any]) -> tuple[Obj, StripeError | None]:
        """POST /v1/payment_intents; with `confirm=true` it also confirms (see `confirm`)."""
        currency = self._currency(p["currency"])
        amount = p["amount"]
        self._check_amount(amount, currency)
        customer = p.get("customer")
        if customer is not None:
            self.ref("customer", customer, "customer")
        types = p.get("payment_method_types")
        apm = p.get("automatic_payment_methods")
        if types:
            for i, t in enumerate(types):
                if t != "card":
                    raise param_error(
                        f"mockkit's Stripe fake emulates only card payments, not {t!r}.",
                        f"payment_method_types[{i}]",
                    )
            automatic = None
        elif apm is not None and apm.get("enabled") is False:
            automatic, types = None, ["card"]
        else:
            automatic = {
                "allow_redirects": (apm or {}).get("allow_redirects") or "always",
                "enabled": True,
            }
            types = ["card"]
        if p.get("confirm"):
            # Checked before anything is stored: a create+confirm that cannot start creates
            # no PaymentIntent.
            if not p.get("payment_method"):
                raise invalid_request(
                    "You cannot confirm this PaymentIntent because it's missing a payment "
                    "method. Pass one with the `payment_method` parameter.",
                    param="payment_method",
                    code="payment_intent_unexpected_state",
                )
            self._check_return_url(automatic, p.get("return_url"))
        pm_id = None
        if p.get("payment_method"):
            pm = self.payment_method(p["payment_method"], "payment_method")
            pm_id = pm["id"]
            if customer is None and pm["customer"] is not None:
                raise invalid_request(
                    "The provided PaymentMethod was previously used with a PaymentIntent "
                    "without Customer attachment, shared with a connected account without "
                    "Customer attachment, or was detached from a Customer. It may not be used "
                    "again. To use a PaymentMethod multiple times, you must attach it to a "
                    "Customer first.",
                    param="payment_method",
                )
        pid = self.new_id("payment_intent")
        fields: dict[str, Any] = {k: p[k] for k in self._PI_FIELDS if p.get(k) is not None}
        fields.update(
            id=pid,
            created=self.now(),
            amount=amount,
            currency=currency,
            customer=customer,
            capture_method=p.get("capture_method") or "automatic_async",
            confirmation_method=p.get("confirmation_method") or "automatic",
            client_secret=f"{pid}_secret_{self.new_id('', 25)}",
            metadata=self.merge_metadata({}, p.get("metadata") or {}),
            payment_method=pm_id,
            payment_method_types=types,
            automatic_payment_methods=automatic,
            status="requires_confirmation" if pm_id else "requires_payment_method",
        )
        pi = self.stores["payment_intent"].add(build("payment_intent", fields))
        self._pi_extra[pid] = _PIExtra(return_url=p.get("return_url"))
        self.emit("payment_intent.created", pi)
        if p.get("confirm"):
            # The payment method is resolved already: a test id such as pm_card_visa must not
            # mint a second PaymentMethod.
            return self._confirm(pi, {k: v for k, v in p.items() if k != "payment_method"})
        if p.get("return_url"):
            raise invalid_request(
                "You can only specify `return_url` when `confirm` is true.", param="return_url"
            )
        return pi, None

    def update_payment_intent(self, pid: str, p: dict[str, Any]) -> Obj:
        """POST /v1/payment_intents/{id} (no event: Stripe has no payment_intent.updated)."""
        pi = self.get("payment_intent", pid)
        if pi["status"] in ("succeeded", "canceled"):
            raise invalid_request(
                f"This PaymentIntent's amount could not be updated because it has a status of "
                f"{pi['status']}. You may only update the amount of a PaymentIntent with one of "
                "the following statuses: requires_payment_method, requires_confirmation, "
                "requires_action.",
                code="payment_intent_unexpected_state",
            )
        changes: dict[str, Any] = {k: p[k] for k in self._PI_FIELDS if k in p}
        if "amount" in p or "currency" in p:
            currency = self._currency(p.get("currency") or pi["currency"])
            amount = p["amount"] if p.get("amount") is not None else pi["amount"]
            self._check_amount(amount, currency)
            changes.update(amount=amount, currency=currency)
        if "customer" in p and p["customer"] is not None:
            self.ref("customer", p["customer"], "customer")
            changes["customer"] = p["customer"]
        if "capture_method" in p:
            changes["capture_method"] = p["capture_method"]
        if p.get("payment_method"):
            changes["payment_method"] = self.payment_method(p["payment_method"], "payment_method")[
                "id"
            ]
            if pi["status"] == "requires_payment_method":
                changes["status"] = "requires_confirmation"
        if "metadata" in p:
            changes["metadata"] = self.merge_metadata(pi["metadata"], p["metadata"])
        self._update(pi, changes)
        return pi

    def confirm_payment_intent(self, pid: str, p: dict[str, Any]) -> tuple[Obj, StripeError | None]:
        """POST /v1/payment_intents/{id}/confirm."""
        pi = self.get("payment_intent", pid)
        if pi["status"] not in _PI_CONFIRMABLE:
            raise invalid_request(
                f"You cannot confirm this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be confirmed: requires_confirmation, requires_payment_method, requires_action.",
                code="payment_intent_unexpected_state",
                payment_intent=pi.copy(),
            )
        if p.get("return_url"):
            self._pi_extra.setdefault(pid, _PIExtra()).return_url = p["return_url"]
        return self._confirm(pi, p)

    def _confirm(self, pi: Obj, p: dict[str, Any]) -> tuple[Obj, StripeError | None]:
        pid = pi["id"]
        extra = self._pi_extra.setdefault(pid, _PIExtra())
        # Checks first, changes after: a confirm that cannot start leaves the intent as it was.
        if pi["payment_method"] is None and not p.get("payment_method"):
            raise invalid_request(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "To confirm the PaymentIntent with cus_ or pm_, you must first attach a payment "
                "method to it, or pass one with the `payment_method` parameter.",
                param="payment_method",
                code="payment_intent_unexpected_state",
                payment_intent=pi.copy(),
            )
        if not p.get("_checkout"):
            self._check_return_url(pi["automatic_payment_methods"], extra.return_url)
        if p.get("payment_method"):
            pi["payment_method"] = self.payment_method(p["payment_method"], "payment_method")["id"]
        if p.get("capture_method"):
            pi["capture_method"] = p["capture_method"]
        pm = self.get("payment_method", pi["payment_method"], "payment_method", 400)
        card = self.card_of(pm["id"])
        if card.action == "3ds" and not p.get("_authenticated"):
            # Nobody is there to authenticate an off-session payment: Stripe declines it.
            if p.get("error_on_requires_action") or p.get("off_session"):
                return pi, self._fail(
                    pi,
                    pm,
                    card,
                    StripeError(
                        402,
                        "card_error",
                        "Your card was declined. This transaction requires authentication.",
                        code="authentication_required",
                        decline_code="authentication_required",
                    ),
                )
            extra.card, extra.pm_id = card, pm["id"]
            pi["status"] = "requires_action"
            pi["next_action"] = self._next_action(pi, extra)
            self.emit("payment_intent.requires_action", pi)
            return pi, None
        if card.decline is not None:
            return pi, self._fail(pi, pm, card, self._card_error(card))
        self._succeed(pi, pm, card, three_d_secure=card.action == "3ds")
        return pi, None

    @staticmethod
    def _check_return_url(automatic: dict[str, Any] | None, return_url: str | None) -> None:
        if automatic and automatic.get("allow_redirects") != "never" and not return_url:
            raise invalid_request(
                "This PaymentIntent is configured to accept payment methods enabled in your "
                "Dashboard. Because some of these payment methods might redirect your customer "
                "off of your page, you must provide a `return_url`. If you don't want to accept "
                "redirect-based payment methods, set `automatic_payment_methods[enabled]` to "
                "`true` and `automatic_payment_methods[allow_redirects]` to `never` when "
                "creating Setup Intents and Payment Intents.",
                param="return_url",
            )

    def _next_action(self, pi: Obj, extra: _PIExtra) -> dict[str, Any]:
        if extra.return_url:
            base = self.context.base_url if self.context.served else "https://hooks.stripe.com"
            return {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "return_url": extra.return_url,
                    "url": f"{base}/3d_secure_2/hosted/{pi['id']}",
                },
            }
        return {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "stripe_3ds2_fingerprint",
                "three_d_secure_2_source": self.new_id("src_"),
                "directory_server_name": "visa",
            },
        }

    def _new_charge(self, pi: Obj, pm: Obj, card: Card, fields: dict[str, Any]) -> Obj:
        cid = self.new_id("charge")
        base = {
            "id": cid,
            "created": self.now(),
            "amount": pi["amount"],
            "currency": pi["currency"],
            "customer": pi["customer"],
            "description": pi["description"],
            "metadata": pi["metadata"],
            "payment_intent": pi["id"],
            "payment_method": pm["id"],
            "billing_details": pm["billing_details"],
            "payment_method_details": cards.charge_details(
                card, pi["amount"], fields.pop("_3ds", False)
            ),
            "receipt_email": pi["receipt_email"],
            "receipt_url": f"https://pay.stripe.com/receipts/payment/mockkit_{cid}",
            "refunds": list_object([], f"/v1/charges/{cid}/refunds"),
        }
        base.update(fields)
        return self.stores["charge"].add(build("charge", base))

    def _succeed(self, pi: Obj, pm: Obj, card: Card, three_d_secure: bool = False) -> None:
        manual = pi["capture_method"] == "manual"
        charge = self._new_charge(
            pi,
            pm,
            card,
            {
                "_3ds": three_d_secure,
                "amount_captured": 0 if manual else pi["amount"],
                "captured": not manual,
                "paid": True,
                "status": "succeeded",
                "balance_transaction": None if manual else self.new_id("txn_"),
                "outcome": {
                    "advice_code": None,
                    "network_advice_code": None,
                    "network_decline_code": None,
                    "network_status": "approved_by_network",
                    "reason": None,
                    "risk_level": "normal",
                    "risk_score": 20,
                    "seller_message": "Payment complete.",
                    "type": "authorized",
                },
            },
        )
        self._update(
            pi,
            {
                "latest_charge": charge["id"],
                "next_action": None,
                "last_payment_error": None,
                "status": "requires_capture" if manual else "succeeded",
                "amount_capturable": pi["amount"] if manual else 0,
                "amount_received": 0 if manual else pi["amount"],
            },
        )
        self.emit("charge.succeeded", charge)
        if manual:
            self.emit("payment_intent.amount_capturable_updated", pi)
        else:
            self.emit("payment_intent.succeeded", pi)

    def _fail(self, pi: Obj, pm: Obj, card: Card, error: StripeError) -> StripeError:
        """A declined attempt: failed charge, intent back to requires_payment_method, 402."""
        charge = self._new_charge(
            pi,
            pm,
            card,
            {
                "amount_captured": 0,
                "captured": False,
                "paid": False,
                "status": "failed",
                "failure_code": error.code,
                "failure_message": error.message,
                "outcome": {
                    "advice_code": error.extra.get("advice_code"),
                    "network_advice_code": None,
                    "network_decline_code": None,
                    "network_status": "declined_by_network",
                    "reason": error.decline_code,
                    "risk_level": "normal",
                    "risk_score": 20,
                    "seller_message": "The bank did not return any further details with this "
                    "decline.",
                    "type": "issuer_declined",
                },
            },
        )
        last_error = {
            "charge": charge["id"],
            "code": error.code,
            "decline_code": error.decline_code,
            "doc_url": "https://stripe.com/docs/error-codes/"
            + (error.code or "").replace("_", "-"),
            "message": error.message,
            "param": error.param,
            "payment_method": pm.copy(),
            "type": "card_error",
        }
        if error.extra.get("advice_code"):
            last_error["advice_code"] = error.extra["advice_code"]
        self._update(
            pi,
            {
                "latest_charge": charge["id"],
                "last_payment_error": last_error,
                "next_action": None,
                "payment_method": None,
                "status": "requires_payment_method",
            },
        )
        self.emit("charge.failed", charge)
        self.emit("payment_intent.payment_failed", pi)
        error.extra.update(charge=charge["id"], payment_intent=pi.copy(), payment_method=pm.copy())
        return error

    def authenticate(self, pid: str, succeed: bool = True) -> Obj:
        """The customer completes (or fails) 3D Secure for a `requires_action` PaymentIntent."""
        pi = self.get("payment_intent", pid)
        if pi["status"] != "requires_action":
            raise invalid_request(
                f"PaymentIntent {pid} has status {pi['status']}; only one in requires_action "
                "can be authenticated.",
                code="payment_intent_unexpected_state",
            )
        extra = self._pi_extra.setdefault(pid, _PIExtra())
        pm = self.get("payment_method", extra.pm_id or pi["payment_method"], "payment_method")
        card = extra.card or self.card_of(pm["id"])
        if succeed:
            self._succeed(pi, pm, card, three_d_secure=True)
        else:
            last_error = {
                "code": "payment_intent_authentication_failure",
                "doc_url": "https://stripe.com/docs/error-codes/"
                "payment-intent-authentication-failure",
                "message": "The provided PaymentMethod has failed authentication. You can "
                "provide payment_method_data or a new PaymentMethod to attempt to fulfill this "
                "PaymentIntent again.",
                "payment_method": pm.copy(),
                "type": "invalid_request_error",
            }
            self._update(
                pi,
                {
                    "status": "requires_payment_method",
                    "next_action": None,
                    "payment_method": None,
                    "last_payment_error": last_error,
                },
            )
            self.emit("payment_intent.payment_failed", pi)
        return pi

    def return_url_of(self, pid: str) -> str | None:
        """The `return_url` given when the intent was confirmed (for the 3DS page)."""
        extra = self._pi_extra.get(pid)
        return extra.return_url if extra else None

    def capture_payment_intent(self, pid: str, p: dict[str, Any]) -> Obj:
        """POST /v1/payment_intents/{id}/capture (`amount_to_capture` for a partial capture)."""
        pi = self.get("payment_intent", pid)
        if pi["status"] != "requires_capture":
            raise invalid_request(
                f"This PaymentIntent could not be captured because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                "captured: requires_capture.",
                code="payment_intent_unexpected_state",
                payment_intent=pi.copy(),
            )
        amount = p.get("amount_to_capture")
        if amount is None:
            amount = pi["amount_capturable"]
        if amount > pi["amount_capturable"]:
            raise invalid_request(
                f"The amount to capture ({amount}) cannot be greater than the amount capturable "
                f"({pi['amount_capturable']}).",
                param="amount_to_capture",
                code="amount_too_large",
            )
        charge = self.get("charge", pi["latest_charge"], "latest_charge")
        self._update(
            charge,
            {
                "captured": True,
                "amount_captured": amount,
                # Stripe releases the uncaptured rest and reports it as refunded.
                "amount_refunded": charge["amount"] - amount,
                "balance_transaction": self.new_id("txn_"),
            },
        )
        if "metadata" in p:
            pi["metadata"] = self.merge_metadata(pi["metadata"], p["metadata"])
        self._update(pi, {"status": "succeeded", "amount_capturable": 0, "amount_received": amount})
        self.emit("charge.captured", charge)
        self.emit("payment_intent.succeeded", pi)
        return pi

    def cancel_payment_intent(self, pid: str, p: dict[str, Any]) -> Obj:
        """POST /v1/payment_intents/{id}/cancel."""
        pi = self.get("payment_intent", pid)
        if pi["status"] not in _PI_CANCELABLE:
            raise invalid_request(
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                "canceled: " + ", ".join(_PI_CANCELABLE) + ".",
                code="payment_intent_unexpected_state",
                payment_intent=pi.copy(),
            )
        if pi["status"] == "requires_capture" and pi["latest_charge"]:
            charge = self.get("charge", pi["latest_charge"], "latest_charge")
            # Canceling an authorization releases the hold: the charge shows fully refunded.
            self._update(charge, {"refunded": True, "amount_refunded": charge["amount"]})
            self.emit("charge.refunded", charge)
        self._update(
            pi,
            {
                "status": "canceled",
                "canceled_at": self.now(),
                "cancellation_reason": p.get("cancellation_reason"),
                "amount_capturable": 0,
                "next_action": None,
            },
        )
        self.emit("payment_intent.canceled", pi)
        return pi

    # ---- charges and refunds -----------------------------------------------------------------

    def update_charge(self, cid: str, p: dict[str, Any]) -> Obj:
        """POST /v1/charges/{id}."""
        charge = self.get("charge", cid)
        previous = self._apply("charge", charge, p, ("description", "receipt_email"))
        if previous:
            self.emit("charge.updated", charge, previous)
        return charge

    def create_refund(self, p: dict[str, Any]) -> Obj:
        """POST /v1/refunds: full by default, partial with `amount`; never more than is left."""
        if p.get("charge"):
            charge = self.ref("charge", p["charge"], "charge")
        elif p.get("payment_intent"):
            pi = self.ref("payment_intent", p["payment_intent"], "payment_intent")
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise invalid_request(
                    f"This PaymentIntent ({pi['id']}) does not have a successful charge to refund.",
                    param="payment_intent",
                )
            charge = self.get("charge", pi["latest_charge"], "payment_intent", 400)
        else:
            raise param_error(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                None,
                "parameter_missing",
            )
        if charge["status"] != "succeeded":
            raise invalid_request(
                f"Charge {charge['id']} has failed and cannot be refunded.", param="charge"
            )
        if not charge["captured"]:
            raise invalid_request(
                f"Charge {charge['id']} has not been captured. Cancel its PaymentIntent to "
                "release the authorization instead.",
                param="charge",
            )
        # A partial capture reports the released rest as refunded already (see capture), so
        # what can still be refunded is the amount less everything refunded or released.
        remaining = charge["amount"] - charge["amount_refunded"]
        if charge["refunded"] or remaining <= 0:
            raise invalid_request(
                f"Charge {charge['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = p.get("amount")
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise invalid_request(
                f"Refund amount ({_money(amount, charge['currency'])}) is greater than unrefunded "
                f"amount on charge ({_money(remaining, charge['currency'])})",
                param="amount",
            )
        refund = build(
            "refund",
            {
                "id": self.new_id("refund"),
                "created": self.now(),
                "amount": amount,
                "charge": charge["id"],
                "currency": charge["currency"],
                "payment_intent": charge["payment_intent"],
                "payment_method": charge["payment_method"],
                "customer": charge["customer"],
                "reason": p.get("reason"),
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
                "balance_transaction": self.new_id("txn_"),
                "status": "succeeded",
            },
        )
        self.stores["refund"].add(refund)
        refunded_total = charge["amount_refunded"] + amount
        previous = self._update(
            charge,
            {
                "amount_refunded": refunded_total,
                "refunded": refunded_total >= charge["amount"],
                "refunds": self._refund_list(charge["id"]),
            },
        )
        previous.pop("refunds", None)
        self.emit("refund.created", refund)
        self.emit("charge.refunded", charge, previous)
        return refund

    def _refund_list(self, charge_id: str) -> Obj:
        data = [r for r in self.stores["refund"].newest_first() if r["charge"] == charge_id]
        return list_object(data[:10], f"/v1/charges/{charge_id}/refunds", len(data) > 10)

    def update_refund(self, rid: str, p: dict[str, Any]) -> Obj:
        """POST /v1/refunds/{id} (metadata only, as on Stripe)."""
        refund = self.get("refund", rid)
        previous = self._apply("refund", refund, p, ())
        if previous:
            self.emit("refund.updated", refund, previous)
        return refund

    # ---- checkout sessions -------------------------------------------------------------------

    def create_checkout_session(self, p: dict[str, Any]) -> Obj:
        """POST /v1/checkout/sessions (mode=payment)."""
        if p["mode"] != "payment":
            raise param_error(
                f"mockkit's Stripe fake emulates only mode=payment Checkout Sessions, not "
                f"mode={p['mode']}.",
                "mode",
            )
        if not p.get("line_items"):
            raise param_error(
                "`line_items` is required in `payment` mode.", "line_items", "parameter_missing"
            )
        if p.get("customer") and p.get("customer_email"):
            raise param_error(
                "You may only specify one of these parameters: customer, customer_email.",
                "customer_email",
            )
        customer = None
        if p.get("customer"):
            customer = self.ref("customer", p["customer"], "customer")
        now = self.now()
        expires_at = p.get("expires_at") or now + 86400
        if not now + 1800 <= expires_at <= now + 86400:
            raise param_error(
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                "Checkout Session creation.",
                "expires_at",
            )
        items = [self._line_item(i, li) for i, li in enumerate(p["line_items"])]
        currencies = {li["currency"] for li in items}
        if len(currencies) > 1:
            raise param_error(
                "All line items must have the same currency; got " + ", ".join(sorted(currencies)),
                "line_items",
            )
        total = sum(li["amount_total"] for li in items)
        sid = self.new_id("checkout.session")
        ctx = self.context
        url = (
            f"{ctx.base_url}/c/pay/{sid}"
            if ctx.served and ctx.base_url
            else f"https://checkout.stripe.com/c/pay/{sid}"
        )
        fields: dict[str, Any] = {
            "id": sid,
            "created": now,
            "expires_at": expires_at,
            "mode": "payment",
            "currency": currencies.pop(),
            "amount_subtotal": total,
            "amount_total": total,
            "success_url": p.get("success_url"),
            "cancel_url": p.get("cancel_url"),
            "customer": customer["id"] if customer else None,
            "customer_email": p.get("customer_email"),
            "client_reference_id": p.get("client_reference_id"),
            "metadata": self.merge_metadata({}, p.get("metadata") or {}),
            "payment_method_types": p.get("payment_method_types") or ["card"],
            "status": "open",
            "payment_status": "unpaid",
            "url": url,
        }
        for key in (
            "locale",
            "submit_type",
            "billing_address_collection",
            "allow_promotion_codes",
            "customer_creation",
        ):
            if p.get(key) is not None:
                fields[key] = p[key]
        session = self.stores["checkout.session"].add(build("checkout.session", fields))
        self._sessions[sid] = _SessionExtra(items, p.get("payment_intent_data") or {})
        return session

    def _line_item(self, index: int, li: dict[str, Any]) -> Obj:
        param = f"line_items[{index}]"
        if li.get("price"):
            price = self.ref("price", li["price"], f"{param}[price]")
            if not price["active"]:
                raise invalid_request(
                    "The price specified is inactive. This field only accepts active prices.",
                    param=f"{param}[price]",
                )
        elif li.get("price_data"):
            data = dict(li["price_data"])
            if not data.get("product") and not data.get("product_data"):
                raise param_error(
                    f"You must specify either `product` or `product_data` in {param}[price_data].",
                    f"{param}[price_data][product_data]",
                    "parameter_missing",
                )
            price = self.create_price(data, emit=False)
            price["active"] = False  # inline prices cannot be reused, as on Stripe
        else:
            raise param_error(
                f"You must specify either `price` or `price_data` in {param}.",
                f"{param}[price]",
                "parameter_missing",
            )
        if price["type"] == "recurring":
            raise invalid_request(
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                param=f"{param}[price]",
            )
        quantity = li.get("quantity")
        if quantity is None:
            raise param_error(
                f"Quantity is required. Add `quantity` to `{param}`.",
                f"{param}[quantity]",
                "parameter_missing",
            )
        product = self.stores["product"].by_id.get(price["product"])
        amount = price["unit_amount"] * quantity
        return build(
            "item",
            {
                "id": self.new_id("item"),
                "amount_subtotal": amount,
                "amount_total": amount,
                "amount_discount": 0,
                "amount_tax": 0,
                "currency": price["currency"],
                "description": product["name"] if product else None,
                "price": price.copy(),
                "quantity": quantity,
            },
        )

    def line_items(self, sid: str) -> list[Obj]:
        """The line items of a Checkout Session, in the order given."""
        self.get("checkout.session", sid)
        return self._sessions[sid].line_items

    def refresh_session(self, session: Obj) -> Obj:
        """Expire an open session whose `expires_at` has passed on the fake's clock."""
        if session["status"] == "open" and self.now() >= session["expires_at"]:
            self._expire(session)
        return session

    def _expire(self, session: Obj) -> None:
        self._update(session, {"status": "expired", "url": None})
        pid = session["payment_intent"]
        if pid:
            pi = self.stores["payment_intent"].by_id.get(pid)
            if pi is not None and pi["status"] in _PI_CANCELABLE:
                self.cancel_payment_intent(pid, {"cancellation_reason": "abandoned"})
        self.emit("checkout.session.expired", session)

    def expire_checkout_session(self, sid: str) -> Obj:
        """POST /v1/checkout/sessions/{id}/expire."""
        session = self.refresh_session(self.get("checkout.session", sid))
        if session["status"] != "open":
            raise invalid_request(
                f"Only Checkout Sessions with a status of `open` can be expired. This session "
                f"has a status of `{session['status']}`.",
            )
        self._expire(session)
        return session

    def complete_checkout(
        self, sid: str, payment_method: str = "pm_card_visa", email: str | None = None
    ) -> CheckoutResult:
        """The customer pays on the hosted page: creates and confirms the PaymentIntent.

        A declined card leaves the session open (the customer may try another card) and emits
        `payment_intent.payment_failed`; 3D Secure cards are authenticated on the page.
        """
        session = self.refresh_session(self.get("checkout.session", sid))
        if session["status"] != "open":
            raise invalid_request(
                f"Checkout Session {sid} is {session['status']}; only an open session can be paid.",
            )
        extra = self._sessions[sid]
        pid = session["payment_intent"]
        pi = self.stores["payment_intent"].by_id.get(pid) if pid else None
        if pi is None:
            data = extra.payment_intent_data
            params: dict[str, Any] = {
                "amount": session["amount_total"],
                "currency": session["currency"],
                "customer": session["customer"],
                "payment_method_types": ["card"],
                "metadata": data.get("metadata") or {},
            }
            for key in ("capture_method", "description", "receipt_email", "setup_future_usage"):
                if data.get(key) is not None:
                    params[key] = data[key]
            pi, _ = self.create_payment_intent(params)
            session["payment_intent"] = pi["id"]
        pm = self.payment_method(payment_method, "payment_method")
        pi, error = self._confirm(
            pi, {"payment_method": pm["id"], "_checkout": True, "_authenticated": True}
        )
        if error is not None:
            return CheckoutResult(
                session,
                {"code": error.code, "decline_code": error.decline_code, "message": error.message},
            )
        customer_email = email or session["customer_email"]
        if customer_email is None and session["customer"]:
            customer_email = self.stores["customer"].by_id[session["customer"]]["email"]
        if session["customer"] is None and session["customer_creation"] == "always":
            created = self.create_customer({"email": customer_email})
            session["customer"] = created["id"]
        self._update(
            session,
            {
                "status": "complete",
                "payment_status": "paid" if pi["status"] == "succeeded" else "unpaid",
                "url": None,
                "customer_details": {
                    "address": None,
                    "business_name": None,
                    "email": customer_email or "customer@example.com",
                    "individual_name": None,
                    "name": None,
                    "phone": None,
                    "tax_exempt": "none",
                    "tax_ids": [],
                },
            },
        )
        self.emit("checkout.session.completed", session)
        return CheckoutResult(session)


def _money(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{amount} {currency}"
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency)
    return f"{symbol}{amount / 100:.2f}" if symbol else f"{amount / 100:.2f} {currency}"
