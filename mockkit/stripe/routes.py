"""The Stripe endpoints the fake answers: for each, its parameters and a thin handler.

A handler takes the state and the validated parameters and returns the object to answer with
(or raises `StripeError`). Decoding, auth, idempotency, `expand` and encoding happen once, in
`StripeFake.dispatch`, for every endpoint alike.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mockkit.fake import Route, Routes
from mockkit.http import Response
from mockkit.stripe.errors import no_such, param_error
from mockkit.stripe.objects import list_object
from mockkit.stripe.params import (
    ANY,
    BOOL,
    DECIMAL,
    EXPAND,
    INT,
    METADATA,
    STR,
    Arr,
    Coercer,
    Enum,
    Int,
    Obj,
    Str,
)
from mockkit.stripe.state import StripeState

__all__ = ["ROUTES", "Endpoint", "FastRoutes", "check_expand", "expand", "paginate"]

Handler = Callable[..., Any]


@dataclass
class Endpoint:
    """One emulated endpoint: its parameter spec, required names, handler and resource kind."""

    spec: Mapping[str, Coercer]
    required: tuple[str, ...]
    handler: Handler
    #: The kind of object answered (for `expand`); "list:<kind>" for list endpoints.
    kind: str


class FastRoutes(Routes):
    """`Routes` with templated paths bucketed by method and segment count.

    The base class tries every templated route's regex in turn; bucketing keeps a lookup to
    the two or three routes that could match, whatever the number of endpoints.
    """

    def __init__(self) -> None:
        super().__init__()
        self._buckets: dict[tuple[str, int, str], list[Route]] = {}

    def add(self, method: str, template: str, handler: Callable[..., Response]) -> None:
        """Add a route (see `Routes.add`)."""
        super().add(method, template, handler)
        if "{" in template:
            segments = template.split("/")
            key = (method.upper(), len(segments), segments[2])
            self._buckets.setdefault(key, []).append(self._templated[-1])

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for `method path` and its parameters, or None."""
        route = self._exact.get((method, path))
        if route is not None:
            return route, {}
        segments = path.split("/")
        if len(segments) < 3:
            return None
        for route in self._buckets.get((method, len(segments), segments[2]), ()):
            m = route.regex.match(path)
            if m:
                return route, m.groupdict()
        return None


ROUTES = FastRoutes()
ENDPOINTS: dict[int, Endpoint] = {}


def endpoint(
    method: str,
    template: str,
    spec: Mapping[str, Coercer] | None = None,
    required: tuple[str, ...] = (),
    kind: str = "",
) -> Callable[[Handler], Handler]:
    """Register a handler for `method template` with its parameter spec."""

    def decorate(fn: Handler) -> Handler:
        full: dict[str, Coercer] = {"expand": EXPAND, **(spec or {})}
        ep = Endpoint(full, required, fn, kind)
        ROUTES.add(method, template, fn)
        ENDPOINTS[id(fn)] = ep
        return fn

    return decorate


def endpoint_for(handler: Handler) -> Endpoint:
    """The `Endpoint` registered for a route's handler."""
    return ENDPOINTS[id(handler)]


# --------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------

_CREATED = Obj({"gt": INT, "gte": INT, "lt": INT, "lte": INT})


