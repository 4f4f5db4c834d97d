"""The customer portal page of the served (or in-process) fake: plain HTML forms.

Stable element ids for browser tests: `#headline`, `#subscriptions` with one `#sub-<id>` block
per subscription (its `.status`, `#cancel-<id>` and, when plan changes are offered,
`#price-<id>` and `#switch-<id>`), `#reason-<id>` when cancellation reasons are asked,
`#invoices` (one `#invoice-<id>` row each), `#payment-method` with `#current-card`, `#card`
and `#update-card`, `#notice`, `#error`, `#return` (back to the app).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from mockkit.stripe.cards import CARDS
from mockkit.stripe.checkout_page import PAGE_CARDS, money, page

__all__ = ["NOTICES", "PortalView", "confirmation_page", "portal_page"]

#: What the page says after an action that returns to it (`?notice=<key>`).
NOTICES = {
    "canceled": "Your subscription was canceled.",
    "cancels": "Your subscription will be canceled at the end of the billing period.",
    "switched": "Your plan was changed.",
    "card": "Your payment method was updated.",
}

_REASONS = {
    "customer_service": "Customer service was less than expected",
    "low_quality": "Quality was less than expected",
    "missing_features": "Some features are missing",
    "other": "Other reason",
    "switched_service": "I'm switching to a different service",
    "too_complex": "Ease of use was less than expected",
    "too_expensive": "It's too expensive",
    "unused": "I don't use the service enough",
}


def _date(t: int | None) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d") if t else ""


class PortalView:
    """What the page shows: the session, its configuration and the customer's objects."""

    def __init__(
        self,
        session: dict[str, Any],
        config: dict[str, Any],
        subscriptions: list[dict[str, Any]],
        invoices: list[dict[str, Any]],
        card: dict[str, Any] | None,
        products: dict[str, str],
        prices: dict[str, dict[str, Any]],
        flow: dict[str, Any] | None,
    ) -> None:
        self.session = session
        self.config = config
        self.subscriptions = subscriptions
        self.invoices = invoices
        self.card = card
        self.products = products
        self.prices = prices
        self.flow = flow

    @property
    def action(self) -> str:
        """Where the page's forms post."""
        url: str = self.session["url"]
        return "/p/session/" + url.rsplit("/", 1)[-1]

    def feature(self, name: str) -> dict[str, Any]:
        """The configuration's settings of feature `name`."""
        settings: dict[str, Any] = self.config["features"][name]
        return settings

    def price_label(self, price: dict[str, Any]) -> str:
        """`Gold: $20.00 / month`."""
        recurring = price.get("recurring") or {}
        count = recurring.get("interval_count") or 1
        every = recurring.get("interval", "")
        period = f"{count} {every}s" if count > 1 else every
        name = self.products.get(price.get("product") or "", "Plan")
        return f"{name}: {money(price['unit_amount'] or 0, price['currency'])} / {period}"


def _form(view: PortalView, action: str, fields: str, button: str, button_id: str) -> str:
    return (
        f'<form method=post action="{escape(view.action)}">'
        f'<input type=hidden name=action value="{action}">{fields}'
        f"<button id={escape(button_id)} type=submit>{escape(button)}</button></form>"
    )


def _subscription(view: PortalView, sub: dict[str, Any]) -> str:
    sid = escape(sub["id"])
    item = sub["items"]["data"][0] if sub["items"]["data"] else None
    label = view.price_label(item["price"]) if item else "Subscription"
    status = sub["status"]
    note = ""
    if sub["cancel_at_period_end"] or sub["cancel_at"]:
        note = f" &middot; cancels on {_date(sub['cancel_at'])}"
    elif item and status in ("active", "trialing", "past_due"):
        note = f" &middot; renews on {_date(item['current_period_end'])}"
    html = (
        f"<div id=sub-{sid} class=subscription><p><b>{escape(label)}</b><br>"
        f"<span class=status>{escape(status)}</span>{note}</p>"
    )
    live = status in ("active", "trialing", "past_due", "unpaid")
    flow = view.flow
    flow_sub = (flow.get(flow["type"]) or {}).get("subscription") if flow else None
    if flow_sub is not None and flow_sub != sub["id"]:
        return html + "</div>"
    cancel = view.feature("subscription_cancel")
    cancel_ok = flow is None or flow["type"] == "subscription_cancel"
    pending = sub["cancel_at_period_end"] or sub["cancel_at"]
    if live and cancel["enabled"] and cancel_ok and not pending:
        reasons = cancel["cancellation_reason"]
        fields = f'<input type=hidden name=subscription value="{sid}">'
        if reasons["enabled"]:
            options = "".join(
                f'<option value="{escape(r)}">{escape(_REASONS.get(r, r))}</option>'
                for r in reasons["options"]
            )
            fields += (
                f"<label for=reason-{sid}>Why are you canceling?</label>"
                f'<select id=reason-{sid} name=reason><option value="">-</option>'
                f"{options}</select>"
            )
        when = "now" if cancel["mode"] == "immediately" else "at the end of the period"
        html += _form(view, "cancel", fields, f"Cancel plan ({when})", f"cancel-{sub['id']}")
    update = view.feature("subscription_update")
    update_ok = flow is None or flow["type"] in (
        "subscription_update",
        "subscription_update_confirm",
    )
    if live and item and update["enabled"] and update_ok and len(sub["items"]["data"]) == 1:
        choices = [
            pid
            for entry in update["products"] or []
            for pid in entry["prices"]
            if pid != item["price"]["id"] and pid in view.prices
        ]
        if flow is not None and flow["type"] == "subscription_update_confirm":
            choices = [flow["subscription_update_confirm"]["items"][0]["price"]]
        if choices:
            options = "".join(
                f'<option value="{escape(pid)}">{escape(view.price_label(view.prices[pid]))}'
                "</option>"
                for pid in choices
            )
            fields = (
                f'<input type=hidden name=subscription value="{sid}">'
                f"<label for=price-{sid}>Change plan</label>"
                f"<select id=price-{sid} name=price>{options}</select>"
            )
            html += _form(view, "switch", fields, "Update plan", f"switch-{sub['id']}")
    return html + "</div>"


