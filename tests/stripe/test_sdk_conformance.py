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

And every field of every object the fake answers with (made through the SDK: one of each kind,
and every event's object) is declared by the SDK's class for it, with a value inside the
Literal the class declares. The matrix (`noxfile.py`) runs this for every stripe-python major.
"""

from __future__ import annotations

import json
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
    extra = sorted(_Tree(ep).accepted() - sdk)
    assert extra == [], (
        f"{_id(ep)} accepts {extra} at {SDK_VERSION}; stripe-python {stripe.VERSION} does not "
        "declare them"
    )


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


def _unwrap(hint: Any) -> list[Any]:
    """The alternatives of a Union / Optional (a plain hint alone)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [h for h in typing.get_args(hint) if h is not type(None)]
    return [hint]


def _check(value: Any, hint: Any, where: str, problems: list[str]) -> None:
    if value is None or hint is None or hint is Any:
        return
    if isinstance(value, dict) and isinstance(value.get("object"), str):
        cls = sdk_types.object_classes().get(value["object"])
        if value["object"] == "list":
            for i, item in enumerate(value.get("data", [])):
                _check(item, _item_hint(hint), f"{where}.data[{i}]", problems)
            return
        if cls is not None:
            _check_object(value, cls, where, problems)
            return
    alternatives = _unwrap(hint)
    literals = [h for h in alternatives if typing.get_origin(h) is typing.Literal]
    if literals and isinstance(value, str):
        allowed = {a for h in literals for a in typing.get_args(h)}
        others = [h for h in alternatives if typing.get_origin(h) is not typing.Literal]
        if value not in allowed and not any(h is str for h in others):
            problems.append(f"{where} = {value!r}, not one of {sorted(allowed)}")
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, _item_hint(hint), f"{where}[{i}]", problems)
        return
    if isinstance(value, dict):
        for h in alternatives:
            if isinstance(h, type) and issubclass(h, stripe.StripeObject):
                _check_object(value, h, where, problems)
                return


def _item_hint(hint: Any) -> Any:
    for h in _unwrap(hint):
        args = typing.get_args(h)
        if args:
            return args[0]
    return None


def _check_object(obj: dict[str, Any], cls: type, where: str, problems: list[str]) -> None:
    declared = sdk_types.field_hints(cls)
    if not declared:
        return  # a class that declares nothing (a metadata hash, say) takes anything
    for key, value in obj.items():
        if key not in declared:
            problems.append(f"{where}.{key} is not declared by {cls.__qualname__}")
            continue
        _check(value, declared[key], f"{where}.{key}", problems)


def _objects(fake: StripeFake) -> list[dict[str, Any]]:
    """One object of each kind the fake makes, through the SDK at its own version, as sent."""
    found: list[Any] = []
    customer = stripe.Customer.create(
        email="judge@example.com",
        payment_method="pm_card_visa",
        invoice_settings={"default_payment_method": "pm_card_visa"},
    )
    found.append(customer)
    pm = stripe.PaymentMethod.list(customer=customer.id, type="card").data[0]
    found.append(stripe.PaymentMethod.retrieve(pm.id))
    product = stripe.Product.create(name="Judge")
    found.append(product)
    price = stripe.Price.create(
        product=product.id, unit_amount=1500, currency="usd", recurring={"interval": "month"}
    )
    found.append(price)
    one_time = stripe.Price.create(product=product.id, unit_amount=700, currency="usd")
    pi = stripe.PaymentIntent.create(
        amount=2000, currency="usd", payment_method="pm_card_visa", confirm=True, **CARD
    )
    found.append(pi)
    found.append(
        stripe.Charge.retrieve(pi.latest_charge if "latest_charge" in pi else pi.charges.data[0].id)
    )
    found.append(stripe.Refund.create(payment_intent=pi.id, amount=500))
    declined = stripe.PaymentIntent.create(amount=900, currency="usd", **CARD)
    with pytest.raises(stripe.CardError):
        stripe.PaymentIntent.confirm(declined.id, payment_method="pm_card_chargeDeclined")
    found.append(stripe.PaymentIntent.retrieve(declined.id))
    session = stripe.checkout.Session.create(
        mode="payment",
        success_url="https://shop.example/ok",
        line_items=[{"price": one_time.id, "quantity": 2}],
        **CARD,
    )
    fake.complete_checkout(session.id)
    found.append(stripe.checkout.Session.retrieve(session.id, expand=["line_items"]))
    coupon = stripe.Coupon.create(percent_off=10, duration="forever")
    found.append(coupon)
    sub = stripe.Subscription.create(
        customer=customer.id, items=[{"price": price.id}], expand=["latest_invoice"]
    )
    found.append(sub)
    found.append(stripe.Invoice.retrieve(sub.latest_invoice.id))
    found.append(stripe.SetupIntent.create(customer=customer.id))
    clock = stripe.test_helpers.TestClock.create(frozen_time=fake.state.now())
    found.append(clock)
    bodies = [json.loads(o.last_response.body) for o in found]
    bodies += [json.loads(str(e)) for e in stripe.Event.list(limit=100).auto_paging_iter()]
    return bodies


def test_every_field_the_fake_answers_with_is_declared_by_the_sdk(fake: StripeFake) -> None:
    problems: list[str] = []
    for body in _objects(fake):
        cls = sdk_types.object_classes()[body["object"]]
        _check_object(body, cls, body["object"], problems)
    undeclared = sorted(set(problems))
    assert undeclared == [], (
        f"stripe-python {stripe.VERSION} ({SDK_VERSION}) does not declare what the fake "
        "answers:\n" + "\n".join(undeclared)
    )
