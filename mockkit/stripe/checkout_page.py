"""The hosted pages of the served fake: Checkout's payment page and the 3D Secure challenge.

Plain HTML forms with stable element ids for browser tests: `#card` (a select of test cards),
`#email`, `#pay`, `#cancel`, `#error`, `#total`, `#line-items`; on the 3D Secure page
`#complete` and `#fail`.
"""

from __future__ import annotations

from html import escape
from typing import Any

from mockkit.stripe.cards import CARDS

__all__ = ["PAGE_CARDS", "challenge_page", "checkout_page", "message_page", "money", "page"]

#: The test cards offered on the payment page, in order.
PAGE_CARDS = (
    "pm_card_visa",
    "pm_card_mastercard",
    "pm_card_amex",
    "pm_card_chargeDeclined",
    "pm_card_chargeDeclinedInsufficientFunds",
    "pm_card_chargeDeclinedExpiredCard",
    "pm_card_chargeDeclinedIncorrectCvc",
    "pm_card_chargeDeclinedProcessingError",
    "pm_card_threeDSecure2Required",
)

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem} table{width:100%;border-collapse:collapse;margin:1rem 0}
td{padding:.3rem 0;border-bottom:1px solid #ddd} td.amount{text-align:right}
label{display:block;margin:.8rem 0 .2rem} select,input{width:100%;padding:.4rem}
button{margin-top:1rem;padding:.6rem 1.2rem;background:#635bff;color:#fff;border:0;
 border-radius:4px}
#error{color:#b00020;margin:1rem 0} .test{background:#fff4d6;padding:.3rem .6rem;font-size:.85rem}
"""


def money(amount: int, currency: str) -> str:
    """`"$20.00"` for 2000 usd; other currencies as `"20.00 EUR"`."""
    if currency == "jpy":
        return f"¥{amount}"
    symbols = {"usd": "$", "eur": "€", "gbp": "£"}
    value = f"{amount / 100:,.2f}"
    return symbols[currency] + value if currency in symbols else f"{value} {currency.upper()}"


def page(title: str, body: str, status_note: str = "") -> str:
    """A whole test-mode page: `title`, the test-mode banner, `body`."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        "<p class=test>TEST MODE: mockkit's Stripe fake. No real card is charged.</p>"
        f"{status_note}{body}</body></html>"
    )


def checkout_page(
    session: dict[str, Any],
    line_items: list[dict[str, Any]],
    error: str | None = None,
    *,
    code_error: bool = False,
) -> str:
    """The payment page of an open Checkout Session (with a decline message when given).

    With `allow_promotion_codes`, a promotion code field (`#promotion-code`, `#apply-code`);
    an applied code shows as a `#discount` line; `code_error`: `error` is about the code
    (`#code-error`).
    """
    rows = "".join(
        f"<tr><td>{escape(str(li['description'] or 'Item'))} &times; {li['quantity']}</td>"
        f"<td class=amount>{escape(money(li['amount_subtotal'], li['currency']))}</td></tr>"
        for li in line_items
    )
    options = "".join(
        f'<option value="{pm}">{escape(CARDS[pm].label)} ({CARDS[pm].brand} '
        f"&bull;&bull;&bull;&bull; {CARDS[pm].last4})</option>"
        for pm in PAGE_CARDS
    )
    email = session.get("customer_email") or ""
    error_html = f"<div id=error role=alert>{escape(error)}</div>" if error else ""
    code_html = ""
    if session.get("allow_promotion_codes") and session.get("mode") != "setup":
        code_html = (
            "<label for=promotion-code>Promotion code</label>"
            "<input id=promotion-code name=promotion_code autocomplete=off>"
            "<button id=apply-code name=op value=apply type=submit>Apply</button>"
        )
        if code_error and error:
            code_html += f"<div id=code-error role=alert>{escape(error)}</div>"
            error_html = ""
    discount = (session.get("total_details") or {}).get("amount_discount") or 0
    if discount:
        rows += (
            "<tr id=discount><td>Discount</td>"
            f"<td class=amount>-{escape(money(discount, session['currency']))}</td></tr>"
        )
    cancel = session.get("cancel_url")
    cancel_html = (
        f'<p><a id=cancel href="{escape(cancel)}">Cancel and go back</a></p>' if cancel else ""
    )
    if session.get("mode") == "setup":
        # Nothing is charged: the card is saved for later payments.
        heading, table, button = "Save a card for later payments", "", "Save card"
    else:
        total = escape(money(session["amount_total"], session["currency"]))
        heading = f"Pay <span id=total>{total}</span>"
        if session.get("mode") == "subscription":
            heading = f"Subscribe: <span id=total>{total}</span> due today"
        label = "Total due today" if session.get("mode") == "subscription" else "Total"
        table = (
            f"<table id=line-items>{rows}<tr><td><b>{label}</b></td>"
            f"<td class=amount><b>{total}</b></td></tr></table>"
        )
        button = "Subscribe" if session.get("mode") == "subscription" else "Pay"
    body = (
        f"<h1>{heading}</h1>{table}{error_html}"
        f'<form method=post action="/c/pay/{escape(session["id"])}">'
        "<label for=email>Email</label>"
        f'<input id=email name=email type=email value="{escape(email)}">'
        f"<label for=card>Test card</label><select id=card name=card>{options}</select>"
        f"{code_html}<button id=pay name=op value=pay type=submit>{button}</button></form>"
        f"{cancel_html}"
    )
    return page("Checkout (mockkit test mode)", body)


def message_page(title: str, message: str, link: str | None = None, link_text: str = "") -> str:
    """A page saying why a session cannot be paid (complete, expired, unknown)."""
    link_html = f'<p><a id=back href="{escape(link)}">{escape(link_text)}</a></p>' if link else ""
    return page(title, f"<h1>{escape(title)}</h1><p id=message>{escape(message)}</p>{link_html}")


def challenge_page(payment_intent: dict[str, Any]) -> str:
    """The 3D Secure challenge for a Payment- or SetupIntent in `requires_action`."""
    pid = escape(payment_intent["id"])
    if payment_intent.get("object") == "setup_intent":
        question = "Authenticate saving this card for later payments?"
    else:
        amount = escape(money(payment_intent["amount"], payment_intent["currency"]))
        question = f"Authenticate the payment of {amount}?"
    body = (
        f"<h1>3D Secure 2 test challenge</h1><p>{question}</p>"
        f'<form method=post action="/3d_secure_2/hosted/{pid}">'
        "<button id=complete name=action value=complete type=submit>Complete</button> "
        "<button id=fail name=action value=fail type=submit>Fail</button></form>"
    )
    return page("3D Secure (mockkit test mode)", body)