def _invoices(view: PortalView) -> str:
    rows = "".join(
        f"<tr id=invoice-{escape(inv['id'])}><td>{_date(inv['created'])}</td>"
        f"<td>{escape(inv['number'] or inv['id'])}</td><td>{escape(inv['status'] or '')}</td>"
        f"<td class=amount>{escape(money(inv['total'], inv['currency']))}</td></tr>"
        for inv in view.invoices
    )
    return f"<h2>Invoice history</h2><table id=invoices>{rows}</table>"


def _payment_method(view: PortalView) -> str:
    card = view.card
    current = (
        f"{escape(card['brand'])} &bull;&bull;&bull;&bull; {escape(card['last4'])} "
        f"(expires {card['exp_month']:02d}/{card['exp_year']})"
        if card
        else "No payment method on file"
    )
    options = "".join(
        f'<option value="{pm}">{escape(CARDS[pm].label)} ({CARDS[pm].brand} '
        f"&bull;&bull;&bull;&bull; {CARDS[pm].last4})</option>"
        for pm in PAGE_CARDS
    )
    fields = f"<label for=card>New test card</label><select id=card name=card>{options}</select>"
    return (
        f"<div id=payment-method><h2>Payment method</h2><p id=current-card>{current}</p>"
        + _form(view, "card", fields, "Update payment method", "update-card")
        + "</div>"
    )


def portal_page(view: PortalView, notice: str | None = None, error: str | None = None) -> str:
    """The portal: the customer's subscriptions, invoices and card, as the configuration says."""
    session, config = view.session, view.config
    profile = config["business_profile"]
    parts = ["<h1>Manage your billing</h1>"]
    if profile.get("headline"):
        parts.append(f"<p id=headline>{escape(profile['headline'])}</p>")
    if notice:
        parts.append(f"<p id=notice role=status>{escape(notice)}</p>")
    if error:
        parts.append(f"<div id=error role=alert>{escape(error)}</div>")
    flow = view.flow
    card_flow = flow is not None and flow["type"] == "payment_method_update"
    if not card_flow:
        subs = "".join(_subscription(view, sub) for sub in view.subscriptions)
        parts.append(
            f"<h2>Subscriptions</h2><div id=subscriptions>{subs or '<p>No subscriptions.</p>'}"
            "</div>"
        )
    if view.feature("payment_method_update")["enabled"] and (flow is None or card_flow):
        parts.append(_payment_method(view))
    if view.feature("invoice_history")["enabled"] and flow is None:
        parts.append(_invoices(view))
    if session["return_url"]:
        parts.append(f'<p><a id=return href="{escape(session["return_url"])}">Return</a></p>')
    links = [
        f'<a href="{escape(profile[k])}">{label}</a>'
        for k, label in (("privacy_policy_url", "Privacy"), ("terms_of_service_url", "Terms"))
        if profile.get(k)
    ]
    if links:
        parts.append(f"<p>{' &middot; '.join(links)}</p>")
    return page("Customer portal (mockkit test mode)", "".join(parts))


def confirmation_page(message: str | None, return_url: str | None) -> str:
    """The hosted confirmation a flow ends on (`after_completion[type]=hosted_confirmation`)."""
    link = f'<p><a id=return href="{escape(return_url)}">Return</a></p>' if return_url else ""
    text = escape(message or "Your changes were saved.")
    return page("Done (mockkit test mode)", f"<h1>Done</h1><p id=message>{text}</p>{link}")
