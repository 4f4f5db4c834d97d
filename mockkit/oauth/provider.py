"""The OAuth 2.0 core every provider fake shares, as plain state: no HTTP in here.

Clients, users, authorization codes, access and refresh tokens, and the rules of RFC 6749
and RFC 7636 that bind them: a code is single use, short lived and bound to its client,
redirect_uri, scope, nonce and PKCE challenge; reusing one revokes what it issued. Every
rule that fails raises `ProviderError` with the RFC 6749 error code; the HTTP glue in
`mockkit.oauth.base` turns it into each provider's own wire format.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from mockkit.oauth.objects import new_token

__all__ = [
    "AuthorizationCode",
    "OAuthClient",
    "OAuthProvider",
    "ProviderClock",
    "ProviderError",
    "Token",
    "is_web_uri",
]

_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}\Z")
#: How many registered client ids an `invalid_client` message lists.
_LISTED = 10


class ProviderError(Exception):
    """An OAuth error a provider would answer with (`invalid_grant`, `invalid_client`, ...).

    `status` is the HTTP status RFC 6749 gives it (400, or 401 for `invalid_client`);
    `basic` records that the client authenticated with HTTP Basic (so a 401 carries
    `WWW-Authenticate: Basic`).
    """

    def __init__(
        self,
        error: str,
        description: str = "",
        status: int = 400,
        basic: bool = False,
        reason: str = "",
    ) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.status = status
        self.basic = basic
        #: What exactly failed (`code`, `redirect_uri`, `pkce`, `refresh_token`), so a preset
        #: can translate to its own error codes (GitHub's `redirect_uri_mismatch`).
        self.reason = reason


class ProviderClock:
    """The fake's idea of now: real time (so time-machine moves it too) plus an offset.

    `advance(seconds)` moves only the fake's clock: codes and tokens expire without the test
    sleeping. ID tokens are stamped with this clock, so advancing it far also makes authlib
    (which checks `exp`/`iat` against real time) see tokens from the future.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the fake sees them."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward by `seconds`."""
        self.offset += seconds


@dataclass
class OAuthClient:
    """A registered application: its id, secret and the redirect URIs it may use.

    `redirect_uris=None` accepts any http(s) redirect_uri at the authorize step (convenient for
    tests whose app runs on a test client's `http://localhost`); the token request must still
    repeat the authorize step's value exactly. `client_secret=None` makes a public client that
    authenticates with its id alone (use PKCE). `auth_method` pins the one client
    authentication method the token endpoint accepts (`"client_secret_basic"` or
    `"client_secret_post"`); None accepts both.
    """

    client_id: str
    client_secret: str | None
    redirect_uris: list[str] | None = None
    auth_method: str | None = None

    def redirect_uri_allowed(self, uri: str) -> bool:
        """Whether `uri` exactly matches a registered redirect URI (any http(s) URI if None)."""
        if self.redirect_uris is None:
            return is_web_uri(uri)
        return uri in self.redirect_uris


