"""Stripe API versions: which ones the fake knows, how they compare, how objects look at each.

A request names its version in `Stripe-Version` (stripe-python always sends one); without it
the account's default answers (`StripeFake(api_version=...)`, by default the version the
installed stripe-python pins). The state always holds objects in the current shape; what an
older version shows differently is rendered on the way out (`render`), and what an older
version does differently is decided by the resource's state with `before(version, ...)`.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mockkit.stripe import apitable, shapes
from mockkit.stripe.errors import StripeError, not_emulated
from mockkit.stripe.nested import refuse_nested
from mockkit.stripe.objects import API_VERSION
from mockkit.stripe.params import Coercer, Enum, Str
from mockkit.stripe.store import Store

__all__ = [
    "ALLOWED_PAYMENT_METHOD_TYPES",
    "AUTOMATIC_PAYMENT_METHODS",
    "BASIL",
    "BILLING_CYCLE_ANCHOR_HASH",
    "CHECKOUT_PAYMENT_INTENT_AT_COMPLETION",
    "KNOWN",
    "LATEST_CHARGE",
    "Renamed",
    "Reshaped",
    "before",
    "check",
    "checkout_pi_at_creation",
    "default_version",
    "refuse_unknown",
    "renamed",
    "renamed_params",
    "render",
    "render_event",
    "reshaped",
    "setting",
    "shown",
    "stripe_knows",
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
#: A subscription update's or resume's `billing_cycle_anchor` became a hash
#: (`billing_cycle_anchor[type]=now`); before, the string `now` / `unchanged`.
BILLING_CYCLE_ANCHOR_HASH = "2026-09-30.endive"

_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?")

#: BASIL: the Billing shapes moved (invoice payments, periods on items, `discounts` arrays).
BASIL = "2025-03-31.basil"


@dataclass(frozen=True)
class Renamed:
    """A request parameter that versions name differently; the state reads `state` (one of them).

    Which name a version knows comes from the table of Stripe's parameters (`stripe_knows`).
    The old name sent where only the new one is known is Stripe's `code` error if given, else
    "Received unknown parameter". `convert(value, what the state name holds already)` turns an
    old parameter's value into the state's form (`coupon=X` into `discounts[0][coupon]=X`).
    """

    old: str
    new: str
    state: str
    code: str | None = None
    convert: Callable[[Any, Any], Any] | None = None


def _append(entry: Callable[[Any], dict[str, Any]]) -> Callable[[Any, Any], Any]:
    """A converter adding one entry to an array parameter (decoded arrays are index dicts)."""

    def convert(value: Any, existing: Any) -> Any:
        items = dict(existing) if isinstance(existing, dict) else {}
        items[str(len(items))] = entry(value)
        return items

    return convert


#: Checkout's old name is "Received unknown parameter" from endive; the intents' old name is
#: Stripe's own `payment_method_types_no_longer_supported` (CL 2026-09-30 removes the
#: parameter from PaymentIntents and SetupIntents: create, update and confirm).
_PM_TYPES = Renamed("payment_method_types", "allowed_payment_method_types", "payment_method_types")
_NO_LONGER = "payment_method_types_no_longer_supported"
_PI_PM_TYPES = Renamed(
    "payment_method_types", "allowed_payment_method_types", "payment_method_types", _NO_LONGER
)
_SI_PM_TYPES = Renamed(
    "payment_method_types",
    "allowed_payment_method_types",
    "allowed_payment_method_types",
    _NO_LONGER,
)
# basil replaced a subscription's `coupon` / `promotion_code` with `discounts`, and an invoice
# item's `price` with `pricing[price]`; clover a promotion code's `coupon` with `promotion`.
_SUB_DISCOUNTS = (
    Renamed("coupon", "discounts", "discounts", convert=_append(lambda c: {"coupon": c})),
    Renamed(
        "promotion_code",
        "discounts",
        "discounts",
        convert=_append(lambda p: {"promotion_code": p}),
    ),
)
_ITEM_PRICE = Renamed("price", "pricing", "pricing", convert=lambda price, _: {"price": price})
#: Request parameters versions name differently, per endpoint.
_RENAMED: dict[tuple[str, str], tuple[Renamed, ...]] = {
    ("POST", "/v1/payment_intents"): (_PI_PM_TYPES,),
    ("POST", "/v1/payment_intents/{id}"): (_PI_PM_TYPES,),
    ("POST", "/v1/payment_intents/{id}/confirm"): (_PI_PM_TYPES,),
    ("POST", "/v1/checkout/sessions"): (_PM_TYPES,),
    ("POST", "/v1/setup_intents"): (_SI_PM_TYPES,),
    ("POST", "/v1/setup_intents/{id}"): (_SI_PM_TYPES,),
    ("POST", "/v1/subscriptions"): _SUB_DISCOUNTS,
    ("POST", "/v1/subscriptions/{id}"): _SUB_DISCOUNTS,
    ("POST", "/v1/invoiceitems"): (_ITEM_PRICE,),
    ("POST", "/v1/invoiceitems/{id}"): (_ITEM_PRICE,),
    ("POST", "/v1/promotion_codes"): (
        Renamed(
            "coupon",
            "promotion",
            "promotion",
            convert=lambda coupon, _: {"type": "coupon", "coupon": coupon},
        ),
    ),
}


@dataclass(frozen=True)
class Reshaped:
    """A request parameter whose form changed at `since`; the state reads the newer form.

    The parameter's name is the same at every version, so the table of Stripe's parameters
    (which knows names, not forms) cannot tell the forms apart: before `since`, the value is
    checked with `old` (Stripe's error for the other form) and turned into the newer form with
    `convert`; from `since` on, the endpoint's spec checks the newer form.
    """

    name: str
    since: str
    old: Coercer
    convert: Callable[[Any], Any]


def _anchor_string(value: Any, name: str) -> Any:
    """Before endive: `now` or `unchanged`, a string (a hash is Stripe's "Invalid string")."""
    text = Str()(value, name)
    return None if text is None else Enum("now", "unchanged")(text, name)


# endive (CL 2026-09-30 polymorphic-billing-cycle-anchor; stripe-python 16's
# `SubscriptionModifyParamsBillingCycleAnchor`): `billing_cycle_anchor=now` became
# `billing_cycle_anchor[type]=now` on update and resume. Creating one still takes a timestamp.
_ANCHOR = Reshaped(
    "billing_cycle_anchor", BILLING_CYCLE_ANCHOR_HASH, _anchor_string, lambda v: {"type": v}
)
#: Request parameters whose form versions differ on, per endpoint.
_RESHAPED: dict[tuple[str, str], tuple[Reshaped, ...]] = {
    ("POST", "/v1/subscriptions/{id}"): (_ANCHOR,),
    ("POST", "/v1/subscriptions/{id}/resume"): (_ANCHOR,),
}


def reshaped(method: str, template: str) -> tuple[Reshaped, ...]:
    """The parameters of `method template` whose form versions differ on."""
    return _RESHAPED.get((method, template), ())


def stripe_knows(method: str, template: str, name: str, version: str) -> bool | None:
    """Whether Stripe knows the request parameter `name` of `method template` at `version`.

    From `mockkit.stripe.apitable` (every stripe-python release's `*Params` types from 10 on).
    None when the table does not know the parameter there at any version (or the endpoint).
    """
    span = (apitable.param_spans(method, template) or {}).get(name)
    return None if span is None else apitable.known(span, version)


class StripeState(Protocol):
    """What rendering needs of an account (the state module depends on this one)."""

    stores: dict[str, Store]
    api_version: str


def checkout_pi_at_creation(version: str) -> bool:
    """Whether Checkout makes a `mode=payment` session's PaymentIntent with the session."""
    return before(version, CHECKOUT_PAYMENT_INTENT_AT_COMPLETION)


def before(version: str, boundary: str) -> bool:
    """Whether `version` is older than the release `boundary` (compared by date)."""
    return apitable.before(version, boundary)


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
    if _older_release(version):
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


def _older_release(version: str) -> bool:
    """Whether `version` could be one of Stripe's releases before the oldest the fake knows.

    Those are plain calendar dates (no release name) from Stripe's first versioned API in
    2011; anything else, such as `2019-13-01` or `2019-12-03.basil`, is not a version at all.
    """
    if not _SHAPE.fullmatch(version) or "." in version or not before(version, KNOWN[0]):
        return False
    try:
        return datetime.date.fromisoformat(version).year >= 2011
    except ValueError:
        return False


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


def renamed(method: str, template: str) -> tuple[Renamed, ...]:
    """The parameters of `method template` that versions name differently."""
    return _RENAMED.get((method, template), ())


def _unknown(name: str, known: str | None, version: str) -> StripeError:
    hint = f" Did you mean {known}? (API version {version} names it `{known}`.)" if known else ""
    return StripeError(
        400,
        "invalid_request_error",
        f"Received unknown parameter: {name}.{hint}",
        param=name,
        code="parameter_unknown",
    )


def renamed_params(
    method: str, template: str, raw: Mapping[str, Any], version: str
) -> dict[str, Any]:
    """`raw` as the state reads it, checked against what Stripe knows at `version`.

    A parameter the endpoint has at other versions but not at this one is Stripe's "Received
    unknown parameter" (naming the one it knows, for a renamed one); a renamed one is moved to
    the name the state reads, and one in an older form (`Reshaped`) is checked in that form
    and turned into the newer one. `raw` itself is left as sent (the request log shows it).
    """
    out = dict(raw)
    renames = _RENAMED.get((method, template), ())
    reshapes = _RESHAPED.get((method, template), ())
    if not renames and not reshapes:
        return out
    knows_at = _knowledge(method, template, version)[2]
    for shape in reshapes:
        if shape.name in out and before(version, shape.since):
            value = shape.old(out[shape.name], shape.name)
            if value is None:  # an empty value: as if not sent
                del out[shape.name]
            else:
                out[shape.name] = shape.convert(value)
    for r in renames:
        for sent, other in ((r.old, r.new), (r.new, r.old)):
            if sent in out and knows_at.get(sent) is False:
                if sent == r.old and r.code:
                    raise StripeError(
                        400,
                        "invalid_request_error",
                        f"The `{sent}` parameter is no longer supported in API version "
                        f"{version}: use `{other}` (or `automatic_payment_methods`).",
                        param=sent,
                        code=r.code,
                    )
                raise _unknown(sent, other, version)
        for name in (r.old, r.new):
            if name in out and name != r.state:
                value = out.pop(name)
                out[r.state] = r.convert(value, out.get(r.state)) if r.convert else value
    return out


def refuse_unknown(
    method: str, template: str, params: Mapping[str, Any], spec: Mapping[str, Any], version: str
) -> None:
    """Refuse what Stripe would at `version`, and what it knows but the fake does not emulate.

    A parameter of `spec` that Stripe knows at other versions of the endpoint but not at this
    one is "Received unknown parameter"; one outside `spec` that Stripe knows at this version
    is the fake's "not emulated" refusal naming it; nested parameters alike, at every depth
    (`refuse_nested`). The rest is `validate`'s to answer.
    """
    renamed, converted, knows_at = _knowledge(method, template, version)
    for name in params:
        if name in renamed:
            continue  # checked by `renamed_params`
        knows = knows_at.get(name)
        if name in spec:
            if knows is False:
                raise _unknown(name, None, version)
        elif knows:
            raise not_emulated(
                f"the parameter `{name}` of {method} {template} (Stripe knows it at API "
                f"version {version})",
                name,
            )
    refuse_nested(method, template, params, spec, version, skip=converted)


@functools.lru_cache(maxsize=1024)
def _knowledge(
    method: str, template: str, version: str
) -> tuple[frozenset[str], frozenset[str], dict[str, bool]]:
    """What `refuse_unknown` reads of the tables for one endpoint at one version, worked out
    once: the renamed parameters, those converted from another form at `version` (nothing
    nested in them was sent), and whether Stripe knows each parameter it has ever had there
    (`stripe_knows`; a name absent is one the table does not know). Bounded: the version is
    the client's."""
    renamed = frozenset(n for r in _RENAMED.get((method, template), ()) for n in (r.old, r.new))
    knows_at = {
        name: apitable.known(span, version)
        for name, span in (apitable.param_spans(method, template) or {}).items()
    }
    # A renamed parameter this version does not know was converted from the other name's
    # (plain) value, and a reshaped one from its older form.
    converted = {n for n in renamed if knows_at.get(n) is not True}
    converted |= {r.name for r in reshaped(method, template) if before(version, r.since)}
    return renamed, frozenset(converted), knows_at


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
    if not before(state.api_version, API_VERSION) and not before(version, API_VERSION):
        # Nothing at the current version differs from the stored shape: answer without a walk.
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
    if out.get("object") == "list" and isinstance(obj.get("data"), list):
        out["data"] = [
            shaped
            for shaped, item in zip(out["data"], obj["data"], strict=True)
            if shown(item, version)
        ]
    return shapes.shape(state, obj, out, version, lambda value: _render(state, value, version))


def shown(obj: Mapping[str, Any], version: str) -> bool:
    """Whether `version` has the object's kind (for an event, its object's kind).

    An InvoicePayment, say, arrived with basil: an older version lists none, nor their events.
    """
    kind = obj.get("object")
    if kind == "event":
        kind = ((obj.get("data") or {}).get("object") or {}).get("object")
    span = apitable.field_spans(kind).get("object") if isinstance(kind, str) else None
    return span is None or apitable.known(span, version)


def render_event(state: StripeState, event: Mapping[str, Any], version: str) -> dict[str, Any]:
    """An Event as a webhook endpoint (or the API) at `version` receives it."""
    data = dict(event["data"])
    data["object"] = _render(state, data["object"], version)
    if data.get("previous_attributes"):
        # The objects among the old values too (a subscription's previous `items`).
        data["previous_attributes"] = _render(state, data["previous_attributes"], version)
    return {**event, "api_version": version, "data": data}
