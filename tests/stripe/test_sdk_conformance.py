"""The installed stripe-python's own types judge the fake, endpoint by endpoint and field by field.

stripe-python ships, for the API version it pins, a `*Params` TypedDict per endpoint and a
typed resource class per object (`tests/stripe/sdk_types.py` reads them). For every endpoint
of the fake's route table:

- every parameter the fake accepts at the SDK's version is one the SDK declares there;
- every parameter the SDK declares that the fake does not emulate is refused with the fake's
  "not emulated" error naming it (one Stripe does not know stays "Received unknown parameter");
- the fake's table of Stripe's parameters (`mockkit/stripe/stripe_params.json`) agrees with the
  SDK at its version;
- the same at every depth of nested parameters, against the SDK's nested TypedDicts: a key the
  fake's spec takes below a hash is declared there; a key the SDK declares below a hash the
  fake takes, but the spec does not, is refused as not emulated under its full bracketed name
  (`line_items[0][price_data][product_data][unit_label]`); an unknown key below every hash the
  fake takes is "Received unknown parameter" (below a parameter taken as sent too).

And every field of every object the fake answers with is declared by the SDK's class for it,
with a value of the declared type at every depth (Literals of strings, ints and bools, a member
of each Optional / Union, each list item, each nested object field by field). The answers: one
of each kind made through the SDK (every Checkout mode, the Billing cycle, the portal,
deletions...), every GET endpoint of the route table and every event; a kind the route table
answers with that goes unjudged fails the test. The matrix (`noxfile.py`) runs this for every
stripe-python major.
"""

from __future__ import annotations

import decimal
import json
import re
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import stripe

from mockkit.stripe import StripeFake, apitable, versions
from mockkit.stripe.params import ANY, Arr, Hash
from mockkit.stripe.routes import ROUTES
from mockkit.stripe.routing import Endpoint
from tests.stripe import sdk_types
from tests.stripe.driver import CARD, KEY, SDK_VERSION

ENDPOINTS = ROUTES.endpoints()


def _sdk_params(ep: Endpoint) -> set[str]:
    td = sdk_types.endpoints().get((ep.method, sdk_types.template(ep.template)))
    if td is None:
        pytest.skip(f"stripe-python {stripe.VERSION} has no {ep.method} {ep.template}")
    return sdk_types.param_names(td)


def _accepted(ep: Endpoint, version: str) -> set[str]:
    """The parameters the fake takes on `ep` at `version` (the names a client sends)."""
    renamed = {n for r in versions.renamed(ep.method, ep.template) for n in (r.old, r.new)}
    out = set()
    for name in set(ep.spec) | renamed:
        known = versions.stripe_knows(ep.method, ep.template, name, version)
        # A renamed parameter is taken under the name the version knows; any other parameter
        # of the spec unless Stripe has it at other versions only.
        if (name in renamed and known) or (name not in renamed and known is not False):
            out.add(name)
    return out


def _id(ep: Endpoint) -> str:
    return f"{ep.method} {ep.template}"


@pytest.mark.parametrize("ep", ENDPOINTS, ids=_id)
def test_every_parameter_the_fake_accepts_is_one_the_sdk_declares(ep: Endpoint) -> None:
    sdk = _sdk_params(ep)
    extra = sorted(_accepted(ep, SDK_VERSION) - sdk)
    assert extra == [], (
        f"{_id(ep)} accepts {extra} at {SDK_VERSION}; stripe-python {stripe.VERSION} "
        f"declares {sorted(sdk)}"
    )


@pytest.mark.parametrize("ep", ENDPOINTS, ids=_id)
def test_the_fakes_table_of_stripes_parameters_agrees_with_the_sdk(ep: Endpoint) -> None:
    sdk = _sdk_params(ep)
    tabled = {
        name
        for name in sdk | set(ep.spec)
        if versions.stripe_knows(ep.method, ep.template, name, SDK_VERSION)
    }
    assert tabled == sdk, (
        f"{_id(ep)} at {SDK_VERSION}: the table knows {sorted(tabled - sdk)} that stripe-python "
        f"{stripe.VERSION} does not, and misses {sorted(sdk - tabled)}; run nox -s stripe_params"
    )


@pytest.fixture(scope="module")
def fake() -> Iterator[StripeFake]:
    """One in-process fake for the whole module: most requests here are refused, and the
    objects the field check makes are judged whatever else the account holds."""
    with StripeFake() as f:
        yield f


