"""Property: a replacement `check_signature` accepts takes every call the original takes."""

from __future__ import annotations

import inspect
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mockkit.patching import PatchError, check_signature

P = inspect.Parameter
NAMES = ["a", "b", "c", "d", "e", "f"]


@st.composite
def signatures(draw: st.DrawFn) -> inspect.Signature:
    """Any valid Python signature over a few names: / , plain, *args, keyword-only, **kwargs."""
    names = draw(st.permutations(NAMES))
    counts = draw(st.lists(st.integers(0, 2), min_size=3, max_size=3))
    params: list[P] = []
    defaulted = False
    index = 0
    for kind, count in zip((P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD), counts[:2], strict=True):
        for _ in range(count):
            defaulted = defaulted or draw(st.booleans())
            default = 0 if defaulted else P.empty
            params.append(P(names[index], kind, default=default))
            index += 1
    if draw(st.booleans()):
        params.append(P("args", P.VAR_POSITIONAL))
    for _ in range(counts[2]):
        params.append(P(names[index], P.KEYWORD_ONLY, default=draw(st.sampled_from([0, P.empty]))))
        index += 1
    if draw(st.booleans()):
        params.append(P("kwargs", P.VAR_KEYWORD))
    return inspect.Signature(params)


def function(signature: inspect.Signature) -> Any:
    """A real function with that signature: real calls are the oracle (`Signature.bind` is
    stricter than Python about positional-only names passed on to `**kwargs`)."""
    namespace: dict[str, Any] = {}
    exec(f"def f{signature}:\n    return None\n", namespace)
    return namespace["f"]


@settings(max_examples=400, deadline=None)
@given(
    original=signatures(),
    replacement=signatures(),
    positional=st.integers(0, 4),
    keywords=st.sets(st.sampled_from([*NAMES, "zz"])),
)
def test_an_accepted_replacement_takes_every_call_the_original_takes(
    original: inspect.Signature,
    replacement: inspect.Signature,
    positional: int,
    keywords: set[str],
) -> None:
    args = tuple(range(positional))
    kwargs = {name: 1 for name in keywords}
    old, new = function(original), function(replacement)
    try:
        old(*args, **kwargs)
    except TypeError:
        return  # not a call the original takes: nothing is promised
    try:
        check_signature(old, new)
    except PatchError:
        return
    new(*args, **kwargs)  # must not raise


@settings(max_examples=100, deadline=None)
@given(signature=signatures())
def test_a_signature_always_fits_itself_and_a_catch_all(signature: inspect.Signature) -> None:
    check_signature(function(signature), function(signature))
    check_signature(function(signature), lambda *args, **kwargs: None)
