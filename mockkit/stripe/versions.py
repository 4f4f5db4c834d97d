"""Stripe API versions: which ones the fake knows, how they compare, how objects look at each.

A request names its version in `Stripe-Version` (stripe-python always sends one); without it
the account's default answers (`StripeFake(api_version=...)`, by default the version the
installed stripe-python pins). The state always holds objects in the current shape; what an
older version shows differently is rendered on the way out (`render`), and what an older
version does differently is decided by the resource's state with `before(version, ...)`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any, Protocol

from mockkit.stripe.errors import StripeError
from mockkit.stripe.objects import API_VERSION
from mockkit.stripe.store import Store

__all__ = [
    "ALLOWED_PAYMENT_METHOD_TYPES",
    "AUTOMATIC_PAYMENT_METHODS",
    "CHECKOUT_PAYMENT_INTENT_AT_COMPLETION",
    "KNOWN",
    "LATEST_CHARGE",
    "before",
    "check",
    "default_version",
    "renamed_params",
    "render",
    "render_event",
    "setting",
    "used",
]

#: The API versions the fake answers as, oldest first: the dated releases whose changes an app
#: can see through the emulated resources, and the releases stripe-python majors pin.
KNOWN: tuple[str, ...] = (
    "2020-08-27",
    "2022-08-01",
    "2022-11-15",
    "2023-08-16",
    "2023-10-16",
    "2024-04-10",
    "2024-06-20",
    "2024-09-30.acacia",
    "2024-10-28.acacia",
    "2024-11-20.acacia",
    "2024-12-18.acacia",
    "2025-01-27.acacia",
    "2025-02-24.acacia",
    "2025-03-31.basil",
    "2025-04-30.basil",
    "2025-05-28.basil",
    "2025-06-30.basil",
    "2025-07-30.basil",
    "2025-08-27.basil",
    "2025-09-30.clover",
    "2025-10-29.clover",
    "2025-11-17.clover",
    "2025-12-15.clover",
    "2026-01-28.clover",
    "2026-02-25.clover",
    "2026-03-25.dahlia",
    "2026-04-22.dahlia",
    "2026-05-27.dahlia",
    "2026-06-24.dahlia",
    "2026-07-29.dahlia",
    "2026-08-26.dahlia",
    "2026-09-30.endive",
    API_VERSION,
)

#: Checkout creates a session's PaymentIntent when the customer pays, not at creation.
CHECKOUT_PAYMENT_INTENT_AT_COMPLETION = "2022-08-01"
#: PaymentIntents show `latest_charge` instead of the `charges` list.
LATEST_CHARGE = "2022-11-15"
#: PaymentIntents enable automatic payment methods by default (and then need a `return_url`).
AUTOMATIC_PAYMENT_METHODS = "2023-08-16"
#: `payment_method_types` (a request parameter) became `allowed_payment_method_types`.
ALLOWED_PAYMENT_METHOD_TYPES = "2026-09-30.endive"

_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?")

#: Request parameters a version renamed, per endpoint: (old name, new name, version of the
#: change). The state keeps the old name; at and after the change only the new one is known.
_RENAMED: dict[tuple[str, str], tuple[tuple[str, str, str], ...]] = {
    (method, template): (
        ("payment_method_types", "allowed_payment_method_types", ALLOWED_PAYMENT_METHOD_TYPES),
    )
    for method, template in (
        ("POST", "/v1/payment_intents"),
        ("POST", "/v1/payment_intents/{id}"),
        ("POST", "/v1/checkout/sessions"),
    )
}


class StripeState(Protocol):
    """What rendering needs of an account (the state module depends on this one)."""

    stores: dict[str, Store]
    api_version: str


def _date(version: str) -> str:
    return version[:10]


def before(version: str, boundary: str) -> bool:
    """Whether `version` is older than the release `boundary` (compared by date)."""
    return _date(version) < _date(boundary)


def default_version() -> str:
    """The version the installed stripe-python pins (what it sends unless told otherwise)."""
    try:
        from stripe._api_version import _ApiVersion
    except ImportError:  # stripe-python is not installed, or keeps it elsewhere
        return API_VERSION
    pinned = str(_ApiVersion.CURRENT)
    return pinned if _SHAPE.fullmatch(pinned) else API_VERSION


def check(version: str) -> str:
    """`version` if the fake knows it, else Stripe's 400 for an invalid API version."""
    if version in KNOWN or version == default_version():
        return version
    if _SHAPE.fullmatch(version) and before(version, KNOWN[0]):
        raise StripeError(
            400,
            "invalid_request_error",
            f"mockkit's Stripe fake does not emulate API version {version}: the oldest it "
            f"answers as is {KNOWN[0]}. Set `stripe.api_version` (or "
            "`StripeClient(..., stripe_version=...)`) to a newer one.",
        )
    raise StripeError(
        400,
        "invalid_request_error",
        f"Invalid Stripe API version: {version}. Versions look like {API_VERSION}; "
        "see https://docs.stripe.com/upgrades for the list.",
    )


