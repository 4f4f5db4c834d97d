"""`GitHubFake`: GitHub's OAuth app flow and user API, quirks included.

- `github.com/login/oauth/authorize`: no `response_type` needed; a redirect_uri that is not
  the registered callback (or a path below it, on the same host and port) sends the user to
  the registered callback with `error=redirect_uri_mismatch`, as GitHub does.
- `github.com/login/oauth/access_token`: form-encoded answers unless `Accept:
  application/json`; errors (`bad_verification_code`, `incorrect_client_credentials`,
  `redirect_uri_mismatch`, ...) come back with **HTTP 200**; tokens `gho_...` that never
  expire, granted scopes comma-separated.
- `api.github.com/user` (`email: null` when the address is private) and `/user/emails`
  (needs the `user:email` or `user` scope); 401 `Bad credentials` for a bad token.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, unquote, urlencode, urlsplit

from mockkit.http import Request, Response
from mockkit.oauth.base import AuthorizeRequest, OAuthFake, _Invalid, add_query
from mockkit.oauth.objects import (
    github_emails,
    github_error,
    github_token_response,
    github_user,
)
from mockkit.oauth.provider import OAuthClient, ProviderError, Token, is_web_uri
from mockkit.providers import hosts_of

__all__ = ["GitHubFake", "GitHubUser"]

_WEB, _API = hosts_of("github")
_DOCS = "https://docs.github.com/rest"
_AUTHZ_DOCS = (
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/"
)


@dataclass
class GitHubUser:
    """A GitHub account: `login`, `name`, primary `email` (private or public), more fields.

    `fields` overrides any key of the `/user` JSON (`company`, `bio`, `created_at`, ...).
    """

    login: str
    id: int
    name: str | None = None
    email: str = ""
    private_email: bool = False
    verified: bool = True
    extra_emails: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)

    def api_json(self) -> dict[str, Any]:
        """The `GET /user` JSON: `email` is null when the address is private."""
        public = None if self.private_email else self.email
        return github_user(self.login, self.id, self.name, public, **self.fields)

    def emails_json(self) -> list[dict[str, Any]]:
        """The `GET /user/emails` JSON."""
        return github_emails(self.email, self.private_email, self.verified, self.extra_emails)


def _scopes(scope: str) -> list[str]:
    return [s for s in re.split(r"[\s,]+", scope) if s]


class GitHubFake(OAuthFake):
    """GitHub as an OAuth provider: in-process on github.com and api.github.com, or served.

    Served, every path lives on one server: authorize at
    `server.url + "/login/oauth/authorize"`, token at `server.url + "/login/oauth/access_token"`
    and the API at `server.url + "/"` (`/user`, `/user/emails`). `expiring_tokens=True`
    behaves like a GitHub App with expiring user tokens (`ghu_`, 8 h, refresh `ghr_`).
    """

    provider_name = "GitHub"
    hosts = hosts_of("github")
    require_response_type = False
    default_grant_type = "authorization_code"
    accepts_json_body = True

    def __init__(self, expiring_tokens: bool = False) -> None:
        super().__init__()
        self.expiring_tokens = expiring_tokens
        self.provider.redirect_uri_required = False
        #: Answer the token endpoint form-encoded even to `Accept: application/json` (how a
        #: proxy or an old GitHub Enterprise can behave); authlib then raises `ValueError`.
        self.ignore_accept = False
        if expiring_tokens:
            self.provider.access_token_prefix = "ghu_"
            self.provider.refresh_token_prefix = "ghr_"
            self.provider.access_token_ttl = 28800
            self.provider.refresh_token_ttl = 15811200
        else:
            self.provider.access_token_prefix = "gho_"
            self.provider.access_token_ttl = None
        self._ids = itertools.count(1)
        self._set_up_authorize_and_token(
            (_WEB, "/login/oauth/authorize"), (_WEB, "/login/oauth/access_token")
        )
        self._route("user", _API, "/user", ("GET",), self._user)
        self._route("emails", _API, "/user/emails", ("GET",), self._emails)

    # ---- users -----------------------------------------------------------------------------

    def add_user(
        self,
        login: str | None = None,
        name: str | None = None,
        email: str | None = None,
        private_email: bool = False,
        id: int | None = None,
        extra_emails: list[str] | None = None,
        **fields: Any,
    ) -> GitHubUser:
        """Add a GitHub account and return it.

        `private_email=True` hides the address from `/user` (`email: null`); it is then only
        in `/user/emails`. Unset fields get unique defaults (`user1`, `user1@example.com`).
        """
        n = next(self._ids)
        login = login or f"user{n}"
        user = GitHubUser(
            login=login,
            id=id if id is not None else 1000 + n,
            name=name,
            email=email or f"{login}@example.com",
            private_email=private_email,
            extra_emails=list(extra_emails or []),
            fields=dict(fields),
        )
        with self._lock:
            self.users = [u for u in self.users if u.login != login]
            self.users.append(user)
        return user

    def add_default_user(self) -> GitHubUser:
        """`octocat` ("The Octocat"), public email `octocat@example.com`."""
        return self.add_user("octocat", name="The Octocat", email="octocat@example.com")

    def user_key(self, user: Any) -> str:
        """Users are chosen on the consent page by `login`."""
        return str(user.login)

    def user_label(self, user: Any) -> str:
        """`login (name)` on the consent page."""
        return f"{user.login} ({user.name})" if user.name else str(user.login)

    def user_from_form(self, value: str) -> GitHubUser:
        """Find or create the user for a typed login or email."""
        found = self.find_user(value)
        if found is not None:
            return found  # type: ignore[no-any-return]
        if "@" in value:
            return self.add_user(login=value.split("@")[0], email=value)
        return self.add_user(login=value)

    def reset(self) -> None:
        """Forget all state."""
        super().reset()
        self._ids = itertools.count(1)
        self.ignore_accept = False

    # ---- authorize -------------------------------------------------------------------------

    def resolve_redirect_uri(self, client: OAuthClient, given: str | None) -> str:
        """GitHub's rule: the registered callback, or a path below it on the same host."""
        registered = client.redirect_uris
        if given is None:
            if registered:
                return registered[0]
            raise _Invalid("invalid_request", "Missing required parameter: redirect_uri")
        if registered is None:
            if not is_web_uri(given):
                raise _Invalid("redirect_uri_mismatch", f"Invalid redirect_uri {given!r}.")
            return given
        if any(_under(given, callback) for callback in registered):
            return given
        raise _MismatchRedirect(registered[0])

    def validate_authorize(self, params: dict[str, str]) -> AuthorizeRequest:
        """Validate as the base does, turning GitHub's mismatch into its redirect."""
        try:
            return super().validate_authorize(params)
        except _MismatchRedirect as mismatch:
            raise _GitHubRedirect(mismatch.callback, params.get("state"))

    def _authorize(self, request: Request) -> Response:
        try:
            return super()._authorize(request)
        except _GitHubRedirect as redirect:
            return Response.redirect(
                add_query(
                    redirect.callback,
                    [
                        ("error", "redirect_uri_mismatch"),
                        (
                            "error_description",
                            "The redirect_uri MUST match the registered callback URL for "
                            "this application.",
                        ),
                        ("error_uri", _AUTHZ_DOCS + "#redirect-uri-mismatch"),
                        ("state", redirect.state),
                    ],
                )
            )

    def error_redirect(
        self, request: AuthorizeRequest, error: str, description: str | None = None
    ) -> Response:
        """GitHub adds an `error_uri` to its authorization errors."""
        return Response.redirect(
            add_query(
                request.redirect_uri,
                [
                    ("error", error),
                    ("error_description", description),
                    ("error_uri", _AUTHZ_DOCS + "#" + error.replace("_", "-")),
                    ("state", request.state),
                ],
            )
        )

    # ---- token endpoint --------------------------------------------------------------------

    def issues_refresh_token(self, code: Any) -> bool:
        """Only GitHub Apps with expiring user tokens get refresh tokens."""
        return self.expiring_tokens

    def token_response(
        self, request: Request, token: Token, client: OAuthClient, refreshed: bool = False
    ) -> dict[str, Any]:
        """GitHub's token body: scopes comma-separated, expiry fields for expiring tokens."""
        scope = ",".join(_scopes(token.scope))
        if not self.expiring_tokens:
            return github_token_response(token.access_token, scope)
        return github_token_response(
            token.access_token,
            scope,
            refresh_token=token.refresh_token,
            expires_in=self.provider.access_token_ttl,
            refresh_token_expires_in=self.provider.refresh_token_ttl,
        )

    def _encode(self, request: Request, data: dict[str, Any]) -> Response:
        headers = [("Cache-Control", "no-store")]
        accept = (request.headers.get("Accept") or "").lower()
        if "application/json" in accept and not self.ignore_accept:
            return Response.json(data, 200, headers)
        # GitHub's default: a form-encoded body, even for errors.
        return Response(
            200,
            urlencode({k: str(v) for k, v in data.items()}),
            headers,
            content_type="application/x-www-form-urlencoded; charset=utf-8",
        )

    def token_success(self, request: Request, data: dict[str, Any]) -> Response:
        """Form-encoded unless the client sent `Accept: application/json`."""
        return self._encode(request, data)

    def token_error(self, request: Request, err: ProviderError) -> Response:
        """GitHub's error codes, with HTTP 200, in the format the Accept header asks for.

        A JSON body that does not parse, or is not an object, gets the 400 GitHub's API gives
        such bodies (`Problems parsing JSON`, `Body should be a JSON object`).
        """
        if err.reason in ("json", "json_type"):
            message = (
                "Problems parsing JSON"
                if err.reason == "json"
                else ("Body should be a JSON object")
            )
            return Response.json(
                {"message": message, "documentation_url": _DOCS, "status": "400"},
                400,
                [("Cache-Control", "no-store")],
            )
        if err.error == "invalid_client":
            code = "incorrect_client_credentials"
        elif err.reason == "redirect_uri":
            code = "redirect_uri_mismatch"
        elif err.reason == "refresh":
            code = "bad_refresh_token"
        elif err.error == "invalid_grant" or err.reason == "code":
            code = "bad_verification_code"
        else:
            code = err.error
        body = github_error(code)
        if code in ("bad_verification_code", "unsupported_grant_type") and err.description:
            body["error_description"] = err.description
        elif err.reason == "client_not_found":
            # GitHub's own sentence first, then what to do about it in a test.
            body["error_description"] += " " + err.description
        response = self._encode(request, body)
        if err.status == 405:
            response.status = 405
        return response

    # ---- API -------------------------------------------------------------------------------

    def _api_token(self, request: Request) -> Token | None:
        return self.provider.lookup(self.bearer(request, ("bearer", "token")))

    @staticmethod
    def bad_credentials() -> Response:
        """GitHub's 401 for a missing, invalid or revoked token."""
        return Response.json(
            {"message": "Bad credentials", "documentation_url": _DOCS, "status": "401"}, 401
        )

    def _scope_headers(self, token: Token, accepted: str) -> list[tuple[str, str]]:
        return [
            ("X-OAuth-Scopes", ", ".join(_scopes(token.scope))),
            ("X-Accepted-OAuth-Scopes", accepted),
            ("X-GitHub-Media-Type", "github.v3; format=json"),
        ]

    def _user(self, request: Request) -> Response:
        token = self._api_token(request)
        if token is None:
            return self.bad_credentials()
        return Response.json(token.user.api_json(), 200, self._scope_headers(token, ""))

    def _emails(self, request: Request) -> Response:
        token = self._api_token(request)
        if token is None:
            return self.bad_credentials()
        headers = self._scope_headers(token, "user, user:email")
        if not {"user", "user:email"} & set(_scopes(token.scope)):
            # GitHub hides what a token may not see behind a 404.
            body = {
                "message": "Not Found",
                "documentation_url": _DOCS
                + "/users/emails#list-email-addresses-for-the-authenticated-user",
                "status": "404",
            }
            return Response.json(body, 404, headers)
        return Response.json(token.user.emails_json(), 200, headers)

    def not_found(self, request: Request, hint: str | None) -> Response:
        """GitHub's 404 body (with mockkit's hint of the closest route)."""
        body = {"message": "Not Found", "documentation_url": _DOCS, "status": "404"}
        if hint:
            body["mockkit_hint"] = f"closest route: {hint}"
        return Response.json(body, 404)


