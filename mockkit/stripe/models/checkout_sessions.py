"""Checkout Sessions (mode=payment): create, expire, and pay on the hosted page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockkit.stripe.errors import StripeError, invalid_request, param_error
from mockkit.stripe.models.customers import Customers
from mockkit.stripe.models.payment_intents import CANCELABLE, PaymentIntents
from mockkit.stripe.models.payment_methods import PaymentMethods
from mockkit.stripe.models.prices import Prices
from mockkit.stripe.objects import build, list_object
from mockkit.stripe.resource import Resource, register
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["LINE_ITEM", "CheckoutResult", "CheckoutSessions"]

#: A Checkout line item: lives inside its session, listed and expanded from it, never stored.
LINE_ITEM = register(Resource("item", "li_", expandable={"price": "hash:price"}, stored=False))


@dataclass
class CheckoutResult:
    """What a customer paying on the hosted Checkout page achieved."""

    session: Obj
    #: The decline when the card was refused; None on success.
    error: StripeError | None = None


@dataclass
class _SessionExtra:
    line_items: list[Obj] = field(default_factory=list)
    payment_intent_data: dict[str, Any] = field(default_factory=dict)


class CheckoutSessions(Model):
    """The account's Checkout Sessions and what their hosted page does."""

    resource = Resource(
        "checkout.session",
        "cs_test_a1",
        id_length=56,
        expandable={
            "customer": "customer",
            "payment_intent": "payment_intent",
            "line_items": "list:item",
        },
        events=("checkout.session.completed", "checkout.session.expired"),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        self._extra: dict[str, _SessionExtra] = {}

    def create(self, p: Params) -> Obj:
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
            customer = self.state.ref("customer", p["customer"], "customer")
        now = self.state.now()
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
        sid = self.state.new_id("checkout.session")
        ctx = self.state.context
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
        session = self.store.add(build("checkout.session", fields))
        self._extra[sid] = _SessionExtra(items, p.get("payment_intent_data") or {})
        return session

    def _line_item(self, index: int, li: dict[str, Any]) -> Obj:
        param = f"line_items[{index}]"
        if li.get("price"):
            price = self.state.ref("price", li["price"], f"{param}[price]")
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
            price = Prices.of(self.state).create(data, emit=False)
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
        product = self.state.stores["product"].by_id.get(price["product"])
        amount = price["unit_amount"] * quantity
        return build(
            "item",
            {
                "id": self.state.new_id("item"),
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
        self.get(sid)
        return self._extra[sid].line_items

    def refresh(self, session: Obj) -> Obj:
        """Expire an open session whose `expires_at` has passed on the fake's clock."""
        if session["status"] == "open" and self.state.now() >= session["expires_at"]:
            self._expire(session)
        return session

    def _expire(self, session: Obj) -> None:
        self.update(session, {"status": "expired", "url": None})
        pid = session["payment_intent"]
        if pid:
            pi = PaymentIntents.of(self.state).store.by_id.get(pid)
            if pi is not None and pi["status"] in CANCELABLE:
                PaymentIntents.of(self.state).cancel(pid, {"cancellation_reason": "abandoned"})
        self.state.emit("checkout.session.expired", session)

    def expire(self, sid: str) -> Obj:
        """POST /v1/checkout/sessions/{id}/expire."""
        session = self.refresh(self.get(sid))
        if session["status"] != "open":
            raise invalid_request(
                f"Only Checkout Sessions with a status of `open` can be expired. This session "
                f"has a status of `{session['status']}`.",
            )
        self._expire(session)
        return session

    def complete(
        self, sid: str, payment_method: str = "pm_card_visa", email: str | None = None
    ) -> CheckoutResult:
        """The customer pays on the hosted page: creates and confirms the PaymentIntent.

        A declined card leaves the session open (the customer may try another card) and emits
        `payment_intent.payment_failed`; 3D Secure cards are authenticated on the page.
        """
        session = self.refresh(self.get(sid))
        if session["status"] != "open":
            raise invalid_request(
                f"Checkout Session {sid} is {session['status']}; only an open session can be paid.",
            )
        extra = self._extra[sid]
        pid = session["payment_intent"]
        pi = PaymentIntents.of(self.state).store.by_id.get(pid) if pid else None
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
            pi = PaymentIntents.of(self.state).create(params)
            session["payment_intent"] = pi["id"]
        pm = PaymentMethods.of(self.state).lookup(payment_method, "payment_method")
        pi, error = PaymentIntents.of(self.state).attempt(
            pi, {"payment_method": pm["id"], "_checkout": True, "_authenticated": True}
        )
        if error is not None:
            return CheckoutResult(session, error)
        customer_email = email or session["customer_email"]
        if customer_email is None and session["customer"]:
            customer_email = self.state.stores["customer"].by_id[session["customer"]]["email"]
        if session["customer"] is None and session["customer_creation"] == "always":
            created = Customers.of(self.state).create({"email": customer_email})
            session["customer"] = created["id"]
        self.update(
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
        self.state.emit("checkout.session.completed", session)
        return CheckoutResult(session)

    def expand_list(self, field: str, obj: Obj) -> Obj:
        """`line_items`: the session's line items (the first 100), as Stripe expands them."""
        if field != "line_items":
            raise KeyError(field)
        items = self.line_items(obj["id"])
        return list_object(items[:100], f"/v1/checkout/sessions/{obj['id']}/line_items")
