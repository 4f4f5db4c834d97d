"""Round trip of Stripe parameters: what stripe-python encodes is what the fake decodes.

stripe-python 16 builds form bodies with its own encoder (`stripe._encode._api_encode`, then
`urlencode`, then brackets put back unescaped). For random nested params the fake must decode
exactly the structure the SDK meant, modulo the SDK's documented conversions: `True` ->
`"true"`, ints -> strings, `None` left out (but a scalar directly in a list is sent as
`str(item)`: `"True"`, `"None"`), lists indexed (`x[0]`, `x[1]`), empty containers
sent as nothing. Keys holding `[` or `]`, or empty keys, are left out: the SDK writes brackets
back unescaped, so such keys are ambiguous on the wire for Stripe too.

Checked three ways: the encoder's bytes through the fake's form parser and decoder directly;
real SDK calls in-process; real SDK calls to the served fake (random keys under
`payment_method_options` are refused as unknown, as on Stripe; the request log still shows
what was decoded).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from mockkit.stripe import StripeFake, StripeServer
from mockkit.stripe import params as form_params
from mockkit.stripe.errors import StripeError
from mockkit.stripe.params import decode, parse_form
from tests.reliability.fuzzing import FUZZ, Tally

pytestmark = pytest.mark.fuzz

KEY = "sk_test_reliability"

keys = st.text(
    alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="[]"),
    min_size=1,
    max_size=20,
)
leaves = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.booleans(),
    st.none(),
)

nested = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=12,
)
params = st.dictionaries(keys, nested, max_size=6)


def sdk_body(data: dict[str, Any]) -> str:
    """The form body stripe-python 16 sends for `data` (see `_api_requestor.request_raw`)."""
    encoded = urlencode(list(_api_encode(data)))
    return encoded.replace("%5B", "[").replace("%5D", "]")


def expected(value: Any, in_list: bool = False) -> Any:
    """What the wire carries of `value`: strings at the leaves, lists as indexed hashes.

    Models the SDK's conversions, quirks included: a scalar directly inside a list skips
    them and is sent as `str(item)` (`[True, None]` arrives as `"True"`, `"None"`); a list
    directly inside a list is encoded like a hash of its indexes.
    """
    if in_list and not isinstance(value, list | dict):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        if in_list:
            return expected(dict(enumerate(value)))
        return _pruned({str(i): expected(item, in_list=True) for i, item in enumerate(value)})
    if isinstance(value, dict):
        return _pruned({str(k): expected(v) for k, v in value.items() if v is not None})
    return value


def _pruned(hash_: dict[str, Any]) -> dict[str, Any]:
    # An empty hash or list puts nothing on the wire.
    return {k: v for k, v in hash_.items() if v != {}}


def test_the_sdk_encoder_and_the_fake_decoder_agree(tally: Tally) -> None:
    @settings(FUZZ, max_examples=1000)
    @given(data=params)
    def check(data: dict[str, Any]) -> None:
        tally.add("stripe params round trip (encoder -> decoder)")
        assert decode(parse_form(sdk_body(data).encode())) == expected(data)

    check()


#: Form bodies as anything could send them: escapes good and bad, "+", separators, non-ASCII.
raw_forms = st.lists(
    st.one_of(
        st.sampled_from(["&", "=", "+", "%", "%2", "%20", "%2B", "%26", "%3D", "%e9", "%C3%A9"]),
        st.sampled_from(["%zz", "%%", "%F0%9F%98%80", "%ff", "[", "]", "%5B0%5D"]),
        st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=4),
    ),
    max_size=30,
).map("".join)


def test_the_form_parser_reads_what_urllib_reads(tally: Tally) -> None:
    # `parse_form` is the standard library's `parse_qsl(..., keep_blank_values=True)`, written
    # for speed: this holds it to the original.
    @settings(FUZZ, max_examples=1000)
    @given(body=raw_forms, as_bytes=st.booleans())
    def check(body: str, as_bytes: bool) -> None:
        tally.add("stripe form parser against urllib")
        sent = body.encode("utf-8") if as_bytes else body
        assert parse_form(sent) == parse_qsl(body, keep_blank_values=True)

    check()


#: Bracket names as anyone could send them: nested, appended (`[]`), clashing, malformed.
form_names = st.one_of(
    st.sampled_from(
        ["a", "b", "a[b]", "a[b][c]", "a[b][c][d]", "a[]", "a[][b]", "a[0]", "a[0][b]", "a[b][]"]
    ),
    st.lists(st.sampled_from(["a", "b", "0", "", "[", "]", "[]", "[b]", "[0]"]), max_size=4).map(
        "".join
    ),
)


def test_the_decoder_answers_alike_the_first_time_it_sees_a_name_and_after(
    tally: Tally,
) -> None:
    # `decode` remembers the way down for each name it has seen; the remembered way must give
    # what working it out gives, errors included.
    def outcome(pairs: list[tuple[str, str]]) -> object:
        try:
            return decode(pairs)
        except StripeError as exc:
            return (exc.message, exc.param)

    @settings(FUZZ, max_examples=1000)
    @given(pairs=st.lists(st.tuples(form_names, st.sampled_from(["x", "y", ""])), max_size=8))
    def check(pairs: list[tuple[str, str]]) -> None:
        tally.add("stripe form decoder, first sight and after")
        form_params._PLANS.clear()
        form_params._SPLIT.clear()
        first = outcome(pairs)
        assert outcome(pairs) == first
        assert outcome(pairs) == first

    check()


metadata = st.dictionaries(
    st.text(
        alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="[]"),
        min_size=1,
        max_size=40,
    ),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=500),
    max_size=50,
)
free_form = st.dictionaries(keys, nested, min_size=1, max_size=4)


@pytest.fixture(scope="module")
def served() -> Iterator[StripeServer]:
    """A served Stripe fake for the module."""
    with StripeFake().serve() as server:
        yield server


@pytest.mark.parametrize("transport", ["in-process", "served"])
def test_real_sdk_calls_store_exactly_what_was_sent(
    transport: str, tally: Tally, request: pytest.FixtureRequest
) -> None:
    if transport == "served":
        server: StripeServer = request.getfixturevalue("served")
        fake, base, context = server.fake, server.url, None
    else:
        fake = StripeFake()
        base, context = "https://api.stripe.com", fake
    client = stripe.StripeClient(KEY, base_addresses={"api": base}, max_network_retries=0)

    @settings(FUZZ, max_examples=300 if transport == "in-process" else 150)
    @given(meta=metadata, options=free_form)
    def check(meta: dict[str, str], options: dict[str, Any]) -> None:
        tally.add(f"stripe params round trip (SDK, {transport})")
        base = {"amount": 1000, "currency": "usd", "metadata": meta}
        try:
            intent = client.v1.payment_intents.create(
                params={**base, "payment_method_options": options}
            )
        except stripe.InvalidRequestError as exc:
            # Taken as sent, but only with keys Stripe knows there: a random one is Stripe's
            # unknown parameter, named in full. The request log still holds what was decoded.
            assert str(exc.param).startswith("payment_method_options[")
            assert exc.code == "parameter_unknown" or "Invalid array" in str(exc)
            logged = [r for r in fake.requests if r.path == "/v1/payment_intents"][-1]
            assert logged.params.get("payment_method_options", {}) == expected(options)
            intent = client.v1.payment_intents.create(params=base)
            assert "payment_method_options" not in fake.requests[-1].params
            assert fake.payment_intents[intent.id]["metadata"] == meta
            assert intent.metadata.to_dict() == meta
            return
        assert fake.payment_intents[intent.id]["metadata"] == meta
        assert intent.metadata.to_dict() == meta
        logged = [r for r in fake.requests if r.path == "/v1/payment_intents"][-1]
        assert logged.params.get("payment_method_options", {}) == expected(options)

    if context is not None:
        with context:
            check()
    else:
        check()
