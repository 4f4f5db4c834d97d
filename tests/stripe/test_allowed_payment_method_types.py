"""The `allowed_payment_method_types` field of PaymentIntents, SetupIntents and Checkout Sessions.

Through the real SDK in both styles, in-process and served (the `sdk` fixture): the field holds
the list the request allowed, null when it gave none, and is shown only at the versions that
have it (intents from dahlia, Checkout Sessions from endive; stripe-python's own classes).
"""

from __future__ import annotations

from typing import Any

import pytest

from mockkit.stripe.objects import API_VERSION
from tests.stripe.driver import Driver

#: The module's requests name their versions; by default the current one, which an older
#: stripe-python (the SDK matrix) then sends too.
STRIPE_VERSION = API_VERSION

APM = "2023-08-16"
DAHLIA = "2026-08-26.dahlia"
ENDIVE = API_VERSION

_SESSION: dict[str, Any] = {
    "mode": "payment",
    "success_url": "https://shop.example/ok",
    "line_items": [
        {
            "price_data": {"currency": "usd", "unit_amount": 700, "product_data": {"name": "Mug"}},
            "quantity": 1,
        }
    ],
}
_BASE: dict[str, dict[str, Any]] = {
    "payment_intents": {"amount": 700, "currency": "usd"},
    "setup_intents": {},
    "checkout.sessions": _SESSION,
}
#: The first version showing the field, per resource (what stripe-python declares it from).
_SINCE = {"payment_intents": "2026-03-25.dahlia", "setup_intents": "2026-03-25.dahlia"}


def _listed(kind: str, version: str) -> str:
    # The request's name for the list: endive renamed it (Checkout too).
    return "allowed_payment_method_types" if version == ENDIVE else "payment_method_types"


def _has_field(kind: str, version: str) -> bool:
    return version >= _SINCE.get(kind, ENDIVE)


@pytest.mark.parametrize("kind", ["payment_intents", "setup_intents", "checkout.sessions"])
@pytest.mark.parametrize("version", [APM, DAHLIA, ENDIVE])
def test_the_field_holds_the_allowed_list_where_the_version_has_it(
    sdk: Driver, version: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = sdk.at(version, monkeypatch)
    base = _BASE[kind]
    name = _listed(kind, version)
    if kind == "setup_intents" and version != ENDIVE:
        name = "payment_method_types"
    listed = sdk.create(kind, **base, **{name: ["card"]})
    bare = sdk.create(kind, **base)
    for obj in (listed, bare, sdk.retrieve(kind, listed.id)):
        assert obj.payment_method_types == ["card"]
    if not _has_field(kind, version):
        for obj in (listed, bare, sdk.retrieve(kind, listed.id), sdk.retrieve(kind, bare.id)):
            assert "allowed_payment_method_types" not in obj
        return
    assert listed.allowed_payment_method_types == ["card"]
    assert sdk.retrieve(kind, listed.id).allowed_payment_method_types == ["card"]
    # Made without a list: Stripe picks the types itself and shows no allowed list.
    assert "allowed_payment_method_types" in bare
    assert bare.allowed_payment_method_types is None


@pytest.mark.parametrize("kind", ["payment_intents", "setup_intents"])
def test_an_update_sets_the_allowed_list_and_older_versions_never_see_it(
    sdk: Driver, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    endive = sdk.at(ENDIVE, monkeypatch)
    intent = endive.create(kind, **_BASE[kind], automatic_payment_methods={"enabled": True})
    assert intent.allowed_payment_method_types is None
    updated = endive.update(kind, intent.id, allowed_payment_method_types=["card"])
    assert updated.allowed_payment_method_types == ["card"]
    assert updated.automatic_payment_methods is None
    old = sdk.at(APM, monkeypatch).retrieve(kind, intent.id)
    assert old.payment_method_types == ["card"]
    assert "allowed_payment_method_types" not in old
