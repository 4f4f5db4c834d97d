"""Currencies and amounts as Stripe checks and shows them (shared by prices, intents, refunds)."""

from __future__ import annotations

from mockkit.stripe.errors import invalid_request, param_error

__all__ = [
    "CURRENCIES",
    "MAXIMUM_AMOUNT",
    "MINIMUM_AMOUNTS",
    "ZERO_DECIMAL",
    "check_amount",
    "check_total",
    "currency",
    "limits",
    "shown",
]

#: Smallest chargeable amount per currency, in the smallest unit: Stripe's table of minimum
#: charge amounts (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts), for every
#: currency the fake accepts. 3.00 kr for sek, 175.00 Ft for huf, 15.00 Kč for czk.
MINIMUM_AMOUNTS = {
    "usd": 50,
    "aud": 50,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "sek": 300,
    "sgd": 50,
}
#: The largest amount one charge may be: eight digits (Stripe's `99999999`, $999,999.99).
MAXIMUM_AMOUNT = 99_999_999
CURRENCIES = frozenset(MINIMUM_AMOUNTS)
ZERO_DECIMAL = frozenset({"jpy"})
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}


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


def limits(currency: str) -> tuple[int, int]:
    """The smallest and largest amount one charge in `currency` may be."""
    return MINIMUM_AMOUNTS[currency], MAXIMUM_AMOUNT


def _stated(amount: int, currency: str) -> str:
    """An amount as Stripe's limit messages state it: `$0.50 usd`, `3.00 sek`, `50 jpy`."""
    if currency in ZERO_DECIMAL:
        return f"{amount:,} {currency}"
    value = f"{amount / 100:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{value} {currency}" if symbol else f"{value} {currency}"


def check_amount(amount: int, currency: str, param: str = "amount") -> None:
    """Refuse a charge amount under the currency's minimum or over Stripe's maximum."""
    minimum, maximum = limits(currency)
    if amount < minimum:
        raise invalid_request(
            f"Amount must be at least {_stated(minimum, currency)}",
            param=param,
            code="amount_too_small",
        )
    if amount > maximum:
        raise invalid_request(
            f"Amount must be no more than {_stated(maximum, currency)}",
            param=param,
            code="amount_too_large",
        )


def check_total(total: int, currency: str, param: str = "line_items") -> None:
    """Refuse a Checkout Session whose total cannot be charged (under the minimum, over 8 digits).

    Stripe refuses such a session when it is created, not when the customer tries to pay.
    """
    minimum, maximum = limits(currency)
    if total < minimum:
        raise invalid_request(
            "The Checkout Session's total amount due must add up to at least "
            f"{_stated(minimum, currency)}",
            param=param,
            code="amount_too_small",
        )
    if total > maximum:
        raise invalid_request(
            "The Checkout Session's total amount due must be no more than "
            f"{_stated(maximum, currency)}",
            param=param,
            code="amount_too_large",
        )


def shown(amount: int, currency: str) -> str:
    """An amount as Stripe's messages show it: `$12.50`, `1000 jpy`, `12.50 sek`."""
    if currency in ZERO_DECIMAL:
        return f"{amount} {currency}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{amount / 100:.2f}" if symbol else f"{amount / 100:.2f} {currency}"