@pytest.fixture(autouse=True)
def _sdk_to_the_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe, "api_key", KEY)
    monkeypatch.setattr(stripe, "api_base", "https://api.stripe.com")


def _send(ep: Endpoint, params: dict[str, str]) -> requests.Response:
    path = ep.template.replace("{id}", "xx_conformance")
    url = "https://api.stripe.com" + path
    headers = {"Authorization": f"Bearer {KEY}", "Stripe-Version": SDK_VERSION}
    if ep.method == "POST":
        return requests.post(url, data=params, headers=headers, timeout=10)
    return requests.request(ep.method, url, params=params, headers=headers, timeout=10)


@pytest.mark.parametrize("ep", ENDPOINTS, ids=_id)
def test_a_parameter_the_sdk_declares_but_the_fake_does_not_emulate_is_refused_by_name(
    ep: Endpoint, fake: StripeFake
) -> None:
    sdk = _sdk_params(ep)
    missing = sorted(sdk - _accepted(ep, SDK_VERSION))
    wrong = {}
    for name in missing:
        answer = _send(ep, {name: "x"})
        error = answer.json().get("error", {})
        if not (
            answer.status_code == 400
            and error.get("param") == name
            and "does not emulate" in error.get("message", "")
        ):
            wrong[name] = (answer.status_code, error.get("message"))
    assert wrong == {}, f"{_id(ep)}: not refused as not emulated: {wrong}"
    # A name Stripe does not know at all keeps Stripe's own answer.
    answer = _send(ep, {"colour_of_the_sky": "blue"})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith(
        "Received unknown parameter: colour_of_the_sky"
    )
    assert fake.request_log[-1].status == 400


# Nested parameters -------------------------------------------------------------------------
#
# The same rules at every depth. Paths are written as the table of Stripe's parameters writes
# them (`sdk_types.param_paths`): `line_items[][price_data][currency]`, a list's items `[]`; a
# request sends the first item, `line_items[0][price_data][currency]`.


class _Tree:
    """What the fake's spec of an endpoint takes below its top-level parameters.

    `hashes`: each path where the spec has a `Hash` -> the keys it takes at the SDK's version;
    `lists`: each path where it has an `Arr`; `free`: each path it takes as sent (`ANY`), where
    the fake takes what Stripe knows below; `leaves`: any other coercer's path.
    """

    def __init__(self, ep: Endpoint) -> None:
        self.ep = ep
        self.hashes: dict[str, set[str]] = {}
        self.lists: set[str] = set()
        self.free: set[str] = set()
        self.leaves: set[str] = set()
        for name in _accepted(ep, SDK_VERSION) & set(ep.spec):
            self._walk(ep.spec[name], name)

    def _walk(self, coerce: Any, path: str) -> None:
        if isinstance(coerce, Hash):
            keys = set()
            for key, child in coerce.spec.items():
                sub = f"{path}[{key}]"
                span = (apitable.nested_spans(self.ep.method, self.ep.template) or {}).get(sub)
                if span is not None and not apitable.known(span, SDK_VERSION):
                    continue  # Stripe has it at other versions only: refused here as unknown
                keys.add(key)
                self._walk(child, sub)
            self.hashes[path] = keys
        elif isinstance(coerce, Arr):
            self.lists.add(path)
            self._walk(coerce.item, f"{path}[]")
        elif coerce is ANY:
            self.free.add(path)
        else:
            self.leaves.add(path)

    def accepted(self) -> set[str]:
        """The nested paths the fake takes in its own spec (what is under `free` aside)."""
        return {f"{p}[{k}]" for p, keys in self.hashes.items() for k in keys} | {
            f"{p}[]" for p in self.lists
        }

    def covers(self, path: str) -> bool:
        """Whether the fake takes `path`: in its spec, or under a parameter taken as sent."""
        return path in self.accepted() or any(path.startswith(f"{f}[") for f in self.free)


def _sdk_paths(ep: Endpoint) -> set[str]:
    td = sdk_types.endpoints().get((ep.method, sdk_types.template(ep.template)))
    if td is None:
        pytest.skip(f"stripe-python {stripe.VERSION} has no {ep.method} {ep.template}")
    return {p for p in sdk_types.param_paths(td) if "[" in p}


