"""Parameter coercers shared by the Billing endpoints (percentages, `now`, discounts)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from mockkit.stripe.errors import param_error
from mockkit.stripe.params import BOOL, INT, METADATA, STR, Arr, Coercer, Enum, Hash, Int

__all__ = [
    "ADD_INVOICE_ITEMS",
    "DISCOUNTS",
    "ONE_TIME_PRICE_DATA",
    "PERCENT",
    "PRICE_DATA_RECURRING",
    "unix_or",
]


def _percent(value: Any, name: str) -> Any:
    """A percentage such as `25.5` (stripe-python sends floats as decimal strings)."""
    if value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,12})?", value):
        shown = value if isinstance(value, str) else "an object"
        raise param_error(f"Invalid decimal: {shown}", name, "parameter_invalid_decimal")
    return Decimal(value)


def unix_or(*words: str) -> Coercer:
    """A Unix timestamp, or one of the given words (`trial_end=now`)."""

    def coerce(value: Any, name: str) -> Any:
        if value in words:
            return value
        return INT(value, name)

    return coerce


PERCENT: Coercer = _percent
DISCOUNTS = Arr(Hash({"coupon": STR, "promotion_code": STR, "discount": STR}), 20)
PRICE_DATA_RECURRING = Hash(
    {
        "currency": STR,
        "product": STR,
        "recurring": Hash(
            {"interval": Enum("day", "week", "month", "year"), "interval_count": Int(1, 1095)},
            ("interval",),
        ),
        "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
        "unit_amount": Int(0),
        "unit_amount_decimal": STR,
    },
    ("currency", "product", "recurring"),
)
ONE_TIME_PRICE_DATA = Hash(
    {
        "currency": STR,
        "product": STR,
        "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
        "unit_amount": Int(0),
        "unit_amount_decimal": STR,
    },
    ("currency", "product"),
)
ADD_INVOICE_ITEMS = Arr(
    Hash(
        {
            "discountable": BOOL,
            "discounts": DISCOUNTS,
            "metadata": METADATA,
            "period": Hash(
                {
                    "end": Hash({"timestamp": INT, "type": STR}),
                    "start": Hash({"timestamp": INT, "type": STR}),
                }
            ),
            "price": STR,
            "price_data": ONE_TIME_PRICE_DATA,
            "quantity": Int(1),
            "tax_rates": Arr(STR),
        }
    ),
    20,
)
