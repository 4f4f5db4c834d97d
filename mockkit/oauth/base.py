"""HTTP glue shared by the OAuth fakes: routing, authorize/consent, token endpoint, faults.

`OAuthFake` turns mockkit `Request`s into calls on the `OAuthProvider` state and the state's
`ProviderError`s into each provider's wire format. Subclasses (OIDC, Google, GitHub) declare
their paths and hosts, their users, and how a token response and an error look.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from mockkit.fake import BaseFake, FaultRule, Routes
from mockkit.http import Request, Response
from mockkit.oauth.pages import consent_page, error_page
from mockkit.oauth.provider import (
    AuthorizationCode,
    OAuthClient,
    OAuthProvider,
    ProviderClock,
    ProviderError,
    Token,
)
from mockkit.providers import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from mockkit.transport import LoopbackServer

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "AuthorizeRequest",
    "EndpointFault",
    "OAuthFake",
]

# The client the pytest fixtures, `fake.with_defaults()` and `python -m mockkit serve` register
# (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET) is declared once, in the provider registry.

_NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
_FORM = "application/x-www-form-urlencoded"


class EndpointFault:
    """A fault that answers with a fixed status and body (used by `fail_*` helpers).

    Any fault from `mockkit.errors` works with `fake.inject()` as well; this one exists so
    the OAuth fakes' own knobs need nothing else.
    """

    def __init__(
        self, status: int, body: Any = None, headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.status = status
        self.body = body
        self.headers = list(headers)

    def respond(self, request: Request) -> Response:
        """The canned answer."""
        if isinstance(self.body, dict | list):
            return Response.json(self.body, self.status, self.headers)
        text = self.body if self.body is not None else f"mockkit: injected {self.status}\n"
        return Response(self.status, text, self.headers, content_type="text/plain")

    def __repr__(self) -> str:
        return f"<EndpointFault {self.status}>"


@dataclass
class AuthorizeRequest:
    """A validated authorization request: the client, where to send the user back, and why."""

    client: OAuthClient
    redirect_uri: str
    redirect_uri_given: bool
    state: str | None
    scope: str
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class _Invalid(Exception):
    """An authorize error that must NOT redirect (unknown client, untrusted redirect_uri)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


#: What a path keeps unescaped in a Location header: RFC 3986 pchar and "/" (and "%", so
#: escapes already there stay as they are).
_PATH_SAFE = "/%:@!$&'()*+,;="


def add_query(uri: str, params: Sequence[tuple[str, str | None]]) -> str:
    """`uri` with `params` appended to its query string (None values left out).

    Characters a URL cannot hold raw (non-ASCII, spaces) are percent-encoded in the path, as
    a browser would send them, so the Location header is ASCII on every transport.
    """
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params if v is not None]
    path = quote(parts.path, safe=_PATH_SAFE, errors="replace")
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), parts.fragment))


#: RFC 7636 4.2: a code_challenge is 43-128 unreserved characters.
_CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}\Z")
#: base64url (no padding) of 32 bytes: 43 characters, the last carrying 4 bits of data.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{42}[AEIMQUYcgkosw048]\Z")


def challenge_problem(challenge: str, method: str | None) -> str | None:
    """What is wrong with a PKCE `code_challenge` for `method` (RFC 7636 4.2), or None."""
    if not _CHALLENGE.match(challenge):
        return "code_challenge must be 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 4.2)."
    if method == "S256" and not _S256_CHALLENGE.match(challenge):
        return (
            "code_challenge for S256 must be the base64url encoding, without padding, of a "
            "SHA-256 digest: 43 characters (RFC 7636 4.2)."
        )
    return None


