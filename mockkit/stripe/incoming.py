"""What the Stripe fake makes of a request before it takes its lock: auth, route, parameters.

None of it needs the account's state, so `StripeFake.parse` runs it outside the fake's lock:
one client's large body is decoded and validated while other clients are answered. The
outcome (`parse()`) is what `StripeFake.dispatch` then acts on, under the lock.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mockkit.http import Request
from mockkit.stripe import auth, versions
from mockkit.stripe.errors import StripeError
from mockkit.stripe.expand import check_expand
from mockkit.stripe.idempotency import Attempt, Idempotency
from mockkit.stripe.params import decode, parse_form, validate
from mockkit.stripe.routes import ROUTES
from mockkit.stripe.routing import Endpoint

__all__ = ["HOSTED", "UNRECOGNIZED", "Parsed", "parse"]

#: A hosted page (Checkout, 3D Secure, the customer portal): answered by `mockkit.stripe.hosted`
#: and `mockkit.stripe.portal`.
HOSTED = object()
#: An API path no endpoint matches.
UNRECOGNIZED = object()


#: Request shapes that passed `versions.refuse_unknown`: the endpoint, the version and the
#: parameter names in the order sent. What it refuses depends on nothing else (which keys
#: nest in which, so which are hashes and which lists, is all in the names), and a client
#: sends the same names on every call of an endpoint, so each shape is judged once. Bounded:
#: the names (metadata keys) are the client's.
_PASSED: set[tuple[str, ...]] = set()
_MAX_PASSED = 4096


class Parsed(NamedTuple):
    """An API request that passed auth, routing and validation."""

    endpoint: Endpoint
    path_params: dict[str, str]
    params: dict[str, Any]
    idempotency_key: str | None
    attempt: Attempt | None
    #: The API version the request is answered as (`Stripe-Version`, else the account's).
    version: str


def parse(request: Request, api_key: str | None, account_version: str) -> object:
    """`HOSTED`, `UNRECOGNIZED`, a `Parsed` request, or the `StripeError` to answer it with.

    Checks in Stripe's order: the API key (`api_key`: the only one accepted, if set), Connect,
    the route, the `Stripe-Version` (else `account_version`), the parameters as that version
    names them, `expand`, the idempotency key. Fills `request.params` (the decoded
    parameters as sent, for the request log).
    """
    path = request.path
    if path.startswith(("/c/pay/", "/3d_secure_2/hosted/", "/p/")) or request.host in (
        "checkout.stripe.com",
        "billing.stripe.com",
    ):
        return HOSTED
    try:
        key = auth.api_key(request, api_key)
        if request.header("Stripe-Account"):
            raise StripeError(
                400,
                "invalid_request_error",
                "mockkit's Stripe fake does not emulate Connect: requests made on behalf of a "
                "connected account (the Stripe-Account header, stripe_account=...) are not "
                "supported.",
            )
        method = request.method
        found = ROUTES.match(method, path)
        if found is not None and path.endswith("/search") and "{" in found[0].template:
            # `/v1/refunds/search` is an unknown URL on Stripe, not the refund "search".
            found = None
        if found is None:
            try:  # decoded params still help in the request log
                request.params = decode(request.form() if method == "POST" else request.query)
            except StripeError:
                request.params = None
            return UNRECOGNIZED
        endpoint, path_params = found
        named = request.header("Stripe-Version")
        version = versions.check(named) if named else account_version
        pairs = parse_form(request.query_string) if request.query_string else []
        if method == "POST" and request.body:
            pairs += parse_form(request.body)
        raw = decode(pairs)
        request.params = raw
        current = versions.renamed_params(method, endpoint.template, raw, version)
        shape = (method, endpoint.template, version, *[name for name, _ in pairs])
        if shape not in _PASSED:
            versions.refuse_unknown(method, endpoint.template, current, endpoint.spec, version)
            if len(_PASSED) < _MAX_PASSED:
                _PASSED.add(shape)
        params = validate(current, endpoint.spec, endpoint.required)
        if params.get("expand"):
            check_expand(endpoint.kind, params["expand"])
        idempotency_key = request.header("Idempotency-Key") if method == "POST" else None
        attempt = None
        if idempotency_key:
            attempt = Idempotency.attempt(
                key, idempotency_key, method, path, request.query_string, request.body
            )
        return Parsed(endpoint, path_params, params, idempotency_key, attempt, version)
    except StripeError as exc:
        return exc
