"""`OIDCProviderFake`: a generic OpenID Connect issuer that authlib validates as is.

It serves discovery, JWKS, authorize (with a login/consent page), token, userinfo and token
revocation, and signs RS256 ID tokens with `iss sub aud azp exp iat nonce at_hash` and the
email/profile claims the granted scope allows. Its issuer and signing key stay the same for
the fake's life, because authlib caches discovery and JWKS per registered client.
"""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import RSAKey

from mockkit.http import Request, Response
from mockkit.oauth.base import AuthorizeRequest, OAuthFake
from mockkit.oauth.objects import id_token_claims, oauth_token_response
from mockkit.oauth.provider import OAuthClient, ProviderError, Token
from mockkit.providers import hosts_of

__all__ = ["DEFAULT_ISSUER", "OIDCProviderFake", "OIDCUser", "new_signing_key"]

#: The issuer an `OIDCProviderFake()` gets by default (`.test` is a reserved TLD: never real).
DEFAULT_ISSUER = hosts_of("oidc")[0]

_CLAIMS = [
    "aud",
    "auth_time",
    "email",
    "email_verified",
    "exp",
    "family_name",
    "given_name",
    "iat",
    "iss",
    "name",
    "nonce",
    "picture",
    "sub",
]

_key_lock = threading.Lock()
_shared_key: RSAKey | None = None


def new_signing_key() -> RSAKey:
    """A fresh 2048-bit RSA private key with a `kid` (its RFC 7638 thumbprint), for RS256."""
    raw = RSAKey.generate_key(2048, private=True)
    return RSAKey.import_key(
        raw.as_dict(private=True),
        parameters={"kid": raw.thumbprint()[:16], "use": "sig", "alg": "RS256"},
    )


def shared_signing_key() -> RSAKey:
    """The one key pair new fakes share unless asked for a fresh one (generated once, lazily).

    Generating RSA keys costs tens of milliseconds; tests create many fakes. Sharing the key
    across fakes is harmless: each fake's tokens still carry its own issuer and audience.
    """
    global _shared_key
    with _key_lock:
        if _shared_key is None:
            _shared_key = new_signing_key()
        return _shared_key


@dataclass
class OIDCUser:
    """An OpenID Connect end user: standard claims, plus any extra ones in `claims`."""

    sub: str
    email: str | None = None
    email_verified: bool = True
    name: str | None = None
    picture: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    def userinfo(self, scope: str) -> dict[str, Any]:
        """The claims this user releases for `scope` (email needs `email`, name `profile`)."""
        scopes = set(scope.split())
        info: dict[str, Any] = {"sub": self.sub}
        if "profile" in scopes:
            if self.name is not None:
                info["name"] = self.name
                first, _, last = self.name.partition(" ")
                info["given_name"] = first
                if last:
                    info["family_name"] = last
            if self.picture is not None:
                info["picture"] = self.picture
        if "email" in scopes and self.email is not None:
            info["email"] = self.email
            info["email_verified"] = self.email_verified
        info.update(self.claims)
        return info


@dataclass
class _Tamper:
    """One-shot changes to the next ID token (see `next_id_token`)."""

    claims: dict[str, Any]
    expired: bool = False
    bad_signature: bool = False
    remove: tuple[str, ...] = ()


