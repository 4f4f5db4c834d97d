"""Nested request parameters judged by what Stripe knows at the request's version.

A parameter spec nests `Hash` and `Arr` coercers (`line_items[0][price_data][currency]`); the
table of Stripe's parameters (`apitable.nested_spans`) lists every nested parameter each API
version has. Walking a request's decoded parameters along both, at every depth:

- a key the spec's hash does not take but Stripe knows at the version is the fake's "not
  emulated" refusal naming it in full (`line_items[0][price_data][tax_behavior]`);
- a key the spec takes but Stripe has only at other versions is Stripe's "Received unknown
  parameter";
- under a parameter the fake takes as sent (`ANY`: accepted, not acted on), a key Stripe does
  not know at the version is "Received unknown parameter", as on Stripe.

The rest (an unknown key, a bad value) is `validate`'s to answer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping
from typing import Any

from mockkit.stripe import apitable
from mockkit.stripe.errors import StripeError, not_emulated, param_error
from mockkit.stripe.params import ANY, Arr, Coercer, Hash

__all__ = ["refuse_nested"]

_INDEX = re.compile(r"[0-9]{1,9}")


class _Walk:
    """One request's walk: the endpoint, the version and the table's paths for them."""

    def __init__(self, method: str, template: str, version: str, spans: dict[str, Any]) -> None:
        self.method = method
        self.template = template
        self.version = version
        self.spans = spans
        self.parents = _parents(method, template)

    def knows(self, path: str) -> bool | None:
        span = self.spans.get(path)
        return None if span is None else apitable.known(span, self.version)

    def spec(self, coerce: Coercer, value: Any, sent: str, path: str) -> None:
        """`value` sent as `sent` (`items[0][price]`), at table path `path` (`items[][price]`)."""
        if isinstance(coerce, Hash):
            if not isinstance(value, dict):
                return  # not a hash: `validate` says so
            for key, item in value.items():
                child = coerce.spec.get(key)
                knows = self.knows(f"{path}[{key}]")
                if child is None:
                    if knows:
                        raise not_emulated(
                            f"the parameter `{sent}[{key}]` of {self.method} {self.template} "
                            f"(Stripe knows it at API version {self.version})",
                            f"{sent}[{key}]",
                        )
                    continue  # unknown to Stripe too: `validate`'s "Received unknown parameter"
                if knows is False:
                    raise _unknown(f"{sent}[{key}]")
                self.spec(child, item, f"{sent}[{key}]", f"{path}[{key}]")
        elif isinstance(coerce, Arr):
            if isinstance(value, dict):
                for key, item in value.items():
                    if _INDEX.fullmatch(key):
                        self.spec(coerce.item, item, f"{sent}[{key}]", f"{path}[]")
        elif coerce is ANY:
            self.free(value, sent, path)

    def free(self, value: Any, sent: str, path: str) -> None:
        """A value the fake takes as sent: every key in it must be one Stripe knows."""
        if not isinstance(value, dict) or path not in self.parents:
            return  # a plain value, or a free-form hash (metadata) Stripe takes any key of
        is_list = f"{path}[]" in self.spans
        for key, item in value.items():
            if is_list and _INDEX.fullmatch(key):
                self.free(item, f"{sent}[{key}]", f"{path}[]")
            elif self.knows(f"{path}[{key}]"):
                self.free(item, f"{sent}[{key}]", f"{path}[{key}]")
            elif is_list and f"{path}[{key}]" not in self.spans:
                raise param_error(f"Invalid array: {sent} must be an array", sent)
            else:
                raise _unknown(f"{sent}[{key}]")


@functools.cache
def _parents(method: str, template: str) -> frozenset[str]:
    """The table's paths of the endpoint that hold nested parameters (hashes and lists)."""
    out = set()
    for path in apitable.nested_spans(method, template) or {}:
        while "[" in path:
            path = path[: path.rindex("[")]
            out.add(path)
    return frozenset(out)


def _unknown(name: str) -> StripeError:
    return param_error(f"Received unknown parameter: {name}.", name, "parameter_unknown")


def refuse_nested(
    method: str,
    template: str,
    params: Mapping[str, Any],
    spec: Mapping[str, Coercer],
    version: str,
    skip: Collection[str] = (),
) -> None:
    """Refuse, at any depth of `params`, what Stripe would at `version` and what it knows there
    but the fake does not emulate (see the module's docstring); `skip` names top-level
    parameters not to walk (a renamed one converted to the form the state reads)."""
    spans = apitable.nested_spans(method, template)
    if not spans:
        return  # an endpoint the table does not describe, or one without nested parameters
    walk = _Walk(method, template, version, spans)
    for name, value in params.items():
        coerce = spec.get(name)
        if coerce is not None and name not in skip:
            walk.spec(coerce, value, name, name)