class _MismatchRedirect(Exception):
    def __init__(self, callback: str) -> None:
        super().__init__(callback)
        self.callback = callback


class _GitHubRedirect(Exception):
    def __init__(self, callback: str, state: str | None) -> None:
        super().__init__(callback)
        self.callback = callback
        self.state = state


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(parts: SplitResult) -> tuple[str, str, int | None] | None:
    """Scheme, host (lowercase) and port of a URI; None if it has credentials or a bad port."""
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS.get(parts.scheme)


def _climbs(path: str) -> bool:
    """Whether a path holds a dot segment in any spelling a browser or server resolves.

    Percent-escapes are undone (twice-encoded ones too), a backslash counts as a slash and a
    `;parameter` is dropped from each segment, so `/cb/../x`, `/cb/%2e%2e/x`, `/cb/..%2fx`,
    `/cb/%252e%252e/x`, `/cb/..\\x` and `/cb/..;/x` are all caught.
    """
    decoded = path
    for _ in range(3):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    segments = decoded.replace("\\", "/").split("/")
    return any(segment.split(";", 1)[0] in (".", "..") for segment in segments)


def _below(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip("/") + "/")


def _under(uri: str, callback: str) -> bool:
    """Whether `uri` is `callback` or below it, same scheme, host and port (GitHub's rule).

    "Below" is judged on the path as written and as a server decodes it, and a path with a
    dot segment never qualifies: `/cb/../evil` starts with `/cb/` but leads out of it.
    """
    try:
        a, b = urlsplit(uri), urlsplit(callback)
    except ValueError:  # e.g. an unclosed IPv6 bracket: not a URI a browser can follow
        return False
    origin = _origin(a)
    if origin is None or origin != _origin(b):
        return False
    if _climbs(a.path):
        return False
    return _below(a.path, b.path) and _below(unquote(a.path), unquote(b.path))
