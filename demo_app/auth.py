"""Login with GitHub (OAuth 2) or Google (OpenID Connect) through authlib, and who is logged in.

Each app gets its own authlib registry (`app.extensions["demo_oauth"]`), so cached discovery
documents and signing keys never leak from one app, or one test, to another. Every provider
URL comes from configuration; the defaults are the real providers.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from demo_app.db import db, write
from demo_app.errors import ShopError
from demo_app.models import User, new_token
from demo_app.validation import is_text

bp = Blueprint("auth", __name__)

#: The `error` codes an authorization response can carry (RFC 6749 4.1.2.1, OpenID Connect
#: Core 3.1.2.6, and GitHub's own), so a callback naming another is known to be forged.
OAUTH_ERROR_CODES = frozenset(
    {
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "interaction_required",
        "login_required",
        "account_selection_required",
        "consent_required",
        "invalid_request_uri",
        "invalid_request_object",
        "request_not_supported",
        "request_uri_not_supported",
        "registration_not_supported",
        "redirect_uri_mismatch",
        "application_suspended",
    }
)

#: Providers the shop knows, with the names shown on buttons.
PROVIDERS = {"github": "GitHub", "google": "Google"}

F = TypeVar("F", bound=Callable[..., Any])


def init_oauth(app: Flask) -> None:
    """Register the configured providers on a registry that belongs to `app` alone."""
    oauth = OAuth(app)
    timeout = app.config["PROVIDER_TIMEOUT"]
    if app.config.get("GITHUB_CLIENT_ID"):
        oauth.register(
            "github",
            client_id=app.config["GITHUB_CLIENT_ID"],
            client_secret=app.config.get("GITHUB_CLIENT_SECRET"),
            authorize_url=app.config["GITHUB_AUTHORIZE_URL"],
            access_token_url=app.config["GITHUB_ACCESS_TOKEN_URL"],
            api_base_url=app.config["GITHUB_API_BASE_URL"],
            client_kwargs={"scope": "read:user user:email", "default_timeout": timeout},
        )
    if app.config.get("GOOGLE_CLIENT_ID"):
        oauth.register(
            "google",
            client_id=app.config["GOOGLE_CLIENT_ID"],
            client_secret=app.config.get("GOOGLE_CLIENT_SECRET"),
            server_metadata_url=app.config["GOOGLE_DISCOVERY_URL"],
            client_kwargs={
                "scope": "openid email profile",
                "code_challenge_method": "S256",
                "default_timeout": timeout,
            },
        )
    app.extensions["demo_oauth"] = oauth
    app.before_request(_load_user)


def _load_user() -> None:
    user_id = session.get("user_id")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    token = session.get("session_token")
    if user is not None and not (
        isinstance(token, str)
        and secrets.compare_digest(token.encode(), user.session_token.encode())
    ):
        # Logged out since (the token was replaced), or a cookie from before a database
        # reset naming a user id that now belongs to someone else.
        user = None
    if user_id is not None and user is None:
        session.clear()
    g.user = user


def current_user() -> User | None:
    """The logged-in user for this request, or None."""
    if "user" not in g:
        # An error raised before the app's own before_request (e.g. a CSRF failure) still
        # renders the page for whoever is logged in.
        _load_user()
    return cast("User | None", g.get("user"))


def template_context() -> dict[str, Any]:
    """Variables every template sees."""
    return {"current_user": current_user(), "providers": PROVIDERS}


def login_required(view: F) -> F:
    """Pages: send a logged-out visitor to the login page, coming back here afterwards."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else "/"
            return redirect(url_for("auth.login_page", next=target))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def api_login_required(view: F) -> F:
    """API: answer 401 JSON when nobody is logged in."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            raise ShopError(401, "login_required", "Log in to use this endpoint.")
        return view(*args, **kwargs)

    return cast(F, wrapped)


def is_safe_next(target: object) -> bool:
    """Whether `target` is a path on this site (no scheme, no host, no `//` or `\\` tricks)."""
    if not isinstance(target, str) or not target.startswith("/"):
        return False
    if len(target) > 1024:
        # Kept in the session cookie during the login: browsers drop a cookie over 4 KB, and
        # the login's state with it (a crafted long link would make the login fail).
        return False
    if target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _client(provider: str) -> Any:
    if provider not in PROVIDERS:
        raise ShopError(404, "unknown_provider", f"There is no login provider {provider!r}.")
    client = current_app.extensions["demo_oauth"].create_client(provider)
    if client is None:
        raise ShopError(
            503,
            "login_not_configured",
            f"Login with {PROVIDERS[provider]} is not configured on this server.",
        )
    return client


def _provider_failure(provider: str, exc: Exception) -> ShopError:
    """Translate what authlib/requests raised during a login into a page the user can act on."""
    name = PROVIDERS[provider]
    if isinstance(exc, MismatchingStateError):
        return ShopError(
            400,
            "login_state_mismatch",
            "Your login attempt expired or was started elsewhere. Please log in again.",
        )
    if isinstance(exc, OAuthError):
        if exc.error in ("server_error", "temporarily_unavailable"):
            return ShopError(
                503, "login_provider_unavailable", f"{name} is having trouble. Try again soon."
            )
        return ShopError(
            502,
            "login_provider_error",
            f"{name} refused the login ({exc.error}). Please try again.",
        )
    if isinstance(exc, JoseError | AuthlibBaseError):
        return ShopError(
            502,
            "login_token_invalid",
            f"The identity token from {name} could not be verified. Please try again.",
        )
    if isinstance(exc, requests.Timeout):
        return ShopError(504, "login_provider_timeout", f"{name} did not answer in time.")
    if isinstance(exc, requests.ConnectionError):
        return ShopError(503, "login_provider_unreachable", f"{name} cannot be reached.")
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else None
        if status == 429 or (status is not None and status >= 500):
            return ShopError(
                503, "login_provider_unavailable", f"{name} is having trouble. Try again soon."
            )
    return ShopError(
        502, "login_provider_error", f"{name} sent an answer the shop could not understand."
    )


# Everything a provider can make authlib or requests raise during a login.
_LOGIN_FAILURES = (
    OAuthError,
    JoseError,
    AuthlibBaseError,
    requests.RequestException,
    ValueError,
    KeyError,
    TypeError,
    RuntimeError,
)


@bp.get("/login")
def login_page() -> str:
    """The login page: one button per provider, remembering where to go afterwards."""
    target = request.args.get("next")
    return render_template("login.html", next=target if is_safe_next(target) else None)


@bp.get("/login/<provider>")
def login(provider: str) -> Response:
    """Start a login: redirect to the provider's authorization page."""
    client = _client(provider)
    target = request.args.get("next")
    if is_safe_next(target):
        session["login_next"] = target
    else:
        session.pop("login_next", None)
    redirect_uri = url_for("auth.callback", provider=provider, _external=True)
    try:
        return cast(Response, client.authorize_redirect(redirect_uri))
    except _LOGIN_FAILURES as exc:
        raise _provider_failure(provider, exc) from exc


