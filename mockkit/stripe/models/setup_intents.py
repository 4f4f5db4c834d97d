"""SetupIntents: save a card for later (on success it is attached to the customer)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockkit.stripe import payment_method_types
from mockkit.stripe.cards import Card
from mockkit.stripe.errors import StripeError, card_error, invalid_request, not_emulated
from mockkit.stripe.models.payment_methods import PaymentMethods
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["SetupIntents"]

_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


class SetupIntents(Model):
    """The account's SetupIntents and their state machine (card test ids decide outcomes)."""

    resource = Resource(
        "setup_intent",
        "seti_",
        expandable={"customer": "customer", "payment_method": "payment_method"},
        events=(
            "setup_intent.created",
            "setup_intent.requires_action",
            "setup_intent.succeeded",
            "setup_intent.setup_failed",
            "setup_intent.canceled",
        ),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        self._return_urls: dict[str, str] = {}
        #: Called with the intent when it succeeds, per intent id (a subscription follows its
        #: `pending_setup_intent`).
        self.watchers: dict[str, Callable[[Obj], None]] = {}

    def _methods(self) -> PaymentMethods:
        return PaymentMethods.of(self.state)

    def create(self, p: Params) -> Obj:
        """POST /v1/setup_intents (with `confirm=true`, confirmed at once)."""
        s = self.state
        # Before 2023-08-16 one made with neither a type list nor `automatic_payment_methods`
        # takes cards only (as PaymentIntents do); from then on automatic payment methods.
        _, automatic = payment_method_types.for_new(
            p.get("allowed_payment_method_types"), p.get("automatic_payment_methods"), s.version()
        )
        excluded = payment_method_types.check_excluded(p.get("excluded_payment_method_types"))
        for name, what in (
            ("on_behalf_of", "Connect (on_behalf_of)"),
            ("single_use", "single-use mandates"),
            ("attach_to_self", "attaching to the platform (attach_to_self)"),
            ("flow_directions", "flow directions"),
            ("confirmation_token", "confirmation tokens"),
            ("customer_account", "Accounts v2 (customer_account)"),
        ):
            if p.get(name):
                raise not_emulated(what, name)
        customer = p.get("customer")
        if customer is not None:
            s.ref("customer", customer, "customer")
        if p.get("confirm"):
            if not p.get("payment_method"):
                raise invalid_request(
                    "You cannot confirm this SetupIntent because it's missing a payment "
                    "method. Pass one with the `payment_method` parameter.",
                    param="payment_method",
                    code="setup_intent_unexpected_state",
                )
            self._check_return_url(automatic, p.get("return_url"))
        elif p.get("return_url"):
            raise invalid_request(
                "You can only specify `return_url` when `confirm` is true.", param="return_url"
            )
        pm_id = None
        if p.get("payment_method"):
            pm_id = self._methods().lookup(p["payment_method"], "payment_method")["id"]
        sid = s.new_id("setup_intent")
        si = build(
            "setup_intent",
            {
                "id": sid,
                "created": s.now(),
                "client_secret": f"{sid}_secret_{s.new_id('', 25)}",
                "customer": customer,
                "description": p.get("description"),
                "metadata": self.merge_metadata({}, p.get("metadata") or {}),
                "payment_method": pm_id,
                "usage": p.get("usage") or "off_session",
                "automatic_payment_methods": automatic,
                "status": "requires_confirmation" if pm_id else "requires_payment_method",
                "last_setup_error": None,
                "next_action": None,
                "payment_method_configuration_details": None,
                "payment_method_options": {
                    "card": {
                        "mandate_options": None,
                        "network": None,
                        "request_three_d_secure": "automatic",
                    }
                },
                "payment_method_types": ["card"],
                "allowed_payment_method_types": payment_method_types.allowed(
                    p.get("allowed_payment_method_types")
                ),
                "excluded_payment_method_types": excluded,
            },
        )
        self.store.add(si)
        if p.get("return_url"):
            self._return_urls[sid] = p["return_url"]
        s.emit("setup_intent.created", si)
        if p.get("confirm"):
            error = self._attempt(si, {})
            if error is not None:
                raise error
        return si

    @staticmethod
    def _check_return_url(automatic: dict[str, Any] | None, return_url: str | None) -> None:
        if automatic and automatic.get("allow_redirects") != "never" and not return_url:
            raise invalid_request(
                "This SetupIntent is configured to accept payment methods enabled in your "
                "Dashboard. Because some of these payment methods might redirect your customer "
                "off of your page, you must provide a `return_url`. If you don't want to accept "
                "redirect-based payment methods, set `automatic_payment_methods[enabled]` to "
                "`true` and `automatic_payment_methods[allow_redirects]` to `never` when "
                "creating Setup Intents and Payment Intents.",
                param="return_url",
            )

    def modify(self, sid: str, p: Params) -> Obj:
        """POST /v1/setup_intents/{id}."""
        s = self.state
        si = self.get(sid)
        if si["status"] in ("succeeded", "canceled"):
            raise invalid_request(
                f"This SetupIntent cannot be updated because it has a status of {si['status']}.",
                code="setup_intent_unexpected_state",
            )
        changes: dict[str, Any] = {}
        if "customer" in p and p["customer"] is not None:
            s.ref("customer", p["customer"], "customer")
            changes["customer"] = p["customer"]
        if "description" in p:
            changes["description"] = p["description"]
        if p.get("payment_method"):
            changes["payment_method"] = self._methods().lookup(
                p["payment_method"], "payment_method"
            )["id"]
            if si["status"] == "requires_payment_method":
                changes["status"] = "requires_confirmation"
        if "metadata" in p:
            changes["metadata"] = self.merge_metadata(si["metadata"], p["metadata"])
        changes.update(self._type_changes(p))
        self.update(si, changes)
        return si

    def _type_changes(self, p: Params) -> dict[str, Any]:
        return payment_method_types.changes(p, "allowed_payment_method_types", self.state.version())

    def confirm(self, sid: str, p: Params) -> Obj:
        """POST /v1/setup_intents/{id}/confirm: succeed, decline (402), or ask for 3D Secure."""
        si = self.get(sid)
        if si["status"] not in _CONFIRMABLE:
            raise invalid_request(
                f"You cannot confirm this SetupIntent because it has a status of "
                f"{si['status']}. Only a SetupIntent with one of the following statuses may be "
                "confirmed: requires_payment_method, requires_confirmation, requires_action.",
                code="setup_intent_unexpected_state",
                setup_intent=si.copy(),
            )
        if si["payment_method"] is None and not p.get("payment_method"):
            raise invalid_request(
                "You cannot confirm this SetupIntent because it's missing a payment method. "
                "Pass one with the `payment_method` parameter.",
                param="payment_method",
                code="setup_intent_unexpected_state",
                setup_intent=si.copy(),
            )
        # Only endive's name exists on confirm (`allowed_payment_method_types`).
        types = payment_method_types.changes(
            p, "allowed_payment_method_types", self.state.version(), "allowed_payment_method_types"
        )
        return_url = p.get("return_url") or self._return_urls.get(sid)
        self._check_return_url(
            types.get("automatic_payment_methods", si["automatic_payment_methods"]), return_url
        )
        self.update(si, types)
        if p.get("return_url"):
            self._return_urls[sid] = p["return_url"]
        if p.get("payment_method"):
            si["payment_method"] = self._methods().lookup(p["payment_method"], "payment_method")[
                "id"
            ]
        error = self._attempt(si, p)
        if error is not None:
            raise error
        return si

    def _attempt(self, si: Obj, p: Params) -> StripeError | None:
        s = self.state
        pm = s.get("payment_method", si["payment_method"], "payment_method", 400)
        if si["customer"] is not None and pm["customer"] not in (None, si["customer"]):
            raise invalid_request(
                "The payment method you provided has already been attached to a customer.",
                param="payment_method",
                code="payment_method_unexpected_state",
            )
        card = self._methods().card_of(pm["id"])
        if card.action == "3ds":
            self.update(si, {"status": "requires_action", "next_action": self._next_action(si)})
            s.emit("setup_intent.requires_action", si)
            return None
        if card.decline is not None and not card.fail_on_charge_only:
            return self._fail(si, pm, card)
        self._succeed(si, pm)
        return None

    def _next_action(self, si: Obj) -> dict[str, Any]:
        return_url = self._return_urls.get(si["id"])
        if return_url:
            ctx = self.state.context
            base = ctx.base_url if ctx.served and ctx.base_url else "https://hooks.stripe.com"
            return {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "return_url": return_url,
                    "url": f"{base}/3d_secure_2/hosted/{si['id']}",
                },
            }
        return {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "stripe_3ds2_fingerprint",
                "three_d_secure_2_source": self.state.new_id("src_"),
                "directory_server_name": "visa",
            },
        }

    def _succeed(self, si: Obj, pm: Obj) -> None:
        s = self.state
        if si["customer"] is not None and pm["customer"] is None:
            pm["customer"] = si["customer"]
            s.emit("payment_method.attached", pm)
        self._methods().set_up.add(pm["id"])
        self.update(si, {"status": "succeeded", "next_action": None, "last_setup_error": None})
        s.emit("setup_intent.succeeded", si)
        watcher = self.watchers.get(si["id"])
        if watcher is not None:
            watcher(si)

    def _fail(self, si: Obj, pm: Obj, card: Card) -> StripeError:
        assert card.decline is not None
        error = card_error(card.decline)
        self.update(
            si,
            {
                "status": "requires_payment_method",
                "payment_method": None,
                "next_action": None,
                "last_setup_error": {
                    "code": error.code,
                    "decline_code": error.decline_code,
                    "doc_url": "https://stripe.com/docs/error-codes/"
                    + (error.code or "").replace("_", "-"),
                    "message": error.message,
                    "param": error.param,
                    "payment_method": pm.copy(),
                    "type": "card_error",
                },
            },
        )
        self.state.emit("setup_intent.setup_failed", si)
        error.extra.update(setup_intent=si.copy(), payment_method=pm.copy())
        error.keep_state = True  # Stripe keeps the failed setup: the 402 does not undo it
        return error

    def authenticate(self, sid: str, succeed: bool = True) -> Obj:
        """The customer completes (or fails) 3D Secure for a `requires_action` SetupIntent."""
        si = self.get(sid)
        if si["status"] != "requires_action":
            raise invalid_request(
                f"SetupIntent {sid} has status {si['status']}; only one in requires_action "
                "can be authenticated.",
                code="setup_intent_unexpected_state",
            )
        pm = self.state.get("payment_method", si["payment_method"], "payment_method")
        card = self._methods().card_of(pm["id"])
        if succeed and card.decline is not None and not card.fail_on_charge_only:
            self._fail(si, pm, card)
        elif succeed:
            self._succeed(si, pm)
        else:
            self.update(
                si,
                {
                    "status": "requires_payment_method",
                    "payment_method": None,
                    "next_action": None,
                    "last_setup_error": {
                        "code": "setup_intent_authentication_failure",
                        "doc_url": "https://stripe.com/docs/error-codes/"
                        "setup-intent-authentication-failure",
                        "message": "The latest attempt to set up the payment method has failed "
                        "because authentication failed.",
                        "payment_method": pm.copy(),
                        "type": "invalid_request_error",
                    },
                },
            )
            self.state.emit("setup_intent.setup_failed", si)
        return si

    def return_url_of(self, sid: str) -> str | None:
        """The `return_url` given when the intent was confirmed (for the 3D Secure page)."""
        return self._return_urls.get(sid)

    def cancel(self, sid: str, p: Params) -> Obj:
        """POST /v1/setup_intents/{id}/cancel."""
        si = self.get(sid)
        if si["status"] in ("succeeded", "canceled", "processing"):
            raise invalid_request(
                f"You cannot cancel this SetupIntent because it has a status of {si['status']}.",
                code="setup_intent_unexpected_state",
                setup_intent=si.copy(),
            )
        self.update(
            si,
            {
                "status": "canceled",
                "cancellation_reason": p.get("cancellation_reason"),
                "next_action": None,
            },
        )
        self.state.emit("setup_intent.canceled", si)
        return si
