"""The invoice endpoints: create, update, finalize, pay, void, send, delete, list, preview."""

from __future__ import annotations

from typing import Any

from mockkit.stripe.billing.params import DISCOUNTS, PRICE_DATA_RECURRING
from mockkit.stripe.errors import invalid_request, not_emulated, param_error
from mockkit.stripe.lists import LIST_SPEC, PAGE_SPEC, RANGE, paginate
from mockkit.stripe.models.invoices import Invoices
from mockkit.stripe.models.subscriptions import Subscriptions
from mockkit.stripe.objects import list_object
from mockkit.stripe.params import (
    ANY,
    BOOL,
    INT,
    METADATA,
    STATEMENT_DESCRIPTOR,
    STR,
    Arr,
    Coercer,
    Enum,
    Hash,
    Int,
    Str,
)
from mockkit.stripe.routes.subscriptions import PRORATION_BEHAVIOR
from mockkit.stripe.routing import endpoint
from mockkit.stripe.search import SEARCH_SPEC, Field, search
from mockkit.stripe.state import StripeState

_COLLECTION = Enum("charge_automatically", "send_invoice")
#: Who issues the invoice: the account itself, or (Connect, refused as not emulated) another.
ISSUER = Hash({"type": Enum("account", "self"), "account": STR}, ("type",))
_EDITABLE: dict[str, Coercer] = {
    "auto_advance": BOOL,
    "automatically_finalizes_at": INT,
    "collection_method": _COLLECTION,
    "days_until_due": Int(0, 730),
    "default_payment_method": STR,
    "description": Str(1500),
    "discounts": DISCOUNTS,
    "due_date": INT,
    "footer": Str(5000),
    "metadata": METADATA,
    "number": Str(26),
    "statement_descriptor": STATEMENT_DESCRIPTOR,
    "custom_fields": ANY,
    "rendering": ANY,
    "payment_settings": ANY,
    "issuer": ISSUER,
    # Refused by the state as not emulated (named here so the refusal names them).
    "automatic_tax": Hash({"enabled": BOOL, "liability": ANY}),
    "default_tax_rates": Arr(STR),
    "account_tax_ids": ANY,
    "transfer_data": ANY,
    "application_fee_amount": INT,
    "on_behalf_of": STR,
    "shipping_cost": ANY,
    "shipping_details": ANY,
    "effective_at": INT,
    "default_source": STR,
}


@endpoint(
    "POST",
    "/v1/invoices",
    {
        **_EDITABLE,
        "customer": STR,
        "customer_account": STR,
        "currency": STR,
        "subscription": STR,
        "pending_invoice_items_behavior": Enum("exclude", "include"),
        "from_invoice": ANY,
    },
    kind="invoice",
)
def create_invoice(s: StripeState, p: dict[str, Any]) -> Any:
    """Create a draft invoice."""
    return Invoices.of(s).create(p)