class OIDCProviderFake(OAuthFake):
    """A generic OpenID Connect provider at `issuer` (default `https://oidc.mockkit.test`).

    In-process (`with fake:`) it answers the issuer's host; served (`fake.serve()`), its
    discovery reports the server's URL as issuer, and tokens requested through the server
    carry that issuer. Point the app's `server_metadata_url` at `fake.discovery_url` (or
    `server.url + fake.paths["discovery"]`). `fresh_key=True` generates a key of its own
    instead of sharing the process-wide one.
    """

    provider_name = "OpenID Connect provider"
    #: Scopes listed in discovery.
    scopes_supported: tuple[str, ...] = ("openid", "email", "profile", "offline_access")
    #: ID-token lifetime in seconds.
    id_token_ttl = 3600

    def __init__(self, issuer: str = DEFAULT_ISSUER, fresh_key: bool = False) -> None:
        super().__init__()
        issuer = issuer.rstrip("/")
        parts = urlsplit(issuer)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"issuer must be an http(s) URL, got {issuer!r}")
        self.issuer = issuer
        self._prefix = parts.path
        self.hosts = (f"{parts.scheme}://{parts.netloc}",)  # type: ignore[misc]
        self._fresh_key = fresh_key
        self._keys: list[RSAKey] = []
        self._tampers: list[_Tamper] = []
        self._ids = itertools.count(1)
        self.set_up_routes()

    # ---- routes ----------------------------------------------------------------------------

    def set_up_routes(self) -> None:
        """Declare the endpoints (Google overrides this with its own hosts and paths)."""
        host, p = self.hosts[0], self._prefix
        self._set_up_authorize_and_token((host, f"{p}/authorize"), (host, f"{p}/token"))
        self._set_up_oidc(
            discovery=(host, f"{p}/.well-known/openid-configuration"),
            jwks=(host, f"{p}/jwks"),
            userinfo=(host, f"{p}/userinfo"),
            revoke=(host, f"{p}/revoke"),
        )

    def _set_up_oidc(
        self,
        discovery: tuple[str, str],
        jwks: tuple[str, str],
        userinfo: tuple[str, str],
        revoke: tuple[str, str],
    ) -> None:
        self._route("discovery", *discovery, ("GET",), self._discovery)
        self._route("jwks", *jwks, ("GET",), self._jwks)
        self._route("userinfo", *userinfo, ("GET", "POST"), self._userinfo)
        self._route("revoke", *revoke, ("POST",), self._revoke)

    # ---- URLs ------------------------------------------------------------------------------

    @property
    def discovery_url(self) -> str:
        """The in-process discovery URL (`server_metadata_url` for the app)."""
        return self.url_for("discovery")

    def url_for(self, endpoint: str, request: Request | None = None) -> str:
        """Absolute URL of a named endpoint, on the transport `request` came through."""
        path = self.paths[endpoint]
        if request is not None and request.served:
            return request.base_url + path
        return self._route_hosts[path] + path

    def issuer_for(self, request: Request | None) -> str:
        """The issuer as seen through `request`'s transport (the served URL when served)."""
        if request is not None and request.served:
            return request.base_url + self._prefix
        return self.issuer

    # ---- users -----------------------------------------------------------------------------

    def add_user(
        self,
        sub: str | None = None,
        email: str | None = None,
        email_verified: bool = True,
        name: str | None = None,
        picture: str | None = None,
        **claims: Any,
    ) -> OIDCUser:
        """Add an end user and return it; unset fields get unique defaults."""
        n = next(self._ids)
        user = OIDCUser(
            sub=sub or self._new_sub(n),
            email=email if email is not None else f"user{n}@example.com",
            email_verified=email_verified,
            name=name if name is not None else f"User {n}",
            picture=picture,
            claims=dict(claims),
        )
        with self._lock:
            self.users = [u for u in self.users if u.sub != user.sub]
            self.users.append(user)
        return user

    def add_default_user(self) -> OIDCUser:
        """Alice: `alice@example.com`, verified, "Alice Example"."""
        return self.add_user(email="alice@example.com", name="Alice Example")

    def _new_sub(self, n: int) -> str:
        return f"user-{n}"

    def user_key(self, user: Any) -> str:
        """Users are chosen on the consent page by `sub`."""
        return str(user.sub)

    def user_label(self, user: Any) -> str:
        """`Name <email>` on the consent page."""
        return f"{user.name} <{user.email}>" if user.email else str(user.name or user.sub)

    def user_from_form(self, value: str) -> OIDCUser:
        """Find or create the user for a typed email or `sub`."""
        found = self.find_user(value)
        if found is not None:
            return found  # type: ignore[no-any-return]
        if "@" in value:
            return self.add_user(email=value, name=value.split("@")[0])
        return self.add_user(sub=value)

    def reset(self) -> None:
        """Forget all state, keep the issuer and signing keys (authlib caches them)."""
        super().reset()
        with self._lock:
            self._tampers.clear()
            self._ids = itertools.count(1)

    # ---- keys ------------------------------------------------------------------------------

    @property
    def key(self) -> RSAKey:
        """The current signing key (private); its `kid` is stable until `rotate_key()`."""
        with self._lock:
            if not self._keys:
                self._keys.append(new_signing_key() if self._fresh_key else shared_signing_key())
            return self._keys[0]

    @property
    def kid(self) -> str:
        """The `kid` of the current signing key."""
        return str(self.key.kid)

    def rotate_key(self, keep_old: bool = True) -> RSAKey:
        """Sign with a new key from now on; the old one stays in JWKS unless `keep_old=False`.

        An app that cached the old JWKS meets an unknown `kid` and authlib fetches JWKS again.
        """
        self.key  # noqa: B018 - make sure there is a current key to keep
        new = new_signing_key()
        with self._lock:
            self._keys = [new, *self._keys] if keep_old else [new]
        return new

    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set this fake publishes."""
        self.key  # noqa: B018 - generate lazily
        return {"keys": [dict(k.as_dict(private=False)) for k in self._keys]}

    # ---- ID tokens -------------------------------------------------------------------------

    def next_id_token(
        self,
        expired: bool = False,
        bad_signature: bool = False,
        remove: tuple[str, ...] = (),
        **claims: Any,
    ) -> None:
        """Change the next ID token this fake issues, once: the fault knob for ID tokens.

        `nonce="wrong"`, `aud="someone-else"` (`azp` follows `aud` unless given),
        `iss="accounts.google.com"`, any other claim;
        `expired=True` (expired beyond authlib's 120 s leeway); `bad_signature=True` (signature
        bytes corrupted); `remove=("nonce",)` drops claims. Calls queue up in order.
        """
        with self._lock:
            self._tampers.append(_Tamper(dict(claims), expired, bad_signature, tuple(remove)))

    def id_token(self, request: Request | None, token: Token, client: OAuthClient) -> str:
        """Sign the ID token that goes with `token` (issuer per `request`'s transport)."""
        now = self.provider.clock.now()
        user = token.user
        claims = id_token_claims(
            iss=self.issuer_for(request),
            sub=user.sub,
            aud=client.client_id,
            nonce=token.nonce,
            at_hash=str(create_half_hash(token.access_token, "RS256").decode("ascii")),
            now=now,
            lifetime=self.id_token_ttl,
            **self.id_token_extra_claims(user, token.scope),
        )
        tamper = None
        with self._lock:
            if self._tampers:
                tamper = self._tampers.pop(0)
        if tamper is not None:
            if tamper.expired:
                claims["iat"] = int(now) - 2 * self.id_token_ttl
                claims["auth_time"] = claims["iat"]
                claims["exp"] = int(now) - 600
            claims.update(tamper.claims)
            if "aud" in tamper.claims and "azp" not in tamper.claims:
                # A token minted for another client names that client as authorized party too.
                aud = tamper.claims["aud"]
                claims["azp"] = aud if isinstance(aud, str) else (aud or [None])[0]
            for name in tamper.remove:
                claims.pop(name, None)
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        encoded = jwt.encode(header, claims, self.key)
        if tamper is not None and tamper.bad_signature:
            encoded = _corrupt_signature(encoded)
        return str(encoded)

    def id_token_extra_claims(self, user: OIDCUser, scope: str) -> dict[str, Any]:
        """Claims beyond the required ones: email and profile claims allowed by `scope`."""
        info = user.userinfo(scope)
        info.pop("sub", None)
        return info

    # ---- handlers --------------------------------------------------------------------------

    def discovery(self, request: Request | None = None) -> dict[str, Any]:
        """The discovery document as seen through `request`'s transport."""
        return {
            "issuer": self.issuer_for(request),
            "authorization_endpoint": self.url_for("authorize", request),
            "token_endpoint": self.url_for("token", request),
            "userinfo_endpoint": self.url_for("userinfo", request),
            "revocation_endpoint": self.url_for("revoke", request),
            "jwks_uri": self.url_for("jwks", request),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(self.scopes_supported),
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "claims_supported": sorted(_CLAIMS),
            "code_challenge_methods_supported": ["plain", "S256"],
        }

    def _discovery(self, request: Request) -> Response:
        return Response.json(self.discovery(request))

    def _jwks(self, request: Request) -> Response:
        return Response.json(self.jwks(), headers=[("Cache-Control", "public, max-age=3600")])

    def _userinfo(self, request: Request) -> Response:
        value = self.bearer(request)
        if value is None and request.method == "POST":
            value = dict(request.form()).get("access_token")
        token = self.provider.lookup(value)
        if token is None:
            return self.invalid_token(
                "The access token is missing, invalid, expired or revoked."
                if value
                else "No access token: send Authorization: Bearer <token>."
            )
        return Response.json(self.userinfo_response(token))

    def userinfo_response(self, token: Token) -> dict[str, Any]:
        """The userinfo body for a valid access token."""
        return token.user.userinfo(token.scope)  # type: ignore[no-any-return]

    def invalid_token(self, description: str) -> Response:
        """401 with the RFC 6750 `WWW-Authenticate` challenge."""
        challenge = f'Bearer error="invalid_token", error_description="{description}"'
        return Response.json(
            {"error": "invalid_token", "error_description": description},
            401,
            [("WWW-Authenticate", challenge)],
        )

    def _revoke(self, request: Request) -> Response:
        """RFC 7009 revocation: the client authenticates as at the token endpoint, first.

        A confidential client sends its secret (Basic or in the body), a public one its
        client_id; a token issued to another client is refused and stays valid. Unknown
        tokens are not an error: the answer is 200 either way (RFC 7009 2.2).
        """
        basic = False
        try:
            form = self._token_form(request)
            credentials = self._basic_credentials(request)
            basic = credentials is not None
            client = self.provider.authenticate_client(
                credentials, form.get("client_id"), form.get("client_secret")
            )
            value = form.get("token")
            if not value:
                raise ProviderError("invalid_request", "Missing required parameter: token.")
            self.provider.revoke(value, client=client)
        except ProviderError as err:
            err.basic = err.basic or basic
            return self.token_error(request, err)
        return Response(200, b"", [("Cache-Control", "no-store")])

    # ---- token endpoint hooks --------------------------------------------------------------

    def check_authorize_extra(self, request: AuthorizeRequest, params: dict[str, str]) -> None:
        """Record `access_type` (used by the Google preset) along with the code."""
        if "access_type" in params:
            request.extra["access_type"] = params["access_type"]

    def token_response(
        self, request: Request, token: Token, client: OAuthClient, refreshed: bool = False
    ) -> dict[str, Any]:
        """The JSON token response; an ID token when `openid` was granted."""
        id_token = None
        if "openid" in token.scope.split():
            id_token = self.id_token(request, token, client)
        return self.token_json(
            access_token=token.access_token,
            scope=token.scope,
            expires_in=self.provider.access_token_ttl or 3600,
            refresh_token=token.refresh_token if not refreshed else None,
            id_token=id_token,
        )

    def token_json(self, **fields: Any) -> dict[str, Any]:
        """Spell the token response (presets such as Google's override only this)."""
        return oauth_token_response(**fields)


def _corrupt_signature(token: str) -> str:
    """The same JWT with its signature bytes flipped: well formed, but it won't verify."""
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    for i in range(0, len(raw), 7):
        raw[i] ^= 0xFF
    return ".".join([head, payload, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()])
