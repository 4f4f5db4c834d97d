"""PaymentIntents: create, confirm (success, decline, 3D Secure), capture, cancel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockkit.stripe import money, payment_method_types
from mockkit.stripe.cards import Card
from mockkit.stripe.errors import StripeError, card_error, invalid_request
from mockkit.stripe.models.charges import Charges
from mockkit.stripe.models.payment_methods import PaymentMethods
from mockkit.stripe.objects import build
from mockkit.stripe.resource import Resource
from mockkit.stripe.state import Model, Obj, Params, StripeState

__all__ = ["CANCELABLE", "PaymentIntents"]

_FIELDS = (
    "description",
    "receipt_email",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "setup_future_usage",
    "shipping",
    "transfer_group",
)
_CONFIRMABLE = ("requires_confirmation", "requires_payment_method", "requires_action")
#: The statuses a PaymentIntent can be canceled from.
CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


@dataclass
class _PIExtra:
    """What Stripe keeps about a PaymentIntent but does not show on the object."""

    return_url: str | None = None
    card: Card | None = None
    pm_id: str | None = None
    #: The PaymentMethod the customer authenticated (3D Secure) for a manually confirmed
    #: intent: the server's next confirm with it needs no second challenge.
    authenticated: str | None = None


class PaymentIntents(Model):
    """The account's PaymentIntents and the state machine that moves them."""

    resource = Resource(
        "payment_intent",
        "pi_",
        expandable={
            "customer": "customer",
            "latest_charge": "charge",
            "payment_method": "payment_method",
        },
        events=(
            "payment_intent.created",
            "payment_intent.requires_action",
            "payment_intent.amount_capturable_updated",
            "payment_intent.succeeded",
            "payment_intent.payment_failed",
            "payment_intent.canceled",
        ),
    )

    def __init__(self, state: StripeState) -> None:
        super().__init__(state)
        self._extra: dict[str, _PIExtra] = {}
        #: Called with the intent after each change of its status, per intent id: an invoice
        #: follows the PaymentIntent that collects it, whoever confirms it.
        self.watchers: dict[str, Callable[[Obj], None]] = {}

    def _notify(self, pi: Obj) -> None:
        watcher = self.watchers.get(pi["id"])
        if watcher is not None:
            watcher(pi)

    @property
    def _methods(self) -> PaymentMethods:
        return PaymentMethods.of(self.state)

    def create(self, p: Params) -> Obj:
        """POST /v1/payment_intents; with `confirm=true` it also confirms (see `confirm`).

        A declined confirmation raises its 402 once the intent and its failed charge are
        stored, as Stripe answers.
        """
        if not p.get("confirm"):
            for name in ("off_session", "return_url"):
                if p.get(name):
                    raise invalid_request(
                        f"The parameter `{name}` can only be used when `confirm` is true: "
                        "create and confirm the PaymentIntent in one request with "
                        f"`confirm=true`, or pass `{name}` when you confirm it.",
                        param=name,
                    )
        currency = money.currency(p["currency"])
        amount = p["amount"]
        money.check_amount(amount, currency)
        customer = p.get("customer")
        if customer is not None:
            self.state.ref("customer", customer, "customer")
        version = self.state.version()
        types, automatic = payment_method_types.for_new(
            p.get("payment_method_types"), p.get("automatic_payment_methods"), version
        )
        excluded = payment_method_types.check_excluded(p.get("excluded_payment_method_types"))
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
            pm = self._methods.lookup(p["payment_method"], "payment_method")
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
        pid = self.state.new_id("payment_intent")
        fields: dict[str, Any] = {k: p[k] for k in _FIELDS if p.get(k) is not None}
        fields.update(
            id=pid,
            created=self.state.now(),
            amount=amount,
            currency=currency,
            customer=customer,
            capture_method=p.get("capture_method") or "automatic_async",
            confirmation_method=p.get("confirmation_method") or "automatic",
            client_secret=f"{pid}_secret_{self.state.new_id('', 25)}",
            metadata=self.merge_metadata({}, p.get("metadata") or {}),
            payment_method=pm_id,
            payment_method_types=types,
            allowed_payment_method_types=payment_method_types.allowed(
                p.get("payment_method_types")
            ),
            excluded_payment_method_types=excluded,
            automatic_payment_methods=automatic,
            status="requires_confirmation" if pm_id else "requires_payment_method",
        )
        pi = self.store.add(build("payment_intent", fields))
        if p.get("return_url"):  # the only extra a new intent can have (`_extra`'s default)
            self._extra[pid] = _PIExtra(return_url=p["return_url"])
        self.state.emit("payment_intent.created", pi)
        if p.get("confirm"):
            # The payment method is resolved already: a test id such as pm_card_visa must not
            # mint a second PaymentMethod.
            pi, error = self.attempt(pi, {k: v for k, v in p.items() if k != "payment_method"})
            if error is not None:
                raise error
            return pi
        return pi

    def modify(self, pid: str, p: Params) -> Obj:
        """POST /v1/payment_intents/{id} (no event: Stripe has no payment_intent.updated)."""
        pi = self.get(pid)
        if pi["status"] in ("succeeded", "canceled"):
            raise invalid_request(
                f"This PaymentIntent's amount could not be updated because it has a status of "
                f"{pi['status']}. You may only update the amount of a PaymentIntent with one of "
                "the following statuses: requires_payment_method, requires_confirmation, "
                "requires_action.",
                code="payment_intent_unexpected_state",
            )
        changes: dict[str, Any] = {k: p[k] for k in _FIELDS if k in p}
        if "amount" in p or "currency" in p:
            currency = money.currency(p.get("currency") or pi["currency"])
            amount = p["amount"] if p.get("amount") is not None else pi["amount"]
            money.check_amount(amount, currency)
            changes.update(amount=amount, currency=currency)
        if "customer" in p and p["customer"] is not None:
            self.state.ref("customer", p["customer"], "customer")
            changes["customer"] = p["customer"]
        if "capture_method" in p:
            changes["capture_method"] = p["capture_method"]
        if p.get("payment_method"):
            changes["payment_method"] = self._methods.lookup(p["payment_method"], "payment_method")[
                "id"
            ]
            if pi["status"] == "requires_payment_method":
                changes["status"] = "requires_confirmation"
        if "metadata" in p:
            changes["metadata"] = self.merge_metadata(pi["metadata"], p["metadata"])
        changes.update(
            payment_method_types.changes(p, "payment_method_types", self.state.version())
        )
        self.update(pi, changes)
        return pi

    def confirm(self, pid: str, p: Params) -> tuple[Obj, StripeError | None]:
        """POST /v1/payment_intents/{id}/confirm."""
        pi = self.get(pid)
        if pi["status"] not in _CONFIRMABLE:
            raise invalid_request(
                f"You cannot confirm this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be confirmed: requires_confirmation, requires_payment_method, requires_action.",
                code="payment_intent_unexpected_state",
                payment_intent=pi.copy(),
            )
        self.update(
            pi, payment_method_types.changes(p, "payment_method_types", self.state.version())
        )
        if p.get("return_url"):
            self._extra.setdefault(pid, _PIExtra()).return_url = p["return_url"]
        return self.attempt(pi, p)

    def for_checkout(self, session: Obj, data: dict[str, Any]) -> Obj:
        """A Checkout session's PaymentIntent (`requires_payment_method`), from its totals.

        `data` is the session's `payment_intent_data`; the session gets the intent's id.
        """
        params: dict[str, Any] = {
            "amount": session["amount_total"],
            "currency": session["currency"],
            "customer": session["customer"],
            "payment_method_types": ["card"],
            "metadata": data.get("metadata") or {},
        }
        keys = ("capture_method", "description", "receipt_email", "setup_future_usage")
        params.update({k: data[k] for k in keys if data.get(k) is not None})
        pi = self.create(params)
        session["payment_intent"] = pi["id"]
        return pi

    def attempt(self, pi: Obj, p: Params) -> tuple[Obj, StripeError | None]:
        """One payment attempt on `pi`: the intent as it ends up, and the decline if any.

        `_checkout` / `_authenticated` in `p` mark an attempt made on the hosted Checkout page
        (no `return_url` needed, 3D Secure done on the page); `_invoice` an invoice's payment
        (a card asking for authentication leaves it waiting in `requires_action`).
        """
        pid = pi["id"]
        extra = self._extra.setdefault(pid, _PIExtra())
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
            pi["payment_method"] = self._methods.lookup(p["payment_method"], "payment_method")["id"]
        if p.get("capture_method"):
            pi["capture_method"] = p["capture_method"]
        pm = self.state.get("payment_method", pi["payment_method"], "payment_method", 400)
        card = self._methods.card_of(pm["id"])
        set_up = (
            card.off_session_once_set_up
            and bool(p.get("off_session"))
            and pm["id"] in self._methods.set_up
        )
        # A manually confirmed intent the customer authenticated: this confirm needs no
        # second challenge.
        authenticated = extra.authenticated is not None and extra.authenticated == pm["id"]
        extra.authenticated = None
        if (
            card.action == "3ds"
            and not p.get("_authenticated")
            and not set_up
            and not authenticated
        ):
            # Nobody is there to authenticate an off-session payment: Stripe declines it. An
            # invoice's automatic payment waits instead (`requires_action`), so the customer
            # can be brought back to authenticate it (`invoice.payment_action_required`).
            waits = bool(p.get("_invoice"))
            if p.get("error_on_requires_action") or (p.get("off_session") and not waits):
                return pi, self._fail(
                    pi,
                    pm,
                    card,
                    card_error("authentication_required"),
                )
            extra.card, extra.pm_id = card, pm["id"]
            if waits and p.get("off_session"):
                # Why it waits, as Stripe records it on a renewal that needs the customer.
                needed = card_error("authentication_required")
                pi["last_payment_error"] = {
                    **needed.error_object(),
                    "param": needed.param,
                    "payment_method": pm.copy(),
                }
            pi["status"] = "requires_action"
            pi["next_action"] = self._next_action(pi, extra)
            self.state.emit("payment_intent.requires_action", pi)
            self._notify(pi)
            return pi, None
        if card.decline is not None:
            return pi, self._fail(pi, pm, card, card_error(card.decline))
        self._succeed(pi, pm, card, three_d_secure=card.action == "3ds" and not set_up)
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
            base = (
                self.state.context.base_url
                if self.state.context.served
                else "https://hooks.stripe.com"
            )
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
                "three_d_secure_2_source": self.state.new_id("src_"),
                "directory_server_name": "visa",
            },
        }

    def _succeed(self, pi: Obj, pm: Obj, card: Card, three_d_secure: bool = False) -> None:
        manual = pi["capture_method"] == "manual"
        charge = Charges.of(self.state).create_for(
            pi,
            pm,
            card,
            {
                "_3ds": three_d_secure,
                "amount_captured": 0 if manual else pi["amount"],
                "captured": not manual,
                "paid": True,
                "status": "succeeded",
                "balance_transaction": None if manual else self.state.new_id("txn_"),
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
        self.update(
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
        if pi["setup_future_usage"]:
            self._methods.set_up.add(pm["id"])
        if pi["setup_future_usage"] and pi["customer"] and pm["customer"] is None:
            # Saving the card for later is what setup_future_usage asks for: Stripe attaches
            # it to the intent's customer once the payment succeeds.
            pm["customer"] = pi["customer"]
            self.state.emit("payment_method.attached", pm)
        self.state.emit("charge.succeeded", charge)
        if manual:
            self.state.emit("payment_intent.amount_capturable_updated", pi)
        else:
            self.state.emit("payment_intent.succeeded", pi)
        self._notify(pi)

    def _fail(self, pi: Obj, pm: Obj, card: Card, error: StripeError) -> StripeError:
        """A declined attempt: failed charge, intent back to requires_payment_method, 402."""
        charge = Charges.of(self.state).create_for(
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
        # The intent keeps the decline as its `last_payment_error`: the same error object,
        # with the failed charge and the payment method it was made with.
        last_error = {
            **error.error_object(),
            "param": error.param,
            "charge": charge["id"],
            "payment_method": pm.copy(),
        }
        self.update(
            pi,
            {
                "latest_charge": charge["id"],
                "last_payment_error": last_error,
                "next_action": None,
                "payment_method": None,
                "status": "requires_payment_method",
            },
        )
        self.state.emit("charge.failed", charge)
        self.state.emit("payment_intent.payment_failed", pi)
        self._notify(pi)
        error.extra.update(charge=charge["id"], payment_intent=pi.copy(), payment_method=pm.copy())
        error.keep_state = True  # Stripe keeps the attempt: the 402 does not undo it
        return error

    def authenticate(self, pid: str, succeed: bool = True) -> Obj:
        """The customer completes (or fails) 3D Secure for a `requires_action` PaymentIntent."""
        pi = self.get(pid)
        if pi["status"] != "requires_action":
            raise invalid_request(
                f"PaymentIntent {pid} has status {pi['status']}; only one in requires_action "
                "can be authenticated.",
                code="payment_intent_unexpected_state",
            )
        extra = self._extra.setdefault(pid, _PIExtra())
        pm = self.state.get("payment_method", extra.pm_id or pi["payment_method"], "payment_method")
        card = extra.card or self._methods.card_of(pm["id"])
        if succeed and pi["confirmation_method"] == "manual":
            # Manual confirmation: once the customer has authenticated, the intent waits for
            # the server to confirm it again (Stripe's `requires_confirmation`).
            extra.authenticated = pm["id"]
            self.update(
                pi,
                {
                    "status": "requires_confirmation",
                    "next_action": None,
                    "payment_method": pm["id"],
                },
            )
            self._notify(pi)
        elif succeed:
            self._succeed(pi, pm, card, three_d_secure=True)
        else:
            failure = invalid_request(
                "The provided PaymentMethod has failed authentication. You can provide "
                "payment_method_data or a new PaymentMethod to attempt to fulfill this "
                "PaymentIntent again.",
                code="payment_intent_authentication_failure",
            )
            last_error = {**failure.error_object(), "payment_method": pm.copy()}
            self.update(
                pi,
                {
                    "status": "requires_payment_method",
                    "next_action": None,
                    "payment_method": None,
                    "last_payment_error": last_error,
                },
            )
            self.state.emit("payment_intent.payment_failed", pi)
            self._notify(pi)
        return pi

    def return_url_of(self, pid: str) -> str | None:
        """The `return_url` given when the intent was confirmed (for the 3DS page)."""
        extra = self._extra.get(pid)
        return extra.return_url if extra else None

    def capture(self, pid: str, p: Params) -> Obj:
        """POST /v1/payment_intents/{id}/capture (`amount_to_capture` for a partial capture)."""
        pi = self.get(pid)
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
        charge = self.state.get("charge", pi["latest_charge"], "latest_charge")
        self.update(
            charge,
            {
                "captured": True,
                "amount_captured": amount,
                # Stripe releases the uncaptured rest and reports it as refunded.
                "amount_refunded": charge["amount"] - amount,
                "balance_transaction": self.state.new_id("txn_"),
            },
        )
        if "metadata" in p:
            pi["metadata"] = self.merge_metadata(pi["metadata"], p["metadata"])
        self.update(pi, {"status": "succeeded", "amount_capturable": 0, "amount_received": amount})
        self.state.emit("charge.captured", charge)
        self.state.emit("payment_intent.succeeded", pi)
        return pi

    def cancel(self, pid: str, p: Params) -> Obj:
        """POST /v1/payment_intents/{id}/cancel."""
        pi = self.get(pid)
        if pi["status"] not in CANCELABLE:
            raise invalid_request(
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may be "
                "canceled: " + ", ".join(CANCELABLE) + ".",
                code="payment_intent_unexpected_state",
                payment_intent=pi.copy(),
            )
        if pi["status"] == "requires_capture" and pi["latest_charge"]:
            charge = self.state.get("charge", pi["latest_charge"], "latest_charge")
            # Canceling an authorization releases the hold: the charge shows fully refunded.
            self.update(charge, {"refunded": True, "amount_refunded": charge["amount"]})
            self.state.emit("charge.refunded", charge)
        self.update(
            pi,
            {
                "status": "canceled",
                "canceled_at": self.state.now(),
                "cancellation_reason": p.get("cancellation_reason"),
                "amount_capturable": 0,
                "next_action": None,
            },
        )
        self.state.emit("payment_intent.canceled", pi)
        self._notify(pi)
        return pi