class OAuthFake(BaseFake):
    """The parts every OAuth fake shares; see `OIDCProviderFake`, `GoogleFake`, `GitHubFake`."""

    #: Display name on pages and in messages.
    provider_name: ClassVar[str] = "OAuth provider"
    #: Whether `response_type=code` is required at the authorize step (GitHub doesn't).
    require_response_type: ClassVar[bool] = True
    #: grant_type assumed when the token request has none (GitHub: authorization_code).
    default_grant_type: ClassVar[str | None] = None
    #: Whether the token endpoint also takes a JSON object body (GitHub does).
    accepts_json_body: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.provider = OAuthProvider()
        self.routes = Routes()
        #: Which canonical host answers each path in-process (paths are unique per fake).
        self._route_hosts: dict[str, str] = {}
        self._servers: list[LoopbackServer] = []
        self.users: list[Any] = []
        #: Named paths of this fake's endpoints (`authorize`, `token`, ...), for `inject(path=)`.
        self.paths: dict[str, str] = {}
        #: Names of the endpoints that answer the authorization request (Google has two).
        self.authorize_endpoints: list[str] = []

    # ---- configuration by subclasses -------------------------------------------------------

    def _route(
        self, name: str, host: str, path: str, methods: Sequence[str], fn: Callable[..., Response]
    ) -> None:
        self.paths[name] = path
        self._route_hosts[path] = host
        for method in methods:
            self.routes.add(method, path, fn)

    def _set_up_authorize_and_token(
        self,
        authorize: tuple[str, str],
        token: tuple[str, str],
        authorize_name: str = "authorize",
        token_name: str = "token",
    ) -> None:
        """Route an authorize and a token endpoint (a provider may serve more than one pair)."""
        self._route(authorize_name, authorize[0], authorize[1], ("GET", "POST"), self._authorize)
        self._route(token_name, token[0], token[1], ("GET", "POST"), self._token)
        self.authorize_endpoints.append(authorize_name)

    # ---- public state API ------------------------------------------------------------------

    def with_defaults(self) -> Self:
        """Register the default client and user the pytest fixtures provide; returns the fake.

        Client `mockkit-client` / `mockkit-secret` accepting any redirect_uri, and one user
        (GitHub: `octocat`, public email `octocat@example.com`; OIDC and Google:
        `alice@example.com`, "Alice Example").
        """
        self.add_client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        self.add_default_user()
        return self

    def add_default_user(self) -> Any:
        """Add the documented default user (see `with_defaults`)."""
        raise NotImplementedError

    def canonical_url(self, endpoint: str) -> str:
        """The in-process URL of a named endpoint (`authorize`, `token`, ...)."""
        path = self.paths[endpoint]
        return self._route_hosts[path] + path

    def add_client(
        self,
        client_id: str,
        client_secret: str | None,
        redirect_uris: Sequence[str] | None = None,
        auth_method: str | None = None,
    ) -> OAuthClient:
        """Register an application (see `OAuthClient` for what each argument enforces)."""
        return self.provider.register_client(
            client_id,
            client_secret,
            list(redirect_uris) if redirect_uris is not None else None,
            auth_method,
        )

    @property
    def clients(self) -> dict[str, OAuthClient]:
        """Registered clients by id."""
        return self.provider.clients

    @property
    def clock(self) -> ProviderClock:
        """The fake's clock: `fake.clock.advance(seconds)` expires codes and tokens."""
        return self.provider.clock

    @property
    def code_ttl(self) -> float:
        """Authorization-code lifetime in seconds (default 600); 0 makes every code expired."""
        return self.provider.code_ttl

    @code_ttl.setter
    def code_ttl(self, seconds: float) -> None:
        self.provider.code_ttl = seconds

    @property
    def codes(self) -> list[AuthorizationCode]:
        """Every authorization code issued, oldest first (`.code`, `.used`, `.nonce`, ...)."""
        return list(self.provider.codes.values())

    @property
    def tokens(self) -> list[Token]:
        """Every access token issued, oldest first."""
        return list(self.provider.tokens.values())

    def expire_codes(self) -> int:
        """Expire every outstanding authorization code now; returns how many."""
        return self.provider.expire_codes()

    def revoke(self, token: str | Token) -> bool:
        """Revoke an access or refresh token: the API then answers 401 for it."""
        return self.provider.revoke(token)

    def find_user(self, key: Any) -> Any:
        """The user a `login(user=...)` value names: a user object, or its key or email."""
        if key is None:
            return None
        if key in self.users:
            return key
        for user in self.users:
            if key in (self.user_key(user), getattr(user, "email", None)):
                return user
        return None

    def user_key(self, user: Any) -> str:
        """The value identifying `user` in the consent form."""
        raise NotImplementedError

    def user_label(self, user: Any) -> str:
        """How `user` is shown on the consent page."""
        return self.user_key(user)

    def default_user(self) -> Any:
        """The user `login()` picks when none is named: the first, created if there is none."""
        if not self.users:
            return self.user_from_form("mockkit-user")
        return self.users[0]

    def user_from_form(self, value: str) -> Any:
        """A user for a login or email typed on the consent page (created if unknown)."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget clients, users, codes, tokens, logged requests and fault rules."""
        super().reset()
        with self._lock:
            self.provider.reset_state()
            self.users.clear()

    # ---- faults a test can ask for ---------------------------------------------------------

    def fail(
        self, endpoint: str, status: int = 503, body: Any = None, times: int | None = 1
    ) -> FaultRule:
        """Make the next `times` requests to a named endpoint fail with `status`.

        `endpoint` is a key of `fake.paths` (`token`, `userinfo`, `jwks`, `user`, ...).
        Returns the fault rule (`rule.fired` counts how often it answered).
        """
        if endpoint not in self.paths:
            raise ValueError(f"unknown endpoint {endpoint!r}; this fake has {sorted(self.paths)}")
        return self.inject(EndpointFault(status, body), path=self.paths[endpoint], times=times)

    # ---- transports ------------------------------------------------------------------------

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False
    ) -> LoopbackServer:
        """Serve this fake (same state) on a loopback port: `with fake.serve() as server:`.

        The server is started at once so `server.url` is known; leaving the `with` block stops
        it. Served pages and discovery point back at `server.url`. A non-loopback `host` is
        refused unless `allow_remote=True`.
        """
        server = super().serve(host, port, allow_remote=allow_remote).start()
        if self._mock is not None:
            # The fake is also active in-process: let requests to its own server through.
            self._mock.add_passthru(server.url)
        self._servers.append(server)
        return server

    def served_urls(self) -> list[str]:
        """Base URLs of this fake's running loopback servers."""
        urls = []
        for server in self._servers:
            try:
                urls.append(server.url)
            except RuntimeError:
                continue  # stopped
        return urls

    @property
    def active(self) -> bool:
        """Whether the fake answers its hosts in-process right now (`with fake:`)."""
        return self._in_process is not None

    # ---- routing ---------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Route one request by path (and, in-process, check it reached the right host)."""
        found = self.routes.match(request.method, request.path)
        if found is None:
            methods = self.routes.allowed_methods(request.path)
            if methods:
                return self.not_allowed(request, methods)
            hint = self.routes.closest(request.method, request.path)
            return self.not_found(request, hint)
        route, params = found
        host = self._route_hosts.get(route.template)
        if not request.served and host is not None and request.base_url != host:
            return self.not_found(request, f"{route.method} {host}{route.template}")
        return route.handler(request, **params)

    def not_found(self, request: Request, hint: str | None) -> Response:
        """The answer for a path this fake does not serve."""
        body = {
            "error": "not_found",
            "error_description": f"mockkit {type(self).__name__} has no route for "
            f"{request.method} {request.base_url}{request.path}"
            + (f"; closest: {hint}" if hint else ""),
        }
        return Response.json(body, 404)

    def not_allowed(self, request: Request, methods: list[str]) -> Response:
        """The answer for a known path with an unsupported method."""
        body = {
            "error": "invalid_request",
            "error_description": f"{request.method} is not allowed here; use {', '.join(methods)}",
        }
        return Response.json(body, 405, [("Allow", ", ".join(methods))])

    # ---- authorize -------------------------------------------------------------------------

    def _params(self, request: Request) -> dict[str, str]:
        """Authorize parameters from the query; a repeated parameter is invalid (RFC 6749 3.1)."""
        params: dict[str, str] = {}
        for key, value in request.query:
            if key in params:
                raise ProviderError("invalid_request", f"Parameter {key!r} is repeated.")
            params[key] = value
        return params

    def validate_authorize(self, params: dict[str, str]) -> AuthorizeRequest:
        """Check an authorization request: raise `_Invalid` (no redirect) or `ProviderError`."""
        client_id = params.get("client_id")
        if not client_id:
            raise _Invalid("invalid_request", "Missing required parameter: client_id")
        client = self.provider.clients.get(client_id)
        if client is None:
            raise _Invalid("invalid_client", self.provider.client_not_found(client_id), 401)
        redirect_uri = self.resolve_redirect_uri(client, params.get("redirect_uri"))
        request = AuthorizeRequest(
            client=client,
            redirect_uri=redirect_uri,
            redirect_uri_given="redirect_uri" in params,
            state=params.get("state"),
            scope=params.get("scope", ""),
            nonce=params.get("nonce"),
            code_challenge=params.get("code_challenge"),
            code_challenge_method=params.get("code_challenge_method"),
        )
        # From here on the redirect_uri is trusted, so errors go back to the client.
        response_type = params.get("response_type")
        if self.require_response_type or response_type is not None:
            if response_type is None:
                raise _Redirected(request, "invalid_request", "Missing response_type.")
            if response_type != "code":
                raise _Redirected(
                    request,
                    "unsupported_response_type",
                    f"response_type {response_type!r} is not supported; use 'code'.",
                )
        if request.code_challenge_method is not None:
            if request.code_challenge is None:
                raise _Redirected(request, "invalid_request", "code_challenge is missing.")
            if request.code_challenge_method not in ("S256", "plain"):
                raise _Redirected(
                    request,
                    "invalid_request",
                    "code_challenge_method must be S256 or plain.",
                )
        if request.code_challenge is not None:
            problem = challenge_problem(request.code_challenge, request.code_challenge_method)
            if problem is not None:
                raise _Redirected(request, "invalid_request", problem)
        self.check_authorize_extra(request, params)
        return request

    def resolve_redirect_uri(self, client: OAuthClient, given: str | None) -> str:
        """The redirect_uri to use (RFC 6749 3.1.2.3), or `_Invalid` when it can't be trusted."""
        if given is None:
            if client.redirect_uris and len(client.redirect_uris) == 1:
                return client.redirect_uris[0]
            raise _Invalid("invalid_request", "Missing required parameter: redirect_uri")
        if not client.redirect_uri_allowed(given):
            raise _Invalid(
                "redirect_uri_mismatch",
                f"The redirect URI in the request, {given}, does not match the ones "
                f"registered for the client {client.client_id}.",
            )
        return given

    def check_authorize_extra(self, request: AuthorizeRequest, params: dict[str, str]) -> None:
        """Provider-specific checks and recorded extras (e.g. Google's `access_type`)."""

    def error_redirect(
        self, request: AuthorizeRequest, error: str, description: str | None = None
    ) -> Response:
        """Send the user back to the client with an RFC 6749 error (state echoed)."""
        return Response.redirect(
            add_query(
                request.redirect_uri,
                [("error", error), ("error_description", description), ("state", request.state)],
            )
        )

    def _authorize(self, request: Request) -> Response:
        try:
            params = self._params(request)
            authz = self.validate_authorize(params)
        except _Invalid as bad:
            return Response.html(
                error_page(self.provider_name, bad.error, bad.description), bad.status
            )
        except _Redirected as bad:
            return self.error_redirect(bad.request, bad.error, bad.description)
        except ProviderError as bad:
            return Response.html(
                error_page(self.provider_name, bad.error, bad.description), bad.status
            )
        if request.method == "GET":
            return self._consent(request, authz)
        return self._decide(request, authz)

    def _consent(self, request: Request, authz: AuthorizeRequest) -> Response:
        users = [(self.user_key(u), self.user_label(u)) for u in self.users]
        action = request.path + ("?" + request.query_string if request.query_string else "")
        page = consent_page(self.provider_name, authz.client.client_id, authz.scope, users, action)
        return Response.html(page, headers={"Cache-Control": "no-store"})

    def _decide(self, request: Request, authz: AuthorizeRequest) -> Response:
        form = dict(request.form())
        decision = form.get("decision", "")
        if decision == "deny":
            return self.error_redirect(
                authz, "access_denied", "The user has denied your application access."
            )
        if decision != "allow":
            return Response.html(
                error_page(self.provider_name, "invalid_request", "Choose Allow or Deny."), 400
            )
        typed = form.get("new_user", "").strip()
        user = self.user_from_form(typed) if typed else self.find_user(form.get("user"))
        if user is None:
            user = self.default_user()
        code = self.provider.issue_code(
            client_id=authz.client.client_id,
            user=user,
            redirect_uri=authz.redirect_uri if authz.redirect_uri_given else None,
            scope=authz.scope,
            nonce=authz.nonce,
            code_challenge=authz.code_challenge,
            code_challenge_method=authz.code_challenge_method,
            extra=authz.extra,
        )
        return Response.redirect(
            add_query(authz.redirect_uri, [("code", code.code), ("state", authz.state)])
        )

    # ---- token endpoint --------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        basic = False
        try:
            if request.method != "POST":
                response = self.token_error(
                    request, ProviderError("invalid_request", "The token endpoint takes POST.")
                )
                response.set_header("Allow", "POST")
                response.status = 405
                return response
            form = self._token_form(request)
            credentials = self._basic_credentials(request)
            basic = credentials is not None
            client = self.provider.authenticate_client(
                credentials, form.get("client_id"), form.get("client_secret")
            )
            grant_type = form.get("grant_type") or self.default_grant_type
            if grant_type is None:
                raise ProviderError("invalid_request", "Missing required parameter: grant_type.")
            if grant_type == "authorization_code":
                code = self.provider.redeem_code(
                    client, form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
                )
                token = self.provider.issue_token(
                    client.client_id,
                    code.user,
                    code.scope,
                    refresh=self.issues_refresh_token(code),
                    nonce=code.nonce,
                )
                code.tokens.append(token)
                data = self.token_response(request, token, client)
            elif grant_type == "refresh_token":
                old = self.provider.use_refresh_token(
                    client, form.get("refresh_token"), form.get("scope")
                )
                token = self.provider.issue_token(
                    client.client_id,
                    old.user,
                    form.get("scope") or old.scope,
                    refresh=True,
                    refresh_token=old.refresh_token,
                )
                data = self.token_response(request, token, client, refreshed=True)
            else:
                raise ProviderError(
                    "unsupported_grant_type", f"grant_type {grant_type!r} is not supported."
                )
        except ProviderError as err:
            err.basic = err.basic or basic
            return self.token_error(request, err)
        return self.token_success(request, data)

    def _token_form(self, request: Request) -> dict[str, str]:
        """The token request's parameters: a form (or a JSON object where the provider allows)."""
        ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if request.body and ctype == "application/json" and self.accepts_json_body:
            try:
                data = request.json()
            except (ValueError, RecursionError):
                # RecursionError: JSON nested deeper than the parser's recursion limit.
                raise ProviderError(
                    "invalid_request", "The JSON body does not parse.", reason="json"
                )
            if not isinstance(data, dict):
                raise ProviderError(
                    "invalid_request", "The JSON body must be an object.", reason="json_type"
                )
            return {str(k): str(v) for k, v in data.items() if isinstance(v, str | int)}
        if request.body and ctype != _FORM:
            raise ProviderError(
                "invalid_request",
                f"The token request body must be {_FORM}, not {ctype or 'untyped'}.",
            )
        form: dict[str, str] = {}
        for key, value in request.form():
            if key in form:
                raise ProviderError("invalid_request", f"Parameter {key!r} is repeated.")
            form[key] = value
        return form

    @staticmethod
    def _basic_credentials(request: Request) -> tuple[str, str] | None:
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise ProviderError(
                "invalid_client", f"Unsupported client authentication scheme {scheme!r}.", 401
            )
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ProviderError("invalid_client", "Malformed HTTP Basic credentials.", 401, True)
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            raise ProviderError("invalid_client", "Malformed HTTP Basic credentials.", 401, True)
        # RFC 6749 2.3.1 form-encodes both parts; authlib doesn't, so only decode when needed.
        if "%" in client_id and unquote(client_id) != client_id:
            client_id = unquote(client_id)
        return client_id, secret

    def issues_refresh_token(self, code: AuthorizationCode) -> bool:
        """Whether an authorization-code grant also gets a refresh token."""
        return True

    def token_response(
        self, request: Request, token: Token, client: OAuthClient, refreshed: bool = False
    ) -> dict[str, Any]:
        """The token endpoint's success body for `token`."""
        raise NotImplementedError

    def token_success(self, request: Request, data: dict[str, Any]) -> Response:
        """Encode a token success (JSON, never cached)."""
        return Response.json(data, 200, _NO_STORE)

    def token_error(self, request: Request, err: ProviderError) -> Response:
        """Encode a token error as RFC 6749 5.2 JSON (401 + WWW-Authenticate for Basic)."""
        body = {"error": err.error}
        if err.description:
            body["error_description"] = err.description
        headers = list(_NO_STORE)
        if err.status == 401 and err.basic:
            headers.append(("WWW-Authenticate", f'Basic realm="{self.provider_name}"'))
        return Response.json(body, err.status, headers)

    # ---- bearer tokens ---------------------------------------------------------------------

    @staticmethod
    def bearer(request: Request, schemes: Sequence[str] = ("bearer",)) -> str | None:
        """The token of an `Authorization: Bearer <token>` header (schemes compared lowercase)."""
        header = request.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() in schemes and value.strip():
            return value.strip()
        return None

    def internal_error(self, request: Request, exc: BaseException) -> Response:
        """A bug in the fake still answers in OAuth shape (never a traceback)."""
        body = {"error": "server_error", "error_description": f"mockkit fake failed: {exc!r}"}
        return Response.json(body, 500, _NO_STORE)


class _Redirected(Exception):
    """An authorize error that goes back to the (trusted) redirect_uri."""

    def __init__(self, request: AuthorizeRequest, error: str, description: str) -> None:
        super().__init__(description)
        self.request = request
        self.error = error
        self.description = description