def _created(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return _CREATED(value, name)
    number = INT(value, name)
    return {"gte": number, "lte": number}


LIST_SPEC: dict[str, Coercer] = {
    "limit": Int(1, 100),
    "starting_after": STR,
    "ending_before": STR,
    "created": _created,
}


def paginate(
    s: StripeState,
    kind: str,
    p: dict[str, Any],
    url: str,
    filters: Mapping[str, Any] | None = None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """A list envelope of `kind`, newest first, honouring limit and both cursors.

    `filters` are exact matches on top-level fields (None values are ignored); `keep` is any
    further predicate.
    """
    store = s.stores[kind]
    after, before = p.get("starting_after"), p.get("ending_before")
    if after is not None and before is not None:
        raise param_error(
            "You may only specify one of these parameters: ending_before, starting_after.",
            "ending_before",
        )
    for name, cursor in (("starting_after", after), ("ending_before", before)):
        if cursor is not None and cursor not in store.pos:
            raise no_such(kind, cursor, name, 400)
    checks = [(k, v) for k, v in (filters or {}).items() if v is not None]
    created = p.get("created")
    extra = keep
    if checks or created or extra:

        def keep(obj: dict[str, Any]) -> bool:
            if extra is not None and not extra(obj):
                return False
            for key, value in checks:
                if obj.get(key) != value:
                    return False
            if created:
                c = obj["created"]
                if "gt" in created and not c > created["gt"]:
                    return False
                if "gte" in created and not c >= created["gte"]:
                    return False
                if "lt" in created and not c < created["lt"]:
                    return False
                if "lte" in created and not c <= created["lte"]:
                    return False
            return True

    limit = p.get("limit") or 10
    data, has_more = store.page(limit, after, before, keep)
    return list_object(data, url, has_more)


# --------------------------------------------------------------------------------------------
# Expansion
# --------------------------------------------------------------------------------------------

#: kind -> field -> what it expands to: a stored kind, "hash:<kind>" for a nested hash whose own
#: fields expand, or "line_items".
EXPANDABLE: dict[str, dict[str, str]] = {
    "customer": {
        "invoice_settings": "hash:customer.invoice_settings",
        "default_source": "payment_method",
    },
    "customer.invoice_settings": {"default_payment_method": "payment_method"},
    "payment_method": {"customer": "customer"},
    "product": {"default_price": "price"},
    "price": {"product": "product"},
    "payment_intent": {
        "customer": "customer",
        "latest_charge": "charge",
        "payment_method": "payment_method",
    },
    "charge": {
        "customer": "customer",
        "payment_intent": "payment_intent",
        "refunds": "hash:list:refund",
    },
    "list:refund": {"data": "hash:refund"},
    "refund": {"charge": "charge", "payment_intent": "payment_intent"},
    "checkout.session": {
        "customer": "customer",
        "payment_intent": "payment_intent",
        "line_items": "line_items",
    },
    "item": {"price": "hash:price"},
    "event": {},
}


def check_expand(kind: str, paths: list[str]) -> None:
    """Refuse paths that cannot be expanded, before the request changes anything.

    Stripe validates `expand` up front: a create with a bad path creates nothing.
    """
    for path in paths:
        segments = path.split(".")
        if len(segments) > 4:
            raise param_error(
                f"You cannot expand more than 4 levels of a property. Property: {path}", "expand"
            )
        current = kind
        for i, field in enumerate(segments):
            if current.startswith("list:"):
                if field != "data":
                    hint = (
                        f" You may want to try expanding 'data.{path}' instead." if i == 0 else ""
                    )
                    raise param_error(f"This property cannot be expanded ({path}).{hint}", "expand")
                if i == len(segments) - 1:
                    raise param_error(f"This property cannot be expanded ({path}).", "expand")
                current = current[5:]
                continue
            target = EXPANDABLE.get(current, {}).get(field)
            if target is None:
                raise param_error(f"This property cannot be expanded ({path}).", "expand")
            if target == "line_items":
                current = "list:item"
            elif target.startswith("hash:"):
                if i == len(segments) - 1:
                    raise param_error(f"This property cannot be expanded ({path}).", "expand")
                current = target[5:]
            else:
                current = target


def expand(s: StripeState, obj: dict[str, Any], kind: str, paths: list[str]) -> dict[str, Any]:
    """`obj` with each dotted path in `paths` expanded (objects are copied, never changed)."""
    for path in paths:
        segments = path.split(".")
        if len(segments) > 4:
            raise param_error(
                f"You cannot expand more than 4 levels of a property. Property: {path}", "expand"
            )
        if kind.startswith("list:") and segments[0] != "data":
            raise param_error(
                f"This property cannot be expanded ({path}). You may want to try expanding "
                f"'data.{path}' instead.",
                "expand",
            )
        obj = _expand(s, obj, kind, segments, path)
    return obj


def _expand(
    s: StripeState, obj: dict[str, Any], kind: str, segments: list[str], path: str
) -> dict[str, Any]:
    field, rest = segments[0], segments[1:]
    if kind.startswith("list:") and field == "data":
        item_kind = kind[5:]
        if not rest:
            raise param_error(f"This property cannot be expanded ({path}).", "expand")
        out = obj.copy()
        out["data"] = [_expand(s, item, item_kind, rest, path) for item in obj["data"]]
        return out
    target = EXPANDABLE.get(kind, {}).get(field)
    if target is None:
        raise param_error(f"This property cannot be expanded ({path}).", "expand")
    value = obj.get(field)
    sub_kind = target
    if target == "line_items":
        items = s.line_items(obj["id"])
        value = list_object(items[:100], f"/v1/checkout/sessions/{obj['id']}/line_items")
        sub_kind = "list:item"
    elif target.startswith("hash:"):
        sub_kind = target[5:]
        if not rest:
            raise param_error(f"This property cannot be expanded ({path}).", "expand")
    elif isinstance(value, str):
        found = s.stores[target].by_id.get(value)
        if found is not None:
            value = found
        elif target == "customer":
            value = {"id": value, "object": "customer", "deleted": True}
    if rest and isinstance(value, dict):
        value = _expand(s, value, sub_kind, rest, path)
    out = obj.copy()
    out[field] = value
    return out


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------

ADDRESS = Obj(
    {
        "city": STR,
        "country": STR,
        "line1": STR,
        "line2": STR,
        "postal_code": STR,
        "state": STR,
    }
)
CUSTOMER_SPEC: dict[str, Coercer] = {
    "email": Str(512),
    "name": Str(256),
    "description": STR,
    "phone": Str(20),
    "metadata": METADATA,
    "address": ADDRESS,
    "shipping": Obj({"address": ADDRESS, "name": STR, "phone": STR}),
    "preferred_locales": Arr(STR),
    "balance": INT,
    "tax_exempt": Enum("none", "exempt", "reverse"),
    "invoice_settings": Obj(
        {
            "default_payment_method": STR,
            "custom_fields": ANY,
            "footer": STR,
            "rendering_options": ANY,
        }
    ),
}


@endpoint("POST", "/v1/customers", {**CUSTOMER_SPEC, "payment_method": STR}, kind="customer")
def create_customer(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a customer."""
    return s.create_customer(p)


@endpoint("GET", "/v1/customers/{id}", kind="customer")
def retrieve_customer(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a customer (a deleted one answers its deleted stub, as Stripe does)."""
    if id in s.deleted_customers:
        return {"id": id, "object": "customer", "deleted": True}
    return s.get("customer", id)


@endpoint("POST", "/v1/customers/{id}", CUSTOMER_SPEC, kind="customer")
def update_customer(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a customer."""
    return s.update_customer(id, p)


@endpoint("DELETE", "/v1/customers/{id}", kind="deleted")
def delete_customer(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Delete a customer."""
    return s.delete_customer(id)


@endpoint("GET", "/v1/customers", {**LIST_SPEC, "email": Str(512)}, kind="list:customer")
def list_customers(s: StripeState, p: dict[str, Any]) -> Any:
    """List customers, newest first."""
    return paginate(s, "customer", p, "/v1/customers", {"email": p.get("email")})


@endpoint(
    "GET",
    "/v1/customers/{id}/payment_methods",
    {**LIST_SPEC, "type": STR, "allow_redisplay": STR},
    kind="list:payment_method",
)
def list_customer_payment_methods(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """List a customer's payment methods."""
    s.get("customer", id)
    return paginate(
        s,
        "payment_method",
        p,
        f"/v1/customers/{id}/payment_methods",
        {"customer": id, "type": p.get("type")},
    )


# --------------------------------------------------------------------------------------------
# Payment methods
# --------------------------------------------------------------------------------------------

BILLING = Obj({"address": ADDRESS, "email": STR, "name": STR, "phone": STR, "tax_id": STR})


@endpoint(
    "POST",
    "/v1/payment_methods",
    {
        "type": STR,
        "card": Obj({"token": STR, "number": STR, "exp_month": INT, "exp_year": INT, "cvc": STR}),
        "billing_details": BILLING,
        "metadata": METADATA,
        "allow_redisplay": Enum("always", "limited", "unspecified"),
    },
    ("type",),
    kind="payment_method",
)
def create_payment_method(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a card PaymentMethod from a test token or test card number."""
    return s.create_payment_method(p)


@endpoint("GET", "/v1/payment_methods/{id}", kind="payment_method")
def retrieve_payment_method(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a PaymentMethod (`pm_card_visa` and friends yield a new test card)."""
    return s.payment_method(id, "id", 404)


@endpoint(
    "POST",
    "/v1/payment_methods/{id}",
    {
        "billing_details": BILLING,
        "metadata": METADATA,
        "allow_redisplay": Enum("always", "limited", "unspecified"),
    },
    kind="payment_method",
)
def update_payment_method(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a PaymentMethod."""
    return s.update_payment_method(id, p)


@endpoint(
    "POST",
    "/v1/payment_methods/{id}/attach",
    {"customer": STR},
    ("customer",),
    kind="payment_method",
)
def attach_payment_method(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Attach a PaymentMethod to a customer."""
    return s.attach_payment_method(id, p["customer"])


@endpoint("POST", "/v1/payment_methods/{id}/detach", kind="payment_method")
def detach_payment_method(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Detach a PaymentMethod from its customer."""
    return s.detach_payment_method(id)


@endpoint(
    "GET",
    "/v1/payment_methods",
    {**LIST_SPEC, "customer": STR, "type": STR},
    kind="list:payment_method",
)
def list_payment_methods(s: StripeState, p: dict[str, Any]) -> Any:
    """List PaymentMethods (by customer, as Stripe requires for card methods)."""
    if p.get("customer"):
        s.ref("customer", p["customer"], "customer")
    return paginate(
        s,
        "payment_method",
        p,
        "/v1/payment_methods",
        {"customer": p.get("customer"), "type": p.get("type")},
    )


# --------------------------------------------------------------------------------------------
# Products and prices
# --------------------------------------------------------------------------------------------

RECURRING = Obj(
    {
        "interval": Enum("day", "week", "month", "year"),
        "interval_count": Int(1, 365),
        "usage_type": Enum("licensed", "metered"),
        "trial_period_days": INT,
    },
    ("interval",),
)
PRODUCT_SPEC: dict[str, Coercer] = {
    "name": STR,
    "description": STR,
    "active": BOOL,
    "metadata": METADATA,
    "images": Arr(STR, 8),
    "url": STR,
    "shippable": BOOL,
    "statement_descriptor": Str(22),
    "unit_label": STR,
    "tax_code": STR,
}
PRICE_DATA = Obj(
    {
        "currency": STR,
        "unit_amount": Int(0),
        "unit_amount_decimal": DECIMAL,
        "recurring": RECURRING,
        "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
    },
    ("currency",),
)


@endpoint(
    "POST",
    "/v1/products",
    {**PRODUCT_SPEC, "id": STR, "default_price_data": PRICE_DATA},
    ("name",),
    kind="product",
)
def create_product(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a product."""
    return s.create_product(p)


@endpoint("GET", "/v1/products/{id}", kind="product")
def retrieve_product(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a product."""
    return s.get("product", id)


@endpoint("POST", "/v1/products/{id}", {**PRODUCT_SPEC, "default_price": STR}, kind="product")
def update_product(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a product."""
    return s.update_product(id, p)


@endpoint("DELETE", "/v1/products/{id}", kind="deleted")
def delete_product(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Delete a product that no price uses."""
    return s.delete_product(id)


@endpoint(
    "GET",
    "/v1/products",
    {**LIST_SPEC, "active": BOOL, "ids": Arr(STR), "shippable": BOOL, "url": STR},
    kind="list:product",
)
def list_products(s: StripeState, p: dict[str, Any]) -> Any:
    """List products."""
    result = paginate(s, "product", p, "/v1/products", {"active": p.get("active")})
    if p.get("ids"):
        result["data"] = [o for o in result["data"] if o["id"] in p["ids"]]
    return result


PRICE_SPEC: dict[str, Coercer] = {
    "currency": STR,
    "unit_amount": Int(0),
    "unit_amount_decimal": DECIMAL,
    "product": STR,
    "product_data": Obj(
        {
            "name": STR,
            "active": BOOL,
            "metadata": METADATA,
            "statement_descriptor": Str(22),
            "unit_label": STR,
            "tax_code": STR,
        },
        ("name",),
    ),
    "recurring": RECURRING,
    "nickname": STR,
    "lookup_key": Str(200),
    "active": BOOL,
    "metadata": METADATA,
    "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
    "billing_scheme": Enum("per_unit"),
}


@endpoint("POST", "/v1/prices", PRICE_SPEC, ("currency",), kind="price")
def create_price(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a price."""
    return s.create_price(p)


@endpoint("GET", "/v1/prices/{id}", kind="price")
def retrieve_price(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a price."""
    return s.get("price", id)


@endpoint(
    "POST",
    "/v1/prices/{id}",
    {"active": BOOL, "nickname": STR, "lookup_key": Str(200), "metadata": METADATA},
    kind="price",
)
def update_price(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a price."""
    return s.update_price(id, p)


@endpoint(
    "GET",
    "/v1/prices",
    {
        **LIST_SPEC,
        "product": STR,
        "active": BOOL,
        "type": Enum("one_time", "recurring"),
        "currency": STR,
        "lookup_keys": Arr(STR, 10),
    },
    kind="list:price",
)
def list_prices(s: StripeState, p: dict[str, Any]) -> Any:
    """List prices (by product, active, type, currency or lookup keys)."""
    filters = {k: p.get(k) for k in ("product", "active", "type", "currency")}
    result = paginate(s, "price", p, "/v1/prices", filters)
    if p.get("lookup_keys"):
        result["data"] = [o for o in result["data"] if o["lookup_key"] in p["lookup_keys"]]
    return result


# --------------------------------------------------------------------------------------------
# Payment intents
# --------------------------------------------------------------------------------------------

_CAPTURE = Enum("automatic", "automatic_async", "manual")
_SHIPPING = Obj(
    {"address": ADDRESS, "name": STR, "phone": STR, "carrier": STR, "tracking_number": STR}
)
PI_COMMON: dict[str, Coercer] = {
    "amount": Int(0),
    "currency": STR,
    "customer": STR,
    "description": Str(1000),
    "metadata": METADATA,
    "payment_method": STR,
    "payment_method_types": Arr(STR),
    "receipt_email": STR,
    "setup_future_usage": Enum("off_session", "on_session"),
    "shipping": _SHIPPING,
    "statement_descriptor": Str(22),
    "statement_descriptor_suffix": Str(22),
    "capture_method": _CAPTURE,
    "transfer_group": STR,
    "payment_method_options": ANY,
}
_CONFIRM_EXTRA: dict[str, Coercer] = {
    "return_url": STR,
    "off_session": BOOL,
    "error_on_requires_action": BOOL,
    "use_stripe_sdk": BOOL,
    "mandate_data": ANY,
    "payment_method_data": ANY,
}


@endpoint(
    "POST",
    "/v1/payment_intents",
    {
        **PI_COMMON,
        **_CONFIRM_EXTRA,
        "confirm": BOOL,
        "confirmation_method": Enum("automatic", "manual"),
        "automatic_payment_methods": Obj(
            {"enabled": BOOL, "allow_redirects": Enum("always", "never")}, ("enabled",)
        ),
    },
    ("amount", "currency"),
    kind="payment_intent",
)
def create_payment_intent(s: StripeState, p: dict[str, Any]) -> Any:
    """Create (and with `confirm=true`, confirm) a PaymentIntent."""
    pi, error = s.create_payment_intent(p)
    if error is not None:
        raise error
    return pi


@endpoint("GET", "/v1/payment_intents/{id}", {"client_secret": STR}, kind="payment_intent")
def retrieve_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a PaymentIntent."""
    return s.get("payment_intent", id)


@endpoint("POST", "/v1/payment_intents/{id}", PI_COMMON, kind="payment_intent")
def update_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a PaymentIntent."""
    return s.update_payment_intent(id, p)


@endpoint(
    "POST",
    "/v1/payment_intents/{id}/confirm",
    {
        **_CONFIRM_EXTRA,
        "payment_method": STR,
        "capture_method": _CAPTURE,
        "receipt_email": STR,
        "setup_future_usage": Enum("off_session", "on_session"),
        "shipping": _SHIPPING,
        "payment_method_options": ANY,
        "client_secret": STR,
    },
    kind="payment_intent",
)
def confirm_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Confirm a PaymentIntent: succeed, decline (402), or ask for authentication."""
    pi, error = s.confirm_payment_intent(id, p)
    if error is not None:
        raise error
    return pi


@endpoint(
    "POST",
    "/v1/payment_intents/{id}/capture",
    {
        "amount_to_capture": Int(1),
        "metadata": METADATA,
        "statement_descriptor": Str(22),
        "statement_descriptor_suffix": Str(22),
        "final_capture": BOOL,
    },
    kind="payment_intent",
)
def capture_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Capture an authorized PaymentIntent (fully, or partially with `amount_to_capture`)."""
    return s.capture_payment_intent(id, p)


@endpoint(
    "POST",
    "/v1/payment_intents/{id}/cancel",
    {"cancellation_reason": Enum("duplicate", "fraudulent", "requested_by_customer", "abandoned")},
    kind="payment_intent",
)
def cancel_payment_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Cancel a PaymentIntent."""
    return s.cancel_payment_intent(id, p)


@endpoint("GET", "/v1/payment_intents", {**LIST_SPEC, "customer": STR}, kind="list:payment_intent")
def list_payment_intents(s: StripeState, p: dict[str, Any]) -> Any:
    """List PaymentIntents (optionally of one customer)."""
    return paginate(s, "payment_intent", p, "/v1/payment_intents", {"customer": p.get("customer")})


# --------------------------------------------------------------------------------------------
# Charges and refunds
# --------------------------------------------------------------------------------------------


@endpoint("GET", "/v1/charges/{id}", kind="charge")
def retrieve_charge(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a charge."""
    return s.get("charge", id)


@endpoint(
    "POST",
    "/v1/charges/{id}",
    {"description": STR, "metadata": METADATA, "receipt_email": STR},
    kind="charge",
)
def update_charge(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a charge."""
    return s.update_charge(id, p)


@endpoint(
    "GET",
    "/v1/charges",
    {**LIST_SPEC, "customer": STR, "payment_intent": STR},
    kind="list:charge",
)
def list_charges(s: StripeState, p: dict[str, Any]) -> Any:
    """List charges (by customer or PaymentIntent)."""
    filters = {"customer": p.get("customer"), "payment_intent": p.get("payment_intent")}
    return paginate(s, "charge", p, "/v1/charges", filters)


@endpoint(
    "POST",
    "/v1/refunds",
    {
        "charge": STR,
        "payment_intent": STR,
        "amount": Int(1),
        "reason": Enum("duplicate", "fraudulent", "requested_by_customer"),
        "metadata": METADATA,
        "instructions_email": STR,
    },
    kind="refund",
)
def create_refund(s: StripeState, p: dict[str, Any]) -> Any:
    """Refund a charge or a PaymentIntent, fully or partly."""
    return s.create_refund(p)


@endpoint("GET", "/v1/refunds/{id}", kind="refund")
def retrieve_refund(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a refund."""
    return s.get("refund", id)


@endpoint("POST", "/v1/refunds/{id}", {"metadata": METADATA}, kind="refund")
def update_refund(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a refund's metadata."""
    return s.update_refund(id, p)


@endpoint(
    "GET",
    "/v1/refunds",
    {**LIST_SPEC, "charge": STR, "payment_intent": STR},
    kind="list:refund",
)
def list_refunds(s: StripeState, p: dict[str, Any]) -> Any:
    """List refunds (by charge or PaymentIntent)."""
    filters = {"charge": p.get("charge"), "payment_intent": p.get("payment_intent")}
    return paginate(s, "refund", p, "/v1/refunds", filters)


@endpoint("GET", "/v1/charges/{id}/refunds", LIST_SPEC, kind="list:refund")
def list_charge_refunds(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """List one charge's refunds."""
    s.get("charge", id)
    return paginate(s, "refund", p, f"/v1/charges/{id}/refunds", {"charge": id})


# --------------------------------------------------------------------------------------------
# Checkout sessions
# --------------------------------------------------------------------------------------------


def _http_url(value: Any, name: str) -> Any:
    """An absolute http(s) URL, as Stripe requires of redirect targets (else `url_invalid`).

    A `javascript:` or relative URL would otherwise end up as a link and a redirect on the
    served payment page.
    """
    url = Str(5000)(value, name)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or url != url.strip():
        raise param_error(
            f"Not a valid URL: {name} must be an absolute http or https URL.", name, "url_invalid"
        )
    return url


LINE_ITEM = Obj(
    {
        "price": STR,
        "price_data": Obj(
            {
                "currency": STR,
                "unit_amount": Int(0),
                "unit_amount_decimal": DECIMAL,
                "product": STR,
                "product_data": Obj(
                    {
                        "name": STR,
                        "description": STR,
                        "images": Arr(STR, 8),
                        "metadata": METADATA,
                        "tax_code": STR,
                    },
                    ("name",),
                ),
                "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
                "recurring": RECURRING,
            },
            ("currency",),
        ),
        "quantity": Int(1),
        "adjustable_quantity": ANY,
        "tax_rates": Arr(STR),
        "dynamic_tax_rates": Arr(STR),
    }
)


@endpoint(
    "POST",
    "/v1/checkout/sessions",
    {
        "mode": Enum("payment", "setup", "subscription"),
        "line_items": Arr(LINE_ITEM),
        "success_url": _http_url,
        "cancel_url": _http_url,
        "customer": STR,
        "customer_email": STR,
        "customer_creation": Enum("always", "if_required"),
        "client_reference_id": Str(200),
        "metadata": METADATA,
        "payment_intent_data": Obj(
            {
                "metadata": METADATA,
                "capture_method": _CAPTURE,
                "description": STR,
                "receipt_email": STR,
                "setup_future_usage": Enum("off_session", "on_session"),
                "statement_descriptor": Str(22),
                "statement_descriptor_suffix": Str(22),
                "transfer_group": STR,
                "shipping": _SHIPPING,
            }
        ),
        "payment_method_types": Arr(Enum("card")),
        "expires_at": INT,
        "locale": STR,
        "submit_type": Enum("auto", "book", "donate", "pay", "subscribe"),
        "billing_address_collection": Enum("auto", "required"),
        "allow_promotion_codes": BOOL,
        "ui_mode": Enum("hosted"),
        "automatic_tax": ANY,
        "phone_number_collection": ANY,
        "shipping_address_collection": ANY,
        "custom_text": ANY,
    },
    ("mode", "success_url"),
    kind="checkout.session",
)
def create_checkout_session(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a Checkout Session (mode=payment)."""
    return s.create_checkout_session(p)


@endpoint("GET", "/v1/checkout/sessions/{id}", kind="checkout.session")
def retrieve_checkout_session(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a Checkout Session (expiring it if its time has passed)."""
    return s.refresh_session(s.get("checkout.session", id))


@endpoint("POST", "/v1/checkout/sessions/{id}/expire", kind="checkout.session")
def expire_checkout_session(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Expire an open Checkout Session."""
    return s.expire_checkout_session(id)


@endpoint("GET", "/v1/checkout/sessions/{id}/line_items", LIST_SPEC, kind="list:item")
def list_checkout_line_items(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """List a Checkout Session's line items (in the order given, as Stripe answers them)."""
    items = s.line_items(id)
    ids = [li["id"] for li in items]
    start = 0
    after, before = p.get("starting_after"), p.get("ending_before")
    limit = p.get("limit") or 10
    if after is not None:
        if after not in ids:
            raise no_such("line item", after, "starting_after", 400)
        start = ids.index(after) + 1
    if before is not None:
        if before not in ids:
            raise no_such("line item", before, "ending_before", 400)
        end = ids.index(before)
        start = max(0, end - limit)
        chunk = items[start:end]
        return list_object(chunk, f"/v1/checkout/sessions/{id}/line_items", start > 0)
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return list_object(chunk, f"/v1/checkout/sessions/{id}/line_items", more)


@endpoint(
    "GET",
    "/v1/checkout/sessions",
    {
        **LIST_SPEC,
        "customer": STR,
        "payment_intent": STR,
        "status": Enum("open", "complete", "expired"),
        "payment_link": STR,
    },
    kind="list:checkout.session",
)
def list_checkout_sessions(s: StripeState, p: dict[str, Any]) -> Any:
    """List Checkout Sessions (by customer, PaymentIntent or status)."""
    filters = {k: p.get(k) for k in ("customer", "payment_intent", "status")}
    return paginate(s, "checkout.session", p, "/v1/checkout/sessions", filters)


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


@endpoint("GET", "/v1/events/{id}", kind="event")
def retrieve_event(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve an event."""
    return s.get("event", id)


@endpoint(
    "GET",
    "/v1/events",
    {
        **LIST_SPEC,
        "type": STR,
        "types": Arr(STR, 20),
        "delivery_success": BOOL,
    },
    kind="list:event",
)
def list_events(s: StripeState, p: dict[str, Any]) -> Any:
    """List events, newest first (`type` accepts a `*` wildcard, as Stripe's does)."""
    wanted = p.get("type")
    types = p.get("types")
    if not wanted and not types:
        return paginate(s, "event", p, "/v1/events")

    def keep(e: dict[str, Any]) -> bool:
        if wanted and not fnmatch.fnmatchcase(e["type"], wanted):
            return False
        return not types or e["type"] in types

    return paginate(s, "event", p, "/v1/events", keep=keep)