def _children(paths: set[str], parent: str) -> set[str]:
    """The keys `paths` has directly below `parent` (a list's `[]` left out)."""
    out = set()
    for p in paths:
        if p.startswith(f"{parent}[") and p != f"{parent}[]":
            rest = p[len(parent) + 1 :]  # "key]" for a direct child
            if "[" not in rest and rest.count("]") == 1:
                out.add(rest[:-1])
    return out


def _concrete(path: str) -> str:
    return path.replace("[]", "[0]")


@pytest.mark.parametrize("ep", ENDPOINTS, ids=_id)
def test_every_nested_parameter_the_fake_accepts_is_one_the_sdk_declares(ep: Endpoint) -> None:
    sdk = _sdk_paths(ep)
    tree = _Tree(ep)
    extra = sorted(tree.accepted() - sdk)
    assert extra == [], (
        f"{_id(ep)} accepts {extra} at {SDK_VERSION}; stripe-python {stripe.VERSION} does not "
        "declare them"
    )
    # Where the SDK declares a hash, the spec's coercer is one a walk sees into (a `Hash`, an
    # `Arr` of them, or `ANY` judged by the table): else what it takes below goes unjudged.
    opaque = sorted(p for p in tree.leaves if _children(sdk, p))
    assert opaque == [], f"{_id(ep)}: the spec hides what it takes below {opaque}"


@pytest.mark.parametrize("ep", ENDPOINTS, ids=_id)
def test_the_fakes_table_of_stripes_nested_parameters_agrees_with_the_sdk(ep: Endpoint) -> None:
    sdk = _sdk_paths(ep)
    spans = apitable.nested_spans(ep.method, ep.template) or {}
    tabled = {p for p, span in spans.items() if apitable.known(span, SDK_VERSION)}
    assert tabled == sdk, (
        f"{_id(ep)} at {SDK_VERSION}: the table knows {sorted(tabled - sdk)[:20]} that "
        f"stripe-python {stripe.VERSION} does not, and misses {sorted(sdk - tabled)[:20]}; run "
        "nox -s stripe_params"
    )


def _refusal(answer: requests.Response, param: str, message: str) -> tuple[int, str] | None:
    """None if `answer` is the 400 naming `param` with `message` in it, else what it was."""
    error = answer.json().get("error", {})
    text = str(error.get("message", ""))
    if answer.status_code == 400 and error.get("param") == param and message in text:
        return None
    return (answer.status_code, f"{error.get('param')}: {text}")


@pytest.mark.parametrize("ep", ENDPOINTS, ids=_id)
def test_a_nested_parameter_the_sdk_declares_but_the_fake_does_not_emulate_is_refused_by_name(
    ep: Endpoint, fake: StripeFake
) -> None:
    sdk = _sdk_paths(ep)
    tree = _Tree(ep)
    # Below each hash of the fake's spec, every key the SDK declares there that the spec does
    # not take (deeper ones are refused with the key that holds them).
    missing = sorted(
        f"{parent}[{key}]"
        for parent, keys in tree.hashes.items()
        for key in _children(sdk, parent) - keys
    )
    wrong = {}
    for path in missing:
        sent = _concrete(path)
        problem = _refusal(_send(ep, {sent: "x"}), sent, "does not emulate")
        if problem:
            wrong[sent] = problem
    assert wrong == {}, f"{_id(ep)}: not refused as not emulated: {wrong}"


@pytest.mark.parametrize("ep", ENDPOINTS, ids=_id)
def test_a_nested_parameter_stripe_does_not_know_is_an_unknown_parameter(
    ep: Endpoint, fake: StripeFake
) -> None:
    sdk = _sdk_paths(ep)
    tree = _Tree(ep)
    # Every hash the SDK declares that the fake takes (a top-level one too), at every depth.
    top = _accepted(ep, SDK_VERSION) & set(ep.spec)
    parents = {q.rpartition("[")[0] for q in sdk} | top
    hashes = sorted(p for p in parents if _children(sdk, p) and (p in top or tree.covers(p)))
    wrong = {}
    for path in hashes:
        sent = _concrete(path) + "[colour_of_the_sky]"
        answer = _send(ep, {sent: "blue"})
        problem = _refusal(answer, sent, f"Received unknown parameter: {sent}")
        if problem:
            wrong[sent] = problem
    assert wrong == {}, f"{_id(ep)}: not refused as unknown: {wrong}"


