"""Which payment method types a PaymentIntent, SetupIntent or Checkout Session takes, per version.

The fake emulates cards only, so every type list it keeps is `["card"]`; what versions change
is whether an intent made without a list takes cards only or automatic payment methods
(`AUTOMATIC_PAYMENT_METHODS`, 2023-08-16), and what the list is called (`payment_method_types`,
`allowed_payment_method_types` from endive; `mockkit.stripe.versions` moves either to the name
the state reads). Another type asked for, or cards excluded, is refused as not emulated, naming
the parameter; other excluded types are honoured: they are not in the automatic set (cards).
"""

from __future__ import annotations

from typing import Any

from mockkit.stripe.errors import not_emulated
from mockkit.stripe.versions import ALLOWED_PAYMENT_METHOD_TYPES, AUTOMATIC_PAYMENT_METHODS, before

__all__ = ["allowed", "changes", "check_excluded", "check_listed", "for_new", "listed_name"]

#: What the automatic set holds in the fake: the payment method types it emulates.
AUTOMATIC_SET = ("card",)


def listed_name(version: str) -> str:
    """What `version` calls the list of types a request allows (renamed by endive)."""
    if before(version, ALLOWED_PAYMENT_METHOD_TYPES):
        return "payment_method_types"
    return "allowed_payment_method_types"


def allowed(types: Any) -> list[str] | None:
    """The object's `allowed_payment_method_types`: the list the request gave, else null.

    Stripe shows the types the request allowed (its `payment_method_types` field is what it
    picked from them); an intent or session made without a list shows null. Versions before
    the field (dahlia for intents, endive for Checkout) never see it (`mockkit.stripe.shapes`).
    """
    return list(types) if types else None


def check_listed(types: Any, name: str) -> None:
    """Refuse a type other than `card` in the list `name` of a request."""
    for i, kind in enumerate(types or ()):
        if kind != "card":
            raise not_emulated(f"{kind} payments (cards only)", f"{name}[{i}]")


def check_excluded(excluded: Any) -> list[str] | None:
    """`excluded_payment_method_types` as the object shows it (None when empty).

    The listed types are taken out of the automatic set: excluding `card` would leave the fake
    nothing it emulates, so that is refused; any other type is not in the set to begin with.
    """
    for i, kind in enumerate(excluded or ()):
        if kind in AUTOMATIC_SET:
            raise not_emulated(
                "payments without cards (it emulates only card payments)",
                f"excluded_payment_method_types[{i}]",
            )
    return list(excluded) if excluded else None


def for_new(
    types: Any, automatic: Any, version: str, name: str | None = None
) -> tuple[list[str], dict[str, Any] | None]:
    """A new intent's `(payment_method_types, automatic_payment_methods)`.

    `types` is the list the request allows (checked: cards only), `automatic` its
    `automatic_payment_methods`. Without either, an intent made before 2023-08-16 takes cards
    only (and so never needs a `return_url`); from then on automatic payment methods are on.
    """
    check_listed(types, name or listed_name(version))
    if types or (
        automatic.get("enabled") is False
        if automatic is not None
        else before(version, AUTOMATIC_PAYMENT_METHODS)
    ):
        return ["card"], None
    return ["card"], {
        "allow_redirects": (automatic or {}).get("allow_redirects") or "always",
        "enabled": True,
    }


def changes(p: dict[str, Any], key: str, version: str, name: str | None = None) -> dict[str, Any]:
    """What an update or a confirm's type parameters change on an intent.

    `key` is the request's list under the name the state reads: given, the intent takes cards
    only (automatic payment methods off); `excluded_payment_method_types` replaces the
    intent's own (empty clears it).
    """
    check_listed(p.get(key), name or listed_name(version))
    out: dict[str, Any] = {}
    if p.get(key):
        out.update(
            payment_method_types=["card"],
            allowed_payment_method_types=allowed(p[key]),
            automatic_payment_methods=None,
        )
    if "excluded_payment_method_types" in p:
        out["excluded_payment_method_types"] = check_excluded(p["excluded_payment_method_types"])
    return out
