"""PaymentMethods: test cards (`pm_card_visa`, `tok_visa`, numbers), attach and detach."""

from __future__ import annotations

from mockkit.stripe import cards, objects
from mockkit.stripe.cards import Card
from mockkit.stripe.errors import card_error, invalid_request, no_such, param_error
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["PaymentMethods"]


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
        pm = build(
            "payment_method",
            {
                "id": self.state.new_id("payment_method"),
                "created": self.state.now(),
                "card": cards.card_details(card),
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
        card = cards.lookup(ref)
        if card is None:
            param = "card[token]" if details.get("token") else "card[number]"
            raise invalid_request(
                f"No such token or test card: '{ref}'. Use one of Stripe's test cards.",
                param=param,
                code="resource_missing",
            )
        return self._new(card, p)

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
