"""Realistic Stripe bodies for the baselines that need one before any fake answers.

Stripe's published example objects (the same ones `mockkit.stripe` shapes its objects after)
are used when they can be found; otherwise a hand-written object with the same keys. Stripe
sends its JSON indented by two spaces, which is what a stub should return to cost the SDK the
same parsing work.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

#: Where Stripe's published fixtures may sit, nearest first.
_FIXTURE_PATHS = (
    Path(__file__).resolve().parent.parent / "mockkit" / "stripe" / "fixtures3.json",
    Path("/work/shared/reference/stripe/fixtures3.json"),
)

#: The parameters every benchmark sends with `PaymentIntent.create`: the same call everywhere.
PAYMENT_INTENT_PARAMS: dict[str, Any] = {
    "amount": 2000,
    "currency": "usd",
    "allowed_payment_method_types": ["card"],
    "description": "Order 1234",
    "metadata": {"order_id": "1234", "customer_email": "ada@example.com"},
    "receipt_email": "ada@example.com",
    "shipping": {
        "name": "Ada Lovelace",
        "phone": "+44 20 7946 0000",
        "address": {
            "line1": "12 St James's Square",
            "line2": "Flat 3",
            "city": "London",
            "state": "",
            "postal_code": "SW1Y 4JH",
            "country": "GB",
        },
    },
}


@cache
def _fixtures() -> dict[str, Any]:
    for path in _FIXTURE_PATHS:
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            return dict(data.get("resources", data))
    return {}


def _card_options() -> dict[str, Any]:
    return {
        "card": {
            "installments": None,
            "mandate_options": None,
            "network": None,
            "request_three_d_secure": "automatic",
        }
    }


def payment_intent(pi_id: str = "pi_3QbenchAAAAAAAAA0abcdEFG") -> dict[str, Any]:
    """A freshly created PaymentIntent as Stripe returns it for `PAYMENT_INTENT_PARAMS`."""
    base = copy.deepcopy(_fixtures().get("payment_intent", {}))
    base.update(
        {
            "id": pi_id,
            "object": "payment_intent",
            "amount": PAYMENT_INTENT_PARAMS["amount"],
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "automatic_payment_methods": None,
            "canceled_at": None,
            "capture_method": "automatic_async",
            "client_secret": f"{pi_id}_secret_Dm43xiq1k0ywrRRjDoi8y1gkMbenchAAAA",
            "confirmation_method": "automatic",
            "created": 1732550400,
            "currency": "usd",
            "customer": None,
            "description": PAYMENT_INTENT_PARAMS["description"],
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": dict(PAYMENT_INTENT_PARAMS["metadata"]),
            "next_action": None,
            "payment_method": None,
            "payment_method_configuration_details": None,
            "payment_method_options": _card_options(),
            "payment_method_types": ["card"],
            "processing": None,
            "receipt_email": PAYMENT_INTENT_PARAMS["receipt_email"],
            "shipping": {
                **copy.deepcopy(PAYMENT_INTENT_PARAMS["shipping"]),
                "carrier": None,
                "tracking_number": None,
            },
            "status": "requires_payment_method",
            "transfer_data": None,
        }
    )
    return base


def customer(index: int) -> dict[str, Any]:
    """Customer number `index`, as Stripe returns it (distinct id, e-mail and metadata)."""
    base = copy.deepcopy(_fixtures().get("customer", {}))
    cus_id = f"cus_bench{index:08d}"
    base.update(
        {
            "id": cus_id,
            "object": "customer",
            "created": 1732550400 + index,
            "email": f"customer{index}@example.com",
            "name": f"Customer {index}",
            "description": f"Benchmark customer {index}",
            "invoice_prefix": f"B{index:07d}",
            "livemode": False,
            "metadata": {"index": str(index)},
        }
    )
    return base


def dumps(obj: Any) -> bytes:
    """JSON as Stripe writes it: two-space indent, UTF-8."""
    return json.dumps(obj, indent=2).encode("utf-8")
