"""Checkout Sessions (payment, subscription and setup modes): create, expire, complete."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockkit.stripe import money, payment_method_types, versions
from mockkit.stripe.billing.amounts import Line, totals
from mockkit.stripe.errors import (
    StripeError,
    card_error,
    invalid_request,
    not_emulated,
    param_error,
)
from mockkit.stripe.models.coupons import Coupons
from mockkit.stripe.models.customers import Customers
from mockkit.stripe.models.discounts import Discounts
from mockkit.stripe.models.invoices import Invoices
from mockkit.stripe.models.payment_intents import CANCELABLE, PaymentIntents
from mockkit.stripe.models.payment_methods import PaymentMethods
from mockkit.stripe.models.prices import Prices
from mockkit.stripe.models.setup_intents import SetupIntents
from mockkit.stripe.models.subscriptions import Subscriptions
from mockkit.stripe.objects import build, checkout_url, list_object
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
    subscription_data: dict[str, Any] = field(default_factory=dict)
    discounts: list[dict[str, Any]] = field(default_factory=list)
    trial_end: int | None = None


class CheckoutSessions(Model):
    """The account's Checkout Sessions and what their hosted page does."""

    resource = Resource(
        "checkout.session",
        "cs_test_a1",
        id_length=56,
        expandable={
            "customer": "customer",
            "payment_intent": "payment_intent",
            "setup_intent": "setup_intent",
            "subscription": "subscription",
            "invoice": "invoice",
            "line_items": "list:item",
        },
        events=("checkout.session.completed", "checkout.session.expired"),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        self._extra: dict[str, _SessionExtra] = {}

    def create(self, p: Params) -> Obj:
        """POST /v1/checkout/sessions (mode=payment, subscription or setup).

        Every check runs before anything is stored, so a refused request leaves no trace
        (in setup mode the session's SetupIntent is created last, as Stripe creates it).
        """
        mode = p["mode"]
        if p.get("customer") and p.get("customer_email"):
            raise param_error(
                "You may only specify one of these parameters: customer, customer_email.",
                "customer_email",
            )
        for key, only in (
            ("payment_intent_data", "payment"),
            ("subscription_data", "subscription"),
            ("setup_intent_data", "setup"),
        ):
            if p.get(key) and mode != only:
                raise param_error(f"You can only specify `{key}` in `{only}` mode.", key)
        if p.get("allow_promotion_codes") and p.get("discounts"):
            raise param_error(
                "You may only specify one of these parameters: allow_promotion_codes, discounts.",
                "discounts",
            )
        if len(p.get("discounts") or []) > 1:
            raise param_error("You can only apply one discount to a Checkout Session.", "discounts")
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
        extra = _SessionExtra(payment_intent_data=p.get("payment_intent_data") or {})
        fields: dict[str, Any]
        if mode == "setup":
            fields = self._setup_fields(p)
        else:
            fields = self._priced_fields(p, mode, customer, extra, now)
        sid = self.state.new_id("checkout.session")
        ctx = self.state.context
        base = ctx.base_url if ctx.served and ctx.base_url else "https://checkout.stripe.com"
        url = checkout_url(base, sid, p.get("success_url"))
        fields.update(
            {
                "id": sid,
                "created": now,
                "expires_at": expires_at,
                "mode": mode,
                "success_url": p.get("success_url"),
                "cancel_url": p.get("cancel_url"),
                "customer": customer["id"] if customer else None,
                "customer_email": p.get("customer_email"),
                "client_reference_id": p.get("client_reference_id"),
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
                "payment_method_types": p.get("payment_method_types") or ["card"],
                "allowed_payment_method_types": payment_method_types.allowed(
                    p.get("payment_method_types")
                ),
                "excluded_payment_method_types": payment_method_types.check_excluded(
                    p.get("excluded_payment_method_types")
                ),
                "status": "open",
                "url": url,
            }
        )
        for key in (
            "locale",
            "submit_type",
            "billing_address_collection",
            "allow_promotion_codes",
            "customer_creation",
        ):
            if p.get(key) is not None:
                fields[key] = p[key]
        if mode == "setup":
            data = p.get("setup_intent_data") or {}
            # The SetupIntent exists from the session's creation, as on Stripe.
            si = SetupIntents.of(self.state).create(
                {
                    "customer": fields["customer"],
                    "description": data.get("description"),
                    "metadata": data.get("metadata") or {},
                    "usage": "off_session",
                    "allowed_payment_method_types": ["card"],
                }
            )
            fields["setup_intent"] = si["id"]
        session = self.store.add(build("checkout.session", fields))
        self._extra[sid] = extra
        if mode == "payment" and versions.checkout_pi_at_creation(self.state.version()):
            # The PaymentIntent with the session, and a customer for every payment (2022-08-01).
            PaymentIntents.of(self.state).for_checkout(session, extra.payment_intent_data)
            if p.get("customer_creation") is None:
                session["customer_creation"] = "always"
        return session

    def _setup_fields(self, p: Params) -> dict[str, Any]:
        if p.get("line_items"):
            raise param_error("You cannot pass `line_items` in `setup` mode.", "line_items")
        if p.get("discounts") or p.get("allow_promotion_codes"):
            name = "discounts" if p.get("discounts") else "allow_promotion_codes"
            raise param_error(f"You cannot pass `{name}` in `setup` mode.", name)
        if not p.get("currency"):
            raise param_error(
                "Missing required param: currency. It is required in `setup` mode.",
                "currency",
                "parameter_missing",
            )
        data = p.get("setup_intent_data") or {}
        if data.get("on_behalf_of"):
            raise not_emulated("Connect (on_behalf_of)", "setup_intent_data[on_behalf_of]")
        return {
            "currency": money.currency(p["currency"]),
            "amount_subtotal": None,
            "amount_total": None,
            "payment_status": "no_payment_required",
            "total_details": None,
            "discounts": [],
        }

    def _priced_fields(
        self, p: Params, mode: str, customer: Obj | None, extra: _SessionExtra, now: int
    ) -> dict[str, Any]:
        if not p.get("line_items"):
            raise param_error(
                f"`line_items` is required in `{mode}` mode.", "line_items", "parameter_missing"
            )
        items = [self._line_item(i, li, mode) for i, li in enumerate(p["line_items"])]
        currencies = {li["currency"] for li in items}
        if p.get("currency"):
            currencies.add(money.currency(p["currency"]))
        if len(currencies) > 1:
            raise param_error(
                "All line items must have the same currency; got " + ", ".join(sorted(currencies)),
                "line_items",
            )
        currency = currencies.pop()
        recurring = [li["price"] for li in items if li["price"]["type"] == "recurring"]
        trial_end = None
        if mode == "subscription":
            if not recurring:
                raise param_error(
                    "You must provide at least one recurring price in `subscription` mode when "
                    "using prices.",
                    "line_items",
                )
            subs = Subscriptions.of(self.state)
            subs._check_consistent(recurring, None, "line_items")
            trial_end = self._trial_end(p.get("subscription_data") or {}, now)
        elif p.get("discounts"):
            raise not_emulated("discounts on mode=payment Checkout Sessions", "discounts")
        who = customer or {"id": "", "balance": 0}
        pending = Discounts.of(self.state).resolve(p.get("discounts"), "discounts", who, currency)
        # What is due today: a trial makes the recurring lines free until it ends.
        lines = [
            Line(0 if trial_end and li["price"]["type"] == "recurring" else li["amount_subtotal"])
            for li in items
        ]
        coupons = Coupons.of(self.state)
        offs = [coupons.off(d.coupon["id"], d.coupon["id"]) for d in pending]
        figures = totals(lines, offs)
        if mode == "payment":
            # Refused now, as Stripe does, rather than on the hosted page when the customer pays.
            money.check_total(figures.total, currency)
        extra.line_items = items
        extra.discounts = p.get("discounts") or []
        extra.subscription_data = p.get("subscription_data") or {}
        extra.trial_end = trial_end
        return {
            "currency": currency,
            "amount_subtotal": figures.subtotal,
            "amount_total": figures.total,
            "payment_status": "unpaid",
            "total_details": {
                "amount_discount": figures.subtotal - figures.total,
                "amount_shipping": 0,
                "amount_tax": 0,
            },
            "discounts": [
                {"coupon": d.coupon["id"], "promotion_code": None}
                if d.promotion_code is None
                else {"coupon": None, "promotion_code": d.promotion_code["id"]}
                for d in pending
            ],
        }

    def _trial_end(self, data: dict[str, Any], now: int) -> int | None:
        """The trial's end asked for in `subscription_data`, checked as Checkout checks it."""
        for name, what in (
            ("billing_cycle_anchor", "billing_cycle_anchor on Checkout subscriptions"),
            ("proration_behavior", "proration_behavior on Checkout subscriptions"),
            ("trial_settings", "trial_settings on Checkout subscriptions"),
            ("default_tax_rates", "tax rates"),
            ("application_fee_percent", "Connect (application_fee_percent)"),
            ("on_behalf_of", "Connect (on_behalf_of)"),
            ("transfer_data", "Connect (transfer_data)"),
            ("invoice_settings", "invoice_settings on Checkout subscriptions"),
            ("billing_mode", "billing_mode on Checkout subscriptions"),
        ):
            if data.get(name):
                raise not_emulated(what, f"subscription_data[{name}]")
        days, end = data.get("trial_period_days"), data.get("trial_end")
        if days is not None and end is not None:
            raise param_error(
                "You may only specify one of these parameters: subscription_data[trial_end], "
                "subscription_data[trial_period_days].",
                "subscription_data[trial_period_days]",
            )
        if days is not None:
            if days < 1 or days > 730:
                raise param_error(
                    "subscription_data[trial_period_days] must be between 1 and 730.",
                    "subscription_data[trial_period_days]",
                )
            return int(now + days * 86400)
        if end is not None:
            if end < now + 2 * 86400:
                raise param_error(
                    "subscription_data[trial_end] must be at least 48 hours in the future.",
                    "subscription_data[trial_end]",
                )
            if end > now + 730 * 86400:
                raise param_error(
                    "subscription_data[trial_end] cannot be more than 2 years in the future.",
                    "subscription_data[trial_end]",
                )
            return int(end)
        return None

    def _line_item(self, index: int, li: dict[str, Any], mode: str) -> Obj:
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
        if price["type"] == "recurring" and mode == "payment":
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

    def priced(self, sid: str) -> _SessionExtra:
        """What the session keeps besides its object: line items, discounts, trial end."""
        return self._extra[sid]

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
        seti = session["setup_intent"]
        if seti:
            si = SetupIntents.of(self.state).store.by_id.get(seti)
            if si is not None and si["status"] not in ("succeeded", "canceled"):
                SetupIntents.of(self.state).cancel(seti, {"cancellation_reason": "abandoned"})
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
        """The customer pays (or saves a card) on the hosted page.

        mode=payment creates and confirms the PaymentIntent; mode=subscription creates the
        customer if needed and the subscription, whose first invoice is paid (or which starts
        trialing); mode=setup confirms the session's SetupIntent, attaching the card to the
        customer. A declined card leaves the session open (the customer may try another card);
        3D Secure cards are authenticated on the page.
        """
        session = self.refresh(self.get(sid))
        if session["status"] != "open":
            raise invalid_request(
                f"Checkout Session {sid} is {session['status']}; only an open session can be paid.",
            )
        if session["mode"] == "subscription":
            return self._complete_subscription(session, payment_method, email)
        if session["mode"] == "setup":
            return self._complete_setup(session, payment_method, email)
        extra = self._extra[sid]
        pid = session["payment_intent"]
        pi = PaymentIntents.of(self.state).store.by_id.get(pid) if pid else None
        if pi is None:
            pi = PaymentIntents.of(self.state).for_checkout(session, extra.payment_intent_data)
        elif pi["amount"] != session["amount_total"]:  # a promotion code entered on the page
            pi = PaymentIntents.of(self.state).modify(pid, {"amount": session["amount_total"]})
        pm = PaymentMethods.of(self.state).lookup(payment_method, "payment_method")
        pi, error = PaymentIntents.of(self.state).attempt(
            pi, {"payment_method": pm["id"], "_checkout": True, "_authenticated": True}
        )
        if error is not None:
            return CheckoutResult(session, error)
        self._create_customer(session, email, session["customer_creation"] == "always")
        payment_status = "paid" if pi["status"] == "succeeded" else "unpaid"
        return self._finish(session, email, {"payment_status": payment_status})

    def _email_of(self, session: Obj, email: str | None) -> str | None:
        if email or session["customer_email"]:
            return email or session["customer_email"]
        if session["customer"]:
            found: str | None = self.state.stores["customer"].by_id[session["customer"]]["email"]
            return found
        return None

    def _create_customer(self, session: Obj, email: str | None, create: bool) -> None:
        if session["customer"] is None and create:
            created = Customers.of(self.state).create({"email": self._email_of(session, email)})
            session["customer"] = created["id"]

    def _finish(self, session: Obj, email: str | None, changes: dict[str, Any]) -> CheckoutResult:
        customer_email = self._email_of(session, email)
        self.update(
            session,
            {
                **changes,
                "status": "complete",
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

    def _complete_subscription(
        self, session: Obj, payment_method: str, email: str | None
    ) -> CheckoutResult:
        """Customer (if none), card attached, subscription created with the card as default.

        Nothing is created when the card is refused: the first payment's outcome is known
        before anything is stored, so the session stays open for another card.
        """
        s = self.state
        extra = self._extra[session["id"]]
        pm = PaymentMethods.of(s).lookup(payment_method, "payment_method")
        card = PaymentMethods.of(s).card_of(pm["id"])
        due = session["amount_total"] > 0
        if card.decline is not None and (due or not card.fail_on_charge_only):
            return CheckoutResult(session, card_error(card.decline))
        # A card that asks for 3D Secure is authenticated on the page: the subscription starts
        # `incomplete` and its first invoice is paid once the customer passes the challenge.
        challenge = card.action == "3ds" and due
        items: list[dict[str, Any]] = []
        added: list[dict[str, Any]] = []
        for li in extra.line_items:
            price = li["price"]
            entry: dict[str, Any]
            if price["active"]:
                entry = {"price": price["id"], "quantity": li["quantity"]}
            else:
                # An inline `price_data` price is inactive (not reusable): pass it on inline.
                data: dict[str, Any] = {
                    "currency": price["currency"],
                    "product": price["product"],
                    "unit_amount": price["unit_amount"],
                }
                if price["type"] == "recurring":
                    data["recurring"] = {
                        "interval": price["recurring"]["interval"],
                        "interval_count": price["recurring"]["interval_count"],
                    }
                entry = {"price_data": data, "quantity": li["quantity"]}
            (items if price["type"] == "recurring" else added).append(entry)
        # Checkout always has a customer in subscription mode.
        try:
            PaymentMethods.of(s).check_attachable(pm, "payment_method")
        except StripeError as refused:
            return CheckoutResult(session, refused)
        self._create_customer(session, email, True)
        PaymentMethods.of(s).attach(pm["id"], session["customer"], "payment_method")
        data = extra.subscription_data
        params: dict[str, Any] = {
            "customer": session["customer"],
            "items": items,
            "default_payment_method": pm["id"],
            "payment_behavior": "default_incomplete" if challenge else "error_if_incomplete",
            "metadata": data.get("metadata") or {},
            "discounts": extra.discounts,
        }
        if added:
            params["add_invoice_items"] = added
        if data.get("description"):
            params["description"] = data["description"]
        if data.get("trial_period_days"):
            # The trial runs from the subscription's start (the payment), not the session's.
            params["trial_period_days"] = data["trial_period_days"]
        elif extra.trial_end is not None and extra.trial_end > s.now():
            params["trial_end"] = extra.trial_end
        try:
            sub = Subscriptions.of(s).create(params)
        except StripeError as refused:
            # Checked at creation; only a change since (say, a coupon used up) gets here.
            return CheckoutResult(session, refused)
        invoice = s.stores["invoice"].by_id.get(sub["latest_invoice"])
        if challenge and invoice is not None and invoice["status"] == "open":
            error = Invoices.of(s).attempt(
                invoice, pm["id"], automatic=True, off_session=False, authenticated=True
            )
            if error is not None:
                return CheckoutResult(session, error)
        paid = invoice is not None and invoice["status"] == "paid" and invoice["amount_paid"] > 0
        return self._finish(
            session,
            email,
            {
                "subscription": sub["id"],
                "invoice": sub["latest_invoice"],
                "payment_status": "paid" if paid else "no_payment_required",
            },
        )

    def _complete_setup(
        self, session: Obj, payment_method: str, email: str | None
    ) -> CheckoutResult:
        """Confirm the session's SetupIntent with the card (authenticated on the page)."""
        s = self.state
        setup = SetupIntents.of(s)
        pm = PaymentMethods.of(s).lookup(payment_method, "payment_method")
        si = setup.get(session["setup_intent"])
        try:
            if session["customer"] is None and session["customer_creation"] == "always":
                PaymentMethods.of(s).check_attachable(pm, "payment_method")
                self._create_customer(session, email, True)
                setup.modify(si["id"], {"customer": session["customer"]})
            si = setup.confirm(si["id"], {"payment_method": pm["id"]})
            if si["status"] == "requires_action":
                si = setup.authenticate(si["id"])
        except StripeError as refused:
            return CheckoutResult(session, refused)
        if si["status"] != "succeeded":
            error = card_error(
                (si["last_setup_error"] or {}).get("decline_code") or "generic_decline"
            )
            return CheckoutResult(session, error)
        return self._finish(session, email, {})

    def expand_list(self, field: str, obj: Obj) -> Obj:
        """`line_items`: the session's line items (the first 100), as Stripe expands them."""
        if field != "line_items":
            raise KeyError(field)
        items = self.line_items(obj["id"])
        return list_object(items[:100], f"/v1/checkout/sessions/{obj['id']}/line_items")
