"""Hypothesis strategies for hostile HTTP input: methods, paths, queries, bodies, headers.

Built to reach deep into a fake rather than bounce off its front door: most paths are real
route templates with ids that exist, wrong ones or odd ones filled in; most keys are valid, so
parameter decoding, validation, idempotency and the state itself all get exercised. The rest
is garbage on purpose: invalid UTF-8, broken percent escapes, deep and conflicting bracket
nesting, duplicate keys, huge values, JSON where a form is expected.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from hypothesis import strategies as st

METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")

#: Characters that break naive parsers: brackets, separators, escapes, controls, non-ASCII.
_NASTY = "[]&=%+;#?/\\\"'<>{} \t\r\n\x00\x7f é€😀\u202e\ufeff²١"

words = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz_0123456789"), min_size=1, max_size=12
)
nasty_text = st.text(
    alphabet=st.one_of(st.sampled_from(_NASTY), st.characters(exclude_categories=("Cs",))),
    max_size=40,
)
scalars = st.one_of(
    words,
    nasty_text,
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.sampled_from(["", "true", "false", "null", "0", "-1", "99999999999999999999", "1e3"]),
    st.sampled_from(["usd", "eur", "pm_card_visa", "pm_card_chargeDeclined", "card", "payment"]),
    st.just("x" * 6000),  # past every Str() limit
)


def bracket_key(names: Sequence[str]) -> str:
    """`["a", "b", "0"]` -> `"a[b][0]"`."""
    return names[0] + "".join(f"[{n}]" for n in names[1:])


#: Segments inside brackets: names, indexes (real, huge, non-ASCII digits), the empty `[]`.
segments = st.one_of(
    words, st.sampled_from(["", "0", "1", "2", "99", "²", "١", "01", "-1", "9" * 5000])
)
_broken_brackets = ("{}[", "{}]", "[{}]", "{}[a", "{}[]]", "{}[[a]]")


def form_keys(known: Sequence[str]) -> st.SearchStrategy[str]:
    """Parameter names: known ones, nested, very deep, with broken brackets, or nonsense.

    Built once per list of known names: constructing strategies inside a composite on every
    draw would cost more than the request under test.
    """
    # An endpoint that takes no parameters (a deletion) gets names it refuses.
    heads = st.one_of(st.sampled_from(list(known) or ["expand", "metadata"]), words)
    nested = st.builds(
        lambda head, tail: bracket_key([head, *tail]),
        heads,
        st.lists(segments, min_size=1, max_size=4),
    )
    deep = st.builds(
        lambda head, depth: bracket_key([head, *(["a"] * depth)]),
        heads,
        st.sampled_from([30, 200, 1200]),
    )
    broken = st.builds(
        lambda head, shape: shape.format(head), heads, st.sampled_from(_broken_brackets)
    )
    return st.one_of(heads, heads, nested, nested, deep, broken, nasty_text.filter(bool))


def form_pairs(known: Sequence[str], max_size: int = 6) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Form pairs with keys from `form_keys(known)`; duplicates and plain-then-nested too."""
    pairs = st.lists(st.tuples(form_keys(known), scalars), max_size=max_size)

    def with_repeats(drawn: tuple[list[tuple[str, str]], int, str]) -> list[tuple[str, str]]:
        items, pick, value = drawn
        if items and pick % 3 == 0:
            items = [*items, (items[pick % len(items)][0], value)]  # the same key twice
        elif items and pick % 3 == 1:
            items = [*items, (items[pick % len(items)][0] + "[x]", value)]  # plain, then nested
        return items

    return st.tuples(pairs, st.integers(0, 8), scalars).map(with_repeats)


def encode_pairs(pairs: Sequence[tuple[str, str]], raw_brackets: bool) -> bytes:
    """Form-encode pairs (brackets unescaped as stripe-python sends them, or escaped)."""
    safe = "[]" if raw_brackets else ""
    return "&".join(f"{quote(k, safe=safe)}={quote(v, safe='')}" for k, v in pairs).encode(
        "utf-8", "surrogatepass"
    )


#: Bodies that are not a clean form: bad encodings, bad escapes, JSON, binary, huge.
broken_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"amount=%zz&currency=%",
            b"amount=\xff\xfe&currency=usd",
            b"metadata[\xc3(]=1",
            b"=&=&&&=",
            b"a" * 300_000,
            b"metadata[a]=" + b"%41" * 50_000,
            b'{"amount": 100, "currency": "usd"}',
            b"[]",
            b"\x00\x00\x00",
            "amount=١٢&currency=usd".encode(),
        ]
    ),
    st.dictionaries(words, st.one_of(scalars, st.lists(words, max_size=3)), max_size=4).map(
        lambda d: json.dumps(d).encode()
    ),
)


@dataclass
class Call:
    """One hostile HTTP request, transport-neutral."""

    method: str
    path: str
    query: str = ""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def url(self, base: str) -> str:
        """The full URL on `base`."""
        return base + self.path + ("?" + self.query if self.query else "")


def paths(templates: Sequence[str], ids: Sequence[str]) -> st.SearchStrategy[str]:
    """Route templates with `{id}` filled in (real ids, odd ones), or damaged, invented paths."""
    fills = st.one_of(
        st.sampled_from(list(ids) or ["x"]),
        st.sampled_from(list(ids) or ["x"]),
        words,
        nasty_text.map(lambda t: quote(t, safe="") or "x"),
        st.sampled_from(["%2F", "..", "%00", "%ff", "%", "x" * 3000, "%C3%28", "%20"]),
    )
    template = st.sampled_from(list(templates))
    return st.one_of(
        st.builds(lambda t, f: t.replace("{id}", f), template, fills),
        st.builds(lambda t, f: t.replace("{id}", f), template, fills),
        st.builds(
            lambda t, tail: t.replace("{id}", "x") + tail,
            template,
            st.sampled_from(["/", "//", "/extra", "/."]),
        ),
        st.lists(words, max_size=6).map(lambda ws: "/" + "/".join(ws)),
        st.sampled_from(["/", "//", "/v1", "/v1/", "/v2/customers", "/%", "/%zz"]),
        nasty_text.map(lambda t: "/" + quote(t, safe="/%")),
    )