def is_web_uri(uri: str) -> bool:
    """Whether `uri` is an absolute http(s) URI with a host (where a browser can be sent)."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@dataclass
class AuthorizationCode:
    """One authorization code and everything it is bound to."""

    code: str
    client_id: str
    user: Any
    redirect_uri: str | None
    scope: str
    expires_at: float
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    used: bool = False
    tokens: list[Token] = field(default_factory=list)


@dataclass
class Token:
    """An access token and, when one was issued, its refresh token."""

    access_token: str
    client_id: str
    user: Any
    scope: str
    expires_at: float | None
    refresh_token: str | None = None
    refresh_expires_at: float | None = None
    revoked: bool = False
    nonce: str | None = None

    def active(self, now: float) -> bool:
        """Whether the access token is usable at `now` (not revoked, not expired)."""
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


class OAuthProvider:
    """The state of one OAuth 2.0 authorization server.

    Knows clients, users, codes and tokens and enforces the protocol's rules; knows nothing
    of HTTP. Token formats and lifetimes are attributes a preset (GitHub, Google) adjusts.
    """

    #: Prefix of new access tokens (GitHub: `gho_`, Google: `ya29.`).
    access_token_prefix = "mk_at_"
    #: Prefix of new refresh tokens.
    refresh_token_prefix = "mk_rt_"
    #: Access-token lifetime in seconds (None: never expires, like a GitHub OAuth app token).
    access_token_ttl: int | None = 3600
    #: Refresh-token lifetime in seconds (None: until revoked).
    refresh_token_ttl: int | None = None
    #: Whether a token request must repeat the authorize step's redirect_uri (RFC 6749 4.1.3);
    #: False compares it only when it is sent (GitHub).
    redirect_uri_required = True

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.clock = ProviderClock()
        #: Authorization-code lifetime in seconds (RFC 6749 recommends at most 10 minutes).
        self.code_ttl: float = 600
        self.clients: dict[str, OAuthClient] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, Token] = {}

    def reset_state(self) -> None:
        """Forget clients, codes and tokens (users are kept by subclasses' own reset)."""
        with self.lock:
            self.clock = ProviderClock()
            self.code_ttl = 600
            self.clients.clear()
            self.codes.clear()
            self.tokens.clear()
            self.refresh_tokens.clear()

    # ---- clients ---------------------------------------------------------------------------

    def register_client(
        self,
        client_id: str,
        client_secret: str | None,
        redirect_uris: list[str] | None = None,
        auth_method: str | None = None,
    ) -> OAuthClient:
        """Register (or replace) a client application."""
        if auth_method not in (None, "client_secret_basic", "client_secret_post"):
            raise ValueError(
                "auth_method must be None, 'client_secret_basic' or 'client_secret_post'"
            )
        for uri in redirect_uris or ():
            # RFC 6749 3.1.2: absolute, no fragment; the fakes send browsers over http(s).
            if not is_web_uri(uri) or "#" in uri:
                raise ValueError(
                    f"redirect_uris must be absolute http(s) URIs without a fragment, got {uri!r}"
                )
        client = OAuthClient(
            client_id,
            client_secret,
            list(redirect_uris) if redirect_uris is not None else None,
            auth_method,
        )
        with self.lock:
            self.clients[client_id] = client
        return client

    def authenticate_client(
        self,
        basic: tuple[str, str] | None,
        form_id: str | None,
        form_secret: str | None,
    ) -> OAuthClient:
        """Authenticate the client of a token request (HTTP Basic or body), or raise.

        Raises `invalid_client` (401) for an unknown client, a wrong secret, a missing secret
        for a confidential client, or a method the client is pinned not to use; and
        `invalid_request` when the request uses two methods with different ids.
        """
        used_basic = basic is not None
        secret: str | None
        if basic is not None:
            client_id, secret = basic
            if form_id is not None and form_id != client_id:
                raise ProviderError(
                    "invalid_request", "client_id in the body differs from the Basic one"
                )
            method = "client_secret_basic"
        else:
            if not form_id:
                raise ProviderError(
                    "invalid_client", "Client authentication failed: no client_id.", 401
                )
            client_id, secret = form_id, form_secret
            method = "client_secret_post" if form_secret is not None else "none"
        client = self.clients.get(client_id)
        if client is None:
            raise ProviderError(
                "invalid_client",
                self.client_not_found(client_id),
                401,
                used_basic,
                reason="client_not_found",
            )
        if client.client_secret is None:
            return client  # a public client: its id is all it has
        if secret is None or not secrets.compare_digest(
            secret.encode("utf-8", "replace"), client.client_secret.encode("utf-8")
        ):
            # Never echo the secret: say which client and where its secret comes from.
            raise ProviderError(
                "invalid_client",
                f"Unauthorized: the client_secret is not the one registered for "
                f"{client_id!r} (see add_client()).",
                401,
                used_basic,
                reason="client_secret",
            )
        if client.auth_method is not None and client.auth_method != method:
            raise ProviderError(
                "invalid_client",
                f"This client must authenticate with {client.auth_method}, not {method}.",
                401,
                used_basic,
            )
        return client

    def client_not_found(self, client_id: str) -> str:
        """The `invalid_client` description for an unknown client: what to call, who is there.

        Names the registered client ids (never their secrets), so a test whose app uses
        another id than the fixture's sees the mismatch at once.
        """
        with self.lock:
            known = list(self.clients)
        if known:
            shown = ", ".join(repr(k) for k in known[:_LISTED])
            if len(known) > _LISTED:
                shown += f" and {len(known) - _LISTED} more"
            registered = f"registered clients: {shown}"
        else:
            registered = "no client is registered"
        return (
            f"The OAuth client was not found: {client_id!r}. Register it on the fake with "
            f"add_client({client_id!r}, client_secret) or use a registered one ({registered})."
        )

    # ---- authorization codes ---------------------------------------------------------------

    def issue_code(
        self,
        client_id: str,
        user: Any,
        redirect_uri: str | None,
        scope: str,
        nonce: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> AuthorizationCode:
        """Issue a single-use code for `user`, bound to everything the authorize step saw."""
        if code_challenge is not None and code_challenge_method is None:
            code_challenge_method = "plain"  # RFC 7636 4.3: the default method
        code = AuthorizationCode(
            code=secrets.token_urlsafe(24),
            client_id=client_id,
            user=user,
            redirect_uri=redirect_uri,
            scope=scope,
            expires_at=self.clock.now() + self.code_ttl,
            nonce=nonce,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            extra=dict(extra or {}),
        )
        with self.lock:
            self.codes[code.code] = code
        return code

    def redeem_code(
        self,
        client: OAuthClient,
        code_value: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
    ) -> AuthorizationCode:
        """Check a code for the token request and mark it used; raise `invalid_grant` if bad.

        A second use of a code revokes every token issued from it (RFC 6749 4.1.2).
        """
        if not code_value:
            raise ProviderError(
                "invalid_request", "Missing required parameter: code.", reason="code"
            )
        with self.lock:
            code = self.codes.get(code_value)
            if code is None:
                raise ProviderError("invalid_grant", "The authorization code is invalid.")
            if code.used:
                # Everything the code led to: its tokens and, through their refresh tokens,
                # every token obtained by refreshing them (else the refresh token still works).
                chains = {t.refresh_token for t in code.tokens if t.refresh_token}
                for token in code.tokens:
                    token.revoked = True
                for token in self.tokens.values():
                    if token.refresh_token in chains:
                        token.revoked = True
                raise ProviderError(
                    "invalid_grant",
                    "The authorization code has already been used; "
                    "tokens issued from it are revoked.",
                )
            if self.clock.now() >= code.expires_at:
                raise ProviderError("invalid_grant", "The authorization code has expired.")
            if code.client_id != client.client_id:
                raise ProviderError(
                    "invalid_grant", "The authorization code was issued to another client."
                )
            # GitHub compares only a redirect_uri the token request repeats; RFC 6749 4.1.3
            # requires it whenever the authorize step had one.
            checked = redirect_uri is not None or self.redirect_uri_required
            if code.redirect_uri is not None and checked and redirect_uri != code.redirect_uri:
                raise ProviderError(
                    "invalid_grant",
                    "redirect_uri does not match the one used in the authorization request.",
                    reason="redirect_uri",
                )
            self._check_pkce(code, code_verifier)
            code.used = True
            return code

    @staticmethod
    def _check_pkce(code: AuthorizationCode, verifier: str | None) -> None:
        if code.code_challenge is None:
            return  # no challenge was made; RFC 7636 leaves a stray verifier unchecked
        if verifier is None:
            raise ProviderError("invalid_grant", "Missing code_verifier (PKCE).")
        if not _VERIFIER.match(verifier):
            raise ProviderError(
                "invalid_grant", "code_verifier must be 43-128 unreserved characters."
            )
        if code.code_challenge_method == "S256":
            expected = create_s256_code_challenge(verifier)
        else:
            expected = verifier
        if not secrets.compare_digest(str(expected), code.code_challenge):
            raise ProviderError("invalid_grant", "code_verifier does not match code_challenge.")

    def expire_codes(self) -> int:
        """Make every outstanding code expired; returns how many there were."""
        with self.lock:
            count = 0
            for code in self.codes.values():
                if not code.used:
                    code.expires_at = self.clock.now() - 1
                    count += 1
            return count

    # ---- tokens ----------------------------------------------------------------------------

    def issue_token(
        self,
        client_id: str,
        user: Any,
        scope: str,
        refresh: bool,
        nonce: str | None = None,
        refresh_token: str | None = None,
    ) -> Token:
        """Issue an access token (and a new refresh token when `refresh` and none is kept)."""
        now = self.clock.now()
        token = Token(
            access_token=_new(self.access_token_prefix),
            client_id=client_id,
            user=user,
            scope=scope,
            expires_at=now + self.access_token_ttl if self.access_token_ttl else None,
            nonce=nonce,
        )
        if refresh:
            token.refresh_token = refresh_token or _new(self.refresh_token_prefix)
            if self.refresh_token_ttl:
                token.refresh_expires_at = now + self.refresh_token_ttl
        with self.lock:
            self.tokens[token.access_token] = token
            if token.refresh_token:
                self.refresh_tokens[token.refresh_token] = token
        return token

    def use_refresh_token(
        self, client: OAuthClient, refresh_token: str | None, scope: str | None
    ) -> Token:
        """The token a refresh grant renews; raises `invalid_grant` / `invalid_scope`."""
        if not refresh_token:
            raise ProviderError("invalid_request", "Missing required parameter: refresh_token.")
        with self.lock:
            token = self.refresh_tokens.get(refresh_token)
            if token is None or token.revoked:
                raise ProviderError(
                    "invalid_grant", "The refresh token is invalid or revoked.", reason="refresh"
                )
            expires = token.refresh_expires_at
            if expires is not None and self.clock.now() >= expires:
                raise ProviderError(
                    "invalid_grant", "The refresh token has expired.", reason="refresh"
                )
            if token.client_id != client.client_id:
                raise ProviderError(
                    "invalid_grant", "The refresh token was issued to another client."
                )
            if scope is not None and not set(scope.split()) <= set(token.scope.split()):
                raise ProviderError(
                    "invalid_scope", "The requested scope exceeds the scope originally granted."
                )
            return token

    def lookup(self, access_token: str | None) -> Token | None:
        """The active token for a bearer value, or None (unknown, revoked or expired)."""
        if not access_token:
            return None
        token = self.tokens.get(access_token)
        if token is None or not token.active(self.clock.now()):
            return None
        return token

    def find_token(self, value: str) -> Token | None:
        """The token an access or refresh token value names (revoked ones included), or None."""
        with self.lock:
            return self.tokens.get(value) or self.refresh_tokens.get(value)

    def revoke(self, token: str | Token, client: OAuthClient | None = None) -> bool:
        """Revoke an access or refresh token and the grant it belongs to; True if it was known.

        The whole grant goes: the refresh token and every access token obtained with it (RFC
        7009 2.1 asks this for a refresh token; Google does it for an access token too).
        With `client`, a token issued to another client is refused with `invalid_grant`
        and nothing is revoked (RFC 7009 2.1: the server checks the token is the client's).
        """
        with self.lock:
            value = token.access_token if isinstance(token, Token) else token
            found = self.tokens.get(value) or self.refresh_tokens.get(value)
            if found is None:
                return False
            if client is not None and found.client_id != client.client_id:
                raise ProviderError("invalid_grant", "The token was issued to another client.")
            found.revoked = True
            if found.refresh_token is not None:
                for other in self.tokens.values():
                    if other.refresh_token == found.refresh_token:
                        other.revoked = True
            return True


def _new(prefix: str) -> str:
    return new_token(prefix, 60 if prefix.startswith("ya29") else 36)
