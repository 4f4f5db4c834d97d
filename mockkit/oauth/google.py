"""`GoogleFake`: Google's OpenID Connect provider on Google's own hosts and paths.

In-process it answers `accounts.google.com` (discovery, authorize), `oauth2.googleapis.com`
(token, revoke, tokeninfo), `openidconnect.googleapis.com` (userinfo) and `www.googleapis.com`
(JWKS), so an app registered with `server_metadata_url=GOOGLE_DISCOVERY_URL` works unchanged.
Issuer `https://accounts.google.com`; `ya29.` access tokens living 3599 s; granted scopes
spelled as Google spells them; a refresh token only with `access_type=offline`.

The endpoints older libraries still call are served too, with their own shapes:
`accounts.google.com/o/oauth2/auth` and `/o/oauth2/token` (Flask-Dance's Google blueprint),
`www.googleapis.com/oauth2/v1/userinfo` and `/v2/userinfo` (`id`, `verified_email`, ...),
`/oauth2/v3/userinfo` (OpenID Connect claims) and `/oauth2/v3/tokeninfo` (string values).
"""

from __future__ import annotations

import random
from typing import Any

from joserfc import jwt

from mockkit.http import Request, Response
from mockkit.oauth.objects import (
    google_api_error,
    google_claim_scope,
    google_token_response,
    google_tokeninfo,
    google_userinfo_v2,
)
from mockkit.oauth.oidc import OIDCProviderFake, OIDCUser
from mockkit.oauth.provider import AuthorizationCode, Token
from mockkit.providers import hosts_of

__all__ = ["GOOGLE_DISCOVERY_URL", "GOOGLE_ISSUER", "GoogleFake"]

_ACCOUNTS, _OAUTH2, _OPENID, _WWW = hosts_of("google")

GOOGLE_ISSUER = _ACCOUNTS
#: What apps pass as `server_metadata_url` for Google.
GOOGLE_DISCOVERY_URL = f"{GOOGLE_ISSUER}/.well-known/openid-configuration"

