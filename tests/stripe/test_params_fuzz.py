"""The Stripe fake's parameter decoder and validators, fuzzed directly at volume.

Every endpoint's spec gets random parameters in the shapes clients send (nested brackets,
array indexes, odd digits, huge numbers, conflicting keys). Decoding and validation either
return values or raise the fake's own 400 error naming a parameter: any other exception would
reach users as a 500 from the fake.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.stripe.errors import StripeError
from mockkit.stripe.params import decode, validate
from mockkit.stripe.routes import ROUTES
from mockkit.stripe.routing import Endpoint
from tests.reliability.fuzzing import FUZZ, Tally
from tests.reliability.strategies import form_pairs, scalars, segments

pytestmark = pytest.mark.fuzz

ENDPOINTS: list[tuple[str, Endpoint]] = [
    (f"{e.method} {e.template}", e) for e in ROUTES.endpoints()
]

#: Index-like segments, weighted up: arrays are where integer parsing happens.
indexes = st.one_of(
    segments,
    st.sampled_from(["²", "١", "٣", "𝟘", "9" * 5000, "0" * 30, "1_0", " 1", "+1"]),
)


def _cases(name: str, endpoint: Endpoint) -> st.SearchStrategy[Case]:
    """Pairs aimed at one endpoint's own parameters, array items and hashes weighted up.

    Built once per endpoint: building strategies on every draw costs more than the check.
    """
    known = sorted(endpoint.spec) or ["expand"]  # a deletion takes none: a name it refuses
    item = st.builds(
        lambda head, tail, value: (head + "".join(f"[{t}]" for t in tail), value),
        st.sampled_from(known),
        st.lists(
            st.one_of(indexes, st.sampled_from(["price", "name", "a"])), min_size=1, max_size=3
        ),
        scalars,
    )
    return st.builds(
        lambda pairs, items: (name, endpoint, pairs + items),
        form_pairs(known, max_size=4),
        st.lists(item, max_size=3),
    )


Case = tuple[str, Endpoint, list[tuple[str, str]]]
endpoint_params = st.one_of([_cases(name, endpoint) for name, endpoint in ENDPOINTS])


def test_decoding_and_validation_answer_400_or_values(tally: Tally) -> None:
    @settings(FUZZ, max_examples=1500)
    @given(case=endpoint_params)
    def check(case: Case) -> None:
        tally.add("stripe parameter decoder")
        name, endpoint, pairs = case
        try:
            validate(decode(pairs), endpoint.spec, endpoint.required)
        except StripeError as exc:
            assert exc.status == 400, (name, pairs, exc)
            assert exc.type == "invalid_request_error"
            assert exc.message and exc.param is not None, (name, pairs, exc.message)

    check()


@FUZZ
@given(digits=st.text(alphabet=st.sampled_from("١٢٣۴५୬๗໘𝟙𝟚"), min_size=1, max_size=6))
def test_integers_in_other_scripts_are_refused_like_stripe_does(digits: str) -> None:
    """`amount=١٢` is not 12 on Stripe's API: Python's int() reads it, the API does not."""
    from mockkit.stripe.params import INT

    try:
        INT(digits, "amount")
    except StripeError as exc:
        assert exc.param == "amount" and exc.code == "parameter_invalid_integer"
    else:
        raise AssertionError(f"{digits!r} was read as an integer")
