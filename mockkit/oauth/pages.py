"""The HTML a served OAuth fake shows a browser: the login/consent page and the error page.

Element ids are stable so end-to-end tests can drive them: `#user` (a select of the fake's
users), `#new_user` (type a new user's login or email instead), `#allow` and `#deny`
(submit buttons), `#error` (the error code on the error page).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["consent_page", "error_page"]

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
    "h1{font-size:1.4rem}label,select,input{display:block;margin:.5rem 0;width:100%}"
    "button{margin:.8rem .5rem 0 0;padding:.5rem 1.2rem}.muted{color:#666;font-size:.9rem}"
)


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def consent_page(
    provider: str,
    client_id: str,
    scope: str,
    users: Sequence[tuple[str, str]],
    action: str,
) -> str:
    """The login + consent page: choose a user (or type one), then Allow or Deny.

    `users` holds `(value, label)` pairs; `action` is the URL the form posts to (the
    authorize URL itself, query string included, so the request's parameters travel along).
    """
    options = "".join(
        f"<option value='{escape(value, quote=True)}'>{escape(label)}</option>"
        for value, label in users
    )
    scopes = "".join(f"<li><code>{escape(s)}</code></li>" for s in scope.replace(",", " ").split())
    body = (
        f"<h1>Sign in to {escape(provider)}</h1>"
        f"<p><strong id='client'>{escape(client_id)}</strong> wants to access your account.</p>"
        + (f"<p>It asks for:</p><ul id='scopes'>{scopes}</ul>" if scopes else "")
        + f"<form method='post' action='{escape(action, quote=True)}'>"
        "<label for='user'>Sign in as</label>"
        f"<select id='user' name='user'>{options}</select>"
        "<label for='new_user'>or a new user (login or email)</label>"
        "<input id='new_user' name='new_user' autocomplete='off'>"
        "<button id='allow' type='submit' name='decision' value='allow'>Allow</button>"
        "<button id='deny' type='submit' name='decision' value='deny'>Deny</button>"
        "</form>"
        "<p class='muted'>mockkit fake provider: no password is checked.</p>"
    )
    return _page(f"Sign in to {provider}", body)


def error_page(provider: str, error: str, description: str) -> str:
    """The page shown instead of a redirect when the client or redirect_uri is invalid."""
    body = (
        f"<h1>{escape(provider)}: the application made an invalid request</h1>"
        f"<p>Error: <code id='error'>{escape(error)}</code></p>"
        f"<p id='error_description'>{escape(description)}</p>"
        "<p class='muted'>You were not sent back to the application, because its client or "
        "redirect_uri could not be trusted (RFC 6749, section 4.1.2.1).</p>"
    )
    return _page(f"{provider}: {error}", body)
