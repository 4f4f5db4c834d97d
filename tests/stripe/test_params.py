"""Form decoding and validation, and odd input that must answer a Stripe error (never a 500)."""

from __future__ import annotations

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.stripe import StripeFake
from mockkit.stripe.errors import StripeError
from mockkit.stripe.params import EXPAND, INT, METADATA, Arr, Hash, decode, validate
from tests.stripe.driver import KEY


def test_decode_nests_brackets_and_both_array_styles() -> None:
    pairs = [
        ("metadata[order]", "42"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][quantity]", "2"),
        ("expand[]", "customer"),
        ("expand[]", "latest_charge"),
    ]
    assert decode(pairs) == {
        "metadata": {"order": "42"},
        "line_items": {"0": {"price_data": {"currency": "usd"}, "quantity": "2"}},
        "expand": {"0": "customer", "1": "latest_charge"},
    }
    assert EXPAND(decode([("expand[0]", "a"), ("expand[1]", "b")])["expand"], "expand") == [
        "a",
        "b",
    ]


def test_arrays_keep_index_order_and_metadata_keeps_numeric_keys() -> None:
    raw = decode([("x[10]", "c"), ("x[2]", "b"), ("x[0]", "a"), ("metadata[0]", "zero")])
    assert Arr(lambda v, n: v)(raw["x"], "x") == ["a", "b", "c"]
    assert METADATA(raw["metadata"], "metadata") == {"0": "zero"}


@pytest.mark.parametrize(
    "pairs",
    [[("a", "1"), ("a[b]", "2")], [("a[b]", "2"), ("a", "1")], [("[x]", "1")], [("a[b", "1")]],
)
def test_conflicting_or_malformed_keys_are_param_errors(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(StripeError) as info:
        decode(pairs)
    assert info.value.status == 400 and info.value.type == "invalid_request_error"


def test_validate_names_nested_params_in_bracket_form() -> None:
    spec = {"line_items": Arr(Hash({"quantity": INT}, ("quantity",)))}
    with pytest.raises(StripeError) as info:
        validate({"line_items": {"0": {"quantity": "x"}}}, spec)
    assert info.value.param == "line_items[0][quantity]"
    with pytest.raises(StripeError) as info:
        validate({"line_items": {"0": {}}}, spec)
    assert info.value.param == "line_items[0][quantity]" and info.value.code == "parameter_missing"
    with pytest.raises(StripeError) as info:
        validate({"line_items": "nope"}, spec)
    assert info.value.param == "line_items"


def test_empty_string_unsets_and_empty_metadata_clears() -> None:
    assert validate({"metadata": ""}, {"metadata": METADATA}) == {"metadata": {}}
    assert validate({"metadata": {"a": ""}}, {"metadata": METADATA}) == {"metadata": {"a": None}}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="ab[]0_", min_size=1, max_size=12),
            st.text(alphabet="xy1 ", max_size=5),
        ),
        max_size=6,
    )
)
def test_any_form_input_answers_json_never_a_500(pairs: list[tuple[str, str]]) -> None:
    fake = StripeFake()
    with fake:
        for path in ("/v1/customers", "/v1/payment_intents", "/v1/checkout/sessions"):
            r = requests.post(
                f"https://api.stripe.com{path}",
                data=pairs,
                headers={"Authorization": f"Bearer {KEY}"},
            )
            assert r.status_code in (200, 400, 402, 404), (path, pairs, r.text)
            body = r.json()
            assert "error" in body or "id" in body


@pytest.mark.parametrize("value", ["abc", "1e5", "١٢", "1.", "-5"])
def test_bad_decimal_amounts_are_400_not_500(fake: StripeFake, value: str) -> None:
    import stripe

    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Price.create(currency="usd", unit_amount_decimal=value, product_data={"name": "x"})
    assert info.value.param == "unit_amount_decimal"


def test_decimal_amounts_are_kept(fake: StripeFake) -> None:
    import stripe

    price = stripe.Price.create(
        currency="usd", unit_amount_decimal="1250.5", product_data={"name": "x"}
    )
    assert price.unit_amount == 1250
    assert str(price.unit_amount_decimal) == "1250.5"