# Objects ----------------------------------------------------------------------------------


_NONE = type(None)


def _members(hint: Any) -> list[Any]:
    """The members of a Union / Optional (None's type among them); a plain hint alone."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return list(typing.get_args(hint))
    return [hint]


def _show(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check(value: Any, hint: Any, where: str, problems: list[str]) -> None:
    """Judge `value` (at `where` in an answer) by the SDK's type `hint` for it.

    A Union / Optional takes a value one of its members takes (None only when None is one);
    Literals are compared with their type (`1` is not `True`); lists, dicts and nested
    objects are judged item by item and field by field, at every depth. Where members fit
    only with problems deeper down, the closest one's problems are reported.
    """
    if isinstance(value, dict) and _by_object(value, hint):
        # An object that names its kind, where the SDK declares any hash (an event's object,
        # a list's item, a whole answer).
        _check_object(value, sdk_types.object_classes()[value["object"]], where, problems)
        return
    if hint is Any:
        return
    if hint is None:
        problems.append(f"{where}: the SDK's type for it does not resolve")
        return
    members = _members(hint)
    if str in members and any(_origin(m) is typing.Literal for m in members):
        # `Union[Literal["exempt", "none", "reverse"], str]` (stripe-python 16 opens its enums
        # so that values added later still type-check): the Literal is what the release's
        # version has; a fake answering as that version stays inside it.
        members.remove(str)
    if value is None:
        if _NONE not in members:
            problems.append(f"{where} is null; the SDK declares {_type_name(hint)}")
        return
    closest: list[str] | None = None
    for member in members:
        if member is _NONE:
            continue
        found: list[str] = []
        if _fits(value, member, where, found):
            if not found:
                return
            if closest is None or len(found) < len(closest):
                closest = found
    if closest is not None:
        problems.extend(closest)
    else:
        problems.append(f"{where} = {_show(value)}, not {_type_name(hint)}")


def _by_object(value: dict[str, Any], hint: Any) -> bool:
    kind = value.get("object")
    if not isinstance(kind, str) or kind not in sdk_types.object_classes():
        return False
    untyped = [
        m
        for m in _members(hint)
        if m is Any
        or typing.get_origin(m) in (dict, typing.Dict)  # noqa: UP006 (what the SDK writes)
        or m is stripe.StripeObject
        or getattr(_origin(m), "__name__", "") == "UntypedStripeObject"
    ]
    return bool(untyped)


def _origin(hint: Any) -> Any:
    return typing.get_origin(hint) or hint


def _type_name(hint: Any) -> str:
    return str(hint).replace("typing.", "").replace("stripe.", "")


def _fits(value: Any, hint: Any, where: str, problems: list[str]) -> bool:
    """Whether `value` has the shape of `hint` (one member of a Union); what is wrong deeper
    down goes to `problems`."""
    origin = _origin(hint)
    if hint is Any:
        return True
    if origin is typing.Literal:
        return any(type(value) is type(a) and value == a for a in typing.get_args(hint))
    if hint is str:
        return isinstance(value, str)
    if hint is bool:
        return type(value) is bool
    if hint is int:
        return type(value) is int
    if hint is float:
        return type(value) in (int, float)
    if hint is decimal.Decimal:
        # Sent as a decimal string (`"1500.25"`), which the SDK reads into a Decimal.
        return isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value) is not None
    if origin in (list, typing.List):  # noqa: UP006 (what the SDK writes)
        if not isinstance(value, list):
            return False
        (item,) = typing.get_args(hint) or (Any,)
        for i, v in enumerate(value):
            _check(v, item, f"{where}[{i}]", problems)
        return True
    if origin in (dict, typing.Dict):  # noqa: UP006 (what the SDK writes)
        if not isinstance(value, dict):
            return False
        args = typing.get_args(hint)
        for k, v in value.items():
            _check(v, args[1] if args else Any, f"{where}.{k}", problems)
        return True
    if isinstance(origin, type) and issubclass(origin, stripe.StripeObject):
        if not isinstance(value, dict):
            return False
        kind = getattr(origin, "OBJECT_NAME", None)
        if isinstance(kind, str) and value.get("object", kind) != kind:
            return False  # another kind of object than this member
        if origin.__name__ == "UntypedStripeObject" or origin is stripe.StripeObject:
            return True  # declared free-form (metadata, an event's previous attributes)
        args = typing.get_args(hint)
        _check_object(value, origin, where, problems, args[0] if args else None)
        return True
    if isinstance(hint, typing.TypeVar | typing.ForwardRef | str):
        problems.append(f"{where}: the SDK's type {hint!r} does not resolve")
        return True
    problems.append(f"{where}: no check for the SDK's type {_type_name(hint)}")
    return True


def _check_object(
    obj: dict[str, Any], cls: type, where: str, problems: list[str], item: Any = None
) -> None:
    """Every field of `obj` declared by `cls` and inside its type; `item` is a list's item
    type (`ListObject[Customer]`)."""
    declared = sdk_types.field_hints(cls)
    if not declared:
        return  # a class that declares nothing (a metadata hash, say) takes anything
    kind = getattr(cls, "OBJECT_NAME", None)
    for key, value in obj.items():
        if key == "object" and key not in declared and isinstance(kind, str):
            # The generic envelopes (`ListObject`, `SearchResultObject`) name their kind in
            # the class attribute OBJECT_NAME, not in a field.
            if value != kind:
                problems.append(f"{where}.object = {value!r}, not {kind!r}")
            continue
        if key not in declared and (kind, key) in _READ_UNDECLARED:
            continue
        if (kind, key, value) == ("search_result", "next_page", None) and not obj["has_more"]:
            # `SearchResultObject` types `next_page: str`, and reads it only while `has_more`
            # (`_maybe_empty_result`): the last page's is null, as Stripe sends it.
            continue
        if key not in declared:
            problems.append(f"{where}.{key} is not declared by {cls.__qualname__}")
            continue
        hint = declared[key]
        if any(isinstance(a, typing.TypeVar) for a in typing.get_args(hint)):
            # `data: List[T]` of a generic envelope: the item type it was declared with
            # (`ListObject[InvoiceLineItem]`), or, for an answer, each item's own kind.
            hint = list[item if item is not None else Any]
        _check(value, hint, f"{where}.{key}", problems)


#: Fields the SDK reads by name from an answer without declaring them on the class.
_READ_UNDECLARED = {
    # `SearchResultObject` declares `data`, `has_more` and `next_page`, and reads `url` by
    # name (`_get_url_for_search`, every release) to fetch the next page.
    ("search_result", "url"),
}


def _body(obj: Any) -> dict[str, Any]:
    """What the fake sent for an SDK call's answer, as sent."""
    body: dict[str, Any] = json.loads(obj.last_response.body)
    return body


