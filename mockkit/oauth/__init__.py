"""OAuth 2.0 / OpenID Connect fakes (GitHub, Google, any OIDC issuer) and a one-call login.

Each fake is a `mockkit.BaseFake`: `with fake:` answers the provider's real hosts in-process,
`with fake.serve() as server:` serves the same state on 127.0.0.1 with a login/consent page.
`login(client, "/login/github", fake)` drives a Flask test client through the whole flow.

The fakes need the `oauth` extra (authlib and joserfc): `pip install 'mockkit[oauth]'`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mockkit._extras import require

if TYPE_CHECKING:
    from mockkit.oauth.base import EndpointFault, OAuthFake
    from mockkit.oauth.driver import AuthorizeError, LoginError, login
    from mockkit.oauth.github import GitHubFake, GitHubUser
    from mockkit.oauth.google import GOOGLE_DISCOVERY_URL, GoogleFake
    from mockkit.oauth.oidc import DEFAULT_ISSUER, OIDCProviderFake, OIDCUser
    from mockkit.oauth.provider import AuthorizationCode, OAuthClient, ProviderError, Token

#: Names loaded on first use, so that `mockkit.oauth.objects` (the response bodies that
#: `mockkit.errors` and `mockkit.stubs` build on) imports without the `oauth` extra.
_LAZY: dict[str, str] = {
    "AuthorizationCode": "mockkit.oauth.provider",
    "AuthorizeError": "mockkit.oauth.driver",
    "DEFAULT_ISSUER": "mockkit.oauth.oidc",
    "EndpointFault": "mockkit.oauth.base",
    "GOOGLE_DISCOVERY_URL": "mockkit.oauth.google",
    "GitHubFake": "mockkit.oauth.github",
    "GitHubUser": "mockkit.oauth.github",
    "GoogleFake": "mockkit.oauth.google",
    "LoginError": "mockkit.oauth.driver",
    "OAuthClient": "mockkit.oauth.provider",
    "OAuthFake": "mockkit.oauth.base",
    "OIDCProviderFake": "mockkit.oauth.oidc",
    "OIDCUser": "mockkit.oauth.oidc",
    "ProviderError": "mockkit.oauth.provider",
    "Token": "mockkit.oauth.provider",
    "login": "mockkit.oauth.driver",
}


def __getattr__(name: str) -> Any:
    """Load a fake (or its helpers) on first use, after checking the `oauth` extra."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mockkit.oauth' has no attribute {name!r}")
    require("oauth", "mockkit's OAuth and OIDC fakes")
    loaded = importlib.import_module(module)
    # Bind every name of that module at once, so each loads with its neighbours.
    for other, where in _LAZY.items():
        if where == module:
            globals()[other] = getattr(loaded, other)
    return globals()[name]


__all__ = [
    "DEFAULT_ISSUER",
    "GOOGLE_DISCOVERY_URL",
    "AuthorizationCode",
    "AuthorizeError",
    "EndpointFault",
    "GitHubFake",
    "GitHubUser",
    "GoogleFake",
    "LoginError",
    "OAuthClient",
    "OAuthFake",
    "OIDCProviderFake",
    "OIDCUser",
    "ProviderError",
    "Token",
    "login",
]
