"""Stripe's test payment methods and what happens when each one is charged.

Ids follow Stripe's testing docs: `pm_card_visa` succeeds, `pm_card_chargeDeclined` is declined
with `generic_decline`, `pm_card_threeDSecure2Required` needs authentication, and so on. The
matching `tok_...` tokens and raw test card numbers map to the same cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockkit.stripe.declines import DECLINES, Decline

__all__ = ["CARDS", "Card", "Decline", "card_details", "charge_details", "lookup"]


@dataclass(frozen=True)
class Card:
    """One test card: what it looks like and what charging it does."""

    brand: str
    last4: str
    number: str
    funding: str = "credit"
    country: str = "US"
    decline: Decline | None = None
    #: "3ds": confirming it needs customer authentication (`requires_action`).
    action: str | None = None
    #: Attaching works but every charge is declined (`pm_card_chargeCustomerFail`).
    fail_on_charge_only: bool = False
    #: Off-session payments need no authentication once the card was set up for them (a
    #: SetupIntent, or a payment with `setup_future_usage`): Stripe's 4000 0025 0000 3155.
    off_session_once_set_up: bool = False
    label: str = ""

    @property
    def fingerprint(self) -> str:
        """A stable fingerprint per card number (Stripe's is per number and account)."""
        return ("fp" + self.number[-8:] + self.brand.upper())[:16]


_GENERIC = DECLINES["generic_decline"]

#: Test PaymentMethod id -> card.
CARDS: dict[str, Card] = {
    "pm_card_visa": Card("visa", "4242", "4242424242424242", label="Visa (succeeds)"),
    "pm_card_visa_debit": Card("visa", "5556", "4000056655665556", "debit", label="Visa debit"),
    "pm_card_mastercard": Card(
        "mastercard", "4444", "5555555555554444", label="Mastercard (succeeds)"
    ),
    "pm_card_mastercard_debit": Card("mastercard", "8210", "5200828282828210", "debit"),
    "pm_card_amex": Card("amex", "8431", "378282246310005", label="American Express"),
    "pm_card_discover": Card("discover", "1117", "6011111111111117"),
    "pm_card_jcb": Card("jcb", "0505", "3566002020360505", country="JP"),
    "pm_card_unionpay": Card("unionpay", "0005", "6200000000000005", country="CN"),
    "pm_card_chargeDeclined": Card(
        "visa", "0002", "4000000000000002", decline=_GENERIC, label="Declined (generic)"
    ),
    "pm_card_chargeDeclinedInsufficientFunds": Card(
        "visa",
        "9995",
        "4000000000009995",
        decline=DECLINES["insufficient_funds"],
        label="Declined (insufficient funds)",
    ),
    "pm_card_chargeDeclinedLostCard": Card(
        "visa",
        "9987",
        "4000000000009987",
        decline=DECLINES["lost_card"],
        label="Declined (lost card)",
    ),
    "pm_card_chargeDeclinedStolenCard": Card(
        "visa",
        "9979",
        "4000000000009979",
        decline=DECLINES["stolen_card"],
        label="Declined (stolen card)",
    ),
    "pm_card_chargeDeclinedFraudulent": Card(
        "visa",
        "0019",
        "4100000000000019",
        decline=DECLINES["fraudulent"],
        label="Declined (fraudulent)",
    ),
    "pm_card_chargeDeclinedExpiredCard": Card(
        "visa",
        "0069",
        "4000000000000069",
        decline=DECLINES["expired_card"],
        label="Declined (expired card)",
    ),
    "pm_card_chargeDeclinedIncorrectCvc": Card(
        "visa",
        "0127",
        "4000000000000127",
        decline=DECLINES["incorrect_cvc"],
        label="Declined (incorrect CVC)",
    ),
    "pm_card_chargeDeclinedProcessingError": Card(
        "visa",
        "0119",
        "4000000000000119",
        decline=DECLINES["processing_error"],
        label="Declined (processing error)",
    ),
    "pm_card_chargeCustomerFail": Card(
        "visa",
        "0341",
        "4000000000000341",
        decline=_GENERIC,
        fail_on_charge_only=True,
        label="Attaches, then declined",
    ),
    "pm_card_threeDSecure2Required": Card(
        "visa", "3220", "4000000000003220", action="3ds", label="3D Secure 2 required"
    ),
    "pm_card_authenticationRequiredOnSetup": Card(
        "visa",
        "3155",
        "4000002500003155",
        action="3ds",
        off_session_once_set_up=True,
        label="Authentication required (until set up for off-session use)",
    ),
    "pm_card_authenticationRequired": Card(
        "visa",
        "3184",
        "4000002760003184",
        action="3ds",
        label="Authentication required on every payment, off-session renewals included",
    ),
}
CARDS["pm_card_visa_chargeDeclined"] = CARDS["pm_card_chargeDeclined"]

_BY_TOKEN = {"tok_" + key[len("pm_card_") :]: card for key, card in CARDS.items()}
_BY_NUMBER = {card.number: card for card in CARDS.values()}


def lookup(ref: str) -> Card | None:
    """The test card for a `pm_card_*` id, a `tok_*` token or a test card number, or None."""
    return CARDS.get(ref) or _BY_TOKEN.get(ref) or _BY_NUMBER.get(ref.replace(" ", ""))


def card_details(card: Card, exp_year: int = 2034, exp_month: int = 12) -> dict[str, Any]:
    """The `card` hash of a PaymentMethod for `card` (expiring `exp_month`/`exp_year`)."""
    return {
        "brand": card.brand,
        "checks": {
            "address_line1_check": None,
            "address_postal_code_check": None,
            "cvc_check": "unchecked",
        },
        "country": card.country,
        "display_brand": card.brand,
        "exp_month": exp_month,
        "exp_year": exp_year,
        "fingerprint": card.fingerprint,
        "funding": card.funding,
        "generated_from": None,
        "last4": card.last4,
        "networks": {"available": [card.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }


def charge_details(
    card: Card,
    amount: int,
    three_d_secure: bool = False,
    expiry: tuple[int, int] = (12, 2034),
) -> dict[str, Any]:
    """The `payment_method_details` hash of a Charge paid with `card` (expiring `expiry`)."""
    return {
        "card": {
            "amount_authorized": amount,
            "authorization_code": None,
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "pass",
            },
            "country": card.country,
            "exp_month": expiry[0],
            "exp_year": expiry[1],
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card.last4,
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card.brand,
            "network_token": {"used": False},
            "network_transaction_id": "mockkit" + card.last4,
            "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
            "regulated_status": "unregulated",
            "three_d_secure": (
                {
                    "authentication_flow": "challenge",
                    "electronic_commerce_indicator": "05",
                    "exemption_indicator": None,
                    "result": "authenticated",
                    "result_reason": None,
                    "transaction_id": None,
                    "version": "2.2.0",
                }
                if three_d_secure
                else None
            ),
            "wallet": None,
        },
        "type": "card",
    }