def setting(version: str) -> str:
    """`version` if the fake knows it, else `ValueError` (for versions set in Python)."""
    try:
        return check(version)
    except StripeError as exc:
        raise ValueError(exc.message) from None


def used(named: str | None, state: StripeState) -> str:
    """The version an answer was made at: the one named, if valid, else the account's."""
    if named:
        with contextlib.suppress(StripeError):
            return check(named)
    return state.api_version


def renamed_params(
    method: str, template: str, raw: Mapping[str, Any], version: str
) -> dict[str, Any]:
    """`raw` with a renamed request parameter under the name the state uses, for this version.

    The name a version does not know is Stripe's "Received unknown parameter", naming the one
    it does know. `raw` itself is left as sent (the request log shows it).
    """
    out = dict(raw)
    for old, new, since in _RENAMED.get((method, template), ()):
        unknown, known = (new, old) if before(version, since) else (old, new)
        if unknown in out:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Received unknown parameter: {unknown}. Did you mean {known}? "
                f"(API version {version} names it `{known}`.)",
                param=unknown,
                code="parameter_unknown",
            )
        if new in out:
            out[old] = out.pop(new)
    return out


def _charges_list(state: StripeState, pi: Mapping[str, Any]) -> dict[str, Any]:
    charges = [
        dict(c) for c in state.stores["charge"].by_id.values() if c["payment_intent"] == pi["id"]
    ]
    charges.sort(key=lambda c: c["created"], reverse=True)
    return {
        "object": "list",
        "data": charges,
        "has_more": False,
        "total_count": len(charges),
        "url": f"/v1/charges?payment_intent={pi['id']}",
    }


def render(state: StripeState, obj: Any, version: str) -> Any:
    """`obj` (an answer: object, list, expanded tree) as `version` shows it; never mutated.

    Events keep the version they were rendered at for the account (see `render_event`).
    """
    if state.api_version == API_VERSION and not before(version, LATEST_CHARGE):
        # Nothing at these versions differs from the stored shape: answer without a walk.
        return obj
    return _render(state, obj, version)


def _render(state: StripeState, obj: Any, version: str) -> Any:
    if isinstance(obj, list):
        return [_render(state, item, version) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if obj.get("object") == "event":
        return render_event(state, obj, state.api_version)
    out = {key: _render(state, value, version) for key, value in obj.items()}
    if out.get("object") == "payment_intent" and before(version, LATEST_CHARGE):
        out.pop("latest_charge", None)
        out["charges"] = _charges_list(state, out)
    return out


def render_event(state: StripeState, event: Mapping[str, Any], version: str) -> dict[str, Any]:
    """An Event as a webhook endpoint (or the API) at `version` receives it."""
    data = dict(event["data"])
    data["object"] = _render(state, data["object"], version)
    return {**event, "api_version": version, "data": data}