_NO_STORE = [("Cache-Control", "no-store")]
_CREDENTIALS_HELP = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class GoogleFake(OIDCProviderFake):
    """Google Sign-In as Google serves it, in-process on Google's hosts or served on loopback.

    Served, every endpoint lives on the one server: discovery at
    `server.url + "/.well-known/openid-configuration"`, reporting `server.url` as issuer;
    the legacy endpoints at the same paths as on Google (`server.url + "/o/oauth2/auth"`).
    Scopes may be named either way Google accepts them: `email` or
    `https://www.googleapis.com/auth/userinfo.email`, `profile` or `.../userinfo.profile`.
    """

    provider_name = "Google"
    hosts = hosts_of("google")

    def __init__(self, fresh_key: bool = False) -> None:
        super().__init__(issuer=GOOGLE_ISSUER, fresh_key=fresh_key)
        self.hosts = GoogleFake.hosts  # type: ignore[misc]
        self.provider.access_token_prefix = "ya29.a0"
        self.provider.refresh_token_prefix = "1//0g"
        self.provider.access_token_ttl = 3599
        self._rng = random.Random()

    def set_up_routes(self) -> None:
        """Google's endpoints, each on its own host, the legacy ones included."""
        self._set_up_authorize_and_token((_ACCOUNTS, "/o/oauth2/v2/auth"), (_OAUTH2, "/token"))
        self._set_up_oidc(
            discovery=(_ACCOUNTS, "/.well-known/openid-configuration"),
            jwks=(_WWW, "/oauth2/v3/certs"),
            userinfo=(_OPENID, "/v1/userinfo"),
            revoke=(_OAUTH2, "/revoke"),
        )
        # What older apps and libraries (Flask-Dance, requests-oauthlib examples) still call.
        self._set_up_authorize_and_token(
            (_ACCOUNTS, "/o/oauth2/auth"),
            (_ACCOUNTS, "/o/oauth2/token"),
            authorize_name="legacy_authorize",
            token_name="legacy_token",
        )
        self._route("userinfo_v1", _WWW, "/oauth2/v1/userinfo", ("GET",), self._userinfo_v2)
        self._route("userinfo_v2", _WWW, "/oauth2/v2/userinfo", ("GET",), self._userinfo_v2)
        self._route("userinfo_v3", _WWW, "/oauth2/v3/userinfo", ("GET", "POST"), self._userinfo_v3)
        self._route("tokeninfo", _OAUTH2, "/tokeninfo", ("GET", "POST"), self._tokeninfo)
        self._route("tokeninfo_v3", _WWW, "/oauth2/v3/tokeninfo", ("GET", "POST"), self._tokeninfo)

    def _new_sub(self, n: int) -> str:
        # Google subjects are 21-digit numbers.
        return str(100000000000000000000 + self._rng.randrange(10**20))

    def add_user(
        self,
        sub: str | None = None,
        email: str | None = None,
        email_verified: bool = True,
        name: str | None = None,
        picture: str | None = None,
        **claims: Any,
    ) -> OIDCUser:
        """Add a Google account; `hd="example.com"` makes it a Workspace account."""
        user = super().add_user(sub, email, email_verified, name, picture, **claims)
        if user.picture is None:
            user.picture = f"https://lh3.googleusercontent.com/a/{user.sub}=s96-c"
        return user

    def discovery(self, request: Request | None = None) -> dict[str, Any]:
        """Google's discovery document (Google's extra fields included)."""
        data = super().discovery(request)
        data["device_authorization_endpoint"] = (
            request.base_url if request is not None and request.served else _OAUTH2
        ) + "/device/code"
        data["response_types_supported"] = ["code", "token", "id_token", "code token",
                                             "code id_token", "token id_token",
                                             "code token id_token", "none"]  # fmt: skip
        data["scopes_supported"] = ["openid", "email", "profile"]
        data["grant_types_supported"] = [
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
        ]
        return data

    def issues_refresh_token(self, code: AuthorizationCode) -> bool:
        """Google gives a refresh token only for `access_type=offline`."""
        return code.extra.get("access_type") == "offline"

    def token_json(self, **fields: Any) -> dict[str, Any]:
        """Google's token JSON: a `ya29.` token and scopes spelled as Google grants them."""
        return google_token_response(**fields)

    # ---- claims: URL-form scopes release what the short ones do ---------------------------

    def id_token_extra_claims(self, user: OIDCUser, scope: str) -> dict[str, Any]:
        """The email and profile claims, for scopes named either way Google accepts."""
        return super().id_token_extra_claims(user, google_claim_scope(scope))

    def userinfo_response(self, token: Token) -> dict[str, Any]:
        """OpenID Connect userinfo (`openidconnect.googleapis.com/v1`, `/oauth2/v3/userinfo`)."""
        return token.user.userinfo(google_claim_scope(token.scope))  # type: ignore[no-any-return]

    def legacy_userinfo(self, token: Token) -> dict[str, Any]:
        """The `/oauth2/v1|v2/userinfo` body: `id`, `email`, `verified_email`, `picture`, ..."""
        user: OIDCUser = token.user
        scopes = set(google_claim_scope(token.scope).split())
        email, profile = "email" in scopes, "profile" in scopes
        extra = {k: v for k, v in user.claims.items() if k in ("locale", "link", "gender")}
        return google_userinfo_v2(
            sub=user.sub,
            email=user.email if email else None,
            email_verified=user.email_verified,
            name=user.name if profile else None,
            # Google shows the account's picture to either scope.
            picture=user.picture if email or profile else None,
            hd=user.claims.get("hd") if email else None,
            **(extra if profile else {}),
        )

    # ---- legacy endpoints ------------------------------------------------------------------

    @staticmethod
    def _api_params(request: Request) -> dict[str, str]:
        """Query and (for a form POST) body parameters; the first of a repeated one wins."""
        pairs = list(request.query)
        ctype = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if request.method == "POST" and ctype in ("", "application/x-www-form-urlencoded"):
            pairs += request.form()
        params: dict[str, str] = {}
        for key, value in pairs:
            params.setdefault(key, value)
        return params

    def _access_token(self, request: Request) -> str | None:
        # Google's APIs take the token as a Bearer header or an `access_token` parameter.
        return self.bearer(request) or self._api_params(request).get("access_token") or None

    def _userinfo_v2(self, request: Request) -> Response:
        value = self._access_token(request)
        token = self.provider.lookup(value)
        if token is None:
            if value:
                message = "Request had invalid authentication credentials. " + _CREDENTIALS_HELP
            else:
                message = "Request is missing required authentication credential. "
                message += _CREDENTIALS_HELP
            challenge = 'Bearer realm="https://accounts.google.com/"'
            if value:
                challenge += ', error="invalid_token"'
            body = google_api_error(401, message, "UNAUTHENTICATED")
            return Response.json(body, 401, [("WWW-Authenticate", challenge)])
        return Response.json(self.legacy_userinfo(token))

    def _userinfo_v3(self, request: Request) -> Response:
        token = self.provider.lookup(self._access_token(request))
        if token is None:
            return Response.json(
                {"error": "invalid_request", "error_description": "Invalid Credentials"},
                401,
                [("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')],
            )
        return Response.json(self.userinfo_response(token))

    def _tokeninfo(self, request: Request) -> Response:
        params = self._api_params(request)
        if params.get("access_token"):
            token = self.provider.lookup(params["access_token"])
            if token is None or token.expires_at is None:
                return _invalid_value()
            user: OIDCUser = token.user
            email = "email" in google_claim_scope(token.scope).split()
            info: dict[str, str] = google_tokeninfo(
                client_id=token.client_id,
                sub=user.sub,
                scope=token.scope,
                expires_at=token.expires_at,
                now=self.provider.clock.now(),
                email=user.email if email else None,
                email_verified=user.email_verified,
                offline=token.refresh_token is not None,
            )
            return Response.json(info, headers=_NO_STORE)
        if params.get("id_token"):
            claims = self._verified_id_token(params["id_token"])
            if claims is None:
                return _invalid_value()
            return Response.json(claims, headers=_NO_STORE)
        return Response.json(
            {
                "error": "invalid_request",
                "error_description": "Either access_token, id_token, or token_handle required",
            },
            400,
            _NO_STORE,
        )

    def _verified_id_token(self, value: str) -> dict[str, str] | None:
        """The claims of an ID token this fake signed and that has not expired, as strings."""
        self.key  # noqa: B018 - make sure a key exists
        decoded = None
        for key in list(self._keys):
            try:
                decoded = jwt.decode(value, key, algorithms=["RS256"])
                break
            except Exception:  # any failure to decode or verify means "Invalid Value"
                continue
        if decoded is None:
            return None
        exp = decoded.claims.get("exp")
        if not isinstance(exp, int | float) or exp <= self.provider.clock.now():
            return None
        out = {k: _as_text(v) for k, v in decoded.claims.items()}
        for name in ("alg", "kid", "typ"):
            if name in decoded.header:
                out[name] = _as_text(decoded.header[name])
        return out

    def _revoke(self, request: Request) -> Response:
        """Google's revoke: no client authentication (Google's own example sends none); the
        token as a query or form parameter; an unknown or revoked token is a 400."""
        value = self._api_params(request).get("token")
        if not value:
            return Response.json(
                {"error": "invalid_request", "error_description": "Bad Request"}, 400, _NO_STORE
            )
        found = self.provider.find_token(value)
        if found is None or found.revoked:
            return Response.json(
                {"error": "invalid_token", "error_description": "Token expired or revoked"},
                400,
                _NO_STORE,
            )
        self.provider.revoke(value)
        return Response(200, b"", _NO_STORE)


def _invalid_value() -> Response:
    """Google tokeninfo's answer to a token it does not know, or one expired or revoked."""
    return Response.json(
        {"error": "invalid_token", "error_description": "Invalid Value"}, 400, _NO_STORE
    )


def _as_text(value: Any) -> str:
    """A claim as Google's tokeninfo writes it: every value a string, booleans lowercase."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)
