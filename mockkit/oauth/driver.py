"""`login()`: log a test client (Flask, Starlette / FastAPI, Django) in through an OAuth fake.

It plays the browser: it asks the app for its login URL, follows the redirect to the fake's
authorize endpoint, picks a user and allows (or denies) as the consent page would, and
brings the redirect back to the app's callback on the same test client, so the Flask
session (authlib's `state`, nonce and PKCE verifier) travels along with no copying by hand.
"""

from __future__ import annotations

from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from requests.structures import CaseInsensitiveDict

from mockkit.http import Request
from mockkit.oauth.base import OAuthFake

__all__ = ["AuthorizeError", "LoginError", "login"]


class LoginError(AssertionError):
    """The login flow could not be driven: the app or the fake did not do what a login needs.

    An `AssertionError`, so pytest shows it as a failed expectation with its message.
    """


class AuthorizeError(LoginError):
    """The fake refused the authorization request with an error page (no redirect).

    That is what a provider does for an unknown `client_id` or an untrusted `redirect_uri`:
    the browser stays on the provider's page. `error` and `description` say why; `page`
    holds the HTML a browser would show.
    """

    def __init__(self, message: str, error: str, description: str, page: str) -> None:
        super().__init__(message)
        self.error = error
        self.description = description
        self.page = page


def login(
    client: Any,
    start_url: str,
    fake: OAuthFake,
    user: Any = None,
    consent: bool = True,
    *,
    follow_redirects: bool = False,
    state: str | None = None,
    code: str | None = None,
) -> Any:
    """Log `client` (a test client) in through `fake`; return the callback's response.

    `client` is Flask's test client, Starlette's / FastAPI's `TestClient` or Django's test
    `Client`: anything that GETs an app URL and keeps the app's cookies.

    `start_url` is the app's login route (e.g. `/login/github`). `user` is a user of the fake
    (or its login / sub / email); None picks the first user, creating one if there is none.
    `consent=False` denies, so the app receives `error=access_denied`.

    The callback's response is returned as the app sent it (typically a redirect to the
    app's home page); `follow_redirects=True` follows the app's own redirects after it.
    `state=` and `code=` replace the values sent back to the callback, to test a tampered
    state or a reused code.

    In-process, the fake must be active (`with fake:` or its pytest fixture) so the app's
    token, JWKS and userinfo requests reach it; served, its server must be running.
    """
    first = _get(client, start_url, follow=False)
    location = first.headers.get("Location")
    if first.status_code not in (301, 302, 303, 307, 308) or not location:
        raise LoginError(
            f"GET {start_url} answered {first.status_code} without a redirect; a login route "
            "must redirect to the provider's authorize URL (authlib's authorize_redirect)."
        )
    served = _check_target(fake, start_url, location)
    authorize = Request("GET", location, headers=CaseInsensitiveDict(), served=served)
    page = fake.handle(authorize)
    if page.status != 200:
        redirect = page.header("Location")
        if redirect is None:
            text = page.body.decode("utf-8", "replace")
            err = _between(text, "<code id='error'>", "</code>") or str(page.status)
            desc = _between(text, "<p id='error_description'>", "</p>") or text[:200]
            raise AuthorizeError(
                f"{type(fake).__name__} refused the authorization request from {start_url} "
                f"with {err}: {desc} (no redirect back to the app, as a real provider does)",
                err,
                desc,
                text,
            )
        # An error that a provider sends back to the app (e.g. unsupported_response_type).
        return _callback(client, redirect, state, code, follow_redirects)

    chosen = fake.find_user(user) if user is not None else fake.default_user()
    if chosen is None:
        raise LoginError(f"{type(fake).__name__} has no user {user!r}; add it with add_user()")
    form = {"decision": "allow" if consent else "deny", "user": fake.user_key(chosen)}
    decide = Request(
        "POST",
        location,
        headers=CaseInsensitiveDict({"Content-Type": "application/x-www-form-urlencoded"}),
        body=urlencode(form).encode(),
        served=served,
    )
    answer = fake.handle(decide)
    back = answer.header("Location")
    if back is None:
        raise LoginError(
            f"{type(fake).__name__} answered the consent step with {answer.status} and no "
            f"redirect: {answer.body[:300]!r}"
        )
    return _callback(client, back, state, code, follow_redirects)


def _check_target(fake: OAuthFake, start_url: str, location: str) -> bool:
    """Whether `location` is the fake's served authorize URL; raise when it is not the fake's."""
    target = urlsplit(location)
    base = f"{target.scheme}://{target.netloc}"
    # A provider may answer the authorization request at more than one URL (Google's
    # legacy /o/oauth2/auth beside /o/oauth2/v2/auth); any of them will do.
    names = fake.authorize_endpoints or ["authorize"]
    authorize_paths = [fake.paths[name] for name in names]
    canonical = [fake.canonical_url(name) for name in names]
    if base in fake.served_urls() and target.path in authorize_paths:
        return True
    if base + target.path in canonical:
        if not fake.active:
            raise LoginError(
                f"{type(fake).__name__} is not active, so the app's token request would "
                f"reach nobody: use `with fake:` (or its mockkit fixture) around login(), or "
                f"serve it with `fake.serve()` and point the app at the server."
            )
        return False
    expected = canonical + [u + p for u in fake.served_urls() for p in authorize_paths]
    raise LoginError(
        f"GET {start_url} redirected to {location.split('?')[0]}, which is not "
        f"{type(fake).__name__}'s authorize endpoint ({' or '.join(expected)}). Check the "
        "app's authorize_url / server_metadata_url configuration."
    )


def _callback(client: Any, location: str, state: str | None, code: str | None, follow: bool) -> Any:
    parts = urlsplit(location)
    if state is not None or code is not None:
        query = []
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "state" and state is not None:
                value = state
            elif key == "code" and code is not None:
                value = code
            query.append((key, value))
        parts = parts._replace(query=urlencode(query))
    # The full URL keeps the host the app built its redirect_uri with (and its cookies).
    return _get(client, urlunsplit(parts), follow=follow)


def _get(client: Any, url: str, follow: bool) -> Any:
    """GET with the test client, redirects followed or not, whichever framework's client it is.

    Flask's and Starlette's / FastAPI's `TestClient` (httpx) take `follow_redirects=`;
    Django's test `Client` takes `follow=`.
    """
    if type(client).__module__.startswith("django."):
        return client.get(url, follow=follow)
    return client.get(url, follow_redirects=follow)


def _between(text: str, start: str, end: str) -> str | None:
    i = text.find(start)
    if i < 0:
        return None
    j = text.find(end, i + len(start))
    return None if j < 0 else unescape(text[i + len(start) : j])
