"""PaymentMethods: test cards (`pm_card_visa`, `tok_visa`, numbers), attach and detach."""

from __future__ import annotations

import time

from mockkit.stripe import cards, objects
from mockkit.stripe.cards import Card
from mockkit.stripe.declines import Decline
from mockkit.stripe.errors import card_error, invalid_request, no_such, param_error
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["PaymentMethods"]

_INVALID_MONTH = Decline(
    "invalid_expiry_month", None, "Your card's expiration month is invalid.", "card[exp_month]"
)
_INVALID_YEAR = Decline(
    "invalid_expiry_year", None, "Your card's expiration year is invalid.", "card[exp_year]"
)
_INVALID_CVC = Decline("invalid_cvc", None, "Your card's security code is invalid.", "card[cvc]")


class PaymentMethods(Model):
    """The account's PaymentMethods, each backed by one of Stripe's test cards."""

    resource = Resource(
        "payment_method",
        "pm_",
        expandable={"customer": "customer"},
        events=("payment_method.attached", "payment_method.updated", "payment_method.detached"),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        # Which test card each stored PaymentMethod is; kept beside the public object.
        self._cards: dict[str, Card] = {}
        #: PaymentMethods set up for later use (a SetupIntent succeeded with them).
        self.set_up: set[str] = set()

    def _new(self, card: Card, p: Params | None = None) -> Obj:
        p = p or {}
        billing = objects.build("payment_method", {})["billing_details"]
        if p.get("billing_details"):
            billing = {**billing, **p["billing_details"]}
        details = cards.card_details(card)
        raw = p.get("card") or {}
        if raw.get("number"):
            # A card typed in: its own expiry, and a CVC check only when a CVC was given.
            details.update(exp_month=raw["exp_month"], exp_year=raw["exp_year"])
            details["checks"] = {
                **details["checks"],
                "cvc_check": "unchecked" if raw.get("cvc") else None,
            }
        pm = build(
            "payment_method",
            {
                "id": self.state.new_id("payment_method"),
                "created": self.state.now(),
                "card": details,
                "billing_details": billing,
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
            },
        )
        self.store.add(pm)
        self._cards[pm["id"]] = card
        return pm

    def card_of(self, pm_id: str) -> Card:
        """The test card behind a stored PaymentMethod."""
        return self._cards.get(pm_id) or cards.CARDS["pm_card_visa"]

    def lookup(self, ref: str, param: str, status: int = 400) -> Obj:
        """A stored PaymentMethod, or a new one for a test id such as `pm_card_visa`.

        Stripe treats the test ids as templates: each use yields a new `pm_...` object.
        """
        pm = self.store.by_id.get(ref)
        if pm is not None:
            return pm
        card = cards.lookup(ref) if ref.startswith(("pm_card_", "tok_")) else None
        if card is None:
            raise no_such("PaymentMethod", ref, param, status)
        return self._new(card)

    def create(self, p: Params) -> Obj:
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
        if details.get("token") and (set(details) - {"token"}):
            extra = sorted(set(details) - {"token"})[0]
            raise param_error(
                f"You cannot pass card[{extra}] with card[token]: a token already holds the "
                "card's details.",
                f"card[{extra}]",
            )
        if not details.get("token"):
            self._check_typed_card(details)
        card = cards.lookup(ref)
        if card is None:
            param = "card[token]" if details.get("token") else "card[number]"
            raise invalid_request(
                f"No such token or test card: '{ref}'. Use one of Stripe's test cards.",
                param=param,
                code="resource_missing",
            )
        return self._new(card, p)

    def _check_typed_card(self, details: Params) -> None:
        """A card number with its expiry (and CVC), checked as Stripe checks a typed card."""
        for name in ("exp_month", "exp_year"):
            if details.get(name) is None:
                raise param_error(
                    f"Missing required param: card[{name}].", f"card[{name}]", "parameter_missing"
                )
        month, year = details["exp_month"], details["exp_year"]
        if year < 100:
            year = details["exp_year"] = 2000 + year  # two digits, as Stripe reads "34"
        today = time.gmtime(self.state.now())
        if not 1 <= month <= 12:
            raise card_error(_INVALID_MONTH)
        if year < today.tm_year or year > today.tm_year + 50:
            raise card_error(_INVALID_YEAR)
        if (year, month) < (today.tm_year, today.tm_mon):
            raise card_error("expired_card", param="card[exp_month]")
        cvc = details.get("cvc")
        if cvc is not None and not (cvc.isascii() and cvc.isdigit() and 3 <= len(cvc) <= 4):
            raise card_error(_INVALID_CVC)

    def modify(self, pm_id: str, p: Params) -> Obj:
        """POST /v1/payment_methods/{id}."""
        pm = self.get(pm_id)
        previous = self.apply(pm, p, ("allow_redisplay",))
        if p.get("billing_details"):
            previous["billing_details"] = pm["billing_details"]
            pm["billing_details"] = {**pm["billing_details"], **p["billing_details"]}
        if previous:
            self.state.emit("payment_method.updated", pm, previous)
        return pm

    def check_attachable(self, pm: Obj, param: str) -> None:
        """Refuse to attach `pm` if it belongs to a customer or its card declines on attach."""
        if pm["customer"] is not None:
            raise invalid_request(
                "The payment method you provided has already been attached to a customer.",
                param=param,
                code="payment_method_unexpected_state",
            )
        card = self.card_of(pm["id"])
        if card.decline is not None and not card.fail_on_charge_only:
            # Stripe checks the card when attaching: a declining test card cannot be saved.
            raise card_error(card.decline, payment_method=pm.copy())

    def attach(self, pm_ref: str, cid: str, param: str = "id") -> Obj:
        """POST /v1/payment_methods/{id}/attach."""
        customer = self.state.ref("customer", cid, "customer")
        pm = self.lookup(pm_ref, param, 404 if param == "id" else 400)
        if pm["customer"] == customer["id"]:
            return pm
        self.check_attachable(pm, param)
        pm["customer"] = customer["id"]
        self.state.emit("payment_method.attached", pm)
        return pm

    def detach(self, pm_id: str) -> Obj:
        """POST /v1/payment_methods/{id}/detach (and no longer the customer's default)."""
        pm = self.get(pm_id)
        if pm["customer"] is None:
            raise invalid_request(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                code="payment_method_unexpected_state",
            )
        previous = {"customer": pm["customer"]}
        customer = self.state.stores["customer"].by_id.get(pm["customer"])
        pm["customer"] = None
        settings = customer["invoice_settings"] if customer else None
        if customer and settings and settings.get("default_payment_method") == pm_id:
            customer["invoice_settings"] = {**settings, "default_payment_method": None}
        self.state.emit("payment_method.detached", pm, previous)
        return pm
