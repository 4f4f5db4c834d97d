"""The headers of a request made with httpx, as a fake reads them: lazily, but as if eager.

The httpx transport hands a fake httpx's own header list (`mockkit.http.WireHeaders`), read in
place for the few headers a fake looks up and turned into a map only when something reads
more. Whatever is read, and in whatever order, it must answer what the eager copy
(`headers_from_pairs`) answers: repeated names folded, any case, the last spelling kept.
"""

from __future__ import annotations

import copy

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.http import WireHeaders, headers_from_pairs
from mockkit.httpx_transport import request_from_httpx
from tests.reliability.fuzzing import FUZZ, Tally

names = st.sampled_from(
    ["Authorization", "authorization", "Stripe-Version", "Idempotency-Key", "X-Trace", "x-TRACE"]
)
values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
header_lists = st.lists(st.tuples(names, values), max_size=8)
reads = st.lists(
    st.one_of(
        st.tuples(st.just("header"), names),
        st.tuples(st.just("item"), names),
        st.tuples(st.just("set"), names),
    ),
    max_size=6,
)


def test_wire_headers_answer_what_the_eager_map_answers(tally: Tally) -> None:
    @settings(FUZZ, max_examples=400)
    @given(pairs=header_lists, steps=reads)
    def check(pairs: list[tuple[str, str]], steps: list[tuple[str, str]]) -> None:
        tally.add("httpx request headers read lazily")
        sent = httpx.Request("POST", "https://api.stripe.com/v1/customers", headers=pairs)
        request = request_from_httpx(sent)
        assert type(request.headers) is WireHeaders
        eager = headers_from_pairs([(k.decode(), v.decode()) for k, v in sent.headers.raw])
        for action, name in steps:
            if action == "header":
                assert request.header(name) == eager.get(name)
            elif action == "item":
                assert request.headers.get(name) == eager.get(name)
            else:
                request.headers[name] = "set"
                eager[name] = "set"
        assert dict(request.headers) == dict(eager)
        assert list(request.headers.lower_items()) == list(eager.lower_items())
        assert copy.deepcopy(request.headers) == eager

    check()