def _get(path: str, **params: Any) -> dict[str, Any]:
    answer = requests.get(
        "https://api.stripe.com" + path,
        params=params,
        headers={"Authorization": f"Bearer {KEY}", "Stripe-Version": SDK_VERSION},
        timeout=10,
    )
    assert answer.status_code == 200, (path, answer.text[:300])
    body: dict[str, Any] = answer.json()
    return body


def _has(name: str) -> bool:
    """Whether the installed release has an SDK class or method (`Subscription.pause` came
    with 16, `InvoicePayment` with 12)."""
    target: Any = stripe
    for part in name.split("."):
        if not hasattr(target, part):
            return False
        target = getattr(target, part)
    return True


def _answers(fake: StripeFake) -> list[dict[str, Any]]:
    """What the fake answers, as sent: one of each kind of object through the SDK at its own
    version (each mode of Checkout, the Billing cycle, the portal, deletions...), then every GET
    endpoint of the route table on those objects (lists, searches, line items), every event."""
    found: list[Any] = []
    customer = stripe.Customer.create(
        email="judge@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    found.append(customer)
    pm = stripe.PaymentMethod.list(customer=customer.id, type="card").data[0]
    found.append(stripe.PaymentMethod.retrieve(pm.id))
    spare = stripe.PaymentMethod.create(type="card", card={"token": "tok_mastercard"})
    found.append(spare)
    found.append(stripe.PaymentMethod.attach(spare.id, customer=customer.id))
    found.append(stripe.PaymentMethod.detach(spare.id))
    product = stripe.Product.create(name="Judge")
    found.append(product)
    price = stripe.Price.create(
        product=product.id, unit_amount=1500, currency="usd", recurring={"interval": "month"}
    )
    found.append(price)
    one_time = stripe.Price.create(product=product.id, unit_amount=700, currency="usd")
    found.append(one_time)
    pi = stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True, **CARD
    )
    found.append(pi)
    charge_id = pi.latest_charge if "latest_charge" in pi else pi.charges.data[0].id
    found.append(stripe.Charge.modify(charge_id, description="judged"))
    refund = stripe.Refund.create(payment_intent=pi.id, amount=500)
    found.append(stripe.Refund.modify(refund.id, metadata={"why": "judged"}))
    declined = stripe.PaymentIntent.create(amount=900, currency="usd", **CARD)
    with pytest.raises(stripe.CardError):
        stripe.PaymentIntent.confirm(declined.id, payment_method="pm_card_chargeDeclined")
    found.append(stripe.PaymentIntent.retrieve(declined.id))
    held = stripe.PaymentIntent.create(
        amount=1200, currency="usd", capture_method="manual", payment_method="pm_card_visa", **CARD
    )
    found.append(stripe.PaymentIntent.confirm(held.id))
    found.append(stripe.PaymentIntent.capture(held.id, amount_to_capture=1000))
    found.append(stripe.PaymentIntent.cancel(declined.id))
    si = stripe.SetupIntent.create(customer=customer.id, **CARD)
    found.append(stripe.SetupIntent.confirm(si.id, payment_method="pm_card_visa"))
    found.append(stripe.SetupIntent.cancel(stripe.SetupIntent.create(customer=customer.id).id))
    # Checkout in each mode, completed as a customer would.
    paid = stripe.checkout.Session.create(
        mode="payment",
        success_url="https://shop.example/ok",
        line_items=[{"price": one_time.id, "quantity": 2}],
        **CARD,
    )
    fake.complete_checkout(paid.id)
    found.append(stripe.checkout.Session.retrieve(paid.id, expand=["line_items"]))
    subscribed = stripe.checkout.Session.create(
        mode="subscription",
        success_url="https://shop.example/ok",
        line_items=[{"price": price.id, "quantity": 1}],
        **CARD,
    )
    fake.complete_checkout(subscribed.id)
    found.append(
        stripe.checkout.Session.retrieve(
            subscribed.id, expand=["subscription.latest_invoice", "customer"]
        )
    )
    setup = stripe.checkout.Session.create(
        mode="setup",
        currency="usd",
        customer=customer.id,
        success_url="https://shop.example/ok",
        **CARD,
    )
    fake.complete_checkout(setup.id)
    found.append(stripe.checkout.Session.retrieve(setup.id, expand=["setup_intent"]))
    found.append(stripe.checkout.Session.expire(stripe.checkout.Session.create(
        mode="payment", success_url="https://shop.example/ok",
        line_items=[{"price": one_time.id, "quantity": 1}], **CARD,
    ).id))  # fmt: skip
    # Discounts.
    coupon = stripe.Coupon.create(percent_off=10, duration="forever", name="Judge")
    found.append(stripe.Coupon.modify(coupon.id, metadata={"k": "v"}))
    if versions.stripe_knows("POST", "/v1/promotion_codes", "promotion", SDK_VERSION):
        promo = stripe.PromotionCode.create(
            promotion={"type": "coupon", "coupon": coupon.id}, code="JUDGE"
        )
    else:
        promo = stripe.PromotionCode.create(coupon=coupon.id, code="JUDGE")
    found.append(stripe.PromotionCode.modify(promo.id, metadata={"k": "v"}))
    # The Billing cycle.
    sub = stripe.Subscription.create(
        customer=customer.id,
        items=[{"price": price.id}],
        discounts=[{"coupon": coupon.id}],
        expand=["latest_invoice"],
    )
    found.append(sub)
    found.append(stripe.Invoice.retrieve(sub.latest_invoice.id))
    extra = stripe.Price.create(
        product=product.id, unit_amount=300, currency="usd", recurring={"interval": "month"}
    )
    item = stripe.SubscriptionItem.create(
        subscription=sub.id, price=extra.id, proration_behavior="none"
    )
    found.append(stripe.SubscriptionItem.modify(item.id, quantity=2, proration_behavior="none"))
    found.append(stripe.SubscriptionItem.delete(item.id, proration_behavior="none"))
    found.append(stripe.Subscription.modify(sub.id, metadata={"k": "v"}))
    if _has("Subscription.pause"):
        found.append(stripe.Subscription.pause(sub.id))
    invoice_item = stripe.InvoiceItem.create(customer=customer.id, amount=400, currency="usd")
    found.append(stripe.InvoiceItem.modify(invoice_item.id, description="judged"))
    draft = stripe.Invoice.create(customer=customer.id, pending_invoice_items_behavior="include")
    found.append(draft)
    found.append(stripe.Invoice.finalize_invoice(draft.id))
    found.append(stripe.Invoice.pay(draft.id))
    for action in ("void_invoice", "mark_uncollectible", "send_invoice"):
        other = stripe.Invoice.create(
            customer=customer.id, collection_method="send_invoice", days_until_due=30
        )
        stripe.InvoiceItem.create(
            customer=customer.id, invoice=other.id, amount=100, currency="usd"
        )
        stripe.Invoice.finalize_invoice(other.id)
        found.append(getattr(stripe.Invoice, action)(other.id))
    if _has("Invoice.create_preview"):
        found.append(stripe.Invoice.create_preview(customer=customer.id, subscription=sub.id))
    found.append(stripe.Subscription.cancel(sub.id))
    # Deletions.
    found.append(stripe.InvoiceItem.delete(
        stripe.InvoiceItem.create(customer=customer.id, amount=50, currency="usd").id
    ))  # fmt: skip
    found.append(stripe.Invoice.delete(stripe.Invoice.create(customer=customer.id).id))
    found.append(stripe.Product.delete(stripe.Product.create(name="Gone").id))
    found.append(stripe.Coupon.delete(stripe.Coupon.create(amount_off=5, currency="usd").id))
    found.append(stripe.Customer.delete(stripe.Customer.create(name="Gone").id))
    # Test clocks.
    clock = stripe.test_helpers.TestClock.create(frozen_time=fake.state.now())
    found.append(stripe.test_helpers.TestClock.advance(clock.id, frozen_time=fake.state.now() + 60))
    found.append(stripe.test_helpers.TestClock.delete(
        stripe.test_helpers.TestClock.create(frozen_time=fake.state.now()).id
    ))  # fmt: skip
    # The customer portal.
    config = stripe.billing_portal.Configuration.create(
        features={"invoice_history": {"enabled": True}}
    )
    found.append(stripe.billing_portal.Configuration.modify(config.id, metadata={"k": "v"}))
    found.append(
        stripe.billing_portal.Session.create(
            customer=customer.id, return_url="https://shop.example/account"
        )
    )
    bodies = [_body(o) for o in found]
    bodies += _every_get(
        {
            "customer": customer.id,
            "charge": charge_id,
            "checkout.session": subscribed.id,
            "invoice": draft.id,
            "subscription": sub.id,
        }
    )
    return bodies


