"""`GoogleFake`: Google's OpenID Connect provider on Google's own hosts and paths.

In-process it answers `accounts.google.com` (discovery, authorize), `oauth2.googleapis.com`
(token, revoke), `openidconnect.googleapis.com` (userinfo) and `www.googleapis.com` (JWKS),
so an app registered with `server_metadata_url=GOOGLE_DISCOVERY_URL` works unchanged.
Issuer `https://accounts.google.com`; `ya29.` access tokens living 3599 s; granted scopes
spelled as Google spells them; a refresh token only with `access_type=offline`.
"""

from __future__ import annotations

import random
from typing import Any

from mockkit.http import Request
from mockkit.oauth.objects import google_token_response
from mockkit.oauth.oidc import OIDCProviderFake, OIDCUser
from mockkit.oauth.provider import AuthorizationCode
from mockkit.providers import hosts_of

__all__ = ["GOOGLE_DISCOVERY_URL", "GOOGLE_ISSUER", "GoogleFake"]

_ACCOUNTS, _OAUTH2, _OPENID, _WWW = hosts_of("google")

GOOGLE_ISSUER = _ACCOUNTS
#: What apps pass as `server_metadata_url` for Google.
GOOGLE_DISCOVERY_URL = f"{GOOGLE_ISSUER}/.well-known/openid-configuration"


class GoogleFake(OIDCProviderFake):
    """Google Sign-In as Google serves it, in-process on Google's hosts or served on loopback.

    Served, every endpoint lives on the one server: discovery at
    `server.url + "/.well-known/openid-configuration"`, reporting `server.url` as issuer.
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
        """Google's endpoints, each on its own host."""
        self._set_up_authorize_and_token((_ACCOUNTS, "/o/oauth2/v2/auth"), (_OAUTH2, "/token"))
        self._set_up_oidc(
            discovery=(_ACCOUNTS, "/.well-known/openid-configuration"),
            jwks=(_WWW, "/oauth2/v3/certs"),
            userinfo=(_OPENID, "/v1/userinfo"),
            revoke=(_OAUTH2, "/revoke"),
        )

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
