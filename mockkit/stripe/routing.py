"""The Stripe fake's route table: each endpoint with its parameter spec, on the route itself.

A resource's routes module (`mockkit.stripe.routes.<resource>`) declares each endpoint with
`@endpoint(method, template, spec, required, kind=...)` over a thin function that takes the
state, the validated parameters and the path parameters, and returns the object to answer
with (or raises `StripeError`). Decoding, auth, idempotency, `expand` and encoding happen once,
in `StripeFake.dispatch`, for every endpoint alike.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from mockkit.fake import Route, Routes
from mockkit.stripe.params import EXPAND, Coercer

__all__ = ["ROUTES", "Endpoint", "EndpointFunction", "RouteTable", "endpoint"]

#: What an endpoint runs: `(state, params, **path_params) -> object to answer with`.
EndpointFunction = Callable[..., Any]


@dataclass
class Endpoint(Route):
    """One emulated endpoint: its route, parameter spec, required names and answered kind.

    `kind` is the kind of object answered (what `expand` starts from): `"list:<kind>"` for a
    list endpoint, `"deleted"` for a deletion stub.
    """

    #: Returns the object to answer with, not a `Response` (see `EndpointFunction`).
    handler: EndpointFunction
    spec: Mapping[str, Coercer] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    kind: str = ""


class RouteTable(Routes):
    """Stripe's endpoints, templated paths bucketed by method and segment count.

    The base class tries every templated route's regex in turn; bucketing keeps a lookup to
    the two or three routes that could match, whatever the number of endpoints.
    """

    def __init__(self) -> None:
        super().__init__()
        self._buckets: dict[tuple[str, int, str], list[Route]] = {}

    def add_endpoint(self, ep: Endpoint) -> None:
        """Add an endpoint (refusing a second one for the same method and template)."""
        if any(r.method == ep.method and r.template == ep.template for r in self.all()):
            raise ValueError(f"Stripe endpoint {ep.method} {ep.template} is declared twice")
        if "{" in ep.template:
            self._templated.append(ep)
            segments = ep.template.split("/")
            key = (ep.method, len(segments), segments[2])
            self._buckets.setdefault(key, []).append(ep)
        else:
            self._exact[(ep.method, ep.template)] = ep

    def add(self, method: str, template: str, handler: Callable[..., Any]) -> None:
        """Add an endpoint without a parameter spec (only `expand` is accepted)."""
        self.add_endpoint(Endpoint(method.upper(), template, handler))

    def match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        """The endpoint for `method path` and its path parameters, or None."""
        route = self._exact.get((method, path))
        if route is not None:
            return cast(Endpoint, route), {}
        segments = path.split("/")
        if len(segments) < 3:
            return None
        for route in self._buckets.get((method, len(segments), segments[2]), ()):
            m = route.regex.match(path)
            if m:
                return cast(Endpoint, route), m.groupdict()
        return None

    def endpoints(self) -> list[Endpoint]:
        """Every endpoint, exact paths first."""
        return [cast(Endpoint, r) for r in self.all()]

    def hint(self, method: str, path: str) -> str:
        """What to tell a request no endpoint answers: what this path is emulated for, or
        the closest emulated path (only one that is really close), or nothing.

        Ids in the path are compared as `{id}`: `/v1/subscriptions/sub_1/items` is close to
        `/v1/subscriptions/{id}`, never to an unrelated resource's path.
        """
        if path.endswith("/search") and not any(r.template == path for r in self.all()):
            # `/v1/refunds/search` would otherwise read as a refund's id, "search".
            searchable = sorted(r.template for r in self.all() if r.template.endswith("/search"))
            return "; search is emulated only at " + ", ".join(f"GET {t}" for t in searchable)
        # A literal path (`/v1/customers/search`) is not also the `{id}` route beside it.
        here = [r for r in self.all() if r.template == path] or [
            r for r in self.all() if r.regex.fullmatch(path)
        ]
        if here:
            return "; this path is emulated for " + ", ".join(_methods(here)) + " only"
        literals = {seg for r in self.all() for seg in r.template.split("/") if "{" not in seg}
        # Ids come after the resource's name (`/v1/<resource>/...`), never in its place.
        shape = "/".join(
            "{id}" if i >= 3 and seg not in literals and _ID.search(seg) else seg
            for i, seg in enumerate(path.split("/"))
        )
        templates = sorted({r.template for r in self.all()})
        close = difflib.get_close_matches(shape, templates, n=1, cutoff=0.75)
        if not close:
            return ""
        routes = [r for r in self.all() if r.template == close[0]]
        routes.sort(key=lambda r: r.method != method)  # the request's own method first
        return "; closest supported: " + ", ".join(f"{r.method} {r.template}" for r in routes)


#: What an object id looks like in a path (`cus_N1a2b3`, `sub_1`): a prefix, `_`, then more.
_ID = re.compile(r"^[a-z]+_(test_)?[A-Za-z0-9]+$")


def _methods(routes: list[Route]) -> list[str]:
    order = ("GET", "POST", "DELETE")
    found = {r.method for r in routes}
    return [m for m in order if m in found] + sorted(found - set(order))


#: Every endpoint of the Stripe fake (filled as the `mockkit.stripe.routes` modules load).
ROUTES = RouteTable()


def endpoint(
    method: str,
    template: str,
    spec: Mapping[str, Coercer] | None = None,
    required: tuple[str, ...] = (),
    kind: str = "",
) -> Callable[[EndpointFunction], EndpointFunction]:
    """Declare `method template` answered by the decorated function, with its parameter spec.

    Every endpoint but a deletion also accepts `expand` (a deletion stub has nothing to expand,
    and Stripe's DELETE endpoints take no `expand`). `kind` is what it answers (see `Endpoint`).
    """

    def decorate(fn: EndpointFunction) -> EndpointFunction:
        expand: dict[str, Coercer] = {} if method.upper() == "DELETE" else {"expand": EXPAND}
        full: dict[str, Coercer] = {**expand, **(spec or {})}
        ROUTES.add_endpoint(Endpoint(method.upper(), template, fn, full, required, kind))
        return fn

    return decorate
