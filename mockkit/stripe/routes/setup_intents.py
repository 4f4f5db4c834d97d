"""The SetupIntent endpoints: create, retrieve, update, confirm, cancel, list."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.lists import LIST_SPEC, paginate
from mockkit.stripe.models.setup_intents import SetupIntents
from mockkit.stripe.params import ANY, BOOL, METADATA, STR, URL, Arr, Coercer, Enum, Hash, Str
from mockkit.stripe.routing import endpoint
from mockkit.stripe.state import StripeState

_COMMON: dict[str, Coercer] = {
    "customer": STR,
    "customer_account": STR,
    "description": Str(1000),
    "metadata": METADATA,
    "payment_method": STR,
    "payment_method_types": Arr(STR),
    "allowed_payment_method_types": Arr(STR),
    "excluded_payment_method_types": Arr(STR),
    "payment_method_options": ANY,
    "payment_method_data": ANY,
    "payment_method_configuration": STR,
    "flow_directions": Arr(Enum("inbound", "outbound")),
    "attach_to_self": BOOL,
}
_CONFIRM: dict[str, Coercer] = {
    "return_url": URL,
    "mandate_data": ANY,
    "use_stripe_sdk": BOOL,
    "confirmation_token": STR,
}


@endpoint(
    "POST",
    "/v1/setup_intents",
    {
        **_COMMON,
        **_CONFIRM,
        "confirm": BOOL,
        "usage": Enum("off_session", "on_session"),
        "automatic_payment_methods": Hash(
            {"enabled": BOOL, "allow_redirects": Enum("always", "never")}, ("enabled",)
        ),
        "on_behalf_of": STR,
        "single_use": ANY,
    },
    kind="setup_intent",
)
def create_setup_intent(s: StripeState, p: dict[str, Any]) -> Any:
    """Create (and with `confirm=true`, confirm) a SetupIntent."""
    return SetupIntents.of(s).create(p)


@endpoint("GET", "/v1/setup_intents/{id}", {"client_secret": STR}, kind="setup_intent")
def retrieve_setup_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve a SetupIntent."""
    return SetupIntents.of(s).get(id)


@endpoint("POST", "/v1/setup_intents/{id}", _COMMON, kind="setup_intent")
def update_setup_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update a SetupIntent that has not succeeded or been canceled."""
    return SetupIntents.of(s).modify(id, p)


@endpoint(
    "POST",
    "/v1/setup_intents/{id}/confirm",
    {
        **_CONFIRM,
        "payment_method": STR,
        "allowed_payment_method_types": Arr(STR),
        "payment_method_options": ANY,
        "payment_method_data": ANY,
    },
    kind="setup_intent",
)
def confirm_setup_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Confirm a SetupIntent: succeed, decline (402), or ask for authentication."""
    return SetupIntents.of(s).confirm(id, p)


@endpoint(
    "POST",
    "/v1/setup_intents/{id}/cancel",
    {"cancellation_reason": Enum("abandoned", "duplicate", "requested_by_customer")},
    kind="setup_intent",
)
def cancel_setup_intent(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Cancel a SetupIntent."""
    return SetupIntents.of(s).cancel(id, p)


@endpoint(
    "GET",
    "/v1/setup_intents",
    {**LIST_SPEC, "customer": STR, "payment_method": STR, "attach_to_self": BOOL},
    kind="list:setup_intent",
)
def list_setup_intents(s: StripeState, p: dict[str, Any]) -> Any:
    """List SetupIntents (by customer or payment method)."""
    filters = {"customer": p.get("customer"), "payment_method": p.get("payment_method")}
    return paginate(s, "setup_intent", p, "/v1/setup_intents", filters)
