"""OAuth 2 / OpenID Connect failures, each in the form the provider really sends it.

Where the error appears depends on the request it answers, as in RFC 6749:

- on the **authorization endpoint** (a browser `GET` carrying `redirect_uri`), the user is sent
  back to the app: a 302 to `redirect_uri?error=...&error_description=...&state=...`. authlib's
  `authorize_access_token()` raises `OAuthError(error)` in the callback;
- on the **token endpoint** (any other request), a JSON error with `Cache-Control: no-store`:
  400 for most codes, 401 for `invalid_client`, 5xx for `server_error` and
  `temporarily_unavailable`. authlib raises `OAuthError(error)` for a 4xx JSON error and
  `requests.HTTPError` for any 5xx (it checks the status before reading the body).

GitHub is different: its token endpoint answers errors with **HTTP 200** (`github_error()`),
in JSON when asked with `Accept: application/json` (authlib always asks), form-encoded otherwise.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mockkit.errors.faults import HTTPFault
from mockkit.http import Request, Response
from mockkit.oauth.objects import github_error as github_error_body
from mockkit.oauth.objects import oauth_error

__all__ = [
    "access_denied",
    "error",
    "github_error",
    "invalid_client",
    "invalid_grant",
    "invalid_request",
    "invalid_scope",
    "invalid_token",
    "server_error",
    "temporarily_unavailable",
]

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _redirect_back(request: Request, code: str, description: str | None) -> Response | None:
    """The RFC 6749 section 4.1.2.1 redirect, when `request` is an authorization request."""
    if request.method != "GET":
        return None
    query = dict(request.query)
    redirect_uri = query.get("redirect_uri")
    if not redirect_uri or ("response_type" not in query and "client_id" not in query):
        return None
    params = [("error", code)]
    if description:
        params.append(("error_description", description))
    if "state" in query:
        params.append(("state", query["state"]))
    parts = urlsplit(redirect_uri)
    merged = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params])
    return Response.redirect(urlunsplit(parts._replace(query=merged)))


def error(
    code: str,
    description: str | None = None,
    *,
    status: int = 400,
    name: str | None = None,
) -> HTTPFault:
    """Any RFC 6749 error: a redirect on the authorization endpoint, else JSON with `status`.

    authlib: `OAuthError(code)` (redirect, or a 4xx token response); `requests.HTTPError`
    when `status` is 5xx on the token endpoint.
    """

    def build(request: Request) -> Response:
        redirect = _redirect_back(request, code, description)
        if redirect is not None:
            return redirect
        headers = dict(_NO_STORE)
        if status == 401 and request.headers.get("Authorization", "").startswith("Basic"):
            headers["WWW-Authenticate"] = 'Basic realm="oauth"'
        return Response.json(oauth_error(code, description), status=status, headers=headers)

    return HTTPFault(name or f"oauth.error({code!r})", build, sdk="authlib")


def access_denied(description: str = "The user has denied your application access.") -> HTTPFault:
    """The user pressed "Cancel" on the consent page.

    Authorization endpoint: redirect back with `error=access_denied` (authlib: `OAuthError`).
    Token endpoint: 400 JSON (authlib: `OAuthError(access_denied)`).
    """
    return error("access_denied", description, name="oauth.access_denied()")


def invalid_request(description: str = "The request is missing a required parameter.") -> HTTPFault:
    """A malformed request (400 `invalid_request`). authlib: `OAuthError(invalid_request)`."""
    return error("invalid_request", description, name="oauth.invalid_request()")


def invalid_scope(description: str = "The requested scope is invalid.") -> HTTPFault:
    """A scope the provider refuses. authlib: `OAuthError(invalid_scope)`."""
    return error("invalid_scope", description, name="oauth.invalid_scope()")


def invalid_grant(
    description: str = "The authorization code is invalid, expired or already used.",
) -> HTTPFault:
    """The code (or refresh token) is bad, expired, reused, or PKCE does not match (400).

    authlib: `OAuthError(invalid_grant)`, 1 request (authlib never retries).
    """
    return error("invalid_grant", description, name="oauth.invalid_grant()")


def invalid_client(description: str = "Client authentication failed.") -> HTTPFault:
    """Wrong `client_id`/`client_secret` (401; `WWW-Authenticate` when Basic auth was used).

    authlib: `OAuthError(invalid_client)`.
    """
    return error("invalid_client", description, status=401, name="oauth.invalid_client()")


def server_error(
    description: str = "The authorization server encountered an unexpected condition.",
    status: int = 500,
) -> HTTPFault:
    """The provider failed. Redirect with `error=server_error`, or a 5xx JSON on the token endpoint.

    authlib: `OAuthError(server_error)` in the callback; `requests.HTTPError` on the token
    endpoint.
    """
    return error("server_error", description, status=status, name="oauth.server_error()")


def temporarily_unavailable(
    description: str = "The authorization server is temporarily unavailable.",
    status: int = 503,
) -> HTTPFault:
    """The provider is overloaded or in maintenance: redirect, or a 503 on the token endpoint.

    authlib: `OAuthError(temporarily_unavailable)` in the callback; `requests.HTTPError` on
    the token endpoint.
    """
    return error(
        "temporarily_unavailable",
        description,
        status=status,
        name="oauth.temporarily_unavailable()",
    )


def invalid_token(description: str = "The access token is invalid or has expired.") -> HTTPFault:
    """A resource server refuses the access token (401): userinfo, or GitHub's REST API.

    `WWW-Authenticate: Bearer error="invalid_token"` as RFC 6750 says; on api.github.com,
    GitHub's own `{"message": "Bad credentials", ...}`. authlib's `client.get(...)`
    returns the 401 (`raise_for_status()` raises `requests.HTTPError`); `.userinfo()` raises
    `requests.HTTPError`.
    """

    def build(request: Request) -> Response:
        if request.host.endswith("api.github.com"):
            github = {
                "message": "Bad credentials",
                "documentation_url": "https://docs.github.com/rest",
                "status": "401",
            }
            return Response.json(github, status=401)
        challenge = f'Bearer error="invalid_token", error_description="{description}"'
        body = oauth_error("invalid_token", description)
        return Response.json(body, status=401, headers={"WWW-Authenticate": challenge})

    return HTTPFault("oauth.invalid_token()", build, sdk="authlib")


def github_error(code: str = "bad_verification_code", description: str | None = None) -> HTTPFault:
    """GitHub's token-endpoint error: **HTTP 200** with an `error` body.

    Codes: `bad_verification_code` (a used or expired code), `incorrect_client_credentials`,
    `redirect_uri_mismatch`, ... JSON when the client sent `Accept: application/json`
    (authlib does), form-encoded otherwise. authlib: `OAuthError(code)`; a client that only
    checks the status takes it as a success.
    """
    suffix = "" if code == "bad_verification_code" else repr(code)

    def build(request: Request) -> Response:
        body = github_error_body(code, description)
        if "json" in request.headers.get("Accept", ""):
            return Response.json(body)
        return Response(200, urlencode(body), content_type="application/x-www-form-urlencoded")

    return HTTPFault(f"oauth.github_error({suffix})", build, sdk="authlib")
