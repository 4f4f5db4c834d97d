"""One canned answer for one provider endpoint, on a `responses` mock: no state, no fake.

For the quick cases, when a test wants a realistic answer and nothing more::

    import responses
    from mockkit import stubs, errors

    @responses.activate
    def test_pay():
        stubs.stripe_payment_intent_create(status="succeeded")
        ...  # the app calls stripe.PaymentIntent.create(...)

    def test_decline(mockkit_responses):
        stubs.stripe_payment_intent_create(mockkit_responses, fault=errors.stripe.card_declined())

Bodies come from the same object factories the fakes use (`mockkit.stripe.objects`,
`mockkit.oauth.objects`), so their shapes are the real ones; keyword overrides replace
top-level fields. Stripe stubs also reflect the scalar parameters the request sent (`amount`,
`currency`, `metadata[...]`, ...) into the object, as Stripe does. `fault=` takes any
`mockkit.errors` factory in place of the body (`slow()` then answers the usual body after its
delay). Each function registers on `rsps` (default: the `responses` module's own mock) and
returns the registered stub, whose `call_count` says how many attempts the client made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
import responses

from mockkit.errors import Fault
from mockkit.http import Request, Response
from mockkit.oauth import objects as oauth_objects
from mockkit.stripe import objects as stripe_objects
from mockkit.stripe.errors import request_id
from mockkit.transport import TransportFault, request_from_prepared

__all__ = [
    "github_emails",
    "github_token",
    "github_user",
    "google_token",
    "google_userinfo",
    "stripe_checkout_session_create",
    "stripe_checkout_session_retrieve",
    "stripe_customer_create",
    "stripe_payment_intent_confirm",
    "stripe_payment_intent_create",
    "stripe_payment_intent_retrieve",
    "stripe_refund_create",
    "stub",
]

STRIPE_API = "https://api.stripe.com"
GITHUB_TOKEN_URL = "https://github.com/login/oauth/access_token"
GITHUB_API = "https://api.github.com"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_USERINFO_URL = "https://openidconnect.googleapis.com/v1/userinfo"

Body = Mapping[str, Any] | list[Any] | Response | Callable[[Request], Response]


def stub(
    rsps: responses.RequestsMock | None,
    method: str,
    url: str | re.Pattern[str],
    body: Body,
    *,
    fault: Fault | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> responses.BaseResponse:
    """Register `method url` answering `body`, or `fault` in its place.

    `body`: a JSON-able dict or list, a `mockkit.http.Response`, or a function of the
    `mockkit.http.Request` returning one (built afresh for every call). `fault`: any
    `mockkit.errors` factory; a `slow()` fault answers `body` once its delay is over.
    """
    if fault is not None and not callable(getattr(fault, "respond", None)):
        raise TypeError(f"fault= takes a mockkit.errors factory's result, got {fault!r}")

    def usual(request: Request) -> Response:
        if callable(body):
            return body(request)
        if isinstance(body, Response):
            return body
        return Response.json(body, status=status, headers=headers)

    def callback(prepared: requests.PreparedRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        request = request_from_prepared(prepared)
        try:
            response = fault.respond(request) if fault is not None else None
        except TransportFault as failure:
            raise failure.to_requests_exception(prepared) from None
        if response is None:  # no fault, or a delay that is over: the usual answer
            response = usual(request)
        return response.status, list(response.headers), response.body

    target: Any = rsps if rsps is not None else responses.mock
    registered: responses.BaseResponse = target.add_callback(
        method.upper(), url, callback=callback, content_type=None
    )
    return registered


# --------------------------------------------------------------------------------------------
# Stripe
# --------------------------------------------------------------------------------------------

_BRACKET = re.compile(r"^(\w+)\[(\w+)\]$")


def _reflect(request: Request, template: Mapping[str, Any]) -> dict[str, Any]:
    """The request's scalar parameters that are top-level fields of the object, typed like it.

    Stripe echoes what was sent (`amount`, `currency`, `metadata[order]`, ...); nested
    parameters other than `metadata` are left to the fake, which models them properly.
    """
    pairs = request.form() if request.method == "POST" else request.query
    found: dict[str, Any] = {}
    for key, value in pairs:
        nested = _BRACKET.match(key)
        if nested and nested.group(1) == "metadata" and "metadata" in template:
            found.setdefault("metadata", {})[nested.group(2)] = value
        elif key in template and key not in ("id", "object") and "[" not in key:
            current = template[key]
            if isinstance(current, bool) or value in ("true", "false"):
                found[key] = value == "true"
            elif isinstance(current, int) or (key.startswith("amount") and value.isdigit()):
                found[key] = int(value) if value.lstrip("-").isdigit() else value
            else:
                found[key] = value
    return found


def _stripe_body(
    factory: Callable[..., dict[str, Any]], overrides: Mapping[str, Any], **fixed: Any
) -> Callable[[Request], Response]:
    def build(request: Request) -> Response:
        template = factory()
        fields = {**fixed, **_reflect(request, template), **overrides}
        obj = factory(**fields)
        return Response.json(obj, headers={"Request-Id": request_id()})

    return build


def _stripe_id_url(path: str, id: str | None) -> str | re.Pattern[str]:
    if id is not None:
        return f"{STRIPE_API}{path}/{id}"
    return re.compile(re.escape(f"{STRIPE_API}{path}/") + r"[^/?]+(\?.*)?\Z")


def _id_from_path(request: Request, prefix: str) -> str:
    rest = request.path[len(prefix) :].lstrip("/")
    return rest.split("/")[0]


def stripe_payment_intent_create(
    rsps: responses.RequestsMock | None = None, *, fault: Fault | None = None, **overrides: Any
) -> responses.BaseResponse:
    """`POST /v1/payment_intents`: a new PaymentIntent echoing `amount`, `currency`, ...

    Status `requires_payment_method` unless overridden (e.g. `status="succeeded"`).
    """
    body = _stripe_body(stripe_objects.payment_intent, overrides)
    return stub(rsps, "POST", f"{STRIPE_API}/v1/payment_intents", body, fault=fault)


def stripe_payment_intent_retrieve(
    rsps: responses.RequestsMock | None = None,
    id: str | None = None,
    *,
    fault: Fault | None = None,
    **overrides: Any,
) -> responses.BaseResponse:
    """`GET /v1/payment_intents/{id}` (any id when `id` is None; the body carries the one asked)."""

    def build(request: Request) -> Response:
        asked = _id_from_path(request, "/v1/payment_intents")
        obj = stripe_objects.payment_intent(**{"id": asked, **overrides})
        return Response.json(obj, headers={"Request-Id": request_id()})

    return stub(rsps, "GET", _stripe_id_url("/v1/payment_intents", id), build, fault=fault)


def stripe_payment_intent_confirm(
    rsps: responses.RequestsMock | None = None,
    id: str | None = None,
    *,
    fault: Fault | None = None,
    **overrides: Any,
) -> responses.BaseResponse:
    """`POST /v1/payment_intents/{id}/confirm`: the PaymentIntent, `succeeded` by default."""
    url: str | re.Pattern[str] = (
        f"{STRIPE_API}/v1/payment_intents/{id}/confirm"
        if id is not None
        else re.compile(re.escape(f"{STRIPE_API}/v1/payment_intents/") + r"[^/?]+/confirm\Z")
    )

    def build(request: Request) -> Response:
        asked = _id_from_path(request, "/v1/payment_intents")
        fields = {"id": asked, "status": "succeeded", **_reflect(request, {"payment_method": 0})}
        fields.update(overrides)
        if fields["status"] == "succeeded" and "amount_received" not in overrides:
            fields["amount_received"] = fields.get("amount", 1000)
        obj = stripe_objects.payment_intent(**fields)
        return Response.json(obj, headers={"Request-Id": request_id()})

    return stub(rsps, "POST", url, build, fault=fault)


def stripe_customer_create(
    rsps: responses.RequestsMock | None = None, *, fault: Fault | None = None, **overrides: Any
) -> responses.BaseResponse:
    """`POST /v1/customers`: a new Customer echoing `email`, `name`, `metadata`, ..."""
    body = _stripe_body(stripe_objects.customer, overrides)
    return stub(rsps, "POST", f"{STRIPE_API}/v1/customers", body, fault=fault)


def stripe_checkout_session_create(
    rsps: responses.RequestsMock | None = None, *, fault: Fault | None = None, **overrides: Any
) -> responses.BaseResponse:
    """`POST /v1/checkout/sessions`: an open session echoing `mode`, `success_url`, ...

    Its `url` points at Stripe's hosted page (`https://checkout.stripe.com/c/pay/cs_test_...`).
    """
    body = _stripe_body(stripe_objects.checkout_session, overrides)
    return stub(rsps, "POST", f"{STRIPE_API}/v1/checkout/sessions", body, fault=fault)


def stripe_checkout_session_retrieve(
    rsps: responses.RequestsMock | None = None,
    id: str | None = None,
    *,
    fault: Fault | None = None,
    **overrides: Any,
) -> responses.BaseResponse:
    """`GET /v1/checkout/sessions/{id}`: by default a completed, paid session."""

    def build(request: Request) -> Response:
        asked = _id_from_path(request, "/v1/checkout/sessions")
        fields = {"id": asked, "status": "complete", "payment_status": "paid", **overrides}
        obj = stripe_objects.checkout_session(**fields)
        return Response.json(obj, headers={"Request-Id": request_id()})

    return stub(rsps, "GET", _stripe_id_url("/v1/checkout/sessions", id), build, fault=fault)


def stripe_refund_create(
    rsps: responses.RequestsMock | None = None, *, fault: Fault | None = None, **overrides: Any
) -> responses.BaseResponse:
    """`POST /v1/refunds`: a succeeded Refund echoing `payment_intent`, `amount`, `reason`."""
    body = _stripe_body(stripe_objects.refund, overrides, status="succeeded")
    return stub(rsps, "POST", f"{STRIPE_API}/v1/refunds", body, fault=fault)


# --------------------------------------------------------------------------------------------
# GitHub and Google
# --------------------------------------------------------------------------------------------


def github_token(
    rsps: responses.RequestsMock | None = None,
    *,
    fault: Fault | None = None,
    **overrides: Any,
) -> responses.BaseResponse:
    """`POST https://github.com/login/oauth/access_token`: a `gho_...` token.

    JSON when the client sent `Accept: application/json` (authlib does), form-encoded
    otherwise, as GitHub answers. Overrides go to `github_token_response()` (`scope=`,
    `access_token=`, `expires_in=`, `refresh_token=`, ...). For GitHub's HTTP-200 error, pass
    `fault=mockkit.errors.oauth.github_error()`.
    """

    def build(request: Request) -> Response:
        data = oauth_objects.github_token_response(**overrides)
        if "json" in request.headers.get("Accept", ""):
            return Response.json(data)
        return Response(
            200,
            urlencode({k: v for k, v in data.items() if v is not None}),
            content_type="application/x-www-form-urlencoded; charset=utf-8",
        )

    return stub(rsps, "POST", GITHUB_TOKEN_URL, build, fault=fault)


def github_user(
    rsps: responses.RequestsMock | None = None,
    *,
    fault: Fault | None = None,
    **overrides: Any,
) -> responses.BaseResponse:
    """`GET https://api.github.com/user`: the authenticated user (`login=`, `email=`, ...).

    `email` is `None` by default: GitHub hides a private address here (see `github_emails`).
    """
    return stub(
        rsps, "GET", f"{GITHUB_API}/user", oauth_objects.github_user(**overrides), fault=fault
    )


def github_emails(
    rsps: responses.RequestsMock | None = None,
    email: str = "octocat@github.com",
    *,
    fault: Fault | None = None,
    **options: Any,
) -> responses.BaseResponse:
    """`GET https://api.github.com/user/emails`: the primary address first (`private=`, ...)."""
    body = oauth_objects.github_emails(email, **options)
    return stub(rsps, "GET", f"{GITHUB_API}/user/emails", body, fault=fault)


def google_token(
    rsps: responses.RequestsMock | None = None,
    *,
    fault: Fault | None = None,
    **overrides: Any,
) -> responses.BaseResponse:
    """`POST https://oauth2.googleapis.com/token`: a `ya29.` token, scopes as Google spells them.

    No `id_token` unless one is given (`id_token=`): signing one needs the provider's keys,
    which is the `GoogleFake`'s job.
    """

    def build(request: Request) -> Response:
        return Response.json(oauth_objects.google_token_response(**overrides))

    return stub(rsps, "POST", GOOGLE_TOKEN_URL, build, fault=fault)


def google_userinfo(
    rsps: responses.RequestsMock | None = None,
    *,
    fault: Fault | None = None,
    **overrides: Any,
) -> responses.BaseResponse:
    """`GET https://openidconnect.googleapis.com/v1/userinfo`: `sub`, `email`, `name`, ..."""
    body = oauth_objects.google_userinfo(**overrides)
    return stub(rsps, "GET", GOOGLE_USERINFO_URL, body, fault=fault)