def _every_get(ids: dict[str, str]) -> list[dict[str, Any]]:
    """Every GET endpoint of the route table, on the objects made (`ids`: one per kind whose
    sub-resources are listed); every page of events."""
    bodies = []
    for ep in ENDPOINTS:
        if ep.method != "GET" or ep.template == "/v1/events":
            continue
        if (ep.kind.partition(":")[2] or ep.kind) not in sdk_types.object_classes():
            continue  # a kind the release has no class for (InvoicePayment before 12)

        def required(template: str) -> dict[str, Any]:
            """The filters a list endpoint requires."""
            if template == "/v1/payment_methods":
                return {"customer": ids["customer"], "type": "card"}
            if template == "/v1/subscription_items":
                return {"subscription": ids["subscription"]}
            return {}

        params = required(ep.template)
        if ep.kind.startswith("search:"):
            params["query"] = _QUERIES[ep.template]
        path = ep.template
        if ep.kind.startswith("list:") and "{id}" in path:
            path = path.replace("{id}", ids[_LISTED_UNDER[ep.template]])
        elif "{id}" in path:  # a retrieval: of the newest object of the kind
            base = path.rpartition("/")[0]
            listed = _get(base, limit=1, **required(base))["data"]
            assert listed, f"nothing to retrieve with GET {path}"
            path = path.replace("{id}", listed[0]["id"])
        body = _get(path, **params)
        assert body.get("data", [1]), f"nothing to judge in GET {path}"
        bodies.append(body)
    page = _get("/v1/events", limit=100)
    bodies.append(page)
    while page["has_more"]:
        page = _get("/v1/events", limit=100, starting_after=page["data"][-1]["id"])
        bodies.append(page)
    return bodies