def _github_profile(client: Any, token: dict[str, Any]) -> tuple[str, str | None, str | None]:
    resp = client.get("user", token=token)
    resp.raise_for_status()
    data = resp.json()
    if not isinstance(data, dict) or data.get("id") is None:
        raise ValueError("GitHub /user answer has no id")
    email = data.get("email")
    if not email:
        # A private primary email is null on /user; /user/emails has it (scope user:email).
        emails = client.get("user/emails", token=token)
        if emails.status_code not in (403, 404):  # scope not granted: log in without email
            emails.raise_for_status()
            entries = emails.json()
            if not isinstance(entries, list):
                raise ValueError("GitHub /user/emails answer is not a list")
            for entry in entries:
                if (
                    isinstance(entry, dict)
                    and entry.get("primary") is True
                    and entry.get("verified") is True
                ):
                    email = entry.get("email")
                    break
    return str(data["id"]), email, data.get("name") or data.get("login")


def _google_profile(token: dict[str, Any]) -> tuple[str, str | None, str | None]:
    # authlib has already checked the ID token: signature, issuer, audience, expiry, nonce.
    userinfo = token.get("userinfo")
    if not userinfo or not userinfo.get("sub"):
        raise ValueError("Google sent no ID token")
    email = userinfo.get("email") if is_verified(userinfo.get("email_verified")) else None
    return str(userinfo["sub"]), email, userinfo.get("name")