@endpoint("GET", "/v1/invoices/{id}", kind="invoice")
def retrieve_invoice(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Retrieve an invoice."""
    return Invoices.of(s).get(id)


@endpoint("POST", "/v1/invoices/{id}", _EDITABLE, kind="invoice")
def update_invoice(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Update an invoice (a draft fully; a finalized one's metadata and collection settings)."""
    return Invoices.of(s).modify(id, p)


@endpoint("DELETE", "/v1/invoices/{id}", kind="deleted")
def delete_invoice(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Delete a one-off draft invoice."""
    return Invoices.of(s).delete(id)


@endpoint("POST", "/v1/invoices/{id}/finalize", {"auto_advance": BOOL}, kind="invoice")
def finalize_invoice(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Finalize a draft (collected at once when `auto_advance` is on)."""
    return Invoices.of(s).finalize(id, p)


@endpoint(
    "POST",
    "/v1/invoices/{id}/pay",
    {
        "payment_method": STR,
        "paid_out_of_band": BOOL,
        "off_session": BOOL,
        "forgive": BOOL,
        "source": STR,
        "mandate": STR,
    },
    kind="invoice",
)
def pay_invoice(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Pay an open invoice now (402 when the card is declined), or record it paid elsewhere."""
    return Invoices.of(s).pay(id, p)


@endpoint("POST", "/v1/invoices/{id}/void", kind="invoice")
def void_invoice(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Void an open or uncollectible invoice."""
    return Invoices.of(s).void(id)


@endpoint("POST", "/v1/invoices/{id}/mark_uncollectible", kind="invoice")
def mark_uncollectible(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Mark an open invoice uncollectible."""
    return Invoices.of(s).mark_uncollectible(id)


@endpoint("POST", "/v1/invoices/{id}/send", kind="invoice")
def send_invoice(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """Send an invoice (no email in test mode; `invoice.sent` is emitted)."""
    return Invoices.of(s).send(id)


@endpoint("GET", "/v1/invoices/{id}/lines", PAGE_SPEC, kind="list:line_item")
def list_invoice_lines(s: StripeState, p: dict[str, Any], id: str) -> Any:
    """List an invoice's lines, in Stripe's order."""
    lines = Invoices.of(s).lines_of(id)
    return _page(lines, p, f"/v1/invoices/{id}/lines")


def _page(items: list[dict[str, Any]], p: dict[str, Any], url: str) -> dict[str, Any]:
    ids = [i["id"] for i in items]
    limit = p.get("limit") or 10
    if p.get("starting_after"):
        if p["starting_after"] not in ids:
            raise param_error(f"No such line item: '{p['starting_after']}'", "starting_after")
        start = ids.index(p["starting_after"]) + 1
        return list_object(items[start : start + limit], url, start + limit < len(items))
    if p.get("ending_before"):
        if p["ending_before"] not in ids:
            raise param_error(f"No such line item: '{p['ending_before']}'", "ending_before")
        end = ids.index(p["ending_before"])
        start = max(0, end - limit)
        return list_object(items[start:end], url, start > 0)
    return list_object(items[:limit], url, limit < len(items))


@endpoint(
    "GET",
    "/v1/invoices",
    {
        **LIST_SPEC,
        "customer": STR,
        "customer_account": STR,
        "subscription": STR,
        "status": Enum("draft", "open", "paid", "uncollectible", "void"),
        "collection_method": _COLLECTION,
        "due_date": RANGE,
    },
    kind="list:invoice",
)
def list_invoices(s: StripeState, p: dict[str, Any]) -> Any:
    """List invoices (by customer, subscription, status, collection method, due date)."""
    invoices = Invoices.of(s)
    subscription = p.get("subscription")
    due = p.get("due_date")

    def keep(invoice: dict[str, Any]) -> bool:
        if subscription is not None and invoices.subscription_of(invoice) != subscription:
            return False
        if due:
            value = invoice["due_date"]
            if value is None:
                return False
            for op, limit in due.items():
                if not {
                    "gt": value > limit,
                    "gte": value >= limit,
                    "lt": value < limit,
                    "lte": value <= limit,
                }[op]:
                    return False
        return True

    filters = {
        "customer": p.get("customer"),
        "status": p.get("status"),
        "collection_method": p.get("collection_method"),
    }
    return paginate(s, "invoice", p, "/v1/invoices", filters, keep)


_PREVIEW_ITEM = Hash(
    {
        "id": STR,
        "price": STR,
        "plan": STR,
        "price_data": PRICE_DATA_RECURRING,
        "quantity": Int(0),
        "deleted": BOOL,
        "clear_usage": BOOL,
        "metadata": METADATA,
        "discounts": DISCOUNTS,
        "tax_rates": Arr(STR),
        "billing_thresholds": ANY,
    }
)


@endpoint(
    "POST",
    "/v1/invoices/create_preview",
    {
        "customer": STR,
        "customer_account": STR,
        "subscription": STR,
        "currency": STR,
        "preview_mode": Enum("next", "recurring"),
        "subscription_details": Hash(
            {
                "items": Arr(_PREVIEW_ITEM, 20),
                "proration_behavior": PRORATION_BEHAVIOR,
                "proration_date": INT,
                "trial_end": ANY,
                "cancel_at_period_end": BOOL,
                "cancel_now": BOOL,
                "cancel_at": ANY,
                "billing_cycle_anchor": ANY,
                "default_tax_rates": ANY,
                "resume_at": ANY,
                "start_date": INT,
                "billing_mode": ANY,
            }
        ),
        "invoice_items": ANY,
        "discounts": DISCOUNTS,
        "automatic_tax": Hash({"enabled": BOOL, "liability": ANY}),
        "customer_details": ANY,
        "schedule": STR,
        "schedule_details": ANY,
        "on_behalf_of": STR,
        "issuer": ISSUER,
    },
    kind="invoice",
)
def create_preview(s: StripeState, p: dict[str, Any]) -> Any:
    """Preview an upcoming invoice (a renewal, an item change, or a new subscription)."""
    for name, what in (
        ("invoice_items", "extra invoice items in previews"),
        ("discounts", "discounts in previews"),
        ("customer_details", "previews for customers that do not exist"),
        ("schedule", "subscription schedules"),
        ("schedule_details", "subscription schedules"),
        ("on_behalf_of", "Connect (on_behalf_of)"),
        ("customer_account", "Accounts v2 (customer_account)"),
    ):
        if p.get(name):
            raise not_emulated(what, name)
    if p.get("automatic_tax") and p["automatic_tax"].get("enabled"):
        raise not_emulated("automatic tax (Stripe Tax)", "automatic_tax")
    issuer = p.get("issuer")
    if isinstance(issuer, dict) and issuer.get("type") not in (None, "", "self"):
        raise not_emulated("Connect (an invoice issued by another account)", "issuer[type]")
    if p.get("preview_mode") == "recurring":
        raise not_emulated("recurring previews (preview_mode=recurring)", "preview_mode")
    details = dict(p.get("subscription_details") or {})
    for name in (
        "cancel_now",
        "cancel_at",
        "billing_cycle_anchor",
        "resume_at",
        "default_tax_rates",
        "start_date",
        "billing_mode",
        "cancel_at_period_end",
    ):
        if details.get(name) is not None:
            raise not_emulated(
                f"subscription_details[{name}] in previews", f"subscription_details[{name}]"
            )
    subs = Subscriptions.of(s)
    sub = None
    if p.get("subscription"):
        sub = s.ref("subscription", p["subscription"], "subscription")
        if p.get("customer") and p["customer"] != sub["customer"]:
            raise invalid_request(
                "The subscription belongs to another customer.", param="subscription"
            )
    if sub is None:
        if not p.get("customer"):
            raise param_error(
                "Missing required param: customer (or subscription).",
                "customer",
                "parameter_missing",
            )
        customer = s.ref("customer", p["customer"], "customer")
        if details.get("items"):
            return subs.preview_new(customer, p)
        sub = subs.next_to_renew(customer["id"])
        if sub is None:
            raise invalid_request(
                f"No upcoming invoices for customer: {customer['id']}",
                code="invoice_upcoming_none",
                status=404,
            )
    customer = s.get("customer", sub["customer"])
    if sub["status"] in ("canceled", "incomplete_expired") or (
        sub["cancel_at"] is not None
        and sub["cancel_at"] <= subs.period_of(sub)[1]
        and not details.get("items")
    ):
        raise invalid_request(
            f"No upcoming invoices for customer: {customer['id']}",
            code="invoice_upcoming_none",
            status=404,
        )
    changes = None
    if details.get("items"):
        changes = subs.plan_changes(sub, details["items"], customer, "subscription_details[items]")
    at = details.get("proration_date")
    if at is not None:
        start, end = subs.period_of(sub)
        if not start <= at <= end:
            raise param_error(
                "Cannot specify proration date outside of current subscription period",
                "subscription_details[proration_date]",
            )
    return subs.preview(sub, changes, details.get("proration_behavior") or "create_prorations", at)


#: What Stripe lets invoices be searched by (its "query fields" for the resource).
INVOICES_SEARCH_FIELDS: dict[str, Field] = {
    "created": Field("created", "number"),
    "currency": Field("currency", "token"),
    "customer": Field("customer", "token"),
    "last_finalization_error_code": Field("last_finalization_error.code", "token"),
    "last_finalization_error_type": Field("last_finalization_error.type", "token"),
    "metadata": Field("metadata"),
    "number": Field("number"),
    "receipt_number": Field("receipt_number"),
    "status": Field("status", "token"),
    # Stored as the newest API version has it: under the invoice's parent.
    "subscription": Field("parent.subscription_details.subscription", "token"),
    "total": Field("total", "number"),
}


@endpoint("GET", "/v1/invoices/search", SEARCH_SPEC, ("query",), kind="search:invoice")
def search_invoices(s: StripeState, p: dict[str, Any]) -> Any:
    """Search invoices with Stripe's search query language, newest first."""
    return search(s, "invoice", "invoices", INVOICES_SEARCH_FIELDS, p)
