"""Currencies and amounts as Stripe checks and shows them (shared by prices, intents, refunds)."""

from __future__ import annotations

from mockkit.stripe.errors import invalid_request, param_error

__all__ = ["CURRENCIES", "MINIMUM_AMOUNTS", "ZERO_DECIMAL", "check_amount", "currency", "shown"]

#: Smallest chargeable amount per currency, in the smallest unit (Stripe's minimums).
MINIMUM_AMOUNTS = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50}
CURRENCIES = frozenset(
    (
        *("usd", "eur", "gbp", "cad", "aud", "chf", "jpy", "sek", "nok", "dkk"),
        *("pln", "czk", "huf", "nzd", "sgd", "hkd", "mxn", "brl", "inr"),
    )
)
ZERO_DECIMAL = frozenset({"jpy"})


def currency(value: str, param: str = "currency") -> str:
    """`value` as Stripe stores a currency (lower case), or a 400 naming `param`."""
    cur = value.lower()
    if cur not in CURRENCIES:
        raise param_error(
            f"Invalid currency: {value}. mockkit's Stripe fake supports: "
            + ", ".join(sorted(CURRENCIES)),
            param,
        )
    return cur


def check_amount(amount: int, currency: str) -> None:
    """Refuse a charge amount under the currency's minimum or over Stripe's maximum."""
    minimum = MINIMUM_AMOUNTS.get(currency, 50)
    if amount < minimum:
        text = (
            f"${minimum / 100:.2f} usd"
            if currency == "usd"
            else f"{minimum} {currency} (in the currency's smallest unit)"
        )
        raise invalid_request(
            f"Amount must be at least {text}", param="amount", code="amount_too_small"
        )
    if amount > 99999999:
        raise invalid_request(
            "Amount must be no more than $999,999.99", param="amount", code="amount_too_large"
        )


def shown(amount: int, currency: str) -> str:
    """An amount as Stripe's messages show it: `$12.50`, `1000 jpy`, `12.50 sek`."""
    if currency in ZERO_DECIMAL:
        return f"{amount} {currency}"
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency)
    return f"{symbol}{amount / 100:.2f}" if symbol else f"{amount / 100:.2f} {currency}"
