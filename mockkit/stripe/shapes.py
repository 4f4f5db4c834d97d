"""Objects as each API version shows them: fields it lacks left out, fields it had put back.

The state keeps every object in the current shape. At an older version, `shape` leaves out the
fields (dotted paths) that version does not have yet, and puts back the ones later versions
removed, computed from the current shape: before `2025-03-31.basil` a subscription has
`current_period_start` / `current_period_end` and a single `discount`, an invoice its
`subscription`, `payment_intent`, `charge`, `paid`, `discount`; invoice lines their `price`,
`type` and `proration`; a PaymentIntent and a charge their `invoice`; before
`2025-09-30.clover` a discount and a promotion code name their `coupon` (the whole object);
before `2026-03-25.dahlia` a Checkout Session's `ui_mode` is `hosted`, not `hosted_page`.
Which version has which field is data (`mockkit.stripe.apitable`, from stripe-python's own
classes); how an old field is computed is `REMOVED` below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from mockkit.stripe import apitable
from mockkit.stripe.store import Store

__all__ = ["REMOVED", "RENAMED_VALUES", "shape"]

Obj = Mapping[str, Any]


class _State(Protocol):
    stores: dict[str, Store]


Renderer = Callable[[_State, Obj], Any]


def _get(state: _State, kind: str, oid: Any) -> dict[str, Any] | None:
    if isinstance(oid, Mapping):
        return dict(oid)
    if not isinstance(oid, str):
        return None
    found = state.stores[kind].by_id.get(oid) if kind in state.stores else None
    return dict(found) if found is not None else None


def _first_item_period(edge: str) -> Renderer:
    def value(state: _State, sub: Obj) -> Any:
        items = (sub.get("items") or {}).get("data") or []
        return items[0].get(f"current_period_{edge}") if items else None

    return value


def _first_discount(state: _State, obj: Obj) -> Any:
    # The single `discount` of old versions: the object's first discount, whole.
    discounts = obj.get("discounts") or []
    return _get(state, "discount", discounts[0]) if discounts else None


def _subscription_details(obj: Obj) -> Mapping[str, Any]:
    parent = obj.get("parent") or {}
    return parent.get("subscription_details") or {}


def _invoice_payment_intent(state: _State, invoice: Obj) -> str | None:
    paid = [
        p
        for p in state.stores["invoice_payment"].by_id.values()
        if p["invoice"] == invoice["id"] and (p.get("payment") or {}).get("payment_intent")
    ]
    if not paid:
        return None
    paid.sort(key=lambda p: (p.get("is_default", False), p["created"]))
    pi = paid[-1]["payment"]["payment_intent"]
    return pi if isinstance(pi, str) else pi.get("id")


def _invoice_charge(state: _State, invoice: Obj) -> Any:
    pi = _get(state, "payment_intent", _invoice_payment_intent(state, invoice))
    return pi.get("latest_charge") if pi else None


def _invoice_of_payment_intent(state: _State, pi_id: Any) -> str | None:
    for p in state.stores["invoice_payment"].by_id.values():
        payment = p.get("payment") or {}
        if payment.get("payment_intent") == pi_id:
            return str(p["invoice"])
    return None


def _line_price(state: _State, line: Obj) -> Any:
    price = ((line.get("pricing") or {}).get("price_details") or {}).get("price")
    return _get(state, "price", price)


def _line_plan(state: _State, line: Obj) -> Any:
    price = _line_price(state, line)
    if not price or not price.get("recurring"):
        return None
    item = _get(state, "subscription_item", _line_parent(line).get("subscription_item"))
    return item.get("plan") if item else None


def _line_parent(line: Obj) -> Mapping[str, Any]:
    parent = line.get("parent") or {}
    return parent.get("subscription_item_details") or parent.get("invoice_item_details") or {}


def _line_type(state: _State, line: Obj) -> str:
    parent = line.get("parent") or {}
    return "subscription" if parent.get("type") == "subscription_item_details" else "invoiceitem"


def _none(state: _State, obj: Obj) -> None:
    return None


def _empty(state: _State, obj: Obj) -> list[Any]:
    return []


def _unit_amount(state: _State, item: Obj) -> Any:
    decimal = (item.get("pricing") or {}).get("unit_amount_decimal")
    try:
        return int(float(decimal)) if decimal is not None else None
    except ValueError:
        return None


#: The fields later versions removed, per object kind, and how the current shape gives each.
#: A field is shown at the versions the table (`apitable.field_spans`) says have it.
REMOVED: dict[str, dict[str, Renderer]] = {
    "subscription": {
        "current_period_start": _first_item_period("start"),
        "current_period_end": _first_item_period("end"),
        "discount": _first_discount,
    },
    "invoice": {
        "subscription": lambda s, o: _subscription_details(o).get("subscription"),
        "subscription_details": lambda s, o: (
            {"metadata": _subscription_details(o).get("metadata")}
            if _subscription_details(o)
            else None
        ),
        "subscription_proration_date": lambda s, o: _subscription_details(o).get(
            "subscription_proration_date"
        ),
        "payment_intent": _invoice_payment_intent,
        "charge": _invoice_charge,
        "paid": lambda s, o: o.get("status") == "paid",
        "paid_out_of_band": lambda s, o: bool(
            o.get("status") == "paid"
            and o.get("amount_paid")
            and _invoice_payment_intent(s, o) is None
        ),
        "discount": _first_discount,
        "application_fee_amount": _none,
        "quote": _none,
        "tax": _none,
        "total_tax_amounts": _empty,
        "transfer_data": _none,
    },
    "line_item": {
        "type": _line_type,
        "price": _line_price,
        "plan": _line_plan,
        "proration": lambda s, o: bool(_line_parent(o).get("proration")),
        "proration_details": lambda s, o: (
            _line_parent(o).get("proration_details") or {"credited_items": None}
        ),
        "invoice_item": lambda s, o: _line_parent(o).get("invoice_item"),
        "subscription_item": lambda s, o: _line_parent(o).get("subscription_item"),
        "amount_excluding_tax": lambda s, o: o.get("amount"),
        "unit_amount_excluding_tax": lambda s, o: (o.get("pricing") or {}).get(
            "unit_amount_decimal"
        ),
        "tax_amounts": _empty,
        "tax_rates": _empty,
    },
    "invoiceitem": {
        "price": _line_price,
        "plan": _none,
        "subscription": lambda s, o: (
            (o.get("parent") or {}).get("subscription_details") or {}
        ).get("subscription"),
        "subscription_item": lambda s, o: (
            (o.get("parent") or {}).get("subscription_details") or {}
        ).get("subscription_item"),
        "unit_amount": _unit_amount,
        "unit_amount_decimal": lambda s, o: (o.get("pricing") or {}).get("unit_amount_decimal"),
    },
    "payment_intent": {"invoice": lambda s, o: _invoice_of_payment_intent(s, o.get("id"))},
    "charge": {"invoice": lambda s, o: _invoice_of_payment_intent(s, o.get("payment_intent"))},
    "checkout.session": {
        "shipping_details": lambda s, o: (o.get("collected_information") or {}).get(
            "shipping_details"
        ),
    },
    "discount": {
        "coupon": lambda s, o: _get(s, "coupon", (o.get("source") or {}).get("coupon")),
    },
    "promotion_code": {
        "coupon": lambda s, o: _get(s, "coupon", (o.get("promotion") or {}).get("coupon")),
    },
}


#: Values a version renamed, per object kind and field: the first version with the new names,
#: and each current value's name before it.
RENAMED_VALUES: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    # dahlia renamed Checkout's UI modes (stripe-python 15's `ui_mode` Literal).
    "checkout.session": {
        "ui_mode": ("2026-03-25.dahlia", {"hosted_page": "hosted", "embedded_page": "embedded"})
    },
}


def _drop(
    obj: dict[str, Any], spans: Mapping[str, apitable.Span], version: str, prefix: str
) -> None:
    for key in list(obj):
        path = prefix + key
        span = spans.get(path)
        if span is not None and not apitable.known(span, version):
            del obj[key]
            continue
        value = obj[key]
        children = value if isinstance(value, list) else [value]
        for child in children:
            # A nested hash of this object (not another object, which is shaped as its kind).
            if isinstance(child, dict) and "object" not in child:
                _drop(child, spans, version, path + ".")


def shape(
    state: _State,
    original: Obj,
    rendered: dict[str, Any],
    version: str,
    render: Callable[[Any], Any],
) -> dict[str, Any]:
    """`rendered` (the object's fields, each already shaped) as `version` shows a `kind`.

    Old fields are computed from `original`, the object in the current shape, and shaped by
    `render` (an old invoice's `discount` is a discount as that version shows one).
    """
    kind = original.get("object")
    if not isinstance(kind, str):
        return rendered
    for name, (since, older) in RENAMED_VALUES.get(kind, {}).items():
        value = rendered.get(name)
        if isinstance(value, str) and value in older and apitable.before(version, since):
            rendered[name] = older[value]
    spans = apitable.field_spans(kind)
    if not spans or original.get("deleted"):
        return rendered  # a deletion stub is alike at every version
    added = {
        name: render(compute(state, original))
        for name, compute in REMOVED.get(kind, {}).items()
        if name in spans and apitable.known(spans[name], version) and name not in original
    }
    _drop(rendered, spans, version, "")
    rendered.update(added)
    return rendered