#: A query of each search endpoint that finds the objects made.
_QUERIES = {
    "/v1/charges/search": "currency:'usd'",
    "/v1/customers/search": "email:'judge@example.com'",
    "/v1/invoices/search": "currency:'usd'",
    "/v1/payment_intents/search": "currency:'usd'",
    "/v1/prices/search": "currency:'usd'",
    "/v1/products/search": "active:'true'",
    "/v1/subscriptions/search": "created>0",
}
#: The list endpoints below an object: the kind of object they are below.
_LISTED_UNDER = {
    "/v1/charges/{id}/refunds": "charge",
    "/v1/checkout/sessions/{id}/line_items": "checkout.session",
    "/v1/customers/{id}/payment_methods": "customer",
    "/v1/invoices/{id}/lines": "invoice",
}


def _kinds(value: Any, out: set[str]) -> set[str]:
    """Every kind of object (`object`) found in `value`, at any depth."""
    if isinstance(value, dict):
        if isinstance(value.get("object"), str):
            out.add(value["object"])
        for v in value.values():
            _kinds(v, out)
    elif isinstance(value, list):
        for v in value:
            _kinds(v, out)
    return out


def test_the_judge_finds_values_the_sdk_does_not_declare(fake: StripeFake) -> None:
    customer = _body(stripe.Customer.create(email="judged@example.com", name="Judged"))
    gone = _body(stripe.Customer.delete(stripe.Customer.create(name="Gone").id))
    price = stripe.Price.create(
        product_data={"name": "Plan"}, unit_amount=900, currency="usd",
        recurring={"interval": "month"},
    )  # fmt: skip
    sub = _body(
        stripe.Subscription.create(
            customer=customer["id"],
            items=[{"price": price.id}],
            payment_behavior="default_incomplete",
            payment_settings={"payment_method_types": ["card"]},
        )
    )
    settings = sub["payment_settings"]
    wrong = {
        "customer.livemode = 1": dict(customer, livemode=1),  # an int where a bool is declared
        'customer.balance = "0"': dict(customer, balance="0"),
        'customer.tax_exempt = "bogus"': dict(customer, tax_exempt="bogus"),
        "customer.created is null": dict(customer, created=None),
        "customer.address.city = 5": dict(customer, address={"city": 5}),
        "customer.invoice_settings.hue is not declared": dict(
            customer, invoice_settings={**customer["invoice_settings"], "hue": "x"}
        ),
        "customer.deleted = 1": dict(gone, deleted=1),  # `Literal[True]`, not any true value
        'subscription.payment_settings.payment_method_types[1] = "bogus"': dict(
            sub, payment_settings={**settings, "payment_method_types": ["card", "bogus"]}
        ),
        'subscription.items.data[0].price.unit_amount = "900"': dict(
            sub,
            items={
                **sub["items"],
                "data": [
                    {
                        **sub["items"]["data"][0],
                        "price": {**sub["items"]["data"][0]["price"], "unit_amount": "900"},
                    }
                ],
            },
        ),
    }
    for body in (customer, gone, sub):  # as answered: nothing to find
        problems: list[str] = []
        _check(body, Any, body["object"], problems)
        assert problems == []
    for expected, body in wrong.items():
        problems = []
        _check(body, Any, body["object"], problems)
        assert any(p.startswith(expected) for p in problems), (expected, problems)


def test_every_field_the_fake_answers_with_is_declared_by_the_sdk(fake: StripeFake) -> None:
    bodies = _answers(fake)
    problems: list[str] = []
    for body in bodies:
        _check(body, Any, str(body.get("object")), problems)
    undeclared = sorted(set(problems))
    assert undeclared == [], (
        f"stripe-python {stripe.VERSION} ({SDK_VERSION}) does not declare what the fake "
        f"answers ({len(undeclared)}):\n" + "\n".join(undeclared)
    )
    # Every kind the route table answers with was judged (a new endpoint's kind included).
    judged = _kinds(bodies, set())
    answered = {ep.kind.partition(":")[2] or ep.kind for ep in ENDPOINTS} - {"deleted"}
    answered |= {"list", "search_result"}
    # A kind the release has no class for is one the fake does not show at its version either
    # (InvoicePayment before 12).
    missing = sorted(k for k in answered - judged if k in sdk_types.object_classes())
    assert missing == [], f"no answer of these kinds was judged: {missing}"
