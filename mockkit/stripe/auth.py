"""Which API key a request carries, and whether the fake accepts it (test-mode keys only)."""

from __future__ import annotations

import base64

from mockkit.http import Request
from mockkit.stripe.errors import StripeError

__all__ = ["api_key", "mask"]

_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)


def mask(key: str) -> str:
    """`key` as Stripe shows it in errors: its start and end, the middle starred."""
    return key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else key


def _refused(message: str) -> StripeError:
    return StripeError(401, "invalid_request_error", message)


def api_key(request: Request, expected: str | None = None) -> str:
    """The secret test key of `request` (Bearer or Basic auth), or Stripe's 401 as StripeError.

    Live and publishable keys are refused; `expected` (when set) is the only key accepted.
    """
    auth = request.header("Authorization") or ""
    key = ""
    if auth[:7].lower() == "bearer ":
        key = auth[7:].strip()
    elif auth[:6].lower() == "basic ":
        try:
            key = base64.b64decode(auth[6:].strip()).decode("utf-8").split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            key = auth
    elif auth:
        key = auth
    if not key:
        raise _refused(_NO_KEY)
    if key.startswith(("sk_live_", "rk_live_")):
        raise _refused(
            f"mockkit's Stripe fake runs in test mode only and refuses live API keys "
            f"({mask(key)}). Use a test key such as sk_test_123."
        )
    if key.startswith(("pk_test_", "pk_live_")):
        raise _refused(
            "This API call cannot be made with a publishable API key. Please use a secret "
            "API key. You can find a list of your API keys at "
            "https://dashboard.stripe.com/account/apikeys."
        )
    if expected is not None and key != expected:
        raise _refused(f"Invalid API Key provided: {mask(key)}")
    if not key.startswith(("sk_test_", "rk_test_")):
        raise _refused(f"Invalid API Key provided: {mask(key)}")
    return key