def is_verified(claim: object) -> bool:
    """Whether an `email_verified` claim says yes.

    Google's ID tokens carry the JSON boolean `true`; its tokeninfo endpoint spells the
    same claim as the string `"true"`. Anything else (`"false"`, `"yes"`, `1`, absent) is
    not a verified address: a truthy check would take the string `"false"` for yes.
    """
    return claim is True or claim == "true"


def _save_user(provider: str, subject: str, email: str | None, name: str | None) -> User:
    """Create or update the user for this provider account (only after a successful login)."""
    # Providers' values are stored as they come, cut to the columns' sizes; text that no
    # database can store (a lone surrogate) is dropped like a missing value.
    email = email if isinstance(email, str) and 0 < len(email) <= 320 and is_text(email) else None
    name = name[:255] if isinstance(name, str) and is_text(name) else None
    if not is_text(subject):
        raise ValueError("the provider's user id is not valid text")

    def save() -> int:
        user = db.session.scalar(
            select(User).filter_by(provider=provider, provider_user_id=subject)
        )
        if user is None:
            user = User(provider=provider, provider_user_id=subject)
            db.session.add(user)
        user.email = email
        user.name = name
        db.session.flush()
        return int(user.id)

    for _attempt in range(2):
        try:
            user = db.session.get(User, write(save))
            assert user is not None
            return user
        except IntegrityError:
            # The same account's first login finished in another request first: update it.
            continue
    raise ShopError(409, "login_conflict", "Please try logging in again.")


@bp.get("/auth/<provider>/callback")
def callback(provider: str) -> Response:
    """Finish a login: exchange the code, read the profile, start a fresh session."""
    client = _client(provider)
    try:
        token = client.authorize_access_token()
        if provider == "github":
            subject, email, name = _github_profile(client, token)
        else:
            subject, email, name = _google_profile(token)
    except OAuthError as exc:
        if exc.error == "access_denied" and not isinstance(exc, MismatchingStateError):
            flash("Login was cancelled.", "info")
            return redirect(url_for("shop.home"))
        error = request.args.get("error")
        if error is not None and error not in OAUTH_ERROR_CODES:
            # No provider answers with a code outside the specs: a forged or mangled link,
            # not the provider's trouble.
            raise ShopError(
                400,
                "login_callback_invalid",
                "This login link is not valid. Please log in again.",
            ) from exc
        raise _provider_failure(provider, exc) from exc
    except _LOGIN_FAILURES as exc:
        current_app.logger.warning("%s login failed: %r", provider, exc)
        raise _provider_failure(provider, exc) from exc

    try:
        user = _save_user(provider, subject[:255], email, name)
    except ValueError as exc:
        raise _provider_failure(provider, exc) from exc

    target = session.get("login_next")
    # A new session at login: nothing planted before it (fixation) survives.
    session.clear()
    session["user_id"] = user.id
    session["session_token"] = user.session_token
    flash(f"Signed in as {user.name or user.email or 'you'}.", "success")
    return redirect(str(target) if is_safe_next(target) else url_for("shop.home"))


@bp.post("/logout")
def logout() -> Response:
    """Log out (a form POST with a CSRF token) and go home.

    The user's session token is replaced, so this cookie, or any copy of it, no longer logs
    anyone in (the browser forgetting the cookie is not enough: it was only signed).
    """
    user = current_user()
    if user is not None:
        user_id = user.id

        def forget() -> None:
            stored = db.session.get(User, user_id)
            if stored is not None:
                stored.session_token = new_token()

        write(forget)
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for("shop.home"))
